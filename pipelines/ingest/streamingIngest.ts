/**
 * Streaming ingest: subscribes to `dt/hub/#` as the ingest identity (QoS 1, persistent session),
 * validates each message with parseMessage, and lands accepted readings, scans and refusals
 * (RAW.QUARANTINE, with the reason) together with the channel's offset in one transaction.
 *
 * Messages are collected into micro-batches (up to maxBatchReadings rows or maxBatchMs) appended
 * with the DuckDB Appender in one transaction; one commit runs at a time, and what arrives
 * meanwhile is committed together right after it (group commit, see `flush`). Each reading's
 * payload is landed as the JSON text parseMessage built for it, not serialised again here.
 *
 * Each PUBACK goes out only after its batch is committed, so a crash before the commit makes the
 * broker deliver the message again; the committed offsets and content hashes then tell a
 * redelivery (dropped, counted) from a new message: exactly once per channel. A message whose seq
 * cannot be trusted (too far ahead, a committed seq with other content, older than the remembered
 * window) is quarantined whole with the reason and moves no offset (channelSequence.ts).
 */
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import type { IPublishPacket } from "mqtt-packet";
import { parseMessage, type Rejection } from "../quality/messageParser.ts";
import { parseTelemetryTopic, TELEMETRY_PREFIX } from "../../edge/topicRules.ts";
import type { ChannelLanding } from "./channelLanding.ts";
import { contentHash, judgeSeq } from "./channelSequence.ts";
import { LatencyHistogram } from "./latencyHistogram.ts";
import type { QuarantineRecord, RawReading, RawScan } from "./rawRecords.ts";

export const INGEST_SOURCE = "mqtt";

export interface StreamingIngestOptions {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  /** Stable client id: the broker keeps the session (and queued messages) across restarts of the worker. */
  readonly clientId?: string;
  readonly landing: ChannelLanding;
  /** Wall clock for received_at and latency. Default: Date. */
  readonly now?: () => Date;
  /**
   * A micro-batch is committed when it holds this many rows... Default 50 000. While a commit runs,
   * the next batch gathers and is committed as soon as that commit ends (see `flush`).
   */
  readonly maxBatchReadings?: number;
  /** ...or this long after its first message. Default 25 ms. */
  readonly maxBatchMs?: number;
  /**
   * Called after each commit with the messages it made durable (landed, quarantined, or found to be
   * redeliveries), those with a sequence number: what a gateway in this process may now forget
   * (Gateway.confirm). Default: none.
   */
  readonly onDurable?: (messages: readonly DurableMessage[]) => void;
}

/** A message the ingest has made durable, by the device's numbering. */
export interface DurableMessage {
  readonly tenantId: string;
  readonly deviceId: string;
  readonly epoch: number | null;
  readonly seq: number;
}

export interface IngestStats {
  messages: number;
  /** Redeliveries dropped: their seq was committed with the same content (counted when acknowledged). */
  duplicates: number;
  /**
   * Messages quarantined whole for their seq (channelSequence.ts): too far ahead of the channel's
   * offset, under a committed seq with other content, or below the remembered window. Their
   * readings count in `quarantined`.
   */
  seqQuarantined: number;
  readings: number;
  scans: number;
  /** Readings (or scans, or messages) refused, as counted by parseMessage. */
  quarantined: number;
  /** Quarantine rows written. */
  quarantineRows: number;
  commits: number;
  /** Connections made to the broker (more than 1: it reconnected, and unacknowledged messages were sent again). */
  connects: number;
  /** Milliseconds since the oldest received message not yet committed (0 when caught up). */
  lagMs: number;
  /** Sensor-to-committed latency of readings (reading ts to commit), ms. */
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
}

/**
 * The channel of a device's message stream: `mqtt:<tenant>/<device>`, and `...@<epoch>` for the
 * messages of one gateway epoch (payloadSchemas.epochSchema), each with its own offset.
 */
export function channelOf(tenantId: string, deviceId: string, epoch: number | null = null): string {
  return epoch === null ? `${INGEST_SOURCE}:${tenantId}/${deviceId}` : `${INGEST_SOURCE}:${tenantId}/${deviceId}@${epoch}`;
}

interface Batch {
  readonly readings: RawReading[];
  readonly scans: RawScan[];
  readonly quarantine: QuarantineRecord[];
  readonly messages: Array<{ channel: string; seq: number; hash: number }>;
  /** `channel#seq` of the messages in this batch, to tell a redelivery within it. */
  readonly keys: Set<string>;
  /** PUBACKs to send once the batch is committed. */
  readonly acks: Array<() => void>;
  /** Every message with a seq this batch holds, whatever became of it (for onDurable). */
  readonly durable: DurableMessage[];
  /** When its first message was received; null while it holds none. */
  firstAt: number | null;
  quarantined: number;
  /** Redeliveries of messages already committed or in a batch: acknowledged with this one, nothing landed. */
  duplicates: number;
  /** Messages quarantined whole for their seq (implausible, conflicting, too old). */
  seqQuarantined: number;
  /** Messages received into this batch (each is acknowledged when it commits). */
  count: number;
}

