/**
 * Parsing one message as received (MQTT payload, HTTP body): size, encoding, JSON, version,
 * tenant, envelope, then each reading (or scan) on its own, so one bad reading never costs the good
 * ones. Everything refused becomes a Rejection, i.e. a RAW.QUARANTINE row, with a reason naming the
 * field and the value, and a count so that accepted + refused = readings in the message.
 */
import type { RawReading, RawScan } from "../ingest/rawRecords.ts";
import { randomUUID } from "node:crypto";
import { SENSOR_TYPES, type SensorType } from "./metricRules.ts";
import { acceptReading } from "./compiledReadingCheck.ts";
import { keyCount, readingSpans, type ReadingSpans } from "./readingSpans.ts";
import {
  MAX_MESSAGE_BYTES, MESSAGE_SCHEMAS, SCHEMA_VERSIONS, checkTimestamp, formatValue, isPlainObject, isSchemaVersion,
  issueText, nonFiniteIssues, storable, unknownFields, validateReadingMetrics, zodIssues, type FieldIssue,
} from "./payloadSchemas.ts";
import { cutNote, cutPayload } from "./quarantinePayload.ts";

export interface ParseContext {
  /** When the message was received; reading timestamps are judged against it. */
  readonly receivedAt: Date;
  /** Tenant named by the topic (`dt/hub/<tenant>/...`); a message claiming another is refused. Default: not checked. */
  readonly expectedTenant?: string;
  /** Size limit in bytes. Default MAX_MESSAGE_BYTES (128 KB). */
  readonly maxBytes?: number;
  /**
   * "compiled" (default): readings that compiledReadingCheck.ts vouches for are accepted without zod,
   * the rest are judged by zod. "zod": every reading is judged by zod (the reference the compiled
   * check is tested against). The results are the same either way; only the speed differs.
   */
  readonly validator?: "compiled" | "zod";
}

/** One refused item: a RAW.QUARANTINE row (source and received_at are the caller's). */
export interface Rejection {
  /** What is wrong, naming the field path and the value. */
  readonly reason: string;
  /** The refused reading or scan (NaN / Infinity as strings), or the whole message text. */
  readonly raw: unknown;
  readonly tenantId?: string;
  /** Device id, or the job id for a scan. */
  readonly deviceId?: string;
  /** The metric refused, when the first problem is a metric's. */
  readonly metric?: string;
  /** Readings (or scans) this stands for: 1 per item; a whole message counts its items where they can be counted, else 1. */
  readonly count: number;
}

/**
 * A reading ready for RAW.SENSOR_READINGS: a RawReading without the ingest-path fields (channel,
 * offset, source), which the caller adds. `payload` is the reading as sent (metrics and unknown
 * fields), plus `schema` (the version) and `message` (the message's seq and its unknown fields),
 * so nothing sent is lost.
 */
export type AcceptedReading = Omit<RawReading, "channel" | "channelOffset" | "source" | "sensorType" | "payload"> & {
  readonly sensorType: SensorType;
  readonly payload: Record<string, unknown>;
  /**
   * `payload` as JSON text for RAW: the reading's own bytes after the message's part, written once
   * per message (the same value as `payload`; see payloadText), else `JSON.stringify(payload)`.
   */
  readonly payloadJson: string;
};

/** A scan ready for RAW.JOB_SCANS (the caller adds `source`). Unknown fields go to metadata.unknown_fields. */
export type AcceptedScan = Omit<RawScan, "source">;

interface Counted {
  readonly rejected: Rejection[];
  /** Readings (or scans) in the message, or 1 when they cannot be counted. */
  readonly total: number;
  /**
   * The message's sequence number (envelope `seq`), when it is a non-negative safe integer and the
   * message's `epoch` is absent or valid too, whether or not the message was accepted: a refused
   * message is landed in quarantine under its offset, so that its redelivery is known. Else null.
   */
  readonly seq: number | null;
  /** The envelope's `epoch` (see payloadSchemas.epochSchema), or null when it has none. */
  readonly epoch: number | null;
}
export type ParseResult =
  | (Counted & { readonly kind: "readings"; readonly accepted: AcceptedReading[] })
  | (Counted & { readonly kind: "scans"; readonly accepted: AcceptedScan[] })
  | (Counted & { readonly kind: "unknown"; readonly accepted: never[] });

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The message as quarantine keeps it: its text, or base64 when it is not even UTF-8. */
function rawOf(input: string | Buffer): unknown {
  if (typeof input === "string") return input;
  try {
    return utf8.decode(input);
  } catch {
    return { encoding: "base64", data: input.toString("base64") };
  }
}

