/**
 * Gold: the KPIs, as dynamic tables with a TARGET_LAG each. Locally they refresh incrementally:
 * only groups touched by new source rows are recomputed (see `IncrementalSpec`).
 */
import { andScope, col, INCREMENTAL, type DynamicTableDef, type MergeRule, type QueryScope } from "./types.ts";
import type { Dialect } from "../dialect/index.ts";
import { ANALYTICS_WH } from "./warehouses.ts";
import { co2BandSql, pm25AqiSql, pm25CategorySql } from "../quality/aqi.ts";
import { stationVisitsSql } from "./silver.ts";

const NORMALIZED = "CORE.SENSOR_READINGS_NORMALIZED";

function pivot(metric: string, column = "value"): string {
  return `MAX(CASE WHEN src.metric = '${metric}' THEN src.${column} END)`;
}

const hourKeys = (device: string) => [
  { column: "tenant_id", sourceExpr: (_d: Dialect, a: string) => `${a}.tenant_id` },
  { column: device, sourceExpr: (_d: Dialect, a: string) => `${a}.device_id` },
  { column: "hour", sourceExpr: (_d: Dialect, a: string) => `DATE_TRUNC('hour', ${a}.ts)` },
];

/**
 * Utilisation = run time / observed time. OEE = availability × performance × quality with
 * availability = run / (run + setup + down) (idle is no demand, not a loss of the machine),
 * performance = Σ(ideal cycle time × cycles) / run time, quality = good parts / cycles.
 * Ratios are derived from stored sums, so an incremental refresh can add new rows to a group.
 */
const MACHINE_DERIVED = {
  utilization: "run_s / NULLIF(observed_s, 0)",
  availability: "run_s / NULLIF(run_s + setup_s + down_s, 0)",
  performance: "ideal_run_s / NULLIF(run_s, 0)",
  quality: "good_parts / NULLIF(cycles, 0)",
  oee: "(run_s / NULLIF(run_s + setup_s + down_s, 0)) * (ideal_run_s / NULLIF(run_s, 0)) * (good_parts / NULLIF(cycles, 0))",
  avg_spindle_load_pct: "spindle_load_sum / NULLIF(spindle_load_n, 0)",
} as const;

/** The final SELECT list: the columns in order, derived ones computed from the stored sums. */
function selectList(columns: readonly { name: string }[], derived: Readonly<Record<string, string>>): string {
  return columns.map((c) => (c.name in derived ? `${derived[c.name]} AS ${c.name}` : c.name)).join(",\n  ");
}

function deriveRules(derived: Readonly<Record<string, string>>): Record<string, MergeRule> {
  return Object.fromEntries(Object.entries(derived).map(([k, v]) => [k, { derive: v }]));
}

const MACHINE_COLUMNS = [
  col("tenant_id", "varchar", "tenant"),
  col("site_id", "varchar", "site"),
  col("machine_id", "varchar", "machine"),
  col("hour", "timestamp", "hour, UTC"),
  col("run_s", "double", "seconds RUNNING"),
  col("idle_s", "double", "seconds IDLE"),
  col("setup_s", "double", "seconds in SETUP"),
  col("down_s", "double", "seconds DOWN"),
  col("observed_s", "double", "seconds covered by readings with a state"),
  col("utilization", "double", "run_s / observed_s"),
  col("cycles", "double", "cycles completed"),
  col("good_parts", "double", "good parts"),
  col("ideal_run_s", "double", "Σ ideal cycle time × cycles"),
  col("availability", "double", "run / (run + setup + down)"),
  col("performance", "double", "ideal_run_s / run_s"),
  col("quality", "double", "good parts / cycles"),
  col("oee", "double", "availability × performance × quality"),
  col("spindle_load_sum", "double", "Σ spindle load × seconds (for the time-weighted mean)"),
  col("spindle_load_n", "double", "seconds covered by readings with a spindle load"),
  col("avg_spindle_load_pct", "double", "mean spindle load, weighted by the readings' seconds"),
  col("readings", "bigint", "readings in the hour"),
];

