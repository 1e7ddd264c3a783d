/**
 * Hourly gold rows for the retraining tests, written straight into the gold tables of a real
 * embedded engine (the features read them as they are; no refresh runs before the flow does).
 * Values follow a daily and weekly shape with seeded noise, so the seasonal models have
 * something to learn and the naive baseline something to be beaten by.
 */
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import { insertRows } from "../../ml/mlTables.ts";

const HOUR = 3_600_000;

function noise(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 2 ** 32 - 0.5;
  };
}

export interface GoldSeed {
  readonly tenantId: string;
  readonly machines: number;
  readonly meters: number;
  /** Hours (before `until`) whose utilisation collapses to ~0.02 on machine 1: an anomaly. */
  readonly dropHours?: number;
  /** Hours to leave out entirely for every device (a gap), counted back from `until`. */
  readonly gapHours?: readonly [number, number];
  /** Multiplies every value in the last `shiftDays` days (drift). */
  readonly shift?: { readonly days: number; readonly factor: number };
}

export async function seedGold(engine: EmbeddedEngine, until: Date, days: number, seeds: readonly GoldSeed[]): Promise<void> {
  const s = await engine.admin();
  try {
    for (const t of seeds) {
      const rand = noise(t.tenantId.length * 7919 + t.machines);
      const machines: Record<string, unknown>[] = [];
      const energy: Record<string, unknown>[] = [];
      const end = Math.floor(until.getTime() / HOUR) * HOUR;
      for (let h = days * 24; h >= 1; h--) {
        const ts = end - h * HOUR;
        if (t.gapHours && h <= t.gapHours[0] && h > t.gapHours[1]) continue;
        const hour = new Date(ts).getUTCHours();
        const weekday = (new Date(ts).getUTCDay() + 6) % 7;
        const shifted = t.shift && h <= t.shift.days * 24 ? t.shift.factor : 1;
        const day = hour >= 6 && hour < 22 ? 1 : 0.35;
        const week = weekday < 5 ? 1 : 0.6;
        for (let m = 1; m <= t.machines; m++) {
          // Three kinds of machine (low, middle, high load), so segments have something to find.
          const level = [0.45, 0.7, 0.95][(m - 1) % 3]!;
          let u = Math.min(1, Math.max(0, (0.25 + 0.6 * day * week) * level * shifted + 0.03 * rand()));
          if (m === 1 && t.dropHours && h <= t.dropHours) u = 0.02;
          machines.push({
            tenant_id: t.tenantId, site_id: "s1", machine_id: `${t.tenantId}-m-${m}`, hour: new Date(ts), run_s: 3600 * u, observed_s: 3600, down_s: 60 + 200 * ((m - 1) % 3),
            utilization: u, oee: u * 0.8, spindle_load_sum: 50 * u * 360, spindle_load_n: 360, avg_spindle_load_pct: 50 * u,
          });
        }
        for (let e = 1; e <= t.meters; e++) {
          energy.push({ tenant_id: t.tenantId, site_id: "s1", meter_id: `${t.tenantId}-em-${e}`, hour: new Date(ts), kwh: (20 + 60 * day * week) * e * shifted + 2 * rand() });
        }
      }
      await insertRows(s, "ANALYTICS.MACHINE_UTILIZATION_HOURLY", ["tenant_id", "site_id", "machine_id", "hour", "run_s", "observed_s", "down_s", "utilization", "oee", "spindle_load_sum", "spindle_load_n", "avg_spindle_load_pct"], machines, t.tenantId);
      await insertRows(s, "ANALYTICS.ENERGY_HOURLY", ["tenant_id", "site_id", "meter_id", "hour", "kwh"], energy, t.tenantId);
    }
  } finally {
    await s.close();
  }
}
