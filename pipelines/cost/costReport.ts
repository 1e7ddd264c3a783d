/**
 * The cost report: credits and money per tenant and warehouse, % of quota, triggers fired and when
 * the rest will fire at the current burn rate, idle share, top cost drivers. Built from the SQL in
 * costQueries.ts through any `Warehouse` (the embedded twin or Snowflake).
 */
import type { Warehouse } from "../warehouse/warehouse.ts";
import { dailySql, meteringSql, usageSql } from "./costQueries.ts";
import { creditsPerHour } from "../engine/billingTwin.ts";
import { groupBy } from "../groupBy.ts";
import { currentInterval, type MonitorInfo, type WarehouseInfo } from "./accountObjects.ts";
import { DYNAMIC_TABLES } from "../definitions/catalog.ts";
import { qualifiedName } from "../definitions/types.ts";
import { warehouseTenant } from "../definitions/governance.ts";

export type { MonitorInfo, WarehouseInfo };

/** The pseudo-warehouse WAREHOUSE_METERING_HISTORY bills cloud services outside any warehouse to. */
export const CLOUD_SERVICES_ONLY = "CLOUD_SERVICES_ONLY";

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
  /** As SHOW WAREHOUSES printed it when the report does not know the size (then no idle share). */
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
  /**
   * Where the measured period really ends: ACCOUNT_USAGE lags (metering up to 3 hours, query
   * history up to 45 minutes), so on Snowflake the hours after this are not complete yet.
   */
  readonly completeUntil: Date;
  /** The period's end as asked for (later than `to` when the data was not complete there). */
  readonly requestedTo: Date;
  /** Credits per SERVICE_TYPE (warehouses, serverless tasks, clustering, ...), each for what it is. */
  readonly services: ReadonlyArray<{ serviceType: string; compute: number; cloud: number; adjustment: number; billed: number }>;
  /** Cloud services billed outside any warehouse (the CLOUD_SERVICES_ONLY line of the meter). */
  readonly cloudServicesOnly: number;
  /** Warehouses in the account that are not the hub's: left out of the report, named here. */
  readonly otherWarehouses: readonly string[];
  readonly totals: { credits: number; money: number; cloudServices: number; cloudAdjustment: number; billed: number };
  readonly tenants: ReadonlyArray<{ tenant: string; credits: number; money: number; share: number }>;
  readonly warehouses: readonly WarehouseCost[];
  /**
   * `refreshMode`: for a dynamic-table refresh job, its declared REFRESH_MODE (what Snowflake runs;
   * a FULL one's credits grow with the table, not with the new rows); null for other jobs.
   */
  readonly drivers: ReadonlyArray<{ warehouse: string; tenant: string; job: string; credits: number; money: number; queries: number; refreshMode: "INCREMENTAL" | "FULL" | null }>;
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
  /** The resource monitors, as SHOW RESOURCE MONITORS gives them (accountObjects.ts). */
  readonly monitors: readonly MonitorInfo[];
  /** Warehouses of the account that are not the hub's (Snowflake's SHOW lists them all): left out and named. */
  readonly otherWarehouses?: readonly string[];
  /**
   * The end of the data the usage views hold complete (now minus their latency on Snowflake; now on
   * the twin). The measured period ends there when it would end later.
   */
  readonly completeUntil?: Date;
  /** Exact trigger times, where the target records them (the twin does; Snowflake emails them). */
  readonly firedTriggers?: readonly FiredTrigger[];
}

/** A refresh job's (`refresh:SCHEMA.NAME`) declared refresh mode, from the definitions; null for other jobs. */
export function refreshModeOf(job: string): "INCREMENTAL" | "FULL" | null {
  const m = /^refresh:(.+)$/.exec(job);
  const t = m ? DYNAMIC_TABLES.find((x) => qualifiedName(x) === m[1]!.toUpperCase()) : undefined;
  return t ? t.refreshMode.mode : null;
}

const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
const asDate = (v: unknown) => (v instanceof Date ? v : new Date(String(v)));

