import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DeviceRegistry } from "../../edge/deviceRegistry.ts";
import { EmbeddedBroker } from "../../edge/embeddedBroker.ts";
import { Gateway, type DeviceReading } from "../../edge/gateway.ts";
import { INGEST_SECRET, queryWarehouse, registerDevices, removeDir, startBroker, startIngest, tempDir } from "./edgeStack.ts";
import { waitFor } from "../helpers/waitFor.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Readings of one device: every 25th has a spindle load beyond the hard limit (quarantined at ingest). */
function readings(from: number, n: number, t0: number): DeviceReading[] {
  return Array.from({ length: n }, (_, i) => {
    const seq = from + i;
    return {
      ts: new Date(t0 + seq * 10),
      seq,
      metrics: { state: "RUNNING", period_s: 1, cycles: 1, good_parts: 1, ideal_cycle_s: 30, spindle_load_pct: seq % 25 === 0 ? 500 : 50 },
    };
  });
}

const DEVICES = ["acme-m-001", "acme-m-002", "globex-m-001"].map((thingName) => ({
  thingName, tenantId: thingName.split("-")[0]!, siteId: "plant1", sensorType: "machine" as const,
}));

describe("faults", () => {
  const dirs: string[] = [];
  after(() => (process.env.KEEP_EDGE_TMP ? console.error("kept", dirs) : dirs.forEach(removeDir)));

  it("the broker restarts while devices publish: nothing is lost, produced = silver + quarantined + counted drops", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const db = join(dir, "hub.duckdb");
    const registry = DeviceRegistry.inMemory();
    const devices = registerDevices(registry, DEVICES);
    let broker = await startBroker(registry);
    const port = broker.port;
    const ingest = await startIngest(broker.url, db);
    // A small queue (24 KB per device) so that the outage overflows it: drops must be counted.
    const gateway = new Gateway({ url: broker.url, dir: join(dir, "gw"), devices, queueBytes: 24 * 1024, policy: "drop-oldest", backoff: { baseMs: 20, capMs: 200 } }).start();
    const t0 = Date.now() - 600_000;
    const next = new Map(DEVICES.map((d) => [d.thingName, 0]));
    const produce = () => {
      for (const d of DEVICES) {
        const from = next.get(d.thingName)!;
        gateway.add(d.thingName, readings(from, 20, t0));
        next.set(d.thingName, from + 20);
      }
    };
    try {
      for (let i = 0; i < 15; i++) (produce(), await sleep(20));
      await broker.close({ drainMs: 5_000 });
      for (let i = 0; i < 15; i++) (produce(), await sleep(20)); // the broker is down
      broker = await EmbeddedBroker.start({ registry, port });
      for (let i = 0; i < 15; i++) (produce(), await sleep(20));
      await gateway.drained(20_000);
      const g = gateway.stats();
      assert.ok(g.droppedReadings > 0, "the outage overflowed the queue");
      assert.ok(g.connects >= 2 * DEVICES.length, "every device reconnected");
      await ingest.until((s) => s.readings + s.quarantined >= g.sentReadings, 20_000);
    } finally {
      await gateway.stop();
      await ingest.close();
      await broker.close();
    }
    const g = gateway.stats();
    const produced = [...next.values()].reduce((a, b) => a + b, 0);
    assert.equal(g.producedReadings, produced);
    const [silver] = await queryWarehouse<{ n: bigint }>(db, "SELECT COUNT(DISTINCT (tenant_id, device_id, seq)) AS n FROM CORE.SENSOR_READINGS_NORMALIZED", { silver: true });
    const [quarantined] = await queryWarehouse<{ n: bigint }>(db, "SELECT COUNT(*) AS n FROM RAW.QUARANTINE WHERE source = 'mqtt'");
    const [rawRows] = await queryWarehouse<{ n: bigint; d: bigint }>(db, "SELECT COUNT(*) AS n, COUNT(DISTINCT (tenant_id, device_id, seq)) AS d FROM RAW.SENSOR_READINGS");
    assert.equal(Number(rawRows!.n), Number(rawRows!.d), "no reading landed twice");
    assert.ok(Number(quarantined!.n) > 0);
    assert.equal(Number(silver!.n) + Number(quarantined!.n) + g.droppedReadings + g.rejectedReadings, produced);
  });

  it("the ingest worker is killed with SIGKILL mid-stream and restarted: no loss, no duplicates", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const db = join(dir, "hub.duckdb");
    const registry = DeviceRegistry.inMemory();
    const devices = registerDevices(registry, DEVICES);
    const broker = await startBroker(registry);
    const main = fileURLToPath(new URL("../../pipelines/ingest/ingestWorkerMain.ts", import.meta.url));
    const children: ChildProcess[] = [];
    const lastStats = new Map<ChildProcess, string>();
    const startWorker = async (): Promise<ChildProcess> => {
      const child = spawn(process.execPath, ["--import", "tsx", main, "--url", broker.url, "--db", db, "--stats-ms", "50"], {
        env: { ...process.env, HUB_INGEST_SECRET: INGEST_SECRET },
        stdio: ["ignore", "pipe", "inherit"],
      });
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("the worker did not start in 30 s")), 30_000);
        child.stdout!.setEncoding("utf8").on("data", (s: string) => {
          if (s.includes("ready")) (clearTimeout(timer), resolve());
          for (const line of s.split("\n")) if (line.startsWith("{\"messages")) lastStats.set(child, line);
        });
        child.once("exit", (code) => reject(new Error(`the worker exited with ${code}`)));
      });
      return child;
    };
    const committedAtLeast = (child: ChildProcess, n: number) =>
      new Promise<void>((resolve) => {
        child.stdout!.on("data", (s: string) => {
          for (const line of s.split("\n")) if (line.startsWith("{") && (JSON.parse(line) as { readings?: number }).readings! >= n) resolve();
        });
      });
    const gateway = new Gateway({ url: broker.url, dir: join(dir, "gw"), devices, backoff: { baseMs: 20, capMs: 200 } });
    const t0 = Date.now() - 600_000;
    let produced = 0;
    let stop = false;
    const producer = (async () => {
      // 2,000 readings/s per device, as one message per device every 25 ms: each device has one
      // message in flight, so many tiny messages would make draining the backlog (built while the
      // worker restarts) take longer than the test allows on a loaded machine.
      for (let seq = 0; !stop; seq += 50) {
        for (const d of DEVICES) gateway.add(d.thingName, readings(seq, 50, t0).map((r) => ({ ...r, metrics: { ...r.metrics, spindle_load_pct: 50 } })));
        produced += 50 * DEVICES.length;
        await sleep(25);
      }
    })();
    try {
      const first = await startWorker();
      gateway.start();
      await committedAtLeast(first, 300);
      first.kill("SIGKILL");
      await new Promise((r) => first.once("exit", r));
      await sleep(100); // still producing while the worker is dead
      const second = await startWorker();
      await committedAtLeast(second, 300);
      stop = true;
      await producer;
      await gateway.drained(60_000);
      // The restarted worker works through the backlog at the machine's pace: the bound only stops
      // a hang (on a loaded 2-core machine 20 s was not enough for it to catch up).
      await waitFor(() => broker.stats.ingestAcks >= broker.stats.telemetryAccepted, "the worker to acknowledge every message", 300_000).catch(() => undefined);
      // A redelivered message can be acknowledged twice (once by each worker), so ">=".
      assert.ok(broker.stats.ingestAcks >= broker.stats.telemetryAccepted, `the worker acknowledged every message ${JSON.stringify({ broker: broker.stats, workers: [...lastStats.values()] })}`);
      second.kill("SIGTERM");
      await new Promise((r) => second.once("exit", r));
    } finally {
      stop = true;
      await producer;
      await gateway.stop();
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
      await broker.close();
    }
    const [row] = await queryWarehouse<{ n: bigint; d: bigint }>(db, "SELECT COUNT(*) AS n, COUNT(DISTINCT (tenant_id, device_id, seq)) AS d FROM RAW.SENSOR_READINGS");
    const [q] = await queryWarehouse<{ n: bigint }>(db, "SELECT COUNT(*) AS n FROM RAW.QUARANTINE");
    const detail = JSON.stringify({ workers: [...lastStats.values()], produced, gateway: gateway.stats(), broker: broker.stats, raw: { n: Number(row!.n), d: Number(row!.d) } });
    assert.equal(Number(q!.n), 0, `nothing was refused ${detail}`);
    assert.equal(Number(row!.d), produced, `no loss ${detail}`);
    assert.equal(Number(row!.n), produced, `no duplicates in RAW ${detail}`);
  });
});
