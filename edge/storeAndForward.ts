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
 * delivered in the epoch. A queue from before epochs starts one when it is opened: the messages it
 * still holds keep going to the device's epoch-less channel, the new ones to a channel of their own
 * (so an offset the old numbering ever got wrong cannot hold them back).
 *
 * A PUBACK says the broker has a message, not that it is safe: the embedded broker keeps its
 * sessions in memory, and acknowledges a QoS 1 publish before forwarding it (aedes 1.x), so a
 * crash of the process that holds both loses what the ingest had not committed yet. With
 * `confirmations`, a sent message stays in the queue (sent, not sent again) until `confirm` says
 * the ingest has made it durable (committed, quarantined or found a redelivery); only then does
 * it leave the queue, and a crash sends it again (the ingest drops the copy as a redelivery).
 *
 * The state file also keeps lifetime counters: messages and readings delivered (acknowledged, or
 * confirmed with `confirmations`), dropped and rejected. With those held in the queue, they add up
 * to everything ever handed to it, at any crash point (`inspect` reads them from disk).
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
  /** Keep a sent message until `confirm` (see the module comment). Default false: a PUBACK removes it. */
  readonly confirmations?: boolean;
}

export interface QueueCounters {
  droppedMessages: number;
  droppedReadings: number;
  rejectedMessages: number;
  rejectedReadings: number;
}

/** A queue's counts over its whole life (every run): delivered + dropped + rejected + held = handed to it. */
export interface QueueLifetime extends QueueCounters {
  deliveredMessages: number;
  deliveredReadings: number;
  /** Still in the queue: not sent, or (with confirmations) sent and not yet confirmed. */
  heldMessages: number;
  heldReadings: number;
}

interface State extends QueueCounters {
  generation: number;
  headOffset: number;
  /** The numbering epoch; null only in a state file from before epochs (given one when opened). */
  epoch: number | null;
  /** Highest sequence number of the epoch acknowledged or dropped: the next message gets a higher one. */
  lastSeq: number;
  /** Highest sequence number of the epoch delivered; -1 for none. */
  lastDeliveredSeq: number;
  /** Lifetime: messages and readings delivered (saved with the head they moved). */
  deliveredMessages: number;
  deliveredReadings: number;
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
  /** With confirmations: the ingest has it; it leaves the queue once every entry before it has. */
  confirmed?: boolean;
}

const key = (epoch: number | null | undefined, seq: number) => `${epoch ?? ""}#${seq}`;

/** A state file as saved, with the fields that files from before them lack filled in. */
function readState(dir: string): State {
  const saved = JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as Omit<State, "epoch" | "lastDeliveredSeq" | "deliveredMessages" | "deliveredReadings"> & Partial<State>;
  return {
    ...saved,
    // Before epochs: no epoch, and the last seq removed stands for the last delivered.
    epoch: saved.epoch ?? null,
    lastDeliveredSeq: saved.lastDeliveredSeq ?? saved.lastSeq,
    // Before lifetime counters: counted from here on.
    deliveredMessages: saved.deliveredMessages ?? 0,
    deliveredReadings: saved.deliveredReadings ?? 0,
  };
}

const COMPACT_AFTER_BYTES = 4 * 1024 * 1024;
/** The longest an acknowledgement waits to reach `state.json` (see the module comment). */
export const ACK_SAVE_INTERVAL_MS = 200;

export class StoreAndForward {
  private state: State;
  private entries: Entry[] = [];
  /** The first entry still held (unsent, or sent and not confirmed): what `state.headOffset` points at. */
  private head = 0;
  /** The next entry to send (head <= sendHead; equal without confirmations). */
  private sendHead = 0;
  /** With confirmations: messages drop-oldest dropped after sending them; a confirm takes them off the drops. */
  private readonly droppedSent = new Map<string, QueuedMessage>();
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
  readonly confirmations: boolean;

  private constructor(private readonly dir: string, opts: QueueOptions) {
    this.maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
    this.policy = opts.policy ?? "drop-oldest";
    this.fsync = opts.fsync ?? false;
    this.maxSeqAhead = opts.maxSeqAhead ?? MAX_SEQ_ADVANCE / 2;
    this.confirmations = opts.confirmations ?? false;
    mkdirSync(dir, { recursive: true });
    const fresh = !existsSync(join(dir, "state.json"));
    this.state = fresh
      ? {
          generation: 0, headOffset: 0, epoch: newEpoch(), lastSeq: -1, lastDeliveredSeq: -1, deliveredMessages: 0, deliveredReadings: 0,
          droppedMessages: 0, droppedReadings: 0, rejectedMessages: 0, rejectedReadings: 0,
        }
      : readState(dir);
    const fromBeforeEpochs = this.state.epoch === null;
    if (fromBeforeEpochs) this.state = { ...this.state, epoch: newEpoch(), lastSeq: -1, lastDeliveredSeq: -1 };
    this.load();
    this.fd = openSync(this.logPath(this.state.generation), "a");
    // The epoch is on disk before any message numbered in it.
    if (fresh || fromBeforeEpochs) this.saveState();
  }

