/**
 * The cost report's SQL. It reads only SNOWFLAKE.ACCOUNT_USAGE views and uses only functions both
 * engines share, so the same text runs on Snowflake and on the embedded twin's same-shaped views.
 * The tenant comes from QUERY_TAG (`{"tenant":"acme","job":"..."}`, see formatQueryTag), read with
 * SPLIT_PART because the engines' JSON functions differ.
 */

/** The ACCOUNT_USAGE views the report's SQL reads: its data is complete where all of theirs is (accountUsageViews.ts). */
export const COST_REPORT_VIEWS = ["QUERY_HISTORY", "WAREHOUSE_METERING_HISTORY", "METERING_DAILY_HISTORY"] as const;

/** Bind a period: ISO timestamps, inlined as literals both engines read. */
function period(from: Date, to: Date, column: string): string {
  const lit = (d: Date) => `'${d.toISOString().replace("T", " ").replace("Z", "")}'`;
  return `${column} >= CAST(${lit(from)} AS TIMESTAMP) AND ${column} < CAST(${lit(to)} AS TIMESTAMP)`;
}

/** Who is charged for a query on a shared warehouse whose tag names no tenant: the platform itself (shared pipeline work). */
export const PLATFORM_TENANT = "(platform)";
const TENANT = `COALESCE(NULLIF(SPLIT_PART(SPLIT_PART(QUERY_TAG, '"tenant":"', 2), '"', 1), ''), '${PLATFORM_TENANT}')`;
const JOB = `COALESCE(NULLIF(SPLIT_PART(SPLIT_PART(QUERY_TAG, '"job":"', 2), '"', 1), ''), '(ad hoc)')`;

/**
 * A sum of credits that does not depend on the order rows arrive in. A SUM of doubles does: both
 * engines aggregate in parallel, and the same rows summed in another order differ in the last bit,
 * so one period's report could differ between two runs on the same data. Each part is rounded to
 * 12 decimals (finer than the meter's NUMBER(38,9)) and summed exactly as a decimal.
 */
const exactSum = (column: string) => `SUM(CAST(${column} AS DECIMAL(38, 12)))`;

/**
 * One pass over QUERY_HISTORY and the meter gives the three tables the report needs, told apart
 * by `kind` (one statement: the query log is read once, and the CTE is shared):
 * - `alloc`: compute credits per warehouse and tenant. Each hour's metered credits are split by
 *   the tenants' share of query time in that hour; an hour without queries (idle, billed while
 *   waiting to auto-suspend) is split by the tenants' shares over the whole period on that
 *   warehouse. The parts of every hour add up to its metered credits.
 * - `driver`: the same credits per warehouse, tenant and job (task, refresh, ad hoc).
 * - `busy`: query seconds per warehouse, for the idle share.
 */
