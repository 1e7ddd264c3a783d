/**
 * Lands rows in RAW with DuckDB's Appender (~20× a multi-row INSERT here, see ENVIRONMENT.md).
 * One call is one transaction: the rows are visible together or not at all, stamped with one
 * `ingested_at`. Streaming ingest (channel offsets) and file loads build on this.
 */
import { timestampValueFromDate, type DuckDBAppender, type DuckDBConnection } from "@duckdb/node-api";
import type { QuarantineRecord, RawReading, RawScan } from "./rawRecords.ts";

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
 * The readings' own columns go to a temporary table, their message's (tenant, site, device, sensor
 * type, message id, channel, source: the same for every reading of a message) once per message to
 * another; one INSERT ... SELECT then joins them into RAW.SENSOR_READINGS. Appending is JavaScript
 * on the event loop, one native call per value: six a row instead of thirteen took the appending
 * of 48k readings from ~300 to ~130 ms of event-loop time, and the join runs on DuckDB's thread.
 * Temporary tables are the connection's own and never written to the database file.
 */
const STAGE = "_hub_landing_readings";
const STAGE_MESSAGES = "_hub_landing_messages";
const STAGE_DDL =
  `CREATE TEMP TABLE IF NOT EXISTS ${STAGE} (m INTEGER, ts TIMESTAMP, seq BIGINT, payload JSON, channel_offset BIGINT); ` +
  `CREATE TEMP TABLE IF NOT EXISTS ${STAGE_MESSAGES} (m INTEGER, tenant_id VARCHAR, site_id VARCHAR, device_id VARCHAR, ` +
  `sensor_type VARCHAR, message_id VARCHAR, channel VARCHAR, source VARCHAR); ` +
  // Empty already (each fill empties them in its own transaction), unless a caller kept a failed one.
  `DELETE FROM ${STAGE}; DELETE FROM ${STAGE_MESSAGES}`;

/**
 * Append readings inside the caller's open transaction (the column order of RAW.SENSOR_READINGS
 * lives here only); `appendReadings` wraps it in its own transaction. The rows keep their order.
 */
export async function fillReadings(c: DuckDBConnection, rows: readonly RawReading[], ingestedAt: Date): Promise<void> {
  if (rows.length === 0) return;
  await c.run(STAGE_DDL);
  const a = await c.createAppender(STAGE, "main", "temp");
  const messages = await c.createAppender(STAGE_MESSAGES, "main", "temp");
  let m = -1;
  let prev: RawReading | undefined;
  for (let i = 0; i < rows.length; i++) {
    // Appending is synchronous: let the event loop run between slices, so that a big batch does not
    // hold up everything else on it (in the main job, the warehouse's statement completions).
    if (i > 0 && i % YIELD_EVERY_ROWS === 0) await yieldToEventLoop();
    const r = rows[i]!;
    if (
      !prev || r.tenantId !== prev.tenantId || r.siteId !== prev.siteId || r.deviceId !== prev.deviceId || r.sensorType !== prev.sensorType ||
      r.messageId !== prev.messageId || r.channel !== prev.channel || r.source !== prev.source
    ) {
      messages.appendInteger(++m);
      messages.appendVarchar(r.tenantId);
      messages.appendVarchar(r.siteId);
      messages.appendVarchar(r.deviceId);
      messages.appendVarchar(r.sensorType);
      appendNullable(messages, r.messageId);
      appendNullable(messages, r.channel);
      messages.appendVarchar(r.source);
      messages.endRow();
      prev = r;
    }
    a.appendInteger(m);
    a.appendTimestamp(timestampValueFromDate(r.ts));
    a.appendBigInt(BigInt(r.seq));
    appendJson(a, r.payload);
    if (r.channelOffset === null) a.appendNull();
    else a.appendBigInt(BigInt(r.channelOffset));
    a.endRow();
  }
  a.closeSync();
  messages.closeSync();
  const at = ingestedAt.toISOString().replace("T", " ").replace("Z", "");
  await c.run(
    `INSERT INTO RAW.SENSOR_READINGS (tenant_id, site_id, device_id, sensor_type, ts, seq, message_id, payload, channel, channel_offset, ingested_at, source)
SELECT g.tenant_id, g.site_id, g.device_id, g.sensor_type, r.ts, r.seq, g.message_id, r.payload, g.channel, r.channel_offset, TIMESTAMP '${at}', g.source
FROM ${STAGE} r JOIN ${STAGE_MESSAGES} g ON g.m = r.m ORDER BY r.rowid; ` +
      `DELETE FROM ${STAGE}; DELETE FROM ${STAGE_MESSAGES}`,
  );
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

/** Append quarantine rows inside the caller's open transaction. */
export async function fillQuarantine(c: DuckDBConnection, rows: readonly QuarantineRecord[], receivedAt: Date): Promise<void> {
  if (rows.length === 0) return;
  const at = timestampValueFromDate(receivedAt);
  const a = await c.createAppender("QUARANTINE", "RAW");
  for (const r of rows) {
    appendNullable(a, r.tenantId);
    a.appendVarchar(r.source);
    a.appendTimestamp(at);
    a.appendVarchar(r.reason);
    appendJson(a, r.raw);
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
