/**
 * The ingest half of data quality: versioned zod schemas for what devices and scanners publish,
 * judged before anything is landed. The metric schemas are derived from METRIC_RULES, the same
 * catalogue `validationSql.ts` reads, so a reading is judged alike on both paths; reason texts use
 * the SQL half's phrasing ("<field> = <value> is outside [min, max]").
 *
 * Objects are loose (unknown fields and unknown metrics pass and are kept, ARCHITECTURE.md "Topics
 * and payloads"); what cannot be landed at all (NaN, Infinity) is refused wherever it sits.
 */
import { z } from "zod";
import { SENSOR_TYPES, TIMESTAMP_LIMITS, groupsFor, rulesFor, type MetricRule, type SensorType } from "./metricRules.ts";

/** Schema versions a message may declare in `v`; the newest last. */
export const SCHEMA_VERSIONS = [1] as const;
export type SchemaVersion = (typeof SCHEMA_VERSIONS)[number];

/** Largest message accepted, in bytes (ARCHITECTURE.md: at most 128 KB per message). */
export const MAX_MESSAGE_BYTES = 128 * 1024;

/**
 * How far a message's `seq` may run ahead of the last one landed on its channel (the device's
 * messages in one epoch). The ingest adopts a seq only up to committed + MAX_SEQ_ADVANCE (a new
 * channel's committed offset is -1); beyond, the message is quarantined and the offset does not
 * move, so one corrupt seq (issue 18: 9007199254740000) cannot turn every later message into a
 * "duplicate". A sender numbers its messages 0, 1, 2, ... within an epoch, so its seq runs ahead of
 * what landed only by the messages it never delivered: those in flight and those its overflow
 * policy dropped. The gateway starts a new epoch before that count reaches half this bound
 * (edge/storeAndForward.ts); its default queue (64 MiB) holds at most ~270,000 of the smallest
 * messages (~250 bytes), so even a full queue's drops stay well within it.
 */
export const MAX_SEQ_ADVANCE = 1_000_000;

/** One problem with one field: where it is, what was there, what is wrong with it. */
export interface FieldIssue {
  /** Path of the field in the item judged, e.g. `readings[3].metrics.pm25_ugm3`. */
  readonly path: string;
  /** The value found; `undefined` when the field is missing. */
  readonly value: unknown;
  /** What is wrong, e.g. `is outside [0, 1000]`. */
  readonly problem: string;
  /** The metric concerned, for metric-level problems (RAW.QUARANTINE.metric). */
  readonly metric?: string;
}

/** `path = value problem`, or `path problem` for a missing field. */
export function issueText(issue: FieldIssue): string {
  return issue.value === undefined
    ? `${issue.path} ${issue.problem}`
    : `${issue.path} = ${formatValue(issue.value)} ${issue.problem}`;
}

/** A value as a reason shows it: numbers as JS prints them (NaN too), strings quoted, all short. */
export function formatValue(value: unknown): string {
  const cut = (s: string) => (s.length > 80 ? `${s.slice(0, 77)}...` : s);
  if (typeof value === "string") return `'${cut(value)}'`;
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
  return cut(JSON.stringify(storable(value)) ?? String(value));
}

/** `base.key` or `base[3]`; keys that are not plain identifiers are quoted. */
export function fieldPath(base: string, segments: readonly PropertyKey[]): string {
  let path = base;
  for (const s of segments) {
    if (typeof s === "number") path += `[${s}]`;
    else if (typeof s === "string" && /^[A-Za-z_$][\w$]*$/.test(s)) path += path === "" ? s : `.${s}`;
    else path += `[${JSON.stringify(String(s))}]`;
  }
  return path;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A copy in which NaN and ±Infinity become the strings "NaN", "Infinity", "-Infinity": a JSON
 * column cannot hold them and JSON.stringify would turn them into null, losing what was refused.
 */
export function storable(value: unknown): unknown {
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (Array.isArray(value)) return value.map(storable);
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, storable(v)]));
  return value;
}

/** Every NaN / ±Infinity inside `value`, as field issues, skipping paths already reported. */
export function nonFiniteIssues(value: unknown, base: string, reported: readonly FieldIssue[] = []): FieldIssue[] {
  const covered = (p: string) =>
    reported.some((r) => p === r.path || p.startsWith(`${r.path}.`) || p.startsWith(`${r.path}[`));
  const found: FieldIssue[] = [];
  const walk = (v: unknown, path: string): void => {
    if (typeof v === "number" && !Number.isFinite(v) && !covered(path)) found.push({ path, value: v, problem: "is not finite" });
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, fieldPath(path, [i])));
    else if (isPlainObject(v)) for (const [k, x] of Object.entries(v)) walk(x, fieldPath(path, [k]));
  };
  walk(value, base);
  return found;
}

