/**
 * The ML tables the retraining flow fills and the alert task reads (issue 5; ARCHITECTURE.md
 * "ML contract"). Output columns carry Snowflake Cortex's names (FORECAST: ts, forecast,
 * lower_bound, upper_bound; DETECT_ANOMALIES adds y, is_anomaly, percentile, distance), so a Cortex
 * model class or the hub's own trainers fill the same tables. Cortex functions are not valid inside
 * a dynamic table (seed correction): scoring runs in the retraining flow and writes these tables.
 *
 * Each row says which model version scored it and when. ANOMALIES and STREAM_SCORES are append-only
 * (a stream each feeds the model-alert task); FORECASTS and SEGMENTS are replaced per tenant and
 * series on each scoring run.
 */
import type { Dialect } from "../dialect/index.ts";
import { col, type ColumnDef, type StreamDef, type TableDef } from "./types.ts";

const scoredBy: ColumnDef[] = [
  col("model_version", "bigint", "registry version of the model that scored the row", { nullable: false }),
  col("algorithm", "varchar", "the model's algorithm"),
  col("scored_at", "timestamp", "when the scoring run wrote the row", { nullable: false }),
];

export const ML_FORECASTS: TableDef = {
  kind: "table",
  schema: "ML",
  name: "FORECASTS",
  comment: "Forecasts per tenant and series from the champion forecaster (Cortex FORECAST columns).",
  columns: [
    col("tenant_id", "varchar", "tenant", { nullable: false }),
    col("series_id", "varchar", "series, `<metric>:<device>` (e.g. kwh:acme-plant-1-em-01)", { nullable: false }),
    col("ts", "timestamp", "forecast hour, UTC", { nullable: false }),
    col("forecast", "double", "point forecast"),
    col("lower_bound", "double", "lower end of the prediction interval"),
    col("upper_bound", "double", "upper end of the prediction interval"),
    ...scoredBy,
  ],
};

export const ML_ANOMALIES: TableDef = {
  kind: "table",
  schema: "ML",
  name: "ANOMALIES",
  comment: "Scored points per tenant and series from the champion anomaly model (Cortex DETECT_ANOMALIES columns).",
  appendOnly: true,
  columns: [
    col("tenant_id", "varchar", "tenant", { nullable: false }),
    col("series_id", "varchar", "series, `<metric>:<device>` (e.g. utilization:acme-plant-1-m-001)", { nullable: false }),
    col("ts", "timestamp", "hour scored, UTC", { nullable: false }),
    col("y", "double", "observed value"),
    col("forecast", "double", "expected value"),
    col("lower_bound", "double", "lower end of the expected interval"),
    col("upper_bound", "double", "upper end of the expected interval"),
    col("is_anomaly", "boolean", "y falls outside [lower_bound, upper_bound]", { nullable: false }),
    col("percentile", "double", "where y falls in the predictive distribution, 0..1"),
    col("distance", "double", "distance from the forecast in units of the predictive spread"),
    ...scoredBy,
  ],
};

export const ML_SEGMENTS: TableDef = {
  kind: "table",
  schema: "ML",
  name: "SEGMENTS",
  comment: "Segment of each machine from the champion segmentation (k-means on its hourly KPI profile).",
  columns: [
    col("tenant_id", "varchar", "tenant", { nullable: false }),
    col("series_id", "varchar", "what was segmented, `machine:<machine_id>`", { nullable: false }),
    col("segment", "bigint", "segment number, 0..k-1", { nullable: false }),
    col("features", "json", "the feature values it was assigned on"),
    ...scoredBy,
  ],
};

export const ML_STREAM_SCORES: TableDef = {
  kind: "table",
  schema: "ML",
  name: "STREAM_SCORES",
  comment: "Per machine reading: the approved streaming detector's score (stream scoring step).",
  appendOnly: true,
  columns: [
    col("tenant_id", "varchar", "tenant", { nullable: false }),
    col("site_id", "varchar", "site"),
    col("device_id", "varchar", "machine", { nullable: false }),
    col("ts", "timestamp", "reading time", { nullable: false }),
    col("seq", "bigint", "reading sequence number (the scorer's watermark per device)", { nullable: false }),
    col("features", "json", "the feature vector scored, by name"),
    col("score", "double", "anomaly score, higher is more anomalous"),
    col("is_anomaly", "boolean", "score past the detector's threshold", { nullable: false }),
    ...scoredBy,
  ],
};

