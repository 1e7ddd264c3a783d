/**
 * The two portal pages whose data is not the tenant's rows: cost (the account's metering, which
 * on Snowflake only ACCOUNT_USAGE holds and a tenant role cannot read) and models (the registry,
 * files or SageMaker, not tables). `serve` passes a function for each; the portal caches their
 * answers for 30 s and shows only the signed-in tenant's.
 *
 * The cost source below reads the billing twin with the cost report's own SQL
 * (pipelines/cost/costReport.ts), filtered to one tenant by a tenant id the portal takes from the
 * session, never from a request; nothing a user sends reaches its SQL.
 */
import type { EmbeddedEngine } from "../engine/embeddedEngine.ts";
import { CONTROL_SCHEMA } from "../engine/controlTables.ts";
import { buildCostReport, type FiredTrigger } from "../cost/costReport.ts";
import { twinAccountObjects } from "../cost/readAccountObjects.ts";
import { tenantObjectPrefix } from "../definitions/governance.ts";

export interface TenantCost {
  readonly from: string;
  readonly to: string;
  readonly currency: string;
  readonly pricePerCredit: number;
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
    readonly triggers: ReadonlyArray<{ percent: number; action: string; firedAt: string | null; projectedAt: string | null }>;
  }>;
}

export interface TenantModels {
  /** Every registered version per model, newest first, as `scripts/retrain.ts list` shows them. */
  readonly versions: ReadonlyArray<{
    readonly model: string;
    readonly version: number;
    readonly algorithm: string;
    readonly status: string;
    readonly reason: string | null;
    readonly createdAt: string | null;
    readonly metrics: Readonly<Record<string, number | null>>;
    readonly baseline: Readonly<Record<string, number | null>>;
    readonly champion: boolean;
    /** Drift of the features since training, where the registry recorded it. */
    readonly drift: string | null;
  }>;
}

export interface TwinCostOptions {
  readonly pricePerCredit: number;
  /** ISO 4217; default USD. */
  readonly currency?: string;
}

/** The month to date on the twin's clock, for one tenant. */
export function twinCostSource(engine: EmbeddedEngine, o: TwinCostOptions): (tenant: string) => Promise<TenantCost> {
  return async (tenant) => {
    const now = engine.clock.now();
    const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    const to = new Date(now.getTime() + 1);
    const session = await engine.admin();
    try {
      const account = await twinAccountObjects(engine);
      const fired: FiredTrigger[] = (
        await engine.control<{ monitor_name: string; threshold_pct: number; action: string; fired_at: Date }>(
          `SELECT monitor_name, threshold_pct, action, fired_at FROM ${CONTROL_SCHEMA}.RESOURCE_MONITOR_EVENTS`,
        )
      ).map((e) => ({ monitor: e.monitor_name, percent: Number(e.threshold_pct), action: e.action, at: e.fired_at }));
      const r = await buildCostReport(session, { from, to, now, pricePerCredit: o.pricePerCredit, currency: o.currency, tenant, ...account, firedTriggers: fired });
      const mine = r.tenants.find((t) => t.tenant === tenant);
      const prefix = tenantObjectPrefix(tenant);
      const iso = (d: Date | null) => (d ? d.toISOString() : null);
      return {
        from: r.from.toISOString(), to: r.to.toISOString(), currency: r.currency, pricePerCredit: r.pricePerCredit,
        credits: mine?.credits ?? 0, money: mine?.money ?? 0,
        warehouses: r.warehouses.filter((w) => w.warehouse.startsWith(prefix)).map((w) => ({
          warehouse: w.warehouse, monitor: w.monitor, credits: w.credits, money: w.money,
          quotaCredits: w.quota, quotaMoney: w.quota === null ? null : w.quota * r.pricePerCredit, pctOfQuota: w.pctOfQuota, burnPerHour: w.burnPerHour,
          triggers: w.triggers.map((t) => ({ percent: t.percent, action: t.action, firedAt: iso(t.firedAt), projectedAt: iso(t.projectedAt) })),
        })),
      };
    } finally {
      await session.close();
    }
  };
}
