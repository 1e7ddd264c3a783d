/**
 * What the retraining flow does per model kind: which warehouse features it reads, how it trains
 * and evaluates the challenger against the naive baseline on held-back data, how it re-scores the
 * champion on that same data, and which ML table rows the chosen model writes. The trainers and
 * metrics are `ml/trainers` and `ml/evaluation`; this file only wires them to tenants' data.
 *
 * A tenant's model covers all its devices: one fitted model per series, metrics averaged over
 * series. A series that cannot be trained on (SeriesError: gaps, NaN runs, too short, constant) is
 * left out and named in the record's parameters; when none is left, nothing is registered.
 */
import { SeriesError, type Metrics, type ModelKind, type Series } from "./contract.ts";
import type { GateRule } from "./gate.ts";
import { evaluateForecaster } from "./evaluation/evaluateForecaster.ts";
import { silhouette } from "./evaluation/silhouette.ts";
import { timeHoldout } from "./evaluation/holdout.ts";
import {
  DEFAULT_ANOMALY_LEVEL,
  ForecastAnomalyDetector,
  RandomCutForest,
  SeasonalProfileForecaster,
  loadAnomalyModel,
  loadForecastModel,
  loadSegmentation,
  segmentMachines,
  type ForecastAnomalyJSON,
  type SegmentationJSON,
} from "./trainers/index.ts";
import type { Warehouse } from "../pipelines/warehouse/warehouse.ts";
import {
  HOUR_MS,
  MACHINE_PROFILE_FEATURES,
  hourlySeries,
  machineProfiles,
  profilesHash,
  seriesHash,
  trimmed,
  type HourlyFeature,
  type MachineProfile,
  type Window,
} from "./features.ts";
import { fitDwellModels, machineReadings, machineStateRuns, STREAM_FEATURES } from "./streamScoring.ts";
import { DEFAULT_DWELL_LEVEL, DWELL_TIME, type StateRun } from "./trainers/index.ts";

/** What a spec read from the warehouse. */
export interface TrainingData {
  readonly series: readonly Series[];
  readonly profiles: readonly MachineProfile[];
  /** Streaming detector training points per machine (anomaly only). */
  readonly streams: ReadonlyMap<string, number[][]>;
  /** Each machine's state runs over the window, for its dwell-time model (anomaly only). */
  readonly stateRuns?: ReadonlyMap<string, readonly StateRun[]>;
  readonly rowCount: number;
  readonly dataHash: string;
  /** First and last hour with data (the record's training window). */
  readonly window: { readonly from: string; readonly to: string };
}

export interface Challenger {
  readonly algorithm: string;
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly metrics: Metrics;
  readonly baselineMetrics: Metrics;
  /** The model.json body. */
  readonly artifact: unknown;
  /** Series left out, with why. */
  readonly excluded: readonly string[];
}

/** Rows for the ML table a model writes (column names as in pipelines/definitions/ml.ts). */
export type ScoreRows = ReadonlyArray<Readonly<Record<string, unknown>>>;

