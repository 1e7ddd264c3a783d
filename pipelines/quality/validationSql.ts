/**
 * The warehouse half of data quality: SQL that judges each landed reading metric and each scan,
 * producing a reason (NULL when good) that names the field and the value. The ingest half
 * (`payloadSchemas.ts`) refuses what cannot even be landed; both read `metricRules.ts`.
 *
 * Timestamps are judged against `ingested_at`, not the clock, so that a dynamic table can apply
 * the same test deterministically.
 */
import type { Dialect } from "../dialect/index.ts";
import { QUALITY_PENALTIES, SENSOR_TYPES, TIMESTAMP_LIMITS, groupsFor, rulesFor } from "./metricRules.ts";
import { valueTextSql } from "./valueTextSql.ts";

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
 * Where a unit's reason shows its value: readingUnitsSql leaves this in the reason, and
 * quarantineReasonSql puts the value there. No reason text has braces otherwise.
 */
const VALUE_SLOT = "{value}";

/**
 * A unit's reason as RAW.QUARANTINE keeps it: readingUnitsSql's `reason` with the value, read
 * from its `raw` ({metric, value}), shown as the ingest shows it (valueTextSql.ts). For the rows
 * of a statement that keeps refused units only (`reason IS NOT NULL`), where the cost of laying
 * out a number is paid once per refusal. `u` is the units relation's alias.
 */
export function quarantineReasonSql(d: Dialect, u: string): string {
  const value = d.jsonGet(`${u}.raw`, "value");
  const shown = valueTextSql(d, { text: d.jsonToText(value), isString: d.jsonIsString(value), isNumber: d.jsonIsNumber(value), number: d.tryToDouble(d.jsonToText(value)) });
  return `CASE WHEN POSITION(${d.literal(VALUE_SLOT)} IN ${u}.reason) > 0 THEN REPLACE(${u}.reason, ${d.literal(VALUE_SLOT)}, ${shown}) ELSE ${u}.reason END`;
}

/** Non-NULL texts joined with "; " (the ingest's separator), NULL when all are NULL; portable SQL. */
function joinIssues(parts: readonly string[]): string {
  return parts.length === 0 ? "CAST(NULL AS VARCHAR)" : `NULLIF(SUBSTR(${parts.map((p) => `COALESCE('; ' || ${p}, '')`).join(" || ")}, 3), '')`;
}

/**
 * What is wrong with a reading as a whole, given its parsed metrics object `m` and sensor type:
 * each required metric that is absent, and each absent member of a metric group of which some
 * members are present (METRIC_GROUPS), in the ingest's words (payloadSchemas.validateReadingMetrics).
 * NULL when nothing is. A metric present as JSON null is present (the ingest asks `=== undefined`).
 */
function readingIssuesSql(d: Dialect, m: string, sensorType: string): string {
  const has = (metric: string) => d.parsedHasAnyKey(m, [metric]);
  const byType = SENSOR_TYPES.map((t) => {
    const parts = rulesFor(t).filter((r) => r.required).map((r) => `CASE WHEN NOT ${has(r.metric)} THEN ${d.literal(`payload.metrics.${r.metric} is missing`)} END`);
    for (const g of groupsFor(t)) {
      const present = `(${g.metrics.map((k) => `CASE WHEN ${has(k)} THEN 1 ELSE 0 END`).join(" + ")})`;
      const why = `is missing: ${g.metrics.slice(0, -1).join(", ")} and ${g.metrics.at(-1)} are reported together`;
      for (const k of g.metrics) {
        parts.push(`CASE WHEN ${present} > 0 AND ${present} < ${g.metrics.length} AND NOT ${has(k)} THEN ${d.literal(`payload.metrics.${k} ${why}`)} END`);
      }
    }
    // Most readings are whole: one presence test per metric settles that, and only a reading that
    // is not pays for the texts.
    const whole = [
      ...rulesFor(t).filter((r) => r.required).map((r) => has(r.metric)),
      ...groupsFor(t).flatMap((g) => g.metrics.slice(1).map((k) => `${has(k)} = ${has(g.metrics[0]!)}`)),
    ];
    return `WHEN ${d.literal(t)} THEN ${whole.length === 0 ? "CAST(NULL AS VARCHAR)" : `CASE WHEN ${whole.join(" AND ")} THEN NULL ELSE ${joinIssues(parts)} END`}`;
  });
  return `(CASE WHEN ${m} IS NULL THEN NULL ELSE CASE ${sensorType} ${byType.join(" ")} END END)`;
}

