/**
 * The per-tenant summary the main job prints and the operator report shows. Every figure is read
 * back from the warehouse after the run — the data and KPIs through the tenant's own role (what the
 * tenant sees), the bill from the billing twin's ACCOUNT_USAGE views — so the summary can be
 * checked against the warehouse, which is what the main job's test does.
 */
import type { EmbeddedEngine } from "../../../pipelines/engine/embeddedEngine.ts";
import { CONTROL_SCHEMA } from "../../../pipelines/engine/controlTables.ts";
import { tenantSummary, type TenantSummary } from "../../../pipelines/kpiSummary.ts";
import { buildCostReport, type CostReport, type FiredTrigger } from "../../../pipelines/cost/costReport.ts";
import { twinAccountObjects } from "../../../pipelines/cost/readAccountObjects.ts";
import type { TenantTwin } from "./tenantTwin.ts";
import type { AlertOutcome } from "./alertScoring.ts";

/** How the run's anomaly scores compare with the faults the simulator injected (event level). */
export interface AnomalyOutcome {
  /** Faults in a series the model scored (the kind's hourly series on the fault's device). */
  readonly injected: number;
  /** Faults of the period in no series the model scores (scripts/lib/hub/modelStage.ts FAULT_SERIES_FEATURE). */
  readonly unscored: number;
  readonly detected: number;
  readonly flagged: number;
  readonly falseFlags: number;
  readonly precision: number | null;
  readonly recall: number | null;
  readonly f1: number | null;
}

/** A retrained model's decision: challenger against champion and baseline. */
export interface ModelOutcome {
  readonly model: string;
  readonly metric: string;
  readonly challenger: number | null;
  readonly champion: number | null;
  readonly baseline: number | null;
  readonly decision: string;
  readonly reason: string;
}

export interface TenantCost {
  /** Credits charged back to the tenant: its own warehouses plus its share of the shared ones. */
  readonly credits: number;
  /** The tenant's own monitored warehouses against their quotas. */
  readonly quotas: ReadonlyArray<{
    readonly warehouse: string;
    readonly monitor: string | null;
    readonly used: number;
    readonly quota: number | null;
    readonly pctOfQuota: number | null;
    /** e.g. "NOTIFY 75% fired 2026-01-05T10:00Z", "SUSPEND 100% due 2026-01-20". */
    readonly triggers: readonly string[];
  }>;
}

export interface TenantRunSummary extends TenantSummary {
  readonly cost: TenantCost;
  /** The anomaly model's flags against the injected faults; null while no model has scored. */
  readonly anomalies: AnomalyOutcome | null;
  /** The hub's alerts against the injected faults (alertScoring.ts); null when the model stage did not run. */
  readonly alertsOnFaults: AlertOutcome | null;
  readonly models: readonly ModelOutcome[];
}

/** The cost report over [from, to) from the twin's ACCOUNT_USAGE views, with exact trigger times. */
export async function twinCostReport(engine: EmbeddedEngine, from: Date, to: Date, now: Date): Promise<CostReport> {
  const account = await twinAccountObjects(engine);
  const fired: FiredTrigger[] = (
    await engine.control<{ monitor_name: string; threshold_pct: number; action: string; fired_at: Date }>(
      `SELECT monitor_name, threshold_pct, action, fired_at FROM ${CONTROL_SCHEMA}.RESOURCE_MONITOR_EVENTS`,
    )
  ).map((e) => ({ monitor: e.monitor_name, percent: e.threshold_pct, action: e.action, at: e.fired_at }));
  const session = await engine.admin();
  try {
    return await buildCostReport(session, { from, to, now, pricePerCredit: 3, ...account, firedTriggers: fired });
  } finally {
    await session.close();
  }
}

function tenantCost(report: CostReport, twin: TenantTwin): TenantCost {
  const own = new Set(twin.warehouses.map((w) => w.name));
  const quotas = report.warehouses
    .filter((w) => own.has(w.warehouse))
    .map((w) => ({
      warehouse: w.warehouse, monitor: w.monitor, used: w.monitorUsed ?? w.credits, quota: w.quota, pctOfQuota: w.pctOfQuota,
      triggers: w.triggers.flatMap((t) =>
        t.firedAt ? [`${t.action} ${t.percent}% fired ${iso(t.firedAt)}`] : t.projectedAt ? [`${t.action} ${t.percent}% due ${iso(t.projectedAt)}`] : [],
      ),
    }));
  return { credits: report.tenants.find((t) => t.tenant === twin.tenantId)?.credits ?? 0, quotas };
}

const iso = (d: Date) => `${d.toISOString().slice(0, 16)}Z`;

export async function runSummaries(
  engine: EmbeddedEngine,
  tenants: readonly TenantTwin[],
  period: { from: Date; to: Date },
  ml: { anomalies?: ReadonlyMap<string, AnomalyOutcome>; alertsOnFaults?: ReadonlyMap<string, AlertOutcome>; models?: ReadonlyMap<string, readonly ModelOutcome[]> } = {},
): Promise<{ tenants: TenantRunSummary[]; cost: CostReport }> {
  // KPIs first, through each tenant's role on its own warehouse (what its dashboards would run,
  // and are billed for); then the bill, which therefore includes them.
  const kpis: TenantSummary[] = [];
  for (const t of tenants) {
    const session = await engine.session({ role: t.role, warehouse: t.warehouses[0]?.name, tag: { job: "npm-start-summary", tenant: t.tenantId } });
    try {
      kpis.push(await tenantSummary(session, t.tenantId, { from: period.from }));
    } finally {
      await session.close();
    }
  }
  // Two simulated minutes on, the warehouses those queries resumed have suspended and are billed.
  const billedTo = new Date(Math.max(period.to.getTime(), engine.clock.now().getTime()) + 120_000);
  await engine.runUntil(billedTo);
  const cost = await twinCostReport(engine, period.from, billedTo, billedTo);
  const out: TenantRunSummary[] = tenants.map((t, i) => ({
    ...kpis[i]!, cost: tenantCost(cost, t), anomalies: ml.anomalies?.get(t.tenantId) ?? null,
    alertsOnFaults: ml.alertsOnFaults?.get(t.tenantId) ?? null, models: ml.models?.get(t.tenantId) ?? [],
  }));
  return { tenants: out, cost };
}
