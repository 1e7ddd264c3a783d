/**
 * The operator report (`.hub/report.html`): one self-contained HTML file — inline SVG charts drawn
 * by vega-lite at write time, no script, no network — with, per tenant, utilisation and OEE per
 * machine, AQI over time, flow bottlenecks, the injected fault windows and the alerts on a timeline
 * per device (with found/injected per fault kind), the champion's energy forecast with its interval
 * after the meter's last observed hours, anomalies marked on their series next to the fault
 * windows, and cost against quota. Time charts show the run's period (not the hub's history). Data is read from the warehouse by an admin session.
 */
import { writeFileSync } from "node:fs";
import { chartSvg as svg, type TopLevelSpec } from "../../../pipelines/chartSvg.ts";
import type { EmbeddedEngine } from "../../../pipelines/engine/embeddedEngine.ts";
import { duckdbDialect } from "../../../pipelines/dialect/index.ts";
import { pm25AqiSql } from "../../../pipelines/quality/aqi.ts";
import type { CostReport } from "../../../pipelines/cost/costReport.ts";
import { creditsPerWarehouseChart, moneyText } from "../../../pipelines/cost/costFormats.ts";
import { PLATFORM_TENANT } from "../../../pipelines/cost/costQueries.ts";
import { PM25_BREAKPOINTS } from "../../../pipelines/quality/aqi.ts";
import type { FaultLabel } from "../../../edge/faultInjection.ts";
import type { TenantRunSummary } from "./runSummary.ts";
import { alertInFault, tenantAlerts, type AlertOutcome, type TenantAlert } from "./alertScoring.ts";

const SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";
/** Time axes in UTC, 24-hour clock: the hub's times are UTC wherever the report is opened. */
const UTC_TIME = { type: "temporal" as const, scale: { type: "utc" as const }, axis: { format: "%d %b %H:%M", labelAngle: -30 } };
/** At most this many anomaly series are drawn per tenant (those with the most flags). */
const ANOMALY_SERIES = 3;

