/**
 * Steps 2 and 4 of the main job: the embedded broker on loopback, the fleet's devices provisioned
 * in the local registry, one gateway publishing every device's readings (QoS 1, store-and-forward
 * on disk) and the streaming ingest committing them into the hub's own DuckDB, stamped with the
 * simulated clock. The same path as production's IoT Core → Firehose → RAW, on one machine.
 *
 * The broker keeps nothing durable and acknowledges a publish before the ingest has it, so the
 * gateway runs with confirmations: a message leaves its queue only once the ingest has committed
 * it (StreamingIngest's onDurable → Gateway.confirm), and a crash of this process (broker, gateway
 * and ingest together) loses nothing: what was not confirmed is sent again by the next run. Both
 * sides keep lifetime counts where they work (the queues' state files; the ingest's ledger,
 * committed with the rows), so `edgeLifetime` can state the count invariant over every run.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { DeviceRegistry, INGEST_USERNAME, deviceRegistryPath } from "../../../edge/deviceRegistry.ts";
import { EmbeddedBroker } from "../../../edge/embeddedBroker.ts";
import { existsSync, readdirSync } from "node:fs";
import { Gateway, addLifetime, type DeviceReading, type GatewayDevice, type GatewayStats } from "../../../edge/gateway.ts";
import { StoreAndForward, type QueueLifetime } from "../../../edge/storeAndForward.ts";
import { LEDGER_TABLE } from "../../../pipelines/ingest/channelLanding.ts";
import type { TopicSensorType } from "../../../edge/topicRules.ts";
import type { EmbeddedEngine } from "../../../pipelines/engine/embeddedEngine.ts";
import { ChannelLanding } from "../../../pipelines/ingest/channelLanding.ts";
import { INGEST_SOURCE, StreamingIngest, type IngestStats } from "../../../pipelines/ingest/streamingIngest.ts";
import type { RawReading, RawScan } from "../../../pipelines/ingest/rawRecords.ts";
import { UserError } from "../command.ts";
import { queueSiteScans, scannerId } from "../../../edge/fleetDevices.ts";

const TOPIC_TYPE: Readonly<Record<string, TopicSensorType>> = { MACHINE: "machine", ENERGY: "energy", AIR_QUALITY: "air_quality" };

// One definition of a site's scanner, shared with provisioning and the live simulator.
export { scannerId };

export interface FleetDevice {
  readonly tenantId: string;
  readonly siteId: string;
  readonly deviceId: string;
  /** MACHINE | ENERGY | AIR_QUALITY | RFID */
  readonly sensorType: string;
}

export interface LiveEdgeOptions {
  readonly home: string;
  readonly engine: EmbeddedEngine;
  readonly devices: readonly FleetDevice[];
  /** Broker port on 127.0.0.1; 0 (default) picks a free one. */
  readonly port?: number;
  /** The arrival time the ingest stamps rows with (default: the engine's clock). */
  readonly now?: () => Date;
}

export interface EdgeCounts {
  /** This run's gateway figures (drops and refusals of this run only). */
  readonly gateway: GatewayStats;
  readonly ingest: IngestStats;
  /** Readings and scans an earlier run left queued at the gateway, sent in this one. */
  readonly carriedOver: number;
}

/** The edge's count invariant over every run of the hub (see edgeLifetime). */
export interface EdgeLifetime {
  /** Readings and scans ever handed to the gateway. */
  readonly published: number;
  readonly committedReadings: number;
  readonly committedScans: number;
  readonly quarantinedAtIngest: number;
  /** Dropped by the overflow policy, or refused by it, at the gateway. */
  readonly droppedByGateway: number;
  /** Still in the gateway's queues (0 after a clean run). */
  readonly queuedAtGateway: number;
  readonly redeliveriesDropped: number;
  /** published - (committed + quarantined + dropped + queued): 0 when nothing was lost. */
  readonly unaccounted: number;
}

export class LiveEdge {
  private publishedReadings = 0;
  private publishedScans = 0;

  private constructor(
    readonly broker: EmbeddedBroker,
    private readonly gateway: Gateway,
    private readonly ingest: StreamingIngest,
    /** The gateway's counts when this run began (its drop counters are lifetime ones). */
    private readonly atStart: GatewayStats,
  ) {}

