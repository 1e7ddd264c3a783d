/**
 * Edge figures (issue 3, section 8):
 * - end-to-end readings per second, fleet → gateway → broker → streaming ingest → committed in RAW,
 *   as a ratio to the raw DuckDB Appender rate measured in the same run (target ≥ 0.5);
 * - the same messages through bare aedes pub/sub (QoS 1, no auth, no ingest): the transport's ceiling;
 * - p50 / p99 sensor-to-committed latency at 10× seed 004's per-deployment rate for 3 tenants
 *   (target p99 < 1 s).
 */
import { Aedes } from "aedes";
import mqtt from "mqtt";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { DeviceRegistry, INGEST_USERNAME } from "../edge/deviceRegistry.ts";
import { EmbeddedBroker } from "../edge/embeddedBroker.ts";
import { Gateway, encodeMessages, type DeviceReading, type GatewayDevice } from "../edge/gateway.ts";
import { SyntheticFleet, type TenantFleetSpec } from "../edge/syntheticFleet.ts";
import { ChannelLanding } from "../pipelines/ingest/channelLanding.ts";
import { StreamingIngest, channelOf, type IngestStats } from "../pipelines/ingest/streamingIngest.ts";
import type { RawReading } from "../pipelines/ingest/rawRecords.ts";
import { parseMessage } from "../pipelines/quality/messageParser.ts";
import { timed, type Benchmark, type Figure } from "./harness.ts";

const TENANTS = ["acme", "globex", "initech"];
/** Seed 004: 2.6M–3.9M readings per day per deployment; the upper end, per second. */
const SEED_RATE_PER_S = 3_900_000 / 86_400;
const SENSOR = { MACHINE: "machine", ENERGY: "energy", AIR_QUALITY: "air_quality" } as const;

function fleetSpec(machines: number): TenantFleetSpec[] {
  return TENANTS.map((tenantId) => ({
    tenantId,
    sites: [{ siteId: `${tenantId}-p1`, machines, energyMeters: 4, airSensors: 4, stations: [], jobsPerHour: 0 }],
  }));
}

/** What the benchmark needs of an ingest, in this process or in its own. */
interface Ingest {
  stats(): IngestStats;
  until(predicate: (s: IngestStats) => boolean, timeoutMs: number): Promise<IngestStats>;
  resetLatency(): void;
  close(): Promise<void>;
}

const WORKER_MAIN = fileURLToPath(new URL("../pipelines/ingest/ingestWorkerMain.ts", import.meta.url));

/**
 * The ingest worker as its own process (pipelines/ingest/ingestWorkerMain.ts), as it runs in
 * production: JSON parsing, validation and the Appender do not share an event loop with the
 * gateway and the broker, so on 2 cores the two halves of the path run side by side.
 */
class IngestProcess implements Ingest {
  private last: IngestStats | null = null;
  private waiters: Array<() => void> = [];

  private constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (!line.startsWith("{\"messages\"")) return;
      this.last = JSON.parse(line) as IngestStats;
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async start(url: string, db: string, secret: string): Promise<IngestProcess> {
    const child = spawn(process.execPath, ["--import", "tsx", WORKER_MAIN, "--url", url, "--db", db, "--stats-ms", "50"], {
      env: { ...process.env, HUB_INGEST_SECRET: secret },
      stdio: ["pipe", "pipe", "inherit"],
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the ingest worker did not start in 60 s")), 60_000);
      const lines = createInterface({ input: child.stdout! });
      lines.on("line", (line) => {
        if (line !== "ready") return;
        clearTimeout(timer);
        lines.close();
        resolve();
      });
      child.once("exit", (code) => reject(new Error(`the ingest worker exited with ${code}`)));
    });
    return new IngestProcess(child);
  }

  stats(): IngestStats {
    if (!this.last) throw new Error("the ingest worker has not reported yet");
    return this.last;
  }

