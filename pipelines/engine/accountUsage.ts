/**
 * The billing twin's tables under the names Snowflake gives them: a `SNOWFLAKE` catalog with an
 * `ACCOUNT_USAGE` schema of views over HUB_LOCAL, with Snowflake's column names
 * (https://docs.snowflake.com/en/sql-reference/account-usage), so a cost query written for
 * `SNOWFLAKE.ACCOUNT_USAGE.*` runs unchanged on either. Admin sessions only: tenant sessions cannot
 * reach another catalog.
 */
import { CONTROL_SCHEMA } from "./controlTables.ts";
import { ACCOUNT_USAGE_CATALOG } from "../warehouse/accountUsageAccess.ts";
import { ACCOUNT_USAGE_VIEWS } from "../definitions/accountUsageViews.ts";
import { DUCKDB_VARIABLES } from "../dialect/index.ts";
import { CLOUD_SERVICES_CREDITS_PER_QUERY, CLOUD_SERVICES_FREE_SHARE, CREDITS_PER_HOUR } from "./billingTwin.ts";

export { ACCOUNT_USAGE_CATALOG };

/** Credits per hour of a warehouse size column, in SQL: the billing twin's rates. */
function sizeRate(column: string): string {
  return `CASE ${column} ${Object.entries(CREDITS_PER_HOUR).map(([size, rate]) => `WHEN '${size}' THEN ${rate}`).join(" ")} END`;
}

/**
 * The documented latency, simulated: with the session variable hub_usage_now set (a session of an
 * engine opened with `simulateUsageLatency`), a row is in `view` only once `completedAt` is the
 * view's latency older than it (accountUsageViews.ts, each view's page); unset, every row is.
 */
function arrived(view: string, completedAt: string): string {
  const v = `getvariable('${DUCKDB_VARIABLES.usageNow}')`;
  const ms = ACCOUNT_USAGE_VIEWS[view]!.latencyMs;
  return `(${v} IS NULL OR (${completedAt}) <= CAST(${v} AS TIMESTAMP) - INTERVAL '${ms} milliseconds')`;
}

/**
 * The database the twin's sessions present (CURRENT_DATABASE(), snowflakeSession.ts HUB_DATABASE);
 * the history tables name objects SCHEMA.NAME within it.
 */
const DATABASE_NAME = "HUB";

/** A history row's object name (SCHEMA.NAME) split as Snowflake's views give it. */
const bareName = (col: string) => `split_part(${col}, '.', 2)`;
const schemaName = (col: string) => `split_part(${col}, '.', 1)`;

