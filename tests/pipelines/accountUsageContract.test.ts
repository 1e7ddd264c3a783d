/**
 * The twin's SNOWFLAKE.ACCOUNT_USAGE views against Snowflake's documentation, column by column, so
 * the cost report's SQL cannot lean on a column Snowflake does not have (as it once read FREQUENCY
 * and NOTIFY_AT from RESOURCE_MONITORS). The documented columns are typed here from each page (read
 * 2026-12-05), not taken from the product. Types: the twin's session is UTC, so TIMESTAMP_LTZ is a
 * TIMESTAMP (TIMESTAMP_NTZ is one anyway); NUMBER is any DuckDB number; VARIANT and OBJECT are JSON.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { testEngine } from "../helpers/engine.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";

const DOC = "https://docs.snowflake.com/en/sql-reference/account-usage/";

/** View → [its page, its columns in the documented order with their documented types]. */
const DOCUMENTED: Record<string, [string, Array<[string, string]>]> = {
  WAREHOUSE_METERING_HISTORY: [`${DOC}warehouse_metering_history`, [
    ["START_TIME", "TIMESTAMP_LTZ"], ["END_TIME", "TIMESTAMP_LTZ"], ["WAREHOUSE_ID", "NUMBER"], ["WAREHOUSE_NAME", "VARCHAR"], ["CREDITS_USED", "NUMBER"],
    ["CREDITS_USED_COMPUTE", "NUMBER"], ["CREDITS_USED_CLOUD_SERVICES", "NUMBER"], ["CREDITS_ATTRIBUTED_COMPUTE_QUERIES", "NUMBER"],
  ]],
  METERING_DAILY_HISTORY: [`${DOC}metering_daily_history`, [
    ["SERVICE_TYPE", "VARCHAR"], ["USAGE_DATE", "DATE"], ["CREDITS_USED_COMPUTE", "NUMBER"], ["CREDITS_USED_CLOUD_SERVICES", "NUMBER"], ["CREDITS_USED", "NUMBER"],
    ["CREDITS_ADJUSTMENT_CLOUD_SERVICES", "NUMBER"], ["CREDITS_BILLED", "NUMBER"],
  ]],
  RESOURCE_MONITORS: [`${DOC}resource_monitors`, [
    ["NAME", "VARCHAR"], ["CREATED", "TIMESTAMP_LTZ"], ["CREDIT_QUOTA", "VARIANT"], ["USED_CREDITS", "VARIANT"], ["REMAINING_CREDITS", "FLOAT"], ["OWNER", "VARCHAR"],
    ["WAREHOUSES", "VARCHAR"], ["NOTIFY", "NUMBER"], ["SUSPEND", "NUMBER"], ["SUSPEND_IMMEDIATE", "NUMBER"], ["LEVEL", "VARCHAR"],
  ]],
  WAREHOUSE_EVENTS_HISTORY: [`${DOC}warehouse_events_history`, [
    ["TIMESTAMP", "TIMESTAMP_LTZ"], ["WAREHOUSE_ID", "NUMBER"], ["WAREHOUSE_NAME", "VARCHAR"], ["CLUSTER_NUMBER", "NUMBER"], ["EVENT_NAME", "VARCHAR"],
    ["EVENT_REASON", "VARCHAR"], ["EVENT_STATE", "VARCHAR"], ["USER_NAME", "VARCHAR"], ["ROLE_NAME", "VARCHAR"], ["QUERY_ID", "VARCHAR"], ["SIZE", "VARCHAR"],
    ["CLUSTER_COUNT", "NUMBER"], ["WAREHOUSE_TYPE", "VARCHAR"], ["RESOURCE_CONSTRAINT", "VARCHAR"],
  ]],
  // ERROR_CODE: VARCHAR on the current page (older copies said NUMBER); SPCS_JOB_ID came with the
  // 2026_02 behaviour change bundle (https://docs.snowflake.com/en/release-notes/bcr-bundles/2026_02/bcr-2182).
  TASK_HISTORY: [`${DOC}task_history`, [
    ["NAME", "VARCHAR"], ["QUERY_TEXT", "VARCHAR"], ["CONDITION_TEXT", "VARCHAR"], ["SCHEMA_NAME", "VARCHAR"], ["TASK_SCHEMA_ID", "NUMBER"],
    ["DATABASE_NAME", "VARCHAR"], ["TASK_DATABASE_ID", "NUMBER"], ["SCHEDULED_TIME", "TIMESTAMP_LTZ"], ["COMPLETED_TIME", "TIMESTAMP_LTZ"], ["STATE", "VARCHAR"],
    ["RETURN_VALUE", "VARCHAR"], ["QUERY_ID", "VARCHAR"], ["QUERY_START_TIME", "TIMESTAMP_LTZ"], ["ERROR_CODE", "VARCHAR"], ["ERROR_MESSAGE", "VARCHAR"],
    ["GRAPH_VERSION", "NUMBER"], ["RUN_ID", "NUMBER"], ["ROOT_TASK_ID", "VARCHAR"], ["SCHEDULED_FROM", "VARCHAR"], ["ATTEMPT_NUMBER", "NUMBER"],
    ["INSTANCE_ID", "NUMBER"], ["CONFIG", "VARCHAR"], ["QUERY_HASH", "VARCHAR"], ["QUERY_HASH_VERSION", "NUMBER"], ["QUERY_PARAMETERIZED_HASH", "VARCHAR"],
    ["QUERY_PARAMETERIZED_HASH_VERSION", "NUMBER"], ["GRAPH_RUN_GROUP_ID", "VARCHAR"], ["BACKFILL_INFO", "OBJECT"], ["SPCS_JOB_ID", "NUMBER"],
  ]],
  DYNAMIC_TABLE_REFRESH_HISTORY: [`${DOC}dynamic_table_refresh_history`, [
    ["NAME", "VARCHAR"], ["SCHEMA_NAME", "VARCHAR"], ["DATABASE_NAME", "VARCHAR"], ["ID", "NUMBER"], ["SCHEMA_ID", "NUMBER"], ["DATABASE_ID", "NUMBER"],
    ["STATE", "VARCHAR"], ["STATE_CODE", "VARCHAR"], ["STATE_MESSAGE", "VARCHAR"], ["QUERY_ID", "VARCHAR"], ["DATA_TIMESTAMP", "TIMESTAMP_LTZ"],
    ["REFRESH_START_TIME", "TIMESTAMP_LTZ"], ["REFRESH_END_TIME", "TIMESTAMP_LTZ"], ["COMPLETION_TARGET", "TIMESTAMP_LTZ"], ["QUALIFIED_NAME", "VARCHAR"],
    ["LAST_COMPLETED_DEPENDENCY", "OBJECT"], ["STATISTICS", "OBJECT"], ["REFRESH_ACTION", "VARCHAR"], ["REINIT_REASON", "VARCHAR"], ["REFRESH_TRIGGER", "VARCHAR"],
    ["TARGET_LAG_SEC", "NUMBER"], ["GRAPH_HISTORY_VALID_FROM", "TIMESTAMP_NTZ"],
  ]],
};

