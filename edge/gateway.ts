/**
 * The site gateway: batches each device's readings into messages of at most 128 KB carrying the
 * device's message sequence number and its queue's epoch (storeAndForward.ts: a wiped queue
 * numbers from 0 in a new epoch), keeps them in a durable store-and-forward queue per device
 * (edge/storeAndForward.ts), and sends them in order with MQTT QoS 1, one in flight per device,
 * removing each only after its PUBACK. The connection is the device's own (client id = thing
 * name, local credentials against the embedded broker; TLS with the device certificate against
 * IoT Core via `tls`), re-established with exponential backoff and full jitter
 * (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).
 */
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { join } from "node:path";
import { MAX_MESSAGE_BYTES } from "../pipelines/quality/payloadSchemas.ts";
import { telemetryTopic, type TopicSensorType } from "./topicRules.ts";
import { StoreAndForward, type OverflowPolicy, type QueueCounters, type QueueLifetime } from "./storeAndForward.ts";

/** One reading as the device produced it. */
export interface DeviceReading {
  readonly ts: Date;
  /** Device reading sequence number (silver deduplicates on it). */
  readonly seq: number;
  readonly metrics: Record<string, unknown>;
}

export interface GatewayDevice {
  readonly thingName: string;
  readonly tenantId: string;
  readonly siteId: string;
  /** "rfid" for a scanner, whose scans come in through addScans (e.g. POST /v1/scans). */
  readonly sensorType: TopicSensorType;
  /** Local credentials (embedded broker). */
  readonly password?: string;
  /** TLS client certificate and key (IoT Core, port 8883). */
  readonly tls?: { readonly cert: string; readonly key: string; readonly ca?: string };
}

export interface BackoffOptions {
  /** First delay ceiling, ms. Default 100. */
  readonly baseMs?: number;
  /** Largest delay ceiling, ms. Default 10 000. */
  readonly capMs?: number;
}

export interface GatewayOptions {
  /** mqtt://127.0.0.1:port, or mqtts://<endpoint>:8883 for IoT Core. */
  readonly url: string;
  /** Directory of the durable queues (one sub-directory per device). */
  readonly dir: string;
  readonly devices: readonly GatewayDevice[];
  /** Per-device queue bound in bytes. Default 64 MiB. */
  readonly queueBytes?: number;
  readonly policy?: OverflowPolicy;
  readonly maxMessageBytes?: number;
  readonly backoff?: BackoffOptions;
  /** Random source for jitter (tests). Default Math.random. */
  readonly random?: () => number;
  /**
   * Keep each sent message queued until `confirm` says the ingest has made it durable, not just
   * until the broker's PUBACK (storeAndForward.ts): for a broker that keeps nothing durable in the
   * gateway's own process (the main job). Default false.
   */
  readonly confirmations?: boolean;
}

export interface GatewayStats extends QueueCounters {
  producedReadings: number;
  sentMessages: number;
  sentReadings: number;
  /** Held in the queues: not sent yet, or (with confirmations) sent and not yet confirmed. */
  queuedMessages: number;
  queuedReadings: number;
  /** Sent and awaiting the ingest's confirmation (with confirmations). */
  unconfirmedMessages: number;
  connects: number;
  connectFailures: number;
}

