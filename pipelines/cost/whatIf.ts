/**
 * What a configuration will cost before it is deployed. Each warehouse's month is simulated from
 * its workloads (task schedules, dynamic-table lags, their typical run time) and its auto-suspend:
 * activity keeps it awake, a gap longer than the auto-suspend lets it sleep, every resume bills at
 * least 60 s. The result is monthly credits, when each monitor trigger would fire, and warnings
 * for schedules that keep a warehouse awake all day.
 */
import { creditsPerHour, MINIMUM_BILLED_SECONDS } from "../engine/billingTwin.ts";
import type { MonitorFrequency } from "../definitions/types.ts";

export interface Workload {
  /** What runs: `task OPS.VALIDATE_READINGS`, `refresh ANALYTICS.ALERTS`, `BI queries`. */
  readonly name: string;
  /** Seconds between runs. */
  readonly everySeconds: number;
  /** Seconds one run keeps the warehouse busy. */
  readonly runSeconds: number;
}

export interface WhatIfWarehouse {
  readonly name: string;
  readonly size: string;
  readonly autoSuspendSeconds: number;
  readonly workloads: readonly Workload[];
  readonly monitor?: {
    readonly name: string;
    readonly creditQuota: number;
    readonly frequency: MonitorFrequency;
    readonly triggers: ReadonlyArray<{ readonly percent: number; readonly action: string }>;
  };
}

export interface WhatIfResult {
  readonly warehouse: string;
  readonly size: string;
  readonly monthlyCredits: number;
  /** Share of the month the warehouse is running. */
  readonly awakeShare: number;
  readonly resumesPerDay: number;
  readonly triggers: ReadonlyArray<{ percent: number; action: string; firesAfterDays: number | null }>;
  readonly warnings: readonly string[];
}

const DAY_S = 86_400;
const MONTH_DAYS = 30;

function intervalDays(f: MonitorFrequency): number {
  return { DAILY: 1, WEEKLY: 7, MONTHLY: MONTH_DAYS, YEARLY: 365, NEVER: Infinity }[f];
}

/** Running periods of one day (every workload starts at 0 and repeats on its interval). */
function dayPeriods(w: WhatIfWarehouse): Array<[number, number]> {
  const busy: Array<[number, number]> = [];
  for (const l of w.workloads) {
    for (let t = 0; t < DAY_S; t += l.everySeconds) busy.push([t, t + l.runSeconds]);
  }
  busy.sort((a, b) => a[0] - b[0]);
  const periods: Array<[number, number]> = [];
  for (const [s, e] of busy) {
    const last = periods[periods.length - 1];
    // Still awake when the next run starts: the same period goes on.
    if (last && s <= last[1] + w.autoSuspendSeconds) last[1] = Math.max(last[1], e);
    else periods.push([s, e]);
  }
  return periods.map(([s, e]) => [s, e + w.autoSuspendSeconds]);
}

export function whatIf(w: WhatIfWarehouse): WhatIfResult {
  const rate = creditsPerHour(w.size);
  const periods = dayPeriods(w);
  const billedPerDay = periods.reduce((s, [a, b]) => s + Math.max(MINIMUM_BILLED_SECONDS, Math.ceil(Math.min(b, DAY_S) - a)), 0);
  const dailyCredits = (billedPerDay * rate) / 3600;
  const warnings: string[] = [];
  for (const l of w.workloads) {
    const gap = l.everySeconds - l.runSeconds;
    if (gap <= w.autoSuspendSeconds) {
      warnings.push(
        `${l.name} runs every ${l.everySeconds} s and ${w.name} suspends only after ${w.autoSuspendSeconds} s idle: ` +
          `it never sleeps (${(rate * 24).toFixed(0)} credits a day). Run it less often than every ${Math.ceil(w.autoSuspendSeconds + l.runSeconds)} s ` +
          `or lower AUTO_SUSPEND below ${Math.max(0, Math.floor(gap))} s.`,
      );
    }
  }
  const triggers = (w.monitor?.triggers ?? []).map((t) => {
    const threshold = ((w.monitor!.creditQuota * t.percent) / 100);
    const days = dailyCredits > 0 ? threshold / dailyCredits : Infinity;
    return { percent: t.percent, action: t.action, firesAfterDays: days <= intervalDays(w.monitor!.frequency) ? days : null };
  });
  return {
    warehouse: w.name,
    size: w.size,
    monthlyCredits: dailyCredits * MONTH_DAYS,
    awakeShare: Math.min(1, billedPerDay / DAY_S),
    resumesPerDay: periods.length,
    triggers,
    warnings,
  };
}
