/**
 * Silver: validated, one row per metric, deduplicated. Written by the task DAG (`tasks.ts`), plus
 * the station visits derived from scans.
 */
import { col, INCREMENTAL, type DynamicTableDef, type StreamDef, type TableDef, andScope } from "./types.ts";
import { METRIC_RULES } from "../quality/metricRules.ts";
import { scanReasonSql } from "../quality/validationSql.ts";
import type { Dialect } from "../dialect/index.ts";
import type { QueryScope } from "./types.ts";
import { ANALYTICS_WH } from "./warehouses.ts";

export const METRIC_RULES_TABLE: TableDef = {
  kind: "table",
  schema: "CORE",
  name: "METRIC_RULES",
  comment: "The metric catalogue per sensor type, with hard and soft ranges (from pipelines/quality/metricRules.ts).",
  columns: [
    col("sensor_type", "varchar", "sensor type", { nullable: false }),
    col("metric", "varchar", "metric key in payload.metrics", { nullable: false }),
    col("kind", "varchar", "number | text", { nullable: false }),
    col("unit", "varchar", "unit of a numeric metric"),
    col("min_value", "double", "below: quarantined"),
    col("max_value", "double", "above: quarantined"),
    col("min_text", "varchar", "min_value as reasons show it (JavaScript's number text, as the ingest writes it)"),
    col("max_text", "varchar", "max_value as reasons show it"),
    col("soft_min", "double", "below: kept with a lower quality score"),
    col("soft_max", "double", "above: kept with a lower quality score"),
    col("allowed_values", "varchar", "|-separated values of a text metric"),
    col("required", "boolean", "the payload schema requires it", { nullable: false }),
  ],
  seed: () =>
    METRIC_RULES.map((r) => ({
      sensor_type: r.sensorType,
      metric: r.metric,
      kind: r.kind,
      unit: r.kind === "number" ? r.unit : null,
      min_value: r.kind === "number" ? r.min : null,
      max_value: r.kind === "number" ? r.max : null,
      // The ingest's words for a range (payloadSchemas.metricSchema: `[${rule.min}, ${rule.max}]`),
      // written once here rather than formatted in SQL for every refused unit.
      min_text: r.kind === "number" ? String(r.min) : null,
      max_text: r.kind === "number" ? String(r.max) : null,
      soft_min: r.kind === "number" ? r.softMin : null,
      soft_max: r.kind === "number" ? r.softMax : null,
      allowed_values: r.kind === "text" ? r.allowed.join("|") : null,
      required: r.required,
    })),
};

const readingIdColumns = [
  col("tenant_id", "varchar", "tenant", { nullable: false, cardinality: "low" }),
  col("site_id", "varchar", "site", { nullable: false, cardinality: "low" }),
  col("device_id", "varchar", "device", { nullable: false, cardinality: "low" }),
  col("sensor_type", "varchar", "MACHINE | ENERGY | AIR_QUALITY", { cardinality: "low" }),
  col("ts", "timestamp", "reading time, UTC", { nullable: false }),
  col("seq", "bigint", "device reading sequence number", { nullable: false }),
];

export const SENSOR_READINGS_NORMALIZED: TableDef = {
  kind: "table",
  schema: "CORE",
  name: "SENSOR_READINGS_NORMALIZED",
  comment: "One row per reading metric, validated and deduplicated on (tenant, device, seq, metric).",
  appendOnly: true,
  clusterBy: ["tenant_id", "sensor_type", "DATE_TRUNC('hour', ts)"],
  columns: [
    ...readingIdColumns,
    col("metric", "varchar", "metric key", { nullable: false, cardinality: "low" }),
    col("value", "double", "numeric value"),
    col("value_text", "varchar", "text value (machine state)", { cardinality: "low" }),
    col("quality_score", "double", "0..1"),
    col("ingested_at", "timestamp", "landing time"),
    col("source", "varchar", "ingest path", { cardinality: "low" }),
  ],
};

export const SENSOR_READINGS_NORMALIZED_STREAM: StreamDef = {
  kind: "stream",
  schema: "CORE",
  name: "SENSOR_READINGS_NORMALIZED_STREAM",
  comment: "New normalised metrics for the score task.",
  on: "CORE.SENSOR_READINGS_NORMALIZED",
  appendOnly: true,
};

