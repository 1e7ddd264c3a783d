/**
 * The portal under load (issue 23 §5): 40 signed-in users (20 per tenant, 2 tenants) each loading
 * the overview and a machine page, with a second of think time, while both tenants ingest at 10×
 * seed 004's rate and the engine ticks every second as `serve` does. Figures:
 * - p95 page-data latency (seed < 3 s; ours < 1 s), against one user alone on an idle hub, same run;
 * - commit → screen p99: a reading committed in RAW until a page that follows the event stream
 *   shows it ("last data"), seed's sensor → screen < 10 s, ours < 5 s. The path before the commit
 *   (device → broker → ingest → RAW) is the edge benchmark's sensor-to-committed latency.
 * Over HTTP on loopback, the portal's real server, one process (the hub's), like serve.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EmbeddedEngine } from "../pipelines/engine/embeddedEngine.ts";
import { SystemClock } from "../pipelines/engine/clock.ts";
import type { RawReading } from "../pipelines/ingest/rawRecords.ts";
import { hashPassword, type EndpointUser } from "../pipelines/serve/snowflakeEndpoint.ts";
import { PortalServer } from "../pipelines/portal/portalServer.ts";
import { PortalBundle } from "../pipelines/portal/portalBundle.ts";
import { tenantRoleName } from "../pipelines/definitions/governance.ts";
import type { Benchmark, Figure } from "./harness.ts";

/** Seed 004: 3.9 M readings a day per deployment (as the edge benchmark takes it). */
const SEED_RATE_PER_S = 3_900_000 / 86_400;
const TENANTS = ["acme", "globex"];
const USERS_PER_TENANT = 20;
const SITES = 2;
const MACHINES_PER_SITE = 10;
const PASSWORD = "bench-password-1";

interface Device {
  readonly id: string;
  readonly site: string;
  readonly type: "MACHINE" | "ENERGY" | "AIR_QUALITY";
  seq: number;
}

function fleet(tenant: string): Device[] {
  const devices: Device[] = [];
  for (let s = 1; s <= SITES; s++) {
    const site = `${tenant}-p${s}`;
    for (let m = 1; m <= MACHINES_PER_SITE; m++) devices.push({ id: `${site}-m${String(m).padStart(2, "0")}`, site, type: "MACHINE", seq: 0 });
    for (let e = 1; e <= 2; e++) devices.push({ id: `${site}-em${e}`, site, type: "ENERGY", seq: 0 });
    for (let a = 1; a <= 2; a++) devices.push({ id: `${site}-aq${a}`, site, type: "AIR_QUALITY", seq: 0 });
  }
  return devices;
}

function metrics(d: Device, i: number): Record<string, unknown> {
  if (d.type === "MACHINE") {
    const state = ["RUNNING", "RUNNING", "RUNNING", "IDLE", "SETUP", "DOWN"][i % 6]!;
    return { state, period_s: 10, ...(state === "RUNNING" ? { cycles: 1, good_parts: 1, ideal_cycle_s: 9, spindle_load_pct: 40 + (i % 50) } : {}) };
  }
  if (d.type === "ENERGY") return { period_s: 10, voltage_v: 400, current_a: 150, power_factor: 0.9, power_kw: 90 + (i % 20), kwh: 0.25 };
  return { period_s: 10, co2_ppm: 500 + (i % 400), pm25_ugm3: 5 + (i % 30) };
}

