/**
 * The two portal pages whose data is not the tenant's rows: cost (the account's metering, which
 * on Snowflake only ACCOUNT_USAGE holds and a tenant role cannot read) and models (the registry,
 * files or SageMaker, not tables). `serve` passes a function for each; the portal caches their
 * answers for 30 s and shows only the signed-in tenant's.
 *
 * Cost is no longer such a function by default: the portal reads OPS.TENANT_COSTS through the
 * tenant's role on either target (pipelines/cost/tenantCostSnapshot.ts), which the function below
 * fills on the twin.
 */
import type { EmbeddedEngine } from "../engine/embeddedEngine.ts";
import { CONTROL_SCHEMA } from "../engine/controlTables.ts";
import type { FiredTrigger } from "../cost/costReport.ts";
import { publishTenantCosts } from "../cost/tenantCostSnapshot.ts";
import { twinAccountObjects } from "../cost/readAccountObjects.ts";
import { REPORTING_ROLE } from "../definitions/grants.ts";

export type { TenantCost } from "../cost/tenantCostSnapshot.ts";

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
  readonly tenants: readonly string[];
}

/**
 * The twin's run of the step that fills OPS.TENANT_COSTS (pipelines/cost/tenantCostSnapshot.ts):
 * the month to date on the twin's clock, as HUB_REPORTING (it reads the usage views and may append
 * to OPS.TENANT_COSTS, nothing else), with the trigger times the twin recorded.
 * `serve` runs it at start and every few minutes; on Snowflake `cost-report --publish-tenant-costs` does.
 */
export async function publishTwinTenantCosts(engine: EmbeddedEngine, o: TwinCostOptions): Promise<Map<string, number>> {
  const session = await engine.session({ role: REPORTING_ROLE });
  try {
    const account = await twinAccountObjects(engine);
    const fired: FiredTrigger[] = (
      await engine.control<{ monitor_name: string; threshold_pct: number; action: string; fired_at: Date }>(
        `SELECT monitor_name, threshold_pct, action, fired_at FROM ${CONTROL_SCHEMA}.RESOURCE_MONITOR_EVENTS`,
      )
    ).map((e) => ({ monitor: e.monitor_name, percent: Number(e.threshold_pct), action: e.action, at: e.fired_at }));
    return await publishTenantCosts(session, { now: engine.clock.now(), pricePerCredit: o.pricePerCredit, currency: o.currency, tenants: o.tenants, ...account, firedTriggers: fired });
  } finally {
    await session.close();
  }
}