const isSeq = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/** The envelope's seq and epoch as the ingest's offsets use them (see Counted.seq). */
function envelopeOffsets(msg: Record<string, unknown>): { seq: number | null; epoch: number | null } {
  if (msg.epoch !== undefined && !isSeq(msg.epoch)) return { seq: null, epoch: null };
  return { seq: isSeq(msg.seq) ? msg.seq : null, epoch: isSeq(msg.epoch) ? msg.epoch : null };
}

export function parseMessage(input: string | Buffer, ctx: ParseContext): ParseResult {
  const limit = ctx.maxBytes ?? MAX_MESSAGE_BYTES;
  // The size first: an oversized payload is neither decoded nor kept whole (quarantinePayload.ts).
  const bytes = typeof input === "string" ? Buffer.byteLength(input, "utf8") : input.byteLength;
  if (bytes > limit) {
    const cut = cutPayload(typeof input === "string" ? Buffer.from(input, "utf8") : input);
    const reason = `message is ${bytes} bytes; the limit is ${limit} (${cutNote(cut)})`;
    return { kind: "unknown", accepted: [], rejected: [{ reason, raw: cut, tenantId: ctx.expectedTenant, count: 1 }], total: 1, seq: null, epoch: null };
  }
  const raw = rawOf(input);
  const refuse = (kind: ParseResult["kind"], reason: string, total = 1, msg: Record<string, unknown> = {}): ParseResult => {
    const claimed = typeof msg.tenant_id === "string" ? msg.tenant_id : undefined;
    const device = typeof msg.device_id === "string" ? msg.device_id : undefined;
    const rejection: Rejection = { reason, raw, tenantId: ctx.expectedTenant ?? claimed, deviceId: device, count: total };
    return { kind, accepted: [], rejected: [rejection], total, ...envelopeOffsets(msg) } as ParseResult;
  };

  if (typeof raw !== "string") return refuse("unknown", "message is not valid UTF-8");
  const json = parseJsonTolerant(raw);
  if (!json.ok) return refuse("unknown", `message is not valid JSON: ${json.error}`);
  const msg = json.value;
  if (!isPlainObject(msg)) return refuse("unknown", `message = ${formatValue(msg)} is not a JSON object`);

  // A scanner message carries `scans`, a device message `readings`; each is counted if it is a list.
  const kind = "scans" in msg && !("readings" in msg) ? "scans" : "readings";
  const items = msg[kind];
  const total = Array.isArray(items) ? items.length : 1;

  if (!isSchemaVersion(msg.v)) {
    const supported = SCHEMA_VERSIONS.join(", ");
    const reason = msg.v === undefined ? `v is missing (supported schema versions: ${supported})` : `v = ${formatValue(msg.v)} is not a supported schema version (${supported})`;
    return refuse(kind, reason, total, msg);
  }
  if (ctx.expectedTenant !== undefined && msg.tenant_id !== ctx.expectedTenant) {
    const reason = msg.tenant_id === undefined
      ? `tenant_id is missing; the topic's tenant is '${ctx.expectedTenant}'`
      : `tenant_id ${formatValue(msg.tenant_id)} does not match the topic's tenant '${ctx.expectedTenant}'`;
    return refuse(kind, reason, total, msg);
  }
  if (kind === "readings" && !(SENSOR_TYPES as readonly unknown[]).includes(msg.sensor_type)) {
    const list = SENSOR_TYPES.join("|");
    const reason = msg.sensor_type === undefined ? `sensor_type is missing; it must be one of ${list}` : `sensor_type ${formatValue(msg.sensor_type)} is not one of ${list}`;
    return refuse(kind, reason, total, msg);
  }

  const schemas = MESSAGE_SCHEMAS[msg.v];
  const envelope = (kind === "readings" ? schemas.device : schemas.scans).safeParse(msg);
  const issues = envelope.success ? [] : zodIssues(envelope.error, msg, "");
  // NaN outside the items (e.g. an unknown top-level field) cannot be landed with any of them.
  for (const [k, v] of Object.entries(msg)) if (k !== kind) issues.push(...nonFiniteIssues(v, k, issues));
  if (issues.length > 0) return refuse(kind, issues.map(issueText).join("; "), total, msg);

  return kind === "readings" ? readingsOf(msg, raw, ctx.receivedAt, ctx.validator !== "zod") : scansOf(msg, ctx.receivedAt);
}

