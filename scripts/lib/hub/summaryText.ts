/** The main job's summary as text: one table of data and KPIs, one of models and cost, per tenant. */
import { textTable } from "../textTable.ts";
import type { MainJobReport } from "./mainJob.ts";

const pct = (v: number | null | undefined) => (v === null || v === undefined ? "–" : `${(v * 100).toFixed(1)}%`);
const n = (v: number | null | undefined, digits = 2) => (v === null || v === undefined ? "–" : v.toFixed(digits));

export function formatRunSummary(r: MainJobReport): string {
  const head =
    `${r.stopped ? "Stopped early: " : ""}${r.simulatedHours.toFixed(1)} simulated hours (${r.simulatedFrom.toISOString().slice(0, 16)}Z → ` +
    `${r.simulatedUntil.toISOString().slice(0, 16)}Z) in ${r.wallSeconds.toFixed(1)} s: ${r.speed.whole.toFixed(2)} simulated h per second.\n` +
    `Edge: ${r.edge.published.toLocaleString("en")} published = ${(r.edge.committedReadings + r.edge.committedScans).toLocaleString("en")} committed + ` +
    `${r.edge.quarantinedAtIngest.toLocaleString("en")} quarantined at ingest + ${r.edge.droppedByGateway.toLocaleString("en")} dropped by the gateway` +
    ` (${r.edge.redeliveriesDropped.toLocaleString("en")} redeliveries dropped).`;
  const data = textTable(r.tenants.map((t) => ({
    tenant: t.tenantId, readings: t.rawReadings.toLocaleString("en"), quarantined: t.quarantined.toLocaleString("en"), machines: String(t.machines),
    utilisation: pct(t.utilization), oee: pct(t.oee), "worst aqi": t.worstAqiCategory ?? "–", bottleneck: t.bottleneckStation ?? "–", alerts: String(t.alerts),
  })));
  const ml = textTable(r.tenants.map((t) => {
    const a = t.anomalies;
    const f = t.models.find((m) => m.model === "forecast");
    return {
      tenant: t.tenantId,
      "anomalies found/injected": a ? `${a.detected}/${a.injected} (F1 ${n(a.f1)})` : "–",
      "forecast MASE vs baseline": f ? `${n(f.challenger)} vs ${n(f.baseline)} (${f.decision})` : "–",
      credits: n(t.cost.credits, 3),
      quota: t.cost.quotas.map((q) => `${q.warehouse} ${n(q.used, 3)}/${q.quota ?? "–"}${q.triggers.length ? ` [${q.triggers.join("; ")}]` : ""}`).join(", ") || "–",
    };
  }));
  const models = textTable(r.tenants.flatMap((t) => t.models.map((m) => ({
    tenant: t.tenantId, model: m.model, metric: m.metric, challenger: n(m.challenger, 3), champion: n(m.champion, 3), baseline: n(m.baseline, 3),
    decision: m.decision, reason: m.reason.length > 90 ? `${m.reason.slice(0, 89)}…` : m.reason,
  }))));
  return `${head}\n\n${data}\n\n${ml}${models ? `\n\nRetrained models (the gate's decision and its reason):\n${models}` : ""}`;
}
