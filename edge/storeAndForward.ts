/**
 * A durable, bounded store-and-forward queue on disk for one device's outgoing messages: kept while
 * the broker is unreachable, sent in order, removed only after the broker's PUBACK. Bounded in
 * bytes; when full, the policy either refuses the new message or drops the oldest, and every drop
 * is counted (in messages and readings) in the state file, so the counts survive a restart.
 *
 * Layout in `dir`: `queue-<generation>.log` holds one JSON line per message, appended;
 * `state.json` (replaced atomically) holds the generation, the byte offset of the head, the last
 * sequence number removed and the drop counters. Compaction writes the live tail to the next
 * generation's log, then switches `state.json` to it, so a crash at any point leaves one consistent
 * pair. A torn last line (crash mid-append) is cut off on open.
 *
 * An acknowledgement moves the head in memory at once and in `state.json` within
 * `ACK_SAVE_INTERVAL_MS` (and on close): rewriting the state file on every PUBACK was most of the
 * gateway's file work. After a crash, messages acknowledged in that last interval are sent again;
 * the ingest drops them as redeliveries (each channel commits its offset with the rows, exactly
 * once). Changes to the drop counters are saved at once, so no drop is ever forgotten.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";

export type OverflowPolicy = "reject-new" | "drop-oldest";

export interface QueuedMessage {
  readonly topic: string;
  readonly payload: string;
  /** Device message sequence number. */
  readonly seq: number;
  /** Readings (or scans) the message carries: what a drop costs. */
  readonly readings: number;
}

export interface QueueOptions {
  /** Bound on the bytes of queued messages. Default 64 MiB. */
  readonly maxBytes?: number;
  /** Default "drop-oldest" (fresh data is worth more to a dashboard than old). */
  readonly policy?: OverflowPolicy;
  /** fsync each append and state change (slower, survives power loss, not only a crash). Default false. */
  readonly fsync?: boolean;
}

export interface QueueCounters {
  droppedMessages: number;
  droppedReadings: number;
  rejectedMessages: number;
  rejectedReadings: number;
}

interface State extends QueueCounters {
  generation: number;
  headOffset: number;
  /** Highest sequence number acknowledged or dropped: the next message gets a higher one. */
  lastSeq: number;
}

interface Entry {
  readonly msg: QueuedMessage;
  readonly bytes: number;
}

const COMPACT_AFTER_BYTES = 4 * 1024 * 1024;
/** The longest an acknowledgement waits to reach `state.json` (see the module comment). */
export const ACK_SAVE_INTERVAL_MS = 200;

export class StoreAndForward {
  private state: State;
  private entries: Entry[] = [];
  private head = 0;
  private liveBytes = 0;
  private logBytes = 0;
  private fd: number;
  private inFlight: number | null = null;
  private droppedInFlight: { seq: number; readings: number } | null = null;
  /** A pending save of acknowledgements (see the module comment). */
  private saveTimer: NodeJS.Timeout | null = null;
  readonly maxBytes: number;
  readonly policy: OverflowPolicy;
  private readonly fsync: boolean;

  private constructor(private readonly dir: string, opts: QueueOptions) {
    this.maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
    this.policy = opts.policy ?? "drop-oldest";
    this.fsync = opts.fsync ?? false;
    mkdirSync(dir, { recursive: true });
    const statePath = join(dir, "state.json");
    this.state = existsSync(statePath)
      ? (JSON.parse(readFileSync(statePath, "utf8")) as State)
      : { generation: 0, headOffset: 0, lastSeq: -1, droppedMessages: 0, droppedReadings: 0, rejectedMessages: 0, rejectedReadings: 0 };
    this.load();
    this.fd = openSync(this.logPath(this.state.generation), "a");
  }

  static open(dir: string, opts: QueueOptions = {}): StoreAndForward {
    return new StoreAndForward(dir, opts);
  }

  private logPath(generation: number): string {
    return join(this.dir, `queue-${generation}.log`);
  }

  private load(): void {
    const path = this.logPath(this.state.generation);
    if (!existsSync(path)) return writeFileSync(path, "");
    const buf = readFileSync(path);
    let pos = this.state.headOffset;
    let good = buf.length;
    while (pos < buf.length) {
      const nl = buf.indexOf(0x0a, pos);
      if (nl < 0) {
        good = pos; // torn last line
        break;
      }
      const line = buf.subarray(pos, nl).toString("utf8");
      try {
        const msg = JSON.parse(line) as QueuedMessage;
        this.entries.push({ msg, bytes: nl + 1 - pos });
        this.liveBytes += nl + 1 - pos;
      } catch {
        good = pos;
        break;
      }
      pos = nl + 1;
    }
    if (good < buf.length) truncateSync(path, good);
    this.logBytes = Math.min(good, buf.length);
  }

