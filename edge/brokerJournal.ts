/**
 * The broker's write-ahead journal: a device's telemetry is on disk (fsync'd) before the broker
 * sends its PUBACK, as IoT Core has durably accepted a message when it acknowledges it. aedes
 * acknowledges a QoS 1 PUBLISH before it delivers it (lib/handlers/publish.js), and the ingest
 * commits it a moment later, so without the journal a crash between the two lost messages the
 * device had already dropped from its queue. After a crash `serve` replays what the journal holds
 * to the ingest, which drops what it had committed (the channel's sequence) and lands the rest.
 *
 * Records are appended in groups (one write and one fsync for every PUBLISH that arrived while the
 * last fsync ran), into segments that are deleted once the ingest has acknowledged everything
 * they hold. A record: topic length (u32 BE), topic (UTF-8), payload length (u32 BE), payload. A
 * torn record at a segment's end (the crash came mid-write) is ignored: its PUBACK was never sent.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";

export interface JournalRecord {
  readonly topic: string;
  readonly payload: Buffer;
}

const SEGMENT = /^segment-(\d{12})\.log$/;

export class BrokerJournal {
  private fd: number;
  private segment: number;
  private queue: Array<{ record: Buffer; done: (e?: Error) => void }> = [];
  private flushing: Promise<void> | null = null;
  /** Segments closed by a rotation, with the appends counted when each closed. */
  private readonly closed: Array<{ segment: number; appendedBefore: number }> = [];
  /** Records made durable, since open. */
  appended = 0;

  private constructor(
    private readonly dir: string,
    /** What earlier runs left, in order: to be replayed, then released. */
    readonly leftover: readonly JournalRecord[],
    private readonly leftoverSegments: readonly number[],
  ) {
    this.segment = (leftoverSegments.at(-1) ?? 0) + 1;
    this.fd = openSync(this.path(this.segment), "a", 0o600);
  }

  static open(dir: string): BrokerJournal {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const segments = readdirSync(dir).map((f) => SEGMENT.exec(f)).filter((m): m is RegExpExecArray => m !== null).map((m) => Number(m[1])).sort((a, b) => a - b);
    const leftover = segments.flatMap((s) => readSegment(join(dir, name(s))));
    return new BrokerJournal(dir, leftover, segments);
  }

  private path(segment: number): string {
    return join(this.dir, name(segment));
  }

  /** Resolves once the record is on disk. */
  append(topic: string, payload: Buffer): Promise<void> {
    const t = Buffer.from(topic, "utf8");
    const record = Buffer.allocUnsafe(8 + t.length + payload.length);
    record.writeUInt32BE(t.length, 0);
    t.copy(record, 4);
    record.writeUInt32BE(payload.length, 4 + t.length);
    payload.copy(record, 8 + t.length);
    return new Promise((resolve, reject) => {
      this.queue.push({ record, done: (e) => (e ? reject(e) : resolve()) });
      this.flushing ??= this.flush();
    });
  }

  /** Write and fsync everything queued; what arrives meanwhile goes in the next group. */
  private async flush(): Promise<void> {
    // Let the PUBLISHes already read from the sockets join this group.
    await new Promise((r) => setImmediate(r));
    while (this.queue.length > 0) {
      const group = this.queue.splice(0);
      try {
        writeSync(this.fd, Buffer.concat(group.map((g) => g.record)));
        fsyncSync(this.fd);
        this.appended += group.length;
        for (const g of group) g.done();
      } catch (e) {
        for (const g of group) g.done(e as Error);
      }
    }
    this.flushing = null;
  }

  /** Start a new segment; the old one is released once `acknowledged` passes what it holds. */
  async rotate(): Promise<void> {
    await this.flushing;
    closeSync(this.fd);
    this.closed.push({ segment: this.segment, appendedBefore: this.appended });
    this.segment++;
    this.fd = openSync(this.path(this.segment), "a", 0o600);
  }

  /**
   * Delete the segments whose every record the ingest has acknowledged: `acknowledged` counts the
   * ingest's acknowledgements of records appended since open (it commits, then acknowledges, in
   * the order it received them).
   */
  release(acknowledged: number): number {
    let n = 0;
    while (this.closed.length > 0 && this.closed[0]!.appendedBefore <= acknowledged) {
      rmSync(this.path(this.closed.shift()!.segment), { force: true });
      n++;
    }
    return n;
  }

  /** The earlier runs' segments, once their records have been replayed and acknowledged. */
  releaseLeftover(): void {
    for (const s of this.leftoverSegments) rmSync(this.path(s), { force: true });
  }

  async close(): Promise<void> {
    await this.flushing;
    closeSync(this.fd);
  }
}

function name(segment: number): string {
  return `segment-${String(segment).padStart(12, "0")}.log`;
}

function readSegment(path: string): JournalRecord[] {
  const b = readFileSync(path);
  const out: JournalRecord[] = [];
  let at = 0;
  while (at + 4 <= b.length) {
    const tl = b.readUInt32BE(at);
    if (at + 8 + tl > b.length) break;
    const pl = b.readUInt32BE(at + 4 + tl);
    if (at + 8 + tl + pl > b.length) break;
    out.push({ topic: b.toString("utf8", at + 4, at + 4 + tl), payload: Buffer.from(b.subarray(at + 8 + tl, at + 8 + tl + pl)) });
    at += 8 + tl + pl;
  }
  return out;
}
