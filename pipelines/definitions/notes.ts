/**
 * Operator notes (issue 28): shift notes and maintenance logs about a machine or a station, and the
 * insights a model draws from them. Notes land in RAW.OPERATOR_NOTES (HTTP, file loads, the
 * simulator); OPS.ANALYSE_NOTES sends each new note's text to ML.ANALYSE_NOTE (Bedrock behind API
 * Gateway in production, the shipped offline model on the twin) and writes ML.NOTE_INSIGHTS. A note
 * whose insight carries a safety concern notifies through OPS.ALERT_NOTIFICATIONS. A failed or
 * refused answer is written to OPS.NOTE_INSIGHT_FAILURES, whose stream wakes the task again a run
 * later; after NOTE_MAX_ATTEMPTS the last failure row says it gave up.
 */
import type { Dialect } from "../dialect/index.ts";
import { col, type ExternalFunctionDef, type StreamDef, type TableDef, type TaskDef } from "./types.ts";
import { TRANSFORM_WH } from "./warehouses.ts";

/** Attempts at a note's insight before it is recorded as given up. */
export const NOTE_MAX_ATTEMPTS = 3;
/** The rule id a safety concern's notification carries. */
export const NOTE_SAFETY_RULE_ID = "NOTE_SAFETY";

export const OPERATOR_NOTES: TableDef = {
  kind: "table",
  schema: "RAW",
  name: "OPERATOR_NOTES",
  comment: "Operators' shift notes and maintenance logs about a machine or station, as received.",
  appendOnly: true,
  clusterBy: ["tenant_id", "DATE_TRUNC('day', note_ts)"],
  columns: [
    col("note_id", "varchar", "the note's key: a hash of tenant, site, device, author, time and text (a resent note has the same key)", { nullable: false }),
    col("tenant_id", "varchar", "tenant", { nullable: false, cardinality: "low" }),
    col("site_id", "varchar", "factory site", { nullable: false, cardinality: "low" }),
    col("device_id", "varchar", "machine (device id) or station the note is about", { nullable: false, cardinality: "low" }),
    col("author_id", "varchar", "operator badge id of the author (personal data, masked)", { nullable: false, pii: true }),
    col("note_ts", "timestamp", "when the note was written, UTC", { nullable: false }),
    col("kind", "varchar", "shift | maintenance", { nullable: false, cardinality: "low" }),
    col("language", "varchar", "language the author stated (en, es, fr), or NULL", { cardinality: "low" }),
    col("text", "varchar", "the note as written, never cut (refused at intake when longer than MAX_NOTE_CHARS)", { nullable: false }),
    col("ingested_at", "timestamp", "time the row was committed", { nullable: false }),
    col("source", "varchar", "http | file:<name> | simulator", { nullable: false, cardinality: "low" }),
  ],
};

export const OPERATOR_NOTES_STREAM: StreamDef = {
  kind: "stream",
  schema: "RAW",
  name: "OPERATOR_NOTES_STREAM",
  comment: "New notes for the note-insight task.",
  on: "RAW.OPERATOR_NOTES",
  appendOnly: true,
};

export const NOTE_INSIGHTS: TableDef = {
  kind: "table",
  schema: "ML",
  name: "NOTE_INSIGHTS",
  comment: "One insight per operator note: language, sentiment, safety concern and its phrase, unmet need, summary, model, latency.",
  appendOnly: true,
  columns: [
    col("note_id", "varchar", "RAW.OPERATOR_NOTES.note_id", { nullable: false }),
    col("tenant_id", "varchar", "tenant", { nullable: false, cardinality: "low" }),
    col("site_id", "varchar", "site", { cardinality: "low" }),
    col("device_id", "varchar", "machine or station", { cardinality: "low" }),
    col("language", "varchar", "en | es | fr", { nullable: false }),
    col("sentiment", "varchar", "positive | neutral | negative", { nullable: false }),
    col("safety_concern", "boolean", "the note raises a safety concern", { nullable: false }),
    col("safety_phrase", "varchar", "the note's own words that raised it; NULL without a concern"),
    col("unmet_need", "varchar", "what the operator says is missing, in a few words; NULL if none"),
    col("summary", "varchar", "one line", { nullable: false }),
    col("model", "varchar", "backend and model, e.g. bedrock:anthropic.claude-3-haiku-20240307-v1:0", { nullable: false }),
    col("latency_ms", "double", "how long the backend took for this note"),
    col("analysed_at", "timestamp", "when the task wrote the row", { nullable: false }),
  ],
};

