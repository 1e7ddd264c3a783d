/**
 * Steps 2 and 4 of the main job: the embedded broker on loopback, the fleet's devices provisioned
 * in the local registry, one gateway publishing every device's readings (QoS 1, store-and-forward
 * on disk) and the streaming ingest committing them into the hub's own DuckDB, stamped with the
 * simulated clock. The same path as production's IoT Core → Firehose → RAW, on one machine.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { DeviceRegistry, INGEST_USERNAME, deviceRegistryPath } from "../../../edge/deviceRegistry.ts";
import { EmbeddedBroker } from "../../../edge/embeddedBroker.ts";
import { Gateway, type DeviceReading, type GatewayDevice, type GatewayStats } from "../../../edge/gateway.ts";
import type { TopicSensorType } from "../../../edge/topicRules.ts";
import type { EmbeddedEngine } from "../../../pipelines/engine/embeddedEngine.ts";
import { ChannelLanding } from "../../../pipelines/ingest/channelLanding.ts";
import { StreamingIngest, type IngestStats } from "../../../pipelines/ingest/streamingIngest.ts";
import type { RawReading, RawScan } from "../../../pipelines/ingest/rawRecords.ts";
import { UserError } from "../command.ts";

const TOPIC_TYPE: Readonly<Record<string, TopicSensorType>> = { MACHINE: "machine", ENERGY: "energy", AIR_QUALITY: "air_quality" };

/** The scanner that reads a site's RFID tags: one per site. */
export function scannerId(siteId: string): string {
  return `${siteId}-rfid`;
}

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
  readonly gateway: GatewayStats;
  readonly ingest: IngestStats;
}

export class LiveEdge {
  private publishedReadings = 0;
  private publishedScans = 0;

  private constructor(
    readonly broker: EmbeddedBroker,
    private readonly gateway: Gateway,
    private readonly ingest: StreamingIngest,
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
    try {
      ingest = await StreamingIngest.start({
        url: broker.url, username: INGEST_USERNAME, password: ingestSecret, clientId: "hub-ingest",
        landing: await ChannelLanding.onEngine(opts.engine),
        // Rows are stamped with the simulated time, as Snowflake stamps them with its own.
        now,
      });
      const gateway = new Gateway({ url: broker.url, dir: join(opts.home, "gateway"), devices }).start();
      await gateway.connected();
      return new LiveEdge(broker, gateway, ingest);
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
    const bySite = new Map<string, object[]>();
    for (const s of scans) {
      let list = bySite.get(s.siteId);
      if (!list) bySite.set(s.siteId, (list = []));
      list.push({
        job_id: s.jobId, product_id: s.productId, product_variant: s.productVariant, station: s.station,
        scan_ts: s.scanTs.toISOString(), operator_id: s.operatorId,
      });
    }
    for (const [site, list] of bySite) this.gateway.addScans(scannerId(site), list);
    this.publishedScans += scans.length;
  }

  /**
   * Resolves when everything published so far is committed in RAW or quarantined, or counted as
   * dropped by the gateway's overflow policy; rejects with what is missing after `timeoutMs`.
   */
  async settled(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { gateway: g, ingest: i } = this.counts();
      const accounted = i.readings + i.scans + i.quarantined + g.droppedReadings + g.rejectedReadings;
      if (accounted >= this.publishedReadings + this.publishedScans && i.lagMs === 0) return;
      if (Date.now() > deadline) {
        throw new Error(
          `the edge did not settle in ${timeoutMs} ms: published ${this.publishedReadings} readings and ${this.publishedScans} scans, ` +
            `committed ${i.readings} readings and ${i.scans} scans, quarantined ${i.quarantined}, dropped ${g.droppedReadings + g.rejectedReadings}`,
        );
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  counts(): EdgeCounts {
    return { gateway: this.gateway.stats(), ingest: this.ingest.stats() };
  }

  /** Stop in order: the gateway (its queue stays on disk), the ingest (commits what it holds), the broker. */
  async close(): Promise<void> {
    await this.gateway.stop().catch(() => undefined);
    await this.ingest.close().catch(() => undefined);
    await this.broker.close().catch(() => undefined);
  }
}