export const DATA_QUALITY_LOG: TableDef = {
  kind: "table",
  schema: "OPS",
  name: "DATA_QUALITY_LOG",
  comment: "Per task run and tenant: units seen and where they went; reconciles raw with silver.",
  appendOnly: true,
  columns: [
    col("run_at", "timestamp", "task run time", { nullable: false }),
    col("step", "varchar", "validate | normalize | validate_scans", { nullable: false }),
    col("tenant_id", "varchar", "tenant"),
    col("units_in", "bigint", "units the step read"),
    col("quarantined", "bigint", "units sent to quarantine"),
    col("normalized", "bigint", "units written to silver"),
    col("duplicates", "bigint", "units dropped as duplicates of a (tenant, device, seq, metric) already in silver"),
  ],
};

/**
 * Station visits from scans: consecutive scans of a job at one station form one visit. A visit
 * with two or more scans (scanned in and out) ends at its last scan; a visit with one scan ends
 * when the job is scanned at its next station; the last visit of a job with one scan is open.
 */
export function stationVisitsSql(d: Dialect, scope: QueryScope): string {
  return `WITH s AS (
  SELECT src.tenant_id, src.site_id, src.job_id, src.product_id, src.product_variant, src.station, src.scan_ts, src.operator_id,
    LAG(src.station) OVER (PARTITION BY src.tenant_id, src.job_id ORDER BY src.scan_ts) AS prev_station
  FROM RAW.JOB_SCANS src
  WHERE (${scanReasonSql(d, "src")}) IS NULL${andScope(scope, "src")}
), runs AS (
  SELECT s.*, SUM(CASE WHEN s.prev_station = s.station THEN 0 ELSE 1 END)
    OVER (PARTITION BY s.tenant_id, s.job_id ORDER BY s.scan_ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS visit_no
  FROM s
), v AS (
  -- MIN, not ANY_VALUE: a visit is one station by construction and the scans of a job carry one site
  -- and product, so both give the same value; ANY_VALUE (non-deterministic) would keep Snowflake from
  -- refreshing the tables that read this incrementally.
  SELECT tenant_id, job_id, visit_no, MIN(site_id) AS site_id, MIN(product_id) AS product_id,
    MIN(product_variant) AS product_variant, MIN(station) AS station,
    MIN(scan_ts) AS enter_ts, MAX(scan_ts) AS last_scan_ts, COUNT(*) AS scans, MAX_BY(operator_id, scan_ts) AS operator_id
  FROM runs GROUP BY tenant_id, job_id, visit_no
)
SELECT tenant_id, site_id, job_id, product_id, product_variant, station, visit_no, enter_ts,
  COALESCE(CASE WHEN scans > 1 THEN last_scan_ts END,
    LEAD(enter_ts) OVER (PARTITION BY tenant_id, job_id ORDER BY visit_no)) AS leave_ts,
  ${d.secondsBetween("enter_ts", `COALESCE(CASE WHEN scans > 1 THEN last_scan_ts END, LEAD(enter_ts) OVER (PARTITION BY tenant_id, job_id ORDER BY visit_no))`)} AS duration_s,
  scans, operator_id
FROM v`;
}

export const JOB_STATION_VISITS: DynamicTableDef = {
  kind: "dynamic_table",
  refreshMode: INCREMENTAL,
  schema: "CORE",
  name: "JOB_STATION_VISITS",
  comment: "One row per job visit to a station: enter, leave, duration.",
  targetLag: "1 minute",
  warehouse: ANALYTICS_WH.name,
  dependsOn: ["RAW.JOB_SCANS"],
  incremental: {
    source: "RAW.JOB_SCANS",
    keys: [
      { column: "tenant_id", sourceExpr: (_d, a) => `${a}.tenant_id` },
      { column: "job_id", sourceExpr: (_d, a) => `${a}.job_id` },
    ],
  },
  columns: [
    col("tenant_id", "varchar", "tenant"),
    col("site_id", "varchar", "site"),
    col("job_id", "varchar", "job"),
    col("product_id", "varchar", "product"),
    col("product_variant", "varchar", "variant"),
    col("station", "varchar", "station"),
    col("visit_no", "bigint", "1-based visit number within the job"),
    col("enter_ts", "timestamp", "first scan at the station"),
    col("leave_ts", "timestamp", "last scan, or the next station's first scan; NULL while open"),
    col("duration_s", "double", "seconds at the station; NULL while open"),
    col("scans", "bigint", "scans in the visit"),
    col("operator_id", "varchar", "operator at the last scan (masked)", { pii: true }),
  ],
  query: stationVisitsSql,
};