export const NOTE_INSIGHT_FAILURES: TableDef = {
  kind: "table",
  schema: "OPS",
  name: "NOTE_INSIGHT_FAILURES",
  comment: "Each failed or refused attempt at a note's insight, with the error; given_up on the last one.",
  appendOnly: true,
  columns: [
    col("note_id", "varchar", "RAW.OPERATOR_NOTES.note_id", { nullable: false }),
    col("tenant_id", "varchar", "tenant", { nullable: false }),
    col("site_id", "varchar", "site"),
    col("device_id", "varchar", "machine or station"),
    col("attempt", "bigint", "1 for the first failure of the note", { nullable: false }),
    col("error", "varchar", "what failed: the backend's error or the schema check's, naming field and value", { nullable: false }),
    col("given_up", "boolean", `attempt reached ${NOTE_MAX_ATTEMPTS}: the note is not tried again`, { nullable: false }),
    col("failed_at", "timestamp", "when the task recorded it", { nullable: false }),
  ],
};

export const NOTE_INSIGHT_FAILURES_STREAM: StreamDef = {
  kind: "stream",
  schema: "OPS",
  name: "NOTE_INSIGHT_FAILURES_STREAM",
  comment: "Failed attempts, which the note-insight task retries on its next run.",
  on: "OPS.NOTE_INSIGHT_FAILURES",
  appendOnly: true,
};

/**
 * `ML.ANALYSE_NOTE(kind, text)` → the answer for one note: the contract's insight plus `model` and
 * `latency_ms`, or `{"error": "..."}` (ml/notes/noteAnswers.ts). Only the kind and the text are
 * sent: tenant, site, device and author stay in the warehouse.
 */
export const ANALYSE_NOTE: ExternalFunctionDef = {
  kind: "external_function",
  schema: "ML",
  name: "ANALYSE_NOTE",
  comment: "Operator-note insight from the configured model (Bedrock in production).",
  arguments: [
    { name: "kind", type: "varchar" },
    { name: "text", type: "varchar" },
  ],
  returns: "json",
  // Claude 3 Haiku answers one note in ~1.6–2.7 s (seed 002) and the Lambda analyses a batch a few
  // at a time: 10 rows keep a request well inside API Gateway's 29 s integration timeout.
  maxBatchRows: 10,
};

/**
 * The notes to analyse this run: new notes, and the notes of last run's failures that have not
 * given up; each once, and none that already has an insight (a resent note has the same key).
 */
function pendingNotesSql(): string {
  return `SELECT p.note_id AS call_key, p.kind, p.text FROM (
  SELECT n.note_id, n.kind, n.text FROM RAW.OPERATOR_NOTES_STREAM n
  UNION
  SELECT o.note_id, o.kind, o.text FROM RAW.OPERATOR_NOTES o
  WHERE o.note_id IN (SELECT f.note_id FROM OPS.NOTE_INSIGHT_FAILURES_STREAM f WHERE NOT f.given_up)
) p
WHERE NOT EXISTS (SELECT 1 FROM ML.NOTE_INSIGHTS i WHERE i.note_id = p.note_id)`;
}

const ANSWERS = { schema: "OPS", name: "NOTE_ANSWERS" } as const;

function noteAnswers(d: Dialect) {
  return d.externalCall(ANSWERS, "ML.ANALYSE_NOTE", ["kind", "text"], pendingNotesSql());
}

/** The answered notes with their tenant, site, device and time (one row per note: equal keys, equal rows). */
function answeredSql(answers: string): string {
  return `(SELECT a.call_key AS note_id, a.answer, n.tenant_id, n.site_id, n.device_id, n.note_ts
  FROM ${answers} a JOIN (SELECT DISTINCT note_id, tenant_id, site_id, device_id, note_ts FROM RAW.OPERATOR_NOTES) n ON n.note_id = a.call_key)`;
}

