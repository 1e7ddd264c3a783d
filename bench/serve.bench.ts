/**
 * `npm run serve` under load, as issue 22 measures it, on a hub with two simulated hours of data
 * (the main job) served by a real `scripts/serve.ts` process:
 * - sensor → queryable through the SQL endpoint, p50 and p99: probe devices publish a reading every
 *   250 ms while 45 load devices publish 10× seed 004's per-deployment rate for 3 deployments; a
 *   tenant session polls the endpoint for each probe's newest sequence number;
 * - 40 concurrent SQL clients (tenant roles, snowflake-sdk) running dashboard-sized queries through
 *   the endpoint while that ingest goes on: p95 latency, and the ingest rate held (committed
 *   readings per second against produced).
 * The references are the same run's idle figures: one client alone, and the ingest without clients.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeviceRegistry, deviceRegistryPath } from "../edge/deviceRegistry.ts";
import { Gateway, type GatewayDevice } from "../edge/gateway.ts";
import { PROJECT_DIR } from "../edge/fleetStackFile.ts";
import { ServedSession } from "../pipelines/serve/servedSession.ts";
import { runMainJob } from "../scripts/lib/hub/mainJob.ts";
import { startServe } from "../tests/helpers/serveProcess.ts";
import type { Benchmark, Figure } from "./harness.ts";

/** Seed 004: 30–45 machine sensors at 1 Hz, meters every 15 s, air every minute per deployment (as bench/edgeIngest.bench.ts). */
const SEED_RATE_PER_S = 3_900_000 / 86_400;
const DEPLOYMENTS = [
  { tenantId: "acme", siteId: "acme-plant-1" },
  { tenantId: "globex", siteId: "globex-works" },
  { tenantId: "acme", siteId: "acme-plant-2" },
];
const DEVICES_PER_DEPLOYMENT = 15;
const CLIENTS = 40;

const DASHBOARD = [
  "SELECT machine_id, hour, utilization, oee FROM ANALYTICS.MACHINE_UTILIZATION_HOURLY WHERE hour >= DATEADD(hour, -24, (SELECT MAX(hour) FROM ANALYTICS.MACHINE_UTILIZATION_HOURLY)) ORDER BY machine_id, hour",
  "SELECT meter_id, hour, kwh, peak_kw FROM ANALYTICS.ENERGY_HOURLY WHERE hour >= DATEADD(hour, -24, (SELECT MAX(hour) FROM ANALYTICS.ENERGY_HOURLY)) ORDER BY meter_id, hour",
  "SELECT severity, COUNT(*) AS n, MAX(last_ts) AS latest FROM ANALYTICS.ALERTS GROUP BY severity ORDER BY severity",
  "SELECT location_id, aqi_category, co2_ppm, pm25_ugm3 FROM ANALYTICS.AIR_QUALITY_CURRENT ORDER BY location_id",
];

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
}

const roleOf = (tenant: string) => ({ role: `TENANT_${tenant.toUpperCase()}_ROLE`, warehouse: `TENANT_${tenant.toUpperCase()}_BI_WH` });

