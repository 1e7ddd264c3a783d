/**
 * Exactly-once landing for streaming ingest: the rows of a micro-batch (readings, scans,
 * quarantine) and each channel's new offset commit in ONE DuckDB transaction, so after a crash
 * the committed offsets say exactly which messages are in RAW. A channel is one device's message
 * stream (`mqtt:<tenant>/<device>`); its offset is the device's message sequence number.
 *
 * Messages of a channel can arrive out of order (the broker replays a persistent session's backlog
 * while live messages flow), so a high watermark alone would take a late message for a duplicate.
 * The committed sequence numbers within DEDUP_WINDOW below each channel's watermark are kept too
 * (INGEST_CHANNEL_MESSAGES, same transaction), each with its message's content hash, so that a
 * redelivery (same hash) is told from a different message under the same seq (channelSequence.ts
 * judges; the offset only ever moves to a seq that landed). Rows from before the hashes have none.
 *
 * The rows are appended with rawAppender.ts's fill functions inside this transaction, so the
 * RAW column order lives in one place.
 */
import { DuckDBInstance, timestampValueFromDate, type DuckDBConnection } from "@duckdb/node-api";
import { EmbeddedEngine } from "../engine/embeddedEngine.ts";
import { CONTROL_SCHEMA } from "../engine/controlTables.ts";
import type { QuarantineRecord, RawReading, RawScan } from "./rawRecords.ts";
import { fillQuarantine, fillReadings, fillScans } from "./rawAppender.ts";
import { DEDUP_WINDOW } from "./channelSequence.ts";
import { fillNotes, type RawNote } from "../notes/noteRecords.ts";

export const OFFSETS_TABLE = `${CONTROL_SCHEMA}.INGEST_CHANNEL_OFFSETS`;
export const MESSAGES_TABLE = `${CONTROL_SCHEMA}.INGEST_CHANNEL_MESSAGES`;
/**
 * What an ingest path has landed over the hub's whole life, per source: one row per commit,
 * appended in the same transaction as the rows, so after any crash it says exactly what RAW holds
 * from that path and a count invariant can be checked across runs (the main job's lifetime line).
 * Appended, not updated in place: an upsert on a keyed row added 6-17 ms to each commit here, an
 * appended row next to nothing. `ledger()` sums; opening the landing folds the rows per source.
 */
export const LEDGER_TABLE = `${CONTROL_SCHEMA}.INGEST_LEDGER`;
export { DEDUP_WINDOW };

const DDL = [
  `CREATE TABLE IF NOT EXISTS ${OFFSETS_TABLE} (
  channel VARCHAR PRIMARY KEY, committed_offset BIGINT NOT NULL, committed_at TIMESTAMP NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS ${MESSAGES_TABLE} (channel VARCHAR NOT NULL, seq BIGINT NOT NULL)`,
  // Added in issue 18; a hub file from before keeps its rows, with no hash (judged as redeliveries).
  `ALTER TABLE ${MESSAGES_TABLE} ADD COLUMN IF NOT EXISTS content_hash BIGINT`,
  `CREATE TABLE IF NOT EXISTS ${LEDGER_TABLE} (
  source VARCHAR NOT NULL, messages BIGINT NOT NULL, readings BIGINT NOT NULL, scans BIGINT NOT NULL,
  quarantined BIGINT NOT NULL, quarantine_rows BIGINT NOT NULL, duplicates BIGINT NOT NULL, committed_at TIMESTAMP NOT NULL)`,
];

/** One source's ledger: counts of what it landed. */
export interface LedgerCounts {
  /** Messages received (each landed, quarantined or a redelivery). */
  readonly messages: number;
  /** Readings and scans committed to RAW. */
  readonly readings: number;
  readonly scans: number;
  /** Units (readings, scans or whole messages) quarantined, and the RAW.QUARANTINE rows for them. */
  readonly quarantined: number;
  readonly quarantineRows: number;
  /** Redeliveries dropped. */
  readonly duplicates: number;
}

const LEDGER_COLUMNS = ["messages", "readings", "scans", "quarantined", "quarantine_rows", "duplicates"] as const;

/** A message landed by a batch: its channel, sequence number and content hash (none for a file load). */
export interface LandedMessage {
  readonly channel: string;
  readonly seq: number;
  readonly hash?: number | null;
}

