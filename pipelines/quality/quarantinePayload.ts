/**
 * What RAW.QUARANTINE keeps of a refused payload. Anything up to MAX_MESSAGE_BYTES (what the
 * payload contract lets in) is kept whole, so an operator can fix and replay it. Beyond that the
 * payload is no message of ours, and keeping it whole let three 30 MB publishes grow the hub by
 * 150 MB (issue 18): quarantine keeps its first QUARANTINE_PREFIX_BYTES, its size and its SHA-256,
 * enough to see what was sent (the envelope and the first readings) and to recognise it again,
 * at a bounded cost per refusal.
 */
import { createHash } from "node:crypto";
import { MAX_MESSAGE_BYTES } from "./payloadSchemas.ts";

/**
 * 4 KB: the gateway's envelope (tenant, site, device, sensor type, seq, epoch, message id) is
 * under 300 bytes and a reading ~150 to 400, so the prefix shows who sent it and its first
 * readings, and a refusal costs at most ~5.5 KB however large the payload (base64 of binary).
 */
export const QUARANTINE_PREFIX_BYTES = 4096;

/** A payload too large to keep: its start, size and digest (the RAW.QUARANTINE.raw JSON). */
export interface CutPayload {
  /** Size of the whole payload, in bytes. */
  readonly bytes: number;
  /** SHA-256 of the whole payload, hex. */
  readonly sha256: string;
  /** Bytes kept from its start (at most QUARANTINE_PREFIX_BYTES, cut on a character boundary). */
  readonly prefix_bytes: number;
  /** Its first bytes, as text, or base64 when they are not UTF-8 (`prefix_encoding`). */
  readonly prefix: string;
  readonly prefix_encoding?: "base64";
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The bounded stand-in for `payload`. */
export function cutPayload(payload: Buffer): CutPayload {
  const sha256 = createHash("sha256").update(payload).digest("hex");
  let end = Math.min(payload.length, QUARANTINE_PREFIX_BYTES);
  // Back off to the start of a UTF-8 character (continuation bytes are 10xxxxxx).
  if (end < payload.length) while (end > 0 && (payload[end]! & 0xc0) === 0x80) end--;
  const head = payload.subarray(0, end);
  try {
    return { bytes: payload.length, sha256, prefix_bytes: end, prefix: utf8.decode(head) };
  } catch {
    const raw = payload.subarray(0, Math.min(payload.length, QUARANTINE_PREFIX_BYTES));
    return { bytes: payload.length, sha256, prefix_bytes: raw.length, prefix: raw.toString("base64"), prefix_encoding: "base64" };
  }
}

/** The words a reason gets when its payload was cut. */
export function cutNote(cut: CutPayload): string {
  return `quarantine keeps its first ${cut.prefix_bytes} bytes, its size and its SHA-256 ${cut.sha256}`;
}

/**
 * `raw` as a quarantine row may hold it: unchanged when its JSON text is at most `limit` bytes,
 * else cut (`cut` says so, for the reason). Every path that writes RAW.QUARANTINE goes through
 * this (rawAppender.fillQuarantine), so none can store a huge payload whole.
 */
export function boundedRaw(raw: unknown, limit = MAX_MESSAGE_BYTES): { raw: unknown; cut: CutPayload | null } {
  if (raw === null || raw === undefined) return { raw, cut: null };
  const text = typeof raw === "string" ? raw : JSON.stringify(raw);
  // A UTF-16 unit is at most 3 UTF-8 bytes: short text needs no byte count.
  if (text.length <= limit / 3 || Buffer.byteLength(text, "utf8") <= limit) return { raw, cut: null };
  const cut = cutPayload(Buffer.from(text, "utf8"));
  return { raw: cut, cut };
}