function emptyBatch(): Batch {
  return { readings: [], scans: [], quarantine: [], messages: [], keys: new Set(), acks: [], durable: [], firstAt: null, quarantined: 0, duplicates: 0, seqQuarantined: 0, count: 0 };
}

/** The private mqtt.js 5 method that writes a packet; its PUBACKs are deferred until the commit. */
type SendPacket = (packet: { cmd: string; messageId?: number }, cb?: (err?: Error) => void, ...rest: unknown[]) => void;

export class StreamingIngest {
  private readonly counters = { messages: 0, duplicates: 0, seqQuarantined: 0, readings: 0, scans: 0, quarantined: 0, quarantineRows: 0, commits: 0, connects: 0 };
  private readonly latency = new LatencyHistogram();
  private readonly now: () => Date;
  private committedListeners: Array<() => void> = [];
  private batch = emptyBatch();
  private committing: Batch | null = null;
  /** `channel#seq` of every message received and not yet committed (in any batch), with its content hash. */
  private readonly uncommitted = new Map<string, number>();
  /** The commit running, if any. */
  private inFlight: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly maxBatchReadings: number;
  private readonly maxBatchMs: number;
  private readonly onDurable: StreamingIngestOptions["onDurable"];

  private constructor(
    private readonly client: MqttClient,
    private readonly landing: ChannelLanding,
    opts: StreamingIngestOptions,
  ) {
    this.now = opts.now ?? (() => new Date());
    this.maxBatchReadings = opts.maxBatchReadings ?? 50_000;
    this.maxBatchMs = opts.maxBatchMs ?? 25;
    this.onDurable = opts.onDurable;
  }

  static async start(opts: StreamingIngestOptions): Promise<StreamingIngest> {
    const options: IClientOptions = {
      clientId: opts.clientId ?? "hub-ingest",
      username: opts.username,
      password: opts.password,
      clean: false,
      reconnectPeriod: 200,
      connectTimeout: 10_000,
    };
    const client = mqtt.connect(opts.url, { ...options, manualConnect: true });
    const worker = new StreamingIngest(client, opts.landing, opts);
    // mqtt.js handles incoming PUBLISHes one at a time and writes the PUBACK when handleMessage
    // calls back, before reading the next. To commit many messages in one transaction and still
    // acknowledge each only once it is committed, the PUBACK written from that callback is held
    // back (the next message is read at once) and sent after the commit.
    const c = client as unknown as { _sendPacket: SendPacket };
    const send = c._sendPacket.bind(client);
    // A message sent again (after a reconnect) while its first copy awaits its commit shares the
    // packet id: it is acknowledged once, with that commit (aedes drops a client that acknowledges
    // an id twice).
    // Acknowledgements belong to a connection: those of a lost one are not sent on the next (the
    // broker sends those messages again, and they are acknowledged then).
    const deferred = new Set<number>();
    let connection = 0;
    client.on("connect", () => connection++);
    client.on("close", () => deferred.clear());
    c._sendPacket = (packet, cb, ...rest) => {
      if (packet.cmd !== "puback" || worker.deferTo === null) return send(packet, cb, ...rest);
      const id = packet.messageId!;
      const on = connection;
      if (!deferred.has(id)) {
        deferred.add(id);
        worker.deferTo.acks.push(() => {
          if (on !== connection || !client.connected) return;
          deferred.delete(id);
          send(packet);
        });
      }
      cb?.();
    };
    client.handleMessage = (packet, done) => {
      worker.handle(packet as IPublishPacket, done).catch((e: Error) => {
        console.error(`ingest: ${e.message}`);
        done();
      });
    };
    client.on("connect", () => worker.counters.connects++);
    client.connect();
    try {
      await new Promise<void>((resolve, reject) => {
        client.once("connect", () => resolve());
        client.once("error", reject);
      });
      // After the first connection, refused reconnects (broker restarting) are retried by mqtt.js.
      client.on("error", () => undefined);
      await subscribeTelemetry(client);
    } catch (e) {
      client.end(true);
      throw e;
    }
    return worker;
  }

  /** The batch a PUBACK being written belongs to (set only while handleMessage calls back). */
  private deferTo: Batch | null = null;

