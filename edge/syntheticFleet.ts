/**
 * A small deterministic fleet: machines (1 Hz), energy meters (15 s), air-quality sensors (1 min)
 * and RFID stations, per seed 004's rates. The same spec and seed give the same rows. It feeds the
 * quick start and the warehouse benchmarks until the full simulator (edge issue) replaces it.
 */
import type { RawReading, RawScan } from "../pipelines/ingest/rawRecords.ts";

export interface SiteSpec {
  readonly siteId: string;
  readonly machines: number;
  readonly energyMeters: number;
  readonly airSensors: number;
  readonly stations: readonly string[];
  readonly jobsPerHour: number;
  /** Station where jobs wait longest (mean time × 3). */
  readonly bottleneck?: string;
}

export interface TenantFleetSpec {
  readonly tenantId: string;
  readonly sites: readonly SiteSpec[];
}

/** mulberry32: tiny, fast, good enough for simulation, and reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function hashSeed(...parts: (string | number)[]): number {
  let h = 2166136261;
  for (const ch of parts.join("|")) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

type State = "RUNNING" | "IDLE" | "SETUP" | "DOWN";
const MEAN_STATE_S: Record<State, number> = { RUNNING: 1200, IDLE: 300, SETUP: 480, DOWN: 180 };
const NEXT_STATE: Record<State, ReadonlyArray<[State, number]>> = {
  RUNNING: [["IDLE", 0.6], ["SETUP", 0.3], ["DOWN", 0.1]],
  IDLE: [["RUNNING", 0.8], ["SETUP", 0.2]],
  SETUP: [["RUNNING", 1]],
  DOWN: [["RUNNING", 0.7], ["SETUP", 0.3]],
};

interface Device {
  readonly tenantId: string;
  readonly siteId: string;
  readonly deviceId: string;
  readonly kind: "MACHINE" | "ENERGY" | "AIR_QUALITY";
  readonly periodMs: number;
  readonly rand: () => number;
  nextTs: number;
  seq: number;
  // machine state
  state: State;
  stateLeft: number;
  cycleProgress: number;
  idealCycle: number;
  cycleCount: number;
  energyTotal: number;
}

function pick<T>(rand: () => number, choices: ReadonlyArray<[T, number]>): T {
  let r = rand();
  for (const [v, p] of choices) {
    if ((r -= p) <= 0) return v;
  }
  return choices[choices.length - 1]![0];
}

function round(v: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** Occupancy of a factory hall by hour of day (two shifts, 06–22 UTC). */
function occupancy(ts: number): number {
  const h = new Date(ts).getUTCHours();
  return h >= 6 && h < 22 ? 1 : 0.15;
}

export class SyntheticFleet {
  private readonly devices: Device[] = [];
  private readonly scanRand: () => number;
  private jobSeq = 0;
  private nextJobAt = new Map<string, number>();
  /** Scans scheduled for the future (jobs in flight), sorted on emit. */
  private pendingScans: RawScan[] = [];

  constructor(
    readonly specs: readonly TenantFleetSpec[],
    readonly seed: number,
    start: Date,
  ) {
    const t0 = start.getTime();
    for (const spec of specs) {
      for (const site of spec.sites) {
        const add = (kind: Device["kind"], n: number, prefix: string, periodMs: number) => {
          for (let i = 1; i <= n; i++) {
            const deviceId = `${site.siteId}-${prefix}-${String(i).padStart(3, "0")}`;
            const rand = prng(hashSeed(seed, spec.tenantId, deviceId));
            this.devices.push({
              tenantId: spec.tenantId, siteId: site.siteId, deviceId, kind, periodMs, rand,
              nextTs: t0 + Math.floor(rand() * periodMs / 1000) * 1000, seq: 0,
              state: "RUNNING", stateLeft: rand() * MEAN_STATE_S.RUNNING, cycleProgress: 0,
              idealCycle: 20 + Math.floor(rand() * 40), cycleCount: 0, energyTotal: 1000 * rand(),
            });
          }
        };
        add("MACHINE", site.machines, "m", 1000);
        add("ENERGY", site.energyMeters, "e", 15_000);
        add("AIR_QUALITY", site.airSensors, "aq", 60_000);
        this.nextJobAt.set(`${spec.tenantId}/${site.siteId}`, t0);
      }
    }
    this.scanRand = prng(hashSeed(seed, "scans"));
  }

  get deviceCount(): number {
    return this.devices.length;
  }

  /** Readings with `from <= ts < to` (call with consecutive windows). */
  readingsUntil(to: Date): RawReading[] {
    const end = to.getTime();
    const out: RawReading[] = [];
    for (const d of this.devices) {
      while (d.nextTs < end) {
        out.push(this.reading(d, d.nextTs));
        d.nextTs += d.periodMs;
      }
    }
    return out;
  }

  private reading(d: Device, ts: number): RawReading {
    // The sequence number follows the device clock, so a later run continues it without reuse.
    d.seq = Math.floor(ts / d.periodMs);
    const metrics = d.kind === "MACHINE" ? this.machine(d) : d.kind === "ENERGY" ? this.energy(d, ts) : this.air(d, ts);
    return {
      tenantId: d.tenantId, siteId: d.siteId, deviceId: d.deviceId, sensorType: d.kind, ts: new Date(ts), seq: d.seq,
      messageId: `${d.deviceId}-${Math.floor(d.seq / 60)}`, payload: { schema: `${d.kind.toLowerCase()}/1`, metrics },
      channel: `${d.tenantId}/0`, channelOffset: null, source: "synthetic",
    };
  }