export interface ModelSpec {
  readonly kind: ModelKind;
  readonly rule: GateRule;
  readonly table: "ML.FORECASTS" | "ML.ANOMALIES" | "ML.SEGMENTS";
  /**
   * `target`: who trains on the data. The local trainers and SageMaker's algorithms need different
   * parts of it (anomaly: the local detector fits the hourly series first, SageMaker's RCF only
   * the machines' readings), so a spec may leave out what its target cannot use.
   */
  load(wh: Warehouse, tenantId: string, window: Window, target?: "local" | "sagemaker"): Promise<TrainingData>;
  /** Throws SeriesError (or Error) when nothing can be trained. */
  train(data: TrainingData): Challenger;
  /**
   * The champion's metrics on the challenger's held-back data, or null when it cannot be re-scored
   * fairly: its model does not load here, or it was trained on part of that held-back data
   * (`trainedUntil` at or after the holdout's start), which would favour it.
   */
  rescore(artifact: unknown, data: TrainingData, trainedUntil: Date): Metrics | null;
  /** Rows the model writes for this data. */
  score(artifact: unknown, data: TrainingData): ScoreRows;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function averaged(list: readonly Metrics[]): Metrics {
  const keys = Object.keys(list[0] ?? {});
  return Object.fromEntries(keys.map((k) => [k, mean(list.map((m) => m[k]!))]));
}

function windowOf(series: readonly Series[]): { from: string; to: string } {
  const ts = series.flatMap((s) => (s.points.length ? [s.points[0]!.ts.getTime(), s.points.at(-1)!.ts.getTime()] : []));
  if (ts.length === 0) throw new Error("no series has data in the window");
  return { from: new Date(Math.min(...ts)).toISOString(), to: new Date(Math.max(...ts)).toISOString() };
}

async function seriesData(wh: Warehouse, tenantId: string, features: HourlyFeature | readonly HourlyFeature[], window: Window): Promise<TrainingData> {
  const series: Series[] = [];
  for (const feature of typeof features === "string" ? [features] : features) {
    series.push(...(await hourlySeries(wh, tenantId, feature, window)).map(trimmed).filter((s) => s.points.length > 0));
  }
  const rowCount = series.reduce((a, s) => a + s.points.filter((p) => Number.isFinite(p.value)).length, 0);
  return { series, profiles: [], streams: new Map(), rowCount, dataHash: seriesHash(series), window: series.length ? windowOf(series) : { from: window.from.toISOString(), to: window.to.toISOString() } };
}

/** Run `fn` per series; SeriesErrors exclude the series (named), anything else is a bug and throws. */
function perSeries<T>(series: readonly Series[], fn: (s: Series) => T): { results: Map<string, T>; excluded: string[] } {
  const results = new Map<string, T>();
  const excluded: string[] = [];
  for (const s of series) {
    try {
      results.set(s.seriesId, fn(s));
    } catch (e) {
      if (e instanceof SeriesError) excluded.push(e.message);
      else throw e;
    }
  }
  if (results.size === 0) {
    throw new Error(series.length ? `no series could be trained: ${excluded.join("; ")}` : "no series has data in the window");
  }
  return { results, excluded };
}

/**
 * Hours held back for evaluation: a quarter of the series in whole days, at least one day (the
 * forecast horizon) and at most one week. Four weeks of history hold back a week; three days, one.
 */
export function holdoutHours(points: number): number {
  return Math.min(168, Math.max(24, Math.floor(points / 4 / 24) * 24));
}

/** Whether a model trained until `trainedUntil` has not seen the series' held-back hours. */
function unseenHoldout(s: Series, trainedUntil: Date): boolean {
  const start = s.points[s.points.length - holdoutHours(s.points.length)]?.ts;
  return start !== undefined && trainedUntil.getTime() < start.getTime();
}

/** A forecaster that returns an already fitted model: scores the champion like a challenger. */
function fixed(model: ReturnType<typeof loadForecastModel>) {
  return { algorithm: model.algorithm, fit: () => model };
}

export const FORECAST_HORIZON_HOURS = 24;

export const FORECAST_SPEC: ModelSpec = {
  kind: "forecast",
  rule: { metric: "mase", higherIsBetter: false, margin: 0.02 },
  table: "ML.FORECASTS",
  load: (wh, tenantId, window) => seriesData(wh, tenantId, "kwh", window),
  train(data) {
    const { results, excluded } = perSeries(data.series, (s) => ({
      evaluation: evaluateForecaster(new SeasonalProfileForecaster(), s, { holdoutSteps: holdoutHours(s.points.length) }),
      model: new SeasonalProfileForecaster().fit(s),
      holdout: holdoutHours(s.points.length),
    }));
    const evals = [...results.values()].map((r) => r.evaluation);
    return {
      algorithm: "seasonal_profile_ar1",
      parameters: { feature: "kwh", horizonHours: FORECAST_HORIZON_HOURS, holdoutHours: Math.max(...[...results.values()].map((r) => r.holdout)), series: [...results.keys()], excluded },
      metrics: averaged(evals.map((e) => e.model)),
      baselineMetrics: averaged(evals.map(({ baseline: { period: _p, ...m } }) => m)),
      artifact: { kind: "forecast", models: Object.fromEntries([...results].map(([id, r]) => [id, r.model.toJSON()])) },
      excluded,
    };
  },
  rescore(artifact, data, trainedUntil) {
    const models = (artifact as { models?: Record<string, unknown> }).models ?? {};
    const list: Metrics[] = [];
    for (const s of data.series) {
      if (!models[s.seriesId]) continue;
      if (!unseenHoldout(s, trainedUntil)) return null;
      try {
        list.push(evaluateForecaster(fixed(loadForecastModel(models[s.seriesId])), s, { holdoutSteps: holdoutHours(s.points.length) }).model);
      } catch (e) {
        if (!(e instanceof SeriesError)) throw e;
      }
    }
    return list.length ? averaged(list) : null;
  },
  score(artifact, data) {
    const models = (artifact as { models: Record<string, unknown> }).models;
    return data.series.flatMap((s) => {
      const json = models[s.seriesId];
      if (!json) return [];
      const rows = loadForecastModel(json).forecast(FORECAST_HORIZON_HOURS, { history: s });
      return rows.map((r) => ({ series_id: s.seriesId, ts: r.ts, forecast: r.forecast, lower_bound: r.lower_bound, upper_bound: r.upper_bound }));
    });
  },
};

/**
 * The hourly series the anomaly model watches, one detector per device and feature: utilisation
 * (what the gate and drift have always judged it on), and each series a fault shows in at the hour's
 * resolution (the bench scores the same, bench/ml.bench.ts FAULT_SHAPES): the share of time DOWN
 * (breakdowns: a utilisation that swings with the shift load hides a stopped hour within its
 * interval), kWh per meter (surges), CO2 (drifts) and PM2.5 (dust) per air sensor. A stuck air
 * temperature shows only in how often the reading changes, which hourly history cannot give.
 */
export const ANOMALY_FEATURES: readonly HourlyFeature[] = ["utilization", "down_share", "kwh", "co2_ppm", "pm25_ugm3"];

/** Hours the anomaly model scores on each run (rows already in ML.ANOMALIES are not written again). */
export const ANOMALY_SCORE_HOURS = 48;

/** The scored hours, fewer on a short series so that two days remain to fit on. */
function scoredHours(points: number): number {
  return Math.max(1, Math.min(ANOMALY_SCORE_HOURS, points - 48));
}

export const ANOMALY_SPEC: ModelSpec = {
  kind: "anomaly",
  // One-step forecast error of the detector's own forecaster against the naive one: the interval
  // it flags by is only as good as that forecast (there are no labels in a tenant's data).
  rule: { metric: "mase", higherIsBetter: false, margin: 0.02 },
  table: "ML.ANOMALIES",
  async load(wh, tenantId, window, target = "local") {
    const base = await seriesData(wh, tenantId, ANOMALY_FEATURES, window);
    // The local trainer gives up unless some hourly series is longer than its held-back hours
    // (timeHoldout), before it looks at the machines' readings: reading those for nothing cost
    // ~2.3 s of CPU per tenant on npm start's default day, whose 24 hours are too few.
    if (target === "local" && !base.series.some((s) => s.points.length > holdoutHours(s.points.length))) {
      return { ...base, streams: new Map(), stateRuns: new Map() };
    }
    const streams = await machineReadings(wh, tenantId, { since: new Date(window.to.getTime() - 7 * 24 * HOUR_MS), until: window.to, limitPerDevice: 5000 });
    // The whole window, not the forest's last week: a machine stops only ~1–2 times a day, and
    // the dwell model wants 15 completed DOWN stays.
    const stateRuns = await machineStateRuns(wh, tenantId, { since: window.from, until: window.to });
    return { ...base, streams, stateRuns };
  },
  train(data) {
    const { results, excluded } = perSeries(data.series, (s) => {
      const holdout = holdoutHours(s.points.length);
      const evaluation = evaluateForecaster(new SeasonalProfileForecaster(), s, { horizon: 1, holdoutSteps: holdout });
      const { train, test } = timeHoldout(s, holdout);
      const rate = mean(new ForecastAnomalyDetector().fit(train).detect(test).map((r) => (r.is_anomaly ? 1 : 0)));
      // Fitted on all but the hours it scores, as DETECT_ANOMALIES does: an anomaly inside the
      // training data would widen the very interval meant to flag it.
      return { evaluation, rate, model: new ForecastAnomalyDetector().fit({ ...s, points: s.points.slice(0, -scoredHours(s.points.length)) }) };
    });
    const evals = [...results.values()];
    // The streaming detector per machine, trained on its recent readings (scored by streamScoring.ts).
    const streaming: Record<string, unknown> = {};
    for (const [device, points] of data.streams) {
      if (points.length < 64) continue;
      const rcf = new RandomCutForest({ dimensions: STREAM_FEATURES.length, seed: 7 });
      for (const p of points) rcf.update(p);
      streaming[device] = rcf.toJSON();
    }
    // The dwell-time model per machine (stop lengths, scored by streamScoring.ts alongside the forest).
    const dwell = fitDwellModels(data.stateRuns ?? new Map());
    return {
      algorithm: "forecast_interval",
      parameters: { features: [...ANOMALY_FEATURES], level: DEFAULT_ANOMALY_LEVEL, holdoutHours: holdoutHours(Math.max(...data.series.map((s) => s.points.length))), scoredHours: ANOMALY_SCORE_HOURS, series: [...results.keys()], excluded, streaming: { algorithm: "random_cut_forest", features: STREAM_FEATURES, machines: Object.keys(streaming), dwell: { algorithm: DWELL_TIME, level: DEFAULT_DWELL_LEVEL, machines: Object.keys(dwell.models), excluded: dwell.excluded } } },
      metrics: { ...averaged(evals.map((e) => e.evaluation.model)), anomaly_rate: mean(evals.map((e) => e.rate)) },
      baselineMetrics: averaged(evals.map(({ evaluation: { baseline: { period: _p, ...m } } }) => m)),
      artifact: { kind: "anomaly", models: Object.fromEntries([...results].map(([id, r]) => [id, r.model.toJSON()])), streaming, dwell: dwell.models },
      excluded,
    };
  },
  rescore(artifact, data, trainedUntil) {
    const models = (artifact as { models?: Record<string, ForecastAnomalyJSON> }).models ?? {};
    const list: Metrics[] = [];
    for (const s of data.series) {
      const json = models[s.seriesId];
      if (!json) continue;
      if (!unseenHoldout(s, trainedUntil)) return null;
      try {
        list.push(evaluateForecaster(fixed(loadForecastModel(json.forecaster)), s, { horizon: 1, holdoutSteps: holdoutHours(s.points.length) }).model);
      } catch (e) {
        if (!(e instanceof SeriesError)) throw e;
      }
    }
    return list.length ? averaged(list) : null;
  },
  score(artifact, data) {
    const models = (artifact as { models: Record<string, ForecastAnomalyJSON> }).models;
    return data.series.flatMap((s) => {
      const json = models[s.seriesId];
      if (!json) return [];
      const recent = { ...s, points: s.points.slice(-scoredHours(s.points.length)) };
      return loadAnomalyModel(json).detect(recent).map((r) => ({ series_id: s.seriesId, ...r }));
    });
  },
};

function usableProfiles(profiles: readonly MachineProfile[]): { inputs: { id: string; features: number[] }[]; excluded: string[] } {
  const inputs: { id: string; features: number[] }[] = [];
  const excluded: string[] = [];
  for (const p of profiles) {
    const bad = p.features.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) excluded.push(`machine ${p.machineId}: ${MACHINE_PROFILE_FEATURES[bad]} is ${p.features[bad]}`);
    else inputs.push({ id: p.machineId, features: [...p.features] });
  }
  return { inputs, excluded };
}