export const MACHINE_UTILIZATION_HOURLY: DynamicTableDef = {
  kind: "dynamic_table",
  refreshMode: INCREMENTAL,
  schema: "ANALYTICS",
  name: "MACHINE_UTILIZATION_HOURLY",
  comment: "Per machine and hour: state seconds, utilisation, cycles and OEE.",
  targetLag: "5 minutes",
  warehouse: ANALYTICS_WH.name,
  dependsOn: [NORMALIZED],
  incremental: {
    source: NORMALIZED,
    keys: hourKeys("machine_id"),
    timeBound: { timeColumn: "ts", bucket: "hour" },
    merge: {
      columns: {
        site_id: "any",
        ...Object.fromEntries(
          ["run_s", "idle_s", "setup_s", "down_s", "observed_s", "cycles", "good_parts", "ideal_run_s", "spindle_load_sum", "spindle_load_n", "readings"].map((c) => [c, "sum" as const]),
        ),
        ...deriveRules(MACHINE_DERIVED),
      },
    },
  },
  columns: MACHINE_COLUMNS,
  // A reading's metrics always land together (one normalise batch), so partial sums over new rows
  // never split a reading.
  query: (d: Dialect, scope: QueryScope) => `WITH r AS (
  SELECT src.tenant_id, src.site_id, src.device_id, src.seq, MIN(src.ts) AS ts,
    ${pivot("state", "value_text")} AS state, ${pivot("period_s")} AS period_s, ${pivot("cycles")} AS cycles,
    ${pivot("good_parts")} AS good_parts, ${pivot("ideal_cycle_s")} AS ideal_cycle_s, ${pivot("spindle_load_pct")} AS spindle_load_pct
  FROM ${NORMALIZED} src
  WHERE src.sensor_type = 'MACHINE'${andScope(scope, "src")}
  GROUP BY src.tenant_id, src.site_id, src.device_id, src.seq
), h AS (
  SELECT tenant_id, site_id, device_id AS machine_id, DATE_TRUNC('hour', ts) AS hour,
    SUM(CASE WHEN state = 'RUNNING' THEN period_s ELSE 0 END) AS run_s,
    SUM(CASE WHEN state = 'IDLE' THEN period_s ELSE 0 END) AS idle_s,
    SUM(CASE WHEN state = 'SETUP' THEN period_s ELSE 0 END) AS setup_s,
    SUM(CASE WHEN state = 'DOWN' THEN period_s ELSE 0 END) AS down_s,
    SUM(CASE WHEN state IS NOT NULL THEN period_s ELSE 0 END) AS observed_s,
    -- Only a reading that completes a cycle carries the counts: an hour without one has 0.
    COALESCE(SUM(cycles), 0) AS cycles, COALESCE(SUM(good_parts), 0) AS good_parts, COALESCE(SUM(ideal_cycle_s * cycles), 0) AS ideal_run_s,
    -- Weighted by each reading's seconds, as the state seconds are: a 1 Hz reading weighs 1, an hourly
    -- history row (edge/fleetHistory.ts: one row per state, the state's mean load) its state's seconds.
    -- Counting readings let the live day's 86,400 readings outweigh four weeks of history 50 to 1 and
    -- averaged an hour's IDLE row with its RUNNING row as equals (docs/ml.md, issue 24).
    SUM(spindle_load_pct * period_s) AS spindle_load_sum, COALESCE(SUM(CASE WHEN spindle_load_pct IS NOT NULL THEN period_s END), 0) AS spindle_load_n, COUNT(*) AS readings
  FROM r GROUP BY tenant_id, site_id, device_id, DATE_TRUNC('hour', ts)
)
SELECT ${selectList(MACHINE_COLUMNS, MACHINE_DERIVED)}
FROM h`,
};

const ENERGY_DERIVED = {
  mean_power_factor: "power_factor_sum / NULLIF(power_factor_n, 0)",
  mean_voltage_v: "voltage_sum / NULLIF(voltage_n, 0)",
} as const;

const ENERGY_COLUMNS = [
  col("tenant_id", "varchar", "tenant"),
  col("site_id", "varchar", "site"),
  col("meter_id", "varchar", "energy meter"),
  col("hour", "timestamp", "hour, UTC"),
  col("kwh", "double", "energy consumed"),
  col("peak_kw", "double", "highest mean power of a reading period"),
  col("power_factor_sum", "double", "Σ power factor (for the mean)"),
  col("power_factor_n", "bigint", "readings with a power factor"),
  col("mean_power_factor", "double", "mean of the readings' power factors"),
  col("voltage_sum", "double", "Σ voltage (for the mean)"),
  col("voltage_n", "bigint", "readings with a voltage"),
  col("mean_voltage_v", "double", "mean voltage"),
  col("readings", "bigint", "readings in the hour (each carries the required period_s)"),
];

