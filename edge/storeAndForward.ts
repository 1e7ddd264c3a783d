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
 *
 * Messages are numbered 0, 1, 2, ... within an epoch (payloadSchemas.epochSchema): a queue created
 * fresh (its directory new or wiped) starts a new epoch, kept in `state.json`, so its numbering
 * starting again at 0 is not taken for old messages by the ingest, which keeps one offset per
 * (device, epoch). The ingest adopts a seq at most MAX_SEQ_ADVANCE ahead of the last one landed;
 * drop-oldest skips numbers (the dropped messages'), without limit over a long outage, so the queue
 * also starts a new epoch before numbering a message more than `maxSeqAhead` past the last one
 * delivered in the epoch. A state file from before epochs keeps its numbering, without an epoch.
 */
import { randomInt } from "node:crypto";
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { MAX_SEQ_ADVANCE } from "../pipelines/quality/payloadSchemas.ts";

export type OverflowPolicy = "reject-new" | "drop-oldest";

export interface QueuedMessage {
  readonly topic: string;
  readonly payload: string;
  /** Device message sequence number. */
  readonly seq: number;
  /** The epoch `seq` counts in (the payload carries it too); the queue's current one when not given. */
  readonly epoch?: number | null;
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
  /** How far past the last delivered message of its epoch a message may be numbered before a new epoch starts. Default MAX_SEQ_ADVANCE / 2. */
  readonly maxSeqAhead?: number;
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
  /** The numbering epoch; null in a state file from before epochs (its messages carry none). */
  epoch: number | null;
  /** Highest sequence number of the epoch acknowledged or dropped: the next message gets a higher one. */
  lastSeq: number;
  /** Highest sequence number of the epoch acknowledged (delivered); -1 for none. */
  lastDeliveredSeq: number;
}

/**
 * A new epoch: the creation time in ms times 1000, plus 3 random digits so that two queues made in
 * the same millisecond differ (a safe integer until the year 2255). A wiped queue cannot remember
 * its old epochs, so the value must not repeat; the time also tells an operator when it began.
 */
export function newEpoch(now = Date.now()): number {
  return now * 1000 + randomInt(1000);
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
  private droppedInFlight: { seq: number; readings: number; msg: QueuedMessage } | null = null;
  /** A pending save of acknowledgements (see the module comment). */
  private saveTimer: NodeJS.Timeout | null = null;
  readonly maxBytes: number;
  readonly policy: OverflowPolicy;
  private readonly fsync: boolean;
  private readonly maxSeqAhead: number;

  private constructor(private readonly dir: string, opts: QueueOptions) {
    this.maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
    this.policy = opts.policy ?? "drop-oldest";
    this.fsync = opts.fsync ?? false;
    this.maxSeqAhead = opts.maxSeqAhead ?? MAX_SEQ_ADVANCE / 2;
    mkdirSync(dir, { recursive: true });
    const statePath = join(dir, "state.json");
    const fresh = !existsSync(statePath);
    if (fresh) {
      this.state = {
        generation: 0, headOffset: 0, epoch: newEpoch(), lastSeq: -1, lastDeliveredSeq: -1,
        droppedMessages: 0, droppedReadings: 0, rejectedMessages: 0, rejectedReadings: 0,
      };
    } else {
      const saved = JSON.parse(readFileSync(statePath, "utf8")) as Partial<State> & Omit<State, "epoch" | "lastDeliveredSeq">;
      // Before epochs: no epoch, and the last seq removed stands for the last delivered.
      this.state = { ...saved, epoch: saved.epoch ?? null, lastDeliveredSeq: saved.lastDeliveredSeq ?? saved.lastSeq };
    }
    this.load();
    this.fd = openSync(this.logPath(this.state.generation), "a");
    // The epoch is on disk before any message numbered in it.
    if (fresh) this.saveState();
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

  /** The current numbering epoch (null: a queue from before epochs, whose messages carry none). */
  get epoch(): number | null {
    return this.state.epoch;
  }

  /** The epoch and sequence number the next message should carry (a new epoch may start here, see the module comment). */
  nextNumber(): { epoch: number | null; seq: number } {
    const last = this.entries.at(-1);
    const queued = this.length > 0 && last && (last.msg.epoch ?? null) === this.state.epoch ? last.msg.seq : -1;
    const seq = Math.max(this.state.lastSeq, queued) + 1;
    if (seq - this.state.lastDeliveredSeq <= this.maxSeqAhead) return { epoch: this.state.epoch, seq };
    this.state = { ...this.state, epoch: newEpoch(), lastSeq: -1, lastDeliveredSeq: -1 };
    this.saveState();
    return { epoch: this.state.epoch, seq: 0 };
  }

  /** The sequence number the next message should carry (in `epoch`, as nextNumber). */
  nextSeq(): number {
    return this.nextNumber().seq;
  }

  /** Queue a message; false when the policy refused it (counted). */
  enqueue(message: QueuedMessage): boolean {
    const msg = message.epoch === undefined ? { ...message, epoch: this.state.epoch } : message;
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
        if (e.msg.seq === this.inFlight) this.droppedInFlight = { seq: e.msg.seq, readings: e.msg.readings, msg: e.msg };
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
      this.delivered(head);
      this.remove();
      this.droppedInFlight = null;
      this.saveSoon();
    } else if (this.droppedInFlight?.seq === seq) {
      this.state.droppedMessages--;
      this.state.droppedReadings -= this.droppedInFlight.readings;
      this.delivered(this.droppedInFlight.msg);
      this.droppedInFlight = null;
      this.saveState();
    } else {
      return;
    }
    this.maybeCompact();
  }

  private delivered(msg: QueuedMessage): void {
    if ((msg.epoch ?? null) === this.state.epoch) this.state.lastDeliveredSeq = Math.max(this.state.lastDeliveredSeq, msg.seq);
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
    if ((e.msg.epoch ?? null) === this.state.epoch) this.state.lastSeq = Math.max(this.state.lastSeq, e.msg.seq);
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