export async function buildCostReport(w: Warehouse, input: CostReportOptions): Promise<CostReport> {
  const tag = { job: "cost-report" };
  const completeUntil = input.completeUntil && input.completeUntil < input.to ? input.completeUntil : input.to;
  // The period ends where the data is complete: later hours would read as idle and slow the burn rate.
  const o = { ...input, to: completeUntil > input.from ? completeUntil : input.to };
  // One connection runs one statement at a time: these go in sequence.
  const owners = new Map(o.warehouses.flatMap((x) => { const t = warehouseTenant(x.name); return t ? [[x.name, t] as const] : []; }));
  const usage = await w.query(usageSql(o.from, o.to, owners), { tag });
  const bucket = o.to.getTime() - o.from.getTime() > 7 * 86_400_000 ? "day" : "hour";
  const metered = await w.query(meteringSql(o.from, o.to, bucket), { tag });
  const daily = await w.query(dailySql(o.from, o.to), { tag });
  const cloudServicesOnly = metered.filter((r) => String(r.warehouse) === CLOUD_SERVICES_ONLY).reduce((s, r) => s + num(r.cloud), 0);
  const otherWarehouses = [...(o.otherWarehouses ?? [])].sort();
  const metering = metered.filter((r) => String(r.warehouse) !== CLOUD_SERVICES_ONLY && !otherWarehouses.includes(String(r.warehouse)));
  const alloc = usage.filter((r) => r.kind === "alloc");
  const busy = usage.filter((r) => r.kind === "busy").map((r) => ({ warehouse: r.warehouse, busy_s: r.credits }));
  // Ties (two jobs of equal credits, common with exact decimal sums) broken by name: the SQL's UNION
  // returns rows in no fixed order, and the list is cut at 15, so the same usage must name the same
  // drivers in the same order on every run and target.
  const drivers = usage
    .filter((r) => r.kind === "driver")
    .sort((a, b) => num(b.credits) - num(a.credits) || String(a.warehouse).localeCompare(String(b.warehouse)) || String(a.tenant).localeCompare(String(b.tenant)) || String(a.job).localeCompare(String(b.job)));
  const money = (c: number) => c * o.pricePerCredit;
  const keep = (tenant: string) => !o.tenant || tenant === o.tenant;
  // In a fixed order: the usage SQL's UNION returns its rows in none, and the report is compared
  // across targets and runs.
  const allocations = alloc
    .map((r) => ({ warehouse: String(r.warehouse), tenant: String(r.tenant), credits: num(r.credits) }))
    .filter((a) => keep(a.tenant))
    .sort((a, b) => a.warehouse.localeCompare(b.warehouse) || a.tenant.localeCompare(b.tenant));
  const hourly = metering.map((r) => ({ warehouse: String(r.warehouse), hour: asDate(r.hour), credits: num(r.compute) }));
  // Indexed once: the loops below visit each warehouse, and a year has thousands of hours each.
  const hoursOf = groupBy(hourly, (h) => h.warehouse);
  const allocOf = groupBy(allocations, (a) => a.warehouse);

  const warehouses: WarehouseCost[] = [];
  const names = new Set([...hourly.map((h) => h.warehouse), ...o.warehouses.map((x) => x.name).filter((x) => !otherWarehouses.includes(x))]);
  for (const name of [...names].sort()) {
    const info = o.warehouses.find((x) => x.name === name);
    const size = info ? info.size : "XSMALL";
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
    // A size the report does not know (a new one) has no rate: no idle share, the rest stands.
    const billedS = size ? (metered / creditsPerHour(size)) * 3600 : 0;
    const b = busy.find((r) => String(r.warehouse) === name);
    const idleShare = billedS > 0 ? Math.max(0, 1 - num(b?.busy_s) / billedS) : null;
    // Burn rate: the last 24 metered hours of the period (fewer when the period is shorter).
    const recent = own.filter((h) => h.hour.getTime() >= o.to.getTime() - 24 * 3_600_000);
    const spanH = Math.max(1, Math.min(24, (o.to.getTime() - o.from.getTime()) / 3_600_000));
    const burnPerHour = recent.reduce((s, h) => s + h.credits, 0) / spanH;
    const m = o.monitors.find((x) => x.name === info?.resourceMonitor);
    const quota = m ? m.creditQuota : null;
    let used: number | null = null;
    const triggers: TriggerStatus[] = [];
    if (m && quota) {
      const { start, end } = currentInterval(m, o.now);
      // The monitor's own figure includes the running period the meter has not closed yet; the
      // meter's hours are what the report can see on either target. The larger is the truth.
      const monitored = o.warehouses.filter((x) => x.resourceMonitor === m.name).map((x) => x.name);
      const metered = monitored.flatMap((x) => hoursOf.get(x) ?? []).filter((h) => h.hour >= start && (end === null || h.hour < end)).reduce((s, h) => s + h.credits, 0);
      used = Math.max(m.usedCredits, metered);
      const specs = [
        ...m.notifyAt.map((p) => ({ percent: p, action: "NOTIFY" })),
        ...m.suspendAt.map((p) => ({ percent: p, action: "SUSPEND" })),
        ...m.suspendImmediateAt.map((p) => ({ percent: p, action: "SUSPEND_IMMEDIATE" })),
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
          projectedAt = end === null || at < end ? at : null;
        }
        triggers.push({ percent: t.percent, action: t.action, firedAt, projectedAt });
      }
    }
    warehouses.push({
      warehouse: name, size: size ?? info?.sizeShown ?? "unknown", monitor: info?.resourceMonitor ?? null, quota, monitorUsed: used, credits, money: money(credits),
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
  const meteredTotal = hourly.reduce((s, h) => s + h.credits, 0);
  const credits = o.tenant ? total : meteredTotal;
  const services = [...groupBy(daily, (d) => String(d.service_type ?? "WAREHOUSE_METERING")).entries()]
    .map(([serviceType, rows]) => ({
      serviceType,
      compute: rows.reduce((s, d) => s + num(d.compute), 0),
      cloud: rows.reduce((s, d) => s + num(d.cloud), 0),
      adjustment: rows.reduce((s, d) => s + num(d.adjustment), 0),
      billed: rows.reduce((s, d) => s + num(d.billed), 0),
    }))
    .sort((a, b) => b.billed - a.billed);
  return {
    from: o.from, to: o.to, generatedAt: o.now, pricePerCredit: o.pricePerCredit, currency: o.currency ?? "USD", tenantFilter: o.tenant ?? null,
    completeUntil: o.to, requestedTo: input.to, services, cloudServicesOnly, otherWarehouses,
    totals: { credits, money: money(credits), cloudServices: cloud, cloudAdjustment: adjustment, billed: o.tenant ? credits : meteredTotal + cloud + adjustment },
    tenants,
    warehouses,
    drivers: drivers
      .map((r) => ({ warehouse: String(r.warehouse), tenant: String(r.tenant), job: String(r.job), credits: num(r.credits), money: money(num(r.credits)), queries: num(r.queries), refreshMode: refreshModeOf(String(r.job)) }))
      .filter((d) => keep(d.tenant))
      .slice(0, 15),
    hourly,
    allocations,
  };
}
