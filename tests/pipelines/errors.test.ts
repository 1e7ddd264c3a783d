/** Errors from the embedded engine look like Snowflake's, so callers handle one kind of error. */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { testEngine } from "../helpers/engine.ts";
import { HubSqlError } from "../../pipelines/warehouse/errors.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import type { Warehouse } from "../../pipelines/warehouse/warehouse.ts";

describe("Snowflake-shaped errors from the embedded engine", () => {
  let engine: EmbeddedEngine;
  let s: Warehouse;
  before(async () => {
    ({ engine } = await testEngine());
    s = await engine.admin();
  });
  after(async () => {
    await s.close();
    await engine.close();
  });

  const cases: Array<[string, string, string, RegExp]> = [
    ["an unknown table", "SELECT * FROM ANALYTICS.NO_SUCH_TABLE", "002003/42S02", /Object 'ANALYTICS.NO_SUCH_TABLE' does not exist or not authorized/],
    ["an unknown column", "SELECT no_such_column FROM RAW.QUARANTINE", "000904/42000", /invalid identifier 'NO_SUCH_COLUMN'/],
    ["a syntax error", "SELEC 1", "001003/42000", /syntax error at or near "SELEC"/],
    ["text that is not a number", "SELECT CAST('abc' AS DOUBLE)", "100038/22018", /Numeric value 'abc' is not recognized/],
  ];
  for (const [what, sql, code, message] of cases) {
    it(`reports ${what} with Snowflake's code and SQLSTATE`, async () => {
      await assert.rejects(s.query(sql), (e: unknown) => {
        assert.ok(e instanceof HubSqlError, String(e));
        assert.equal(`${e.code}/${e.sqlState}`, code);
        assert.match(e.message, message);
        assert.equal(e.sql, sql);
        return true;
      });
    });
  }

  it("refuses a query on a warehouse suspended by its resource monitor", async () => {
    const w = await engine.session({ role: "HUB_ADMIN", warehouse: "HUB_ANALYTICS_WH" });
    await w.query("SELECT 1");
    engine.warehouses.suspend("HUB_ANALYTICS_WH", "RESOURCE_MONITOR", engine.clock.now(), true);
    await assert.rejects(w.query("SELECT 1"), (e: unknown) => e instanceof HubSqlError && e.code === "000606" && /HUB_ANALYTICS_WH/.test(e.message));
    await w.close();
  });

  it("names an unknown warehouse when a session asks for one", async () => {
    await assert.rejects(engine.session({ role: "HUB_ADMIN", warehouse: "NOPE_WH" }), /NOPE_WH/);
  });
});
