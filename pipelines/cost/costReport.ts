/**
 * The cost report: credits and money per tenant and warehouse, % of quota, triggers fired and when
 * the rest will fire at the current burn rate, idle share, top cost drivers. Built from the SQL in
 * costQueries.ts through any `Warehouse` (the embedded twin or Snowflake).
 */
import type { Warehouse } from "../warehouse/warehouse.ts";
import { dailySql, meteringSql, MONITORS_SQL, usageSql } from "./costQueries.ts";
import { creditsPerHour } from "../engine/billingTwin.ts";
import { groupBy } from "../groupBy.ts";

export interface WarehouseInfo {
  readonly name: string;
  readonly size: string;
  readonly resourceMonitor: string | null;
}

export interface FiredTrigger {
  readonly monitor: string;
  readonly percent: number;
  readonly action: string;
  readonly at: Date;
}

export interface TriggerStatus {
  readonly percent: number;
  readonly action: string;
  /** When it fired (exact where the twin recorded it, else the hour the meter crossed it). */
  readonly firedAt: Date | null;
  /** When it will fire at the current burn rate; null when it will not within the interval. */
  readonly projectedAt: Date | null;
}

export interface WarehouseCost {
  readonly warehouse: string;
  readonly size: string;
  readonly monitor: string | null;
  readonly quota: number | null;
  readonly monitorUsed: number | null;
  readonly credits: number;
  readonly money: number;
  readonly pctOfQuota: number | null;
  readonly idleShare: number | null;
  readonly burnPerHour: number;
  readonly triggers: readonly TriggerStatus[];
  readonly tenants: ReadonlyArray<{ tenant: string; credits: number; money: number }>;
}

export interface CostReport {
  readonly from: Date;
  readonly to: Date;
  readonly generatedAt: Date;
  readonly pricePerCredit: number;
  /** ISO 4217 code of every money figure (price per credit included). */
  readonly currency: string;
  readonly tenantFilter: string | null;
  readonly totals: { credits: number; money: number; cloudServices: number; cloudAdjustment: number; billed: number };
  readonly tenants: ReadonlyArray<{ tenant: string; credits: number; money: number; share: number }>;
  readonly warehouses: readonly WarehouseCost[];
  readonly drivers: ReadonlyArray<{ warehouse: string; tenant: string; job: string; credits: number; money: number; queries: number }>;
  /** Metered credits per warehouse and bucket (`hour` is the bucket's start: hours, or days beyond a week). */
  readonly hourly: ReadonlyArray<{ warehouse: string; hour: Date; credits: number }>;
  /** Allocated credits per warehouse and tenant (the per-hour split summed). */
  readonly allocations: ReadonlyArray<{ warehouse: string; tenant: string; credits: number }>;
}

export interface CostReportOptions {
  readonly from: Date;
  readonly to: Date;
  readonly now: Date;
  readonly pricePerCredit: number;
  /** ISO 4217 code of the price per credit; default USD (Snowflake bills credits in the contract's currency). */
  readonly currency?: string;
  readonly tenant?: string;
  readonly warehouses: readonly WarehouseInfo[];
  /** Exact trigger times, where the target records them (the twin does; Snowflake emails them). */
  readonly firedTriggers?: readonly FiredTrigger[];
}

const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
const asDate = (v: unknown) => (v instanceof Date ? v : new Date(String(v)));
/** Snowflake's NOTIFY_AT is a list like "75%,90%"; the twin stores "75,90". */
const percents = (v: unknown) => String(v ?? "").split(",").map((x) => parseFloat(x)).filter((x) => Number.isFinite(x));

