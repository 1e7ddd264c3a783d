/**
 * The task DAG: validate and normalise → score → alerts. The root runs every minute when a RAW
 * stream has data; each child runs after its parent succeeded. Each task's statements run in one
 * transaction, so a stream is consumed exactly when the task's work commits. Validation and
 * normalisation are one task: each metric is flattened out of its JSON payload and judged once, then
 * refused metrics go to quarantine and good ones to silver from the same judged batch (judging is
 * most of the warehouse's work per reading; two tasks judged every metric twice).
 */
import type { ColumnType, Dialect } from "../dialect/index.ts";
import { quarantineReasonSql, readingUnitsSql, scanReasonSql } from "../quality/validationSql.ts";
import type { TaskDef } from "./types.ts";
import { TRANSFORM_WH } from "./warehouses.ts";
import { ML_STREAM_NAMES, MODEL_RULE_IDS, modelBreachesInsertSql } from "./ml.ts";
import { MAX_RULE_DURATION_S, RULE_DURATION_GRACE_S } from "./alerting.ts";

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

/**
 * Every metric of the new readings, judged (`reason` NULL when good), each marked new or not.
 * Silver deduplicates readings on (tenant, device, seq) (ARCHITECTURE.md, delivery semantics): a
 * reading is new when it is the first of its key in the batch and not yet in silver, and each of
 * its metrics inherits that — deciding per reading keeps the window and the look into silver ~9×
 * smaller than per metric.
 */
function judgedBatchSql(d: Dialect): string {
  const stream = "RAW.SENSOR_READINGS_STREAM";
  const readings = `(SELECT s.*,
    CASE WHEN ROW_NUMBER() OVER (PARTITION BY s.tenant_id, s.device_id, s.seq ORDER BY s.ingested_at, s.ts) = 1
      AND NOT EXISTS (
        -- A redelivery is the same reading, so it has the same ts: matching on ts as well bounds the
        -- look into silver to the batch's time range (each run's rows fill row groups of its own
        -- time range, so the rest is skipped) instead of a probe that grows with the table.
        SELECT 1 FROM CORE.SENSOR_READINGS_NORMALIZED n
        WHERE n.ts >= (SELECT MIN(ts) FROM ${stream}) AND n.ts <= (SELECT MAX(ts) FROM ${stream})
          AND n.tenant_id = s.tenant_id AND n.device_id = s.device_id AND n.seq = s.seq AND n.ts = s.ts)
    THEN 1 ELSE 0 END AS is_new
  FROM ${stream} s)`;
  return readingUnitsSql(d, readings, "CORE.METRIC_RULES", ["is_new"]);
}

/** The judged units' columns, in the order judgedBatchSql gives them (readingUnitsSql's, `is_new` carried). */
const JUDGED_UNIT_COLUMNS: ReadonlyArray<{ name: string; type: ColumnType }> = [
  { name: "tenant_id", type: "varchar" }, { name: "site_id", type: "varchar" }, { name: "device_id", type: "varchar" },
  { name: "sensor_type", type: "varchar" }, { name: "ts", type: "timestamp" }, { name: "seq", type: "bigint" },
  { name: "ingested_at", type: "timestamp" }, { name: "source", type: "varchar" }, { name: "is_new", type: "bigint" },
  { name: "metric", type: "varchar" }, { name: "value", type: "double" }, { name: "value_text", type: "varchar" },
  { name: "reason", type: "varchar" }, { name: "quality_score", type: "double" }, { name: "raw", type: "json" },
];

/**
 * The run's judged units, computed once and read by the four statements that route them (quarantine,
 * two quality-log lines, silver): on both targets a temporary table (Dialect.materialize). Before,
 * Snowflake inlined the judgement in each of the four, judging every metric four times a run.
 */
export function judgedUnits(d: Dialect) {
  return d.materialize({ schema: "OPS", name: "READING_UNITS" }, JUDGED_UNIT_COLUMNS, judgedBatchSql(d));
}

