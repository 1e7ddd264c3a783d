/**
 * Injected faults with ground truth: a plan of faults (breakdown, sensor drift, stuck sensor,
 * PM2.5 spike, energy surge) drawn from a seed, applied to a fleet's readings, and written as a
 * labels file (JSON lines: tenant, device, fault, metric, window) that the anomaly models are
 * scored against. The same readings, plan and seed give the same output, byte for byte.
 */
import { writeFileSync } from "node:fs";
import type { RawReading } from "../pipelines/ingest/rawRecords.ts";
import { hashSeed, prng } from "./syntheticFleet.ts";

export const FAULT_KINDS = ["breakdown", "drift", "stuck", "pm25_spike", "energy_surge"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultLabel {
  readonly tenantId: string;
  readonly deviceId: string;
  readonly fault: FaultKind;
  /** The metric the fault shows in (breakdown: the machine state). */
  readonly metric: string;
  readonly start: Date;
  readonly end: Date;
}

/** Which faults fit which sensor kind, and the metric each shows in. */
const FITS: Record<FaultKind, { kind: string; metric: string }> = {
  breakdown: { kind: "MACHINE", metric: "state" },
  drift: { kind: "AIR_QUALITY", metric: "co2_ppm" },
  stuck: { kind: "AIR_QUALITY", metric: "temperature_c" },
  pm25_spike: { kind: "AIR_QUALITY", metric: "pm25_ugm3" },
  energy_surge: { kind: "ENERGY", metric: "power_kw" },
};

/**
 * A fault plan over [from, to): `perDevice` is the expected number of faults per device that fits
 * a kind; windows last 10–60 minutes.
 */
export function planFaults(
  devices: ReadonlyArray<{ tenantId: string; deviceId: string; sensorType: string }>,
  from: Date,
  to: Date,
  seed: number,
  perDevice = 1,
): FaultLabel[] {
  const labels: FaultLabel[] = [];
  const span = to.getTime() - from.getTime();
  for (const d of devices) {
    const rand = prng(hashSeed(seed, "faults", d.tenantId, d.deviceId));
    for (const fault of FAULT_KINDS.filter((f) => FITS[f].kind === d.sensorType)) {
      if (rand() >= perDevice) continue;
      const length = (10 + Math.floor(rand() * 50)) * 60_000;
      const start = from.getTime() + Math.floor(rand() * Math.max(1, span - length) / 1000) * 1000;
      labels.push({ tenantId: d.tenantId, deviceId: d.deviceId, fault, metric: FITS[fault].metric, start: new Date(start), end: new Date(start + length) });
    }
  }
  return labels.sort((a, b) => a.start.getTime() - b.start.getTime() || a.deviceId.localeCompare(b.deviceId));
}

/** The readings with the planned faults applied (new objects; the input is not changed). */
export function applyFaults(readings: readonly RawReading[], labels: readonly FaultLabel[]): RawReading[] {
  const byDevice = new Map<string, FaultLabel[]>();
  for (const l of labels) byDevice.set(`${l.tenantId}/${l.deviceId}`, [...(byDevice.get(`${l.tenantId}/${l.deviceId}`) ?? []), l]);
  const stuckAt = new Map<FaultLabel, unknown>();
  return readings.map((r) => {
    const active = byDevice.get(`${r.tenantId}/${r.deviceId}`)?.filter((l) => r.ts >= l.start && r.ts < l.end);
    if (!active?.length) return r;
    const payload = r.payload as { metrics: Record<string, unknown> };
    const m = { ...payload.metrics };
    for (const l of active) {
      const progress = (r.ts.getTime() - l.start.getTime()) / (l.end.getTime() - l.start.getTime());
      switch (l.fault) {
        case "breakdown":
          Object.assign(m, { state: "DOWN", cycles: 0, good_parts: 0, spindle_load_pct: 0 });
          break;
        case "drift":
          m.co2_ppm = Math.round((Number(m.co2_ppm) + 1500 * progress) * 10) / 10;
          break;
        case "stuck":
          if (!stuckAt.has(l)) stuckAt.set(l, m.temperature_c);
          m.temperature_c = stuckAt.get(l);
          break;
        case "pm25_spike":
          m.pm25_ugm3 = Math.round((Number(m.pm25_ugm3) + 180) * 10) / 10;
          break;
        case "energy_surge":
          m.power_kw = Math.round(Number(m.power_kw) * 2.5 * 100) / 100;
          m.current_a = Math.round(Number(m.current_a) * 2.5 * 10) / 10;
          break;
      }
    }
    return { ...r, payload: { ...payload, metrics: m } };
  });
}

/** The labels file: one JSON object per line, in plan order. */
export function labelsText(labels: readonly FaultLabel[]): string {
  return labels
    .map((l) => JSON.stringify({ tenant_id: l.tenantId, device_id: l.deviceId, fault: l.fault, metric: l.metric, start: l.start.toISOString(), end: l.end.toISOString() }))
    .join("\n") + (labels.length ? "\n" : "");
}

export function writeLabels(path: string, labels: readonly FaultLabel[]): void {
  writeFileSync(path, labelsText(labels));
}
