/**
 * Tenant isolation on the embedded engine: a tenant role sees its tenants' rows and nothing else,
 * on every table and dynamic table that carries tenant_id; operator ids are masked without the
 * PII grant; and a tenant session cannot reach around the policies.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { adminQuery, reading, scan, testEngine } from "../helpers/engine.ts";
import { loadFixture } from "./fixture.ts";
import { DYNAMIC_TABLES, TABLES } from "../../pipelines/definitions/catalog.ts";
import { hasTenantColumn, qualifiedName } from "../../pipelines/definitions/types.ts";
import { MASKED_VALUE } from "../../pipelines/definitions/governance.ts";
import { HubSqlError } from "../../pipelines/warehouse/errors.ts";
import { prng } from "../../edge/syntheticFleet.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";

const TENANTS = ["acme", "globex", "initech"];
const TENANT_OBJECTS = [...TABLES, ...DYNAMIC_TABLES].filter((o) => hasTenantColumn(o) && o.schema !== "GOVERNANCE").map(qualifiedName);

describe("tenant isolation", () => {
  let engine: EmbeddedEngine;
  before(async () => {
    const t = await testEngine();
    engine = t.engine;
    await loadFixture(engine, t.clock);
    t.clock.advance(60_000);
    await engine.land({
      readings: [reading("initech", "i-m1", "MACHINE", 1, "2026-01-05T09:30:00", { state: "IDLE", period_s: 1, cycles: 0, good_parts: 0, ideal_cycle_s: 9 }, "i1")],
      scans: [scan("initech", "I1", "lathe", "2026-01-05T09:30:00", "op-99", "i1")],
    });
    await engine.runUntil(new Date(t.clock.now().getTime() + 10 * 60_000));
  });
  after(() => engine.close());

  it("has rows of every tenant in every silver and gold table to hide", async () => {
    for (const name of ["CORE.SENSOR_READINGS_NORMALIZED", "ANALYTICS.MACHINE_UTILIZATION_HOURLY", "ANALYTICS.PRODUCTION_FLOW"]) {
      const rows = await adminQuery<{ tenant_id: string }>(engine, `SELECT DISTINCT tenant_id FROM ${name} ORDER BY 1`);
      assert.deepEqual(rows.map((r) => r.tenant_id), TENANTS, name);
    }
  });

  it("shows random roles only the tenants mapped to them, on every table with tenant_id", async () => {
    const rand = prng(7);
    for (let i = 0; i < 12; i++) {
      const granted = TENANTS.filter(() => rand() < 0.5);
      const role = `R_TEST_${i}`;
      for (const t of granted) await engine.grantTenantRole(t, { role });
      const session = await engine.session({ role });
      for (const name of TENANT_OBJECTS) {
        const seen = await session.query<{ tenant_id: string; n: number }>(`SELECT tenant_id, COUNT(*) AS n FROM ${name} GROUP BY 1`);
        for (const r of seen) assert.ok(granted.includes(r.tenant_id), `${role} (${granted.join(",") || "no tenant"}) saw ${r.tenant_id} in ${name}`);
        const all = await adminQuery<{ tenant_id: string; n: number }>(engine, `SELECT tenant_id, COUNT(*) AS n FROM ${name} GROUP BY 1`);
        const expected = all.filter((r) => granted.includes(r.tenant_id)).reduce((s, r) => s + r.n, 0);
        assert.equal(seen.reduce((s, r) => s + r.n, 0), expected, `${role} sees all of its own rows in ${name}`);
      }
      await session.close();
    }
  });

  it("masks operator ids for roles without the PII grant", async () => {
    await engine.grantTenantRole("acme", { role: "ACME_ANALYST" });
    await engine.grantTenantRole("acme", { role: "ACME_SUPERVISOR", piiAccess: true });
    const analyst = await engine.session({ role: "ACME_ANALYST" });
    const supervisor = await engine.session({ role: "ACME_SUPERVISOR" });
    const masked = await analyst.query<{ operator_id: string }>("SELECT DISTINCT operator_id FROM RAW.JOB_SCANS");
    assert.deepEqual(masked, [{ operator_id: MASKED_VALUE }]);
    const visits = await analyst.query<{ operator_id: string }>("SELECT DISTINCT operator_id FROM CORE.JOB_STATION_VISITS");
    assert.deepEqual(visits, [{ operator_id: MASKED_VALUE }]);
    const clear = await supervisor.query<{ operator_id: string }>("SELECT DISTINCT operator_id FROM RAW.JOB_SCANS");
    assert.deepEqual(clear, [{ operator_id: "op-7" }]);
    await analyst.close();
    await supervisor.close();
  });

  it("refuses writes, table functions and references around the secure views", async () => {
    await engine.grantTenantRole("acme");
    const s = await engine.session({ role: "TENANT_ACME_ROLE" });
    const refused = async (sql: string, code: string) => {
      await assert.rejects(s.query(sql), (e: unknown) => e instanceof HubSqlError && e.code === code, sql);
    };
    await refused("DELETE FROM RAW.QUARANTINE", "003001");
    await refused("SET VARIABLE hub_role = 'HUB_ADMIN'", "003001");
    await refused(`SELECT * FROM ${engine.dataCatalog}.CORE.SENSOR_READINGS_NORMALIZED`, "002003");
    await refused("SELECT * FROM read_csv('/etc/passwd')", "003001");
    await refused("SELECT * FROM HUB_LOCAL.QUERY_HISTORY", "002003");
    await refused("SELECT * FROM RAW.SENSOR_READINGS_STREAM", "002003");
    await refused("SELECT * FROM (SELECT * FROM memory.RAW.SENSOR_READINGS) x", "002003");
    const map = await s.query("SELECT * FROM GOVERNANCE.TENANT_MAP");
    assert.ok(map.every((r) => r.role_name === "TENANT_ACME_ROLE"), "the map shows a role only its own rows");
    await s.close();
  });

  it("shows a role with no tenant mapping nothing", async () => {
    const s = await engine.session({ role: "NOBODY" });
    for (const name of TENANT_OBJECTS) {
      const [r] = await s.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${name}`);
      assert.equal(r!.n, 0, name);
    }
    await s.close();
  });
});