  private async handle(packet: IPublishPacket, done: () => void): Promise<void> {
    const receivedAt = this.now();
    const b = this.batch;
    // Every message received joins the open batch, whatever becomes of it (landed, quarantined or a
    // redelivery): it is pending, and counts in the lag, until that batch commits and acknowledges
    // it. A redelivery once acknowledged on its own left the batch's firstAt set with nothing to
    // commit, and the lag grew until the next message came (issue 18).
    b.firstAt ??= receivedAt.getTime();
    b.count++;
    this.counters.messages++;
    const payload = typeof packet.payload === "string" ? Buffer.from(packet.payload) : packet.payload;
    try {
      this.admit(packet.topic, payload, receivedAt, b);
    } catch (e) {
      // Nothing received is lost: what the ingest cannot handle is quarantined with the reason.
      b.quarantine.push({ tenantId: null, source: INGEST_SOURCE, reason: `ingest could not handle the message: ${(e as Error).message}`, raw: payload.toString("utf8"), deviceId: null, metric: null });
      b.quarantined++;
    }
    // Its PUBACK is written now and held until the batch commits (see start).
    this.deferTo = b;
    try {
      done();
    } finally {
      this.deferTo = null;
    }
    if (b.readings.length + b.scans.length + b.quarantine.length >= this.maxBatchReadings) {
      // A full batch: commit it now (or as soon as the running commit ends).
      await this.flush();
      return;
    }
    this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), this.maxBatchMs);
  }

  /** Put one message's rows (readings, scans, quarantine) and offset into batch `b`, or count it as a redelivery. */
  private admit(topic: string, payload: Buffer, receivedAt: Date, b: Batch): void {
    const addr = parseTelemetryTopic(topic);
    const refuse = (r: Rejection) => {
      b.quarantine.push({ tenantId: r.tenantId ?? null, source: INGEST_SOURCE, reason: r.reason, raw: r.raw, deviceId: r.deviceId ?? null, metric: r.metric ?? null });
      b.quarantined += r.count;
    };
    if (!addr) {
      refuse({ reason: `topic ${JSON.stringify(topic)} is not a telemetry topic`, raw: payload.toString("utf8"), count: 1 });
      return;
    }
    const result = parseMessage(payload, { receivedAt, expectedTenant: addr.tenantId });
    const { seq } = result;
    const channel = channelOf(addr.tenantId, addr.deviceId, result.epoch);
    if (seq !== null) {
      const hash = contentHash(payload);
      const key = `${channel}#${seq}`;
      const pending = this.uncommitted.get(key);
      const verdict = judgeSeq({
        channel, seq, hash, committed: this.landing.committed(channel), pending: pending !== undefined,
        known: pending !== undefined ? pending : this.landing.knownHash(channel, seq),
      });
      // A redelivery of a message still in an earlier batch is made durable by that batch, if its
      // commit succeeds (else the broker delivers it again): only that batch may say so.
      if (!(verdict.kind === "redelivery" && pending !== undefined)) b.durable.push({ tenantId: addr.tenantId, deviceId: addr.deviceId, epoch: result.epoch, seq });
      if (verdict.kind === "redelivery") {
        b.duplicates++;
        return;
      }
      if (verdict.kind === "quarantine") {
        // The whole message, under its seq's reason; not adopted, so the offset does not move.
        refuse({ reason: verdict.reason, raw: payload.toString("utf8"), tenantId: addr.tenantId, deviceId: addr.deviceId, count: result.total });
        b.seqQuarantined++;
        return;
      }
      b.messages.push({ channel, seq, hash });
      b.keys.add(key);
      this.uncommitted.set(key, hash);
    }
    result.rejected.forEach(refuse);
    if (result.kind === "readings") {
      for (const r of result.accepted) {
        // The topic is what the broker authorised; a message claiming another device is refused.
        if (r.deviceId !== addr.deviceId) {
          refuse({ reason: `device_id '${r.deviceId}' does not match the topic's device '${addr.deviceId}'`, raw: r.payload, tenantId: r.tenantId, deviceId: r.deviceId, count: 1 });
          continue;
        }
        b.readings.push({
          tenantId: r.tenantId, siteId: r.siteId, deviceId: r.deviceId, sensorType: r.sensorType, ts: r.ts, seq: r.seq,
          messageId: r.messageId, payload: r.payloadJson, channel, channelOffset: seq, source: INGEST_SOURCE,
        });
      }
    } else if (result.kind === "scans") {
      for (const s of result.accepted) b.scans.push({ ...s, source: INGEST_SOURCE });
    }
  }

  /**
   * Commit the open batch, then send its PUBACKs. One commit runs at a time: messages that arrive
   * meanwhile gather in the open batch, which is committed the moment the running commit ends
   * (group commit). Under load the batches grow by themselves, and a commit's fixed cost (the
   * transaction, the offsets statement, the WAL write) is paid once for many messages instead of
   * once per timer tick. Resolves when what was open at the call is committed.
   */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.inFlight) return this.inFlight.then(() => this.flush());
    const b = this.batch;
    if (b.count === 0) return Promise.resolve();
    this.batch = emptyBatch();
    const run = this.commit(b).finally(() => {
      this.inFlight = null;
      if (this.batch.count > 0) void this.flush();
    });
    this.inFlight = run;
    return run;
  }

  /** Land one batch and acknowledge it; on failure, drop the connection (never rejects). */
  private async commit(b: Batch): Promise<void> {
    this.committing = b;
    try {
      const ledger = {
        source: INGEST_SOURCE, messages: b.count, readings: b.readings.length, scans: b.scans.length,
        quarantined: b.quarantined, quarantineRows: b.quarantine.length, duplicates: b.duplicates,
      };
      await this.landing.commit({ ...b, ledger }, new Date(b.firstAt ?? Date.now()));
    } catch (e) {
      // Not acknowledged: drop the connection so that the broker delivers these messages again.
      console.error(`ingest: commit failed, ${b.count} messages will be redelivered: ${(e as Error).message}`);
      this.client.stream?.destroy();
      return;
    } finally {
      this.committing = null;
      for (const k of b.keys) this.uncommitted.delete(k);
    }
    const committedAt = this.now().getTime();
    for (const send of b.acks) send();
    this.counters.commits++;
    this.counters.duplicates += b.duplicates;
    this.counters.seqQuarantined += b.seqQuarantined;
    this.counters.readings += b.readings.length;
    this.counters.scans += b.scans.length;
    this.counters.quarantined += b.quarantined;
    this.counters.quarantineRows += b.quarantine.length;
    for (const r of b.readings) this.latency.record(committedAt - r.ts.getTime());
    if (this.onDurable && b.durable.length > 0) this.onDurable(b.durable);
    for (const l of this.committedListeners.splice(0)) l();
  }

  /** Whether a received message awaits its commit (stats().lagMs > 0, without the percentiles). */
  get pending(): boolean {
    return this.committing !== null || this.batch.count > 0;
  }

  stats(): IngestStats {
    const oldest = this.committing?.firstAt ?? this.batch.firstAt;
    const [p50, p99] = this.latency.percentiles([0.5, 0.99]);
    return {
      ...this.counters,
      lagMs: oldest === null ? 0 : this.now().getTime() - oldest,
      latencyP50Ms: p50!,
      latencyP99Ms: p99!,
    };
  }

  /** Forget latency samples (e.g. after a warm-up). */
  resetLatency(): void {
    this.latency.reset();
  }

  /** Resolves when `predicate(stats)` holds, checked after each commit; rejects after `timeoutMs`. */
  async until(predicate: (s: IngestStats) => boolean, timeoutMs = 30_000): Promise<IngestStats> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = this.stats();
      if (predicate(s)) return s;
      if (Date.now() > deadline) throw new Error(`ingest: condition not reached in ${timeoutMs} ms; stats ${JSON.stringify(s)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.committedListeners.push(() => (clearTimeout(t), resolve()));
      });
    }
  }

  /** Commit what is open, acknowledge it, disconnect, close the landing. */
  async close(): Promise<void> {
    await this.flush();
    await this.client.endAsync();
    await this.landing.close();
  }
}

/**
 * Subscribe to every telemetry topic. The connection can close before the SUBACK (seen once in CI:
 * an ingest worker restarted after a SIGKILL exited on the rejected subscribe). That is not a
 * failure to start: mqtt.js reconnects, and then either the broker reports a session present,
 * which holds the subscription (aedes reports one only when the session has subscriptions), or
 * mqtt.js subscribes again by itself. So wait for that reconnect, for up to `withinMs`.
 */
async function subscribeTelemetry(client: MqttClient, withinMs = 10_000): Promise<void> {
  try {
    await client.subscribeAsync(`${TELEMETRY_PREFIX}/#`, { qos: 1 });
  } catch (e) {
    // Still connected: the broker itself refused, and a reconnect would not change that.
    if (client.disconnecting || client.connected) throw e;
    const reconnected = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => (client.off("connect", onConnect), resolve(false)), withinMs);
      const onConnect = () => (clearTimeout(timer), resolve(true));
      client.once("connect", onConnect);
    });
    if (!reconnected) throw new Error(`ingest: the connection closed while subscribing to ${TELEMETRY_PREFIX}/# and did not come back in ${withinMs} ms: ${(e as Error).message}`);
  }
}