export function accountUsageStatements(data: string): string[] {
  const h = `${data}.${CONTROL_SCHEMA}`;
  const au = `${ACCOUNT_USAGE_CATALOG}.ACCOUNT_USAGE`;
  return [
    `ATTACH IF NOT EXISTS ':memory:' AS ${ACCOUNT_USAGE_CATALOG}`,
    `CREATE SCHEMA IF NOT EXISTS ${au}`,
    // https://docs.snowflake.com/en/sql-reference/account-usage/warehouse_metering_history. Credits
    // attributed to queries: each query's elapsed time at its warehouse's rate, capped by the hour's
    // compute (the idle rest is what the column leaves out).
    `CREATE OR REPLACE VIEW ${au}.WAREHOUSE_METERING_HISTORY AS SELECT
       m.start_time AS START_TIME, m.start_time + INTERVAL 1 HOUR AS END_TIME, hash(m.warehouse_name) AS WAREHOUSE_ID,
       m.warehouse_name AS WAREHOUSE_NAME, m.credits_used_compute + m.credits_used_cloud_services AS CREDITS_USED,
       m.credits_used_compute AS CREDITS_USED_COMPUTE, m.credits_used_cloud_services AS CREDITS_USED_CLOUD_SERVICES,
       LEAST(m.credits_used_compute, COALESCE((
         SELECT SUM(q.total_elapsed_time / 3600000.0 * ${sizeRate("w.size")})
         FROM ${h}.QUERY_HISTORY q JOIN ${h}.WAREHOUSES w ON w.name = q.warehouse_name
         WHERE q.warehouse_name = m.warehouse_name AND date_trunc('hour', q.start_time) = m.start_time), 0)) AS CREDITS_ATTRIBUTED_COMPUTE_QUERIES
     FROM ${h}.WAREHOUSE_METERING m WHERE ${arrived("WAREHOUSE_METERING_HISTORY", "m.start_time + INTERVAL 1 HOUR")}`,
    `CREATE OR REPLACE VIEW ${au}.WAREHOUSE_EVENTS_HISTORY AS SELECT
       "timestamp" AS "TIMESTAMP", hash(warehouse_name) AS WAREHOUSE_ID, warehouse_name AS WAREHOUSE_NAME, 1 AS CLUSTER_NUMBER,
       event_name AS EVENT_NAME, event_reason AS EVENT_REASON, event_state AS EVENT_STATE,
       CAST(NULL AS VARCHAR) AS USER_NAME, CAST(NULL AS VARCHAR) AS ROLE_NAME, CAST(NULL AS VARCHAR) AS QUERY_ID,
       -- Filled only for WAREHOUSE_CONSISTENT events, which the twin does not emit.
       CAST(NULL AS VARCHAR) AS SIZE, CAST(NULL AS BIGINT) AS CLUSTER_COUNT, CAST(NULL AS VARCHAR) AS WAREHOUSE_TYPE,
       CAST(NULL AS VARCHAR) AS RESOURCE_CONSTRAINT
     FROM ${h}.WAREHOUSE_EVENTS_HISTORY WHERE ${arrived("WAREHOUSE_EVENTS_HISTORY", '"timestamp"')}`,
    // Cloud services are billed only above 10 % of the day's compute
    // (https://docs.snowflake.com/en/user-guide/cost-understanding-compute#understanding-billing-for-cloud-services-usage).
    // The day's sums are exact (decimal, as Snowflake's NUMBER columns are), then shown as DOUBLE: a
    // SUM of doubles depends on the order the rows are read in, and the same meter stored in another
    // order gave a day's credits that differed in the last bit.
    `CREATE OR REPLACE VIEW ${au}.METERING_DAILY_HISTORY AS SELECT
       SERVICE_TYPE, USAGE_DATE, CAST(compute AS DOUBLE) AS CREDITS_USED_COMPUTE, CAST(cloud AS DOUBLE) AS CREDITS_USED_CLOUD_SERVICES,
       CAST(compute + cloud AS DOUBLE) AS CREDITS_USED,
       CAST(-LEAST(cloud, ${CLOUD_SERVICES_FREE_SHARE} * compute) AS DOUBLE) AS CREDITS_ADJUSTMENT_CLOUD_SERVICES,
       CAST(compute + cloud - LEAST(cloud, ${CLOUD_SERVICES_FREE_SHARE} * compute) AS DOUBLE) AS CREDITS_BILLED
     FROM (SELECT 'WAREHOUSE_METERING' AS SERVICE_TYPE, CAST(start_time AS DATE) AS USAGE_DATE,
         SUM(CAST(credits_used_compute AS DECIMAL(38, 12))) AS compute, SUM(CAST(credits_used_cloud_services AS DECIMAL(38, 12))) AS cloud
       FROM ${h}.WAREHOUSE_METERING WHERE ${arrived("METERING_DAILY_HISTORY", "start_time + INTERVAL 1 HOUR")} GROUP BY CAST(start_time AS DATE)) d`,
    // https://docs.snowflake.com/en/sql-reference/account-usage/resource_monitors: one percentage per
    // trigger kind (the lowest, where a monitor has several NOTIFY triggers), no frequency or
    // interval (SHOW RESOURCE MONITORS prints those), quota and use as VARIANT.
    `CREATE OR REPLACE VIEW ${au}.RESOURCE_MONITORS AS SELECT
       r.name AS NAME, r.started_at AS CREATED, to_json(r.credit_quota) AS CREDIT_QUOTA, to_json(COALESCE(r.used_credits, 0)) AS USED_CREDITS,
       CAST(r.credit_quota - COALESCE(r.used_credits, 0) AS DOUBLE) AS REMAINING_CREDITS, 'HUB_ADMIN' AS OWNER,
       (SELECT string_agg(w.name, ',' ORDER BY w.name) FROM ${h}.WAREHOUSES w WHERE w.resource_monitor = r.name) AS WAREHOUSES,
       (SELECT MIN(CAST(p AS DOUBLE)) FROM unnest(string_split(COALESCE(r.notify_at, ''), ',')) t(p) WHERE p <> '') AS NOTIFY,
       r.suspend_at AS SUSPEND, r.suspend_immediate_at AS SUSPEND_IMMEDIATE, 'WAREHOUSE' AS LEVEL
     FROM ${h}.RESOURCE_MONITORS r WHERE r.started_at IS NULL OR ${arrived("RESOURCE_MONITORS", "r.started_at")}`,
    `CREATE OR REPLACE VIEW ${au}.QUERY_HISTORY AS SELECT
       query_id AS QUERY_ID, query_text AS QUERY_TEXT, warehouse_name AS WAREHOUSE_NAME, role_name AS ROLE_NAME,
       query_tag AS QUERY_TAG, start_time AS START_TIME, end_time AS END_TIME, total_elapsed_time AS TOTAL_ELAPSED_TIME,
       total_elapsed_time AS EXECUTION_TIME, execution_status AS EXECUTION_STATUS, error_code AS ERROR_CODE,
       error_message AS ERROR_MESSAGE, rows_produced AS ROWS_PRODUCED,
       CASE WHEN warehouse_name IS NULL THEN 0 ELSE ${CLOUD_SERVICES_CREDITS_PER_QUERY} END AS CREDITS_USED_CLOUD_SERVICES
     -- A query is in the view once it has finished, and the view's latency after that.
     FROM ${h}.QUERY_HISTORY WHERE ${arrived("QUERY_HISTORY", "COALESCE(end_time, TIMESTAMP 'infinity')")}`,
    // https://docs.snowflake.com/en/sql-reference/account-usage/task_history: every documented
    // column, in order. What the engine does not record is a typed NULL: the task's SQL and WHEN
    // text, Snowflake's internal ids, the query id (a run is several statements here), graph
    // version, SCHEDULED_FROM, the hashes. RUN_ID is as documented, the root's scheduled time in
    // epoch milliseconds (children carry their root's), not the engine's run counter, which
    // restarts with each open. ATTEMPT_NUMBER is 1: the twin never retries a run. Only completed
    // runs: "the view does not return SCHEDULED or EXECUTING task runs".
    `CREATE OR REPLACE VIEW ${au}.TASK_HISTORY AS SELECT
       ${bareName("name")} AS NAME, CAST(NULL AS VARCHAR) AS QUERY_TEXT, CAST(NULL AS VARCHAR) AS CONDITION_TEXT,
       ${schemaName("name")} AS SCHEMA_NAME, CAST(NULL AS BIGINT) AS TASK_SCHEMA_ID, '${DATABASE_NAME}' AS DATABASE_NAME,
       CAST(NULL AS BIGINT) AS TASK_DATABASE_ID, scheduled_time AS SCHEDULED_TIME, completed_time AS COMPLETED_TIME, state AS STATE,
       CAST(NULL AS VARCHAR) AS RETURN_VALUE, CAST(NULL AS VARCHAR) AS QUERY_ID, query_start_time AS QUERY_START_TIME,
       error_code AS ERROR_CODE, error_message AS ERROR_MESSAGE, CAST(NULL AS BIGINT) AS GRAPH_VERSION,
       epoch_ms(scheduled_time) AS RUN_ID, CAST(NULL AS VARCHAR) AS ROOT_TASK_ID, CAST(NULL AS VARCHAR) AS SCHEDULED_FROM,
       CAST(1 AS BIGINT) AS ATTEMPT_NUMBER, CAST(NULL AS BIGINT) AS INSTANCE_ID, CAST(NULL AS VARCHAR) AS CONFIG,
       CAST(NULL AS VARCHAR) AS QUERY_HASH, CAST(NULL AS BIGINT) AS QUERY_HASH_VERSION, CAST(NULL AS VARCHAR) AS QUERY_PARAMETERIZED_HASH,
       CAST(NULL AS BIGINT) AS QUERY_PARAMETERIZED_HASH_VERSION, CAST(NULL AS VARCHAR) AS GRAPH_RUN_GROUP_ID,
       CAST(NULL AS JSON) AS BACKFILL_INFO, CAST(NULL AS BIGINT) AS SPCS_JOB_ID
     FROM ${h}.TASK_HISTORY
     WHERE state IN ('SUCCEEDED', 'FAILED', 'CANCELLED', 'SKIPPED') AND ${arrived("TASK_HISTORY", "completed_time")}`,
    // https://docs.snowflake.com/en/sql-reference/account-usage/dynamic_table_refresh_history: every
    // documented column, in order. DATA_TIMESTAMP is the refresh's start, which the engine stamps
    // as the table's data timestamp (dynamicTableRefresh.ts). STATISTICS has the two counts the
    // engine keeps, for successful refreshes only (a failed one's has timings alone, which the
    // engine does not split). NULL: ids, state code, query id, the completion target and target
    // lag at the time of the refresh (the engine keeps only the current lag), dependencies,
    // reinitialisation reason, graph history.
    `CREATE OR REPLACE VIEW ${au}.DYNAMIC_TABLE_REFRESH_HISTORY AS SELECT
       ${bareName("name")} AS NAME, ${schemaName("name")} AS SCHEMA_NAME, '${DATABASE_NAME}' AS DATABASE_NAME,
       CAST(NULL AS BIGINT) AS ID, CAST(NULL AS BIGINT) AS SCHEMA_ID, CAST(NULL AS BIGINT) AS DATABASE_ID,
       state AS STATE, CAST(NULL AS VARCHAR) AS STATE_CODE, error_message AS STATE_MESSAGE, CAST(NULL AS VARCHAR) AS QUERY_ID,
       refresh_start_time AS DATA_TIMESTAMP, refresh_start_time AS REFRESH_START_TIME, refresh_end_time AS REFRESH_END_TIME,
       CAST(NULL AS TIMESTAMP) AS COMPLETION_TARGET, '${DATABASE_NAME}.' || name AS QUALIFIED_NAME,
       CAST(NULL AS JSON) AS LAST_COMPLETED_DEPENDENCY,
       CASE WHEN state = 'SUCCEEDED' THEN json_object('numInsertedRows', rows_inserted, 'numDeletedRows', rows_deleted) END AS STATISTICS,
       refresh_action AS REFRESH_ACTION, CAST(NULL AS VARCHAR) AS REINIT_REASON, refresh_trigger AS REFRESH_TRIGGER,
       CAST(NULL AS BIGINT) AS TARGET_LAG_SEC, CAST(NULL AS TIMESTAMP) AS GRAPH_HISTORY_VALID_FROM
     FROM ${h}.DYNAMIC_TABLE_REFRESH_HISTORY WHERE ${arrived("DYNAMIC_TABLE_REFRESH_HISTORY", "refresh_end_time")}`,
  ];
}