function esc(s: unknown): string {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

const pct = (v: number | null | undefined) => (v === null || v === undefined ? "–" : `${(v * 100).toFixed(1)} %`);
const num = (v: number | null | undefined, digits = 2) => (v === null || v === undefined ? "–" : v.toFixed(digits));
const iso = (d: Date | string) => (typeof d === "string" ? d : d.toISOString());

/** One row of the fleet overview: a plant (site) of a tenant. */
interface PlantRow {
  tenant_id: string;
  site_id: string;
  utilization: number | null;
  oee: number | null;
  kwh: number | null;
  aqi_now: number | null;
  aqi_now_category: string | null;
  aqi_worst: number | null;
  aqi_worst_category: string | null;
  alerts: number;
  open_alerts: number;
  last_data: Date | null;
}

/**
 * Per plant: the KPIs at a glance. AQI now is the worst location's latest reading; the worst of
 * the period is the highest hourly mean of any location (what the AQI chart draws). Alerts are the
 * period's, by their first breaching reading (alertScoring.ts's instant): the history's are counted
 * apart (historyAlerts). An alert is open when its device breached its rule in the last hour of the period.
 */
async function plantRows(engine: EmbeddedEngine, tenants: readonly string[], from: Date, until: Date): Promise<PlantRow[]> {
  if (!tenants.length) return [];
  const list = tenants.map((t) => `'${t.replaceAll("'", "''")}'`).join(", ");
  const end = `TIMESTAMP '${until.toISOString().replace("T", " ").replace("Z", "")}'`;
  // Over the period: a hub with history (npm start's, history.ts) holds weeks before it.
  const start = `TIMESTAMP '${from.toISOString().replace("T", " ").replace("Z", "")}'`;
  return engine.control<PlantRow>(
    `WITH sites AS (
       SELECT DISTINCT tenant_id, site_id FROM ANALYTICS.MACHINE_UTILIZATION_HOURLY WHERE tenant_id IN (${list})
       UNION SELECT DISTINCT tenant_id, site_id FROM ANALYTICS.ENERGY_HOURLY WHERE tenant_id IN (${list})
       UNION SELECT DISTINCT tenant_id, site_id FROM ANALYTICS.AIR_QUALITY_CURRENT WHERE tenant_id IN (${list})),
     m AS (SELECT tenant_id, site_id, SUM(run_s) / NULLIF(SUM(observed_s), 0) AS utilization, AVG(oee) AS oee FROM ANALYTICS.MACHINE_UTILIZATION_HOURLY WHERE hour >= ${start} GROUP BY ALL),
     e AS (SELECT tenant_id, site_id, SUM(kwh) AS kwh FROM ANALYTICS.ENERGY_HOURLY WHERE hour >= ${start} GROUP BY ALL),
     now AS (SELECT tenant_id, site_id, MAX(aqi_pm25) AS aqi_now FROM ANALYTICS.AIR_QUALITY_CURRENT GROUP BY ALL),
     hourly AS (SELECT tenant_id, site_id, ${pm25AqiSql(duckdbDialect, "AVG(value)")} AS aqi FROM CORE.SENSOR_READINGS_NORMALIZED
                WHERE metric = 'pm25_ugm3' AND tenant_id IN (${list}) AND ts >= ${start} GROUP BY tenant_id, site_id, device_id, DATE_TRUNC('hour', ts)),
     worst AS (SELECT tenant_id, site_id, MAX(aqi) AS aqi_worst FROM hourly GROUP BY ALL),
     devices AS (SELECT DISTINCT tenant_id, site_id, machine_id AS device_id FROM ANALYTICS.MACHINE_UTILIZATION_HOURLY WHERE tenant_id IN (${list})
       UNION SELECT DISTINCT tenant_id, site_id, meter_id FROM ANALYTICS.ENERGY_HOURLY WHERE tenant_id IN (${list})
       UNION SELECT DISTINCT tenant_id, site_id, location_id FROM ANALYTICS.AIR_QUALITY_CURRENT WHERE tenant_id IN (${list})),
     -- A model's alert has no site (its scores are per series): it is its device's plant's.
     a AS (SELECT al.tenant_id, COALESCE(al.site_id, d.site_id) AS site_id, COUNT(*) AS alerts, COUNT(*) FILTER (WHERE al.last_ts >= ${end} - INTERVAL 1 HOUR) AS open_alerts
           FROM ANALYTICS.ALERTS al LEFT JOIN devices d ON d.tenant_id = al.tenant_id AND d.device_id = al.device_id
           WHERE COALESCE(al.first_ts, al.window_start) >= ${start} GROUP BY ALL),
     last AS (SELECT tenant_id, site_id, MAX(ts) AS last_data FROM CORE.SENSOR_READINGS_NORMALIZED WHERE tenant_id IN (${list}) GROUP BY ALL)
     SELECT s.tenant_id, s.site_id, m.utilization, m.oee, e.kwh, now.aqi_now, worst.aqi_worst, COALESCE(a.alerts, 0) AS alerts,
       COALESCE(a.open_alerts, 0) AS open_alerts, last.last_data
     FROM sites s LEFT JOIN m USING (tenant_id, site_id) LEFT JOIN e USING (tenant_id, site_id) LEFT JOIN now USING (tenant_id, site_id)
       LEFT JOIN worst USING (tenant_id, site_id) LEFT JOIN a USING (tenant_id, site_id) LEFT JOIN last USING (tenant_id, site_id)
     ORDER BY s.tenant_id, s.site_id`,
  ).then((rows) => rows.map((r) => ({ ...r, aqi_now_category: aqiCategory(r.aqi_now), aqi_worst_category: aqiCategory(r.aqi_worst), alerts: Number(r.alerts), open_alerts: Number(r.open_alerts) })));
}

/** The EPA category of an AQI number (the PM2.5 breakpoints' index ranges). */
function aqiCategory(aqi: number | null): string | null {
  if (aqi === null || aqi === undefined) return null;
  return (PM25_BREAKPOINTS.find((b) => aqi <= b.iHigh) ?? PM25_BREAKPOINTS.at(-1)!).category;
}

const CATEGORY_TEXT: Readonly<Record<string, string>> = {
  GOOD: "good", MODERATE: "moderate", UNHEALTHY_FOR_SENSITIVE_GROUPS: "unhealthy for sensitive groups", UNHEALTHY: "unhealthy", VERY_UNHEALTHY: "very unhealthy", HAZARDOUS: "hazardous",
};
const aqiText = (aqi: number | null, category: string | null) => (aqi === null || aqi === undefined ? "–" : `${Math.round(aqi)} ${CATEGORY_TEXT[category ?? ""] ?? ""}`.trim());

/**
 * The alerts raised on the history loaded before the period (npm start's weeks of hourly
 * aggregates), per tenant: said apart so that the overview's counts are the run's alone.
 */
function historyAlerts(summaries: readonly TenantRunSummary[]): string {
  const before = summaries.filter((s) => s.alertsBefore > 0);
  if (!before.length) return "";
  return `<p>Not counted above: alerts raised on readings before the period (the hub's history): ${before.map((s) => `${esc(s.tenantId)} ${s.alertsBefore.toLocaleString("en")}`).join(", ")}.</p>`;
}

function fleetOverview(plants: readonly PlantRow[], cost: CostReport, until: Date): string {
  if (!plants.length) return "<p>No plant has reported yet.</p>";
  const money = (tenant: string) => moneyText(cost, cost.tenants.find((t) => t.tenant === tenant)?.money ?? 0);
  const ago = (d: Date | null) => (d ? `${Math.max(0, Math.round((until.getTime() - d.getTime()) / 60_000))} min` : "–");
  const rows = plants.map((p, i) => {
    const first = i === 0 || plants[i - 1]!.tenant_id !== p.tenant_id;
    const span = plants.filter((x) => x.tenant_id === p.tenant_id).length;
    return `<tr>${first ? `<th scope="rowgroup" rowspan="${span}">${esc(p.tenant_id)}</th>` : ""}<th scope="row">${esc(p.site_id)}</th><td>${pct(p.utilization)}</td><td>${pct(p.oee)}</td>
<td>${p.kwh === null ? "–" : `${Math.round(p.kwh).toLocaleString("en")} kWh`}</td><td class="aqi-${esc(p.aqi_now_category ?? "")}">${aqiText(p.aqi_now, p.aqi_now_category)}</td>
<td class="aqi-${esc(p.aqi_worst_category ?? "")}">${aqiText(p.aqi_worst, p.aqi_worst_category)}</td><td>${p.open_alerts} open / ${p.alerts}</td><td>${ago(p.last_data)}</td>${first ? `<td rowspan="${span}">${money(p.tenant_id)}</td>` : ""}</tr>`;
  });
  return `<table class="kpi fleet"><caption>Fleet overview: each plant over the period</caption>
<tr><th scope="col">tenant</th><th scope="col">plant</th><th scope="col">utilisation</th><th scope="col">OEE</th><th scope="col">energy</th><th scope="col">AQI now</th>
<th scope="col">worst AQI (hourly mean)</th><th scope="col">alerts of the period (open in the last hour / all)</th><th scope="col">last data before the end</th><th scope="col">cost (tenant)</th></tr>
${rows.join("\n")}</table>`;
}

interface Rows {
  machines: Array<{ machine_id: string; utilization: number | null; oee: number | null }>;
  energy: Array<{ meter_id: string; hour: Date; kwh: number | null }>;
  aqi: Array<{ location: string; hour: Date; aqi: number | null }>;
  stations: Array<{ station: string; mean_s: number | null; jobs: number; bottleneck_jobs: number }>;
  anomalies: Array<{ series_id: string; ts: Date; y: number | null; forecast: number | null; lower_bound: number | null; upper_bound: number | null; is_anomaly: boolean }>;
  /** The champion forecast's next hours per meter, and the meter's observed hours before them. */
  forecasts: Array<{ series_id: string; ts: Date; forecast: number | null; lower_bound: number | null; upper_bound: number | null }>;
  observed: Array<{ series_id: string; ts: Date; y: number | null }>;
}

/** Hours of a meter's observed energy drawn before its forecast. */
const FORECAST_CONTEXT_HOURS = 48;

async function tenantRows(engine: EmbeddedEngine, tenant: string, from: Date): Promise<Rows> {
  const t = tenant.replaceAll("'", "''");
  // The period's hours only: a hub with weeks of history (npm start's, history.ts) charts the run.
  const since = `TIMESTAMP '${from.toISOString().replace("T", " ").replace("Z", "")}'`;
  const machines = await engine.control<Rows["machines"][number]>(
    `SELECT machine_id, SUM(run_s) / NULLIF(SUM(observed_s), 0) AS utilization, AVG(oee) AS oee
     FROM ANALYTICS.MACHINE_UTILIZATION_HOURLY WHERE tenant_id = '${t}' GROUP BY machine_id ORDER BY machine_id`,
  );
  const energy = await engine.control<Rows["energy"][number]>(
    `SELECT meter_id, hour, kwh FROM ANALYTICS.ENERGY_HOURLY WHERE tenant_id = '${t}' AND hour >= ${since} ORDER BY hour, meter_id`,
  );
  const aqi = await engine.control<Rows["aqi"][number]>(
    `SELECT device_id AS location, DATE_TRUNC('hour', ts) AS hour, ${pm25AqiSql(duckdbDialect, "AVG(value)")} AS aqi
     FROM CORE.SENSOR_READINGS_NORMALIZED WHERE tenant_id = '${t}' AND metric = 'pm25_ugm3' AND ts >= ${since} GROUP BY ALL ORDER BY hour`,
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
  const forecasts = await engine.control<Rows["forecasts"][number]>(
    `SELECT series_id, ts, forecast, lower_bound, upper_bound FROM ML.FORECASTS WHERE tenant_id = '${t}'
     QUALIFY ROW_NUMBER() OVER (PARTITION BY series_id, ts ORDER BY scored_at DESC) = 1 ORDER BY series_id, ts`,
  );
  // series_id is "kwh:<meter>": the meter's last observed hours before the forecast starts.
  const observed = forecasts.length
    ? await engine.control<Rows["observed"][number]>(
        `WITH f AS (SELECT series_id, MIN(ts) AS t0 FROM ML.FORECASTS WHERE tenant_id = '${t}' GROUP BY series_id)
         SELECT f.series_id, e.hour AS ts, e.kwh AS y FROM f JOIN ANALYTICS.ENERGY_HOURLY e ON e.tenant_id = '${t}' AND 'kwh:' || e.meter_id = f.series_id
         WHERE e.hour < f.t0 AND e.hour >= f.t0 - INTERVAL ${FORECAST_CONTEXT_HOURS} HOUR ORDER BY f.series_id, e.hour`,
      )
    : [];
  return { machines, energy, aqi, stations, anomalies, forecasts, observed };
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

async function energyChart(rows: Rows["energy"]): Promise<string> {
  const values = rows.map((r) => ({ meter: r.meter_id, hour: iso(r.hour), kwh: r.kwh }));
  return svg({
    $schema: SCHEMA, width: 520, height: 160, data: { values },
    mark: { type: "area", opacity: 0.85 },
    encoding: {
      x: { field: "hour", ...UTC_TIME, title: null },
      y: { field: "kwh", type: "quantitative", stack: "zero", title: "kWh per hour" },
      color: { field: "meter", type: "nominal", title: "meter" },
    },
  });
}

async function aqiChart(rows: Rows["aqi"]): Promise<string> {
  // One line per location: the fleet overview's worst AQI is the highest point of these lines.
  const values = rows.map((r) => ({ location: r.location, hour: iso(r.hour), aqi: r.aqi }));
  const bands = [
    { from: 0, to: 50, band: "good" }, { from: 50, to: 100, band: "moderate" }, { from: 100, to: 150, band: "sensitive groups" }, { from: 150, to: 200, band: "unhealthy" },
  ];
  return svg({
    $schema: SCHEMA, width: 520, height: 180,
    layer: [
      { data: { values: bands }, mark: { type: "rect", opacity: 0.12 }, encoding: { y: { field: "from", type: "quantitative" }, y2: { field: "to" }, color: { field: "band", type: "nominal", scale: { domain: bands.map((b) => b.band), range: ["#2ca02c", "#dbdb00", "#ff7f0e", "#d62728"] }, title: "AQI band" } } },
      { data: { values }, mark: { type: "line", point: false }, encoding: { x: { field: "hour", ...UTC_TIME, title: null }, y: { field: "aqi", type: "quantitative", title: "PM2.5 AQI (hourly mean)" }, strokeDash: { field: "location", type: "nominal", title: "location" } } },
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

/** Per meter: its last observed hours, then the champion's forecast with its interval band. */
async function forecastChart(rows: Rows["forecasts"], observed: Rows["observed"]): Promise<string> {
  const series = [...new Set(rows.map((r) => r.series_id))];
  const panels = await Promise.all(series.map(async (s) => {
    const f = rows.filter((r) => r.series_id === s).map((r) => ({ ...r, ts: iso(r.ts) }));
    const o = observed.filter((r) => r.series_id === s).map((r) => ({ ...r, ts: iso(r.ts) }));
    return `<figure><figcaption>${esc(s)}: observed, then forecast with its interval</figcaption>${await svg({
      $schema: SCHEMA, width: 520, height: 140,
      layer: [
        { data: { values: f }, mark: { type: "area", opacity: 0.2 }, encoding: { x: { field: "ts", ...UTC_TIME, title: null }, y: { field: "lower_bound", type: "quantitative", title: "kWh per hour" }, y2: { field: "upper_bound" } } },
        { data: { values: f }, mark: { type: "line", strokeDash: [4, 3] }, encoding: { x: { field: "ts", ...UTC_TIME }, y: { field: "forecast", type: "quantitative" } } },
        ...(o.length ? [{ data: { values: o }, mark: "line" as const, encoding: { x: { field: "ts", ...UTC_TIME }, y: { field: "y", type: "quantitative" as const } } }] : []),
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
  const chart = await creditsPerWarehouseChart(cost, warehouses);
  return chart || "<p>No credits metered on the tenant's warehouses in this run.</p>";
}

export interface ReportInput {
  readonly engine: EmbeddedEngine;
  readonly summaries: readonly TenantRunSummary[];
  readonly cost: CostReport;
  readonly labels: readonly FaultLabel[];
  readonly period: { readonly from: Date; readonly to: Date };
  readonly tenantWarehouses: ReadonlyMap<string, readonly string[]>;
}

/**
 * Where the run's credits went, in the cost report's own terms: what its tenants were charged
 * (their warehouses, and their queries' share of the shared ones) and what stays the platform's
 * (the cost report's `(platform)` line: shared pipeline work no tenant's query asked for).
 */
function chargeback(cost: CostReport): string {
  const platform = cost.tenants.find((t) => t.tenant === PLATFORM_TENANT);
  const tenants = cost.tenants.filter((t) => t.tenant !== PLATFORM_TENANT);
  const charged = tenants.reduce((a, t) => a + t.credits, 0);
  return `${num(cost.totals.credits, 3)} credits (${moneyText(cost, cost.totals.money)}) in all: ${num(charged, 3)} charged back to the tenants by query share ` +
    `(${tenants.map((t) => `${t.tenant} ${num(t.credits, 3)}`).join(", ") || "none"}), ${num(platform?.credits ?? 0, 3)} kept as the platform's: the shared pipeline's own work, as the cost report's ${PLATFORM_TENANT} line.`;
}

/** Render the report's HTML. */
export async function operatorReportHtml(r: ReportInput): Promise<string> {
  const sections: string[] = [];
  for (const s of r.summaries) {
    const rows = await tenantRows(r.engine, s.tenantId, r.period.from);
    const a = s.anomalies;
    const f = s.alertsOnFaults;
    const faults = r.labels.filter((l) => l.tenantId === s.tenantId && l.end > r.period.from);
    const alerts = await tenantAlerts(r.engine, s.tenantId, r.period.from);
    sections.push(`<section>
<h2>${esc(s.tenantId)}</h2>
<table class="kpi"><tr><th>readings</th><th>quarantined</th><th>utilisation</th><th>OEE</th><th>AQI now</th><th>worst AQI of the period</th><th>bottleneck</th><th>faults found by alerts / injected</th><th>found by the anomaly model</th><th>credits</th></tr>
<tr><td>${s.rawReadings.toLocaleString("en")}</td><td>${s.quarantined.toLocaleString("en")}</td><td>${pct(s.utilization)}</td><td>${pct(s.oee)}</td><td>${esc(CATEGORY_TEXT[s.aqiNowCategory ?? ""] ?? "–")}</td><td>${esc(CATEGORY_TEXT[s.worstAqiCategory ?? ""] ?? "–")}</td>
<td>${esc(s.bottleneckStation ?? "–")}</td><td>${f ? `${f.found} / ${f.injected} (F1 ${num(f.f1)})` : "–"}</td>
<td>${a ? `${a.detected} / ${a.injected} in its series (F1 ${num(a.f1)})${a.unscored ? `; ${a.unscored} in none` : ""}` : "not scored"}</td><td>${num(s.cost.credits, 3)}</td></tr></table>
<h3>Utilisation and OEE per machine</h3>${rows.machines.length ? await machineChart(rows.machines) : "<p>No machine hours yet.</p>"}
<h3>Energy per hour</h3>${rows.energy.length ? await energyChart(rows.energy) : "<p>No energy readings yet.</p>"}
<h3>Air quality index over time</h3>${rows.aqi.length ? await aqiChart(rows.aqi) : "<p>No air-quality readings yet.</p>"}
<h3>Flow bottlenecks</h3>${rows.stations.length ? await flowChart(rows.stations) : "<p>No completed station visits yet.</p>"}
<h3>Injected faults and alerts per device</h3>${f ? faultTable(f) : ""}
${faults.length || alerts.length ? await faultTimeline(alerts, faults) : "<p>No faults injected and no alerts raised in this run.</p>"}
<h3>Energy forecast with its interval</h3>${rows.forecasts.length ? await forecastChart(rows.forecasts, rows.observed) : "<p>No forecast yet (a forecast model needs weeks of hourly energy: see --history-days).</p>"}
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
table.fleet caption{text-align:left;font-weight:600;margin:.3rem 0}table.fleet th[scope=row],table.fleet th[scope=rowgroup]{text-align:left}
td.aqi-MODERATE{background:#fbf7d5}td.aqi-UNHEALTHY_FOR_SENSITIVE_GROUPS{background:#fde3c8}td.aqi-UNHEALTHY,td.aqi-VERY_UNHEALTHY,td.aqi-HAZARDOUS{background:#f8d0d0}
figure{margin:.5rem 0}figcaption{font-size:.85rem;color:#555}
</style></head><body>
<h1>Manufacturing Data Hub — operator report</h1>
<p>Simulated ${esc(r.period.from.toISOString().slice(0, 16))}Z → ${esc(r.period.to.toISOString().slice(0, 16))}Z on the embedded default.
${esc(chargeback(r.cost))}</p>
${fleetOverview(await plantRows(r.engine, r.summaries.map((x) => x.tenantId), r.period.from, r.period.to), r.cost, r.period.to)}
${historyAlerts(r.summaries)}
${sections.join("\n")}
</body></html>
`;
}

export async function writeOperatorReport(path: string, r: ReportInput): Promise<void> {
  writeFileSync(path, await operatorReportHtml(r));
}
