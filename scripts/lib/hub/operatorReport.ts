/**
 * The operator report (`.hub/report.html`): one self-contained HTML file — inline SVG charts drawn
 * by vega-lite at write time, no script, no network — with, per tenant, utilisation and OEE per
 * machine, AQI over time, flow bottlenecks, the injected fault windows and the alerts on a timeline
 * per device (with found/injected per fault kind), anomalies marked on their series next to the
 * fault windows, and cost against quota. Data is read from the warehouse by an admin session.
 */
import { writeFileSync } from "node:fs";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import type { EmbeddedEngine } from "../../../pipelines/engine/embeddedEngine.ts";
import { duckdbDialect } from "../../../pipelines/dialect/index.ts";
import { pm25AqiSql } from "../../../pipelines/quality/aqi.ts";
import type { CostReport } from "../../../pipelines/cost/costReport.ts";
import type { FaultLabel } from "../../../edge/faultInjection.ts";
import type { TenantRunSummary } from "./runSummary.ts";
import { alertInFault, tenantAlerts, type AlertOutcome, type TenantAlert } from "./alertScoring.ts";

const SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";
/** Time axes in UTC, 24-hour clock: the hub's times are UTC wherever the report is opened. */
const UTC_TIME = { type: "temporal" as const, scale: { type: "utc" as const }, axis: { format: "%d %b %H:%M", labelAngle: -30 } };
/** At most this many anomaly series are drawn per tenant (those with the most flags). */
const ANOMALY_SERIES = 3;

async function svg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  return view.toSVG();
}

