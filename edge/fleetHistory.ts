/**
 * A tenant's history as legacy uploads (issue 24, part 3): the fleet simulator run at its own rates
 * (machines 1 Hz, meters 15 s, air 1 min, the stack file's fault rates) over past weeks, written as
 * hourly aggregates in the shape `scripts/load.ts` reads (the simulator's own CSV files,
 * fleetOutput.ts), one file per sensor type and chunk of at most a week. The main job loads them
 * through the batch file load before the live day, so the models have weeks of hourly points on
 * the first run.
 *
 * Why hourly aggregates of the 1 Hz simulation rather than the readings themselves: four weeks of
 * both example fleets are ~32 million readings (minutes to load and validate), their aggregates
 * ~30 thousand rows, and the gold hourly tables come out the same where it matters to the models:
 *
 * - a machine-hour is one row per state it was in, `period_s` the seconds in that state, so the hour's
 *   run/idle/setup/down seconds, utilisation, cycles, good parts and Σ ideal cycle time × cycles
 *   (OEE) are the simulation's exact sums; spindle load, speed and temperature are the state's means;
 * - a meter-hour is one row: `kwh` the hour's energy (exact), `power_kw`, voltage, current and power
 *   factor its means (so ENERGY_HOURLY's peak_kw is the hour's mean power for history hours);
 * - an air-hour is one row of the hour's means (the AQI charts use hourly means anyway).
 *
 * Each chunk is simulated from its own start with its own seed (`hashSeed(seed, "history", from)`):
 * a chunk's bytes depend only on the seed, its span and the tenant's fleet, so a file is the same
 * whoever asks for it, and the loader's exactly-once (one channel per tenant and content) holds
 * across runs. Seeding each chunk apart also keeps weeks from repeating: every device draws from a
 * stream fixed by its seed, and the shift calendar repeats weekly, so one seed would replay the same
 * week. The machines' states restart at each chunk's start (one reset a week, invisible hourly).
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { RawReading } from "../pipelines/ingest/rawRecords.ts";
import { FleetFiles } from "./fleetOutput.ts";
import { hashSeed } from "./fleetRandom.ts";
import { SyntheticFleet } from "./syntheticFleet.ts";
import type { TenantFleetSpec } from "./fleetSpec.ts";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Longest chunk: a week, so that a chunk loaded with `now` at its end is within the warehouse's 7-day age limit. */
export const CHUNK_DAYS = 7;
const STATES = ["RUNNING", "IDLE", "SETUP", "DOWN"] as const;
const KINDS = ["MACHINE", "ENERGY", "AIR_QUALITY"] as const;

/** A span of history, [from, to), whole days. */
export interface HistoryChunk {
  readonly from: Date;
  readonly to: Date;
}

export interface HistoryFile {
  readonly tenantId: string;
  readonly path: string;
  readonly chunk: HistoryChunk;
}

const hourIso = (d: Date) => d.toISOString().slice(0, 13);

/** A chunk's folder: `<from>_<to>`, UTC, hour precision (`2025-12-08T00_2025-12-15T00`). */
export function chunkName(c: HistoryChunk): string {
  return `${hourIso(c.from)}_${hourIso(c.to)}`;
}

/** A chunk's file of a sensor type: named by tenant and span too, as quarantine reasons name a file by its name. */
export function chunkFile(tenantId: string, c: HistoryChunk, kind: string): string {
  return join(chunkName(c), `${tenantId}-${chunkName(c)}-${FleetFiles.readingsFile(kind, "csv")}`);
}

/**
 * The chunks of `days` days of history ending at `end` (exclusive), newest last: weeks counted back
 * from `end`, the oldest shorter when `days` is not a multiple of 7. Days already covered by a
 * tenant's files (`covered`) are left out, so that asking for more days later adds only the older
 * part, never a second copy of a span.
 */
export function historyChunks(end: Date, days: number, covered: readonly HistoryChunk[] = []): HistoryChunk[] {
  const out: HistoryChunk[] = [];
  const start = end.getTime() - days * DAY_MS;
  for (let to = end.getTime(); to > start; to -= CHUNK_DAYS * DAY_MS) {
    const from = Math.max(start, to - CHUNK_DAYS * DAY_MS);
    // The week's days not yet covered, as runs of consecutive days.
    let runFrom: number | null = null;
    for (let d = from; d <= to; d += DAY_MS) {
      const free = d < to && !covered.some((c) => c.from.getTime() <= d && d < c.to.getTime());
      if (free && runFrom === null) runFrom = d;
      if (!free && runFrom !== null) {
        out.push({ from: new Date(runFrom), to: new Date(d) });
        runFrom = null;
      }
    }
  }
  return out.sort((a, b) => a.from.getTime() - b.from.getTime());
}