  static async start(opts: LiveEdgeOptions): Promise<LiveEdge> {
    const registry = DeviceRegistry.open(deviceRegistryPath(opts.home));
    // Local credentials are re-issued on every run: the registry keeps only their hashes.
    const ingestSecret = randomBytes(24).toString("base64url");
    registry.setIngestSecret(ingestSecret);
    const devices: GatewayDevice[] = opts.devices.map((d) => {
      const password = registry.addDevice({ thingName: d.deviceId, tenantId: d.tenantId, siteId: d.siteId }, { rotate: true })!;
      const sensorType = d.sensorType === "RFID" ? "rfid" : TOPIC_TYPE[d.sensorType];
      if (!sensorType) throw new Error(`device ${d.deviceId}: sensor type ${JSON.stringify(d.sensorType)} has no telemetry topic`);
      return { thingName: d.deviceId, tenantId: d.tenantId, siteId: d.siteId, sensorType, password };
    });
    let broker: EmbeddedBroker;
    try {
      broker = await EmbeddedBroker.start({ registry, port: opts.port ?? 0 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EADDRINUSE") {
        throw new UserError(`port ${opts.port} on 127.0.0.1 is in use: stop what holds it, or pick another with --port (0 picks a free one)`);
      }
      throw e;
    }
    const clock = opts.engine.clock;
    const now = opts.now ?? (() => clock.now());
    let ingest: StreamingIngest | undefined;
    // The gateway starts after the ingest has subscribed (the broker holds devices until then).
    let gateway: Gateway | undefined;
    try {
      ingest = await StreamingIngest.start({
        url: broker.url, username: INGEST_USERNAME, password: ingestSecret, clientId: "hub-ingest",
        landing: await ChannelLanding.onEngine(opts.engine),
        // Rows are stamped with the simulated time, as Snowflake stamps them with its own.
        now,
        onDurable: (messages) => {
          for (const m of messages) gateway?.confirm(m.deviceId, m.epoch, m.seq);
        },
      });
      gateway = new Gateway({ url: broker.url, dir: join(opts.home, "gateway"), devices, confirmations: true });
      const atStart = gateway.stats();
      gateway.start();
      await gateway.connected();
      return new LiveEdge(broker, gateway, ingest, atStart);
    } catch (e) {
      await ingest?.close().catch(() => undefined);
      await broker.close().catch(() => undefined);
      throw e;
    }
  }

  /**
   * Hand one window of the fleet's output to the gateway (batched per device, sent in the
   * background). Device by device, letting the event loop run in between: encoding a whole step
   * at once held it for ~100 ms, and with it the warehouse's statement completions.
   */
  async publish(readings: readonly RawReading[], scans: readonly RawScan[]): Promise<void> {
    const byDevice = new Map<string, DeviceReading[]>();
    for (const r of readings) {
      let list = byDevice.get(r.deviceId);
      if (!list) byDevice.set(r.deviceId, (list = []));
      list.push({ ts: r.ts, seq: r.seq, metrics: (r.payload as { metrics: Record<string, unknown> }).metrics });
    }
    for (const [device, list] of byDevice) {
      this.gateway.add(device, list);
      this.publishedReadings += list.length;
      await new Promise((resolve) => setImmediate(resolve));
    }
    queueSiteScans(this.gateway, scans);
    this.publishedScans += scans.length;
  }

  /**
   * Resolves when everything published so far (and whatever an earlier run left queued) is
   * committed in RAW or quarantined, or counted as dropped by the gateway's overflow policy: the
   * gateway's queues hold nothing, not even a message awaiting the ingest's confirmation. Rejects
   * with what is missing after `timeoutMs`.
   */
  async settled(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // Polled every 2 ms while a step is published: the two cheap checks, not the full stats.
      if (this.gateway.heldMessages() === 0 && !this.ingest.pending) return;
      if (Date.now() > deadline) {
        const { gateway: g, ingest: i } = this.counts();
        throw new Error(
          `the edge did not settle in ${timeoutMs} ms: published ${this.publishedReadings} readings and ${this.publishedScans} scans, ` +
            `committed ${i.readings} readings and ${i.scans} scans, quarantined ${i.quarantined}, dropped ${g.droppedReadings + g.rejectedReadings}, ` +
            `${g.queuedMessages} messages still queued at the gateway (${g.unconfirmedMessages} sent, awaiting the ingest)`,
        );
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  counts(): EdgeCounts {
    const g = this.gateway.stats();
    const s = this.atStart;
    return {
      gateway: {
        ...g, droppedMessages: g.droppedMessages - s.droppedMessages, droppedReadings: g.droppedReadings - s.droppedReadings,
        rejectedMessages: g.rejectedMessages - s.rejectedMessages, rejectedReadings: g.rejectedReadings - s.rejectedReadings,
      },
      ingest: this.ingest.stats(),
      carriedOver: s.queuedReadings,
    };
  }

  /** Stop in order: the gateway (its queue stays on disk), the ingest (commits what it holds), the broker. */
  async close(): Promise<void> {
    await this.gateway.stop().catch(() => undefined);
    await this.ingest.close().catch(() => undefined);
    await this.broker.close().catch(() => undefined);
  }
}

/**
 * The edge's count invariant over every run of the hub in `home`: what was ever handed to the
 * gateway (every device queue under HUB_HOME/gateway, from their state files and logs) against what
 * the ingest ever committed and quarantined (its ledger, committed with the rows) and what the
 * gateway dropped or still holds. Read with the gateway stopped, so the queues' files are final.
 */
export async function edgeLifetime(home: string, engine: EmbeddedEngine): Promise<EdgeLifetime> {
  const dir = join(home, "gateway");
  const q: QueueLifetime = { deliveredMessages: 0, deliveredReadings: 0, droppedMessages: 0, droppedReadings: 0, rejectedMessages: 0, rejectedReadings: 0, heldMessages: 0, heldReadings: 0 };
  if (existsSync(dir)) {
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      if (d.isDirectory() && existsSync(join(dir, d.name, "state.json"))) addLifetime(q, StoreAndForward.inspect(join(dir, d.name)));
    }
  }
  const [l] = await engine.control<{ readings: bigint; scans: bigint; quarantined: bigint; duplicates: bigint }>(
    `SELECT SUM(readings) AS readings, SUM(scans) AS scans, SUM(quarantined) AS quarantined, SUM(duplicates) AS duplicates FROM ${LEDGER_TABLE} WHERE source = '${INGEST_SOURCE}'`,
  );
  const published = q.deliveredReadings + q.droppedReadings + q.rejectedReadings + q.heldReadings;
  const life = {
    published, committedReadings: Number(l?.readings ?? 0), committedScans: Number(l?.scans ?? 0), quarantinedAtIngest: Number(l?.quarantined ?? 0),
    droppedByGateway: q.droppedReadings + q.rejectedReadings, queuedAtGateway: q.heldReadings, redeliveriesDropped: Number(l?.duplicates ?? 0),
  };
  return { ...life, unaccounted: published - (life.committedReadings + life.committedScans + life.quarantinedAtIngest + life.droppedByGateway + life.queuedAtGateway) };
}
