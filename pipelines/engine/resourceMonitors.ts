/**
 * Resource monitors on the billing twin (https://docs.snowflake.com/en/user-guide/resource-monitors):
 * a credit quota per interval (DAILY, WEEKLY, MONTHLY, YEARLY or NEVER) over the warehouses
 * assigned to it; each trigger fires once per interval when used credits reach its percentage:
 * NOTIFY records a notification, SUSPEND suspends the warehouses once their running statements
 * finished, SUSPEND_IMMEDIATE at once. A new interval resets the triggers and lifts suspensions.
 */
import type { MonitorFrequency } from "../definitions/types.ts";

export type TriggerAction = "NOTIFY" | "SUSPEND" | "SUSPEND_IMMEDIATE";

export interface MonitorSpec {
  readonly name: string;
  readonly creditQuota: number;
  readonly frequency: MonitorFrequency;
  /** When the monitor started counting; intervals are anchored at this instant's UTC midnight. */
  readonly startedAt: Date;
  readonly triggers: ReadonlyArray<{ readonly percent: number; readonly action: TriggerAction }>;
}

export interface TriggerEvent {
  readonly monitor: string;
  readonly intervalStart: Date;
  readonly percent: number;
  readonly action: TriggerAction;
  /** When used credits reached the threshold (found by bisection on the meter). */
  readonly at: Date;
  readonly usedCredits: number;
  readonly quota: number;
}

export function monitorTriggers(notifyAt: readonly number[], suspendAt: number | null, suspendImmediateAt: number | null): MonitorSpec["triggers"] {
  return [
    ...notifyAt.map((percent) => ({ percent, action: "NOTIFY" as const })),
    ...(suspendAt !== null ? [{ percent: suspendAt, action: "SUSPEND" as const }] : []),
    ...(suspendImmediateAt !== null ? [{ percent: suspendImmediateAt, action: "SUSPEND_IMMEDIATE" as const }] : []),
  ].sort((a, b) => a.percent - b.percent);
}

function addInterval(d: Date, frequency: MonitorFrequency): Date {
  const n = new Date(d);
  if (frequency === "DAILY") n.setUTCDate(n.getUTCDate() + 1);
  else if (frequency === "WEEKLY") n.setUTCDate(n.getUTCDate() + 7);
  else if (frequency === "MONTHLY") n.setUTCMonth(n.getUTCMonth() + 1);
  else if (frequency === "YEARLY") n.setUTCFullYear(n.getUTCFullYear() + 1);
  else return new Date(8.64e15);
  return n;
}

/** The interval containing `at`: [start, end). */
export function monitorInterval(spec: Pick<MonitorSpec, "frequency" | "startedAt">, at: Date): { start: Date; end: Date } {
  let start = new Date(Date.UTC(spec.startedAt.getUTCFullYear(), spec.startedAt.getUTCMonth(), spec.startedAt.getUTCDate()));
  let end = addInterval(start, spec.frequency);
  while (end <= at) {
    start = end;
    end = addInterval(start, spec.frequency);
  }
  return { start, end };
}

/**
 * The triggers that fire between `since` and `now`: each not yet fired in the interval and whose
 * threshold the used credits reached. `usedAt(t)` gives the interval's credits at time t; it only
 * grows, so the crossing instant is found by bisection to the millisecond.
 */
export function dueTriggers(
  spec: MonitorSpec,
  intervalStart: Date,
  fired: ReadonlySet<number>,
  since: Date,
  now: Date,
  usedAt: (t: Date) => number,
): TriggerEvent[] {
  const used = usedAt(now);
  const out: TriggerEvent[] = [];
  for (const t of spec.triggers) {
    if (fired.has(t.percent)) continue;
    const threshold = (spec.creditQuota * t.percent) / 100;
    if (used + 1e-12 < threshold) continue;
    let lo = Math.max(since.getTime(), intervalStart.getTime());
    let hi = now.getTime();
    if (usedAt(new Date(lo)) + 1e-12 >= threshold) hi = lo;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (usedAt(new Date(mid)) + 1e-12 >= threshold) hi = mid;
      else lo = mid;
    }
    out.push({ monitor: spec.name, intervalStart, percent: t.percent, action: t.action, at: new Date(hi), usedCredits: used, quota: spec.creditQuota });
  }
  return out;
}
