/**
 * The cost page's figures for one tenant, and how they travel through OPS.TENANT_COSTS
 * (definitions/tenantCosts.ts) so a tenant role can read them on either target:
 * - `tenantCostOf` cuts one tenant's figures out of a cost report (the report's own allocation:
 *   each hour's metered credits split by the tenants' query time; nothing is recomputed here);
 * - `publishTenantCosts` is the step: it builds the report per tenant for the month to date on a
 *   session that may read the usage views, and appends one snapshot of rows per tenant;
 * - `LATEST_TENANT_COST_SQL` and `tenantCostFromRows` read the newest snapshot back, through the
 *   tenant's own role (the row access policy leaves it its own rows only).
 */
import type { Row, Warehouse } from "../warehouse/warehouse.ts";
import { buildCostReport, type CostReport, type CostReportOptions } from "./costReport.ts";
import { tenantObjectOwner } from "../definitions/governance.ts";
import { TENANT_COSTS } from "../definitions/tenantCosts.ts";
import { qualifiedName } from "../definitions/types.ts";
import { MAX_TENANT_COST_ROWS } from "../warehouse/portalWriteGuard.ts";

export interface TenantCostTrigger {
  readonly percent: number;
  readonly action: string;
  readonly firedAt: string | null;
  readonly projectedAt: string | null;
}

export interface TenantCost {
  readonly from: string;
  readonly to: string;
  readonly currency: string;
  readonly pricePerCredit: number;
  /** When these figures were computed (the snapshot's time). */
  readonly computedAt: string;
  /** The tenant's allocated credits and money over the period (its share of shared warehouses included). */
  readonly credits: number;
  readonly money: number;
  /** The tenant's own warehouses: what its quota (the resource monitor on each) is measured on. */
  readonly warehouses: ReadonlyArray<{
    readonly warehouse: string;
    readonly monitor: string | null;
    readonly credits: number;
    readonly money: number;
    readonly quotaCredits: number | null;
    readonly quotaMoney: number | null;
    readonly pctOfQuota: number | null;
    readonly burnPerHour: number;
    readonly triggers: readonly TenantCostTrigger[];
  }>;
  /** Its share of the shared warehouses (no quota of its own there). */
  readonly shared: ReadonlyArray<{ readonly warehouse: string; readonly credits: number; readonly money: number }>;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** One tenant's figures from a report built with `tenant` set (its credits are then the tenant's allocation). */
export function tenantCostOf(r: CostReport, tenant: string, computedAt: Date): TenantCost {
  // Its own warehouses by their whole name: another tenant's id may begin with this one's (acme, acme-a).
  const own = (warehouse: string) => tenantObjectOwner(warehouse, [tenant]) !== null;
  const mine = r.tenants.find((t) => t.tenant === tenant);
  const shared = new Map<string, number>();
  for (const a of r.allocations) if (a.tenant === tenant && !own(a.warehouse)) shared.set(a.warehouse, (shared.get(a.warehouse) ?? 0) + a.credits);
  return {
    from: r.from.toISOString(), to: r.to.toISOString(), currency: r.currency, pricePerCredit: r.pricePerCredit, computedAt: computedAt.toISOString(),
    credits: mine?.credits ?? 0, money: mine?.money ?? 0,
    warehouses: r.warehouses.filter((w) => own(w.warehouse)).map((w) => ({
      warehouse: w.warehouse, monitor: w.monitor, credits: w.credits, money: w.money,
      quotaCredits: w.quota, quotaMoney: w.quota === null ? null : w.quota * r.pricePerCredit, pctOfQuota: w.pctOfQuota, burnPerHour: w.burnPerHour,
      triggers: w.triggers.map((t) => ({ percent: t.percent, action: t.action, firedAt: iso(t.firedAt), projectedAt: iso(t.projectedAt) })),
    })),
    shared: [...shared].sort(([a], [b]) => a.localeCompare(b)).map(([warehouse, credits]) => ({ warehouse, credits, money: credits * r.pricePerCredit })),
  };
}

const COLUMNS = TENANT_COSTS.columns.map((c) => c.name);
const TIMESTAMPS = new Set(["computed_at", "period_from", "period_to"]);