function rejection(issues: readonly FieldIssue[], item: unknown, tenantId: string, deviceId: string | undefined): Rejection {
  const metric = issues[0]?.metric;
  return { reason: issues.map(issueText).join("; "), raw: storable(item), tenantId, deviceId, ...(metric ? { metric } : {}), count: 1 };
}

/**
 * The payload's JSON text: the payload's own two keys, written once per message, then the reading
 * as the device wrote it (its text after the opening brace), when that text is certainly the same
 * value as the parsed reading merged after those keys: a plain, non-empty object, no key of its own
 * named `schema` or `message` (the merge would replace them) or integer-like (it would sort
 * first), and as many keys in its text as JSON.parse kept (no duplicates). Otherwise serialised.
 */
function payloadText(head: string, payload: Record<string, unknown>, reading: unknown, text: string, spans: ReadingSpans | null, i: number): string {
  if (spans === null || !isPlainObject(reading)) return JSON.stringify(payload);
  let own = 0;
  for (const k in reading) {
    const c = k.charCodeAt(0);
    if (k === "schema" || k === "message" || (c >= 48 && c <= 57)) return JSON.stringify(payload);
    own++;
  }
  if (own === 0 || keyCount(reading) !== spans.keys[i]) return JSON.stringify(payload);
  return head + text.slice(spans.start[i]! + 1, spans.end[i]);
}

function readingsOf(msg: Record<string, unknown>, text: string, receivedAt: Date, compiled: boolean): ParseResult {
  const schemas = MESSAGE_SCHEMAS[1];
  const env = schemas.device.parse(msg);
  // The envelope's fields a reading's payload keeps: seq and unknown fields. The epoch is in the
  // reading's channel (RAW.SENSOR_READINGS.channel, `...@<epoch>`): in every payload it would add
  // ~25 bytes to each of a day's million readings, for the validate task to parse again.
  const message = { seq: env.seq, ...unknownFields(msg, schemas.device) };
  // Every payload starts with these two keys: written once, each reading's own text follows.
  const payloadHead = `{"schema":${JSON.stringify(msg.v)},"message":${JSON.stringify(message)},`;
  const found = readingSpans(text);
  const spans = found && found.start.length === env.readings.length ? found : null;
  const receivedMs = receivedAt.getTime();
  const messageId = env.message_id ?? null;
  const accepted: AcceptedReading[] = [];
  const rejected: Rejection[] = [];
  env.readings.forEach((reading, i) => {
    const fast = compiled ? acceptReading(reading, env.sensor_type, receivedMs) : null;
    if (fast) {
      const r = reading as Record<string, unknown>;
      const payload = { schema: msg.v, message, ...r };
      accepted.push({
        tenantId: env.tenant_id,
        siteId: env.site_id,
        deviceId: env.device_id,
        sensorType: env.sensor_type,
        ts: fast,
        seq: r.seq as number,
        messageId,
        payload,
        payloadJson: payloadText(payloadHead, payload, r, text, spans, i),
      });
      return;
    }
    const base = `readings[${i}]`;
    const shape = schemas.reading.safeParse(reading);
    const issues = shape.success ? [] : zodIssues(shape.error, reading, base);
    if (!isPlainObject(reading)) return rejected.push(rejection(issues, reading, env.tenant_id, env.device_id));
    const ts = checkTimestamp(reading.ts, `${base}.ts`, receivedAt);
    if (!(ts instanceof Date)) issues.push(ts);
    const metrics = validateReadingMetrics(env.sensor_type, reading.metrics, `${base}.metrics`);
    if (!metrics.ok) issues.push(...metrics.issues);
    issues.push(...nonFiniteIssues(reading, base, issues));
    if (issues.length > 0 || !(ts instanceof Date)) return rejected.push(rejection(issues, reading, env.tenant_id, env.device_id));
    const payload = { schema: msg.v, message, ...reading };
    accepted.push({
      tenantId: env.tenant_id,
      siteId: env.site_id,
      deviceId: env.device_id,
      sensorType: env.sensor_type,
      ts,
      seq: reading.seq as number,
      messageId,
      payload,
      payloadJson: payloadText(payloadHead, payload, reading, text, spans, i),
    });
  });
  return { kind: "readings", accepted, rejected, total: env.readings.length, seq: env.seq, epoch: env.epoch ?? null };
}

