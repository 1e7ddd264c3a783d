/**
 * The cost report in each output format: plain-text table, Markdown, CSV (one row per tenant and
 * warehouse), JSON, and one self-contained HTML file whose charts vega-lite renders to SVG.
 */
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import type { CostReport, WarehouseCost } from "./costReport.ts";

export type CostFormat = "table" | "md" | "csv" | "json" | "html";

const iso = (d: Date | null) => (d ? d.toISOString().replace(".000Z", "Z") : "");
const n = (v: number | null, digits = 4) => (v === null ? "" : Number(v.toFixed(digits)).toString());
const pct = (v: number | null) => (v === null ? "" : `${v.toFixed(1)}%`);

function triggerText(w: WarehouseCost): string {
  return w.triggers
    .map((t) => `${t.action} ${t.percent}%: ${t.firedAt ? `fired ${iso(t.firedAt)}` : t.projectedAt ? `due ${iso(t.projectedAt)}` : "not at this rate"}`)
    .join("; ");
}

function rows(r: CostReport): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  for (const w of r.warehouses) {
    const base = {
      warehouse: w.warehouse, size: w.size, monitor: w.monitor ?? "", quota: n(w.quota, 2), pct_of_quota: pct(w.pctOfQuota),
      idle_share: w.idleShare === null ? "" : pct(w.idleShare * 100), triggers: triggerText(w),
    };
    if (w.tenants.length === 0) out.push({ tenant: "", ...base, credits: n(w.credits), money: n(w.money, 2) });
    for (const t of w.tenants) out.push({ tenant: t.tenant, ...base, credits: n(t.credits), money: n(t.money, 2) });
  }
  return out;
}

function textTable(data: Array<Record<string, string>>, sep = "  "): string {
  if (data.length === 0) return "(no metered credits in the period)";
  const cols = Object.keys(data[0]!);
  const width = cols.map((c) => Math.max(c.length, ...data.map((r) => r[c]!.length)));
  const line = (v: string[]) => v.map((x, i) => x.padEnd(width[i]!)).join(sep).trimEnd();
  return [line(cols), line(width.map((w) => "-".repeat(w))), ...data.map((r) => line(cols.map((c) => r[c]!)))].join("\n");
}

function header(r: CostReport): string {
  const who = r.tenantFilter ? ` for tenant ${r.tenantFilter}` : "";
  return (
    `Cost report${who}, ${iso(r.from)} to ${iso(r.to)}, at ${r.pricePerCredit} per credit\n` +
    `Compute ${n(r.totals.credits)} credits (${n(r.totals.money, 2)}); cloud services ${n(r.totals.cloudServices, 6)}, ` +
    `adjustment ${n(r.totals.cloudAdjustment, 6)}; billed ${n(r.totals.billed)} credits`
  );
}

function markdown(r: CostReport): string {
  const table = (data: Array<Record<string, string>>) => {
    if (data.length === 0) return "_none_";
    const cols = Object.keys(data[0]!);
    return [`| ${cols.join(" | ")} |`, `|${cols.map(() => "---").join("|")}|`, ...data.map((d) => `| ${cols.map((c) => d[c]).join(" | ")} |`)].join("\n");
  };
  return [
    `# ${header(r).split("\n")[0]}`,
    "",
    header(r).split("\n")[1],
    "",
    "## Per tenant",
    table(r.tenants.map((t) => ({ tenant: t.tenant, credits: n(t.credits), money: n(t.money, 2), share: pct(t.share * 100) }))),
    "",
    "## Per tenant and warehouse",
    table(rows(r)),
    "",
    "## Top cost drivers",
    table(r.drivers.map((d) => ({ warehouse: d.warehouse, tenant: d.tenant, job: d.job, queries: String(d.queries), credits: n(d.credits), money: n(d.money, 2) }))),
  ].join("\n");
}