  static open(dir: string, opts: QueueOptions = {}): StoreAndForward {
    return new StoreAndForward(dir, opts);
  }

  /** The lifetime counts of the queue in `dir`, read from disk (the queue closed, or its process gone). */
  static inspect(dir: string): QueueLifetime {
    const state = readState(dir);
    let heldMessages = 0;
    let heldReadings = 0;
    const path = join(dir, `queue-${state.generation}.log`);
    const buf = existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
    for (const line of buf.subarray(state.headOffset).toString("utf8").split("\n")) {
      try {
        const msg = JSON.parse(line) as QueuedMessage;
        heldMessages++;
        heldReadings += msg.readings;
      } catch {
        break; // the empty text after the last newline, or a torn line (never handed over)
      }
    }
    const { deliveredMessages, deliveredReadings, droppedMessages, droppedReadings, rejectedMessages, rejectedReadings } = state;
    return { deliveredMessages, deliveredReadings, droppedMessages, droppedReadings, rejectedMessages, rejectedReadings, heldMessages, heldReadings };
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

  /** Messages held: not sent yet, or (with confirmations) sent and not yet confirmed. */
  get length(): number {
    return this.entries.length - this.head;
  }

  /** Messages sent and awaiting confirmation (0 without confirmations). */
  get unconfirmed(): number {
    return this.sendHead - this.head;
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

  /** The lifetime counts as they stand in memory (`inspect` reads what is on disk). */
  get lifetime(): QueueLifetime {
    const { deliveredMessages, deliveredReadings } = this.state;
    return { ...this.counters, deliveredMessages, deliveredReadings, heldMessages: this.length, heldReadings: this.queuedReadings };
  }

  /** The current numbering epoch. */
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
        if (this.head < this.sendHead) this.droppedSent.set(key(e.msg.epoch, e.msg.seq), e.msg);
        else if (e.msg.seq === this.inFlight) this.droppedInFlight = { seq: e.msg.seq, readings: e.msg.readings, msg: e.msg };
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

  /** The oldest message not sent yet: the one to send next. */
  peek(): QueuedMessage | undefined {
    // A message confirmed before it was sent again (a redelivery from before a restart) is not sent.
    while (this.entries[this.sendHead]?.confirmed) this.sendHead++;
    return this.entries[this.sendHead]?.msg;
  }

  /**
   * Message `seq` was delivered (PUBACK): remove it for good, or, with confirmations, keep it as
   * sent until it is confirmed. If drop-oldest dropped it while it was in flight, it was delivered
   * after all, so it is taken off the drop counters (with confirmations, once confirmed).
   */
  ack(seq: number): void {
    const head = this.peek();
    if (head && head.seq === seq) {
      this.droppedInFlight = null;
      if (this.confirmations) {
        this.sendHead++;
        return;
      }
      this.countDelivered(head);
      this.remove();
      this.saveSoon();
    } else if (this.droppedInFlight?.seq === seq) {
      const { msg } = this.droppedInFlight;
      this.droppedInFlight = null;
      if (this.confirmations) {
        this.droppedSent.set(key(msg.epoch, msg.seq), msg);
        return;
      }
      this.undrop(msg);
    } else {
      return;
    }
    this.maybeCompact();
  }

  /**
   * With confirmations: the ingest has made message (`epoch`, `seq`) durable. It leaves the queue
   * with every confirmed message before it (not an older unconfirmed one's successors: the head
   * saved on disk must stay a prefix of the log). A confirm of a message not held does nothing.
   */
  confirm(epoch: number | null, seq: number): void {
    const dropped = this.droppedSent.get(key(epoch, seq));
    if (dropped) {
      this.droppedSent.delete(key(epoch, seq));
      this.undrop(dropped);
      return;
    }
    let i = this.head;
    while (i < this.entries.length && !((this.entries[i]!.msg.epoch ?? null) === epoch && this.entries[i]!.msg.seq === seq)) i++;
    const e = this.entries[i];
    if (!e || e.confirmed) return;
    e.confirmed = true;
    if (i !== this.head) return;
    while (this.entries[this.head]?.confirmed) {
      this.countDelivered(this.entries[this.head]!.msg);
      this.remove();
    }
    this.saveSoon();
    this.maybeCompact();
  }

  /** A message counted as dropped was delivered after all. */
  private undrop(msg: QueuedMessage): void {
    this.state.droppedMessages--;
    this.state.droppedReadings -= msg.readings;
    this.countDelivered(msg);
    this.saveState();
  }

  private countDelivered(msg: QueuedMessage): void {
    this.state.deliveredMessages++;
    this.state.deliveredReadings += msg.readings;
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

  /** The head leaves the queue (delivered or dropped: the caller counts which). */
  private remove(): void {
    const e = this.entries[this.head]!;
    this.head++;
    if (this.sendHead < this.head) this.sendHead = this.head;
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
    this.sendHead -= this.head;
    this.head = 0;
    this.logBytes = statSync(this.logPath(next)).size;
  }

  close(): void {
    if (this.saveTimer) this.saveState();
    closeSync(this.fd);
  }
}