export async function buildCostReport(w: Warehouse, o: CostReportOptions): Promise<CostReport> {
  const tag = { job: "cost-report" };
  // One connection runs one statement at a time: these go in sequence.
  const usage = await w.query(usageSql(o.from, o.to), { tag });
  const bucket = o.to.getTime() - o.from.getTime() > 7 * 86_400_000 ? "day" : "hour";
  const metering = await w.query(meteringSql(o.from, o.to, bucket), { tag });
  const daily = await w.query(dailySql(o.from, o.to), { tag });
  const monitors = await w.query(MONITORS_SQL, { tag });
  const alloc = usage.filter((r) => r.kind === "alloc");
  const busy = usage.filter((r) => r.kind === "busy").map((r) => ({ warehouse: r.warehouse, busy_s: r.credits }));
  const drivers = usage.filter((r) => r.kind === "driver").sort((a, b) => num(b.credits) - num(a.credits));
  const money = (c: number) => c * o.pricePerCredit;
  const keep = (tenant: string) => !o.tenant || tenant === o.tenant;
  const allocations = alloc
    .map((r) => ({ warehouse: String(r.warehouse), tenant: String(r.tenant), credits: num(r.credits) }))
    .filter((a) => keep(a.tenant));
  const hourly = metering.map((r) => ({ warehouse: String(r.warehouse), hour: asDate(r.hour), credits: num(r.compute) }));
  // Indexed once: the loops below visit each warehouse, and a year has thousands of hours each.
  const hoursOf = groupBy(hourly, (h) => h.warehouse);
  const allocOf = groupBy(allocations, (a) => a.warehouse);

  const warehouses: WarehouseCost[] = [];
  const names = new Set([...hourly.map((h) => h.warehouse), ...o.warehouses.map((x) => x.name)]);
  for (const name of [...names].sort()) {
    const info = o.warehouses.find((x) => x.name === name);
    const size = info?.size ?? "XSMALL";
    const own = hoursOf.get(name) ?? [];
    const metered = own.reduce((s, h) => s + h.credits, 0);
    const mine = allocOf.get(name) ?? [];
    const credits = o.tenant ? mine.reduce((s, a) => s + a.credits, 0) : metered;
    const tenants = [...new Set(mine.map((a) => a.tenant))]
      .map((t) => {
        const c = mine.filter((a) => a.tenant === t).reduce((s, a) => s + a.credits, 0);
        return { tenant: t, credits: c, money: money(c) };
      })
      .sort((a, b) => b.credits - a.credits);
    const billedS = (metered / creditsPerHour(size)) * 3600;
    const b = busy.find((r) => String(r.warehouse) === name);
    const idleShare = billedS > 0 ? Math.max(0, 1 - num(b?.busy_s) / billedS) : null;
    // Burn rate: the last 24 metered hours of the period (fewer when the period is shorter).
    const recent = own.filter((h) => h.hour.getTime() >= o.to.getTime() - 24 * 3_600_000);
    const spanH = Math.max(1, Math.min(24, (o.to.getTime() - o.from.getTime()) / 3_600_000));
    const burnPerHour = recent.reduce((s, h) => s + h.credits, 0) / spanH;
    const m = monitors.find((x) => String(x.name) === info?.resourceMonitor);
    const quota = m ? num(m.credit_quota) : null;
    let used: number | null = null;
    const triggers: TriggerStatus[] = [];
    if (m && quota) {
      const start = asDate(m.start_time);
      const end = asDate(m.end_time);
      // The monitor's own figure includes the running period the meter has not closed yet; the
      // meter's hours are what the report can see on either target. The larger is the truth.
      const monitored = o.warehouses.filter((x) => x.resourceMonitor === m.name).map((x) => x.name);
      const metered = monitored.flatMap((x) => hoursOf.get(x) ?? []).filter((h) => h.hour >= start && h.hour < end).reduce((s, h) => s + h.credits, 0);
      used = Math.max(num(m.used_credits), metered);
      const specs = [
        ...percents(m.notify_at).map((p) => ({ percent: p, action: "NOTIFY" })),
        ...percents(m.suspend_at).map((p) => ({ percent: p, action: "SUSPEND" })),
        ...percents(m.suspend_immediate_at).map((p) => ({ percent: p, action: "SUSPEND_IMMEDIATE" })),
      ].sort((a, b) => a.percent - b.percent);
      // The monitor's own warehouses, hour by hour since its interval began: when each threshold was crossed.
      const watched = o.warehouses.filter((x) => x.resourceMonitor === m.name).map((x) => x.name);
      const series = watched.flatMap((x) => hoursOf.get(x) ?? []).filter((h) => h.hour >= start).sort((a, b) => +a.hour - +b.hour);
      const monitorBurn = series.filter((h) => h.hour.getTime() >= o.to.getTime() - 24 * 3_600_000).reduce((s, h) => s + h.credits, 0) / spanH;
      for (const t of specs) {
        const threshold = (quota * t.percent) / 100;
        const exact = o.firedTriggers?.find((f) => f.monitor === m.name && f.percent === t.percent && f.at >= start);
        let firedAt: Date | null = exact?.at ?? null;
        if (!firedAt && (used ?? 0) >= threshold) {
          let cum = 0;
          for (const h of series) {
            cum += h.credits;
            if (cum >= threshold) {
              firedAt = h.hour;
              break;
            }
          }
        }
        let projectedAt: Date | null = null;
        if (!firedAt && monitorBurn > 0) {
          const at = new Date(o.now.getTime() + ((threshold - (used ?? 0)) / monitorBurn) * 3_600_000);
          projectedAt = at < end ? at : null;
        }
        triggers.push({ percent: t.percent, action: t.action, firedAt, projectedAt });
      }
    }
    warehouses.push({
      warehouse: name, size, monitor: info?.resourceMonitor ?? null, quota, monitorUsed: used, credits, money: money(credits),
      pctOfQuota: quota ? ((used ?? 0) / quota) * 100 : null, idleShare, burnPerHour, triggers, tenants,
    });
  }

  const total = allocations.reduce((s, a) => s + a.credits, 0);
  const tenantNames = [...new Set(allocations.map((a) => a.tenant))];
  const tenants = tenantNames
    .map((t) => {
      const c = allocations.filter((a) => a.tenant === t).reduce((s, a) => s + a.credits, 0);
      return { tenant: t, credits: c, money: money(c), share: total > 0 ? c / total : 0 };
    })
    .sort((a, b) => b.credits - a.credits);
  const cloud = daily.reduce((s, d) => s + num(d.cloud), 0);
  const adjustment = daily.reduce((s, d) => s + num(d.adjustment), 0);
  const metered = hourly.reduce((s, h) => s + h.credits, 0);
  const credits = o.tenant ? total : metered;
  return {
    from: o.from, to: o.to, generatedAt: o.now, pricePerCredit: o.pricePerCredit, currency: o.currency ?? "USD", tenantFilter: o.tenant ?? null,
    totals: { credits, money: money(credits), cloudServices: cloud, cloudAdjustment: adjustment, billed: o.tenant ? credits : metered + cloud + adjustment },
    tenants,
    warehouses,
    drivers: drivers
      .map((r) => ({ warehouse: String(r.warehouse), tenant: String(r.tenant), job: String(r.job), credits: num(r.credits), money: money(num(r.credits)), queries: num(r.queries) }))
      .filter((d) => keep(d.tenant))
      .slice(0, 15),
    hourly,
    allocations,
  };
}