function csvCell(v: string): string {
  return /[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

async function svg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  return view.toSVG();
}

/** At most this many warehouses are drawn (the costliest); the tables list them all. */
const CHART_WAREHOUSES = 8;

async function html(r: CostReport): Promise<string> {
  // Long periods are charted by day, so a year stays a readable, small SVG.
  const daily = r.to.getTime() - r.from.getTime() > 7 * 86_400_000;
  const bucket = (d: Date) => (daily ? new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())) : d).toISOString();
  const drawn = new Set([...r.warehouses].sort((a, b) => b.credits - a.credits).slice(0, CHART_WAREHOUSES).map((w) => w.warehouse));
  const buckets = new Map<string, { warehouse: string; hour: string; credits: number }>();
  for (const h of r.hourly) {
    if (!drawn.has(h.warehouse)) continue;
    const k = `${h.warehouse}|${bucket(h.hour)}`;
    const b = buckets.get(k) ?? { warehouse: h.warehouse, hour: bucket(h.hour), credits: 0 };
    b.credits += h.credits;
    buckets.set(k, b);
  }
  const series = [...buckets.values()];
  // Cumulative credits per monitored warehouse against its quota and trigger lines.
  const cumulative: Array<{ warehouse: string; hour: string; cumulative: number }> = [];
  const rules: Array<{ warehouse: string; value: number; label: string }> = [];
  for (const w of r.warehouses.filter((x) => drawn.has(x.warehouse))) {
    let c = 0;
    for (const h of series.filter((x) => x.warehouse === w.warehouse)) cumulative.push({ warehouse: w.warehouse, hour: h.hour, cumulative: (c += h.credits) });
    if (w.quota) {
      rules.push({ warehouse: w.warehouse, value: w.quota, label: "quota" });
      for (const t of w.triggers) rules.push({ warehouse: w.warehouse, value: (w.quota * t.percent) / 100, label: `${t.action} ${t.percent}%` });
    }
  }
  const overTime = await svg({
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: "Credits over time against quota and triggers",
    width: 720,
    height: 280,
    layer: [
      { data: { values: cumulative }, mark: "line", encoding: { x: { field: "hour", type: "temporal" }, y: { field: "cumulative", type: "quantitative", title: "credits (cumulative)" }, color: { field: "warehouse" } } },
      { data: { values: rules }, mark: { type: "rule", strokeDash: [4, 4] }, encoding: { y: { field: "value", type: "quantitative" }, color: { field: "warehouse" } } },
    ],
  } as TopLevelSpec);
  const byTenant = await svg({
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: "Credits per tenant (the 20 largest)",
    width: 720,
    height: 220,
    data: { values: r.tenants.slice(0, 20).map((t) => ({ tenant: t.tenant, credits: t.credits })) },
    mark: "bar",
    encoding: { y: { field: "tenant", type: "nominal", sort: "-x" }, x: { field: "credits", type: "quantitative" } },
  } as TopLevelSpec);
  const hourlyChart = await svg({
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: daily ? "Metered credits per day" : "Metered credits per hour",
    width: 720,
    height: 200,
    data: { values: series },
    mark: "bar",
    encoding: { x: { field: "hour", type: "temporal" }, y: { field: "credits", type: "quantitative", stack: "zero" }, color: { field: "warehouse" } },
  } as TopLevelSpec);
  const esc = (s: string) => s.replaceAll("&", "&amp;").replaceAll("<", "&lt;");
  const table = (data: Array<Record<string, string>>) =>
    data.length === 0
      ? "<p>none</p>"
      : `<table><tr>${Object.keys(data[0]!).map((c) => `<th>${esc(c)}</th>`).join("")}</tr>${data
          .map((d) => `<tr>${Object.values(d).map((v) => `<td>${esc(v)}</td>`).join("")}</tr>`)
          .join("")}</table>`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>Cost report</title><style>
body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}th{background:#f4f4f4}
</style></head><body><h1>${esc(header(r).split("\n")[0]!)}</h1><p>${esc(header(r).split("\n")[1]!)}</p>
${overTime}${byTenant}${hourlyChart}
<h2>Per tenant</h2>${table(r.tenants.map((t) => ({ tenant: t.tenant, credits: n(t.credits), money: n(t.money, 2), share: pct(t.share * 100) })))}
<h2>Per tenant and warehouse</h2>${table(rows(r))}
<h2>Top cost drivers</h2>${table(r.drivers.map((d) => ({ warehouse: d.warehouse, tenant: d.tenant, job: d.job, queries: String(d.queries), credits: n(d.credits) })))}
</body></html>`;
}

export async function formatCostReport(r: CostReport, format: CostFormat): Promise<string> {
  switch (format) {
    case "table":
      return `${header(r)}\n\n${textTable(rows(r))}\n\nTop cost drivers\n${textTable(
        r.drivers.map((d) => ({ warehouse: d.warehouse, tenant: d.tenant, job: d.job, queries: String(d.queries), credits: n(d.credits), money: n(d.money, 2) })),
      )}`;
    case "md":
      return markdown(r);
    case "csv": {
      const data = rows(r);
      if (data.length === 0) return "";
      const cols = Object.keys(data[0]!);
      return [cols.join(","), ...data.map((d) => cols.map((c) => csvCell(d[c]!)).join(","))].join("\n");
    }
    case "json":
      return JSON.stringify(r, null, 2);
    case "html":
      return html(r);
  }
}