/** The spans a tenant's history folder already holds (its chunk folders; a chunk's folder appears whole). */
export function coveredChunks(dir: string): HistoryChunk[] {
  if (!existsSync(dir)) return [];
  const spans: HistoryChunk[] = [];
  for (const f of readdirSync(dir)) {
    const m = /^(\d{4}-\d{2}-\d{2}T\d{2})_(\d{4}-\d{2}-\d{2}T\d{2})$/.exec(f);
    if (m) spans.push({ from: new Date(`${m[1]}:00:00Z`), to: new Date(`${m[2]}:00:00Z`) });
  }
  return spans.sort((a, b) => a.from.getTime() - b.from.getTime());
}

/** A tenant's history files, oldest first, each with its chunk. */
export function historyFiles(dir: string, tenantId: string): HistoryFile[] {
  return coveredChunks(dir).flatMap((chunk) =>
    KINDS.map((k) => join(dir, chunkFile(tenantId, chunk, k)))
      .filter((p) => existsSync(p))
      .map((path) => ({ tenantId, path, chunk })),
  );
}

interface MachineAcc {
  seconds: number[];
  cycles: number[];
  good: number[];
  ideal: number[];
  spindle: number[];
  speed: number[];
  temp: number[];
  n: number[];
  cycleCount: number;
}

interface MeanAcc {
  n: number;
  sums: Map<string, number>;
  last: Map<string, number>;
}

const r = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

/**
 * Simulate one tenant's chunk at the simulator's rates and return its hourly aggregate rows (as
 * readings, in time order per hour), to be written by FleetFiles. `seed` is the chunk's own seed.
 */
