/**
 * The usage views (SNOWFLAKE.ACCOUNT_USAGE.TASK_HISTORY, DYNAMIC_TABLE_REFRESH_HISTORY, ...) and
 * the hub's task history behind them, asked for by a tenant in Snowflake's own syntax, through the
 * Snowflake session the SQL endpoint and sql.ts use: IDENTIFIER(), TABLE(), RESULT_SCAN,
 * EXECUTE IMMEDIATE, CALL, SHOW / DESCRIBE / USE of the schema, the INFORMATION_SCHEMA functions of
 * either database. The DuckDB-level spellings are tests/pipelines/accountUsageAccess.test.ts; these
 * are refused before DuckDB sees them, or answered from the role's own (empty) history. And
 * HUB_REPORTING through the same session: its one INSERT, nothing else.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { fixtureEngineWithAcme } from "../pipelines/fixture.ts";
import { SnowflakeSession } from "../../pipelines/sql/snowflakeSession.ts";
import { HubSqlError } from "../../pipelines/warehouse/errors.ts";
import { REPORTING_ROLE } from "../../pipelines/definitions/grants.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";

let engine: EmbeddedEngine;

/** The statement's rows as one role's fresh session sees them, or the refusal's code. */
async function outcome(role: string, sql: string): Promise<{ rows: unknown[][] } | { code: string }> {
  // As the SQL endpoint opens it for a user granted just this role.
  const s = await SnowflakeSession.open(engine, { user: "tester", role, warehouse: null, grantedRoles: [role] });
  try {
    return { rows: (await s.execute(sql)).at(-1)!.rows };
  } catch (e) {
    if (!(e instanceof HubSqlError)) throw new Error(`${sql}: not a Snowflake-shaped error: ${(e as Error).message}`);
    return { code: e.code };
  } finally {
    await s.close();
  }
}

describe("a tenant asks for the hub's task and refresh history in Snowflake's syntax", () => {
  before(async () => {
    engine = await fixtureEngineWithAcme();
    // A history for the views to hold: the fixture's engine has run its tasks and refreshes.
    const [r] = await engine.control<{ n: number }>("SELECT COUNT(*) AS n FROM HUB_LOCAL.DYNAMIC_TABLE_REFRESH_HISTORY");
    assert.ok(Number(r?.n) > 0, "the fixture recorded refreshes");
  });
  after(() => engine.close());

  it("is refused each spelling, or answered with the role's own history, which is empty", async () => {
    const refusedOrEmpty: string[] = [
      "SELECT * FROM IDENTIFIER('SNOWFLAKE.ACCOUNT_USAGE.TASK_HISTORY')",
      "SELECT * FROM IDENTIFIER('\"SNOWFLAKE\".\"ACCOUNT_USAGE\".\"DYNAMIC_TABLE_REFRESH_HISTORY\"')",
      "SELECT * FROM TABLE(SNOWFLAKE.ACCOUNT_USAGE.TASK_HISTORY)",
      "SELECT * FROM TABLE(RESULT_SCAN(LAST_QUERY_ID()))",
      "EXECUTE IMMEDIATE 'SELECT * FROM SNOWFLAKE.ACCOUNT_USAGE.TASK_HISTORY'",
      "CALL SYSTEM$WAIT(1)",
      "SHOW VIEWS IN SCHEMA SNOWFLAKE.ACCOUNT_USAGE",
      "SHOW TABLES IN SCHEMA HUB_LOCAL",
      "SHOW TASKS IN ACCOUNT",
      "DESCRIBE VIEW SNOWFLAKE.ACCOUNT_USAGE.TASK_HISTORY",
      "DESCRIBE TABLE HUB_LOCAL.TASK_HISTORY",
      "USE SCHEMA SNOWFLAKE.ACCOUNT_USAGE",
      "USE DATABASE SNOWFLAKE",
      "SELECT NAME::VARCHAR, STATE FROM SNOWFLAKE.ACCOUNT_USAGE.TASK_HISTORY",
      "WITH h AS (SELECT * FROM snowflake.account_usage.dynamic_table_refresh_history) SELECT COUNT(*) FROM h",
      "SELECT * FROM SNOWFLAKE.INFORMATION_SCHEMA.TABLES",
      "SELECT * FROM TABLE(INFORMATION_SCHEMA.TASK_HISTORY(RESULT_LIMIT => 10000))",
      "SELECT * FROM TABLE(INFORMATION_SCHEMA.DYNAMIC_TABLE_REFRESH_HISTORY())",
      "SELECT * FROM TABLE(HUB.INFORMATION_SCHEMA.DYNAMIC_TABLE_REFRESH_HISTORY(NAME_PREFIX => 'HUB.'))",
      "SELECT * FROM HUB_LOCAL.DYNAMIC_TABLE_REFRESH_HISTORY",
      "SELECT * FROM HUB.HUB_LOCAL.TASK_HISTORY",
    ];
    const wrong: string[] = [];
    for (const sql of refusedOrEmpty) {
      const o = await outcome("TENANT_ACME_ROLE", sql);
      if ("rows" in o && o.rows.length > 0) wrong.push(`${sql}: ${o.rows.length} rows`);
    }
    assert.deepEqual(wrong, []);
  });

  it("HUB_REPORTING, through the same session, appends to OPS.TENANT_COSTS and reads and changes nothing", async () => {
    const cols = "(tenant_id, computed_at, period_from, period_to, currency, price_per_credit, warehouse, own_warehouse, credits, money)";
    const row = (t: string) => `('${t}', '2026-01-05 08:00:00'::TIMESTAMP_NTZ, '2026-01-01'::TIMESTAMP_NTZ, '2026-01-05'::TIMESTAMP_NTZ, 'USD', 2, 'X', TRUE, 1, 2)`;
    for (const sql of [
      "SELECT * FROM OPS.TENANT_COSTS",
      "SELECT * FROM HUB.OPS.TENANT_COSTS",
      "DELETE FROM OPS.TENANT_COSTS",
      "UPDATE OPS.TENANT_COSTS SET credits = 0",
      "TRUNCATE TABLE OPS.TENANT_COSTS",
      `INSERT INTO OPS.TENANT_COSTS ${cols} SELECT tenant_id, computed_at, period_from, period_to, currency, price_per_credit, warehouse, own_warehouse, credits, money FROM OPS.TENANT_COSTS`,
      `INSERT INTO OPS.ALERT_ACKNOWLEDGEMENTS (tenant_id) VALUES ('acme')`,
      `INSERT OVERWRITE INTO OPS.TENANT_COSTS ${cols} VALUES ${row("acme")}`,
      `INSERT INTO OPS.TENANT_COSTS ${cols} VALUES ${row("acme")}; DELETE FROM OPS.TENANT_COSTS`,
      "USE ROLE HUB_ADMIN",
    ]) {
      const o = await outcome(REPORTING_ROLE, sql);
      assert.ok("code" in o, `${sql} ran`);
    }
    const count = async () => Number((await engine.control<{ n: number }>("SELECT COUNT(*) AS n FROM OPS.TENANT_COSTS"))[0]?.n);
    const before = await count();
    const o = await outcome(REPORTING_ROLE, `INSERT INTO OPS.TENANT_COSTS ${cols} VALUES ${row("acme")}, ${row("globex")}`);
    assert.ok("rows" in o, `the snapshot's own INSERT is refused: ${JSON.stringify(o)}`);
    assert.equal(await count(), before + 2, "the one INSERT wrote its two rows");
  });
});