/** The snapshot's rows, in TENANT_COSTS's column order. */
export function tenantCostRows(tenant: string, c: TenantCost): Array<Array<string | number | boolean | null>> {
  // Whole seconds: the report's end is "now" plus a millisecond (an exclusive bound), which reads
  // back differently by driver; the second it falls in is what a person reads.
  const to = new Date(Math.floor(Date.parse(c.to) / 1000) * 1000).toISOString();
  const head = [tenant, c.computedAt, c.from, to, c.currency, c.pricePerCredit];
  return [
    ...c.warehouses.map((w) => [...head, w.warehouse, true, w.monitor, w.credits, w.money, w.quotaCredits, w.quotaMoney, w.pctOfQuota, w.burnPerHour, JSON.stringify(w.triggers)]),
    ...c.shared.map((s) => [...head, s.warehouse, false, null, s.credits, s.money, null, null, null, null, null]),
  ];
}

export interface PublishOptions extends Omit<CostReportOptions, "from" | "to" | "tenant"> {
  readonly tenants: readonly string[];
}

/**
 * The step: for each tenant, the cost report of the month to date (as the portal showed it when it
 * read the twin directly) appended to OPS.TENANT_COSTS as one snapshot, one INSERT per tenant (a
 * reader sees a tenant's snapshot whole or not at all). `session` must read the usage views and
 * insert into the table: HUB_REPORTING, whose one write this is (grants.ts), on either target.
 * Returns the rows written per tenant.
 */
export async function publishTenantCosts(session: Warehouse, o: PublishOptions): Promise<Map<string, number>> {
  const from = new Date(Date.UTC(o.now.getUTCFullYear(), o.now.getUTCMonth(), 1));
  const to = new Date(o.now.getTime() + 1);
  const written = new Map<string, number>();
  for (const tenant of o.tenants) {
    const report = await buildCostReport(session, { ...o, from, to, tenant });
    const rows = tenantCostRows(tenant, tenantCostOf(report, tenant, o.now));
    if (rows.length > MAX_TENANT_COST_ROWS) throw new Error(`tenant ${tenant} was charged on ${rows.length} warehouses; one snapshot holds at most ${MAX_TENANT_COST_ROWS} rows`);
    written.set(tenant, rows.length);
    if (rows.length === 0) continue;
    const one = `(${COLUMNS.map((c) => (TIMESTAMPS.has(c) ? "CAST(? AS TIMESTAMP)" : "?")).join(", ")})`;
    const binds = rows.flat().map((v, i) => (TIMESTAMPS.has(COLUMNS[i % COLUMNS.length]!) && typeof v === "string" ? v.replace("T", " ").replace("Z", "") : v));
    await session.execute(`INSERT INTO ${qualifiedName(TENANT_COSTS)} (${COLUMNS.join(", ")}) VALUES ${rows.map(() => one).join(", ")}`, { binds, tag: { tenant, job: "tenant-costs" } });
  }
  return written;
}

/** The newest snapshot the session may see: through a tenant role, the tenant's own. */
export const LATEST_TENANT_COST_SQL = `SELECT ${COLUMNS.join(", ")} FROM ${qualifiedName(TENANT_COSTS)}
WHERE computed_at = (SELECT MAX(computed_at) FROM ${qualifiedName(TENANT_COSTS)})
ORDER BY own_warehouse DESC, warehouse`;

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const time = (v: unknown) => (v instanceof Date ? v.toISOString() : new Date(`${String(v).replace(" ", "T").replace(/Z?$/, "Z")}`).toISOString());

/** The figures back from a snapshot's rows; null when no snapshot was written yet. */
export function tenantCostFromRows(rows: readonly Row[]): TenantCost | null {
  const first = rows[0];
  if (!first) return null;
  const own = rows.filter((r) => r.own_warehouse === true || r.own_warehouse === "true" || r.own_warehouse === 1);
  const credits = rows.reduce((s, r) => s + Number(r.credits), 0);
  return {
    from: time(first.period_from), to: time(first.period_to), currency: String(first.currency), pricePerCredit: Number(first.price_per_credit), computedAt: time(first.computed_at),
    credits, money: credits * Number(first.price_per_credit),
    warehouses: own.map((r) => ({
      warehouse: String(r.warehouse), monitor: r.monitor === null ? null : String(r.monitor), credits: Number(r.credits), money: Number(r.money),
      quotaCredits: num(r.quota_credits), quotaMoney: num(r.quota_money), pctOfQuota: num(r.pct_of_quota), burnPerHour: num(r.burn_per_hour) ?? 0,
      triggers: r.triggers === null ? [] : (JSON.parse(String(r.triggers)) as TenantCostTrigger[]),
    })),
    shared: rows.filter((r) => !own.includes(r)).map((r) => ({ warehouse: String(r.warehouse), credits: Number(r.credits), money: Number(r.money) })),
  };
}