export const ML_ANOMALIES_STREAM: StreamDef = {
  kind: "stream",
  schema: "ML",
  name: "ANOMALIES_STREAM",
  comment: "New scored points for the model-alert task.",
  on: "ML.ANOMALIES",
  appendOnly: true,
};

export const ML_STREAM_SCORES_STREAM: StreamDef = {
  kind: "stream",
  schema: "ML",
  name: "STREAM_SCORES_STREAM",
  comment: "New streaming scores for the model-alert task.",
  on: "ML.STREAM_SCORES",
  appendOnly: true,
};

/** Rule ids model alerts carry in CORE.RULE_BREACHES / ANALYTICS.ALERTS (source MODEL). */
export const MODEL_RULE_IDS = { anomaly: "MODEL_ANOMALY", stream: "MODEL_STREAM", dwell: "MODEL_DWELL" } as const;

/**
 * Flagged rows of both ML streams, shaped as CORE.RULE_BREACHES rows (device from the series id
 * `<metric>:<device>`). A dwell-time flag (ml/streamScoring.ts) is a stay far longer than the
 * machine's: metric `state`, value the stay so far (s), threshold the stay length it is flagged at
 * (s), and value_text the sentence the alert carries ("DOWN for 26 min since …").
 */
function modelBreachesSql(d: Dialect): string {
  return `SELECT a.tenant_id, CAST(NULL AS VARCHAR) AS site_id, SPLIT_PART(a.series_id, ':', 2) AS device_id, CAST(NULL AS VARCHAR) AS sensor_type,
  a.ts, CAST(NULL AS BIGINT) AS seq, SPLIT_PART(a.series_id, ':', 1) AS metric, a.y AS value, CAST(NULL AS VARCHAR) AS value_text,
  '${MODEL_RULE_IDS.anomaly}' AS rule_id, 'WARNING' AS severity,
  CASE WHEN a.y < a.lower_bound THEN a.lower_bound ELSE a.upper_bound END AS threshold, ABS(a.distance) AS score
FROM ML.ANOMALIES_STREAM a WHERE a.is_anomaly
UNION ALL
SELECT s.tenant_id, s.site_id, s.device_id, 'MACHINE', s.ts, s.seq, 'stream_score', s.score, CAST(NULL AS VARCHAR),
  '${MODEL_RULE_IDS.stream}', 'WARNING', CAST(NULL AS DOUBLE), s.score
FROM ML.STREAM_SCORES_STREAM s WHERE s.is_anomaly AND COALESCE(s.algorithm, '') <> 'dwell_time'
UNION ALL
SELECT s.tenant_id, s.site_id, s.device_id, 'MACHINE', s.ts, s.seq, 'state', ${d.jsonGetNumber("s.features", "stay_s")}, ${d.jsonGetText("s.features", "text")},
  '${MODEL_RULE_IDS.dwell}', 'WARNING', ${d.jsonGetNumber("s.features", "threshold_s")}, s.score
FROM ML.STREAM_SCORES_STREAM s WHERE s.is_anomaly AND s.algorithm = 'dwell_time'`;
}

/**
 * Model alerts: flagged rows of both ML streams become CORE.RULE_BREACHES rows with a MODEL_* rule
 * id, so the RAISE_ALERTS task notifies once per (tenant, device, rule, hour) and ANALYTICS.ALERTS
 * shows them with source MODEL. OPS.SCORE_READINGS runs it, and the DAG's root also wakes up when
 * the ML streams have data: scores from the retraining flow or the stream scorer raise alerts
 * within a minute even when no reading arrives.
 */
export function modelBreachesInsertSql(d: Dialect): string {
  return `INSERT INTO CORE.RULE_BREACHES (tenant_id, site_id, device_id, sensor_type, ts, seq, metric, value, value_text, rule_id, severity, threshold, score, scored_at)
SELECT tenant_id, site_id, device_id, sensor_type, ts, seq, metric, value, value_text, rule_id, severity, threshold, score, ${d.now()}
FROM (${modelBreachesSql(d)}) m`;
}

export const ML_TABLES: readonly TableDef[] = [ML_FORECASTS, ML_ANOMALIES, ML_SEGMENTS, ML_STREAM_SCORES];
export const ML_STREAMS: readonly StreamDef[] = [ML_ANOMALIES_STREAM, ML_STREAM_SCORES_STREAM];
/** The ML streams the task DAG wakes on and OPS.SCORE_READINGS consumes. */
export const ML_STREAM_NAMES = ["ML.ANOMALIES_STREAM", "ML.STREAM_SCORES_STREAM"] as const;
