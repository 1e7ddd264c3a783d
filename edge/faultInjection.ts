/**
 * Injected faults with ground truth. Each device has a fault plan drawn from the seed, one
 * simulated day at a time (so a plan does not depend on where a run starts or how it is cut into
 * windows); the simulator applies the active faults as it generates readings, and the plan is
 * written as a labels file (JSON lines: tenant, device, fault, metric, window) that the anomaly
 * models are scored against. The same seed gives the same plan, byte for byte.
 *
 * What each fault does, and the metric it shows in (the `metric` of its label):
 * - breakdown (machine, `state`): DOWN for 30 min – 4 h, no cycles, spindle idle; afterwards the
 *   machine restarts through SETUP. Visible in utilisation and in the site's energy.
 * - drift (air, `co2_ppm`): the CO2 reading climbs linearly by 300–900 ppm over 6–24 h, then the
 *   sensor is recalibrated (the window ends).
 * - stuck (air, `temperature_c`): the temperature repeats its first value in the window for 2–12 h.
 * - pm25_spike (air, `pm25_ugm3`): a dust event of 80–250 µg/m³ at its peak, rising over the first
 *   15 % of a 10–45 min window and decaying after; PM1, PM4 and PM10 rise with it.
 * - energy_surge (energy, `power_kw`): power × 1.8–2.6 for 10–60 min; current, kWh and the meter
 *   total follow.
 */
import { writeFileSync } from "node:fs";
import { hashSeed, poisson, prng } from "./fleetRandom.ts";

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

/** Which sensor kind each fault fits, the metric it shows in, and how long it lasts (minutes). */
export const FAULT_SHAPES: Readonly<Record<FaultKind, { sensorType: string; metric: string; minMinutes: number; maxMinutes: number }>> = {
  breakdown: { sensorType: "MACHINE", metric: "state", minMinutes: 30, maxMinutes: 240 },
  drift: { sensorType: "AIR_QUALITY", metric: "co2_ppm", minMinutes: 360, maxMinutes: 1440 },
  stuck: { sensorType: "AIR_QUALITY", metric: "temperature_c", minMinutes: 120, maxMinutes: 720 },
  pm25_spike: { sensorType: "AIR_QUALITY", metric: "pm25_ugm3", minMinutes: 10, maxMinutes: 45 },
  energy_surge: { sensorType: "ENERGY", metric: "power_kw", minMinutes: 10, maxMinutes: 60 },
};

/** Expected faults per device per day when a spec does not say: rare, as on a real floor. */
export const DEFAULT_FAULT_RATES: Readonly<Record<FaultKind, number>> = {
  breakdown: 0.1,
  drift: 0.03,
  stuck: 0.03,
  pm25_spike: 0.1,
  energy_surge: 0.05,
};

/** One planned fault; `magnitude` (0–1) scales its size, `held` is the stuck value once seen. */
export interface PlannedFault {
  readonly kind: FaultKind;
  readonly start: number;
  readonly end: number;
  readonly magnitude: number;
  held: number | undefined;
}

const DAY_MS = 86_400_000;

/**
 * A device's fault plan, extended day by day as the simulation reaches it. `refresh(ts)` brings
 * `active` up to date; the simulator calls it only when `ts >= nextChange`, so a reading with no
 * fault costs one comparison.
 */
export class DeviceFaults {
  /** Every fault planned so far, by start (the labels). */
  readonly planned: PlannedFault[] = [];
  /** Faults active at the last refresh. */
  active: PlannedFault[] = [];
  nextChange = -Infinity;
  private pendingAt = 0;
  private plannedDays: number;
  private readonly lastEnd = new Map<FaultKind, number>();
  private readonly kinds: FaultKind[];

  constructor(
    private readonly seed: number,
    readonly tenantId: string,
    readonly deviceId: string,
    sensorType: string,
    private readonly rates: Readonly<Record<FaultKind, number>>,
    from: number,
  ) {
    this.kinds = FAULT_KINDS.filter((k) => FAULT_SHAPES[k].sensorType === sensorType && rates[k] > 0);
    // A fault planned on the day before `from` may still be running at `from`.
    this.plannedDays = Math.floor(from / DAY_MS) - 1;
  }

