/**
 * Features from the warehouse (issue 5, section 4): the gold tables, read through the `Warehouse`
 * interface, so the same queries run on DuckDB and Snowflake. Plain SQL that both engines accept
 * (no generators: the hourly grid is built here, not in SQL).
 *
 * Fixed frequency: each series is put on an hourly grid from the window's first hour to its last
 * complete hour; an hour without a row becomes NaN explicitly. The trainers' `checkSeries`
 * (ml/series.ts) interpolates runs of at most 3 missing hours and refuses longer ones with a
 * SeriesError naming the series and the hour, so a model is never trained on made-up data.
 */
import { createHash } from "node:crypto";
import type { Series, SeriesPoint } from "./contract.ts";
import type { Warehouse } from "../pipelines/warehouse/warehouse.ts";

export const HOUR_MS = 3_600_000;

/** A half-open window of whole hours [from, to). */
export interface Window {
  readonly from: Date;
  readonly to: Date;
}

/** The `days` complete hours before `now`'s hour. */
export function windowEndingAt(now: Date, days: number): Window {
  if (!(days > 0)) throw new Error(`window: days must be positive, got ${days}`);
  const to = new Date(Math.floor(now.getTime() / HOUR_MS) * HOUR_MS);
  return { from: new Date(to.getTime() - days * 24 * HOUR_MS), to };
}

/**
 * Hourly means of one metric of the air sensors, from silver (there is no hourly gold table for
 * air): a live hour's 60 readings and a history file's one hourly row give the same hourly mean, so
 * a model fitted on loaded history scores live hours on the same footing.
 */
const airHourly = (metric: string) =>
  `(SELECT tenant_id, device_id, DATE_TRUNC('hour', ts) AS hour, AVG(value) AS value FROM CORE.SENSOR_READINGS_NORMALIZED
  WHERE sensor_type = 'AIR_QUALITY' AND metric = '${metric}' GROUP BY tenant_id, device_id, DATE_TRUNC('hour', ts)) air`;

/** The hourly series the models train on; each names its table (gold, or silver's hourly means), its device column and value. */
export const HOURLY_FEATURES = {
  kwh: { table: "ANALYTICS.ENERGY_HOURLY", device: "meter_id", value: "kwh" },
  utilization: { table: "ANALYTICS.MACHINE_UTILIZATION_HOURLY", device: "machine_id", value: "utilization" },
  spindle_load: { table: "ANALYTICS.MACHINE_UTILIZATION_HOURLY", device: "machine_id", value: "avg_spindle_load_pct" },
  oee: { table: "ANALYTICS.MACHINE_UTILIZATION_HOURLY", device: "machine_id", value: "oee" },
  /** Share of the observed time DOWN: a breakdown is an hour near 1 on a series resting at 0. */
  down_share: { table: "ANALYTICS.MACHINE_UTILIZATION_HOURLY", device: "machine_id", value: "down_s / NULLIF(observed_s, 0)" },
  co2_ppm: { table: airHourly("co2_ppm"), device: "device_id", value: "value" },
  pm25_ugm3: { table: airHourly("pm25_ugm3"), device: "device_id", value: "value" },
} as const;
export type HourlyFeature = keyof typeof HOURLY_FEATURES;

function num(v: unknown): number {
  if (v === null || v === undefined) return NaN;
  const n = typeof v === "bigint" ? Number(v) : Number(v);
  return Number.isFinite(n) ? n : NaN;
}

function asDate(v: unknown): Date {
  return v instanceof Date ? v : new Date(String(v).replace(" ", "T").replace(/(?<!Z)$/, "Z"));
}

/**
 * One series per device of the tenant, `<feature>:<device>`, on the hourly grid of `window`.
 * Devices with no row in the window are absent.
 */
