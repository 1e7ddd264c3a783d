/**
 * The task DAG: validate → normalise/dedupe → score → alerts. The root runs every minute when a
 * RAW stream has data; each child runs after its parent succeeded. Each task's statements run in
 * one transaction, so a stream is consumed exactly when the task's work commits. Validate and
 * normalise each read RAW through a stream of their own: no staging table between them.
 */
import type { Dialect } from "../dialect/index.ts";
import { readingUnitsSql, scanReasonSql } from "../quality/validationSql.ts";
import type { TaskDef } from "./types.ts";
import { TRANSFORM_WH } from "./warehouses.ts";
import { ML_STREAM_NAMES, modelBreachesInsertSql } from "./ml.ts";

/**
 * Device messages (production's Firehose landing) → one RAW row per reading. A reading without a
 * UTC timestamp or a sequence number, or a message whose tenant does not match its topic, goes to
 * quarantine with the reason; the rest lands for the validate task.
 */
function expandedReadingsSql(d: Dialect): string {
  const m = "x.message";
  const v = d.flattenValue("r");
  const ts = d.jsonGetText(v, "ts");
  const tenant = d.jsonGetText(m, "tenant_id");
  const topic = d.jsonGetText(m, "topic");
  const parsedTs = d.tryToTimestamp(`REPLACE(${ts}, 'Z', '')`);
  const reason =
    `CASE WHEN ${tenant} IS NULL OR ${d.jsonGetText(m, "device_id")} IS NULL OR ${d.jsonGetText(m, "site_id")} IS NULL THEN 'tenant_id, site_id and device_id are required' ` +
    `WHEN ${topic} IS NOT NULL AND SPLIT_PART(${topic}, '/', 3) <> ${tenant} THEN 'tenant_id ' || ${tenant} || ' does not match the topic ' || ${topic} ` +
    `WHEN ${ts} IS NULL OR RIGHT(${ts}, 1) <> 'Z' OR ${parsedTs} IS NULL THEN 'readings[].ts = ' || COALESCE(${ts}, 'null') || ' is not a UTC ISO 8601 time' ` +
    `WHEN ${d.jsonGetNumber(v, "seq")} IS NULL THEN 'readings[].seq is missing or not a number' END`;
  return `SELECT ${tenant} AS tenant_id, ${d.jsonGetText(m, "site_id")} AS site_id, ${d.jsonGetText(m, "device_id")} AS device_id,
  UPPER(${d.jsonGetText(m, "sensor_type")}) AS sensor_type, ${parsedTs} AS ts,
  CAST(${d.jsonGetNumber(v, "seq")} AS BIGINT) AS seq, ${d.jsonGetText(m, "message_id")} AS message_id, ${v} AS payload,
  ${topic} AS channel, ${reason} AS reason
FROM RAW.DEVICE_MESSAGES_STREAM x, ${d.flattenArray(d.jsonGet(m, "readings"), "r")}`;
}

export const EXPAND_DEVICE_MESSAGES: TaskDef = {
  kind: "task",
  schema: "OPS",
  name: "EXPAND_DEVICE_MESSAGES",
  comment: "Turn device messages landed by Firehose into readings; refuse malformed ones to quarantine.",
  warehouse: TRANSFORM_WH.name,
  schedule: "1 MINUTE",
  whenStreamHasData: ["RAW.DEVICE_MESSAGES_STREAM"],
  consumes: ["RAW.DEVICE_MESSAGES_STREAM"],
  body: (d: Dialect) => [
    `INSERT INTO RAW.QUARANTINE (tenant_id, source, received_at, reason, raw, device_id, metric)
SELECT tenant_id, 'expand', ${d.now()}, reason, payload, device_id, NULL FROM (${expandedReadingsSql(d)}) e WHERE reason IS NOT NULL`,
    `INSERT INTO RAW.SENSOR_READINGS (tenant_id, site_id, device_id, sensor_type, ts, seq, message_id, payload, channel, channel_offset, ingested_at, source)
SELECT tenant_id, site_id, device_id, sensor_type, ts, seq, message_id, payload, channel, NULL, ${d.now()}, 'iot' FROM (${expandedReadingsSql(d)}) e WHERE reason IS NULL`,
  ],
};

/** This run's refused metrics (read by two statements; never written to durable storage). */
const refusedMetrics = (d: Dialect) =>
  d.materialize("VALIDATE_REFUSED", `SELECT * FROM (${readingUnitsSql(d, "RAW.SENSOR_READINGS_STREAM", "CORE.METRIC_RULES")}) u WHERE reason IS NOT NULL`);

