/**
 * Names qualified with the database, as Snowflake tools write them (`HUB.ANALYTICS.ALERTS`: dbt,
 * BI tools and SnowSQL scripts name every table in full). Snowflake resolves them like the
 * two-part name in the current database; the twin refused them for every role (002003 for a tenant,
 * `Catalog "HUB" does not exist` for the hub's own), a wrong refusal. Reading them must still show
 * a tenant its own rows only, and the database name must not open anything the two-part name does
 * not: another database, a quoted "hub" (another name in Snowflake), the usage views.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { fixtureEngineWithAcme } from "../pipelines/fixture.ts";
import { SnowflakeSession } from "../../pipelines/sql/snowflakeSession.ts";
import { HubSqlError } from "../../pipelines/warehouse/errors.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";

let engine: EmbeddedEngine;

async function run(role: string, sql: string): Promise<unknown[][]> {
  const s = await SnowflakeSession.open(engine, { user: "tester", role });
  try {
    return (await s.execute(sql))[0]!.rows;
  } finally {
    await s.close();
  }
}

describe("names qualified with the database (HUB.SCHEMA.NAME)", () => {
  before(async () => {
    engine = await fixtureEngineWithAcme();
    await engine.grantTenantRole("globex");
    const admin = await engine.admin();
    for (const t of ["acme", "globex"]) {
      await admin.execute(`INSERT INTO OPS.TENANT_COSTS (tenant_id, computed_at, period_from, period_to, currency, price_per_credit, warehouse, own_warehouse, credits, money)
        VALUES ('${t}', TIMESTAMP '2026-01-05 08:00:00', TIMESTAMP '2026-01-01', TIMESTAMP '2026-01-05 08:00:00', 'USD', 2, 'TENANT_${t.toUpperCase()}_BI_WH', true, 1, 2)`);
    }
    await admin.close();
  });
  after(() => engine.close());

  it("read as the two-part name, for a tenant's role and the hub's own, in any case or quoted upper case", async () => {
    for (const role of ["TENANT_ACME_ROLE", "HUB_ADMIN"]) {
      const [[expected]] = (await run(role, "SELECT COUNT(*) FROM ANALYTICS.ALERTS")) as [[number]];
      for (const name of ["HUB.ANALYTICS.ALERTS", "hub.analytics.alerts", '"HUB"."ANALYTICS"."ALERTS"', 'HUB."ANALYTICS".ALERTS']) {
        assert.deepEqual(await run(role, `SELECT COUNT(*) FROM ${name}`), [[expected]], `${role}: ${name}`);
      }
    }
  });

  it("show a tenant its own cost rows only, joined or alone", async () => {
    assert.deepEqual(await run("TENANT_ACME_ROLE", "SELECT DISTINCT tenant_id FROM HUB.OPS.TENANT_COSTS"), [["acme"]]);
    assert.deepEqual(await run("TENANT_ACME_ROLE", "SELECT DISTINCT c.tenant_id FROM HUB.OPS.TENANT_COSTS c LEFT JOIN HUB.ANALYTICS.ALERTS a ON a.tenant_id <> c.tenant_id"), [["acme"]]);
    assert.deepEqual(await run("TENANT_GLOBEX_ROLE", "SELECT tenant_id FROM HUB.OPS.TENANT_COSTS"), [["globex"]]);
  });

  it("open nothing the two-part name does not: objects not granted, another database, a quoted lower-case name, the usage views", async () => {
    for (const sql of [
      "SELECT * FROM HUB.RAW.DEVICE_MESSAGES",
      "SELECT * FROM HUB.GOVERNANCE.TENANT_MAP",
      "SELECT * FROM HUB.HUB_LOCAL.TASK_HISTORY",
      'SELECT * FROM "hub".ANALYTICS.ALERTS',
      "SELECT * FROM OTHER.ANALYTICS.ALERTS",
      "SELECT * FROM HUB_SECURE.ANALYTICS.ALERTS",
      "SELECT * FROM SNOWFLAKE.ACCOUNT_USAGE.TASK_HISTORY",
      "SELECT * FROM HUB.ACCOUNT_USAGE.TASK_HISTORY",
    ]) {
      await assert.rejects(run("TENANT_ACME_ROLE", sql), (e: unknown) => e instanceof HubSqlError && e.code === "002003", sql);
    }
  });
});