/**
 * The units one batch of readings splits into: one row per (reading, known metric), plus one row
 * for a reading with no known metric at all. Every unit ends in exactly one of normalised,
 * quarantined or duplicate, which is what the reconciliation counts.
 *
 * A unit is refused for its own value (not a number, not finite, outside [min, max], not one of the
 * allowed texts) and for its reading's (a required metric absent, a metric group incomplete): the
 * ingest refuses such a reading whole, so every unit of it is refused here too, the reading's
 * problem in each unit's reason. Reasons use the ingest's words and show values as it does
 * (valueTextSql.ts), so a reading refused on either path reads the same
 * (tests/pipelines/metricBoundaries.test.ts).
 *
 * `from` is the relation holding new readings (the stream), `rules` the metric rules table. Each
 * expression is computed once, in layers, because this runs on every landed metric.
 */
export function readingUnitsSql(d: Dialect, from: string, rules: string, carry: readonly string[] = []): string {
  // A JSON null value is SQL NULL on DuckDB and a VARIANT null on Snowflake: `v IS NULL` or
  // failing both kind tests covers either.
  const problem =
    `CASE WHEN kind = 'number' AND (v IS NULL OR NOT v_is_number) THEN 'is not a number' ` +
    `WHEN kind = 'number' AND NOT ${d.isFinite("v_num")} THEN 'is not finite' ` +
    `WHEN kind = 'number' AND (v_num < min_value OR v_num > max_value) THEN 'is outside [' || min_text || ', ' || max_text || ']' ` +
    // NaN or ±Infinity is refused as such wherever it sits, a text metric included (zod's wording).
    `WHEN kind = 'text' AND v_is_number AND NOT ${d.isFinite("v_num")} THEN 'is not finite' ` +
    // A '|' inside the value would match across two allowed values of the |-list.
    `WHEN kind = 'text' AND (v IS NULL OR NOT v_is_string OR POSITION('|' IN v_text) > 0 ` +
    `OR POSITION('|' || v_text || '|' IN '|' || allowed_values || '|') = 0) THEN 'is not one of ' || allowed_values END`;
  // The value itself is shown later, by quarantineReasonSql, for the refused units only: laid out
  // as the ingest shows it, a number costs ~20 µs of string work, too much for every unit.
  const metricReason = joinIssues([`CASE WHEN problem IS NOT NULL THEN 'payload.metrics.' || metric || ' = ${VALUE_SLOT} ' || problem END`, "reading_issues"]);
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
  const rawMetrics = d.jsonGet("r.payload", "metrics");
  const metricsShown = valueTextSql(d, { text: d.jsonToText(rawMetrics), isString: d.jsonIsString(rawMetrics), isNumber: d.jsonIsNumber(rawMetrics), number: d.tryToDouble(d.jsonToText(rawMetrics)) });
  // The metrics object is parsed once per reading (r), then read by the reading's own checks (rq),
  // the flatten and `bare`.
  return `WITH r0 AS (SELECT x.*, ${d.parseObject(d.jsonGet("x.payload", "metrics"))} AS metrics_obj FROM ${from} x),
r AS (SELECT r0.*, ${readingIssuesSql(d, "r0.metrics_obj", "r0.sensor_type")} AS reading_issues FROM r0),
e AS (${d.flattenParsedRows("r", [...idList, "reading_issues"], "metrics_obj")}),
f AS (
  SELECT ${idList.map((c) => `e.${c}`).join(", ")}, e.reading_issues,
    m.metric, m.kind, m.min_value, m.max_value, m.min_text, m.max_text, m.soft_min, m.soft_max, m.allowed_values, e.value AS v
  FROM e JOIN ${rules} m ON m.sensor_type = e.sensor_type AND m.metric = e.key
),
t AS (SELECT f.*, ${d.parsedValueText("v")} AS v_text, ${d.parsedValueIsNumber("v")} AS v_is_number, ${d.parsedValueIsString("v")} AS v_is_string FROM f),
n AS (SELECT t.*, CASE WHEN v_is_number THEN ${d.tryToDouble("v_text")} END AS v_num FROM t),
p AS (SELECT n.*, ${problem} AS problem FROM n),
judged AS (
  SELECT p.*, COALESCE(${timestampReasonSql(d, "ts", "ingested_at")}, ${metricReason}) AS reason, ${quality} AS quality_score FROM p
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
    WHEN r.metrics_obj IS NULL THEN
      CASE WHEN ${rawMetrics} IS NULL THEN 'payload.metrics is missing' ELSE 'payload.metrics = ' || ${metricsShown} || ' is not an object' END
    ELSE COALESCE(r.reading_issues, 'payload.metrics has no known metric for sensor_type ' || r.sensor_type) END AS reason,
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