export const VALIDATE_READINGS: TaskDef = {
  kind: "task",
  schema: "OPS",
  name: "VALIDATE_READINGS",
  comment: "Judge new readings and scans: refused metrics and scans to quarantine with the reason, and counted.",
  warehouse: TRANSFORM_WH.name,
  schedule: "1 MINUTE",
  // The ML streams wake the graph too, so model scores reach the alerts without new readings.
  whenStreamHasData: ["RAW.SENSOR_READINGS_STREAM", "RAW.JOB_SCANS_STREAM", ...ML_STREAM_NAMES],
  consumes: ["RAW.SENSOR_READINGS_STREAM", "RAW.JOB_SCANS_STREAM"],
  body: (d: Dialect) => {
    const refused = refusedMetrics(d);
    return [
      ...refused.create,
      `INSERT INTO RAW.QUARANTINE (tenant_id, source, received_at, reason, raw, device_id, metric)
SELECT tenant_id, 'validate', ${d.now()}, reason, raw, device_id, metric FROM ${refused.ref}`,
      `INSERT INTO OPS.DATA_QUALITY_LOG (run_at, step, tenant_id, units_in, quarantined, normalized, duplicates)
SELECT ${d.now()}, 'validate', tenant_id, COUNT(*), COUNT(*), 0, 0 FROM ${refused.ref} GROUP BY tenant_id`,
      ...refused.drop,
      `INSERT INTO RAW.QUARANTINE (tenant_id, source, received_at, reason, raw, device_id, metric)
SELECT s.tenant_id, 'validate', ${d.now()}, ${scanReasonSql(d, "s")},
  ${d.jsonObject([["job_id", "s.job_id"], ["station", "s.station"], ["scan_ts", "CAST(s.scan_ts AS VARCHAR)"], ["site_id", "s.site_id"]])}, s.job_id, NULL
FROM RAW.JOB_SCANS_STREAM s WHERE (${scanReasonSql(d, "s")}) IS NOT NULL`,
      `INSERT INTO OPS.DATA_QUALITY_LOG (run_at, step, tenant_id, units_in, quarantined, normalized, duplicates)
SELECT ${d.now()}, 'validate_scans', s.tenant_id, COUNT(*), COUNT(${scanReasonSql(d, "s")}), COUNT(*) - COUNT(${scanReasonSql(d, "s")}), 0
FROM RAW.JOB_SCANS_STREAM s GROUP BY s.tenant_id`,
    ];
  },
};

/**
 * The good metrics of the normalise stream's readings, each marked new (first of its key in the
 * batch and not yet in silver) or not. The readings are judged again by the same SQL as in
 * validate — deterministic, as it judges against ingested_at — which costs far less than writing
 * every metric to a staging table and reading it back.
 */
function dedupedBatchSql(d: Dialect): string {
  const stream = "RAW.SENSOR_READINGS_NORMALIZE_STREAM";
  return `SELECT v.tenant_id, v.site_id, v.device_id, v.sensor_type, v.ts, v.seq, v.metric, v.value, v.value_text,
  v.quality_score, v.ingested_at, v.source, CASE WHEN v.rn = 1 AND n.seq IS NULL THEN 1 ELSE 0 END AS is_new
FROM (SELECT u.tenant_id, u.site_id, u.device_id, u.sensor_type, u.ts, u.seq, u.metric, u.value, u.value_text, u.quality_score,
        u.ingested_at, u.source,
        ROW_NUMBER() OVER (PARTITION BY u.tenant_id, u.device_id, u.seq, u.metric ORDER BY u.ingested_at, u.ts) AS rn
      FROM (${readingUnitsSql(d, stream, "CORE.METRIC_RULES")}) u WHERE u.reason IS NULL) v
-- A redelivery is the same reading, so it has the same ts: matching on ts as well bounds the look
-- into silver to the batch's time range (silver is inserted in time order, so the rest is skipped)
-- instead of a join that grows with the table.
LEFT JOIN (SELECT tenant_id, device_id, seq, metric, ts FROM CORE.SENSOR_READINGS_NORMALIZED
           WHERE ts >= (SELECT MIN(ts) FROM ${stream}) AND ts <= (SELECT MAX(ts) FROM ${stream})) n
  ON n.tenant_id = v.tenant_id AND n.device_id = v.device_id AND n.seq = v.seq AND n.metric = v.metric AND n.ts = v.ts`;
}