/** A zod error map giving the problem text: "is missing", "is not finite" or `text`. */
function problem(text: string) {
  return (iss: { input?: unknown }): string =>
    iss.input === undefined ? "is missing" : typeof iss.input === "number" && !Number.isFinite(iss.input) ? "is not finite" : text;
}

/** Field issues from a zod error; values are looked up in `input`, paths prefixed by `base`. */
export function zodIssues(error: z.ZodError, input: unknown, base: string): FieldIssue[] {
  return error.issues.map((iss) => {
    let value: unknown = input;
    for (const seg of iss.path) value = isPlainObject(value) || Array.isArray(value) ? (value as Record<PropertyKey, unknown>)[seg] : undefined;
    return { path: fieldPath(base, iss.path), value, problem: iss.message };
  });
}

// ---- metrics, derived from METRIC_RULES -------------------------------------------------------

function metricSchema(rule: MetricRule): z.ZodType {
  if (rule.kind === "text") {
    return z.enum(rule.allowed as readonly [string, ...string[]], { error: problem(`is not one of ${rule.allowed.join("|")}`) });
  }
  // Inclusive bounds, as the SQL half's `value < min_value OR value > max_value`.
  const outside = problem(`is outside [${rule.min}, ${rule.max}]`);
  return z.number({ error: problem("is not a number") }).min(rule.min, { error: outside }).max(rule.max, { error: outside });
}

function metricsSchemaFor(sensorType: SensorType) {
  const shape: Record<string, z.ZodType> = {};
  for (const rule of rulesFor(sensorType)) shape[rule.metric] = rule.required ? metricSchema(rule) : metricSchema(rule).optional();
  return z.looseObject(shape, { error: problem("is not an object") });
}

/** The `metrics` object schema of each sensor type: known metrics checked, unknown ones kept. */
export const METRICS_SCHEMAS = Object.fromEntries(SENSOR_TYPES.map((t) => [t, metricsSchemaFor(t)])) as Readonly<
  Record<SensorType, ReturnType<typeof metricsSchemaFor>>
>;

export type MetricsCheck =
  | { readonly ok: true; readonly metrics: Record<string, unknown> }
  | { readonly ok: false; readonly issues: readonly FieldIssue[] };

/**
 * Judges one reading's metrics by the hard ranges of METRIC_RULES: required metrics present,
 * numbers finite and within [min, max], text metrics one of the allowed values, each of
 * METRIC_GROUPS all present or all absent. Unknown metrics are
 * kept, unless they hold NaN / Infinity, which cannot be landed. `base` names the object in reasons;
 * the default matches the warehouse half (`payload.metrics.<metric>`).
 */
export function validateReadingMetrics(sensorType: SensorType, metrics: unknown, base = "payload.metrics"): MetricsCheck {
  const parsed = METRICS_SCHEMAS[sensorType].safeParse(metrics);
  const issues = parsed.success ? [] : zodIssues(parsed.error, metrics, base).map((issue, i) => {
    const metric = parsed.error.issues[i]?.path[0];
    return typeof metric === "string" ? { ...issue, metric } : issue;
  });
  if (isPlainObject(metrics)) {
    for (const [metric, value] of Object.entries(metrics)) {
      issues.push(...nonFiniteIssues(value, fieldPath(base, [metric]), issues).map((issue) => ({ ...issue, metric })));
    }
    for (const group of groupsFor(sensorType)) {
      const missing = group.metrics.filter((m) => metrics[m] === undefined);
      if (missing.length === 0 || missing.length === group.metrics.length) continue;
      for (const metric of missing) {
        issues.push({ path: fieldPath(base, [metric]), value: undefined, problem: `is missing: ${group.metrics.slice(0, -1).join(", ")} and ${group.metrics.at(-1)} are reported together`, metric });
      }
    }
  }
  return issues.length === 0 && isPlainObject(metrics) ? { ok: true, metrics } : { ok: false, issues };
}

// ---- timestamps ---------------------------------------------------------------------------------

/** ISO 8601 with a zone: a zoneless time would be read in the ingest host's zone, silently wrong. */
export const timestampSchema = z.iso.datetime({ offset: true, error: problem("is not an ISO 8601 timestamp with a zone (e.g. 2026-01-05T08:00:00.000Z)") });

/**
 * The time in `value`, or why it is refused: unparseable, further ahead of `receivedAt` than
 * TIMESTAMP_LIMITS.maxFutureSeconds (device clock wrong), or older than maxAgeSeconds (replayed or
 * stuck buffer). Late but within the limits is kept; the warehouse lowers its quality score.
 */
