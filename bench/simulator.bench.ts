/**
 * Simulator figures (issue 3, section 1): how fast the fleet simulator makes data, for the fleet
 * the ML benchmark streams (3 tenants × 50 machines, 4 meters and 4 air sensors each, RFID jobs):
 * - readings per second through `readingsUntil` in 1-minute windows, against the floor of building
 *   the same output objects with no simulation at all (the allocation every caller pays), measured
 *   in the same run;
 * - simulated seconds per wall second, as a ratio to real time, through `eachReadingUntil` in
 *   1-hour windows (the path for a caller that aggregates as it goes): 30 simulated days of this
 *   fleet take 2,592,000 / ratio wall seconds; and the same per CPU second the process used, which
 *   on a machine shared with other work says what a free core would do;
 * - the same through `readingsUntil` in 1-hour windows, to show what keeping big windows costs
 *   (the readings outlive the young generation and garbage collection dominates).
 */
import { SyntheticFleet, type TenantFleetSpec } from "../edge/syntheticFleet.ts";
import type { RawReading } from "../pipelines/ingest/rawRecords.ts";
import type { Benchmark, Figure } from "./harness.ts";

const TENANTS = ["acme", "globex", "initech"];
const START = new Date("2026-01-05T00:00:00Z");
const HOUR_MS = 3_600_000;

function fleetSpec(machines: number): TenantFleetSpec[] {
  return TENANTS.map((tenantId, i) => ({
    tenantId,
    sites: [{ siteId: `${tenantId}-p1`, machines, energyMeters: 4, airSensors: 4, stations: ["cut", "weld", "paint", "pack"], jobsPerHour: 20, bottleneck: ["weld", "paint", "pack"][i] }],
  }));
}

function machineMetrics(m: Record<string, number | string>): Record<string, number | string> {
  const out: Record<string, number | string> = { state: m.state!, period_s: m.period_s!, spindle_load_pct: m.spindle_load_pct!, spindle_speed_rpm: m.spindle_speed_rpm!, temperature_c: m.temperature_c! };
  // The cycle counts only in a reading that completes a cycle, as the simulator writes them.
  if (m.cycles !== undefined) {
    out.cycles = m.cycles;
    out.good_parts = m.good_parts!;
    out.ideal_cycle_s = m.ideal_cycle_s!;
    out.cycle_count = m.cycle_count!;
  }
  return out;
}

/**
 * The floor: the window's RawReading objects built again, each a copy of a real one (new Date,
 * payload and metrics objects), with no simulation logic.
 */
function rebuild(batch: readonly RawReading[]): RawReading[] {
  const keep: RawReading[] = [];
  for (const r of batch) {
    const p = r.payload as { schema: string; metrics: Record<string, number | string> };
    const m = p.metrics;
    // Object literals of the simulator's own shapes: the cheapest way to build the same objects.
    const metrics = r.sensorType === "MACHINE"
      ? machineMetrics(m)
      : r.sensorType === "ENERGY"
        ? { period_s: m.period_s, voltage_v: m.voltage_v, current_a: m.current_a, power_factor: m.power_factor, power_kw: m.power_kw, kwh: m.kwh, energy_kwh_total: m.energy_kwh_total }
        : { period_s: m.period_s, co2_ppm: m.co2_ppm, voc_ppb: m.voc_ppb, pm1_ugm3: m.pm1_ugm3, pm25_ugm3: m.pm25_ugm3, pm4_ugm3: m.pm4_ugm3, pm10_ugm3: m.pm10_ugm3, temperature_c: m.temperature_c, humidity_pct: m.humidity_pct, pressure_hpa: m.pressure_hpa };
    keep.push({
      tenantId: r.tenantId, siteId: r.siteId, deviceId: r.deviceId, sensorType: r.sensorType, ts: new Date(r.ts.getTime()), seq: r.seq,
      messageId: r.messageId, payload: { schema: p.schema, metrics }, channel: r.channel, channelOffset: null, source: r.source,
    });
  }
  return keep;
}

/**
 * Generate `hours` simulated hours window by window; returns the readings made and the wall time.
 * With `floorToo`, each window's readings are also rebuilt by `rebuild` right after, timed apart:
 * both are measured under the same load of the (shared) machine, so their ratio holds.
 */
