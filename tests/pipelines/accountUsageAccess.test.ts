/**
 * Who reads the twin's SNOWFLAKE.ACCOUNT_USAGE views, held to Snowflake's documented roles
 * (https://docs.snowflake.com/en/sql-reference/snowflake-db-roles: USAGE_VIEWER opens the meter,
 * GOVERNANCE_VIEWER QUERY_HISTORY, OBJECT_VIEWER RESOURCE_MONITORS) and to its refusals: a role
 * without a SNOWFLAKE database role gets "Schema 'SNOWFLAKE.ACCOUNT_USAGE' does not exist or not
 * authorized." (002003 / 02000; the database itself is visible to every role:
 * https://docs.snowflake.com/en/sql-reference/account-usage, "Enabling other roles to use schemas
 * in the SNOWFLAKE database"), one with some database roles gets "Object ... does not exist or not
 * authorized." for a view none of them covers. The Snowflake side of the same definition (the
 * deploy's GRANT DATABASE ROLE statements, replayed) is tests/infra/grants.test.ts.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { fixtureEngineWithAcme } from "./fixture.ts";
import { HubSqlError } from "../../pipelines/warehouse/errors.ts";
import { ACCOUNT_USAGE_VIEW_NAMES, ACCOUNT_USAGE_VIEWS } from "../../pipelines/definitions/accountUsageViews.ts";
import { REPORTING_ROLE, REPORTING_WAREHOUSE, accountUsageReadableBy } from "../../pipelines/definitions/grants.ts";
import { ADMIN_ROLE, PIPELINE_ROLE, tenantRoleName } from "../../pipelines/definitions/governance.ts";
import { SnowflakeSession } from "../../pipelines/sql/snowflakeSession.ts";
import { buildCostReport } from "../../pipelines/cost/costReport.ts";
import { twinAccountObjects } from "../../pipelines/cost/readAccountObjects.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import type { SimulatedClock } from "../../pipelines/engine/clock.ts";

const SCHEMA_REFUSED = /^SQL compilation error:\nSchema 'SNOWFLAKE\.ACCOUNT_USAGE' does not exist or not authorized\.$/;
const objectRefused = (view: string) => new RegExp(`^SQL compilation error:\\nObject 'SNOWFLAKE\\.ACCOUNT_USAGE\\.${view}' does not exist or not authorized\\.$`);

/** The error a statement fails with, or null when it runs. */
async function outcome(engine: EmbeddedEngine, role: string, sql: string): Promise<HubSqlError | null> {
  const s = await engine.session({ role });
  try {
    await s.query(sql);
    return null;
  } catch (e) {
    if (!(e instanceof HubSqlError)) throw e;
    return e;
  } finally {
    await s.close();
  }
}