function standardised(inputs: readonly { features: readonly number[] }[]): number[][] {
  const dims = inputs[0]!.features.length;
  const m: number[] = [], sd: number[] = [];
  for (let d = 0; d < dims; d++) {
    const xs = inputs.map((x) => x.features[d]!);
    m.push(mean(xs));
    sd.push(Math.sqrt(mean(xs.map((v) => (v - m[d]!) ** 2))) || 1);
  }
  return inputs.map((x) => x.features.map((v, d) => (v - m[d]!) / sd[d]!));
}

/** The naive segmentation: machines above / below the median utilisation. */
function medianSplitSilhouette(inputs: readonly { features: readonly number[] }[]): number {
  const u = inputs.map((x) => x.features[0]!);
  const med = [...u].sort((a, b) => a - b)[Math.floor(u.length / 2)]!;
  const labels = u.map((v) => (v >= med ? 1 : 0));
  return new Set(labels).size < 2 ? 0 : silhouette(standardised(inputs), labels);
}

export const SEGMENTS_SPEC: ModelSpec = {
  kind: "segments",
  rule: { metric: "silhouette", higherIsBetter: true, margin: 0.05 },
  table: "ML.SEGMENTS",
  async load(wh, tenantId, window) {
    const profiles = await machineProfiles(wh, tenantId, window);
    const hours = profiles.reduce((a, p) => a + p.hours, 0);
    return { series: [], profiles, streams: new Map(), rowCount: hours, dataHash: profilesHash(profiles), window: { from: window.from.toISOString(), to: new Date(window.to.getTime() - HOUR_MS).toISOString() } };
  },
  train(data) {
    const { inputs, excluded } = usableProfiles(data.profiles);
    if (inputs.length < 3) throw new SeriesError("TOO_SHORT", "machines", `${inputs.length} machines with complete profiles, segmentation needs at least 3${excluded.length ? ` (${excluded.join("; ")})` : ""}`);
    const model = segmentMachines(inputs, { features: MACHINE_PROFILE_FEATURES, seed: 1 });
    return {
      algorithm: "kmeans++",
      parameters: { k: model.k, features: MACHINE_PROFILE_FEATURES, silhouetteByK: model.silhouetteByK, excluded },
      metrics: { silhouette: model.silhouette, k: model.k },
      baselineMetrics: { silhouette: medianSplitSilhouette(inputs), k: 2 },
      artifact: { kind: "segments", model: model.toJSON() },
      excluded,
    };
  },
  rescore(artifact, data) {
    const json = (artifact as { model?: SegmentationJSON }).model;
    if (!json) return null;
    const { inputs } = usableProfiles(data.profiles);
    if (inputs.length < 3) return null;
    const seg = loadSegmentation(json);
    const labels = inputs.map((x) => seg.assign(x.features));
    const k = new Set(labels).size;
    // A champion that puts today's machines in one segment has no structure left: silhouette 0.
    return { silhouette: k < 2 || k >= inputs.length ? 0 : silhouette(standardised(inputs), labels), k: json.k };
  },
  score(artifact, data) {
    const seg = loadSegmentation((artifact as { model: SegmentationJSON }).model);
    return usableProfiles(data.profiles).inputs.map((x) => ({
      series_id: `machine:${x.id}`, segment: seg.assign(x.features),
      features: JSON.stringify(Object.fromEntries(MACHINE_PROFILE_FEATURES.map((f, i) => [f, x.features[i]]))),
    }));
  },
};

export const MODEL_SPECS: Readonly<Record<ModelKind, ModelSpec>> = { forecast: FORECAST_SPEC, anomaly: ANOMALY_SPEC, segments: SEGMENTS_SPEC };
