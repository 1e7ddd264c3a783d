/**
 * The cost report's SQL. It reads only SNOWFLAKE.ACCOUNT_USAGE views and uses only functions both
 * engines share, so the same text runs on Snowflake and on the embedded twin's same-shaped views.
 * The tenant comes from QUERY_TAG (`{"tenant":"acme","job":"..."}`, see formatQueryTag), read with
 * SPLIT_PART because the engines' JSON functions differ.
 */

/** Bind a period: ISO timestamps, inlined as literals both engines read. */
function period(from: Date, to: Date, column: string): string {
  const lit = (d: Date) => `'${d.toISOString().replace("T", " ").replace("Z", "")}'`;
  return `${column} >= CAST(${lit(from)} AS TIMESTAMP) AND ${column} < CAST(${lit(to)} AS TIMESTAMP)`;
}

const TENANT = `COALESCE(NULLIF(SPLIT_PART(SPLIT_PART(QUERY_TAG, '"tenant":"', 2), '"', 1), ''), '(platform)')`;
const JOB = `COALESCE(NULLIF(SPLIT_PART(SPLIT_PART(QUERY_TAG, '"job":"', 2), '"', 1), ''), '(ad hoc)')`;

/**
 * Compute credits per warehouse, hour and tenant: each hour's metered credits split by the
 * tenants' share of query time in that hour; an hour without queries (idle, billed while waiting
 * to auto-suspend) is split by the tenants' shares over the whole period on that warehouse. The
 * parts of every hour add up to its metered credits.
 */
export function allocationSql(from: Date, to: Date): string {
  return `WITH q AS (
  SELECT WAREHOUSE_NAME AS warehouse, DATE_TRUNC('hour', START_TIME) AS hour, ${TENANT} AS tenant, SUM(EXECUTION_TIME) AS exec_ms
  FROM SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY
  WHERE WAREHOUSE_NAME IS NOT NULL AND ${period(from, to, "START_TIME")}
  GROUP BY 1, 2, 3
), hour_share AS (
  SELECT warehouse, hour, tenant, exec_ms / NULLIF(SUM(exec_ms) OVER (PARTITION BY warehouse, hour), 0) AS share FROM q
), period_share AS (
  SELECT warehouse, tenant, SUM(exec_ms) / NULLIF(SUM(SUM(exec_ms)) OVER (PARTITION BY warehouse), 0) AS share FROM q GROUP BY 1, 2
), m AS (
  SELECT WAREHOUSE_NAME AS warehouse, START_TIME AS hour, CREDITS_USED_COMPUTE AS credits
  FROM SNOWFLAKE.ACCOUNT_USAGE.WAREHOUSE_METERING_HISTORY WHERE ${period(from, to, "START_TIME")}
), busy AS (SELECT DISTINCT warehouse, hour FROM hour_share)
SELECT m.warehouse, m.hour, h.tenant, m.credits * h.share AS credits, 'query share' AS basis
FROM m JOIN hour_share h ON h.warehouse = m.warehouse AND h.hour = m.hour
UNION ALL
SELECT m.warehouse, m.hour, COALESCE(p.tenant, '(unallocated)'), m.credits * COALESCE(p.share, 1), 'idle, period share'
FROM m LEFT JOIN period_share p ON p.warehouse = m.warehouse
WHERE NOT EXISTS (SELECT 1 FROM busy b WHERE b.warehouse = m.warehouse AND b.hour = m.hour)`;
}

/** Per warehouse: billed seconds (from credits and size) vs query seconds, for the idle share. */
export function busySecondsSql(from: Date, to: Date): string {
  return `SELECT WAREHOUSE_NAME AS warehouse, SUM(EXECUTION_TIME) / 1000.0 AS busy_s, COUNT(*) AS queries
FROM SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY
WHERE WAREHOUSE_NAME IS NOT NULL AND ${period(from, to, "START_TIME")}
GROUP BY 1`;
}

/** Top cost drivers: credits by (warehouse, tenant, job) with the same query-share rule per hour. */
export function driversSql(from: Date, to: Date): string {
  return `WITH q AS (
  SELECT WAREHOUSE_NAME AS warehouse, DATE_TRUNC('hour', START_TIME) AS hour, ${TENANT} AS tenant, ${JOB} AS job,
    SUM(EXECUTION_TIME) AS exec_ms, COUNT(*) AS queries
  FROM SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY
  WHERE WAREHOUSE_NAME IS NOT NULL AND ${period(from, to, "START_TIME")}
  GROUP BY 1, 2, 3, 4
), m AS (
  SELECT WAREHOUSE_NAME AS warehouse, START_TIME AS hour, CREDITS_USED_COMPUTE AS credits
  FROM SNOWFLAKE.ACCOUNT_USAGE.WAREHOUSE_METERING_HISTORY WHERE ${period(from, to, "START_TIME")}
)
SELECT q.warehouse, q.tenant, q.job, SUM(m.credits * q.exec_ms / NULLIF(t.total_ms, 0)) AS credits, SUM(q.queries) AS queries
FROM q JOIN (SELECT warehouse, hour, SUM(exec_ms) AS total_ms FROM q GROUP BY 1, 2) t ON t.warehouse = q.warehouse AND t.hour = q.hour
JOIN m ON m.warehouse = q.warehouse AND m.hour = q.hour
GROUP BY 1, 2, 3
ORDER BY credits DESC`;
}

/** Metered credits per warehouse and hour (the series the chart and projections use). */
export function meteringSql(from: Date, to: Date): string {
  return `SELECT WAREHOUSE_NAME AS warehouse, START_TIME AS hour, CREDITS_USED_COMPUTE AS compute, CREDITS_USED_CLOUD_SERVICES AS cloud
FROM SNOWFLAKE.ACCOUNT_USAGE.WAREHOUSE_METERING_HISTORY WHERE ${period(from, to, "START_TIME")} ORDER BY 1, 2`;
}

export function dailySql(from: Date, to: Date): string {
  return `SELECT USAGE_DATE AS usage_date, CREDITS_USED_COMPUTE AS compute, CREDITS_USED_CLOUD_SERVICES AS cloud,
  CREDITS_ADJUSTMENT_CLOUD_SERVICES AS adjustment, CREDITS_BILLED AS billed
FROM SNOWFLAKE.ACCOUNT_USAGE.METERING_DAILY_HISTORY
WHERE USAGE_DATE >= CAST('${from.toISOString().slice(0, 10)}' AS DATE) AND USAGE_DATE < CAST('${to.toISOString().slice(0, 10)}' AS DATE) + 1
ORDER BY 1`;
}

export const MONITORS_SQL = `SELECT NAME AS name, CREDIT_QUOTA AS credit_quota, USED_CREDITS AS used_credits, FREQUENCY AS frequency,
  START_TIME AS start_time, END_TIME AS end_time, NOTIFY_AT AS notify_at, SUSPEND_AT AS suspend_at, SUSPEND_IMMEDIATE_AT AS suspend_immediate_at
FROM SNOWFLAKE.ACCOUNT_USAGE.RESOURCE_MONITORS`;