export interface ChannelBatch {
  readonly readings: readonly RawReading[];
  readonly scans: readonly RawScan[];
  readonly quarantine: readonly QuarantineRecord[];
  /** Operator notes (a notes file's rows), to RAW.OPERATOR_NOTES in the same transaction. */
  readonly notes?: readonly RawNote[];
  /** The messages these rows came from: their channels' offsets move to them. */
  readonly messages: readonly LandedMessage[];
  /** Counts to add to the ledger of `source`, in the same transaction. */
  readonly ledger?: LedgerCounts & { readonly source: string };
}

/** The ledger's rows summed into one per source (in one transaction: the totals never change). */
async function foldLedger(c: DuckDBConnection): Promise<void> {
  const sums = LEDGER_COLUMNS.map((k) => `SUM(${k})`).join(", ");
  await c.run("BEGIN TRANSACTION");
  try {
    await c.run(`CREATE OR REPLACE TEMP TABLE ledger_folded AS SELECT source, ${sums}, MAX(committed_at) FROM ${LEDGER_TABLE} GROUP BY source`);
    await c.run(`DELETE FROM ${LEDGER_TABLE}`);
    await c.run(`INSERT INTO ${LEDGER_TABLE} SELECT * FROM ledger_folded`);
    await c.run("DROP TABLE ledger_folded");
    await c.run("COMMIT");
  } catch (e) {
    await c.run("ROLLBACK").catch(() => undefined);
    throw e;
  }
}

export class ChannelLanding {
  private readonly offsets = new Map<string, number>();
  /** Per channel, the sequence numbers within DEDUP_WINDOW of its offset, with their content hashes. */
  private readonly seen = new Map<string, Map<number, number | null>>();
  private closed = false;

  private constructor(
    /** Null when the landing shares an engine's instance (the engine closes it). */
    private readonly instance: DuckDBInstance | null,
    private readonly conn: DuckDBConnection,
  ) {}

  /**
   * A landing on an open engine's database, for an ingest running in the engine's process (the
   * main job): DuckDB allows one writing process per file, so it shares the engine's instance.
   */
  static async onEngine(engine: EmbeddedEngine): Promise<ChannelLanding> {
    return ChannelLanding.load(null, await engine.rawConnection());
  }

  /** Open the warehouse file (deploying the definitions if it is new) and load the committed offsets. */
  static async open(path: string): Promise<ChannelLanding> {
    if (path === ":memory:") throw new Error("streaming ingest needs a warehouse file: its offsets must survive a crash");
    await (await EmbeddedEngine.open({ path })).close();
    const instance = await DuckDBInstance.create(path);
    return ChannelLanding.load(instance, await instance.connect());
  }

  private static async load(instance: DuckDBInstance | null, conn: DuckDBConnection): Promise<ChannelLanding> {
    for (const sql of DDL) await conn.run(sql);
    const landing = new ChannelLanding(instance, conn);
    const rows = (await conn.runAndReadAll(`SELECT channel, committed_offset FROM ${OFFSETS_TABLE}`)).getRowsJS();
    for (const [channel, offset] of rows) landing.offsets.set(String(channel), Number(offset));
    await conn.run(
      `DELETE FROM ${MESSAGES_TABLE} m USING ${OFFSETS_TABLE} o WHERE m.channel = o.channel AND m.seq <= o.committed_offset - ${DEDUP_WINDOW}`,
    );
    await foldLedger(conn);
    for (const [channel, seq, hash] of (await conn.runAndReadAll(`SELECT channel, seq, content_hash FROM ${MESSAGES_TABLE}`)).getRowsJS()) {
      landing.remember(String(channel), Number(seq), hash === null ? null : Number(hash));
    }
    return landing;
  }

  private remember(channel: string, seq: number, hash: number | null): void {
    let seen = this.seen.get(channel);
    if (!seen) this.seen.set(channel, (seen = new Map()));
    seen.set(seq, hash);
  }

  /** Forget what fell out of a channel's window, once there is twice a window of it (amortised). */
  private prune(channel: string): void {
    const seen = this.seen.get(channel);
    if (!seen || seen.size <= 2 * DEDUP_WINDOW) return;
    const floor = this.committed(channel) - DEDUP_WINDOW;
    for (const seq of seen.keys()) if (seq <= floor) seen.delete(seq);
  }

  /** Is message `seq` of `channel` already in RAW? (A seq below the window counts as in.) */
  isCommitted(channel: string, seq: number): boolean {
    const high = this.committed(channel);
    return seq <= high - DEDUP_WINDOW || (this.seen.get(channel)?.has(seq) ?? false);
  }