  /** Plan every day that starts before `until`. */
  planUntil(until: number): void {
    while (this.plannedDays * DAY_MS < until) this.planDay(this.plannedDays++);
  }

  private planDay(day: number): void {
    if (this.kinds.length === 0) return;
    const rand = prng(hashSeed(this.seed, "faults", this.tenantId, this.deviceId, day));
    const today: PlannedFault[] = [];
    for (const kind of this.kinds) {
      const shape = FAULT_SHAPES[kind];
      for (let n = poisson(rand, this.rates[kind]); n > 0; n--) {
        const start = day * DAY_MS + Math.floor(rand() * 86_400) * 1000;
        const minutes = shape.minMinutes + rand() * (shape.maxMinutes - shape.minMinutes);
        today.push({ kind, start, end: start + Math.round(minutes * 60) * 1000, magnitude: rand(), held: undefined });
      }
    }
    today.sort((a, b) => a.start - b.start || FAULT_KINDS.indexOf(a.kind) - FAULT_KINDS.indexOf(b.kind));
    for (const f of today) {
      // Two faults of one kind never overlap on a device: each label is one clean window.
      if (f.start < (this.lastEnd.get(f.kind) ?? -Infinity)) continue;
      this.lastEnd.set(f.kind, f.end);
      this.planned.push(f);
    }
  }

  refresh(ts: number): void {
    this.planUntil(ts + 1);
    this.active = this.active.filter((f) => f.end > ts);
    while (this.pendingAt < this.planned.length && this.planned[this.pendingAt]!.start <= ts) {
      const f = this.planned[this.pendingAt++]!;
      if (f.end > ts) this.active.push(f);
    }
    let next = (this.plannedDays) * DAY_MS;
    if (this.pendingAt < this.planned.length) next = Math.min(next, this.planned[this.pendingAt]!.start);
    for (const f of this.active) next = Math.min(next, f.end);
    this.nextChange = next;
  }

  /** Labels of the faults that overlap [from, to), clipped to it. */
  labels(from: number, to: number): FaultLabel[] {
    this.planUntil(to);
    return this.planned
      .filter((f) => f.start < to && f.end > from)
      .map((f) => ({
        tenantId: this.tenantId, deviceId: this.deviceId, fault: f.kind, metric: FAULT_SHAPES[f.kind].metric,
        start: new Date(Math.max(f.start, from)), end: new Date(Math.min(f.end, to)),
      }));
  }
}

/** How far through its window a fault is at `ts`, 0–1. */
export function progress(f: PlannedFault, ts: number): number {
  return (ts - f.start) / (f.end - f.start);
}

/** Extra CO2 (ppm) of a drifting sensor. */
export function driftPpm(f: PlannedFault, ts: number): number {
  return (300 + 600 * f.magnitude) * progress(f, ts);
}

/** Extra PM2.5 (µg/m³) of a dust event: up over the first 15 % of the window, then decaying. */
export function spikeUgm3(f: PlannedFault, ts: number): number {
  const peak = 80 + 170 * f.magnitude;
  const p = progress(f, ts);
  return p < 0.15 ? peak * (0.2 + (0.8 * p) / 0.15) : peak * Math.exp(-2.5 * (p - 0.15));
}

/** Factor on a meter's power during a surge. */
export function surgeFactor(f: PlannedFault): number {
  return 1.8 + 0.8 * f.magnitude;
}

/**
 * Labels of a fault plan over [from, to) for the given devices, as the simulator would inject it
 * (`rates`: expected faults per device per day, by kind).
 */
export function planFaults(
  devices: ReadonlyArray<{ tenantId: string; deviceId: string; sensorType: string }>,
  from: Date,
  to: Date,
  seed: number,
  rates: Readonly<Record<FaultKind, number>> = DEFAULT_FAULT_RATES,
): FaultLabel[] {
  const labels = devices.flatMap((d) => new DeviceFaults(seed, d.tenantId, d.deviceId, d.sensorType, rates, from.getTime()).labels(from.getTime(), to.getTime()));
  return sortLabels(labels);
}

export function sortLabels(labels: FaultLabel[]): FaultLabel[] {
  return labels.sort((a, b) => a.start.getTime() - b.start.getTime() || a.tenantId.localeCompare(b.tenantId) || a.deviceId.localeCompare(b.deviceId) || a.fault.localeCompare(b.fault));
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
