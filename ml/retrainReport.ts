/**
 * The end-of-run table of `scripts/retrain.ts`: per tenant and model, the deciding metric for the
 * challenger, the champion and the naive baseline, the decision and the registered version; then
 * the reasons in full.
 */
import type { Metrics } from "./contract.ts";
import type { RetrainOutcome } from "./retrainFlow.ts";
import type { DriftReport } from "./drift.ts";

function fig(m: Metrics | null | undefined, metric: string | null): string {
  const v = metric && m ? m[metric] : undefined;
  return v === undefined ? "-" : Math.abs(v) >= 100 ? v.toFixed(1) : Number(v.toPrecision(4)).toString();
}

export function outcomeRows(outcomes: readonly RetrainOutcome[]): Record<string, string>[] {
  return outcomes.map((o) => ({
    tenant: o.tenantId,
    model: o.model,
    metric: o.metric ?? "-",
    challenger: fig(o.challenger, o.metric),
    champion: o.champion ? `${fig(o.champion.metrics, o.metric)} (v${o.champion.version}${o.champion.rescored ? "" : ", recorded"})` : "-",
    baseline: fig(o.baseline, o.metric),
    decision: o.dryRun && o.decision !== "not registered" ? `${o.decision} (dry run)` : o.decision,
    version: o.version === null ? "-" : `v${o.version}`,
    rows: String(o.rowsWritten),
  }));
}

export function driftRows(reports: readonly DriftReport[]): Record<string, string>[] {
  return reports.flatMap((r): Record<string, string>[] =>
    r.features.length === 0
      ? [{ tenant: r.tenantId, model: r.model, champion: r.championVersion === null ? "-" : `v${r.championVersion}`, feature: "-", psi: "-", recommendation: r.recommendation }]
      : r.features.map((f) => ({
          tenant: r.tenantId, model: r.model, champion: `v${r.championVersion}`, feature: f.feature, psi: f.psi.toFixed(3),
          recommendation: f.drifted ? `retrain (> ${r.threshold})` : r.recommendation === "retrain" ? "-" : "stable",
        })),
  );
}
