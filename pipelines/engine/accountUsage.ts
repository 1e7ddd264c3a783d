/**
 * The billing twin's tables under the names Snowflake gives them: a `SNOWFLAKE` catalog with an
 * `ACCOUNT_USAGE` schema of views over HUB_LOCAL, with Snowflake's column names
 * (https://docs.snowflake.com/en/sql-reference/account-usage), so a cost query written for
 * `SNOWFLAKE.ACCOUNT_USAGE.*` runs unchanged on either. Admin sessions only: tenant sessions cannot
 * reach another catalog.
 */
import { CONTROL_SCHEMA } from "./controlTables.ts";
import { CLOUD_SERVICES_CREDITS_PER_QUERY, CLOUD_SERVICES_FREE_SHARE } from "./billingTwin.ts";

export const ACCOUNT_USAGE_CATALOG = "snowflake";

export function accountUsageStatements(data: string): string[] {
  const h = `${data}.${CONTROL_SCHEMA}`;
  const au = `${ACCOUNT_USAGE_CATALOG}.ACCOUNT_USAGE`;
  return [
    `ATTACH IF NOT EXISTS ':memory:' AS ${ACCOUNT_USAGE_CATALOG}`,
    `CREATE SCHEMA IF NOT EXISTS ${au}`,
    `CREATE OR REPLACE VIEW ${au}.WAREHOUSE_METERING_HISTORY AS SELECT
       start_time AS START_TIME, start_time + INTERVAL 1 HOUR AS END_TIME, hash(warehouse_name) AS WAREHOUSE_ID,
       warehouse_name AS WAREHOUSE_NAME, credits_used_compute + credits_used_cloud_services AS CREDITS_USED,
       credits_used_compute AS CREDITS_USED_COMPUTE, credits_used_cloud_services AS CREDITS_USED_CLOUD_SERVICES
     FROM ${h}.WAREHOUSE_METERING`,
    `CREATE OR REPLACE VIEW ${au}.WAREHOUSE_EVENTS_HISTORY AS SELECT
       "timestamp" AS "TIMESTAMP", hash(warehouse_name) AS WAREHOUSE_ID, warehouse_name AS WAREHOUSE_NAME, 1 AS CLUSTER_NUMBER,
       event_name AS EVENT_NAME, event_reason AS EVENT_REASON, event_state AS EVENT_STATE,
       CAST(NULL AS VARCHAR) AS USER_NAME, CAST(NULL AS VARCHAR) AS ROLE_NAME, CAST(NULL AS VARCHAR) AS QUERY_ID
     FROM ${h}.WAREHOUSE_EVENTS_HISTORY`,
    // Cloud services are billed only above 10 % of the day's compute
    // (https://docs.snowflake.com/en/user-guide/cost-understanding-compute#understanding-billing-for-cloud-services-usage).
    `CREATE OR REPLACE VIEW ${au}.METERING_DAILY_HISTORY AS SELECT
       'WAREHOUSE_METERING' AS SERVICE_TYPE, CAST(start_time AS DATE) AS USAGE_DATE,
       SUM(credits_used_compute) AS CREDITS_USED_COMPUTE, SUM(credits_used_cloud_services) AS CREDITS_USED_CLOUD_SERVICES,
       SUM(credits_used_compute) + SUM(credits_used_cloud_services) AS CREDITS_USED,
       -LEAST(SUM(credits_used_cloud_services), ${CLOUD_SERVICES_FREE_SHARE} * SUM(credits_used_compute)) AS CREDITS_ADJUSTMENT_CLOUD_SERVICES,
       SUM(credits_used_compute) + SUM(credits_used_cloud_services)
         - LEAST(SUM(credits_used_cloud_services), ${CLOUD_SERVICES_FREE_SHARE} * SUM(credits_used_compute)) AS CREDITS_BILLED
     FROM ${h}.WAREHOUSE_METERING GROUP BY CAST(start_time AS DATE)`,
    `CREATE OR REPLACE VIEW ${au}.RESOURCE_MONITORS AS SELECT
       name AS NAME, credit_quota AS CREDIT_QUOTA, used_credits AS USED_CREDITS, credit_quota - COALESCE(used_credits, 0) AS REMAINING_CREDITS,
       'WAREHOUSE' AS LEVEL, frequency AS FREQUENCY, interval_start AS START_TIME, interval_end AS END_TIME,
       notify_at AS NOTIFY_AT, suspend_at AS SUSPEND_AT, suspend_immediate_at AS SUSPEND_IMMEDIATE_AT,
       started_at AS CREATED, 'HUB_ADMIN' AS OWNER, CAST(NULL AS VARCHAR) AS COMMENT
     FROM ${h}.RESOURCE_MONITORS`,
    `CREATE OR REPLACE VIEW ${au}.QUERY_HISTORY AS SELECT
       query_id AS QUERY_ID, query_text AS QUERY_TEXT, warehouse_name AS WAREHOUSE_NAME, role_name AS ROLE_NAME,
       query_tag AS QUERY_TAG, start_time AS START_TIME, end_time AS END_TIME, total_elapsed_time AS TOTAL_ELAPSED_TIME,
       total_elapsed_time AS EXECUTION_TIME, execution_status AS EXECUTION_STATUS, error_code AS ERROR_CODE,
       error_message AS ERROR_MESSAGE, rows_produced AS ROWS_PRODUCED,
       CASE WHEN warehouse_name IS NULL THEN 0 ELSE ${CLOUD_SERVICES_CREDITS_PER_QUERY} END AS CREDITS_USED_CLOUD_SERVICES
     FROM ${h}.QUERY_HISTORY`,
  ];
}
