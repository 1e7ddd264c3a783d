/**
 * Lands rows in RAW with DuckDB's Appender (~20× a multi-row INSERT here, see ENVIRONMENT.md).
 * One call is one transaction: the rows are visible together or not at all, stamped with one
 * `ingested_at`. Streaming ingest (channel offsets) and file loads build on this.
 */
import { timestampValueFromDate, type DuckDBAppender, type DuckDBConnection } from "@duckdb/node-api";
import type { QuarantineRecord, RawReading, RawScan } from "./rawRecords.ts";
import { boundedRaw, cutNote } from "../quality/quarantinePayload.ts";

function appendNullable(a: DuckDBAppender, v: string | null): void {
  if (v === null) a.appendNull();
  else a.appendVarchar(v);
}

function appendJson(a: DuckDBAppender, v: unknown): void {
  if (v === null || v === undefined) a.appendNull();
  else a.appendVarchar(typeof v === "string" ? v : JSON.stringify(v));
}

async function withAppender(c: DuckDBConnection, fill: (c: DuckDBConnection) => Promise<void>): Promise<void> {
  await c.run("BEGIN TRANSACTION");
  try {
    await fill(c);
    await c.run("COMMIT");
  } catch (e) {
    await c.run("ROLLBACK").catch(() => undefined);
    throw e;
  }
}

/** One DuckDB vector: the appender hands a full one to the table anyway. */
const YIELD_EVERY_ROWS = 2048;

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Append readings inside the caller's open transaction (the column order of RAW.SENSOR_READINGS
 * lives here only); `appendReadings` wraps it in its own transaction.
 */
export async function fillReadings(c: DuckDBConnection, rows: readonly RawReading[], ingestedAt: Date): Promise<void> {
  if (rows.length === 0) return;
  const at = timestampValueFromDate(ingestedAt);
  const a = await c.createAppender("SENSOR_READINGS", "RAW");
  for (let i = 0; i < rows.length; i++) {
    // Appending is synchronous: let the event loop run between slices, so that a big batch does not
    // hold up everything else on it (in the main job, the warehouse's statement completions).
    if (i > 0 && i % YIELD_EVERY_ROWS === 0) await yieldToEventLoop();
    const r = rows[i]!;
    a.appendVarchar(r.tenantId);
    a.appendVarchar(r.siteId);
    a.appendVarchar(r.deviceId);
    a.appendVarchar(r.sensorType);
    a.appendTimestamp(timestampValueFromDate(r.ts));
    a.appendBigInt(BigInt(r.seq));
    appendNullable(a, r.messageId);
    appendJson(a, r.payload);
    appendNullable(a, r.channel);
    if (r.channelOffset === null) a.appendNull();
    else a.appendBigInt(BigInt(r.channelOffset));
    a.appendTimestamp(at);
    a.appendVarchar(r.source);
    a.endRow();
  }
  a.closeSync();
}

/** Append scans inside the caller's open transaction. */
export async function fillScans(c: DuckDBConnection, rows: readonly RawScan[], ingestedAt: Date): Promise<void> {
  if (rows.length === 0) return;
  const at = timestampValueFromDate(ingestedAt);
  const a = await c.createAppender("JOB_SCANS", "RAW");
  for (const r of rows) {
    a.appendVarchar(r.tenantId);
    a.appendVarchar(r.siteId);
    a.appendVarchar(r.jobId);
    appendNullable(a, r.productId);
    appendNullable(a, r.productVariant);
    a.appendVarchar(r.station);
    a.appendTimestamp(timestampValueFromDate(r.scanTs));
    appendNullable(a, r.operatorId);
    appendJson(a, r.metadata);
    a.appendTimestamp(at);
    a.appendVarchar(r.source);
    a.endRow();
  }
  a.closeSync();
}

/**
 * Append quarantine rows inside the caller's open transaction. A raw value over the message limit
 * is cut to a prefix with its size and SHA-256 (quarantinePayload.ts), whichever path refused it.
 */
export async function fillQuarantine(c: DuckDBConnection, rows: readonly QuarantineRecord[], receivedAt: Date): Promise<void> {
  if (rows.length === 0) return;
  const at = timestampValueFromDate(receivedAt);
  const a = await c.createAppender("QUARANTINE", "RAW");
  for (const r of rows) {
    const { raw, cut } = boundedRaw(r.raw);
    appendNullable(a, r.tenantId);
    a.appendVarchar(r.source);
    a.appendTimestamp(at);
    a.appendVarchar(cut ? `${r.reason} (${cutNote(cut)})` : r.reason);
    appendJson(a, raw);
    appendNullable(a, r.deviceId);
    appendNullable(a, r.metric);
    a.endRow();
  }
  a.closeSync();
}

export async function appendReadings(c: DuckDBConnection, rows: readonly RawReading[], ingestedAt: Date): Promise<number> {
  if (rows.length > 0) await withAppender(c, (tx) => fillReadings(tx, rows, ingestedAt));
  return rows.length;
}

export async function appendScans(c: DuckDBConnection, rows: readonly RawScan[], ingestedAt: Date): Promise<number> {
  if (rows.length > 0) await withAppender(c, (tx) => fillScans(tx, rows, ingestedAt));
  return rows.length;
}

export async function appendQuarantine(c: DuckDBConnection, rows: readonly QuarantineRecord[], receivedAt: Date): Promise<number> {
  if (rows.length > 0) await withAppender(c, (tx) => fillQuarantine(tx, rows, receivedAt));
  return rows.length;
}