export function checkTimestamp(value: unknown, path: string, receivedAt: Date): Date | FieldIssue {
  const parsed = timestampSchema.safeParse(value);
  if (!parsed.success) return { path, value, problem: parsed.error.issues[0]?.message ?? "is not a timestamp" };
  const ts = new Date(parsed.data);
  if (Number.isNaN(ts.getTime())) return { path, value, problem: "is not a valid date" };
  const ahead = (ts.getTime() - receivedAt.getTime()) / 1000;
  const { maxFutureSeconds, maxAgeSeconds } = TIMESTAMP_LIMITS;
  if (ahead > maxFutureSeconds) {
    return { path, value, problem: `is more than ${maxFutureSeconds} s ahead of received_at ${receivedAt.toISOString()}` };
  }
  if (-ahead > maxAgeSeconds) {
    return { path, value, problem: `is more than ${maxAgeSeconds} s older than received_at ${receivedAt.toISOString()}` };
  }
  return ts;
}

// ---- messages, version 1 ------------------------------------------------------------------------

const id = z.string({ error: problem("is not a string") }).refine((s) => s.trim() !== "", { error: "is empty" });
const optionalText = z.string({ error: problem("is not a string") }).nullable().optional();
/**
 * A JSON number beyond 2^53 - 1 is not exact in JavaScript (nor in a DOUBLE): 2^53 + 1 reads as
 * 2^53, so two different sequence numbers would compare equal. zod's int() refuses them; the text
 * says why.
 */
const integerProblem = (iss: { input?: unknown }): string =>
  typeof iss.input === "number" && Number.isInteger(iss.input)
    ? `is beyond ${Number.MAX_SAFE_INTEGER} (2^53 - 1), above which JSON numbers are not exact`
    : problem("is not an integer")(iss);
const sequence = z.number({ error: problem("is not a number") }).int({ error: integerProblem }).min(0, { error: "is negative" });

/**
 * The gateway's numbering epoch: a non-negative safe integer, new each time its store-and-forward
 * queue is created (or wiped), sent with every message of that queue. Message `seq` starts again
 * at 0 in a new epoch, and the ingest keeps one offset per (device, epoch), so a device whose
 * numbering restarted lands its new messages instead of having them taken for old ones. Optional:
 * a message without it belongs to the device's epoch-less channel (firmware before epochs).
 */
export const epochSchema = z.number({ error: problem("is not a number") }).int({ error: integerProblem }).min(0, { error: "is negative" });

/** A device message: one device, a batch of readings (each judged on its own, so `unknown` here). */
export const deviceMessageV1 = z.looseObject({
  v: z.literal(1),
  tenant_id: id,
  site_id: id,
  device_id: id,
  sensor_type: z.enum(SENSOR_TYPES, { error: problem(`is not one of ${SENSOR_TYPES.join("|")}`) }),
  message_id: optionalText,
  seq: sequence,
  epoch: epochSchema.optional(),
  readings: z.array(z.unknown(), { error: problem("is not an array") }),
});

/** One reading; its `metrics` are judged by validateReadingMetrics, its `ts` by checkTimestamp. */
export const readingV1 = z.looseObject(
  // ts and metrics are optional here only so that their own checks, not zod, report them missing.
  { ts: z.unknown().optional(), seq: sequence, metrics: z.unknown().optional() },
  { error: problem("is not an object") },
);

/**
 * A scanner message: RFID / barcode scans of jobs at stations. `seq` and `epoch` are optional (the
 * gateway sends them, an HTTP POST does not); when present they are checked as a device message's.
 */
export const scanMessageV1 = z.looseObject({
  v: z.literal(1),
  tenant_id: id,
  site_id: id,
  seq: sequence.optional(),
  epoch: epochSchema.optional(),
  scans: z.array(z.unknown(), { error: problem("is not an array") }),
});

/** One scan, columns of RAW.JOB_SCANS; its `scan_ts` is judged by checkTimestamp. */
export const scanV1 = z.looseObject(
  { job_id: id, product_id: optionalText, product_variant: optionalText, station: id, scan_ts: z.unknown().optional(), operator_id: optionalText, metadata: z.unknown().optional() },
  { error: problem("is not an object") },
);

/** Schemas by version; a new version adds an entry here and keeps the old ones readable. */
export const MESSAGE_SCHEMAS = {
  1: { device: deviceMessageV1, reading: readingV1, scans: scanMessageV1, scan: scanV1 },
} as const satisfies Record<SchemaVersion, unknown>;

export function isSchemaVersion(v: unknown): v is SchemaVersion {
  return (SCHEMA_VERSIONS as readonly unknown[]).includes(v);
}

/** Keys of a loose object that its schema does not name: they are kept, so we must know them. */
export function unknownFields(value: Record<string, unknown>, schema: { shape: Record<string, unknown> }): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([k]) => !Object.hasOwn(schema.shape, k)));
}
