/**
 * The contract fixture: a small factory hour whose gold results were computed by hand (see the
 * expectations in goldContract.test.ts). Tenant `acme` owns the fixture; `globex` has a few rows
 * so isolation has something to hide.
 */
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import { reading, scan, testEngine } from "../helpers/engine.ts";

// A reading that completes no cycle carries none of the cycle counts (METRIC_GROUPS).
const machine = (seq: number, ts: string, state: string, cycles: number, good: number, extra: Record<string, unknown> = {}) =>
  reading("acme", "m1", "MACHINE", seq, ts, { state, period_s: 600, ...(cycles > 0 ? { cycles, good_parts: good, ideal_cycle_s: 45 } : {}), ...extra });

export const FIXTURE_READINGS = [
  machine(1, "2026-01-05T08:00:00", "RUNNING", 10, 9, { spindle_load_pct: 60 }),
  machine(2, "2026-01-05T08:10:00", "RUNNING", 12, 12, { spindle_load_pct: 70 }),
  machine(3, "2026-01-05T08:20:00", "SETUP", 0, 0),
  machine(4, "2026-01-05T08:30:00", "IDLE", 0, 0),
  machine(5, "2026-01-05T08:40:00", "RUNNING", 11, 10, { spindle_load_pct: 500 }), // spindle load out of range
  machine(6, "2026-01-05T08:50:00", "DOWN", 0, 0),
  machine(6, "2026-01-05T08:50:00", "DOWN", 0, 0), // a QoS 1 redelivery: same seq
  reading("acme", "e1", "ENERGY", 1, "2026-01-05T08:00:00", { period_s: 900, voltage_v: 400, current_a: 160, power_factor: 0.9, power_kw: 100, kwh: 25 }),
  reading("acme", "e1", "ENERGY", 2, "2026-01-05T08:15:00", { period_s: 900, voltage_v: 400, current_a: 216, power_factor: 0.8, power_kw: 120, kwh: 30 }),
  reading("acme", "e1", "ENERGY", 3, "2026-01-05T08:30:00", { period_s: 900, voltage_v: 400, current_a: 136, power_factor: 0.85, power_kw: 80, kwh: 20 }),
  reading("acme", "e1", "ENERGY", 4, "2026-01-05T08:45:00", { period_s: 900, voltage_v: 400, current_a: 152, power_factor: 0.95, power_kw: 100, kwh: 25 }),
  reading("acme", "aq1", "AIR_QUALITY", 1, "2026-01-05T08:00:00", { period_s: 60, co2_ppm: 700, pm25_ugm3: 12.0 }),
  reading("acme", "aq1", "AIR_QUALITY", 2, "2026-01-05T08:01:00", { period_s: 60, co2_ppm: 1200, pm25_ugm3: 35.5 }),
  reading("acme", "aq2", "AIR_QUALITY", 1, "2026-01-05T08:00:00", { period_s: 60, co2_ppm: 450, pm25_ugm3: 8.95 }),
  reading("acme", "x1", "LASER", 1, "2026-01-05T08:00:00", { power: 3 }), // unknown sensor type
  reading("acme", "aq3", "AIR_QUALITY", 1, "2026-01-05T11:00:00", { period_s: 60, co2_ppm: 500, pm25_ugm3: 5 }), // 2 h ahead of ingest
  reading("globex", "g-m1", "MACHINE", 1, "2026-01-05T08:00:00", { state: "RUNNING", period_s: 600, cycles: 5, good_parts: 5, ideal_cycle_s: 60 }, "g1"),
  reading("globex", "g-aq1", "AIR_QUALITY", 1, "2026-01-05T08:00:00", { period_s: 60, co2_ppm: 2000, pm25_ugm3: 60 }, "g1"),
];

export const FIXTURE_SCANS = [
  scan("acme", "J1", "cut", "2026-01-05T08:00:00"),
  scan("acme", "J1", "cut", "2026-01-05T08:10:00"),
  scan("acme", "J1", "weld", "2026-01-05T08:12:00"),
  scan("acme", "J1", "weld", "2026-01-05T08:40:00"),
  scan("acme", "J1", "paint", "2026-01-05T08:45:00"), // scanned in only: leaves when inspected
  scan("acme", "J1", "inspect", "2026-01-05T09:00:00"),
  scan("acme", "J1", "inspect", "2026-01-05T09:05:00"),
  scan("acme", "J2", "cut", "2026-01-05T08:30:00"),
  scan("acme", "J2", "cut", "2026-01-05T08:35:00"),
  scan("acme", "J2", "weld", "2026-01-05T08:40:00"),
  scan("acme", "J2", "weld", "2026-01-05T09:20:00"),
  scan("acme", "J3", "cut", "2026-01-05T08:00:00"),
  scan("acme", "J3", "cut", "2026-01-05T08:05:00"),
  scan("acme", "J3", "weld", "2026-01-05T08:06:00"),
  scan("acme", "J3", "weld", "2026-01-05T08:10:00"),
  scan("acme", "J3", "cut", "2026-01-05T08:11:00"), // rework: back to cut
  scan("acme", "J3", "cut", "2026-01-05T08:21:00"),
  scan("acme", "J4", "", "2026-01-05T08:00:00"), // no station: quarantined
  scan("globex", "G1", "press", "2026-01-05T08:00:00", "op-1", "g1"),
  scan("globex", "G1", "press", "2026-01-05T08:30:00", "op-1", "g1"),
];

/** Land the fixture at 09:30 (after the last scan) and run the pipeline once. */
export async function loadFixture(engine: EmbeddedEngine, clock: { set(d: Date): void }): Promise<void> {
  clock.set(new Date("2026-01-05T09:30:00Z"));
  await engine.land({ readings: FIXTURE_READINGS, scans: FIXTURE_SCANS });
  await engine.tick();
}

/** A test engine with the fixture landed (the hub's clock at 2026-01-05 09:30) and acme's role granted: what a SQL session test starts from. */
export async function fixtureEngineWithAcme(): Promise<EmbeddedEngine> {
  const { engine, clock } = await testEngine();
  await loadFixture(engine, clock);
  await engine.grantTenantRole("acme");
  return engine;
}
