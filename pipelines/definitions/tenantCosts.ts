/**
 * What each tenant costs, as rows the tenant may read (issue 23: the portal's cost page in
 * production). The account's metering is SNOWFLAKE.ACCOUNT_USAGE, which no tenant role may read
 * (grants.ts, accountUsageReadableBy); a step with the reporting privileges runs the cost report's
 * own allocation (pipelines/cost/costReport.ts) and appends its figures here, one snapshot per run,
 * each row under the tenant's id so the row access policy gives every tenant its own rows only.
 *
 * Append-only: a run adds a snapshot (all its rows carry one `computed_at`), readers take the
 * newest, and the older ones are the history of the month's projection. One snapshot is a row per
 * warehouse the tenant was charged on: its own warehouses (with quota, burn and triggers) and its
 * allocated share of the shared ones (quota fields NULL).
 */
import { col, type TableDef } from "./types.ts";

export const TENANT_COSTS: TableDef = {
  kind: "table",
  schema: "OPS",
  name: "TENANT_COSTS",
  comment: "Each tenant's credits and money this month per warehouse, against its quota, with trigger dates fired and projected: snapshots of the cost report.",
  appendOnly: true,
  columns: [
    col("tenant_id", "varchar", "tenant charged", { nullable: false, cardinality: "low" }),
    col("computed_at", "timestamp", "when the snapshot was computed, UTC (the newest is current)", { nullable: false }),
    col("period_from", "timestamp", "start of the period (the month's first instant), UTC", { nullable: false }),
    col("period_to", "timestamp", "end of the measured period: where the usage views are complete (ACCOUNT_USAGE lags up to 3 hours), UTC", { nullable: false }),
    col("currency", "varchar", "ISO 4217 code of every money figure", { nullable: false, cardinality: "low" }),
    col("price_per_credit", "double", "money per credit", { nullable: false }),
    col("warehouse", "varchar", "warehouse the credits were used on", { nullable: false, cardinality: "low" }),
    col("own_warehouse", "boolean", "the tenant's own warehouse (its quota is measured on it), not a shared one", { nullable: false }),
    col("monitor", "varchar", "the resource monitor on it, NULL for none"),
    col("credits", "double", "credits allocated to the tenant on this warehouse in the period", { nullable: false }),
    col("money", "double", "credits times price_per_credit", { nullable: false }),
    col("quota_credits", "double", "the monitor's credit quota per interval; NULL for a shared warehouse or none"),
    col("quota_money", "double", "quota_credits times price_per_credit"),
    col("pct_of_quota", "double", "credits the monitor counted this interval, % of its quota"),
    col("burn_per_hour", "double", "credits per hour over the last metered 24 hours"),
    col("triggers", "varchar", "JSON array of the monitor's triggers: {percent, action, firedAt, projectedAt} (ISO times or null)"),
  ],
};
