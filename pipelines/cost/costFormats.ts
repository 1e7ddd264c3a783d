/**
 * The cost report in each output format: plain-text table, Markdown, CSV (one row per tenant and
 * warehouse), JSON, and one self-contained HTML file whose charts vega-lite renders to SVG.
 */
import { chartSvg as svg, type TopLevelSpec } from "../chartSvg.ts";
import type { CostReport, WarehouseCost } from "./costReport.ts";

export type CostFormat = "table" | "md" | "csv" | "json" | "html";

const iso = (d: Date | null) => (d ? d.toISOString().replace(".000Z", "Z") : "");
const n = (v: number | null, digits = 4) => (v === null ? "" : Number(v.toFixed(digits)).toString());
/** A percentage to one decimal, or to two significant digits below 1 % (0.0068 %, not 0.0 %). */
const pct = (v: number | null) => (v === null ? "" : v !== 0 && Math.abs(v) < 1 ? `${Number(v.toPrecision(2))}%` : `${v.toFixed(1)}%`);

/** Money as people read it, in the report's currency: `$0.68`, `€1,204.50`. */
export function moneyText(r: Pick<CostReport, "currency">, v: number): string {
  return new Intl.NumberFormat("en", { style: "currency", currency: r.currency, minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(v);
}

/** A warehouse no tenant used in the period: its row names that, rather than leaving the cell empty. */
export const NO_TENANT = "(none)";

function triggerText(w: WarehouseCost): string {
  return w.triggers
    .map((t) => `${t.action} ${t.percent}%: ${t.firedAt ? `fired ${iso(t.firedAt)}` : t.projectedAt ? `due ${iso(t.projectedAt)}` : "not at this rate"}`)
    .join("; ");
}

/** One row per tenant and warehouse, values as numbers (null where there is none: no monitor, no use). */
interface Row {
  tenant: string;
  warehouse: string;
  size: string;
  monitor: string | null;
  quota: number | null;
  quota_used_pct: number | null;
  idle_share: number | null;
  triggers: string;
  credits: number;
  money: number;
}

function rowsOf(r: CostReport): Row[] {
  const out: Row[] = [];
  for (const w of r.warehouses) {
    const base = { warehouse: w.warehouse, size: w.size, monitor: w.monitor, quota: w.quota, quota_used_pct: w.pctOfQuota, idle_share: w.idleShare, triggers: triggerText(w) };
    if (w.tenants.length === 0) out.push({ tenant: NO_TENANT, ...base, credits: w.credits, money: w.money });
    for (const t of w.tenants) out.push({ tenant: t.tenant, ...base, credits: t.credits, money: t.money });
  }
  return out;
}

/** The rows as text for people (tables, Markdown, HTML): rounded, percentages and money formatted. */
function rows(r: CostReport): Array<Record<string, string>> {
  return rowsOf(r).map((x) => ({
    tenant: x.tenant, warehouse: x.warehouse, size: x.size, monitor: x.monitor ?? "", quota: n(x.quota, 2), pct_of_quota: pct(x.quota_used_pct),
    idle_share: x.idle_share === null ? "" : pct(x.idle_share * 100), triggers: x.triggers, credits: n(x.credits), money: moneyText(r, x.money),
  }));
}

function textTable(data: Array<Record<string, string>>, sep = "  "): string {
  if (data.length === 0) return "(no metered credits in the period)";
  const cols = Object.keys(data[0]!);
  const width = cols.map((c) => Math.max(c.length, ...data.map((r) => r[c]!.length)));
  const line = (v: string[]) => v.map((x, i) => x.padEnd(width[i]!)).join(sep).trimEnd();
  return [line(cols), line(width.map((w) => "-".repeat(w))), ...data.map((r) => line(cols.map((c) => r[c]!)))].join("\n");
}

/** What a reader must know to read the figures right: incomplete data, other services, what was left out. */
function notes(r: CostReport): string[] {
  const out: string[] = [];
  if (r.requestedTo > r.to) out.push(`Usage data is complete until ${iso(r.to)}; the hours after it are not in ACCOUNT_USAGE yet (up to 3 hours behind).`);
  const others = r.services.filter((x) => x.serviceType !== "WAREHOUSE_METERING" && x.billed !== 0);
  if (others.length) out.push(`Other services billed: ${others.map((x) => `${x.serviceType} ${n(x.billed)} credits`).join(", ")}.`);
  if (r.cloudServicesOnly > 0) out.push(`Cloud services outside any warehouse (CLOUD_SERVICES_ONLY): ${n(r.cloudServicesOnly, 6)} credits.`);
  if (r.otherWarehouses.length) out.push(`Not the hub's, left out: ${r.otherWarehouses.join(", ")}.`);
  return out;
}

function header(r: CostReport): string {
  const who = r.tenantFilter ? ` for tenant ${r.tenantFilter}` : "";
  return [
    `Cost report${who}, ${iso(r.from)} to ${iso(r.to)}, at ${moneyText(r, r.pricePerCredit)} per credit`,
    `Compute ${n(r.totals.credits)} credits (${moneyText(r, r.totals.money)}); cloud services ${n(r.totals.cloudServices, 6)}, ` +
      `adjustment ${n(r.totals.cloudAdjustment, 6)}; billed ${n(r.totals.billed)} credits`,
    ...notes(r),
  ].join("\n");
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
    header(r).split("\n").slice(1).join("\n\n"),
    "",
    "## Per tenant",
    table(r.tenants.map((t) => ({ tenant: t.tenant, credits: n(t.credits), money: moneyText(r, t.money), share: pct(t.share * 100) }))),
    "",
    "## Per tenant and warehouse",
    table(rows(r)),
    "",
    "## Top cost drivers",
    table(r.drivers.map((d) => ({ warehouse: d.warehouse, tenant: d.tenant, job: jobText(d), queries: String(d.queries), credits: n(d.credits), money: moneyText(r, d.money) }))),
  ].join("\n");
}

function csvCell(v: string): string {
  return /[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** At most this many warehouses are drawn (the costliest); the tables list them all. */
const CHART_WAREHOUSES = 8;

/**
 * One small chart per warehouse, each on its own scale: credits used so far, with the quota and
 * trigger lines where they fall within that scale (its use so far, plus a quarter), titled with
 * the credits used of the quota. On one shared scale, a quota of 1,000 credits flattened every
 * warehouse's use of a few credits into a line at zero. `series`: the metered credits per
 * warehouse and bucket (default: the report's hours). The cost report and the operator report
 * both draw it. Empty when there is nothing to draw.
 */
export async function creditsPerWarehouseChart(
  r: CostReport,
  warehouses: readonly string[],
  series: ReadonlyArray<{ warehouse: string; hour: string; credits: number }> = r.hourly.map((h) => ({ warehouse: h.warehouse, hour: h.hour.toISOString(), credits: h.credits })),
  columns = 2,
): Promise<string> {
  const panels = r.warehouses.filter((x) => warehouses.includes(x.warehouse)).map((w) => {
    let c = 0;
    const line = series.filter((x) => x.warehouse === w.warehouse).sort((a, b) => (a.hour < b.hour ? -1 : 1)).map((h) => ({ hour: h.hour, cumulative: (c += h.credits) }));
    const top = Math.max(c * 1.25, 1e-6);
    const rules = w.quota
      ? [{ value: w.quota, label: "quota" }, ...w.triggers.map((t) => ({ value: (w.quota! * t.percent) / 100, label: `${t.action} ${t.percent}%` }))].filter((x) => x.value <= top)
      : [];
    const used = w.quota ? `${n(w.monitorUsed ?? c)} of ${n(w.quota, 2)} credits (${pct(w.pctOfQuota)} of quota)` : `${n(c)} credits, no monitor`;
    return {
      title: { text: w.warehouse, subtitle: used },
      width: 330,
      height: 150,
      layer: [
        {
          data: { values: line },
          mark: { type: "line", point: line.length < 3 },
          encoding: { x: { field: "hour", type: "temporal", title: null }, y: { field: "cumulative", type: "quantitative", title: "credits so far", scale: { domain: [0, top] } } },
        },
        ...(rules.length
          ? [{
              data: { values: rules },
              layer: [
                { mark: { type: "rule", strokeDash: [4, 4], color: "#c0392b" }, encoding: { y: { field: "value", type: "quantitative" } } },
                { mark: { type: "text", align: "left", dx: 4, dy: -4, color: "#c0392b" }, encoding: { y: { field: "value", type: "quantitative" }, text: { field: "label" }, x: { value: 0 } } },
              ],
            }]
          : []),
      ],
    };
  });
  if (!panels.length) return "";
  return svg({ $schema: "https://vega.github.io/schema/vega-lite/v5.json", title: "Credits used so far, per warehouse, on its own scale", columns, concat: panels } as unknown as TopLevelSpec);
}

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
  const overTime = await creditsPerWarehouseChart(r, r.warehouses.filter((x) => drawn.has(x.warehouse)).map((x) => x.warehouse), series);
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
</style></head><body><h1>${esc(header(r).split("\n")[0]!)}</h1>${header(r).split("\n").slice(1).map((l) => `<p>${esc(l)}</p>`).join("")}
${overTime}${byTenant}${hourlyChart}
<h2>Per tenant</h2>${table(r.tenants.map((t) => ({ tenant: t.tenant, credits: n(t.credits), money: moneyText(r, t.money), share: pct(t.share * 100) })))}
<h2>Per tenant and warehouse</h2>${table(rows(r))}
<h2>Top cost drivers</h2>${table(r.drivers.map((d) => ({ warehouse: d.warehouse, tenant: d.tenant, job: jobText(d), queries: String(d.queries), credits: n(d.credits) })))}
</body></html>`;
}

export async function formatCostReport(r: CostReport, format: CostFormat): Promise<string> {
  switch (format) {
    case "table":
      return `${header(r)}\n\n${textTable(rows(r))}\n\nTop cost drivers\n${textTable(
        r.drivers.map((d) => ({ warehouse: d.warehouse, tenant: d.tenant, job: jobText(d), queries: String(d.queries), credits: n(d.credits), money: moneyText(r, d.money) })),
      )}`;
    case "md":
      return markdown(r);
    case "csv": {
      // For spreadsheets and scripts: numbers as numbers (a percentage is the number of percent,
      // a share a fraction), money in the currency column, an empty cell only where there is no
      // value (a warehouse without a monitor has no quota).
      const cols = ["tenant", "warehouse", "size", "monitor", "quota", "quota_used_pct", "idle_share", "triggers", "credits", "money", "currency"] as const;
      const cell = (v: string | number | null) => (v === null ? "" : typeof v === "number" ? String(Number(v.toPrecision(12))) : csvCell(v));
      return [cols.join(","), ...rowsOf(r).map((x) => cols.map((c) => cell(c === "currency" ? r.currency : x[c])).join(","))].join("\n");
    }
    case "json":
      return JSON.stringify(r, null, 2);
    case "html":
      return html(r);
  }
}

/** A driver's job, marked when it is a refresh Snowflake runs in full (its credits grow with the table). */
function jobText(d: { job: string; refreshMode: "INCREMENTAL" | "FULL" | null }): string {
  return d.refreshMode === "FULL" ? `${d.job} [FULL refresh]` : d.job;
}