export const ENERGY_HOURLY: DynamicTableDef = {
  kind: "dynamic_table",
  refreshMode: INCREMENTAL,
  schema: "ANALYTICS",
  name: "ENERGY_HOURLY",
  comment: "Per meter and hour: energy, peak demand, mean power factor.",
  targetLag: "5 minutes",
  warehouse: ANALYTICS_WH.name,
  dependsOn: [NORMALIZED],
  incremental: {
    source: NORMALIZED,
    keys: hourKeys("meter_id"),
    timeBound: { timeColumn: "ts", bucket: "hour" },
    merge: {
      columns: {
        site_id: "any",
        kwh: "sum",
        peak_kw: "max",
        power_factor_sum: "sum",
        power_factor_n: "sum",
        voltage_sum: "sum",
        voltage_n: "sum",
        readings: "sum",
        ...deriveRules(ENERGY_DERIVED),
      },
    },
  },
  columns: ENERGY_COLUMNS,
  query: (_d: Dialect, scope: QueryScope) => `WITH h AS (
  SELECT src.tenant_id, src.site_id, src.device_id AS meter_id, DATE_TRUNC('hour', src.ts) AS hour,
    SUM(CASE WHEN src.metric = 'kwh' THEN src.value END) AS kwh,
    MAX(CASE WHEN src.metric = 'power_kw' THEN src.value END) AS peak_kw,
    SUM(CASE WHEN src.metric = 'power_factor' THEN src.value END) AS power_factor_sum,
    COUNT(CASE WHEN src.metric = 'power_factor' THEN src.value END) AS power_factor_n,
    SUM(CASE WHEN src.metric = 'voltage_v' THEN src.value END) AS voltage_sum,
    COUNT(CASE WHEN src.metric = 'voltage_v' THEN src.value END) AS voltage_n,
    COUNT(CASE WHEN src.metric = 'period_s' THEN 1 END) AS readings
  FROM ${NORMALIZED} src
  WHERE src.sensor_type = 'ENERGY'${andScope(scope, "src")}
  GROUP BY src.tenant_id, src.site_id, src.device_id, DATE_TRUNC('hour', src.ts)
)
SELECT ${selectList(ENERGY_COLUMNS, ENERGY_DERIVED)}
FROM h`,
};