/**
 * QUERY_HISTORY documents some eighty columns; the twin has the ones a cost or audit query reads,
 * each under its documented name and type (https://docs.snowflake.com/en/sql-reference/account-usage/query_history).
 */
const QUERY_HISTORY_SUBSET: Array<[string, string]> = [
  ["QUERY_ID", "VARCHAR"], ["QUERY_TEXT", "VARCHAR"], ["WAREHOUSE_NAME", "VARCHAR"], ["ROLE_NAME", "VARCHAR"], ["QUERY_TAG", "VARCHAR"],
  ["START_TIME", "TIMESTAMP_LTZ"], ["END_TIME", "TIMESTAMP_LTZ"], ["TOTAL_ELAPSED_TIME", "NUMBER"], ["EXECUTION_TIME", "NUMBER"], ["EXECUTION_STATUS", "VARCHAR"],
  ["ERROR_CODE", "VARCHAR"], ["ERROR_MESSAGE", "VARCHAR"], ["ROWS_PRODUCED", "NUMBER"], ["CREDITS_USED_CLOUD_SERVICES", "NUMBER"],
];

function matches(snowflake: string, duckdb: string): boolean {
  switch (snowflake) {
    case "TIMESTAMP_LTZ":
    case "TIMESTAMP_NTZ":
      return duckdb === "TIMESTAMP";
    case "NUMBER":
      return /^(DECIMAL\(\d+,\d+\)|BIGINT|INTEGER|HUGEINT|UBIGINT|DOUBLE)$/.test(duckdb);
    case "FLOAT":
      return duckdb === "DOUBLE";
    case "VARIANT":
    case "OBJECT":
      return duckdb === "JSON";
    default:
      return duckdb === snowflake;
  }
}

describe("the twin's ACCOUNT_USAGE views follow Snowflake's documented columns", () => {
  let engine: EmbeddedEngine;
  before(async () => {
    ({ engine } = await testEngine());
  });
  after(() => engine.close());

  // On a plain connection, not a role's session: this holds the views' shape, and who may read
  // which view (RESOURCE_MONITORS needs OBJECT_VIEWER, which no twin role holds) is
  // tests/pipelines/accountUsageAccess.test.ts's.
  const columns = async (view: string) => {
    const c = await engine.rawConnection();
    try {
      return (await c.runAndReadAll(`DESCRIBE SELECT * FROM SNOWFLAKE.ACCOUNT_USAGE.${view}`)).getRowObjectsJS().map((r) => [String(r["column_name"]), String(r["column_type"])] as const);
    } finally {
      c.closeSync();
    }
  };

  for (const [view, [page, documented]] of Object.entries(DOCUMENTED)) {
    it(`${view} has exactly the documented columns, in order, with their types (${page})`, async () => {
      const twin = await columns(view);
      assert.deepEqual(twin.map(([n]) => n), documented.map(([n]) => n));
      const wrong = twin.filter(([n, t], i) => !matches(documented[i]![1], t)).map(([n, t]) => `${n}: ${t}`);
      assert.deepEqual(wrong, []);
    });
  }

  it("QUERY_HISTORY has only documented columns, each with its documented type", async () => {
    const twin = await columns("QUERY_HISTORY");
    const doc = new Map(QUERY_HISTORY_SUBSET);
    assert.deepEqual(twin.filter(([n, t]) => !doc.has(n) || !matches(doc.get(n)!, t)).map(([n, t]) => `${n}: ${t}`), []);
  });
});