export async function hourlySeries(wh: Warehouse, tenantId: string, feature: HourlyFeature, window: Window): Promise<Series[]> {
  const f = HOURLY_FEATURES[feature];
  const rows = await wh.query<{ device_id: string; hour: unknown; value: unknown }>(
    `SELECT ${f.device} AS device_id, hour, ${f.value} AS value FROM ${f.table}
WHERE tenant_id = ? AND hour >= ? AND hour < ? ORDER BY ${f.device}, hour`,
    { binds: [tenantId, window.from, window.to], tag: { tenant: tenantId, job: `ml:features:${feature}` } },
  );
  const byDevice = new Map<string, Map<number, number>>();
  for (const r of rows) {
    let m = byDevice.get(r.device_id);
    if (!m) byDevice.set(r.device_id, (m = new Map()));
    m.set(asDate(r.hour).getTime(), num(r.value));
  }
  return [...byDevice].map(([device, values]) => ({ tenantId, seriesId: `${feature}:${device}`, stepMs: HOUR_MS, points: onGrid(values, window) }));
}

/** Every hour of the window; hours without a value are NaN. */
export function onGrid(values: ReadonlyMap<number, number>, window: Window): SeriesPoint[] {
  const out: SeriesPoint[] = [];
  for (let t = window.from.getTime(); t < window.to.getTime(); t += HOUR_MS) out.push({ ts: new Date(t), value: values.get(t) ?? NaN });
  return out;
}

/** Trim leading and trailing NaN hours (a device installed mid-window, or silent at the end). */
export function trimmed(s: Series): Series {
  let a = 0;
  let b = s.points.length;
  while (a < b && Number.isNaN(s.points[a]!.value)) a++;
  while (b > a && Number.isNaN(s.points[b - 1]!.value)) b--;
  return { ...s, points: s.points.slice(a, b) };
}

/** A machine's profile over the window: what the segmentation clusters on. */
export const MACHINE_PROFILE_FEATURES = ["utilization", "oee", "spindle_load_pct", "down_share"] as const;

export interface MachineProfile {
  readonly machineId: string;
  readonly features: readonly number[];
  readonly hours: number;
}

export async function machineProfiles(wh: Warehouse, tenantId: string, window: Window): Promise<MachineProfile[]> {
  const rows = await wh.query<Record<string, unknown>>(
    `SELECT machine_id, SUM(run_s) / NULLIF(SUM(observed_s), 0) AS utilization,
  AVG(oee) AS oee, SUM(spindle_load_sum) / NULLIF(SUM(spindle_load_n), 0) AS spindle_load_pct,
  SUM(down_s) / NULLIF(SUM(observed_s), 0) AS down_share, COUNT(*) AS hours
FROM ANALYTICS.MACHINE_UTILIZATION_HOURLY
WHERE tenant_id = ? AND hour >= ? AND hour < ?
GROUP BY machine_id ORDER BY machine_id`,
    { binds: [tenantId, window.from, window.to], tag: { tenant: tenantId, job: "ml:features:machine_profile" } },
  );
  return rows.map((r) => ({ machineId: String(r["machine_id"]), features: MACHINE_PROFILE_FEATURES.map((f) => num(r[f])), hours: num(r["hours"]) }));
}

/** Tenants with rows in a gold table in the window (for `--all`). */
export async function tenantsWithData(wh: Warehouse, window: Window): Promise<string[]> {
  const rows = await wh.query<{ tenant_id: string }>(
    `SELECT DISTINCT tenant_id FROM ANALYTICS.MACHINE_UTILIZATION_HOURLY WHERE hour >= ? AND hour < ?
UNION SELECT DISTINCT tenant_id FROM ANALYTICS.ENERGY_HOURLY WHERE hour >= ? AND hour < ? ORDER BY 1`,
    { binds: [window.from, window.to, window.from, window.to], tag: { job: "ml:features:tenants" } },
  );
  return rows.map((r) => r.tenant_id);
}

/**
 * sha256 of the training data in a canonical form (lineage): one line per point,
 * `series_id,ts,value` in series and time order, values with full precision, NaN as `NaN`.
 */
export function seriesHash(series: readonly Series[]): string {
  const h = createHash("sha256");
  for (const s of [...series].sort((a, b) => (a.seriesId < b.seriesId ? -1 : 1))) {
    for (const p of s.points) h.update(`${s.seriesId},${p.ts.toISOString()},${p.value}\n`);
  }
  return h.digest("hex");
}

export function profilesHash(profiles: readonly MachineProfile[]): string {
  const h = createHash("sha256");
  for (const p of [...profiles].sort((a, b) => (a.machineId < b.machineId ? -1 : 1))) h.update(`${p.machineId},${p.features.join(",")}\n`);
  return h.digest("hex");
}