export function usageSql(from: Date, to: Date, warehouseOwners: ReadonlyMap<string, string> = new Map()): string {
  // A tenant's own warehouse is that tenant's to pay for, whatever ran there and however it was
  // tagged: a BI tool or a person's session sets no tag. The query tag decides on shared ones.
  const owners = [...warehouseOwners].sort(([a], [b]) => a.localeCompare(b));
  const lit = (v: string) => `'${v.replaceAll("'", "''")}'`;
  const ownerCte = owners.length ? `owner AS (
  SELECT * FROM (VALUES ${owners.map(([w, t]) => `(${lit(w)}, ${lit(t)})`).join(", ")}) AS o (warehouse, tenant)
), ` : "";
  const tenant = owners.length ? `COALESCE(ow.tenant, ${TENANT.replaceAll("QUERY_TAG", "q0.tag")})` : TENANT.replaceAll("QUERY_TAG", "q0.tag");
  return `WITH ${ownerCte}q0 AS (
  SELECT WAREHOUSE_NAME AS warehouse, DATE_TRUNC('hour', START_TIME) AS hour, QUERY_TAG AS tag, SUM(EXECUTION_TIME) AS exec_ms, COUNT(*) AS queries
  FROM SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY
  WHERE WAREHOUSE_NAME IS NOT NULL AND ${period(from, to, "START_TIME")}
  GROUP BY 1, 2, 3
), q AS (
  SELECT q0.warehouse, q0.hour, ${tenant} AS tenant, ${JOB.replaceAll("QUERY_TAG", "q0.tag")} AS job, SUM(q0.exec_ms) AS exec_ms, SUM(q0.queries) AS queries
  FROM q0${owners.length ? " LEFT JOIN owner ow ON ow.warehouse = q0.warehouse" : ""} GROUP BY 1, 2, 3, 4
), hour_total AS (
  SELECT warehouse, hour, SUM(exec_ms) AS total_ms FROM q GROUP BY 1, 2
), period_share AS (
  SELECT warehouse, tenant, SUM(exec_ms) / NULLIF(SUM(SUM(exec_ms)) OVER (PARTITION BY warehouse), 0) AS share FROM q GROUP BY 1, 2
), m AS (
  SELECT WAREHOUSE_NAME AS warehouse, START_TIME AS hour, CREDITS_USED_COMPUTE AS credits
  FROM SNOWFLAKE.ACCOUNT_USAGE.WAREHOUSE_METERING_HISTORY WHERE ${period(from, to, "START_TIME")}
), busy_credits AS (
  SELECT q.warehouse, q.tenant, q.job, m.credits * q.exec_ms / NULLIF(t.total_ms, 0) AS credits, q.queries
  FROM q JOIN hour_total t ON t.warehouse = q.warehouse AND t.hour = q.hour JOIN m ON m.warehouse = q.warehouse AND m.hour = q.hour
), idle_credits AS (
  SELECT m.warehouse, COALESCE(p.tenant, '(unallocated)') AS tenant, m.credits * COALESCE(p.share, 1) AS credits
  FROM m LEFT JOIN period_share p ON p.warehouse = m.warehouse
  WHERE NOT EXISTS (SELECT 1 FROM hour_total b WHERE b.warehouse = m.warehouse AND b.hour = m.hour)
)
SELECT 'alloc' AS kind, warehouse, tenant, CAST(NULL AS VARCHAR) AS job, ${exactSum("credits")} AS credits, CAST(NULL AS DOUBLE) AS queries
FROM (SELECT warehouse, tenant, credits FROM busy_credits UNION ALL SELECT warehouse, tenant, credits FROM idle_credits) a GROUP BY 2, 3
UNION ALL
SELECT 'driver', warehouse, tenant, job, ${exactSum("credits")}, SUM(queries) FROM busy_credits GROUP BY 2, 3, 4
UNION ALL
SELECT 'busy', warehouse, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), SUM(exec_ms) / 1000.0, SUM(queries) FROM q GROUP BY 2`;
}

/**
 * Metered credits per warehouse and time bucket: hours for short periods, days for long ones (a
 * year of hours for hundreds of warehouses is millions of rows the report does not need).
 */
export function meteringSql(from: Date, to: Date, bucket: "hour" | "day"): string {
  return `SELECT WAREHOUSE_NAME AS warehouse, DATE_TRUNC('${bucket}', START_TIME) AS hour, ${exactSum("CREDITS_USED_COMPUTE")} AS compute,
  ${exactSum("CREDITS_USED_CLOUD_SERVICES")} AS cloud
FROM SNOWFLAKE.ACCOUNT_USAGE.WAREHOUSE_METERING_HISTORY WHERE ${period(from, to, "START_TIME")} GROUP BY 1, 2 ORDER BY 1, 2`;
}

/** Credits per day and SERVICE_TYPE (warehouse metering, serverless tasks, clustering, ...). */
export function dailySql(from: Date, to: Date): string {
  return `SELECT SERVICE_TYPE AS service_type, USAGE_DATE AS usage_date, CREDITS_USED_COMPUTE AS compute, CREDITS_USED_CLOUD_SERVICES AS cloud,
  CREDITS_ADJUSTMENT_CLOUD_SERVICES AS adjustment, CREDITS_BILLED AS billed
FROM SNOWFLAKE.ACCOUNT_USAGE.METERING_DAILY_HISTORY
WHERE USAGE_DATE >= CAST('${from.toISOString().slice(0, 10)}' AS DATE) AND USAGE_DATE < CAST('${to.toISOString().slice(0, 10)}' AS DATE) + 1
ORDER BY 2, 1`;
}
