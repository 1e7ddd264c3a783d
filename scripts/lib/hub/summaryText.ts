/**
 * The main job's summary as text: one table of data and KPIs, one of models and cost, two lines per
 * tenant of injected faults against what found them (the alerts; the anomaly model once trained),
 * then the retrained models' decisions.
 */
import { textTable } from "../textTable.ts";
import type { MainJobReport } from "./mainJob.ts";
import type { TenantRunSummary } from "./runSummary.ts";
import { noteSummaryLine } from "./noteSummary.ts";

const pct = (v: number | null | undefined) => (v === null || v === undefined ? "–" : `${(v * 100).toFixed(1)}%`);
const n = (v: number | null | undefined, digits = 2) => (v === null || v === undefined ? "–" : v.toFixed(digits));

export function formatRunSummary(r: MainJobReport): string {
  const head =
    `${r.stopped ? "Stopped early: " : ""}${r.simulatedHours.toFixed(1)} simulated hours (${r.simulatedFrom.toISOString().slice(0, 16)}Z → ` +
    `${r.simulatedUntil.toISOString().slice(0, 16)}Z) in ${r.wallSeconds.toFixed(1)} s: ${r.speed.whole.toFixed(2)} simulated h per second.\n` +
    `Edge, this run: ${r.edge.published.toLocaleString("en")} published = ${(r.edge.committedReadings + r.edge.committedScans).toLocaleString("en")} committed + ` +
    `${r.edge.quarantinedAtIngest.toLocaleString("en")} quarantined at ingest + ${r.edge.droppedByGateway.toLocaleString("en")} dropped by the gateway` +
    ` (${r.edge.redeliveriesDropped.toLocaleString("en")} redeliveries dropped)` +
    `${r.edge.carriedOver > 0 ? `; ${r.edge.carriedOver.toLocaleString("en")} readings an earlier run left queued were sent too` : ""}.\n` +
    lifetimeLine(r.lifetime) +
    historyLine(r.history);
  const data = textTable(r.tenants.map((t) => ({
    tenant: t.tenantId, readings: t.rawReadings.toLocaleString("en"), quarantined: t.quarantined.toLocaleString("en"), machines: String(t.machines),
    utilisation: pct(t.utilization), oee: pct(t.oee), "worst aqi": t.worstAqiCategory ?? "–", bottleneck: t.bottleneckStation ?? "–", "alerts, this run": String(t.alerts),
  })));
  const ml = textTable(r.tenants.map((t) => {
    const f = t.models.find((m) => m.model === "forecast");
    return {
      tenant: t.tenantId,
      "forecast MASE vs baseline": f ? `${n(f.challenger)} vs ${n(f.baseline)} (${f.decision})` : "–",
      credits: n(t.cost.credits, 3),
      quota: t.cost.quotas.map((q) => `${q.warehouse} ${n(q.used, 3)}/${q.quota ?? "–"}${q.triggers.length ? ` [${q.triggers.join("; ")}]` : ""}`).join(", ") || "–",
    };
  }));
  const models = textTable(r.tenants.flatMap((t) => t.models.map((m) => ({
    tenant: t.tenantId, model: m.model, metric: m.metric, challenger: n(m.challenger, 3), champion: n(m.champion, 3), baseline: n(m.baseline, 3),
    decision: m.decision, reason: m.reason.length > 90 ? `${m.reason.slice(0, 89)}…` : m.reason,
  }))));
  const faults = r.tenants.map((t) => faultLines(t, Math.max(...r.tenants.map((x) => x.tenantId.length)))).join("\n");
  return `${head}\n\n${data}${historyAlertsLine(r.tenants)}${noteSummaryLine(r.notes ?? [])}\n\n${ml}\n\nInjected faults against what found them (event level, per device; a fault is found when an alert falls in its window):\n${faults}${models ? `\n\nRetrained models (the gate's decision and its reason):\n${models}` : ""}`;
}

/**
 * The table's KPIs and alerts are the run's period; the alerts raised on the history loaded before
 * it are said apart (none: nothing said), so that the table's count is not read as the run's with them.
 */
function historyAlertsLine(tenants: readonly TenantRunSummary[]): string {
  const before = tenants.filter((t) => t.alertsBefore > 0);
  if (!before.length) return "";
  return `\nUtilisation, OEE, worst AQI, bottleneck and alerts are this run's hours; alerts raised on the history before them, not counted: ${before.map((t) => `${t.tenantId} ${t.alertsBefore.toLocaleString("en")}`).join(", ")}.`;
}

/** The history loaded through the batch file load before the live hours (none: nothing said). */
function historyLine(h: MainJobReport["history"]): string {
  if (!h?.length) return "";
  const f = (v: number) => v.toLocaleString("en");
  const parts = h.map((x) =>
    x.loadedFiles > 0
      ? `${x.tenantId} ${x.loadedFiles} files, ${f(x.rows)} rows = ${f(x.loaded)} to RAW + ${f(x.quarantined)} quarantined${x.alreadyLoaded ? ` (${x.alreadyLoaded} already loaded)` : ""}`
      : `${x.tenantId} ${x.alreadyLoaded} files already loaded`,
  );
  const refused = h.flatMap((x) => x.refused);
  return `\nHistory before ${new Date(h[0]!.until).toISOString().slice(0, 16)}Z (hourly aggregates, batch file load): ${parts.join("; ")}${refused.length ? `; ${refused.length} refused: ${refused.join("; ")}` : ""}.`;
}

/** The edge's count over every run of the hub, and whether it holds. */
function lifetimeLine(l: MainJobReport["lifetime"]): string {
  const f = (v: number) => v.toLocaleString("en");
  const verdict = l.unaccounted === 0 ? "nothing lost" : `${f(Math.abs(l.unaccounted))} readings ${l.unaccounted > 0 ? "unaccounted for" : "counted twice"}`;
  return (
    `Edge, every run of this hub: ${f(l.published)} published = ${f(l.committedReadings + l.committedScans)} committed + ${f(l.quarantinedAtIngest)} quarantined at ingest + ` +
    `${f(l.droppedByGateway)} dropped by the gateway + ${f(l.queuedAtGateway)} still queued at the gateway (${f(l.redeliveriesDropped)} redeliveries dropped): ${verdict}.`
  );
}

/** The anomaly model's part of the fault line: its event score once it has scored, else why not. */
function anomalyModelText(t: TenantRunSummary): string {
  const a = t.anomalies;
  if (a) return `anomaly model found ${a.detected}/${a.injected} in the series it scores (${a.flagged} flags, ${a.falseFlags} outside any fault, F1 ${n(a.f1)})${a.unscored ? `; ${a.unscored} in no series it scores` : ""}`;
  const m = t.models.find((x) => x.model === "anomaly");
  if (!m) return "anomaly model: none for this tenant";
  // A series too short to train (ml/series.ts) or to hold a day back from (ml/evaluation/holdout.ts): the usual first-day reason.
  const short = /has (\d+) points, needs at least (\d+)/.exec(m.reason);
  if (short) return `anomaly model: not trained (${short[1]} hourly points, needs ${short[2]})`;
  const holdout = /has (\d+) points, cannot hold back (\d+)/.exec(m.reason);
  if (holdout) return `anomaly model: not trained (${holdout[1]} hourly points, too few to hold back ${holdout[2]} and train)`;
  return `anomaly model: ${m.decision}${m.decision === "Approved" ? ", no scores yet" : ` (${m.reason.length > 60 ? `${m.reason.slice(0, 59)}…` : m.reason})`}`;
}

/** Two lines: faults injected, found by alerts, and the model; then found/injected per fault kind. */
function faultLines(t: TenantRunSummary, width: number): string {
  const x = t.alertsOnFaults;
  const pad = " ".repeat(width + 2);
  if (!x) return `${t.tenantId.padEnd(width + 2)}–; ${anomalyModelText(t)}`;
  const first =
    `faults injected ${x.injected}: alerts found ${x.found} (F1 ${n(x.f1)}; ${x.alerts} alerts, ${x.falseAlerts} outside any fault); ${anomalyModelText(t)}`;
  const kinds = x.byKind.map((k) => `${k.kind} ${k.found}/${k.injected}${k.rules.length ? "" : " (no threshold rule)"}`).join(", ");
  return `${t.tenantId.padEnd(width + 2)}${first}\n${pad}by kind, found/injected: ${kinds}`;
}