function simulate(spec: TenantFleetSpec[], hours: number, windowMs: number, path: "array" | "visit", floorToo = false): { readings: number; scans: number; ms: number; floorMs: number; cpuMs: number } {
  const fleet = new SyntheticFleet(spec, 42, START);
  let readings = 0;
  let scans = 0;
  let kwh = 0;
  let ms = 0;
  let floorMs = 0;
  const cpu0 = process.cpuUsage();
  for (let t = START.getTime() + windowMs; t <= START.getTime() + hours * HOUR_MS; t += windowMs) {
    const to = new Date(t);
    const t0 = performance.now();
    let batch: RawReading[] = [];
    if (path === "array") {
      batch = fleet.readingsUntil(to);
      readings += batch.length;
    } else {
      // What an aggregating caller does: look at each reading once, keep nothing.
      readings += fleet.eachReadingUntil(to, (r) => {
        if (r.sensorType === "ENERGY") kwh += (r.payload as { metrics: { kwh: number } }).metrics.kwh;
      });
    }
    scans += fleet.scansUntil(to).length;
    const t1 = performance.now();
    ms += t1 - t0;
    if (floorToo && rebuild(batch).length === batch.length) floorMs += performance.now() - t1;
  }
  if (path === "visit" && !(kwh > 0)) throw new Error("no energy was read");
  const cpu = process.cpuUsage(cpu0);
  return { readings, scans, ms, floorMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

export const simulatorBenchmark: Benchmark = {
  name: "simulator",
  description: "fleet simulator: readings per second against the bare output allocation, and simulated time against real time (3 tenants × 50 machines)",
  async run({ scale, progress }): Promise<Figure[]> {
    const machines = 50;
    const hours = Math.max(2, Math.round(24 * scale));
    const spec = fleetSpec(machines);
    simulate(spec, 1, 60_000, "array"); // warm the JIT
    simulate(spec, 1, HOUR_MS, "visit");
    const run = simulate(spec, hours, 60_000, "array", true);
    const rate = run.readings / (run.ms / 1000);
    progress(`readingsUntil, 1 min windows: ${run.readings.toLocaleString("en")} readings and ${run.scans.toLocaleString("en")} scans, ${hours} simulated h in ${(run.ms / 1000).toFixed(2)} s`);
    const floor = run.readings / (run.floorMs / 1000);
    progress(`allocation floor: ${Math.round(floor).toLocaleString("en")} readings/s`);
    const visit = simulate(spec, hours, HOUR_MS, "visit");
    const speed = (hours * 3600) / (visit.ms / 1000);
    progress(`eachReadingUntil, 1 h windows: ${Math.round(speed).toLocaleString("en")} simulated s per wall s: 30 days of this fleet in ~${Math.round((30 * 86_400) / speed)} s`);
    const cpuSpeed = (hours * 3600) / (visit.cpuMs / 1000);
    progress(`eachReadingUntil, 1 h windows: ${Math.round(cpuSpeed).toLocaleString("en")} simulated s per CPU s of this process`);
    const big = simulate(spec, Math.max(2, Math.round(hours / 4)), HOUR_MS, "array");
    const bigSpeed = (Math.max(2, Math.round(hours / 4)) * 3600) / (big.ms / 1000);
    progress(`readingsUntil, 1 h windows: ${Math.round(bigSpeed).toLocaleString("en")} simulated s per wall s`);
    return [
      {
        name: "simulator.readings_per_s",
        value: rate,
        unit: "readings/s",
        description: `readings made per second by readingsUntil, ${TENANTS.length} tenants × ${machines} machines, 1 min windows`,
        reference: { name: "each window's output objects built again, no simulation, timed alongside", value: floor, unit: "readings/s" },
        ratio: rate / floor,
        ratioMeaning: "share of the allocation floor's rate (1 = simulation costs nothing beyond building the output)",
      },
      {
        name: "simulator.speed_vs_real_time",
        value: speed,
        unit: "simulated s / wall s",
        description: `simulated seconds per wall second, ${TENANTS.length} tenants × ${machines} machines (readings via eachReadingUntil, 1 h windows, and scans)`,
        reference: { name: "real time", value: 1, unit: "simulated s / wall s" },
        ratio: speed,
        ratioMeaning: "times faster than real time",
        target: { op: ">=", value: 5000 },
      },
      {
        name: "simulator.speed_per_cpu_second",
        value: cpuSpeed,
        unit: "simulated s / CPU s",
        description: "the same run per CPU second this process used (all its threads, GC included): what one free core gives, whatever else the machine runs",
        reference: { name: "real time", value: 1, unit: "simulated s / wall s" },
        ratio: cpuSpeed,
        ratioMeaning: "times faster than real time on one free core",
      },
      {
        name: "simulator.speed_vs_real_time_big_windows",
        value: bigSpeed,
        unit: "simulated s / wall s",
        description: "the same through readingsUntil in 1 h windows (half a million readings kept per window)",
        reference: { name: "real time", value: 1, unit: "simulated s / wall s" },
        ratio: bigSpeed,
        ratioMeaning: "times faster than real time",
      },
    ];
  },
};