export const ANALYSE_NOTES: TaskDef = {
  kind: "task",
  schema: "OPS",
  name: "ANALYSE_NOTES",
  comment: "Turn new operator notes into ML.NOTE_INSIGHTS through ML.ANALYSE_NOTE; notify safety concerns; record failures and retry them.",
  warehouse: TRANSFORM_WH.name,
  schedule: "1 MINUTE",
  whenStreamHasData: ["RAW.OPERATOR_NOTES_STREAM", "OPS.NOTE_INSIGHT_FAILURES_STREAM"],
  consumes: ["RAW.OPERATOR_NOTES_STREAM", "OPS.NOTE_INSIGHT_FAILURES_STREAM"],
  external: { fn: ANALYSE_NOTE, input: () => pendingNotesSql(), into: ANSWERS },
  setup: (d) => noteAnswers(d).setup,
  body: (d) => {
    const calls = noteAnswers(d);
    const ok = `(x.answer IS NOT NULL AND ${d.jsonGetText("x.answer", "error")} IS NULL)`;
    const answered = answeredSql(calls.ref);
    return [
      ...calls.create,
      `INSERT INTO ML.NOTE_INSIGHTS (note_id, tenant_id, site_id, device_id, language, sentiment, safety_concern, safety_phrase, unmet_need, summary, model, latency_ms, analysed_at)
SELECT x.note_id, x.tenant_id, x.site_id, x.device_id, ${d.jsonGetText("x.answer", "language")}, ${d.jsonGetText("x.answer", "sentiment")},
  ${d.jsonGetText("x.answer", "safety_concern")} = 'true', ${d.jsonGetText("x.answer", "safety_phrase")}, ${d.jsonGetText("x.answer", "unmet_need")},
  ${d.jsonGetText("x.answer", "summary")}, ${d.jsonGetText("x.answer", "model")}, ${d.jsonGetNumber("x.answer", "latency_ms")}, ${d.now()}
FROM ${answered} x WHERE ${ok}`,
      // One notification per note: window_start is the note's own time, and the task writes each
      // note's insight once (the NOT EXISTS guards a note resent with the same key and time).
      `INSERT INTO OPS.ALERT_NOTIFICATIONS (tenant_id, site_id, device_id, rule_id, severity, window_start, first_ts, worst_score, message, raised_at)
SELECT x.tenant_id, x.site_id, x.device_id, '${NOTE_SAFETY_RULE_ID}', 'CRITICAL', x.note_ts, x.note_ts, 1.0,
  '${NOTE_SAFETY_RULE_ID} on ' || x.device_id || ' at ' || CAST(x.note_ts AS VARCHAR) || ': "' || ${d.jsonGetText("x.answer", "safety_phrase")} || '" (note ' || x.note_id || ')',
  ${d.now()}
FROM ${answered} x
WHERE ${ok} AND ${d.jsonGetText("x.answer", "safety_concern")} = 'true'
  AND NOT EXISTS (SELECT 1 FROM OPS.ALERT_NOTIFICATIONS a WHERE a.tenant_id = x.tenant_id AND a.device_id = x.device_id
    AND a.rule_id = '${NOTE_SAFETY_RULE_ID}' AND a.window_start = x.note_ts)`,
      // The attempt counts on from the note's earlier failures (a join, not a correlated subquery in
      // the SELECT list, which Snowflake does not decorrelate everywhere).
      `INSERT INTO OPS.NOTE_INSIGHT_FAILURES (note_id, tenant_id, site_id, device_id, attempt, error, given_up, failed_at)
SELECT y.note_id, y.tenant_id, y.site_id, y.device_id, y.attempt, y.error, y.attempt >= ${NOTE_MAX_ATTEMPTS}, ${d.now()}
FROM (SELECT x.note_id, x.tenant_id, x.site_id, x.device_id,
    COALESCE(${d.jsonGetText("x.answer", "error")}, 'no answer from ML.ANALYSE_NOTE') AS error,
    1 + COALESCE(f.last_attempt, 0) AS attempt
  FROM ${answered} x LEFT JOIN (SELECT note_id, MAX(attempt) AS last_attempt FROM OPS.NOTE_INSIGHT_FAILURES GROUP BY note_id) f ON f.note_id = x.note_id
  WHERE NOT ${ok}) y`,
      ...calls.drop,
    ];
  },
};

export const NOTE_TABLES: readonly TableDef[] = [OPERATOR_NOTES, NOTE_INSIGHTS, NOTE_INSIGHT_FAILURES];
export const NOTE_STREAMS: readonly StreamDef[] = [OPERATOR_NOTES_STREAM, NOTE_INSIGHT_FAILURES_STREAM];