/** The delay before reconnect attempt `attempt` (0-based): uniform in [0, min(cap, base·2^attempt)]. */
export function backoffDelay(attempt: number, opts: BackoffOptions = {}, random: () => number = Math.random): number {
  const ceiling = Math.min(opts.capMs ?? 10_000, (opts.baseMs ?? 100) * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

const SENSOR_TYPE = { machine: "MACHINE", energy: "ENERGY", air_quality: "AIR_QUALITY" } as const;

/**
 * A device's readings as schema-1 messages of at most `limit` bytes, numbered from `firstSeq` in
 * `epoch` (none when null) (the envelope and each reading's frame are written by hand: one
 * JSON.stringify per reading's metrics, no re-serialising to measure).
 */
export function encodeMessages(
  d: Pick<GatewayDevice, "thingName" | "tenantId" | "siteId"> & { readonly sensorType: Exclude<TopicSensorType, "rfid"> },
  readings: readonly DeviceReading[],
  firstSeq: number,
  limit = MAX_MESSAGE_BYTES,
  epoch: number | null = null,
): Array<{ payload: string; seq: number; epoch: number | null; readings: number }> {
  const epochField = epoch === null ? "" : `,"epoch":${epoch}`;
  const head = (seq: number) =>
    `{"v":1,"tenant_id":${JSON.stringify(d.tenantId)},"site_id":${JSON.stringify(d.siteId)},"device_id":${JSON.stringify(d.thingName)},"sensor_type":"${SENSOR_TYPE[d.sensorType]}","seq":${seq}${epochField},"message_id":${JSON.stringify(`${d.thingName}-${seq}`)},"readings":[`;
  const out: Array<{ payload: string; seq: number; epoch: number | null; readings: number }> = [];
  let parts: string[] = [];
  let size = 0;
  let seq = firstSeq;
  const emit = () => {
    if (parts.length === 0) return;
    out.push({ payload: `${head(seq)}${parts.join(",")}]}`, seq, epoch, readings: parts.length });
    seq++;
    parts = [];
    size = 0;
  };
  // Room for the envelope with the longest sequence number and the closing brackets.
  const envelope = Buffer.byteLength(head(Number.MAX_SAFE_INTEGER)) + 2;
  for (const r of readings) {
    // The reading's JSON written by hand around its metrics (no object built per reading):
    // toISOString's text needs no escaping, and a safe integer prints as JSON prints it.
    const seqText = Number.isSafeInteger(r.seq) ? `${r.seq}` : JSON.stringify(r.seq);
    const metrics = JSON.stringify(r.metrics) as string | undefined; // undefined: JSON leaves the key out
    const head = `{"ts":"${r.ts.toISOString()}","seq":${seqText}`;
    const text = metrics === undefined ? `${head}}` : `${head},"metrics":${metrics}}`;
    const bytes = Buffer.byteLength(text) + 1;
    if (parts.length > 0 && envelope + size + bytes > limit) emit();
    parts.push(text);
    size += bytes;
  }
  emit();
  return out;
}

/** One device's link: its queue, its connection, its sender loop. */
class DeviceLink {
  readonly queue: StoreAndForward;
  readonly topic: string;
  private client: MqttClient | null = null;
  private wake: (() => void) | null = null;
  private stopped = false;
  private loop: Promise<void> | null = null;
  produced = 0;
  sentMessages = 0;
  sentReadings = 0;
  connects = 0;
  connectFailures = 0;

  constructor(readonly device: GatewayDevice, private readonly opts: GatewayOptions) {
    this.queue = StoreAndForward.open(join(opts.dir, device.thingName), { maxBytes: opts.queueBytes, policy: opts.policy, confirmations: opts.confirmations });
    this.topic = telemetryTopic(device.tenantId, device.siteId, device.sensorType, device.thingName);
  }

  /** Queue a scanner's scans as one message (false when it exceeds the size limit or the queue refused it). */
  addScans(scans: readonly unknown[]): { queued: boolean; seq: number; bytes: number } {
    const d = this.device;
    const { epoch, seq } = this.queue.nextNumber();
    const payload = JSON.stringify({ v: 1, tenant_id: d.tenantId, site_id: d.siteId, device_id: d.thingName, seq, ...(epoch === null ? {} : { epoch }), scans });
    const bytes = Buffer.byteLength(payload);
    if (bytes > (this.opts.maxMessageBytes ?? MAX_MESSAGE_BYTES)) return { queued: false, seq, bytes };
    this.produced += scans.length;
    const queued = this.queue.enqueue({ topic: this.topic, payload, seq, epoch, readings: scans.length });
    this.wake?.();
    return { queued, seq, bytes };
  }

  /** Batch readings into messages (≤ maxMessageBytes each) and queue them. */
  add(readings: readonly DeviceReading[]): void {
    if (readings.length === 0) return;
    const d = this.device;
    if (d.sensorType === "rfid") throw new Error(`${d.thingName} is a scanner: its scans go through addScans`);
    this.produced += readings.length;
    const { epoch, seq } = this.queue.nextNumber();
    for (const m of encodeMessages({ ...d, sensorType: d.sensorType }, readings, seq, this.opts.maxMessageBytes, epoch)) {
      this.queue.enqueue({ topic: this.topic, ...m });
    }
    this.wake?.();
  }

  start(): void {
    this.loop ??= this.run();
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      if (!this.client) {
        try {
          this.client = await this.connect();
          this.connects++;
          attempt = 0;
        } catch {
          this.connectFailures++;
          await this.sleep(backoffDelay(attempt++, this.opts.backoff, this.opts.random));
          continue;
        }
      }
      const msg = this.queue.peek();
      if (!msg) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = null;
        continue;
      }
      const client = this.client;
      if (!client.connected) {
        this.client = null;
        client.end(true);
        continue;
      }
      this.queue.markInFlight(msg.seq);
      const delivered = await new Promise<boolean>((resolve) => {
        const onClose = () => resolve(false);
        client.once("close", onClose);
        client.publish(msg.topic, msg.payload, { qos: 1 }, (err) => {
          client.removeListener("close", onClose);
          resolve(!err);
        });
      });
      if (delivered) {
        this.queue.ack(msg.seq);
        this.sentMessages++;
        this.sentReadings += msg.readings;
      } else {
        // The connection is gone: drop this client; the message stays queued and is sent again.
        this.client = null;
        client.end(true);
        if (!this.stopped) await this.sleep(backoffDelay(attempt++, this.opts.backoff, this.opts.random));
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => ((this.wake = null), resolve()), ms);
      this.wake = () => {
        if (!this.stopped) return; // new data does not cut a backoff short
        clearTimeout(t);
        resolve();
      };
    });
  }

  private async connect(): Promise<MqttClient> {
    const d = this.device;
    const options: IClientOptions = {
      clientId: d.thingName,
      reconnectPeriod: 0, // this loop reconnects, with backoff and jitter
      connectTimeout: 30_000,
      clean: true,
      ...(d.tls ? { cert: d.tls.cert, key: d.tls.key, ca: d.tls.ca, protocol: "mqtts" as const } : { username: d.thingName, password: d.password }),
    };
    const client = mqtt.connect(this.opts.url, options);
    try {
      await new Promise<void>((resolve, reject) => {
        client.once("connect", () => resolve());
        client.once("error", reject);
        client.once("close", () => reject(new Error("connection closed")));
      });
    } catch (e) {
      client.end(true);
      throw e;
    }
    client.on("error", () => undefined); // a refused publish or reset shows up as "close"
    // Closed while idle: forget the client, so the next message reconnects first.
    client.on("close", () => {
      if (this.client === client) this.client = null;
      client.end(true);
    });
    return client;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.wake?.();
    this.client?.end(true);
    await this.loop;
    this.client?.end(true);
    this.client = null;
    this.queue.close();
  }
}