function scansOf(msg: Record<string, unknown>, receivedAt: Date): ParseResult {
  const schemas = MESSAGE_SCHEMAS[1];
  const env = schemas.scans.parse(msg);
  // seq and epoch are checked by the schema but, as the gateway's envelope, kept with the rest.
  const messageExtras = {
    ...(env.seq === undefined ? {} : { seq: env.seq }), ...(env.epoch === undefined ? {} : { epoch: env.epoch }), ...unknownFields(msg, schemas.scans),
  };
  const accepted: AcceptedScan[] = [];
  const rejected: Rejection[] = [];
  const scannerId = typeof msg.device_id === "string" ? msg.device_id : undefined;
  env.scans.forEach((scan, i) => {
    const base = `scans[${i}]`;
    const shape = schemas.scan.safeParse(scan);
    const issues = shape.success ? [] : zodIssues(shape.error, scan, base);
    if (!isPlainObject(scan)) return rejected.push(rejection(issues, scan, env.tenant_id, scannerId));
    const scanTs = checkTimestamp(scan.scan_ts, `${base}.scan_ts`, receivedAt);
    if (!(scanTs instanceof Date)) issues.push(scanTs);
    issues.push(...nonFiniteIssues(scan, base, issues));
    const jobId = typeof scan.job_id === "string" ? scan.job_id : scannerId;
    if (!shape.success || issues.length > 0 || !(scanTs instanceof Date)) return rejected.push(rejection(issues, scan, env.tenant_id, jobId));
    const s = shape.data;
    // RAW.JOB_SCANS has no payload column: unknown fields ride in metadata so nothing is lost.
    const extras = { ...unknownFields(scan, schemas.scan), ...(Object.keys(messageExtras).length > 0 ? { message: messageExtras } : {}) };
    const sent = s.metadata;
    const metadata = Object.keys(extras).length === 0
      ? (sent ?? null)
      : { ...(isPlainObject(sent) ? sent : sent === undefined || sent === null ? {} : { metadata: sent }), unknown_fields: extras };
    accepted.push({
      tenantId: env.tenant_id,
      siteId: env.site_id,
      jobId: s.job_id,
      productId: s.product_id ?? null,
      productVariant: s.product_variant ?? null,
      station: s.station,
      scanTs,
      operatorId: s.operator_id ?? null,
      metadata,
    });
  });
  return { kind: "scans", accepted, rejected, total: env.scans.length, seq: env.seq ?? null, epoch: env.epoch ?? null };
}

// ---- JSON as firmware writes it -----------------------------------------------------------------

export type TolerantJson = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: string };

const NON_FINITE_TOKENS = ["-Infinity", "Infinity", "NaN"] as const;
/** The rest of a valid JSON string after its opening quote (RFC 8259 section 7). */
const JSON_STRING_REST = /[^"\\\u0000-\u001f]*(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\u0000-\u001f]*)*"/y;
const JSON_NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** `position 6 (line 1, column 7)`: positions count UTF-16 units, as String.prototype.slice does. */
function where(text: string, i: number): string {
  const before = text.slice(0, i);
  const line = before.split("\n").length;
  return `position ${i} (line ${line}, column ${i - before.lastIndexOf("\n")})`;
}

/**
 * JSON.parse plus the bare NaN, Infinity and -Infinity tokens that real firmware emits (C's printf
 * of a float), which JSON.parse refuses for the whole message. A pre-pass checks the grammar (so a
 * syntax error is reported with its position: Node 20's JSON.parse often gives none), and replaces
 * each such token found outside strings by a sentinel string unique to this call; JSON.parse's
 * reviver turns the sentinels back into numbers, for the schemas to refuse by field path. The pass
 * is iterative, so deep nesting cannot overflow the stack.
 */
export function parseJsonTolerant(text: string): TolerantJson {
  // Text JSON.parse takes is text the pre-pass below passes unchanged (same grammar, no bare
  // tokens), so the pass is needed only when JSON.parse refuses: bare tokens, or an error to place.
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return tolerantPass(text);
  }
}