export const AIR_QUALITY_CURRENT: DynamicTableDef = {
  kind: "dynamic_table",
  refreshMode: INCREMENTAL,
  schema: "ANALYTICS",
  name: "AIR_QUALITY_CURRENT",
  comment: "Latest reading per air-quality location, with the EPA PM2.5 AQI and the CO2 band.",
  targetLag: "1 minute",
  warehouse: ANALYTICS_WH.name,
  dependsOn: [NORMALIZED],
  incremental: {
    source: NORMALIZED,
    keys: [
      { column: "tenant_id", sourceExpr: (_d, a) => `${a}.tenant_id` },
      { column: "location_id", sourceExpr: (_d, a) => `${a}.device_id` },
    ],
    // Older rows than the newest new one cannot become the latest, but a late one may: the
    // bound is the oldest new row.
    timeBound: { timeColumn: "ts", bucket: "second" },
  },
  columns: [
    col("tenant_id", "varchar", "tenant"),
    col("site_id", "varchar", "site"),
    col("location_id", "varchar", "air-quality sensor (one per location)"),
    col("ts", "timestamp", "time of the latest reading"),
    col("co2_ppm", "double", "CO2"),
    col("voc_ppb", "double", "VOCs"),
    col("pm1_ugm3", "double", "PM1"),
    col("pm25_ugm3", "double", "PM2.5"),
    col("pm4_ugm3", "double", "PM4"),
    col("pm10_ugm3", "double", "PM10"),
    col("temperature_c", "double", "temperature"),
    col("humidity_pct", "double", "humidity"),
    col("pressure_hpa", "double", "pressure"),
    col("aqi_pm25", "double", "US EPA AQI from this reading's PM2.5 (the EPA defines it on 24 h means)"),
    col("aqi_category", "varchar", "EPA category for aqi_pm25"),
    col("co2_band", "varchar", "GOOD ≤ 800, MODERATE ≤ 1000, POOR ≤ 1500, VERY_POOR above (ppm)"),
  ],
  query: (d: Dialect, scope: QueryScope) => `WITH r AS (
  SELECT src.tenant_id, src.site_id, src.device_id, src.seq, MIN(src.ts) AS ts,
    ${pivot("co2_ppm")} AS co2_ppm, ${pivot("voc_ppb")} AS voc_ppb, ${pivot("pm1_ugm3")} AS pm1_ugm3,
    ${pivot("pm25_ugm3")} AS pm25_ugm3, ${pivot("pm4_ugm3")} AS pm4_ugm3, ${pivot("pm10_ugm3")} AS pm10_ugm3,
    ${pivot("temperature_c")} AS temperature_c, ${pivot("humidity_pct")} AS humidity_pct, ${pivot("pressure_hpa")} AS pressure_hpa
  FROM ${NORMALIZED} src
  WHERE src.sensor_type = 'AIR_QUALITY'${andScope(scope, "src")}
  GROUP BY src.tenant_id, src.site_id, src.device_id, src.seq
)
SELECT tenant_id, site_id, device_id AS location_id, ts, co2_ppm, voc_ppb, pm1_ugm3, pm25_ugm3, pm4_ugm3, pm10_ugm3,
  temperature_c, humidity_pct, pressure_hpa,
  ${pm25AqiSql(d, "pm25_ugm3")} AS aqi_pm25, ${pm25CategorySql(d, "pm25_ugm3")} AS aqi_category,
  ${co2BandSql(d, "co2_ppm")} AS co2_band
FROM r
QUALIFY ROW_NUMBER() OVER (PARTITION BY tenant_id, device_id ORDER BY ts DESC, seq DESC) = 1`,
};

/** Per job: the ordered path, cycle time, time per station and the station it waited longest at. */
export const PRODUCTION_FLOW: DynamicTableDef = {
  kind: "dynamic_table",
  refreshMode: INCREMENTAL,
  schema: "ANALYTICS",
  name: "PRODUCTION_FLOW",
  comment: "Per job: ordered station path, cycle time, seconds per station, bottleneck station.",
  targetLag: "5 minutes",
  warehouse: ANALYTICS_WH.name,
  dependsOn: ["RAW.JOB_SCANS"],
  incremental: {
    source: "RAW.JOB_SCANS",
    keys: [
      { column: "tenant_id", sourceExpr: (_d, a) => `${a}.tenant_id` },
      { column: "job_id", sourceExpr: (_d, a) => `${a}.job_id` },
    ],
  },
  columns: [
    col("tenant_id", "varchar", "tenant"),
    col("site_id", "varchar", "site"),
    col("job_id", "varchar", "job"),
    col("product_id", "varchar", "product"),
    col("product_variant", "varchar", "variant"),
    col("flow_path", "varchar", "stations in visit order, ' > '-separated"),
    col("start_ts", "timestamp", "first scan"),
    col("end_ts", "timestamp", "last scan"),
    col("cycle_time_s", "double", "end_ts - start_ts"),
    col("station_seconds", "json", "seconds per station (closed visits, summed over revisits)"),
    col("bottleneck_station", "varchar", "station with the most seconds"),
    col("bottleneck_s", "double", "its seconds"),
    col("visits", "bigint", "station visits"),
  ],
  // Reads the scans through the same visit logic as JOB_STATION_VISITS (one definition), so
  // it can refresh incrementally from the append-only scans.
  query: (d: Dialect, scope: QueryScope) => `WITH v AS (${stationVisitsSql(d, scope)}),
per_station AS (
  SELECT tenant_id, job_id, station, SUM(duration_s) AS station_s,
    -- Ties go to the station name that sorts first, so every refresh picks the same one.
    ROW_NUMBER() OVER (PARTITION BY tenant_id, job_id ORDER BY SUM(duration_s) DESC, station) AS station_rank
  FROM v WHERE duration_s IS NOT NULL GROUP BY tenant_id, job_id, station
), b AS (
  SELECT tenant_id, job_id, ${d.jsonObjectAgg("station", "station_s")} AS station_seconds,
    MAX(CASE WHEN station_rank = 1 THEN station END) AS bottleneck_station, MAX(station_s) AS bottleneck_s
  FROM per_station GROUP BY tenant_id, job_id
), j AS (
  -- MIN, not ANY_VALUE: the scans of a job carry one site and product, so both give the same value, and
  -- ANY_VALUE (non-deterministic) would keep Snowflake from refreshing the table incrementally.
  SELECT tenant_id, job_id, MIN(site_id) AS site_id, MIN(product_id) AS product_id,
    MIN(product_variant) AS product_variant, ${d.listAgg("station", "' > '", "visit_no")} AS flow_path,
    MIN(enter_ts) AS start_ts, MAX(COALESCE(leave_ts, enter_ts)) AS end_ts, COUNT(*) AS visits
  FROM v GROUP BY tenant_id, job_id
)
SELECT j.tenant_id, j.site_id, j.job_id, j.product_id, j.product_variant, j.flow_path, j.start_ts, j.end_ts,
  ${d.secondsBetween("j.start_ts", "j.end_ts")} AS cycle_time_s, b.station_seconds, b.bottleneck_station, b.bottleneck_s, j.visits
FROM j LEFT JOIN b ON b.tenant_id = j.tenant_id AND b.job_id = j.job_id`,
};