  private saveState(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = null;
    const path = join(this.dir, "state.json");
    writeFileSync(`${path}.tmp`, JSON.stringify(this.state));
    if (this.fsync) {
      const fd = openSync(`${path}.tmp`, "r");
      fsyncSync(fd);
      closeSync(fd);
    }
    renameSync(`${path}.tmp`, path);
  }

  get length(): number {
    return this.entries.length - this.head;
  }

  get bytes(): number {
    return this.liveBytes;
  }

  get queuedReadings(): number {
    let n = 0;
    for (let i = this.head; i < this.entries.length; i++) n += this.entries[i]!.msg.readings;
    return n;
  }

  get counters(): QueueCounters {
    const { droppedMessages, droppedReadings, rejectedMessages, rejectedReadings } = this.state;
    return { droppedMessages, droppedReadings, rejectedMessages, rejectedReadings };
  }

  /** The sequence number the next message should carry. */
  nextSeq(): number {
    const last = this.entries.at(-1);
    return Math.max(this.state.lastSeq, this.length > 0 && last ? last.msg.seq : -1) + 1;
  }

  /** Queue a message; false when the policy refused it (counted). */
  enqueue(msg: QueuedMessage): boolean {
    const line = `${JSON.stringify(msg)}\n`;
    const bytes = Buffer.byteLength(line);
    if (bytes > this.maxBytes) return this.refuse(msg);
    const full = this.liveBytes + bytes > this.maxBytes;
    if (full && this.policy === "reject-new") return this.refuse(msg);
    // Append first, then drop: a crash in between leaves the queue briefly over its bound, never a
    // message lost without being counted.
    writeSync(this.fd, line);
    if (this.fsync) fsyncSync(this.fd);
    this.entries.push({ msg, bytes });
    this.liveBytes += bytes;
    this.logBytes += bytes;
    if (full) {
      while (this.liveBytes > this.maxBytes && this.length > 1) {
        const e = this.entries[this.head]!;
        if (e.msg.seq === this.inFlight) this.droppedInFlight = { seq: e.msg.seq, readings: e.msg.readings };
        this.state.droppedMessages++;
        this.state.droppedReadings += e.msg.readings;
        this.remove();
      }
      this.saveState();
    }
    return true;
  }

  private refuse(msg: QueuedMessage): false {
    this.state.rejectedMessages++;
    this.state.rejectedReadings += msg.readings;
    this.saveState();
    return false;
  }

  /** The oldest message: the one to send next. */
  peek(): QueuedMessage | undefined {
    return this.entries[this.head]?.msg;
  }

  /**
   * Message `seq` was delivered (PUBACK): remove it for good. If drop-oldest dropped it while it
   * was in flight, it was delivered after all, so it is taken off the drop counters.
   */
  ack(seq: number): void {
    const head = this.peek();
    if (head && head.seq === seq) {
      this.remove();
      this.droppedInFlight = null;
      this.saveSoon();
    } else if (this.droppedInFlight?.seq === seq) {
      this.state.droppedMessages--;
      this.state.droppedReadings -= this.droppedInFlight.readings;
      this.droppedInFlight = null;
      this.saveState();
    } else {
      return;
    }
    this.maybeCompact();
  }

  /** Save the moved head within ACK_SAVE_INTERVAL_MS; the timer does not keep the process alive. */
  private saveSoon(): void {
    if (this.fsync) return this.saveState();
    this.saveTimer ??= setTimeout(() => this.saveState(), ACK_SAVE_INTERVAL_MS).unref();
  }

  /** The sender is about to publish message `seq` (the head). */
  markInFlight(seq: number): void {
    this.inFlight = seq;
  }

  private remove(): void {
    const e = this.entries[this.head]!;
    this.head++;
    this.liveBytes -= e.bytes;
    this.state.headOffset += e.bytes;
    this.state.lastSeq = Math.max(this.state.lastSeq, e.msg.seq);
  }

  private maybeCompact(): void {
    if (this.state.headOffset < COMPACT_AFTER_BYTES || this.state.headOffset < this.logBytes / 2) return;
    const live = this.entries.slice(this.head);
    const next = this.state.generation + 1;
    writeFileSync(this.logPath(next), live.map((e) => `${JSON.stringify(e.msg)}\n`).join(""));
    const old = this.state.generation;
    this.state = { ...this.state, generation: next, headOffset: 0 };
    this.saveState();
    closeSync(this.fd);
    rmSync(this.logPath(old), { force: true });
    this.fd = openSync(this.logPath(next), "a");
    this.entries = live;
    this.head = 0;
    this.logBytes = statSync(this.logPath(next)).size;
  }

  close(): void {
    if (this.saveTimer) this.saveState();
    closeSync(this.fd);
  }
}