function readings(tenant: string, devices: Device[], n: number, ts: (k: number) => Date): RawReading[] {
  const out: RawReading[] = [];
  for (let k = 0; k < n; k++) {
    const d = devices[k % devices.length]!;
    d.seq++;
    out.push({
      tenantId: tenant, siteId: d.site, deviceId: d.id, sensorType: d.type, ts: ts(k), seq: d.seq, messageId: `${d.id}-${d.seq}`,
      payload: { schema: `${d.type.toLowerCase()}/1`, metrics: metrics(d, d.seq) }, channel: `${tenant}/0`, channelOffset: d.seq, source: "bench",
    });
  }
  return out;
}

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const portalBenchmark: Benchmark = {
  name: "portal",
  description: "40 portal users on the overview and a machine page while 2 tenants ingest at 10× seed rate; commit → screen",
  async run({ scale, progress }): Promise<Figure[]> {
    const dir = mkdtempSync(join(tmpdir(), "hub-bench-portal-"));
    const engine = await EmbeddedEngine.open({ path: join(dir, "portal.duckdb"), clock: new SystemClock() });
    const fleets = new Map(TENANTS.map((t) => [t, fleet(t)]));
    let server: http.Server | null = null;
    let portal: PortalServer | null = null;
    try {
      for (const t of TENANTS) await engine.grantTenantRole(t);
      // History: hours of the seed's rate before now, so the pages read a day's tables, not empty ones.
      const historyS = Math.round(2 * 3600 * Math.min(1, scale));
      const now0 = Date.now();
      for (const t of TENANTS) {
        const n = Math.round(SEED_RATE_PER_S * historyS);
        progress(`history: ${n.toLocaleString("en")} readings for ${t} over ${(historyS / 3600).toFixed(1)} h…`);
        for (let k0 = 0; k0 < n; k0 += 50_000) {
          const batch = Math.min(50_000, n - k0);
          await engine.land({ readings: readings(t, fleets.get(t)!, batch, (k) => new Date(now0 - historyS * 1000 + ((k0 + k) / n) * historyS * 1000)) });
        }
      }
      progress("pipeline over the history…");
      await engine.tick();
      await engine.refreshAll();

      const users: EndpointUser[] = [];
      const hash = hashPassword(PASSWORD);
      for (const t of TENANTS) for (let u = 0; u < USERS_PER_TENANT; u++) users.push({ name: `${t.toUpperCase()}_U${u}`, passwordHash: hash, roles: [tenantRoleName(t)], defaultRole: tenantRoleName(t) });
      portal = PortalServer.create({ engine, users: () => users, tenants: TENANTS, log: () => undefined, bundle: PortalBundle.load(dir), pollMs: 1000 });
      const p = portal;
      server = http.createServer((req, res) => void p.handle(req, res));
      server.keepAliveTimeout = 60_000;
      await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const cookies = new Map<string, string>();
      for (const u of users) {
        const r = await fetch(`${base}/api/portal/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user: u.name, password: PASSWORD }) });
        cookies.set(u.name, r.headers.get("set-cookie")!.split(";")[0]!);
      }
      const tenantOf = (u: EndpointUser) => u.name.split("_")[0]!.toLowerCase();
      const pageLoad = async (u: EndpointUser, i: number): Promise<number[]> => {
        const t = tenantOf(u);
        const machines = fleets.get(t)!.filter((d) => d.type === "MACHINE");
        const times: number[] = [];
        for (const path of ["overview", `machines/${machines[i % machines.length]!.id}`]) {
          const t0 = performance.now();
          const r = await fetch(`${base}/api/portal/tenants/${t}/${path}`, { headers: { cookie: cookies.get(u.name)! } });
          await r.arrayBuffer();
          if (r.status !== 200) throw new Error(`${path} answered ${r.status}`);
          times.push(performance.now() - t0);
        }
        return times;
      };

      progress("reference: one user alone, the hub idle…");
      const alone: number[] = [];
      for (let i = 0; i < 20; i++) {
        // A new reading each round, so every load reads the tables again rather than the cache.
        await engine.land({ readings: readings("acme", fleets.get("acme")!, 1, () => new Date()) });
        alone.push(...(await pageLoad(users[0]!, i)));
      }

      const durationMs = Math.max(15_000, 60_000 * scale);
      const perTenant = SEED_RATE_PER_S * 10;
      progress(`load: ${users.length} users for ${durationMs / 1000} s while ${TENANTS.length} tenants ingest ${Math.round(perTenant)} readings/s each…`);
      let running = true;
      const latencies: number[] = [];
      let errors = 0;
      const probes: Array<{ tenant: string; at: number; seen: number | null }> = [];
      const ingest = (async () => {
        let carry = 0;
        let last = performance.now();
        let nextProbe = Date.now() + 1000;
        while (running) {
          await sleep(100);
          const t = performance.now();
          carry += ((t - last) / 1000) * perTenant;
          last = t;
          const n = Math.floor(carry);
          carry -= n;
          const probe = Date.now() >= nextProbe;
          const at = Date.now();
          for (const tenant of TENANTS) await engine.land({ readings: readings(tenant, fleets.get(tenant)!, n, () => new Date()) });
          if (probe) {
            // Committed by now: ingested_at ≥ at for every row of this batch.
            for (const tenant of TENANTS) probes.push({ tenant, at, seen: null });
            nextProbe = at + 1000;
          }
        }
      })();
      const tickMs: number[] = [];
      const ticks = (async () => {
        while (running) {
          const t0 = performance.now();
          await engine.tick({ refreshBesideTasks: true });
          tickMs.push(performance.now() - t0);
          await sleep(Math.max(0, 1000 - (performance.now() - t0)));
        }
      })();
      // One watcher per tenant: a page following the event stream, refetching the overview on each update.
      const watchers = TENANTS.map(async (tenant) => {
        const u = users.find((x) => tenantOf(x) === tenant)!;
        const ac = new AbortController();
        const r = await fetch(`${base}/api/portal/events`, { headers: { cookie: cookies.get(u.name)! }, signal: ac.signal });
        const reader = r.body!.getReader();
        const stop = setInterval(() => !running && ac.abort(), 200);
        try {
          while (running) {
            const { value, done } = await reader.read();
            if (done) break;
            if (!new TextDecoder().decode(value).includes("event: update")) continue;
            const o = (await (await fetch(`${base}/api/portal/tenants/${tenant}/overview`, { headers: { cookie: cookies.get(u.name)! } })).json()) as { data: { plants: Array<{ last_ingested: string | null }> } };
            const shown = Math.max(...o.data.plants.map((x) => (x.last_ingested ? Date.parse(x.last_ingested) : 0)));
            const t = Date.now();
            for (const pr of probes) if (pr.tenant === tenant && pr.seen === null && pr.at <= shown) pr.seen = t;
          }
        } catch (e) {
          if ((e as Error).name !== "AbortError") throw e;
        } finally {
          clearInterval(stop);
        }
      });
      const clients = users.map(async (u, k) => {
        await sleep((k / users.length) * 1000);
        let i = k;
        while (running) {
          try {
            latencies.push(...(await pageLoad(u, i++)));
          } catch {
            errors++;
          }
          await sleep(500 + Math.random() * 1000);
        }
      });
      await sleep(durationMs);
      running = false;
      await Promise.all([ingest, ticks, ...clients, ...watchers]);
      const seen = probes.filter((x) => x.seen !== null).map((x) => x.seen! - x.at);
      const p95 = percentile(latencies, 95);
      const ref = percentile(alone, 95);
      progress(`engine ticks: ${tickMs.length}, p50 ${percentile(tickMs, 50).toFixed(0)} ms, max ${Math.max(...tickMs).toFixed(0)} ms`);
      progress(`${latencies.length} page loads (${errors} failed), p95 ${p95.toFixed(0)} ms; ${seen.length}/${probes.length} probes seen, p99 ${percentile(seen, 99).toFixed(0)} ms`);
      return [
        {
          name: "portal.page_data_p95_ms", value: p95, unit: "ms",
          description: `p95 page-data latency (overview and a machine page) for ${users.length} users while ${TENANTS.length} tenants ingest at 10× seed rate (${latencies.length} loads, ${errors} failed)`,
          reference: { name: "one user alone on the idle hub, p95", value: ref, unit: "ms" }, ratio: p95 / ref, ratioMeaning: "times slower under load",
          target: { op: "<", value: 1000, on: "value" },
        },
        { name: "portal.page_data_p50_ms", value: percentile(latencies, 50), unit: "ms", description: "median page-data latency under the same load" },
        {
          name: "portal.commit_to_screen_p99_ms", value: percentile(seen, 99), unit: "ms",
          description: `a reading committed in RAW until a page following the event stream shows it, p99 (${seen.length} of ${probes.length} probes seen)`,
          target: { op: "<", value: 5000, on: "value" },
        },
      ];
    } finally {
      await portal?.close();
      server?.closeAllConnections();
      if (server) await new Promise((r) => server!.close(r));
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