export const ALERTS: DynamicTableDef = {
  kind: "dynamic_table",
  refreshMode: INCREMENTAL,
  schema: "ANALYTICS",
  name: "ALERTS",
  comment: "Alert windows: breaches of a rule per device and hour (threshold rules and model scores).",
  targetLag: "1 minute",
  warehouse: ANALYTICS_WH.name,
  dependsOn: ["CORE.RULE_BREACHES"],
  incremental: {
    source: "CORE.RULE_BREACHES",
    keys: [
      { column: "tenant_id", sourceExpr: (_d, a) => `${a}.tenant_id` },
      { column: "device_id", sourceExpr: (_d, a) => `${a}.device_id` },
      { column: "rule_id", sourceExpr: (_d, a) => `${a}.rule_id` },
      { column: "window_start", sourceExpr: (_d, a) => `DATE_TRUNC('hour', ${a}.ts)` },
    ],
    timeBound: { timeColumn: "ts", bucket: "hour" },
    merge: {
      columns: {
        site_id: "min",
        severity: "min",
        first_ts: "min",
        last_ts: "max",
        breaches: "sum",
        worst_score: "max",
        worst_value: { argMaxOf: "worst_score" },
        source: "any",
      },
    },
  },
  columns: [
    col("tenant_id", "varchar", "tenant"),
    col("site_id", "varchar", "site"),
    col("device_id", "varchar", "device"),
    col("rule_id", "varchar", "rule"),
    col("severity", "varchar", "severity"),
    col("window_start", "timestamp", "hour"),
    col("first_ts", "timestamp", "first breach"),
    col("last_ts", "timestamp", "last breach"),
    col("breaches", "bigint", "breaching readings"),
    col("worst_score", "double", "highest score"),
    col("worst_value", "double", "value at the highest score"),
    col("source", "varchar", "RULE (threshold rule) or MODEL (ML.ANOMALIES / ML.STREAM_SCORES, via OPS.RAISE_MODEL_ALERTS)"),
  ],
  // MIN, not ANY_VALUE: a device has one site and a rule one severity, so both give the same value,
  // and ANY_VALUE (non-deterministic) would keep Snowflake from refreshing the table incrementally.
  query: (_d: Dialect, scope: QueryScope) => `SELECT src.tenant_id, MIN(src.site_id) AS site_id, src.device_id, src.rule_id,
  MIN(src.severity) AS severity, DATE_TRUNC('hour', src.ts) AS window_start,
  MIN(src.ts) AS first_ts, MAX(src.ts) AS last_ts, COUNT(*) AS breaches, MAX(src.score) AS worst_score,
  MAX_BY(src.value, src.score) AS worst_value, CASE WHEN src.rule_id LIKE 'MODEL%' THEN 'MODEL' ELSE 'RULE' END AS source
FROM CORE.RULE_BREACHES src
WHERE TRUE${andScope(scope, "src")}
GROUP BY src.tenant_id, src.device_id, src.rule_id, DATE_TRUNC('hour', src.ts)`,
};