export const serveBenchmark: Benchmark = {
  name: "serve",
  description: "npm run serve: sensor → queryable through the SQL endpoint, and 40 dashboard clients beside 10× the seed's ingest",
  async run({ scale, progress }) {
    const home = mkdtempSync(join(tmpdir(), "hub-bench-serve-"));
    const gateways: Gateway[] = [];
    try {
      progress("a hub with two simulated hours (the main job, no history)");
      await runMainJob({ home, projectDir: PROJECT_DIR, hours: 2, seed: 42, stepMinutes: 120, port: 0, fresh: true, historyDays: 0 });
      const served = await startServe(home);
      try {
        const registry = DeviceRegistry.open(deviceRegistryPath(home));
        const device = (thingName: string, d: (typeof DEPLOYMENTS)[number]): GatewayDevice => ({
          thingName, ...d, sensorType: "machine", password: registry.addDevice({ thingName, ...d }, { rotate: true })!,
        });
        const load = DEPLOYMENTS.flatMap((d, k) => Array.from({ length: DEVICES_PER_DEPLOYMENT }, (_, i) => device(`bench-load-${k}-${i}`, d)));
        const probes = DEPLOYMENTS.map((d, k) => device(`bench-probe-${k}`, d));
        for (const [name, devices] of [["load", load], ["probes", probes]] as const) {
          const g = new Gateway({ url: served.info.mqtt, dir: join(home, `bench-${name}`), devices });
          g.start();
          await g.connected();
          gateways.push(g);
        }
        const [loadGw, probeGw] = gateways as [Gateway, Gateway];

        // The load: every 100 ms each device sends its share of 10× the seed's rate per deployment.
        let produced = 0;
        let loading = true;
        const loadSeq = new Map<string, number>();
        const loader = (async () => {
          const perTick = (SEED_RATE_PER_S * 10 * 0.1) / DEVICES_PER_DEPLOYMENT;
          let carry = 0;
          while (loading) {
            carry += perTick;
            const n = Math.floor(carry);
            carry -= n;
            const now = new Date();
            for (const d of load) {
              const from = loadSeq.get(d.thingName) ?? now.getTime();
              loadGw.add(d.thingName, Array.from({ length: n }, (_, i) => ({ ts: now, seq: from + i, metrics: { state: "RUNNING", period_s: 0.1, spindle_load_pct: 50 } })));
              loadSeq.set(d.thingName, from + n);
              produced += n;
            }
            await new Promise((r) => setTimeout(r, 100));
          }
        })();
        const committed = async () => {
          const text = await (await fetch(`${served.info.http}/metrics`)).text();
          return Number(/^hub_readings_committed_total (\S+)$/m.exec(text)?.[1] ?? NaN);
        };

        // Sensor → queryable: probes every 250 ms; a tenant session per deployment polls for them.
        const seconds = Math.max(10, Math.round(30 * scale));
        const latencies: number[] = [];
        const probeRun = async (k: number) => {
          const d = DEPLOYMENTS[k]!;
          const thing = probes[k]!.thingName;
          const session = await ServedSession.open(served.info, roleOf(d.tenantId));
          const sentAt = new Map<number, number>();
          let seen = 0;
          let seq = Date.now();
          const end = Date.now() + seconds * 1000;
          let nextProbe = 0;
          try {
            while (Date.now() < end || (sentAt.size > 0 && Date.now() < end + 10_000)) {
              if (Date.now() >= nextProbe && Date.now() < end) {
                seq++;
                sentAt.set(seq, performance.now());
                probeGw.add(thing, [{ ts: new Date(), seq, metrics: { state: "RUNNING", period_s: 0.25, spindle_load_pct: 1 } }]);
                nextProbe = Date.now() + 250;
              }
              const [r] = await session.execute(`SELECT MAX(seq) FROM RAW.SENSOR_READINGS WHERE device_id = '${thing}'`);
              const max = Number(r!.rows[0]![0] ?? 0);
              const t = performance.now();
              if (max > seen) {
                for (const [s, at] of sentAt) if (s <= max) {
                  latencies.push(t - at);
                  sentAt.delete(s);
                }
                seen = max;
              }
            }
          } finally {
            await session.close();
          }
        };
        progress(`sensor → queryable: ${probes.length} probes for ${seconds} s beside ${Math.round(SEED_RATE_PER_S * 10 * DEPLOYMENTS.length)} readings/s`);
        const c0 = await committed();
        const p0 = produced;
        const t0 = performance.now();
        await Promise.all(probes.map((_, k) => probeRun(k)));
        const idleRate = ((await committed()) - c0) / ((performance.now() - t0) / 1000);
        const idleProduced = (produced - p0) / ((performance.now() - t0) / 1000);

        // One dashboard client alone (the reference), then 40 at once beside the same ingest.
        const clientRun = async (i: number, until: number, out: number[]) => {
          const tenant = i % 2 === 0 ? "acme" : "globex";
          const session = await ServedSession.open(served.info, roleOf(tenant));
          try {
            let q = i;
            while (Date.now() < until) {
              const t = performance.now();
              await session.execute(DASHBOARD[q++ % DASHBOARD.length]!);
              out.push(performance.now() - t);
            }
          } finally {
            await session.close();
          }
        };
        const alone: number[] = [];
        await clientRun(0, Date.now() + 5_000, alone);
        progress(`${CLIENTS} dashboard clients for ${seconds} s`);
        const busy: number[] = [];
        const c1 = await committed();
        const p1 = produced;
        const t1 = performance.now();
        const until = Date.now() + seconds * 1000;
        await Promise.all(Array.from({ length: CLIENTS }, (_, i) => clientRun(i, until, busy)));
        const busySeconds = (performance.now() - t1) / 1000;
        const busyRate = ((await committed()) - c1) / busySeconds;
        const busyProduced = (produced - p1) / busySeconds;
        loading = false;
        await loader;
        progress(
          `latency p50 ${quantile(latencies, 0.5).toFixed(0)} ms p99 ${quantile(latencies, 0.99).toFixed(0)} ms (${latencies.length} probes); ` +
            `clients p95 ${quantile(busy, 0.95).toFixed(0)} ms over ${busy.length} queries (alone ${quantile(alone, 0.95).toFixed(0)} ms); ` +
            `ingest ${busyRate.toFixed(0)}/s of ${busyProduced.toFixed(0)}/s produced with clients, ${idleRate.toFixed(0)}/s of ${idleProduced.toFixed(0)}/s without`,
        );
        const figures: Figure[] = [
          {
            name: "serve.sensor_to_queryable_p50", value: quantile(latencies, 0.5), unit: "ms",
            description: `a reading published over MQTT until a tenant session sees it through the SQL endpoint, beside ${Math.round(SEED_RATE_PER_S * 10 * DEPLOYMENTS.length)} readings/s (10× seed 004 per deployment, 3 deployments); ${latencies.length} probes`,
          },
          {
            name: "serve.sensor_to_queryable_p99", value: quantile(latencies, 0.99), unit: "ms",
            description: "the same, 99th percentile (seed: < 10 s for real-time monitoring)", target: { op: "<", value: 2000, on: "value" },
          },
          {
            name: "serve.dashboard_p95_40_clients", value: quantile(busy, 0.95), unit: "ms",
            description: `${CLIENTS} snowflake-sdk clients (tenant roles) running dashboard queries through the endpoint for ${seconds} s beside that ingest; ${busy.length} queries`,
            reference: { name: "one client alone, same queries", value: quantile(alone, 0.95), unit: "ms" },
            ratio: quantile(busy, 0.95) / quantile(alone, 0.95), ratioMeaning: "40 clients / one client, p95",
            target: { op: "<", value: 1000, on: "value" },
          },
          {
            name: "serve.ingest_held_with_clients", value: busyRate, unit: "readings/s",
            description: "readings committed per second while the 40 clients ran",
            reference: { name: "readings produced per second meanwhile", value: busyProduced, unit: "readings/s" },
            ratio: busyRate / busyProduced, ratioMeaning: "committed / produced (1 = the ingest kept up)", target: { op: ">=", value: 0.95 },
          },
        ];
        return figures;
      } finally {
        for (const g of gateways) await g.stop().catch(() => undefined);
        await served.stop("SIGTERM");
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  },
};
