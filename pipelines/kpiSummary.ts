/**
 * The per-tenant snapshot `npm start` prints: what landed, what was refused, and the headline KPIs
 * read from the gold tables through the tenant's own role (so the summary is what the tenant sees).
 *
 * With a period (`from`), the KPIs and the alerts are the period's: a hub that loaded weeks of
 * history before its live hours (npm start's, scripts/lib/hub/history.ts) holds weeks of hours and
 * of alerts raised on them, which are not the run's. Readings and quarantine stay the hub's totals.
 */
import type { Warehouse } from "./warehouse/warehouse.ts";
import { co2BandSql, pm25CategorySql } from "./quality/aqi.ts";

export interface TenantSummary {
  tenantId: string;
  rawReadings: number;
  normalizedMetrics: number;
  quarantined: number;
  duplicates: number;
  machines: number;
  utilization: number | null;
  oee: number | null;
  kwh: number | null;
  /** The worst AQI category over the period: the highest hourly-mean PM2.5 of any location. */
  worstAqiCategory: string | null;
  /** The worst category now: each location's latest reading (ANALYTICS.AIR_QUALITY_CURRENT). */
  aqiNowCategory: string | null;
  /** The worst CO2 band over the period (hourly means), and now. */
  worstCo2Band: string | null;
  co2NowBand: string | null;
  jobs: number;
  bottleneckStation: string | null;
  /** Alerts raised on readings from `from` on (every alert without a period). */
  alerts: number;
  /** Alerts raised on readings before `from`: the history's (0 without a period). */
  alertsBefore: number;
}

/** What the summary's KPIs and alerts cover: the hours and readings from `from` on. */
export interface SummaryPeriod {
  readonly from: Date;
}

const AQI_ORDER = ["GOOD", "MODERATE", "UNHEALTHY_FOR_SENSITIVE_GROUPS", "UNHEALTHY", "VERY_UNHEALTHY", "HAZARDOUS"];
const CO2_ORDER = ["GOOD", "MODERATE", "POOR", "VERY_POOR"];

async function one<T extends Record<string, unknown>>(w: Warehouse, sql: string): Promise<T> {
  return ((await w.query<T>(sql))[0] ?? {}) as T;
}

/** Read a tenant's summary through a session of that tenant's role. */
export async function tenantSummary(w: Warehouse, tenantId: string, period?: SummaryPeriod): Promise<TenantSummary> {
  if (period && !Number.isFinite(period.from.getTime())) throw new Error(`tenantSummary: period.from is not a valid date (${String(period.from)})`);
  const from = period ? w.dialect.timestampLiteral(period.from.toISOString()) : null;
  // A predicate on a time column when there is a period, else nothing (every row).
  const since = (column: string, glue: "WHERE" | "AND") => (from ? ` ${glue} ${column} >= ${from}` : "");
  const raw = await one<{ n: number }>(w, "SELECT COUNT(*) AS n FROM RAW.SENSOR_READINGS");
  const norm = await one<{ n: number }>(w, "SELECT COUNT(*) AS n FROM CORE.SENSOR_READINGS_NORMALIZED");
  const q = await one<{ n: number }>(w, "SELECT COUNT(*) AS n FROM RAW.QUARANTINE");
  const dup = await one<{ n: number | null }>(w, "SELECT SUM(duplicates) AS n FROM OPS.DATA_QUALITY_LOG");
  const util = await one<{ machines: number; utilization: number | null; oee: number | null }>(
    w,
    `SELECT COUNT(DISTINCT machine_id) AS machines, SUM(run_s) / NULLIF(SUM(observed_s), 0) AS utilization,
       AVG(oee) AS oee FROM ANALYTICS.MACHINE_UTILIZATION_HOURLY${since("hour", "WHERE")}`,
  );
  const energy = await one<{ kwh: number | null }>(w, `SELECT SUM(kwh) AS kwh FROM ANALYTICS.ENERGY_HOURLY${since("hour", "WHERE")}`);
  const aq = await w.query<{ aqi_category: string; co2_band: string }>("SELECT aqi_category, co2_band FROM ANALYTICS.AIR_QUALITY_CURRENT");
  // The period's worst, on the hourly means the operator report charts (the latest reading alone
  // said GOOD beside a chart that sat in MODERATE most of the day).
  const d = w.dialect;
  const hourly = await w.query<{ aqi_category: string | null; co2_band: string | null }>(
    `SELECT ${pm25CategorySql(d, "AVG(value) FILTER (WHERE metric = 'pm25_ugm3')")} AS aqi_category,
       ${co2BandSql(d, "AVG(value) FILTER (WHERE metric = 'co2_ppm')")} AS co2_band
     FROM CORE.SENSOR_READINGS_NORMALIZED WHERE sensor_type = 'AIR_QUALITY' AND metric IN ('pm25_ugm3', 'co2_ppm')${since("ts", "AND")}
     GROUP BY device_id, DATE_TRUNC('hour', ts)`,
  );
  const flow = await one<{ jobs: number }>(w, `SELECT COUNT(*) AS jobs FROM ANALYTICS.PRODUCTION_FLOW${since("end_ts", "WHERE")}`);
  const bottleneck = await one<{ station: string | null }>(
    w,
    `SELECT bottleneck_station AS station FROM ANALYTICS.PRODUCTION_FLOW WHERE bottleneck_station IS NOT NULL${since("end_ts", "AND")}
     GROUP BY bottleneck_station ORDER BY COUNT(*) DESC, bottleneck_station LIMIT 1`,
  );
  // An alert belongs to the hour of its first breaching reading (the outbox's first_ts; its hour
  // when a row has none), the instant scripts/lib/hub/alertScoring.ts scores it at.
  const alertTs = "COALESCE(first_ts, window_start)";
  const before = from ? `SUM(${w.dialect.iff(`${alertTs} < ${from}`, "1", "0")})` : "0";
  const alerts = await one<{ n: number; n_before: number | null }>(w, `SELECT COUNT(*) AS n, ${before} AS n_before FROM OPS.ALERT_NOTIFICATIONS`);
  const worst = (values: string[], order: string[]) =>
    values.length ? values.reduce((a, b) => (order.indexOf(b) > order.indexOf(a) ? b : a)) : null;
  return {
    tenantId,
    rawReadings: raw.n ?? 0,
    normalizedMetrics: norm.n ?? 0,
    quarantined: q.n ?? 0,
    duplicates: dup.n ?? 0,
    machines: util.machines ?? 0,
    utilization: util.utilization ?? null,
    oee: util.oee ?? null,
    kwh: energy.kwh ?? null,
    worstAqiCategory: worst(hourly.flatMap((r) => (r.aqi_category ? [r.aqi_category] : [])), AQI_ORDER),
    aqiNowCategory: worst(aq.map((r) => r.aqi_category), AQI_ORDER),
    worstCo2Band: worst(hourly.flatMap((r) => (r.co2_band ? [r.co2_band] : [])), CO2_ORDER),
    co2NowBand: worst(aq.map((r) => r.co2_band), CO2_ORDER),
    jobs: flow.jobs ?? 0,
    bottleneckStation: bottleneck.station ?? null,
    alerts: Number(alerts.n ?? 0) - Number(alerts.n_before ?? 0),
    alertsBefore: Number(alerts.n_before ?? 0),
  };
}
