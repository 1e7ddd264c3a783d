/**
 * The warehouse half of data quality: SQL that judges each landed reading metric and each scan,
 * producing a reason (NULL when good) that names the field and the value. The ingest half
 * (`payloadSchemas.ts`) refuses what cannot even be landed; both read `metricRules.ts`.
 *
 * Timestamps are judged against `ingested_at`, not the clock, so that a dynamic table can apply
 * the same test deterministically.
 */
import type { Dialect } from "../dialect/index.ts";
import { QUALITY_PENALTIES, SENSOR_TYPES, TIMESTAMP_LIMITS, rulesFor } from "./metricRules.ts";

function text(expr: string): string {
  return `CAST(${expr} AS VARCHAR)`;
}

/** Reason a reading's timestamp is refused, or NULL. `r` is the reading alias. */
export function timestampReasonSql(d: Dialect, tsCol: string, ingestedCol: string): string {
  const ahead = d.secondsBetween(ingestedCol, tsCol);
  const age = d.secondsBetween(tsCol, ingestedCol);
  return (
    `CASE WHEN ${ahead} > ${TIMESTAMP_LIMITS.maxFutureSeconds} THEN ` +
    `'${tsColName(tsCol)} ' || ${text(tsCol)} || ' is more than ${TIMESTAMP_LIMITS.maxFutureSeconds} s ahead of ingested_at ' || ${text(ingestedCol)} ` +
    `WHEN ${age} > ${TIMESTAMP_LIMITS.maxAgeSeconds} THEN ` +
    `'${tsColName(tsCol)} ' || ${text(tsCol)} || ' is more than ${TIMESTAMP_LIMITS.maxAgeSeconds} s older than ingested_at ' || ${text(ingestedCol)} END`
  );
}

function tsColName(qualified: string): string {
  return qualified.split(".").pop()!;
}

const SENSOR_TYPE_LIST = SENSOR_TYPES.join("|");

/**
 * The units one batch of readings splits into: one row per (reading, known metric), plus one row
 * for a reading with no known metric at all. Every unit ends in exactly one of normalised,
 * quarantined or duplicate, which is what the reconciliation counts.
 *
 * `from` is the relation holding new readings (the stream), `rules` the metric rules table. Each
 * expression is computed once, in layers, because this runs on every landed metric.
 */