  private machine(d: Device): Record<string, number | string> {
    d.stateLeft -= 1;
    if (d.stateLeft <= 0) {
      d.state = pick(d.rand, NEXT_STATE[d.state]);
      d.stateLeft = -Math.log(1 - d.rand()) * MEAN_STATE_S[d.state];
      if (d.state === "SETUP") d.idealCycle = 20 + Math.floor(d.rand() * 40);
    }
    let cycles = 0;
    let good = 0;
    if (d.state === "RUNNING") {
      // Real cycles run 5–25 % slower than the ideal: performance below 1.
      d.cycleProgress += 1 / (d.idealCycle * (1.05 + d.rand() * 0.2));
      if (d.cycleProgress >= 1) {
        d.cycleProgress -= 1;
        cycles = 1;
        good = d.rand() < 0.97 ? 1 : 0;
        d.cycleCount += 1;
      }
    }
    const running = d.state === "RUNNING";
    return {
      state: d.state, period_s: 1, cycles, good_parts: good, ideal_cycle_s: d.idealCycle, cycle_count: d.cycleCount,
      spindle_load_pct: round(running ? 55 + d.rand() * 20 : d.rand() * 3, 1),
      spindle_speed_rpm: running ? 8000 + Math.floor(d.rand() * 2000) : 0,
      temperature_c: round(running ? 45 + d.rand() * 10 : 28 + d.rand() * 4, 1),
    };
  }

  private energy(d: Device, ts: number): Record<string, number> {
    const kw = (40 + 80 * occupancy(ts)) * (0.9 + d.rand() * 0.2);
    const pf = round(0.86 + d.rand() * 0.1, 3);
    const v = round(398 + d.rand() * 6, 1);
    const kwh = (kw * d.periodMs) / 3_600_000;
    d.energyTotal += kwh;
    return {
      period_s: d.periodMs / 1000, voltage_v: v, current_a: round((kw * 1000) / (Math.sqrt(3) * v * pf), 1),
      power_factor: pf, power_kw: round(kw, 2), kwh: round(kwh, 4), energy_kwh_total: round(d.energyTotal, 3),
    };
  }

  private air(d: Device, ts: number): Record<string, number> {
    const occ = occupancy(ts);
    const pm25 = 6 + 10 * occ * d.rand() + d.rand() * 2;
    return {
      period_s: d.periodMs / 1000, co2_ppm: Math.round(430 + 500 * occ * (0.6 + d.rand() * 0.4)), voc_ppb: Math.round(100 + 300 * occ * d.rand()),
      pm1_ugm3: round(pm25 * 0.6, 1), pm25_ugm3: round(pm25, 1), pm4_ugm3: round(pm25 * 1.2, 1), pm10_ugm3: round(pm25 * 1.5, 1),
      temperature_c: round(19 + 4 * occ + d.rand(), 1), humidity_pct: round(40 + d.rand() * 10, 1), pressure_hpa: round(1008 + d.rand() * 10, 1),
    };
  }

  /** Scans with scan time < `to`: jobs start at the site's rate and walk its stations in order. */
  scansUntil(to: Date): RawScan[] {
    const end = to.getTime();
    for (const spec of this.specs) {
      for (const site of spec.sites) {
        const key = `${spec.tenantId}/${site.siteId}`;
        let at = this.nextJobAt.get(key)!;
        while (at < end) {
          this.startJob(spec.tenantId, site, at);
          at += Math.max(1000, Math.round((-Math.log(1 - this.scanRand()) * 3_600_000) / site.jobsPerHour));
        }
        this.nextJobAt.set(key, at);
      }
    }
    const due = this.pendingScans.filter((s) => s.scanTs.getTime() < end);
    this.pendingScans = this.pendingScans.filter((s) => s.scanTs.getTime() >= end);
    return due.sort((a, b) => a.scanTs.getTime() - b.scanTs.getTime());
  }

  private startJob(tenantId: string, site: SiteSpec, at: number): void {
    this.jobSeq += 1;
    const jobId = `${site.siteId}-job-${String(this.jobSeq).padStart(6, "0")}`;
    const product = `P-${1 + Math.floor(this.scanRand() * 5)}`;
    const variant = ["STD", "PRO", "XL"][Math.floor(this.scanRand() * 3)]!;
    let t = at;
    for (const station of site.stations) {
      const mean = 300 * (station === site.bottleneck ? 3 : 1);
      const stay = Math.max(30_000, Math.round(-Math.log(1 - this.scanRand()) * mean * 1000));
      const operator = `op-${1 + Math.floor(this.scanRand() * 20)}`;
      const base = { tenantId, siteId: site.siteId, jobId, productId: product, productVariant: variant, station, operatorId: operator, metadata: null, source: "synthetic" };
      this.pendingScans.push({ ...base, scanTs: new Date(t) }, { ...base, scanTs: new Date(t + stay) });
      t += stay + Math.round(20_000 + this.scanRand() * 40_000);
    }
  }
}

export const EXAMPLE_FLEET: readonly TenantFleetSpec[] = [
  {
    tenantId: "acme",
    sites: [{ siteId: "acme-plant-1", machines: 8, energyMeters: 2, airSensors: 3, stations: ["cut", "weld", "paint", "assemble", "inspect"], jobsPerHour: 12, bottleneck: "paint" }],
  },
  {
    tenantId: "globex",
    sites: [{ siteId: "globex-works", machines: 5, energyMeters: 1, airSensors: 2, stations: ["press", "machine", "deburr", "pack"], jobsPerHour: 8, bottleneck: "machine" }],
  },
];