function tolerantPass(text: string): TolerantJson {
  const sentinel = `\u0000non-finite ${randomUUID()} `;
  const pieces: string[] = [];
  let copied = 0;
  let i = 0;
  const closers: string[] = [];
  const fail = (what: string): TolerantJson => ({ ok: false, error: `${what} at ${where(text, i)}` });
  const skipWhitespace = () => {
    while (text[i] === " " || text[i] === "\n" || text[i] === "\r" || text[i] === "\t") i++;
  };
  const string = (): string | undefined => {
    JSON_STRING_REST.lastIndex = i + 1;
    if (JSON_STRING_REST.test(text)) return void (i = JSON_STRING_REST.lastIndex);
    // Not a valid string: walk it to say where and why.
    for (i++; ; ) {
      const c = text.charCodeAt(i);
      if (Number.isNaN(c)) return "unterminated string";
      if (c === 0x22) return void i++;
      if (c === 0x5c) {
        const e = text[i + 1] ?? "";
        if (e === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else if (e !== "" && `"\\/bfnrt`.includes(e)) i += 2;
        else return "invalid escape in string";
      } else if (c < 0x20) return "unescaped control character in string";
      else i++;
    }
  };
  const key = (): string | undefined => {
    skipWhitespace();
    if (text[i] !== '"') return "expected a property name in double quotes";
    const error = string();
    if (error) return error;
    skipWhitespace();
    if (text[i] !== ":") return "expected ':' after the property name";
    i++;
  };
  for (;;) {
    // A value starts here.
    skipWhitespace();
    const c = text[i];
    const token = NON_FINITE_TOKENS.find((t) => text.startsWith(t, i));
    if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      i++;
      skipWhitespace();
      if (text[i] !== close) {
        closers.push(close);
        const error = close === "}" ? key() : undefined;
        if (error) return fail(error);
        continue;
      }
      i++;
    } else if (c === '"') {
      const error = string();
      if (error) return fail(error);
    } else if (token) {
      pieces.push(text.slice(copied, i), JSON.stringify(sentinel + token));
      i += token.length;
      copied = i;
    } else if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) {
      JSON_NUMBER.lastIndex = i;
      if (!JSON_NUMBER.test(text)) return fail("invalid number");
      i = JSON_NUMBER.lastIndex;
    } else {
      const literal = ["true", "false", "null"].find((l) => text.startsWith(l, i));
      if (!literal) return fail(c === undefined ? "unexpected end of input" : `unexpected character ${JSON.stringify(c)}`);
      i += literal.length;
    }
    // A value ended: close containers, or go on to the next element.
    for (;;) {
      skipWhitespace();
      const close = closers.at(-1);
      if (close === undefined) return i < text.length ? fail("unexpected text after the JSON value") : finish();
      if (text[i] === close) {
        i++;
        closers.pop();
        continue;
      }
      if (text[i] !== ",") return fail(i >= text.length ? "unexpected end of input" : `expected ',' or '${close}'`);
      i++;
      const error = close === "}" ? key() : undefined;
      if (error) return fail(error);
      break;
    }
  }

  function finish(): TolerantJson {
    try {
      if (pieces.length === 0) return { ok: true, value: JSON.parse(text) };
      const revive = (_k: string, v: unknown) =>
        typeof v === "string" && v.startsWith(sentinel) ? Number(v.slice(sentinel.length)) : v;
      return { ok: true, value: JSON.parse(pieces.join("") + text.slice(copied), revive) };
    } catch (e) {
      return { ok: false, error: (e as Error).message }; // the pre-pass should have caught it first
    }
  }
}