export function readingUnitsSql(d: Dialect, from: string, rules: string, carry: readonly string[] = []): string {
  const metricReason =
    `CASE WHEN kind = 'number' AND NOT v_is_number THEN 'payload.metrics.' || metric || ' = ' || COALESCE(v_text, 'null') || ' is not a number' ` +
    `WHEN kind = 'number' AND NOT ${d.isFinite("v_num")} THEN 'payload.metrics.' || metric || ' = ' || v_text || ' is not finite' ` +
    `WHEN kind = 'number' AND (v_num < min_value OR v_num > max_value) THEN ` +
    `'payload.metrics.' || metric || ' = ' || v_text || ' is outside [' || ${text("min_value")} || ', ' || ${text("max_value")} || ']' ` +
    `WHEN kind = 'text' AND (NOT v_is_string OR POSITION('|' || v_text || '|' IN '|' || allowed_values || '|') = 0) THEN ` +
    `'payload.metrics.' || metric || ' = ' || COALESCE(v_text, 'null') || ' is not one of ' || allowed_values END`;
  const late = `${d.secondsBetween("ts", "ingested_at")} > ${TIMESTAMP_LIMITS.lateAfterSeconds}`;
  const outsideSoft = `kind = 'number' AND (v_num < soft_min OR v_num > soft_max)`;
  const quality =
    `(1.0 - CASE WHEN ${outsideSoft} THEN ${QUALITY_PENALTIES.outsideSoftRange} ELSE 0 END ` +
    `- CASE WHEN ${late} THEN ${QUALITY_PENALTIES.late} ELSE 0 END)`;
  // `carry`: further columns of `from` each unit keeps (e.g. a reading-level flag).
  // What silver and the quarantine keep of a reading (message_id is neither's: leaving it out of
  // each of a step's ~215k units saved ~4 % of the validate query).
  const ids = ["tenant_id", "site_id", "device_id", "sensor_type", "ts", "seq", "ingested_at", "source", ...carry].join(", ");
  const knownByType = SENSOR_TYPES.map(
    (t) => `WHEN ${d.literal(t)} THEN ${d.parsedHasAnyKey("r.metrics_obj", rulesFor(t).map((m) => m.metric))}`,
  ).join(" ");
  const idList = ids.split(", ");
  // The metrics object is parsed once per reading (r), then read by the flatten and by `bare`.
  return `WITH r AS (SELECT x.*, ${d.parseObject(d.jsonGet("x.payload", "metrics"))} AS metrics_obj FROM ${from} x),
e AS (${d.flattenParsedRows("r", idList, "metrics_obj")}),
f AS (
  SELECT ${idList.map((c) => `e.${c}`).join(", ")},
    m.metric, m.kind, m.min_value, m.max_value, m.soft_min, m.soft_max, m.allowed_values, e.value AS v
  FROM e JOIN ${rules} m ON m.sensor_type = e.sensor_type AND m.metric = e.key
),
t AS (SELECT f.*, ${d.parsedValueText("v")} AS v_text, ${d.parsedValueIsNumber("v")} AS v_is_number, ${d.parsedValueIsString("v")} AS v_is_string FROM f),
n AS (SELECT t.*, CASE WHEN v_is_number THEN ${d.tryToDouble("v_text")} END AS v_num FROM t),
judged AS (
  SELECT n.*, COALESCE(${timestampReasonSql(d, "ts", "ingested_at")}, ${metricReason}) AS reason, ${quality} AS quality_score FROM n
),
units AS (
  SELECT ${ids}, metric, CASE WHEN kind = 'number' THEN v_num END AS value, CASE WHEN kind = 'text' THEN v_text END AS value_text,
    reason, quality_score, CASE WHEN reason IS NOT NULL THEN ${d.jsonObject([["metric", "metric"], ["value", "v"]])} END AS raw
  FROM judged
),
bare AS (
  SELECT r.tenant_id, r.site_id, r.device_id, r.sensor_type, r.ts, r.seq, r.ingested_at, r.source,${carry.map((c) => ` r.${c},`).join("")}
    CAST(NULL AS VARCHAR) AS metric, CAST(NULL AS DOUBLE) AS value, CAST(NULL AS VARCHAR) AS value_text,
    CASE WHEN r.sensor_type IS NULL OR POSITION('|' || r.sensor_type || '|' IN '|${SENSOR_TYPE_LIST}|') = 0 THEN
      'sensor_type ' || COALESCE('''' || r.sensor_type || '''', 'null') || ' is not one of ${SENSOR_TYPE_LIST}'
    WHEN r.metrics_obj IS NULL THEN 'payload.metrics is missing or not an object'
    ELSE 'payload.metrics has no known metric for sensor_type ' || r.sensor_type END AS reason,
    0.0 AS quality_score,
    r.payload AS raw
  FROM r
  -- A reading none of whose keys the rules know; decided from the keys alone, without a join.
  WHERE NOT (CASE r.sensor_type ${knownByType} ELSE FALSE END)
)
SELECT * FROM units UNION ALL SELECT * FROM bare`;
}

/** Reason a scan is refused, or NULL. `s` is the scan alias. */
export function scanReasonSql(d: Dialect, s: string): string {
  return (
    `CASE WHEN ${s}.station IS NULL OR TRIM(${s}.station) = '' THEN 'station is empty' ` +
    `WHEN ${s}.job_id IS NULL OR TRIM(${s}.job_id) = '' THEN 'job_id is empty' ` +
    `ELSE ${timestampReasonSql(d, `${s}.scan_ts`, `${s}.ingested_at`)} END`
  );
}