/** Add `b`'s counts to `a`. */
export function addLifetime(a: QueueLifetime, b: QueueLifetime): QueueLifetime {
  for (const k of Object.keys(a) as Array<keyof QueueLifetime>) a[k] += b[k];
  return a;
}

export class Gateway {
  private readonly links = new Map<string, DeviceLink>();

  constructor(opts: GatewayOptions) {
    for (const d of opts.devices) this.links.set(d.thingName, new DeviceLink(d, opts));
  }

  /** Start sending (connections are made in the background, with backoff). */
  start(): this {
    for (const l of this.links.values()) l.start();
    return this;
  }

  /** Queue readings of one device (batched into messages now). */
  add(thingName: string, readings: readonly DeviceReading[]): void {
    const link = this.links.get(thingName);
    if (!link) throw new Error(`device ${thingName} is not attached to this gateway`);
    link.add(readings);
  }

  /**
   * With `confirmations`: the ingest has made message (`epoch`, `seq`) of `thingName` durable, so
   * the gateway may forget it. Unknown devices and messages are ignored.
   */
  confirm(thingName: string, epoch: number | null, seq: number): void {
    this.links.get(thingName)?.queue.confirm(epoch, seq);
  }

  /** Messages held in the queues (stats().queuedMessages, without the rest of stats()' work). */
  heldMessages(): number {
    let n = 0;
    for (const l of this.links.values()) n += l.queue.length;
    return n;
  }

  /** Every attached device's queue counts over its whole life (see StoreAndForward.lifetime). */
  lifetime(): QueueLifetime {
    const total: QueueLifetime = { deliveredMessages: 0, deliveredReadings: 0, droppedMessages: 0, droppedReadings: 0, rejectedMessages: 0, rejectedReadings: 0, heldMessages: 0, heldReadings: 0 };
    for (const l of this.links.values()) addLifetime(total, l.queue.lifetime);
    return total;
  }

  /** Queue scans of a scanner (sensor type "rfid") as one message. */
  addScans(thingName: string, scans: readonly unknown[]): { queued: boolean; seq: number; bytes: number } {
    const link = this.links.get(thingName);
    if (!link) throw new Error(`device ${thingName} is not attached to this gateway`);
    if (link.device.sensorType !== "rfid") throw new Error(`${thingName} is not a scanner`);
    return link.addScans(scans);
  }

  /** The attached device, if any. */
  device(thingName: string): GatewayDevice | undefined {
    return this.links.get(thingName)?.device;
  }

  stats(): GatewayStats {
    const s: GatewayStats = {
      producedReadings: 0, sentMessages: 0, sentReadings: 0, queuedMessages: 0, queuedReadings: 0, unconfirmedMessages: 0, connects: 0, connectFailures: 0,
      droppedMessages: 0, droppedReadings: 0, rejectedMessages: 0, rejectedReadings: 0,
    };
    for (const l of this.links.values()) {
      s.producedReadings += l.produced;
      s.sentMessages += l.sentMessages;
      s.sentReadings += l.sentReadings;
      s.queuedMessages += l.queue.length;
      s.queuedReadings += l.queue.queuedReadings;
      s.unconfirmedMessages += l.queue.unconfirmed;
      s.connects += l.connects;
      s.connectFailures += l.connectFailures;
      const c = l.queue.counters;
      s.droppedMessages += c.droppedMessages;
      s.droppedReadings += c.droppedReadings;
      s.rejectedMessages += c.rejectedMessages;
      s.rejectedReadings += c.rejectedReadings;
    }
    return s;
  }

  /** Resolves when every device has connected at least once; rejects after `timeoutMs`. */
  async connected(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ([...this.links.values()].some((l) => l.connects === 0)) {
      if (Date.now() > deadline) throw new Error(`gateway: not every device connected in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Resolves when every queue is empty; rejects after `timeoutMs`. */
  async drained(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.stats().queuedMessages > 0) {
      if (Date.now() > deadline) throw new Error(`gateway: queues not drained in ${timeoutMs} ms: ${JSON.stringify(this.stats())}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.links.values()].map((l) => l.stop()));
  }
}