  /**
   * The content hash message `seq` of `channel` was committed with: null when it has none (landed
   * before hashes were kept, or by a file load), undefined when the seq is not committed or lies
   * below the window (no longer known either way).
   */
  knownHash(channel: string, seq: number): number | null | undefined {
    if (seq <= this.committed(channel) - DEDUP_WINDOW) return undefined;
    return this.seen.get(channel)?.get(seq);
  }

  /**
   * How many of a channel's sequence numbers the landing keeps in memory: those within
   * DEDUP_WINDOW of its offset, and at most twice a window before it forgets the rest (prune).
   */
  rememberedSeqs(channel: string): number {
    return this.seen.get(channel)?.size ?? 0;
  }

  /** The last committed offset of a channel, or -1 when nothing was committed. */
  committed(channel: string): number {
    return this.offsets.get(channel) ?? -1;
  }

  get channels(): ReadonlyMap<string, number> {
    return this.offsets;
  }

  /** Land a micro-batch and move its channels' offsets, atomically. */
  async commit(batch: ChannelBatch, at: Date): Promise<void> {
    if (this.closed) throw new Error("the landing is closed");
    const c = this.conn;
    await c.run("BEGIN TRANSACTION");
    try {
      await fillReadings(c, batch.readings, at);
      await fillScans(c, batch.scans, at);
      await fillQuarantine(c, batch.quarantine, at);
      if (batch.notes?.length) await fillNotes(c, batch.notes, at);
      const offsets = new Map<string, number>();
      for (const { channel, seq } of batch.messages) offsets.set(channel, Math.max(seq, offsets.get(channel) ?? this.committed(channel)));
      if (batch.messages.length > 0) {
        const a = await c.createAppender("INGEST_CHANNEL_MESSAGES", CONTROL_SCHEMA);
        for (const { channel, seq, hash } of batch.messages) {
          a.appendVarchar(channel);
          a.appendBigInt(BigInt(seq));
          if (hash === undefined || hash === null) a.appendNull();
          else a.appendBigInt(BigInt(hash));
          a.endRow();
        }
        a.closeSync();
      }
      const stamp = at.toISOString().replace("T", " ").replace("Z", "");
      if (batch.ledger) {
        const l = batch.ledger;
        const a = await c.createAppender("INGEST_LEDGER", CONTROL_SCHEMA);
        a.appendVarchar(l.source);
        for (const n of [l.messages, l.readings, l.scans, l.quarantined, l.quarantineRows, l.duplicates]) a.appendBigInt(BigInt(n));
        a.appendTimestamp(timestampValueFromDate(at));
        a.endRow();
        a.closeSync();
      }
      if (offsets.size > 0) {
        // One statement for every channel of the batch (a statement per channel costs ms each).
        const values = [...offsets].flatMap(([channel, offset]) => [channel, offset, stamp]);
        const rows = [...offsets].map((_, i) => `($${3 * i + 1}, $${3 * i + 2}, $${3 * i + 3}::TIMESTAMP)`).join(", ");
        await c.run(`INSERT OR REPLACE INTO ${OFFSETS_TABLE} VALUES ${rows}`, values);
      }
      await c.run("COMMIT");
      for (const [channel, offset] of offsets) this.offsets.set(channel, offset);
    } catch (e) {
      await c.run("ROLLBACK").catch(() => undefined);
      throw e;
    }
    for (const { channel, seq, hash } of batch.messages) this.remember(channel, seq, hash ?? null);
    for (const channel of new Set(batch.messages.map((m) => m.channel))) this.prune(channel);
  }

  /** The ledger of `source` (zeros when it never landed anything). */
  async ledger(source: string): Promise<LedgerCounts> {
    const reader = await this.conn.runAndReadAll(`SELECT ${LEDGER_COLUMNS.map((k) => `SUM(${k})`).join(", ")} FROM ${LEDGER_TABLE} WHERE source = $1`, [source]);
    const [row] = reader.getRowsJS();
    const n = (i: number) => Number(row?.[i] ?? 0);
    return { messages: n(0), readings: n(1), scans: n(2), quarantined: n(3), quarantineRows: n(4), duplicates: n(5) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.conn.run("CHECKPOINT").catch(() => undefined);
    this.conn.closeSync();
    this.instance?.closeSync();
  }
}
