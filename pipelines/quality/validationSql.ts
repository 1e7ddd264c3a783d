/**
 * The warehouse half of data quality: SQL that judges each landed reading metric and each scan,
 * producing a reason (NULL when good) that names the field and the value. The ingest half
 * (`payloadSchemas.ts`) refuses what cannot even be landed; both read `metricRules.ts`.
 *
 * Timestamps are judged against `ingested_at`, not the clock, so that a dynamic table can apply
 * the same test deterministically.
 */
import type { Dialect } from "../dialect/index.ts";
import { QUALITY_PENALTIES, SENSOR_TYPES, TIMESTAMP_LIMITS } from "./metricRules.ts";

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
 * `from` is the relation holding new readings (the stream), `rules` the metric rules table.
 */
export function readingUnitsSql(d: Dialect, from: string, rules: string): string {
  const v = d.flattenValue("f");
  const num = `${d.tryToDouble(d.jsonToText(v))}`;
  const metricReason =
    `CASE WHEN m.kind = 'number' AND NOT ${d.jsonIsNumber(v)} THEN ` +
    `'payload.metrics.' || m.metric || ' = ' || COALESCE(${d.jsonToText(v)}, 'null') || ' is not a number' ` +
    `WHEN m.kind = 'number' AND NOT ${d.isFinite(num)} THEN 'payload.metrics.' || m.metric || ' = ' || ${d.jsonToText(v)} || ' is not finite' ` +
    `WHEN m.kind = 'number' AND (${num} < m.min_value OR ${num} > m.max_value) THEN ` +
    `'payload.metrics.' || m.metric || ' = ' || ${d.jsonToText(v)} || ' is outside [' || ${text("m.min_value")} || ', ' || ${text("m.max_value")} || ']' ` +
    `WHEN m.kind = 'text' AND (NOT ${d.jsonIsString(v)} OR POSITION('|' || ${d.jsonToText(v)} || '|' IN '|' || m.allowed_values || '|') = 0) THEN ` +
    `'payload.metrics.' || m.metric || ' = ' || COALESCE(${d.jsonToText(v)}, 'null') || ' is not one of ' || m.allowed_values END`;
  const late = `${d.secondsBetween("r.ts", "r.ingested_at")} > ${TIMESTAMP_LIMITS.lateAfterSeconds}`;
  const outsideSoft = `m.kind = 'number' AND (${num} < m.soft_min OR ${num} > m.soft_max)`;
  const quality =
    `(1.0 - CASE WHEN ${outsideSoft} THEN ${QUALITY_PENALTIES.outsideSoftRange} ELSE 0 END ` +
    `- CASE WHEN ${late} THEN ${QUALITY_PENALTIES.late} ELSE 0 END)`;
  const ids = `r.tenant_id, r.site_id, r.device_id, r.sensor_type, r.ts, r.seq, r.message_id, r.ingested_at, r.source`;
  return `WITH r AS (SELECT * FROM ${from}),
units AS (
  SELECT ${ids}, m.metric,
    CASE WHEN m.kind = 'number' THEN ${num} END AS value,
    CASE WHEN m.kind = 'text' THEN ${d.jsonToText(v)} END AS value_text,
    COALESCE(${timestampReasonSql(d, "r.ts", "r.ingested_at")}, ${metricReason}) AS reason,
    ${quality} AS quality_score,
    ${d.jsonObject([["metric", "m.metric"], ["value", v]])} AS raw
  FROM r, ${d.flattenObject(d.jsonGet("r.payload", "metrics"), "f")}, ${rules} m
  WHERE m.sensor_type = r.sensor_type AND m.metric = ${d.flattenKey("f")}
),
bare AS (
  SELECT ${ids}, CAST(NULL AS VARCHAR) AS metric, CAST(NULL AS DOUBLE) AS value, CAST(NULL AS VARCHAR) AS value_text,
    CASE WHEN r.sensor_type IS NULL OR POSITION('|' || r.sensor_type || '|' IN '|${SENSOR_TYPE_LIST}|') = 0 THEN
      'sensor_type ' || COALESCE('''' || r.sensor_type || '''', 'null') || ' is not one of ${SENSOR_TYPE_LIST}'
    WHEN NOT COALESCE(${d.jsonIsObject(d.jsonGet("r.payload", "metrics"))}, FALSE) THEN 'payload.metrics is missing or not an object'
    ELSE 'payload.metrics has no known metric for sensor_type ' || r.sensor_type END AS reason,
    0.0 AS quality_score,
    r.payload AS raw
  FROM r
  WHERE NOT EXISTS (SELECT 1 FROM units u WHERE u.tenant_id = r.tenant_id AND u.device_id = r.device_id
    AND u.seq = r.seq AND u.ts = r.ts AND COALESCE(u.message_id, '') = COALESCE(r.message_id, ''))
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