describe("the twin's SNOWFLAKE.ACCOUNT_USAGE follows the SNOWFLAKE database roles", () => {
  let engine: EmbeddedEngine;
  const tenants = [tenantRoleName("acme"), tenantRoleName("globex")];
  before(async () => {
    engine = await fixtureEngineWithAcme();
    await engine.grantTenantRole("globex");
  });
  after(() => engine.close());

  it("every role the twin offers reads exactly the views the definition gives it", async () => {
    const roles = await engine.roles();
    assert.ok(roles.includes(REPORTING_ROLE) && tenants.every((t) => roles.includes(t)));
    for (const role of roles) {
      const readable = accountUsageReadableBy(role);
      for (const view of ACCOUNT_USAGE_VIEW_NAMES) {
        const e = await outcome(engine, role, `SELECT COUNT(*) AS n FROM SNOWFLAKE.ACCOUNT_USAGE.${view}`);
        if (readable.has(view)) assert.equal(e, null, `${role} reads ${view}`);
        else assert.ok(e && e.code === "002003", `${role} is refused ${view}: ${e?.message}`);
      }
    }
  });

  it("HUB_REPORTING and HUB_ADMIN read the meter and the query history; RESOURCE_MONITORS (OBJECT_VIEWER) is refused as an object", async () => {
    for (const role of [REPORTING_ROLE, ADMIN_ROLE]) {
      for (const view of ["WAREHOUSE_METERING_HISTORY", "METERING_DAILY_HISTORY", "WAREHOUSE_EVENTS_HISTORY", "QUERY_HISTORY"]) {
        assert.equal(await outcome(engine, role, `SELECT * FROM SNOWFLAKE.ACCOUNT_USAGE.${view} LIMIT 1`), null, `${role} ${view}`);
      }
      const e = await outcome(engine, role, "SELECT * FROM SNOWFLAKE.ACCOUNT_USAGE.RESOURCE_MONITORS");
      assert.match(e?.message ?? "", objectRefused("RESOURCE_MONITORS"), role);
      assert.equal(ACCOUNT_USAGE_VIEWS["RESOURCE_MONITORS"]!.databaseRoles.join(), "OBJECT_VIEWER");
    }
  });

  it("every tenant role and the pipeline's role are refused the schema, for each view, with Snowflake's code and SQLSTATE", async () => {
    for (const role of [...tenants, PIPELINE_ROLE]) {
      for (const view of ACCOUNT_USAGE_VIEW_NAMES) {
        const e = await outcome(engine, role, `SELECT * FROM SNOWFLAKE.ACCOUNT_USAGE.${view}`);
        assert.ok(e, `${role} ${view}`);
        assert.equal(`${e.code} ${e.sqlState}`, "002003 02000");
        assert.match(e.message, SCHEMA_REFUSED);
      }
    }
  });

  it("a tenant cannot reach the views however it spells or hides them", async () => {
    const role = tenants[0]!;
    for (const sql of [
      "select * from snowflake.account_usage.query_history",
      'SELECT * FROM "SNOWFLAKE"."ACCOUNT_USAGE"."QUERY_HISTORY"',
      "SELECT * FROM Snowflake . Account_Usage . Warehouse_Metering_History",
      "WITH q AS (SELECT * FROM snowflake.account_usage.query_history) SELECT COUNT(*) FROM q",
      "SELECT (SELECT COUNT(*) FROM snowflake.account_usage.metering_daily_history) AS n",
      "SELECT * FROM ANALYTICS.ENERGY_HOURLY e JOIN snowflake.account_usage.warehouse_events_history w ON TRUE",
      "SELECT * FROM ANALYTICS.ENERGY_HOURLY UNION ALL SELECT * FROM snowflake.account_usage.resource_monitors",
    ]) {
      const e = await outcome(engine, role, sql);
      assert.match(e?.message ?? "(ran)", SCHEMA_REFUSED, sql);
    }
    // Schemas of SNOWFLAKE the twin does not have are refused the same way.
    assert.match((await outcome(engine, role, "SELECT * FROM snowflake.core.x"))?.message ?? "(ran)", /Schema 'SNOWFLAKE\.CORE' does not exist or not authorized/);
  });

  it("the pipeline's role is refused the views in any statement, not only a SELECT", async () => {
    for (const sql of [
      "CREATE TEMP TABLE t AS SELECT * FROM snowflake.account_usage.query_history",
      'INSERT INTO HUB_LOCAL.QUERY_HISTORY SELECT * FROM "SNOWFLAKE"."ACCOUNT_USAGE"."QUERY_HISTORY" WHERE FALSE',
      "USE snowflake.account_usage",
    ]) {
      assert.match((await outcome(engine, PIPELINE_ROLE, sql))?.message ?? "(ran)", SCHEMA_REFUSED, sql);
    }
  });

  it("an unknown role and PUBLIC get no session at all, and the definition gives neither a view", async () => {
    for (const role of ["NO_SUCH_ROLE", "PUBLIC", "ACCOUNTADMIN"]) {
      await assert.rejects(engine.session({ role }), (e: unknown) => e instanceof HubSqlError && e.message === `SQL compilation error:\nRole '${role}' does not exist or not authorized.`);
    }
    assert.equal(accountUsageReadableBy("PUBLIC").size, 0);
    assert.equal(accountUsageReadableBy("NO_SUCH_ROLE").size, 0);
    // ACCOUNTADMIN holds IMPORTED PRIVILEGES on SNOWFLAKE: every view (the twin has no such session).
    assert.deepEqual([...accountUsageReadableBy("ACCOUNTADMIN")], ACCOUNT_USAGE_VIEW_NAMES);
  });

  it("HUB_REPORTING reads nothing of the hub's own database", async () => {
    for (const sql of ["SELECT * FROM ANALYTICS.ENERGY_HOURLY", "SELECT * FROM hub_secure.RAW.SENSOR_READINGS", "SELECT * FROM HUB_LOCAL.QUERY_HISTORY", "SELECT * FROM GOVERNANCE.TENANT_MAP"]) {
      const e = await outcome(engine, REPORTING_ROLE, sql);
      assert.ok(e && e.code === "002003" && /does not exist or not authorized/.test(e.message), sql);
    }
    await assert.rejects(engine.session({ role: REPORTING_ROLE, schema: "ANALYTICS" }), /does not exist or not authorized/);
  });

  it("through a Snowflake session, HUB_REPORTING lists every warehouse and monitor, uses its one warehouse and sees no schema of the hub", async () => {
    const s = await SnowflakeSession.open(engine, { user: "svc_report", role: REPORTING_ROLE, warehouse: REPORTING_WAREHOUSE });
    try {
      const [warehouses] = await s.execute("SHOW WAREHOUSES");
      assert.deepEqual(warehouses!.rows.map((r) => r[0]).sort(), engine.warehouses.list().map((w) => w.name).sort());
      const [monitors] = await s.execute("SHOW RESOURCE MONITORS");
      assert.ok(monitors!.rows.length >= 2);
      const [schemas] = await s.execute("SHOW SCHEMAS");
      assert.deepEqual(schemas!.rows, []);
      const [tables] = await s.execute("SHOW TABLES");
      assert.deepEqual(tables!.rows, []);
      await assert.rejects(s.execute("USE WAREHOUSE HUB_TRANSFORM_WH"), /does not exist or not authorized/);
      await assert.rejects(s.execute("SELECT * FROM SNOWFLAKE.ACCOUNT_USAGE.RESOURCE_MONITORS"), (e: HubSqlError) => objectRefused("RESOURCE_MONITORS").test(e.message));
      const [n] = await s.execute("SELECT COUNT(*) AS N FROM SNOWFLAKE.ACCOUNT_USAGE.WAREHOUSE_METERING_HISTORY");
      assert.ok(Number(n!.rows[0]![0]) > 0);
    } finally {
      await s.close();
    }
    const tenant = await SnowflakeSession.open(engine, { user: "svc_acme", role: tenants[0]! });
    try {
      await assert.rejects(tenant.execute("SELECT * FROM SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY"), (e: HubSqlError) => SCHEMA_REFUSED.test(e.message));
    } finally {
      await tenant.close();
    }
  });

  it("the cost report runs as HUB_REPORTING on its warehouse and gives the operators' report", async () => {
    // An hour on, so the fixture's metered hour is a whole one before the report's own.
    (engine.clock as SimulatedClock).advance(3_600_000);
    const now = engine.clock.now();
    const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    // Up to the hour now starts: the report's own queries resume the warehouse and meter this hour.
    const to = new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000);
    const input = { from, to, now, pricePerCredit: 3, ...(await twinAccountObjects(engine)) };
    const reporting = await engine.session({ role: REPORTING_ROLE, warehouse: REPORTING_WAREHOUSE });
    const admin = await engine.admin();
    try {
      const [a, b] = [await buildCostReport(reporting, input), await buildCostReport(admin, input)];
      assert.deepEqual({ ...a, drivers: [] }, { ...b, drivers: [] });
      assert.ok(a.warehouses.length > 0 && a.hourly.length > 0, "the report read the meter");
    } finally {
      await reporting.close();
      await admin.close();
    }
  });
});