  async until(predicate: (s: IngestStats) => boolean, timeoutMs: number): Promise<IngestStats> {
    const deadline = Date.now() + timeoutMs;
    while (!(this.last && predicate(this.last))) {
      if (Date.now() > deadline || this.child.exitCode !== null) throw new Error(`ingest worker: condition not reached; stats ${JSON.stringify(this.last)}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return this.last;
  }

  resetLatency(): void {
    this.child.stdin!.write("reset-latency\n");
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once("exit", r));
    this.child.kill("SIGTERM");
    await exited;
  }
}

interface Stack {
  broker: EmbeddedBroker;
  ingest: Ingest;
  gateway: Gateway;
  devices: GatewayDevice[];
  close(): Promise<void>;
}

async function startStack(dir: string, devices: ReadonlyArray<Omit<GatewayDevice, "password">>, layout: "process" | "in-process"): Promise<Stack> {
  const registry = DeviceRegistry.inMemory();
  registry.setIngestSecret("bench");
  const withSecrets = devices.map((d) => ({ ...d, password: registry.addDevice(d)! }));
  const broker = await EmbeddedBroker.start({ registry });
  const db = join(dir, "hub.duckdb");
  const ingest: Ingest = layout === "process"
    ? await IngestProcess.start(broker.url, db, "bench")
    : await StreamingIngest.start({ url: broker.url, username: INGEST_USERNAME, password: "bench", landing: await ChannelLanding.open(db) });
  const gateway = new Gateway({ url: broker.url, dir: join(dir, "gw"), devices: withSecrets }).start();
  await gateway.connected(); // each connection checks a scrypt hash: not part of the figures
  return {
    broker, ingest, gateway, devices: withSecrets,
    async close() {
      await gateway.stop();
      await ingest.close();
      await broker.close();
    },
  };
}

function byDevice(readings: readonly RawReading[]): Map<string, DeviceReading[]> {
  const m = new Map<string, DeviceReading[]>();
  for (const r of readings) {
    let list = m.get(r.deviceId);
    if (!list) m.set(r.deviceId, (list = []));
    list.push({ ts: r.ts, seq: r.seq, metrics: (r.payload as { metrics: Record<string, unknown> }).metrics });
  }
  return m;
}

/**
 * The raw Appender rate: the very rows the end-to-end path lands (the gateway's messages parsed
 * and validated beforehand, payloads already JSON text), appended to RAW.SENSOR_READINGS of a
 * warehouse file in one transaction, with no transport and no validation. Warmed up first (the
 * JIT and the file), then the best of two runs, each into a fresh file: the bar is the Appender at
 * its best, not a cold start.
 */
async function appenderRate(dir: string, rows: readonly RawReading[]): Promise<number> {
  const once = async (name: string, slice: readonly RawReading[]) => {
    const landing = await ChannelLanding.open(join(dir, `${name}.duckdb`));
    const { ms } = await timed(() => landing.commit({ readings: slice, scans: [], quarantine: [], messages: [] }, new Date()));
    await landing.close();
    return slice.length / (ms / 1000);
  };
  await once("appender_warmup", rows.slice(0, 50_000));
  return Math.max(await once("appender_1", rows), await once("appender_2", rows));
}

/** The rows ingest will land for these messages, as ingest builds them (parse and validation done here, untimed). */
function landedRows(messages: ReadonlyArray<{ topic: string; payload: string }>): RawReading[] {
  const rows: RawReading[] = [];
  const receivedAt = new Date();
  for (const m of messages) {
    const [, , tenant, , , device] = m.topic.split("/");
    const result = parseMessage(m.payload, { receivedAt, expectedTenant: tenant });
    if (result.kind !== "readings") continue;
    const channel = channelOf(tenant!, device!);
    for (const r of result.accepted) {
      rows.push({
        tenantId: r.tenantId, siteId: r.siteId, deviceId: r.deviceId, sensorType: r.sensorType, ts: r.ts, seq: r.seq,
        messageId: r.messageId, payload: r.payloadJson, channel, channelOffset: (r.payload.message as { seq: number }).seq, source: "mqtt",
      });
    }
  }
  return rows;
}

/** Bare aedes: the gateway's messages published QoS 1 by one client, received by one subscriber. */
async function bareAedesRate(messages: ReadonlyArray<{ topic: string; payload: string; readings: number }>): Promise<number> {
  const aedes = await Aedes.createBroker();
  const server = createServer(aedes.handle);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sub = await mqtt.connectAsync(url, { clientId: "sub" });
  await sub.subscribeAsync("dt/hub/#", { qos: 1 });
  const pub = await mqtt.connectAsync(url, { clientId: "pub" });
  const total = messages.reduce((n, m) => n + m.readings, 0);
  let got = 0;
  const done = new Promise<void>((resolve) => sub.on("message", () => ++got === messages.length && resolve()));
  const { ms } = await timed(async () => {
    const window = 64;
    for (let i = 0; i < messages.length; i += window) {
      await Promise.all(messages.slice(i, i + window).map((m) => pub.publishAsync(m.topic, m.payload, { qos: 1 })));
    }
    await done;
  });
  await pub.endAsync();
  await sub.endAsync();
  await new Promise<void>((r) => aedes.close(() => r()));
  await new Promise<void>((r) => server.close(() => r()));
  return total / (ms / 1000);
}

type BenchDevice = Omit<GatewayDevice, "password"> & { readonly sensorType: "machine" | "energy" | "air_quality" };

/** One simulated hour of the fleet, per device (the fleet's own records are let go: a big heap slows the gateway's GC). */
function fleetHour(scale: number): { devices: BenchDevice[]; perDevice: Map<string, DeviceReading[]>; total: number } {
  const machines = Math.max(2, Math.round(40 * scale));
  const fleet = new SyntheticFleet(fleetSpec(machines), 42, new Date(Date.now() - 2 * 3600_000));
  const readings = fleet.readingsUntil(new Date(Date.now() - 3600_000));
  const devices = [...new Map(readings.map((r) => [r.deviceId, r])).values()].map((r) => ({
    thingName: r.deviceId, tenantId: r.tenantId, siteId: r.siteId, sensorType: SENSOR[r.sensorType as keyof typeof SENSOR],
  }));
  return { devices, perDevice: byDevice(readings), total: readings.length };
}

/**
 * The two references, on the gateway's own messages for these readings: the raw Appender on the
 * rows ingest will land, and bare aedes. Their messages and rows are dropped on return, before the
 * end-to-end runs.
 */
async function references(
  dir: string, devices: readonly BenchDevice[], perDevice: ReadonlyMap<string, DeviceReading[]>, progress: (msg: string) => void,
): Promise<{ appender: number; bare: number }> {
  const messages = devices.flatMap((d) =>
    encodeMessages(d, perDevice.get(d.thingName)!, 0).map((m) => ({ ...m, topic: `dt/hub/${d.tenantId}/${d.siteId}/${d.sensorType}/${d.thingName}` })),
  );
  const rows = landedRows(messages);
  const appender = await appenderRate(dir, rows);
  progress(`raw Appender (${rows.length.toLocaleString("en")} rows as ingest lands them; warmed, best of 2): ${Math.round(appender).toLocaleString("en")} readings/s`);
  const bare = await bareAedesRate(messages);
  progress(`bare aedes (${messages.length} messages): ${Math.round(bare).toLocaleString("en")} readings/s`);
  return { appender, bare };
}

export const edgeIngestBenchmark: Benchmark = {
  name: "edge",
  description: "fleet → gateway → broker → streaming ingest → RAW, against the raw Appender and bare aedes; latency at 10× seed rate",
  async run({ scale, progress }): Promise<Figure[]> {
    const dir = mkdtempSync(join(tmpdir(), "bench-edge-"));
    try {
      // Throughput: one simulated hour of 3 tenants, landed as fast as the path goes.
      const { devices, perDevice, total } = fleetHour(scale);
      progress(`${total.toLocaleString("en")} readings from ${devices.length} devices`);
      const { appender, bare } = await references(dir, devices, perDevice, progress);

      // The gateway batches and queues every reading inside the timed span: the figure is end to end.
      const endToEnd = async (layout: "process" | "in-process"): Promise<number> => {
        const stack = await startStack(join(dir, `e2e_${layout === "process" ? "process" : "one_loop"}`), devices, layout);
        try {
          const { ms } = await timed(async () => {
            // Device by device, letting the event loop send between them, as readings reach a gateway
            // over time: encoding and queueing stay inside the timed span, but do not stall the
            // whole path for seconds before the first message leaves.
            for (const [thing, list] of perDevice) {
              stack.gateway.add(thing, list);
              await new Promise((r) => setImmediate(r));
            }
            await stack.ingest.until((s) => s.readings + s.quarantined >= total, 600_000);
          });
          const s = stack.ingest.stats();
          progress(`end to end, ingest ${layout === "process" ? "in its own process" : "in the gateway's process"}: ${s.readings.toLocaleString("en")} committed (${s.quarantined} quarantined) in ${(ms / 1000).toFixed(2)} s, ${s.commits} commits`);
          return s.readings / (ms / 1000);
        } finally {
          await stack.close();
        }
      };
      const e2e = await endToEnd("process");
      const oneLoop = await endToEnd("in-process");

      // Latency: 10× the seed's rate per deployment, 3 tenants, in real time.
      const perTenant = SEED_RATE_PER_S * 10;
      const devicesPerTenant = 15;
      const latencyDevices = TENANTS.flatMap((tenantId) =>
        Array.from({ length: devicesPerTenant }, (_, i) => ({ thingName: `${tenantId}-lat-${i}`, tenantId, siteId: "p1", sensorType: "machine" as const })),
      );
      const lat = await startStack(join(dir, "latency"), latencyDevices, "process");
      const seconds = Math.max(3, Math.round(10 * scale));
      let produced = 0;
      try {
        const tickMs = 100;
        const perDeviceTick = (perTenant / devicesPerTenant) * (tickMs / 1000);
        const seq = new Map<string, number>();
        let carry = 0;
        const end = Date.now() + seconds * 1000;
        let warm = true;
        while (Date.now() < end) {
          carry += perDeviceTick;
          const n = Math.floor(carry);
          carry -= n;
          const now = new Date();
          for (const d of latencyDevices) {
            const from = seq.get(d.thingName) ?? 0;
            const batch = Array.from({ length: n }, (_, i) => ({
              ts: now, seq: from + i, metrics: { state: "RUNNING", period_s: 0.1, cycles: 0, good_parts: 0, ideal_cycle_s: 30, spindle_load_pct: 50 },
            }));
            seq.set(d.thingName, from + n);
            lat.gateway.add(d.thingName, batch);
            produced += n;
          }
          if (warm && Date.now() > end - seconds * 1000 + 1000) {
            lat.ingest.resetLatency(); // the first second includes connecting
            warm = false;
          }
          await new Promise((r) => setTimeout(r, tickMs));
        }
        await lat.ingest.until((s) => s.readings >= produced, 30_000);
      } finally {
        await lat.close();
      }
      const s = lat.ingest.stats();
      progress(`latency run: ${produced.toLocaleString("en")} readings over ${seconds} s (${Math.round(produced / seconds)} /s), p50 ${s.latencyP50Ms} ms, p99 ${s.latencyP99Ms} ms`);

      const appenderRef = { name: "raw DuckDB Appender, same rows", value: appender, unit: "readings/s" };
      return [
        {
          name: "edge.end_to_end_throughput", value: e2e, unit: "readings/s", reference: appenderRef, ratio: e2e / appender,
          ratioMeaning: "end-to-end rate / raw Appender rate", target: { op: ">=", value: 0.5 },
          description: "fleet → gateway (128 KB batches, durable queue) → aedes with auth → streaming ingest worker process (validate, micro-batch, offsets) → committed in RAW",
        },
        {
          name: "edge.end_to_end_one_process", value: oneLoop, unit: "readings/s", reference: appenderRef, ratio: oneLoop / appender,
          ratioMeaning: "end-to-end rate / raw Appender rate",
          description: "the same with the ingest in the gateway's and broker's process (one event loop for all of it)",
        },
        {
          name: "edge.bare_aedes_throughput", value: bare, unit: "readings/s", reference: appenderRef, ratio: bare / appender,
          ratioMeaning: "bare aedes QoS 1 pub/sub rate / raw Appender rate",
          description: "the same messages through aedes alone (one publisher, one subscriber, QoS 1): the transport's ceiling",
        },
        {
          name: "edge.latency_p50", value: s.latencyP50Ms ?? NaN, unit: "ms",
          description: `sensor-to-committed latency, p50, at 10× seed 004's rate for 3 tenants (${Math.round(perTenant * 3)} readings/s)`,
        },
        {
          name: "edge.latency_p99", value: s.latencyP99Ms ?? NaN, unit: "ms", target: { op: "<", value: 1000, on: "value" },
          description: `sensor-to-committed latency, p99, at 10× seed 004's rate for 3 tenants (${Math.round(perTenant * 3)} readings/s)`,
        },
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