function esc(s: unknown): string {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

const pct = (v: number | null | undefined) => (v === null || v === undefined ? "–" : `${(v * 100).toFixed(1)} %`);
const num = (v: number | null | undefined, digits = 2) => (v === null || v === undefined ? "–" : v.toFixed(digits));
const iso = (d: Date | string) => (typeof d === "string" ? d : d.toISOString());

interface Rows {
  machines: Array<{ machine_id: string; utilization: number | null; oee: number | null }>;
  aqi: Array<{ site_id: string; hour: Date; aqi: number | null }>;
  stations: Array<{ station: string; mean_s: number | null; jobs: number; bottleneck_jobs: number }>;
  anomalies: Array<{ series_id: string; ts: Date; y: number | null; forecast: number | null; lower_bound: number | null; upper_bound: number | null; is_anomaly: boolean }>;
}

async function tenantRows(engine: EmbeddedEngine, tenant: string): Promise<Rows> {
  const t = tenant.replaceAll("'", "''");
  const machines = await engine.control<Rows["machines"][number]>(
    `SELECT machine_id, SUM(run_s) / NULLIF(SUM(observed_s), 0) AS utilization, AVG(oee) AS oee
     FROM ANALYTICS.MACHINE_UTILIZATION_HOURLY WHERE tenant_id = '${t}' GROUP BY machine_id ORDER BY machine_id`,
  );
  const aqi = await engine.control<Rows["aqi"][number]>(
    `SELECT site_id, DATE_TRUNC('hour', ts) AS hour, ${pm25AqiSql(duckdbDialect, "AVG(value)")} AS aqi
     FROM CORE.SENSOR_READINGS_NORMALIZED WHERE tenant_id = '${t}' AND metric = 'pm25_ugm3' GROUP BY ALL ORDER BY hour`,
  );
  const stations = await engine.control<Rows["stations"][number]>(
    `WITH v AS (SELECT station, AVG(duration_s) AS mean_s, COUNT(DISTINCT job_id) AS jobs FROM CORE.JOB_STATION_VISITS WHERE tenant_id = '${t}' GROUP BY station),
          b AS (SELECT bottleneck_station AS station, COUNT(*) AS bottleneck_jobs FROM ANALYTICS.PRODUCTION_FLOW WHERE tenant_id = '${t}' GROUP BY 1)
     SELECT v.station, v.mean_s, v.jobs, COALESCE(b.bottleneck_jobs, 0) AS bottleneck_jobs FROM v LEFT JOIN b USING (station) ORDER BY v.mean_s DESC`,
  );
  const anomalies = await engine.control<Rows["anomalies"][number]>(
    `WITH top AS (SELECT series_id FROM ML.ANOMALIES WHERE tenant_id = '${t}' GROUP BY series_id
                  ORDER BY COUNT(*) FILTER (WHERE is_anomaly) DESC, series_id LIMIT ${ANOMALY_SERIES})
     SELECT a.series_id, a.ts, a.y, a.forecast, a.lower_bound, a.upper_bound, a.is_anomaly FROM ML.ANOMALIES a JOIN top USING (series_id)
     WHERE a.tenant_id = '${t}' QUALIFY ROW_NUMBER() OVER (PARTITION BY a.series_id, a.ts ORDER BY a.scored_at DESC) = 1 ORDER BY a.series_id, a.ts`,
  );
  return { machines, aqi, stations, anomalies };
}

async function machineChart(rows: Rows["machines"]): Promise<string> {
  const values = rows.flatMap((r) => [
    { machine: r.machine_id, measure: "utilisation", value: r.utilization ?? 0 },
    { machine: r.machine_id, measure: "OEE", value: r.oee ?? 0 },
  ]);
  return svg({
    $schema: SCHEMA, width: 520, height: 200, data: { values },
    mark: "bar",
    encoding: {
      x: { field: "machine", type: "nominal", title: null, axis: { labelAngle: -40 } },
      xOffset: { field: "measure" },
      y: { field: "value", type: "quantitative", axis: { format: "%" }, title: null, scale: { domain: [0, 1] } },
      color: { field: "measure", type: "nominal", title: null },
    },
  });
}

async function aqiChart(rows: Rows["aqi"]): Promise<string> {
  const values = rows.map((r) => ({ site: r.site_id, hour: iso(r.hour), aqi: r.aqi }));
  const bands = [
    { from: 0, to: 50, band: "good" }, { from: 50, to: 100, band: "moderate" }, { from: 100, to: 150, band: "sensitive groups" }, { from: 150, to: 200, band: "unhealthy" },
  ];
  return svg({
    $schema: SCHEMA, width: 520, height: 180,
    layer: [
      { data: { values: bands }, mark: { type: "rect", opacity: 0.12 }, encoding: { y: { field: "from", type: "quantitative" }, y2: { field: "to" }, color: { field: "band", type: "nominal", scale: { domain: bands.map((b) => b.band), range: ["#2ca02c", "#dbdb00", "#ff7f0e", "#d62728"] }, title: "AQI band" } } },
      { data: { values }, mark: { type: "line", point: false }, encoding: { x: { field: "hour", ...UTC_TIME, title: null }, y: { field: "aqi", type: "quantitative", title: "PM2.5 AQI (hourly mean)" }, detail: { field: "site" } } },
    ],
  });
}

async function flowChart(rows: Rows["stations"]): Promise<string> {
  const values = rows.map((r) => ({ station: r.station, minutes: (r.mean_s ?? 0) / 60, bottleneck: r.bottleneck_jobs }));
  return svg({
    $schema: SCHEMA, width: 520, height: 160, data: { values },
    mark: "bar",
    encoding: {
      y: { field: "station", type: "nominal", sort: "-x", title: null },
      x: { field: "minutes", type: "quantitative", title: "mean time at station (min)" },
      color: { field: "bottleneck", type: "quantitative", title: "jobs it held up most", scale: { scheme: "oranges" } },
    },
  });
}

async function anomalyChart(rows: Rows["anomalies"], labels: readonly FaultLabel[]): Promise<string> {
  const values = rows.map((r) => ({ ...r, ts: iso(r.ts) }));
  const faults = labels.map((l) => ({ series: l.deviceId, start: iso(l.start), end: iso(l.end), fault: l.fault }));
  const series = [...new Set(rows.map((r) => r.series_id))];
  // One panel per series; fault windows of the series' device are shaded behind it.
  const panels = await Promise.all(series.map(async (s) => {
    const device = s.split(":").slice(1).join(":");
    const mine = values.filter((v) => v.series_id === s);
    const windows = faults.filter((f) => f.series === device);
    return `<figure><figcaption>${esc(s)}</figcaption>${await svg({
      $schema: SCHEMA, width: 520, height: 140,
      layer: [
        ...(windows.length ? [{ data: { values: windows }, mark: { type: "rect" as const, color: "#d62728", opacity: 0.12 }, encoding: { x: { field: "start", ...UTC_TIME }, x2: { field: "end" } } }] : []),
        { data: { values: mine }, mark: { type: "area", opacity: 0.2 }, encoding: { x: { field: "ts", ...UTC_TIME, title: null }, y: { field: "lower_bound", type: "quantitative", title: null }, y2: { field: "upper_bound" } } },
        { data: { values: mine }, mark: "line", encoding: { x: { field: "ts", ...UTC_TIME }, y: { field: "y", type: "quantitative" } } },
        { data: { values: mine.filter((v) => v.is_anomaly) }, mark: { type: "point", color: "#d62728", filled: true, size: 40 }, encoding: { x: { field: "ts", ...UTC_TIME }, y: { field: "y", type: "quantitative" } } },
      ],
    })}</figure>`;
  }));
  return panels.join("\n");
}

/**
 * One row per device that had a fault or an alert: fault windows as bars (by kind), alerts as ticks
 * at their first breach, dark when they count for a fault of the device, red when outside all.
 */
async function faultTimeline(alerts: readonly TenantAlert[], faults: readonly FaultLabel[]): Promise<string> {
  // No explicit time domain: vega-lite warns on one in a layered chart (its layers convert it differently).
  const windows = faults.map((f) => ({ device: f.deviceId, ts: iso(f.start), end: iso(f.end), fault: f.fault }));
  const ticks = alerts.map((a) => ({ device: a.deviceId, ts: iso(a.firstTs), rule: a.ruleId, alert: alertInFault(a, faults) ? "in a fault window" : "outside any fault" }));
  const devices = [...new Set([...windows.map((w) => w.device), ...ticks.map((t) => t.device)])].sort();
  return svg({
    $schema: SCHEMA, width: 520, height: Math.max(60, 32 * devices.length),
    encoding: {
      x: { field: "ts", ...UTC_TIME, title: null },
      y: { field: "device", type: "nominal", title: null, sort: devices },
    },
    layer: [
      ...(windows.length ? [{
        // Two kinds can overlap on one device (a dust event during a drift): each kind has its lane in the row.
        data: { values: windows }, mark: { type: "bar" as const, opacity: 0.6 },
        encoding: { x2: { field: "end" }, yOffset: { field: "fault", type: "nominal" as const }, color: { field: "fault", type: "nominal" as const, title: "injected fault" } },
      }] : []),
      ...(ticks.length ? [{
        data: { values: ticks }, mark: { type: "tick" as const, thickness: 2, size: 28 },
        encoding: { stroke: { field: "alert", type: "nominal" as const, title: "alert", scale: { domain: ["in a fault window", "outside any fault"], range: ["#222", "#d62728"] } } },
      }] : []),
    ],
    resolve: { scale: { color: "independent" } },
  } as TopLevelSpec);
}

function faultTable(a: AlertOutcome): string {
  const rows = a.byKind.map((k) => `<tr><td>${esc(k.kind)}</td><td>${esc(k.metric)}</td><td>${k.injected}</td><td>${k.found}</td><td>${k.rules.length ? esc(k.rules.join(", ")) : "none: thresholds cannot see it"}</td></tr>`);
  return `<p>${a.injected} faults injected, ${a.found} found by an alert of their device; ${a.alerts} alerts, ${a.falseAlerts} outside any fault
(precision ${num(a.precision)}, recall ${num(a.recall)}, F1 ${num(a.f1)}). An alert counts for a fault when its device is the fault's
and its first breach falls in the window (or within the hour before it), whichever rule raised it: a kind no rule watches is found
only when another rule of the same device breaches meanwhile.</p>
<table class="kpi"><tr><th>fault</th><th>metric</th><th>injected</th><th>found</th><th>threshold rules on its metric</th></tr>
${rows.join("\n")}</table>`;
}

async function costChart(cost: CostReport, warehouses: readonly string[]): Promise<string> {
  const cumulative: Array<{ warehouse: string; hour: string; credits: number }> = [];
  const rules: Array<{ warehouse: string; value: number; label: string }> = [];
  for (const name of warehouses) {
    let c = 0;
    for (const h of cost.hourly.filter((x) => x.warehouse === name).sort((a, b) => a.hour.getTime() - b.hour.getTime())) {
      cumulative.push({ warehouse: name, hour: iso(h.hour), credits: (c += h.credits) });
    }
    const w = cost.warehouses.find((x) => x.warehouse === name);
    if (w?.quota) {
      rules.push({ warehouse: name, value: w.quota, label: "quota" });
      for (const t of w.triggers) rules.push({ warehouse: name, value: (w.quota * t.percent) / 100, label: `${t.action} ${t.percent} %` });
    }
  }
  if (cumulative.length === 0) return "<p>No credits metered on the tenant's warehouses in this run.</p>";
  return svg({
    $schema: SCHEMA, width: 520, height: 160,
    layer: [
      { data: { values: cumulative }, mark: { type: "line", point: true }, encoding: { x: { field: "hour", ...UTC_TIME, title: null }, y: { field: "credits", type: "quantitative", title: "cumulative credits" }, color: { field: "warehouse", type: "nominal" } } },
      ...(rules.length ? [{ data: { values: rules }, mark: { type: "rule" as const, strokeDash: [4, 3] }, encoding: { y: { field: "value", type: "quantitative" as const }, color: { field: "warehouse", type: "nominal" as const } } }] : []),
    ],
  });
}

export interface ReportInput {
  readonly engine: EmbeddedEngine;
  readonly summaries: readonly TenantRunSummary[];
  readonly cost: CostReport;
  readonly labels: readonly FaultLabel[];
  readonly period: { readonly from: Date; readonly to: Date };
  readonly tenantWarehouses: ReadonlyMap<string, readonly string[]>;
}

/** Render the report's HTML. */
export async function operatorReportHtml(r: ReportInput): Promise<string> {
  const sections: string[] = [];
  for (const s of r.summaries) {
    const rows = await tenantRows(r.engine, s.tenantId);
    const a = s.anomalies;
    const f = s.alertsOnFaults;
    const faults = r.labels.filter((l) => l.tenantId === s.tenantId && l.end > r.period.from);
    const alerts = await tenantAlerts(r.engine, s.tenantId, r.period.from);
    sections.push(`<section>
<h2>${esc(s.tenantId)}</h2>
<table class="kpi"><tr><th>readings</th><th>quarantined</th><th>utilisation</th><th>OEE</th><th>worst AQI</th><th>bottleneck</th><th>faults found by alerts / injected</th><th>found by the anomaly model</th><th>credits</th></tr>
<tr><td>${s.rawReadings.toLocaleString("en")}</td><td>${s.quarantined.toLocaleString("en")}</td><td>${pct(s.utilization)}</td><td>${pct(s.oee)}</td><td>${esc(s.worstAqiCategory ?? "–")}</td>
<td>${esc(s.bottleneckStation ?? "–")}</td><td>${f ? `${f.found} / ${f.injected} (F1 ${num(f.f1)})` : "–"}</td>
<td>${a ? `${a.detected} / ${a.injected} (F1 ${num(a.f1)})` : "not scored"}</td><td>${num(s.cost.credits, 3)}</td></tr></table>
<h3>Utilisation and OEE per machine</h3>${rows.machines.length ? await machineChart(rows.machines) : "<p>No machine hours yet.</p>"}
<h3>Air quality index over time</h3>${rows.aqi.length ? await aqiChart(rows.aqi) : "<p>No air-quality readings yet.</p>"}
<h3>Flow bottlenecks</h3>${rows.stations.length ? await flowChart(rows.stations) : "<p>No completed station visits yet.</p>"}
<h3>Injected faults and alerts per device</h3>${f ? faultTable(f) : ""}
${faults.length || alerts.length ? await faultTimeline(alerts, faults) : "<p>No faults injected and no alerts raised in this run.</p>"}
<h3>Anomalies on their series</h3>${rows.anomalies.length ? await anomalyChart(rows.anomalies, r.labels.filter((l) => l.tenantId === s.tenantId)) : "<p>No anomaly scores yet (they come from the retraining step).</p>"}
<h3>Cost against quota</h3>${await costChart(r.cost, r.tenantWarehouses.get(s.tenantId) ?? [])}
${s.cost.quotas.map((q) => `<p>${esc(q.warehouse)}: ${num(q.used, 3)} of ${q.quota ?? "–"} credits (${q.pctOfQuota === null ? "–" : `${q.pctOfQuota.toFixed(1)} %`}) ${q.triggers.length ? `— ${q.triggers.map(esc).join("; ")}` : ""}</p>`).join("\n")}
</section>`);
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Manufacturing Data Hub — operator report</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;color:#222}
h1{font-size:1.5rem}h2{border-bottom:1px solid #ccc;margin-top:2.5rem}h3{font-size:1rem;margin:1.5rem 0 .3rem}
table.kpi{border-collapse:collapse}table.kpi td,table.kpi th{border:1px solid #ddd;padding:.25rem .6rem;text-align:right}
figure{margin:.5rem 0}figcaption{font-size:.85rem;color:#555}
</style></head><body>
<h1>Manufacturing Data Hub — operator report</h1>
<p>Simulated ${esc(r.period.from.toISOString().slice(0, 16))}Z → ${esc(r.period.to.toISOString().slice(0, 16))}Z on the embedded default.
Shared pipeline credits: ${num(r.cost.totals.credits, 3)} in total, charged back to tenants by query share.</p>
${sections.join("\n")}
</body></html>
`;
}

export async function writeOperatorReport(path: string, r: ReportInput): Promise<void> {
  writeFileSync(path, await operatorReportHtml(r));
}