export const VALIDATE_READINGS: TaskDef = {
  kind: "task",
  schema: "OPS",
  name: "VALIDATE_READINGS",
  comment:
    "Judge new readings and scans: refused metrics and scans to quarantine with the reason; good metrics to silver, " +
    "dropping redelivered readings (tenant, device, seq); everything counted.",
  warehouse: TRANSFORM_WH.name,
  schedule: "1 MINUTE",
  // The ML streams wake the graph too, so model scores reach the alerts without new readings.
  whenStreamHasData: ["RAW.SENSOR_READINGS_STREAM", "RAW.JOB_SCANS_STREAM", ...ML_STREAM_NAMES],
  consumes: ["RAW.SENSOR_READINGS_STREAM", "RAW.JOB_SCANS_STREAM"],
  setup: (d: Dialect) => judgedUnits(d).setup,
  body: (d: Dialect) => {
    const units = judgedUnits(d);
    return [
      ...units.create,
      // The reason gets its value here, for the refused units only (quarantineReasonSql).
      `INSERT INTO RAW.QUARANTINE (tenant_id, source, received_at, reason, raw, device_id, metric)
SELECT u.tenant_id, 'validate', ${d.now()}, ${quarantineReasonSql(d, "u")}, u.raw, u.device_id, u.metric FROM ${units.ref} u WHERE u.reason IS NOT NULL`,
      `INSERT INTO OPS.DATA_QUALITY_LOG (run_at, step, tenant_id, units_in, quarantined, normalized, duplicates)
SELECT ${d.now()}, 'validate', tenant_id, COUNT(*), COUNT(*), 0, 0 FROM ${units.ref} WHERE reason IS NOT NULL GROUP BY tenant_id`,
      `INSERT INTO OPS.DATA_QUALITY_LOG (run_at, step, tenant_id, units_in, quarantined, normalized, duplicates)
SELECT ${d.now()}, 'normalize', tenant_id, COUNT(*), 0, SUM(is_new), COUNT(*) - SUM(is_new) FROM ${units.ref} WHERE reason IS NULL GROUP BY tenant_id`,
      `INSERT INTO CORE.SENSOR_READINGS_NORMALIZED (tenant_id, site_id, device_id, sensor_type, ts, seq, metric, value, value_text, quality_score, ingested_at, source)
SELECT tenant_id, site_id, device_id, sensor_type, ts, seq, metric, value, value_text, quality_score, ingested_at, source
FROM ${units.ref} WHERE reason IS NULL AND is_new = 1`,
      // No ORDER BY: a run's rows fill one or two row groups whose time range is the batch's, which
      // is what lets time-bounded refreshes and the redelivery probe skip older data; sorting inside
      // the batch doubled the insert's cost and bought nothing more.
      ...units.drop,
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

/** A reading `n` breaches rule `r` (`>` / `<` against its threshold, `=` against its match_text); NULL when it cannot tell. */
function ruleBreachedSql(n: string, r: string): string {
  return `((${r}.comparison = '>' AND ${n}.value > ${r}.threshold) OR (${r}.comparison = '<' AND ${n}.value < ${r}.threshold) OR (${r}.comparison = '=' AND ${n}.value_text = ${r}.match_text))`;
}

export const SCORE_READINGS: TaskDef = {
  kind: "task",
  schema: "OPS",
  name: "SCORE_READINGS",
  comment: "Evaluate the threshold rules on new silver metrics, and take flagged ML scores; breaches get a score.",
  warehouse: TRANSFORM_WH.name,
  after: ["OPS.VALIDATE_READINGS"],
  consumes: ["CORE.SENSOR_READINGS_NORMALIZED_STREAM", ...ML_STREAM_NAMES],
  body: (d: Dialect) => [
    `INSERT INTO CORE.RULE_BREACHES (tenant_id, site_id, device_id, sensor_type, ts, seq, metric, value, value_text, rule_id, severity, threshold, score, scored_at)
SELECT n.tenant_id, n.site_id, n.device_id, n.sensor_type, n.ts, n.seq, n.metric, n.value, n.value_text, r.rule_id, r.severity, r.threshold,
  CASE r.comparison WHEN '>' THEN n.value / NULLIF(r.threshold, 0) WHEN '<' THEN r.threshold / NULLIF(n.value, 0) ELSE 1.0 END,
  ${d.now()}
FROM CORE.SENSOR_READINGS_NORMALIZED_STREAM n JOIN OPS.ALERT_RULES r ON r.sensor_type = n.sensor_type AND r.metric = n.metric
WHERE ${ruleBreachedSql("n", "r")}`,
    modelBreachesInsertSql(d),
  ],
};

/**
 * The breaching runs of the metrics that rules with a minimum duration watch, around the breaches in
 * the stream: one row per silver reading of such a (tenant, device, rule), with `hit` (the reading
 * breaches the rule) and `run_start` (when the run of consecutive breaching readings it belongs to
 * began). A reading that does not breach, or a gap of more than RULE_DURATION_GRACE_S between two
 * readings, ends a run. A breach has lasted `min_duration_s` when its ts is that far past its run's
 * start; a run that began before the look-back began more than MAX_RULE_DURATION_S earlier, so it
 * has lasted long enough for any rule.
 *
 * One pass over the readings (two window functions), instead of a look back per breach: a machine
 * DOWN for hours has thousands of breaches a tick, and looking back from each of them was most of
 * the alert task's time.
 */
function breachRunsSql(d: Dialect): string {
  const stream = "CORE.RULE_BREACHES_STREAM";
  // The stream's breaches of rules with a minimum duration; none: bounds that select nothing.
  const timed = `${stream} s JOIN OPS.ALERT_RULES r ON r.rule_id = s.rule_id WHERE r.min_duration_s IS NOT NULL`;
  const from = d.addTime("second", `-${MAX_RULE_DURATION_S + RULE_DURATION_GRACE_S}`, `COALESCE((SELECT MIN(s.ts) FROM ${timed}), ${d.timestampLiteral("9999-01-01T00:00:00Z")})`);
  const until = `COALESCE((SELECT MAX(s.ts) FROM ${timed}), ${d.timestampLiteral("1970-01-01T00:00:00Z")})`;
  // The metric IN (...) below is implied by the join; stated, it becomes a filter in the scan of
  // silver (DuckDB), which otherwise probes the join with every metric's rows of the look-back.
  const byRun = "PARTITION BY x.tenant_id, x.device_id, x.rule_id ORDER BY x.ts, x.seq";
  return `SELECT y.tenant_id, y.device_id, y.rule_id, y.seq, y.ts, y.hit,
  MAX(y.run_from) OVER (PARTITION BY y.tenant_id, y.device_id, y.rule_id ORDER BY y.ts, y.seq ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS run_start
FROM (SELECT x.*, CASE WHEN x.hit AND NOT (COALESCE(LAG(x.hit) OVER (${byRun}), FALSE)
    AND ${d.secondsBetween(`LAG(x.ts) OVER (${byRun})`, "x.ts")} <= ${RULE_DURATION_GRACE_S}) THEN x.ts END AS run_from
  FROM (SELECT t.tenant_id, t.device_id, t.rule_id, n.seq, n.ts, COALESCE(${ruleBreachedSql("n", "t")}, FALSE) AS hit
    FROM CORE.SENSOR_READINGS_NORMALIZED n
    JOIN (SELECT DISTINCT s.tenant_id, s.device_id, s.metric, r.rule_id, r.comparison, r.threshold, r.match_text FROM ${timed}) t
      ON n.tenant_id = t.tenant_id AND n.device_id = t.device_id AND n.metric = t.metric
    WHERE n.ts >= ${from} AND n.ts <= ${until}
      AND n.metric IN (SELECT metric FROM OPS.ALERT_RULES WHERE min_duration_s IS NOT NULL)) x) y`;
}

export const RAISE_ALERTS: TaskDef = {
  kind: "task",
  schema: "OPS",
  name: "RAISE_ALERTS",
  comment: "Notify once per (tenant, device, rule, hour) when new breaches arrive (for a rule with a minimum duration, once the breach has lasted that long).",
  warehouse: TRANSFORM_WH.name,
  after: ["OPS.SCORE_READINGS"],
  consumes: ["CORE.RULE_BREACHES_STREAM"],
  body: (d: Dialect) => [
    `INSERT INTO OPS.ALERT_NOTIFICATIONS (tenant_id, site_id, device_id, rule_id, severity, window_start, first_ts, worst_score, message, raised_at)
SELECT b.tenant_id, ANY_VALUE(b.site_id), b.device_id, b.rule_id, ANY_VALUE(b.severity), DATE_TRUNC('hour', b.ts), MIN(b.ts), MAX(b.score),
  b.rule_id || ' on ' || b.device_id || ' at ' || CAST(MIN(b.ts) AS VARCHAR) || ' (' || CAST(COUNT(*) AS VARCHAR) || ' breaching readings)'
    || COALESCE(': ' || MIN(CASE WHEN b.rule_id = '${MODEL_RULE_IDS.dwell}' THEN b.value_text END), '')
    || COALESCE('; lasting at least ' || CAST(CAST(MAX(b.min_duration_s) AS BIGINT) AS VARCHAR) || ' s', ''),
  ${d.now()}
FROM (SELECT s.*, r.min_duration_s FROM CORE.RULE_BREACHES_STREAM s LEFT JOIN OPS.ALERT_RULES r ON r.rule_id = s.rule_id) b
LEFT JOIN (${breachRunsSql(d)}) l
  ON l.hit AND l.tenant_id = b.tenant_id AND l.device_id = b.device_id AND l.rule_id = b.rule_id AND l.seq = b.seq AND l.ts = b.ts
WHERE (b.min_duration_s IS NULL OR ${d.secondsBetween("l.run_start", "b.ts")} >= b.min_duration_s)
  AND NOT EXISTS (SELECT 1 FROM OPS.ALERT_NOTIFICATIONS a WHERE a.tenant_id = b.tenant_id AND a.device_id = b.device_id
  AND a.rule_id = b.rule_id AND a.window_start = DATE_TRUNC('hour', b.ts))
GROUP BY b.tenant_id, b.device_id, b.rule_id, DATE_TRUNC('hour', b.ts)`,
  ],
};

export const TASK_DAG: readonly TaskDef[] = [EXPAND_DEVICE_MESSAGES, VALIDATE_READINGS, SCORE_READINGS, RAISE_ALERTS];