export const NORMALIZE_READINGS: TaskDef = {
  kind: "task",
  schema: "OPS",
  name: "NORMALIZE_READINGS",
  comment: "Good metrics of new readings to silver, dropping duplicates of (tenant, device, seq, metric) and counting them.",
  warehouse: TRANSFORM_WH.name,
  after: ["OPS.VALIDATE_READINGS"],
  // Its own stream on RAW (validate has another): each task takes every reading exactly once.
  consumes: ["RAW.SENSOR_READINGS_NORMALIZE_STREAM"],
  body: (d: Dialect) => {
    const batch = d.materialize("NORMALIZE_BATCH", dedupedBatchSql(d));
    return [
      ...batch.create,
      `INSERT INTO OPS.DATA_QUALITY_LOG (run_at, step, tenant_id, units_in, quarantined, normalized, duplicates)
SELECT ${d.now()}, 'normalize', tenant_id, COUNT(*), 0, SUM(is_new), COUNT(*) - SUM(is_new) FROM ${batch.ref} GROUP BY tenant_id`,
      `INSERT INTO CORE.SENSOR_READINGS_NORMALIZED (tenant_id, site_id, device_id, sensor_type, ts, seq, metric, value, value_text, quality_score, ingested_at, source)
SELECT tenant_id, site_id, device_id, sensor_type, ts, seq, metric, value, value_text, quality_score, ingested_at, source
FROM ${batch.ref} WHERE is_new = 1
-- Inserted in time order: keeps silver clustered by time, so time-bounded refreshes skip old data.
ORDER BY ts`,
      ...batch.drop,
    ];
  },
};

export const SCORE_READINGS: TaskDef = {
  kind: "task",
  schema: "OPS",
  name: "SCORE_READINGS",
  comment: "Evaluate the threshold rules on new silver metrics, and take flagged ML scores; breaches get a score.",
  warehouse: TRANSFORM_WH.name,
  after: ["OPS.NORMALIZE_READINGS"],
  consumes: ["CORE.SENSOR_READINGS_NORMALIZED_STREAM", ...ML_STREAM_NAMES],
  body: (d: Dialect) => [
    `INSERT INTO CORE.RULE_BREACHES (tenant_id, site_id, device_id, sensor_type, ts, seq, metric, value, value_text, rule_id, severity, threshold, score, scored_at)
SELECT n.tenant_id, n.site_id, n.device_id, n.sensor_type, n.ts, n.seq, n.metric, n.value, n.value_text, r.rule_id, r.severity, r.threshold,
  CASE r.comparison WHEN '>' THEN n.value / NULLIF(r.threshold, 0) WHEN '<' THEN r.threshold / NULLIF(n.value, 0) ELSE 1.0 END,
  ${d.now()}
FROM CORE.SENSOR_READINGS_NORMALIZED_STREAM n JOIN OPS.ALERT_RULES r ON r.sensor_type = n.sensor_type AND r.metric = n.metric
WHERE (r.comparison = '>' AND n.value > r.threshold) OR (r.comparison = '<' AND n.value < r.threshold)
   OR (r.comparison = '=' AND n.value_text = r.match_text)`,
    modelBreachesInsertSql(d),
  ],
};

export const RAISE_ALERTS: TaskDef = {
  kind: "task",
  schema: "OPS",
  name: "RAISE_ALERTS",
  comment: "Notify once per (tenant, device, rule, hour) when new breaches arrive.",
  warehouse: TRANSFORM_WH.name,
  after: ["OPS.SCORE_READINGS"],
  consumes: ["CORE.RULE_BREACHES_STREAM"],
  body: (d: Dialect) => [
    `INSERT INTO OPS.ALERT_NOTIFICATIONS (tenant_id, site_id, device_id, rule_id, severity, window_start, first_ts, worst_score, message, raised_at)
SELECT b.tenant_id, ANY_VALUE(b.site_id), b.device_id, b.rule_id, ANY_VALUE(b.severity), DATE_TRUNC('hour', b.ts), MIN(b.ts), MAX(b.score),
  b.rule_id || ' on ' || b.device_id || ' at ' || CAST(MIN(b.ts) AS VARCHAR) || ' (' || CAST(COUNT(*) AS VARCHAR) || ' breaching readings)',
  ${d.now()}
FROM CORE.RULE_BREACHES_STREAM b
WHERE NOT EXISTS (SELECT 1 FROM OPS.ALERT_NOTIFICATIONS a WHERE a.tenant_id = b.tenant_id AND a.device_id = b.device_id
  AND a.rule_id = b.rule_id AND a.window_start = DATE_TRUNC('hour', b.ts))
GROUP BY b.tenant_id, b.device_id, b.rule_id, DATE_TRUNC('hour', b.ts)`,
  ],
};

export const TASK_DAG: readonly TaskDef[] = [EXPAND_DEVICE_MESSAGES, VALIDATE_READINGS, NORMALIZE_READINGS, SCORE_READINGS, RAISE_ALERTS];
