/** The embedded engine on a file whose name is not a plain SQL identifier. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";

test("a hub file named with a dash and a dot opens, serves tenant sessions and the ACCOUNT_USAGE views, and reopens", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hub-file-"));
  const path = join(dir, "plant-2.v1.duckdb");
  try {
    for (let i = 0; i < 2; i++) {
      const engine = await EmbeddedEngine.open({ path });
      await engine.grantTenantRole("acme");
      const s = await engine.session({ role: "TENANT_ACME_ROLE" });
      assert.deepEqual(await s.query("SELECT COUNT(*) AS n FROM RAW.SENSOR_READINGS"), [{ n: 0 }]);
      await s.close();
      assert.equal((await engine.control("SELECT * FROM SNOWFLAKE.ACCOUNT_USAGE.WAREHOUSE_METERING_HISTORY")).length, 0);
      await engine.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
