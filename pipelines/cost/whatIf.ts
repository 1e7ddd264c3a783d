/**
 * What a configuration will cost before it is deployed. Each warehouse's month is simulated from
 * its workloads (task schedules, dynamic-table lags, their typical run time) and its auto-suspend:
 * activity keeps it awake, a gap longer than the auto-suspend lets it sleep, every resume bills at
 * least 60 s. The result is monthly credits, when each monitor trigger would fire, and warnings
 * for schedules that keep a warehouse awake all day and for refreshes declared FULL (their run
 * time grows with the table).
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
  /**
   * A dynamic-table refresh's declared REFRESH_MODE. An INCREMENTAL run's work follows the new rows;
   * a FULL run reprocesses the whole table, so its run time grows with the data.
   */
  readonly refreshMode?: "INCREMENTAL" | "FULL";
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
  /** The dynamic-table refreshes on the warehouse and how Snowflake will run them. */
  readonly refreshes: ReadonlyArray<{ name: string; mode: "INCREMENTAL" | "FULL" }>;
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
  // One warning per warehouse that never sleeps, naming every workload that keeps it awake.
  const keepAwake = w.workloads.filter((l) => l.everySeconds - l.runSeconds <= w.autoSuspendSeconds);
  if (keepAwake.length) {
    const every = [...new Set(keepAwake.map((l) => l.everySeconds))].sort((a, b) => a - b);
    const slowest = Math.max(...keepAwake.map((l) => l.runSeconds));
    const gap = Math.min(...keepAwake.map((l) => l.everySeconds - l.runSeconds));
    warnings.push(
      `${w.name} never sleeps (${(rate * 24).toFixed(0)} credits a day): ${keepAwake.map((l) => l.name).join(", ")} ` +
        `${keepAwake.length > 1 ? "run" : "runs"} every ${every.join(" or ")} s and it suspends only after ${w.autoSuspendSeconds} s idle. ` +
        `Run ${keepAwake.length > 1 ? "them" : "it"} less often than every ${Math.ceil(w.autoSuspendSeconds + slowest)} s, or lower AUTO_SUSPEND below ${Math.max(0, Math.floor(gap))} s ` +
        `(each resume still bills at least ${MINIMUM_BILLED_SECONDS} s).`,
    );
  }
  // A full refresh costs what the table holds, not what arrived: the run time given (measured at
  // today's size) understates every later month.
  for (const l of w.workloads.filter((x) => x.refreshMode === "FULL")) {
    warnings.push(
      `${l.name} is a FULL refresh: every run reprocesses the whole table, so its ${l.runSeconds.toFixed(1)} s a run grows with the data ` +
        `and this month's figure holds for today's size only. Make its query incremental (docs/warehouse.md) to bound it by the new rows.`,
    );
  }
  const days = intervalDays(w.monitor?.frequency ?? "NEVER");
  const triggers = (w.monitor?.triggers ?? []).map((t) => {
    const threshold = ((w.monitor!.creditQuota * t.percent) / 100);
    const after = dailyCredits > 0 ? threshold / dailyCredits : Infinity;
    return { percent: t.percent, action: t.action, firesAfterDays: after <= days ? after : null };
  });
  // A monitor that suspends the warehouse before its interval ends stops its work for the rest of
  // it: say so, with what the quota would need to be.
  const suspends = triggers.filter((t) => t.action.startsWith("SUSPEND") && t.firesAfterDays !== null).sort((a, b) => a.firesAfterDays! - b.firesAfterDays!)[0];
  if (suspends && w.monitor) {
    const perInterval = dailyCredits * Math.min(days, MONTH_DAYS);
    const span = w.monitor.frequency === "MONTHLY" ? `the ${MONTH_DAYS}-day month` : `its ${w.monitor.frequency.toLowerCase()} interval`;
    warnings.push(
      `${w.name} is suspended by ${w.monitor.name} (${suspends.action} at ${suspends.percent}%) on day ${suspends.firesAfterDays!.toFixed(1)} of ${span}: ` +
        `it needs ${perInterval.toFixed(perInterval < 10 ? 2 : 0)} credits there against a quota of ${w.monitor.creditQuota}. ` +
        `Raise the quota above ${Math.ceil((perInterval * 100) / suspends.percent)} credits, or cut its load (${periods.length} resumes a day, awake ${(Math.min(1, billedPerDay / DAY_S) * 100).toFixed(0)}%).`,
    );
  }
  return {
    warehouse: w.name,
    size: w.size,
    monthlyCredits: dailyCredits * MONTH_DAYS,
    awakeShare: Math.min(1, billedPerDay / DAY_S),
    resumesPerDay: periods.length,
    triggers,
    refreshes: w.workloads.filter((l) => l.refreshMode).map((l) => ({ name: l.name, mode: l.refreshMode! })),
    warnings,
  };
}