export function simulateHistoryChunk(spec: TenantFleetSpec, seed: number, chunk: HistoryChunk): RawReading[] {
  const fleet = new SyntheticFleet([spec], seed, chunk.from);
  const devices = fleet.devices();
  const out: RawReading[] = [];
  const machines = new Map<string, MachineAcc>();
  const means = new Map<string, MeanAcc>();
  const zero = () => STATES.map(() => 0);
  for (const d of devices) {
    if (d.sensorType === "MACHINE") machines.set(d.deviceId, { seconds: zero(), cycles: zero(), good: zero(), ideal: zero(), spindle: zero(), speed: zero(), temp: zero(), n: zero(), cycleCount: 0 });
    else means.set(d.deviceId, { n: 0, sums: new Map(), last: new Map() });
  }
  for (let hour = chunk.from.getTime(); hour < chunk.to.getTime(); hour += HOUR_MS) {
    fleet.eachReadingUntil(new Date(hour + HOUR_MS), (x) => {
      const m = (x.payload as { metrics: Record<string, number | string> }).metrics;
      if (x.sensorType === "MACHINE") {
        const a = machines.get(x.deviceId)!;
        const s = STATES.indexOf(m.state as (typeof STATES)[number]);
        a.seconds[s]! += m.period_s as number;
        a.n[s]! += 1;
        a.spindle[s]! += m.spindle_load_pct as number;
        a.speed[s]! += m.spindle_speed_rpm as number;
        a.temp[s]! += m.temperature_c as number;
        if (m.cycles !== undefined) {
          a.cycles[s]! += m.cycles as number;
          a.good[s]! += m.good_parts as number;
          a.ideal[s]! += (m.ideal_cycle_s as number) * (m.cycles as number);
          a.cycleCount = m.cycle_count as number;
        }
        return;
      }
      const a = means.get(x.deviceId)!;
      a.n++;
      for (const [k, v] of Object.entries(m)) {
        if (typeof v !== "number") continue;
        a.sums.set(k, (a.sums.get(k) ?? 0) + v);
        a.last.set(k, v);
      }
    });
    const ts = (k: number) => new Date(hour + k * 1000);
    for (const d of devices) {
      const base = { tenantId: d.tenantId, siteId: d.siteId, deviceId: d.deviceId, sensorType: d.sensorType, channel: "history", channelOffset: null, source: "history" };
      if (d.sensorType === "MACHINE") {
        const a = machines.get(d.deviceId)!;
        STATES.forEach((state, s) => {
          const n = a.n[s]!;
          if (n === 0) return;
          const metrics: Record<string, number | string> = {
            state, period_s: a.seconds[s]!, spindle_load_pct: r(a.spindle[s]! / n, 2), spindle_speed_rpm: Math.round(a.speed[s]! / n), temperature_c: r(a.temp[s]! / n, 2),
          };
          if (a.cycles[s]! > 0) {
            metrics.cycles = a.cycles[s]!;
            metrics.good_parts = a.good[s]!;
            metrics.ideal_cycle_s = r(a.ideal[s]! / a.cycles[s]!, 4);
            metrics.cycle_count = a.cycleCount;
          }
          // One row per state the machine was in: seq and ts one second apart at the hour's start.
          out.push({ ...base, ts: ts(s), seq: (hour + s * 1000) / 1000, messageId: "", payload: { schema: "machine/1", metrics } });
        });
        a.seconds = zero(); a.cycles = zero(); a.good = zero(); a.ideal = zero(); a.spindle = zero(); a.speed = zero(); a.temp = zero(); a.n = zero();
        continue;
      }
      const a = means.get(d.deviceId)!;
      if (a.n === 0) continue;
      const mean = (k: string, digits: number) => r((a.sums.get(k) ?? 0) / a.n, digits);
      const metrics: Record<string, number> =
        d.sensorType === "ENERGY"
          ? {
              period_s: a.sums.get("period_s") ?? 0, voltage_v: mean("voltage_v", 1), current_a: mean("current_a", 1), power_factor: mean("power_factor", 3),
              power_kw: mean("power_kw", 2), kwh: r(a.sums.get("kwh") ?? 0, 4), energy_kwh_total: r(a.last.get("energy_kwh_total") ?? 0, 3),
            }
          : {
              period_s: a.sums.get("period_s") ?? 0, co2_ppm: mean("co2_ppm", 0), voc_ppb: mean("voc_ppb", 0), pm1_ugm3: mean("pm1_ugm3", 2), pm25_ugm3: mean("pm25_ugm3", 2),
              pm4_ugm3: mean("pm4_ugm3", 2), pm10_ugm3: mean("pm10_ugm3", 2), temperature_c: mean("temperature_c", 2), humidity_pct: mean("humidity_pct", 1), pressure_hpa: mean("pressure_hpa", 1),
            };
      const periodMs = d.sensorType === "ENERGY" ? 15_000 : 60_000;
      out.push({ ...base, ts: ts(0), seq: Math.floor(hour / periodMs), messageId: "", payload: { schema: d.sensorType === "ENERGY" ? "energy/1" : "air_quality/1", metrics } });
      a.n = 0;
      a.sums.clear();
    }
  }
  return out;
}

/** The seed a chunk is simulated with. */
export function chunkSeed(seed: number, chunk: HistoryChunk): number {
  return hashSeed(seed, "history", chunk.from.toISOString());
}

/**
 * Write a tenant's missing history for `days` days before `end` into `dir` (one folder per tenant,
 * HUB_HOME/history/<tenant>); files already there are kept as they are. Each chunk's files appear
 * whole or not at all (written under a temporary name, then renamed). Returns the chunks written.
 */
export function writeHistory(spec: TenantFleetSpec, seed: number, end: Date, days: number, dir: string): HistoryChunk[] {
  const chunks = historyChunks(end, days, coveredChunks(dir));
  mkdirSync(dir, { recursive: true });
  for (const chunk of chunks) {
    const rows = simulateHistoryChunk(spec, chunkSeed(seed, chunk), chunk);
    // FleetFiles writes <tmp>/<tenant>/<kind>.csv; renamed into the chunk's folder, which then
    // appears whole under its name (a run killed mid-chunk leaves only a .tmp folder, redone next time).
    const tmp = join(dir, `.tmp-${process.pid}-${chunkName(chunk)}`);
    rmSync(tmp, { recursive: true, force: true });
    const files = new FleetFiles(tmp, "csv");
    try {
      files.writeReadings(rows);
    } finally {
      files.close();
    }
    const written = join(tmp, spec.tenantId);
    for (const k of KINDS) {
      const name = FleetFiles.readingsFile(k, "csv");
      if (existsSync(join(written, name))) renameSync(join(written, name), join(written, `${spec.tenantId}-${chunkName(chunk)}-${name}`));
    }
    renameSync(written, join(dir, chunkName(chunk)));
    rmSync(tmp, { recursive: true, force: true });
  }
  return chunks;
}
