/**
 * A small two-tenant factory across midnight (so partitions span two days), landed in batches
 * with the task graph and dynamic tables running between them, as a hub runs. Deterministic: the
 * same call gives the same rows. It includes a QoS 1 redelivery (an identical duplicate row in
 * bronze), an out-of-range value and a scan with no station (quarantined by the validate task).
 */
import { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import { SimulatedClock } from "../../pipelines/engine/clock.ts";
import type { QuarantineRecord, RawReading, RawScan } from "../../pipelines/ingest/rawRecords.ts";
import { reading, scan } from "../helpers/engine.ts";

export const FIXTURE_START = "2026-01-05T23:00:00Z";
export const TENANTS = ["acme", "globex"] as const;
const STATES = ["RUNNING", "RUNNING", "IDLE", "SETUP", "RUNNING", "DOWN"] as const;
const STATIONS = ["cut", "weld", "paint", "inspect"] as const;

const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "");

/** Readings and scans with `from <= ts < to` for one tenant. */
export function fixtureBatch(tenant: string, fromMs: number, toMs: number): { readings: RawReading[]; scans: RawScan[]; quarantine: QuarantineRecord[] } {
  const readings: RawReading[] = [];
  const scans: RawScan[] = [];
  const site = `${tenant}-s1`;
  const t0 = Date.parse(FIXTURE_START);
  for (let t = fromMs; t < toMs; t += 60_000) {
    const i = (t - t0) / 60_000;
    for (let m = 1; m <= 2; m++) {
      const state = STATES[(i + m) % STATES.length]!;
      const running = state === "RUNNING";
      readings.push(
        reading(tenant, `${tenant}-m${m}`, "MACHINE", i + 1, iso(t), {
          state, period_s: 60, cycles: running ? 2 + (i % 3) : 0, good_parts: running ? 2 : 0, ideal_cycle_s: 25,
          spindle_load_pct: running ? (i === 7 && m === 1 ? 500 : 40 + ((i * 7 + m) % 50)) : 0, temperature_c: 60 + ((i + m) % 35),
        }, site),
      );
    }
    if (i % 5 === 0) {
      readings.push(reading(tenant, `${tenant}-e1`, "ENERGY", i / 5 + 1, iso(t), {
        period_s: 300, voltage_v: 400, current_a: 150 + (i % 20), power_factor: 0.75 + (i % 20) / 100, power_kw: 90 + (i % 11), kwh: 7 + (i % 4),
      }, site));
    }
    readings.push(reading(tenant, `${tenant}-aq1`, "AIR_QUALITY", i + 1, iso(t), { period_s: 60, co2_ppm: 600 + ((i * 37) % 1100), pm25_ugm3: 5 + ((i * 13) % 60) }, site));
    if (i % 15 === 3) {
      const job = `${tenant.toUpperCase()}-J${Math.floor(i / 15)}`;
      STATIONS.forEach((st, k) => scans.push(scan(tenant, job, st, iso(t + k * 4 * 60_000), `op-${k}`, site)));
    }
  }
  // A QoS 1 redelivery of the batch's first machine reading, and a scan with no station.
  if (readings.length) readings.push({ ...readings[0]! });
  if (fromMs === t0) scans.push(scan(tenant, `${tenant.toUpperCase()}-JX`, "", iso(fromMs), "op-9", site));
  // A message the broker side refused on the way in (ingest-time quarantine, archived in bronze).
  const quarantine: QuarantineRecord[] = [
    { tenantId: tenant, source: "mqtt", reason: `message of ${fromMs} is not JSON`, raw: { bytes: 12 }, deviceId: `${tenant}-m1`, metric: null },
  ];
  return { readings, scans, quarantine };
}

/**
 * A hub with `minutes` of both tenants' data landed in `batch`-minute batches, the pipeline run
 * after each, and the clock left one minute past the last landing.
 */
export async function fixtureHub(minutes = 120, opts: { path?: string; batch?: number } = {}): Promise<{ engine: EmbeddedEngine; clock: SimulatedClock }> {
  const path = opts.path ?? ":memory:";
  const batch = opts.batch ?? 10;
  const clock = new SimulatedClock(FIXTURE_START);
  const engine = await EmbeddedEngine.open({ path, clock });
  const t0 = Date.parse(FIXTURE_START);
  for (let m = 0; m < minutes; m += batch) {
    const from = t0 + m * 60_000;
    clock.set(new Date(from + batch * 60_000));
    for (const tenant of TENANTS) await engine.land(fixtureBatch(tenant, from, from + batch * 60_000));
    await engine.tick();
  }
  clock.advance(60_000);
  await engine.tick();
  return { engine, clock };
}
