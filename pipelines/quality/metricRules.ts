/**
 * What each sensor type may report: the metric catalogue with hard ranges (outside: quarantine)
 * and soft ranges (inside hard, outside soft: kept with a lower quality score). The same rules
 * drive the zod payload schemas at ingest and the validation SQL in the warehouse, so a reading
 * is judged the same way on both paths.
 */
export const SENSOR_TYPES = ["MACHINE", "ENERGY", "AIR_QUALITY"] as const;
export type SensorType = (typeof SENSOR_TYPES)[number];

export const MACHINE_STATES = ["RUNNING", "IDLE", "SETUP", "DOWN"] as const;
export type MachineState = (typeof MACHINE_STATES)[number];

export interface NumericMetricRule {
  readonly sensorType: SensorType;
  readonly metric: string;
  readonly kind: "number";
  readonly unit: string;
  readonly min: number;
  readonly max: number;
  readonly softMin: number;
  readonly softMax: number;
  readonly required: boolean;
  readonly description: string;
}

export interface TextMetricRule {
  readonly sensorType: SensorType;
  readonly metric: string;
  readonly kind: "text";
  readonly allowed: readonly string[];
  readonly required: boolean;
  readonly description: string;
}

export type MetricRule = NumericMetricRule | TextMetricRule;

function num(
  sensorType: SensorType,
  metric: string,
  unit: string,
  [min, max]: [number, number],
  [softMin, softMax]: [number, number],
  description: string,
  required = false,
): NumericMetricRule {
  return { sensorType, metric, kind: "number", unit, min, max, softMin, softMax, required, description };
}

export const METRIC_RULES: readonly MetricRule[] = [
  // Machines, 1 Hz (seed 004): state, cycles, spindle load.
  {
    sensorType: "MACHINE",
    metric: "state",
    kind: "text",
    allowed: MACHINE_STATES,
    required: true,
    description: "operating state during the sample period",
  },
  num("MACHINE", "period_s", "s", [0.001, 3600], [0.5, 60], "seconds this reading covers", true),
  // The counters come with the reading whose period completes a cycle, and are absent from the
  // others (absent cycles = none completed; see METRIC_GROUPS). A 1 Hz machine finishes a cycle
  // every few tens of seconds, so four zero or unchanged counters in every reading were four of its
  // nine silver rows, carrying nothing. Report-on-change, as MTConnect agents report part counts.
  num("MACHINE", "cycles", "count", [0, 10_000], [0, 10], "cycles completed during the period; absent when none"),
  num("MACHINE", "good_parts", "count", [0, 10_000], [0, 10], "good parts among those cycles"),
  num("MACHINE", "ideal_cycle_s", "s", [0.01, 86_400], [1, 3_600], "nominal cycle time of the job those cycles belong to"),
  num("MACHINE", "cycle_count", "count", [0, 1e15], [0, 1e12], "cumulative cycle counter after the period's cycles"),
  num("MACHINE", "spindle_load_pct", "%", [0, 200], [0, 110], "spindle load"),
  num("MACHINE", "spindle_speed_rpm", "rpm", [0, 60_000], [0, 30_000], "spindle speed"),
  num("MACHINE", "temperature_c", "°C", [-40, 250], [0, 120], "machine temperature"),
  // Energy meters, every 15 s.
  num("ENERGY", "period_s", "s", [0.001, 3600], [1, 300], "seconds this reading covers", true),
  num("ENERGY", "voltage_v", "V", [0, 1_000], [180, 500], "RMS voltage", true),
  num("ENERGY", "current_a", "A", [0, 10_000], [0, 2_000], "RMS current", true),
  num("ENERGY", "power_factor", "", [0, 1], [0.5, 1], "power factor", true),
  num("ENERGY", "power_kw", "kW", [0, 100_000], [0, 5_000], "mean active power over the period", true),
  num("ENERGY", "kwh", "kWh", [0, 100_000], [0, 500], "energy consumed during the period", true),
  num("ENERGY", "energy_kwh_total", "kWh", [0, 1e15], [0, 1e12], "cumulative meter reading"),
  // Air quality, every minute.
  num("AIR_QUALITY", "period_s", "s", [0.001, 3600], [10, 900], "seconds this reading covers", true),
  num("AIR_QUALITY", "co2_ppm", "ppm", [0, 40_000], [350, 5_000], "CO2", true),
  num("AIR_QUALITY", "voc_ppb", "ppb", [0, 60_000], [0, 10_000], "total VOCs"),
  num("AIR_QUALITY", "pm1_ugm3", "µg/m³", [0, 1_000], [0, 500], "PM1"),
  num("AIR_QUALITY", "pm25_ugm3", "µg/m³", [0, 1_000], [0, 500], "PM2.5", true),
  num("AIR_QUALITY", "pm4_ugm3", "µg/m³", [0, 1_000], [0, 500], "PM4"),
  num("AIR_QUALITY", "pm10_ugm3", "µg/m³", [0, 2_000], [0, 600], "PM10"),
  num("AIR_QUALITY", "temperature_c", "°C", [-40, 85], [5, 40], "air temperature"),
  num("AIR_QUALITY", "humidity_pct", "%", [0, 100], [10, 90], "relative humidity"),
  num("AIR_QUALITY", "pressure_hpa", "hPa", [300, 1_100], [900, 1_080], "barometric pressure"),
];

/**
 * Metrics a reading carries all together or not at all: the counts of a completed cycle are only
 * meaningful with each other (OEE's performance needs each cycle's ideal time, its quality the good
 * parts among the cycles). The ingest refuses a reading that has some of a group but not all.
 */
export interface MetricGroup {
  readonly sensorType: SensorType;
  readonly metrics: readonly string[];
}

export const METRIC_GROUPS: readonly MetricGroup[] = [{ sensorType: "MACHINE", metrics: ["cycles", "good_parts", "ideal_cycle_s"] }];

export function groupsFor(sensorType: SensorType): readonly MetricGroup[] {
  return METRIC_GROUPS.filter((g) => g.sensorType === sensorType);
}

export function rulesFor(sensorType: SensorType): readonly MetricRule[] {
  return METRIC_RULES.filter((r) => r.sensorType === sensorType);
}

/** Limits on reading timestamps relative to the clock at validation time. */
export const TIMESTAMP_LIMITS = {
  /** A reading stamped further ahead than this is refused (device clock wrong). */
  maxFutureSeconds: 300,
  /** A reading older than this is refused (replayed or stuck buffer). */
  maxAgeSeconds: 7 * 24 * 3600,
  /** Older than this at validation, the reading is kept with a lower quality score. */
  lateAfterSeconds: 300,
} as const;

/** How much a soft-range excursion and a late arrival each take off the quality score of 1. */
export const QUALITY_PENALTIES = { outsideSoftRange: 0.3, late: 0.2 } as const;
