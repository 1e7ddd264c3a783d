/**
 * ML figures (issue 5, section 8), on simulator data: 3 tenants × 50·scale machines (+ 5 energy
 * meters and 10 air sensors each) × 30 days, streamed hour by hour and aggregated to hourly series on
 * the fly (no reading is kept):
 * - forecast MASE against the better of seasonal-naive daily and weekly, last 7 days held back,
 *   forecast a day at a time (target ratio < 0.8);
 * - anomaly event-level F1 against the injected fault windows (target ≥ 0.8): the detector is fitted on
 *   days 0–16 and scores days 16–30, each fault kind in the series it shows in; breakdowns by the
 *   dwell-time detector on each machine's 1 Hz state, fed in the same pass (the hourly share of
 *   time DOWN kept as the reference);
 * - training time per trainer, against the seasonal-naive fit on the same series;
 * - streaming detector (random cut forest) points per second on one machine's 1 Hz signals, and the
 *   dwell-time scorer's on one machine's day of states, against the whole fleet's 1 Hz arrival rate
 *   (≥ 1: one core keeps up);
 * - segmentation silhouette; the detector's F1 on data/nab-dev when that folder exists.
 */
import { existsSync } from "node:fs";
import type { Series } from "../ml/contract.ts";
import { evaluateForecaster, scoreEvents, sumEventScores, type EventScore } from "../ml/evaluation/index.ts";
import { leaveOneCategoryOut, loadNab, nabCategory, scoreOnNab, type LocoFold, type NabResult } from "../ml/evaluation/nab.ts";
import { demandPanel } from "../ml/evaluation/demandPanel.ts";
import { mase as maseOf, intervalCoverage } from "../ml/evaluation/forecastMetrics.ts";
import { timeHoldout } from "../ml/evaluation/holdout.ts";
import { LocalRegistry } from "../ml/registry/index.ts";
import { LocalEndpoint } from "../ml/serving/localEndpoint.ts";
import { deeparRequest, csvRequest } from "../ml/sagemaker/endpointScoring.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ForecastAnomalyDetector, ForecastAnomalyModel, HoltWintersForecaster, RandomCutForest, SeasonalNaiveForecaster, SeasonalProfileForecaster, segmentMachines, DEFAULT_ANOMALY_LEVEL as DEFAULT_LEVEL, DEFAULT_CUSUM_ALLOWANCE, DEFAULT_CUSUM_THRESHOLD, DEFAULT_RECORD_FACTOR, DEFAULT_MEMORY_DAYS, DEFAULT_OUTLIER_DAYS, DEFAULT_FLAG_CAP, DEFAULT_WEEKLY_CYCLES, type AnomalyDetectorOptions, DEFAULT_DWELL_LEVEL, DwellStays, DwellTimeDetector, loadDwellTimeModel, tailThreshold, type DwellTimeModel } from "../ml/trainers/index.ts";
import { SeriesError } from "../ml/contract.ts";
import { SyntheticFleet } from "../edge/syntheticFleet.ts";
import type { FaultKind, FaultLabel } from "../edge/faultInjection.ts";
import type { Benchmark, Figure } from "./harness.ts";
import { runStatsmodels, statsmodelsVersion, STATSMODELS_VARIANTS, type PanelProtocol } from "./statsmodelsReference.ts";

const TENANTS = ["acme", "globex", "initech"];
const DAYS = 30;
const HOUR = 3_600_000;
/** A Monday, so the weeks line up with the calendar. */
const START = new Date("2026-01-05T00:00:00Z");
const TRAIN_DAYS = 16;

export const NAB_DIR = process.env.NAB_DIR ?? "/work/shared/data/nab-dev";

/** The hourly series one fault kind shows in (FAULT_SHAPES' metric, aggregated to an hour). */
const FAULT_SERIES: Record<FaultKind, string> = {
  breakdown: "down_share",
  energy_surge: "power_kw",
  pm25_spike: "pm25",
  drift: "co2",
  stuck: "temperature_changes",
};

interface Acc {
  readonly tenantId: string;
  readonly deviceId: string;
  readonly kind: string;
  readonly sums: Map<string, Float64Array>;
  /** Hourly peaks (`power_kw_max`): the series are means except these. */
  readonly maxes: Map<string, Float64Array>;
  readonly counts: Float64Array;
  lastTemp: number;
  /** This machine's state consumer (`onMachineState`), looked up once per device, not per reading. */
  onState: ((ts: number, state: string) => void) | null;
}

/** The simulator's seed for the bench's fleet; `ML_BENCH_SEED` picks another fleet (the overfitting check). */
export const FLEET_SEED = 20260105;

/**
 * `onMachineState(deviceId)` is called once per machine and returns what consumes that machine's
 * 1 Hz (ts, state) readings, in time order.
 */
export function hourlyFleet(machines: number, progress: (m: string) => void, onMachinePoint: (deviceId: string, p: number[]) => void, seed = FLEET_SEED, onMachineState?: (deviceId: string) => (ts: number, state: string) => void): { series: Map<string, Series>; labels: FaultLabel[]; readings: number; genMs: number } {
  const specs = TENANTS.map((tenantId) => ({ tenantId, sites: [{ siteId: `${tenantId}-p1`, machines, energyMeters: 5, airSensors: 10, stations: [], jobsPerHour: 0 }] }));
  const fleet = new SyntheticFleet(specs, seed, START);
  const hours = DAYS * 24;
  const accs = new Map<string, Acc>();
  const acc = (tenantId: string, deviceId: string, kind: string, metrics: string[], peaks: string[] = []): Acc => {
    let a = accs.get(deviceId);
    if (!a) {
      a = { tenantId, deviceId, kind, sums: new Map(metrics.map((m) => [m, new Float64Array(hours)])), maxes: new Map(peaks.map((m) => [m, new Float64Array(hours).fill(-Infinity)])), counts: new Float64Array(hours), lastTemp: NaN, onState: kind === "MACHINE" && onMachineState ? onMachineState(deviceId) : null };
      accs.set(deviceId, a);
    }
    return a;
  };
  let readings = 0;
  const t0 = performance.now();
  for (let h = 0; h < hours; h++) {
    readings += fleet.eachReadingUntil(new Date(START.getTime() + (h + 1) * HOUR), (r) => {
      const m = (r.payload as { metrics: Record<string, number | string> }).metrics;
      if (r.sensorType === "MACHINE") {
        const a = acc(r.tenantId, r.deviceId, "MACHINE", ["utilization", "down_share"]);
        a.sums.get("utilization")![h]! += m.state === "RUNNING" ? 1 : 0;
        a.sums.get("down_share")![h]! += m.state === "DOWN" ? 1 : 0;
        a.counts[h]!++;
        a.onState?.(r.ts.getTime(), m.state as string);
        onMachinePoint(r.deviceId, [Number(m.spindle_load_pct), Number(m.spindle_speed_rpm), Number(m.temperature_c)]);
      } else if (r.sensorType === "ENERGY") {
        const a = acc(r.tenantId, r.deviceId, "ENERGY", ["power_kw"], ["power_kw_max"]);
        const kw = Number(m.power_kw);
        a.sums.get("power_kw")![h]! += kw;
        const peak = a.maxes.get("power_kw_max")!;
        if (kw > peak[h]!) peak[h] = kw;
        a.counts[h]!++;
      } else {
        const a = acc(r.tenantId, r.deviceId, "AIR_QUALITY", ["co2", "pm25", "temperature", "temperature_changes"]);
        a.sums.get("co2")![h]! += Number(m.co2_ppm);
        a.sums.get("pm25")![h]! += Number(m.pm25_ugm3);
        const temp = Number(m.temperature_c);
        a.sums.get("temperature")![h]! += temp;
        // A stuck sensor repeats one value: count how often the reading changes (per reading, so a sum of 0/1).
        a.sums.get("temperature_changes")![h]! += Number.isNaN(a.lastTemp) || temp !== a.lastTemp ? 1 : 0;
        a.lastTemp = temp;
        a.counts[h]!++;
      }
    });
    if (h % 48 === 47) progress(`simulated day ${(h + 1) / 24} of ${DAYS} (${readings.toLocaleString("en")} readings)`);
  }
  const genMs = performance.now() - t0;
  const series = new Map<string, Series>();
  for (const a of accs.values()) {
    for (const [metric, sums] of a.sums) {
      const points = Array.from(sums, (s, h) => ({ ts: new Date(START.getTime() + h * HOUR), value: a.counts[h]! > 0 ? s / a.counts[h]! : NaN }));
      series.set(`${metric}:${a.deviceId}`, { tenantId: a.tenantId, seriesId: `${metric}:${a.deviceId}`, stepMs: HOUR, points });
    }
    for (const [metric, peaks] of a.maxes) {
      const points = Array.from(peaks, (v, h) => ({ ts: new Date(START.getTime() + h * HOUR), value: a.counts[h]! > 0 ? v : NaN }));
      series.set(`${metric}:${a.deviceId}`, { tenantId: a.tenantId, seriesId: `${metric}:${a.deviceId}`, stepMs: HOUR, points });
    }
  }
  return { series, labels: fleet.faultLabels(new Date(START.getTime() + hours * HOUR)), readings, genMs };
}

/** Levels the same fitted dwell models are scored at (the evidence for DEFAULT_DWELL_LEVEL). */
const DWELL_LEVELS = [0.99, 0.999, 0.9995, 0.9999, 0.99999];

/** A stay of the scored days long enough to be flagged at the lowest of DWELL_LEVELS. */
interface LongStay {
  readonly state: string;
  readonly start: number;
  readonly seconds: number;
}

/**
 * One machine's dwell-time detector in the bench's single pass: collects completed stays until
 * `fitAt`, fits there, then scores each reading as it streams. Nothing is allocated per reading:
 * a flag or a long stay is a few a month. The long stays let the other levels be scored from the
 * same fitted model after the pass (flagged at start + ⌈threshold⌉ s, as the 1 Hz scorer does).
 */
class DwellTracker {
  private readonly stays: DwellStays;
  private fitted = false;
  model: DwellTimeModel | null = null;
  /** The model as fitted (before scoring), for the throughput replay. */
  fittedJson: ReturnType<DwellTimeModel["toJSON"]> | null = null;
  error: string | null = null;
  /** Time to fit the model from the collected stays (ms). */
  fitMs = 0;
  readonly flags: { ts: number; state: string }[] = [];
  readonly long: LongStay[] = [];
  private curStart = NaN;
  private curState = "";
  private curSeconds = 0;
  private curLong = false;
  /** distance (in tail scales past the default threshold) at which the lowest level's threshold is reached. */
  private readonly minDistance = Math.log((1 - DEFAULT_DWELL_LEVEL) / (1 - DWELL_LEVELS[0]!));
  /** A recorded day of readings after the fit (first machine only), replayed for points/s. */
  readonly day: { ts: Float64Array; states: string[] } | null;

  constructor(readonly deviceId: string, private readonly fitAt: number, record: boolean) {
    this.stays = new DwellStays(deviceId);
    this.day = record ? { ts: new Float64Array(86_400), states: [] } : null;
  }

  readonly observe = (ts: number, state: string): void => {
    if (ts < this.fitAt) {
      this.stays.observe(ts, state);
      return;
    }
    if (!this.fitted) this.fit();
    const m = this.model;
    if (m === null) return;
    if (this.day && this.day.states.length < 86_400) {
      this.day.ts[this.day.states.length] = ts;
      this.day.states.push(state);
    }
    const r = m.update(ts, state);
    if (r.is_anomaly) this.flags.push({ ts, state });
    if (r.stayStart !== this.curStart) {
      this.close();
      this.curStart = r.stayStart;
      this.curState = state;
      this.curLong = false;
    }
    this.curSeconds = r.staySeconds;
    if (!this.curLong && r.distance >= this.minDistance) this.curLong = true;
  };

  private fit(): void {
    this.fitted = true;
    try {
      const t = performance.now();
      this.model = new DwellTimeDetector().fitStays(this.stays);
      this.fitMs = performance.now() - t;
      this.fittedJson = this.model.toJSON();
    } catch (e) {
      if (!(e instanceof SeriesError)) throw e;
      this.error = e.message;
    }
  }

  /** Ends the pass: the stay still going counts as long as it has lasted. */
  close(): void {
    if (this.curLong) this.long.push({ state: this.curState, start: this.curStart, seconds: this.curSeconds });
    this.curLong = false;
  }

  /** Flag times at another level, from the long stays and the same fitted tails (`states`: the model's flagStates; null: every modelled state). */
  flagsAt(level: number, states: ReadonlySet<string> | null = new Set(this.model?.flagStates)): Date[] {
    const m = this.model;
    if (!m) return [];
    const out: Date[] = [];
    for (const s of this.long) {
      const tail = m.tailOf(s.state);
      if (!tail || (states && !states.has(s.state))) continue;
      const threshold = tailThreshold(tail, level);
      if (s.seconds >= threshold) out.push(new Date(Math.max(this.fitAt, s.start + Math.ceil(threshold) * 1000)));
    }
    return out;
  }
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

export const mlBenchmark: Benchmark = {
  name: "ml",
  description: "ML trainers on 30 days of simulated fleet: forecast MASE vs seasonal naive, anomaly F1 on injected faults, training times, RCF throughput",
  async run({ scale, progress }) {
    const machines = Math.max(1, Math.round(50 * scale));
    const rcfPoints = Math.max(20_000, Math.round(200_000 * scale));
    const forest = new RandomCutForest({ dimensions: 3, seed: 7 });
    let rcfMs = 0;
    let rcfDone = 0;
    let rcfDevice: string | null = null;
    const seed = process.env.ML_BENCH_SEED === undefined ? FLEET_SEED : Number(process.env.ML_BENCH_SEED);
    if (!Number.isInteger(seed)) throw new Error(`ML_BENCH_SEED must be an integer, got ${JSON.stringify(process.env.ML_BENCH_SEED)}`);
    // The dwell-time detector per machine, fed every MACHINE reading's state in the same pass.
    const dwell = new Map<string, DwellTracker>();
    progress(`simulating ${TENANTS.length} tenants × ${machines} machines, 5 meters, 10 air sensors × ${DAYS} days (fleet seed ${seed})`);
    const fleet = hourlyFleet(machines, progress, (deviceId, p) => {
      rcfDevice ??= deviceId;
      if (deviceId !== rcfDevice || rcfDone >= rcfPoints) return;
      const t = performance.now();
      forest.update(p);
      rcfMs += performance.now() - t;
      rcfDone++;
    }, seed, (deviceId) => {
      const tracker = new DwellTracker(deviceId, START.getTime() + TRAIN_DAYS * 24 * HOUR, dwell.size === 0);
      dwell.set(deviceId, tracker);
      return tracker.observe;
    });
    const figures: Figure[] = [];
    const all = [...fleet.series.values()];

    // Forecasts: utilisation, energy and air quality.
    const forecastKinds = ["utilization", "power_kw", "co2", "pm25", "temperature"];
    const evals = all.filter((s) => forecastKinds.includes(s.seriesId.split(":")[0]!)).map((s) => evaluateForecaster(new SeasonalProfileForecaster(), s));
    const modelMase = mean(evals.map((e) => e.model.mase!));
    const baseMase = mean(evals.map((e) => e.baseline.mase!));
    figures.push({
      name: "ml.forecast_mase", value: modelMase, unit: "MASE", description: `seasonal-profile forecaster, ${evals.length} hourly series, last 7 days held back, day-ahead`,
      reference: { name: "best seasonal naive (daily or weekly, per series)", value: baseMase, unit: "MASE" }, ratio: modelMase / baseMase,
      ratioMeaning: "forecaster MASE / baseline MASE", target: { op: "<", value: 0.8 },
    });
    for (const kind of forecastKinds) {
      const k = evals.filter((e) => e.seriesId.startsWith(`${kind}:`));
      if (k.length === 0) continue;
      const m = mean(k.map((e) => e.model.mase!));
      const b = mean(k.map((e) => e.baseline.mase!));
      figures.push({ name: `ml.forecast_mase.${kind}`, value: m, unit: "MASE", description: `${k.length} ${kind} series`, reference: { name: "best seasonal naive", value: b, unit: "MASE" }, ratio: m / b, ratioMeaning: "forecaster / baseline" });
    }
    // The evaluated alternative: damped Holt-Winters on the same series (README: why the profile).
    const hw = all.filter((s) => forecastKinds.includes(s.seriesId.split(":")[0]!)).map((s) => evaluateForecaster(new HoltWintersForecaster(true), s));
    const hwMase = mean(hw.map((e) => e.model.mase!));
    const hwBase = mean(hw.map((e) => e.baseline.mase!));
    figures.push({
      name: "ml.forecast_mase.holt_winters", value: hwMase, unit: "MASE", description: `damped Holt-Winters on the same ${hw.length} series (worst series: ${Math.max(...hw.map((e) => e.maseRatio)).toFixed(1)}× its baseline)`,
      reference: { name: "best seasonal naive", value: hwBase, unit: "MASE" }, ratio: hwMase / hwBase, ratioMeaning: "Holt-Winters / baseline",
    });
    figures.push({ name: "ml.forecast_smape", value: mean(evals.map((e) => e.model.smape!)), unit: "sMAPE", description: "same forecasts", reference: { name: "best seasonal naive", value: mean(evals.map((e) => e.baseline.smape!)), unit: "sMAPE" }, ratio: mean(evals.map((e) => e.model.smape!)) / mean(evals.map((e) => e.baseline.smape!)) });
    figures.push({ name: "ml.forecast_coverage_95", value: mean(evals.map((e) => e.model.coverage!)), unit: "share", description: "share of held-back points inside the 95 % interval" });

    // Training time per trainer, against the naive fit on the same series.
    const sample = all.filter((s) => s.seriesId.startsWith("utilization:") || s.seriesId.startsWith("power_kw:")).slice(0, 40);
    const time = (fn: (s: Series) => unknown) => {
      const t = performance.now();
      for (const s of sample) fn(s);
      return (performance.now() - t) / sample.length;
    };
    const naiveMs = time((s) => new SeasonalNaiveForecaster().fit(s));
    const profileMs = time((s) => new SeasonalProfileForecaster().fit(s));
    const detectorMs = time((s) => new ForecastAnomalyDetector().fit(s));
    figures.push({ name: "ml.train_ms.forecaster", value: profileMs, unit: "ms/series", description: "fit on 30 days hourly (model selection + calibration + refit)", reference: { name: "seasonal naive fit", value: naiveMs, unit: "ms/series" }, ratio: profileMs / naiveMs });
    figures.push({ name: "ml.train_ms.anomaly", value: detectorMs, unit: "ms/series", description: "anomaly detector fit on 30 days hourly", reference: { name: "seasonal naive fit", value: naiveMs, unit: "ms/series" }, ratio: detectorMs / naiveMs });
    // The dwell-time detector's fit from a machine's 16 days of collected stays (collecting them is
    // O(1) per reading inside the simulation's pass, not counted here).
    const dwellFitted = [...dwell.values()].filter((x) => x.model);
    if (dwellFitted.length) {
      const dwellMs = dwellFitted.reduce((a, x) => a + x.fitMs, 0) / dwellFitted.length;
      figures.push({ name: "ml.train_ms.dwell", value: dwellMs, unit: "ms/machine", description: `dwell-time detector fit from 16 days of state stays, ${dwellFitted.length} machines`, reference: { name: "seasonal naive fit", value: naiveMs, unit: "ms/series" }, ratio: dwellMs / naiveMs });
    }

    // Anomalies: fit on the first TRAIN_DAYS, detect on the rest, score per fault kind.
    const trainSteps = TRAIN_DAYS * 24;
    const detectFrom = START.getTime() + trainSteps * HOUR;
    const byKind = new Map<FaultKind, EventScore[]>();
    // The same fitted models at other interval levels: the evidence for the default level.
    const LEVELS = [0.99, 0.999, 0.9999];
    const byLevel = new Map<number, EventScore[]>(LEVELS.map((l) => [l, []]));
    // The same fitted models without the CUSUM rule: what it adds, per kind, in the same run.
    const noCusum = new Map<FaultKind, EventScore[]>();
    // Energy surges in the hour's peak instead of its mean, rising flags only (a low peak is a quiet hour, not a surge).
    const surgePeak: EventScore[] = [];
    for (const [kind, metric] of [...Object.entries(FAULT_SERIES), ["energy_surge", "power_kw_max"]] as [FaultKind, string][]) {
      const alternative = metric !== FAULT_SERIES[kind];
      for (const s of all.filter((x) => x.seriesId.startsWith(`${metric}:`))) {
        const deviceId = s.seriesId.slice(metric.length + 1);
        let model: ForecastAnomalyModel;
        try {
          model = new ForecastAnomalyDetector().fit({ ...s, points: s.points.slice(0, trainSteps) });
        } catch (e) {
          progress(`skipped ${s.seriesId}: ${(e as Error).message}`);
          continue;
        }
        const windows = fleet.labels.filter((l) => l.deviceId === deviceId && l.fault === kind && l.end.getTime() > detectFrom);
        const score = (m: ForecastAnomalyModel, rising = false) => scoreEvents(m.detect({ ...s, points: s.points.slice(trainSteps) }).filter((r) => r.is_anomaly && (!rising || r.distance > 0)).map((r) => r.ts), windows, HOUR);
        if (alternative) {
          surgePeak.push(score(model, true));
          continue;
        }
        byKind.set(kind, [...(byKind.get(kind) ?? []), score(model)]);
        noCusum.set(kind, [...(noCusum.get(kind) ?? []), score(new ForecastAnomalyModel({ ...model.json, cusumThreshold: 0 }))]);
        for (const l of LEVELS) byLevel.get(l)!.push(score(new ForecastAnomalyModel({ ...model.json, level: l })));
      }
    }
    // Breakdowns by the dwell-time detector: its flags (instants) against the same windows. The
    // hourly-share figure stays as the reference, so each run shows both.
    for (const t of dwell.values()) t.close();
    const breakdownWindows = (deviceId: string) => fleet.labels.filter((l) => l.deviceId === deviceId && l.fault === "breakdown" && l.end.getTime() > detectFrom);
    const dwellScores: EventScore[] = [];
    const allStates: EventScore[] = [];
    const flagsByState = new Map<string, number>();
    const notFitted: string[] = [];
    let downUnmodelled = 0;
    let derivedMismatch = 0;
    for (const t of dwell.values()) {
      if (t.error) notFitted.push(t.error);
      else if (!t.model!.tailOf("DOWN")) downUnmodelled++;
      const windows = breakdownWindows(t.deviceId);
      dwellScores.push(scoreEvents(t.flags.map((f) => new Date(f.ts)), windows));
      // The same models flagging every modelled state, not only DOWN: the evidence for DEFAULT_FLAG_STATES.
      for (const s of t.long) if (t.model?.tailOf(s.state) && s.seconds >= t.model.thresholdSeconds(s.state)) flagsByState.set(s.state, (flagsByState.get(s.state) ?? 0) + 1);
      allStates.push(scoreEvents(t.flagsAt(DEFAULT_DWELL_LEVEL, null), windows));
      // The level sweep derives flags from the long stays; at the default level they must be the scorer's own.
      if (t.flagsAt(DEFAULT_DWELL_LEVEL).map((d) => d.getTime()).join() !== t.flags.map((f) => f.ts).join()) derivedMismatch++;
    }
    if (derivedMismatch) progress(`warning: ${derivedMismatch} machines' derived dwell flags differ from the scorer's at level ${DEFAULT_DWELL_LEVEL}`);
    const hourlyBreakdown = byKind.get("breakdown") ?? [];
    byKind.set("breakdown", dwellScores);
    noCusum.set("breakdown", dwellScores);
    const total = sumEventScores([...byKind.values()].flat());
    const totalHourly = sumEventScores([...[...byKind].filter(([k]) => k !== "breakdown").flatMap(([, v]) => v), ...hourlyBreakdown]);
    const totalNoCusum = sumEventScores([...noCusum.values()].flat());
    figures.push({
      name: "ml.anomaly_f1", value: total.f1, unit: "F1", description: `event level, fleet seed ${seed}, ${total.windows} injected fault windows on days ${TRAIN_DAYS}–${DAYS}: ${total.detected} detected, ${total.falseFlags} false flags; breakdowns by the dwell-time detector on the 1 Hz state stream (level ${DEFAULT_DWELL_LEVEL}), the other faults by the forecast interval (level ${DEFAULT_LEVEL} + CUSUM, k ${DEFAULT_CUSUM_ALLOWANCE}, h ${DEFAULT_CUSUM_THRESHOLD}); without CUSUM ${totalNoCusum.f1.toFixed(3)} (${totalNoCusum.detected} detected, ${totalNoCusum.falseFlags} false flags)`,
      reference: { name: `the same total with breakdowns in the hourly share of time DOWN (${totalHourly.detected} detected, ${totalHourly.falseFlags} false flags)`, value: totalHourly.f1, unit: "F1" }, ratio: total.f1 / totalHourly.f1, ratioMeaning: "F1 with the dwell-time detector / with the hourly share",
      target: { op: ">=", value: 0.8, on: "value" },
    });
    figures.push({ name: "ml.anomaly_f1.no_cusum", value: totalNoCusum.f1, unit: "F1", description: `the same total without the CUSUM rule: ${totalNoCusum.detected} detected, ${totalNoCusum.falseFlags} false flags` });
    for (const [kind, scores] of byKind) {
      const s = sumEventScores(scores);
      if (kind === "breakdown") {
        const h = sumEventScores(hourlyBreakdown);
        const states = [...flagsByState].map(([st, n]) => `${st} ${n}`).join(", ") || "none";
        const a = sumEventScores(allStates);
        figures.push({
          name: "ml.anomaly_f1.breakdown", value: s.f1, unit: "F1",
          description: `by the dwell-time detector (stays in the 1 Hz state, level ${DEFAULT_DWELL_LEVEL}, DOWN stays flagged): ${s.windows} windows, ${s.detected} detected, ${s.falseFlags} false flags (P ${s.precision.toFixed(2)}, R ${s.recall.toFixed(2)}); ${dwell.size} machines, ${notFitted.length} not fitted, DOWN not modelled (< its minimum stays) on ${downUnmodelled}`,
          reference: { name: "in the hourly share of time DOWN", value: h.f1, unit: "F1" }, ratio: s.f1 / h.f1, ratioMeaning: "dwell / hourly share",
        });
        figures.push({ name: "ml.anomaly_f1.breakdown_hourly_share", value: h.f1, unit: "F1", description: `reference, not in the total: breakdowns in the hourly share of time DOWN (forecast interval): ${h.windows} windows, ${h.detected} detected, ${h.falseFlags} false flags (P ${h.precision.toFixed(2)}, R ${h.recall.toFixed(2)})` });
        figures.push({ name: "ml.anomaly_f1.breakdown_dwell.all_states", value: a.f1, unit: "F1", description: `the same dwell models flagging long stays in every state, not only DOWN (not in the total): ${a.detected} detected, ${a.falseFlags} false flags; would-be flags by state: ${states}` });
        continue;
      }
      const b = sumEventScores(noCusum.get(kind)!);
      figures.push({
        name: `ml.anomaly_f1.${kind}`, value: s.f1, unit: "F1", description: `in ${FAULT_SERIES[kind]}: ${s.windows} windows, ${s.detected} detected, ${s.falseFlags} false flags (P ${s.precision.toFixed(2)}, R ${s.recall.toFixed(2)}); without CUSUM ${b.detected} detected, ${b.falseFlags} false flags`,
        reference: { name: "without CUSUM", value: b.f1, unit: "F1" }, ratio: s.f1 / b.f1,
      });
    }
    for (const level of DWELL_LEVELS) {
      const down = sumEventScores([...dwell.values()].map((t) => scoreEvents(t.flagsAt(level), breakdownWindows(t.deviceId))));
      const every = sumEventScores([...dwell.values()].map((t) => scoreEvents(t.flagsAt(level, null), breakdownWindows(t.deviceId))));
      figures.push({ name: `ml.anomaly_f1.breakdown_dwell.level_${level}`, value: down.f1, unit: "F1", description: `the same dwell models at level ${level}: ${down.detected} detected, ${down.falseFlags} false flags; flagging every state: F1 ${every.f1.toFixed(3)} (${every.detected}, ${every.falseFlags})` });
    }
    if (surgePeak.length) {
      const s = sumEventScores(surgePeak);
      figures.push({ name: "ml.anomaly_f1.energy_surge_peak", value: s.f1, unit: "F1", description: `energy surges in the hourly peak power (power_kw_max), rising flags only: ${s.windows} windows, ${s.detected} detected, ${s.falseFlags} false flags (P ${s.precision.toFixed(2)}, R ${s.recall.toFixed(2)}); not in the total` });
    }
    for (const [l, scores] of byLevel) {
      const s = sumEventScores(scores);
      figures.push({ name: `ml.anomaly_f1.level_${l}`, value: s.f1, unit: "F1", description: `the same forecast-interval models at level ${l}, breakdowns in the hourly share: ${s.detected} detected, ${s.falseFlags} false flags` });
    }

    // Streaming detector throughput against the fleet's 1 Hz arrival rate.
    const fleetRate = TENANTS.length * 50; // points per second at full size
    const rcfRate = rcfDone / (rcfMs / 1000);
    figures.push({
      name: "ml.rcf_points_per_s", value: rcfRate, unit: "points/s", description: `random cut forest (50 trees × 256) on ${rcfDone.toLocaleString("en")} points of ${rcfDevice} (load, speed, temperature); forest size ${forest.size()} nodes (bound ${RandomCutForest.maxSize({})})`,
      reference: { name: "the full fleet's 1 Hz rate (150 machines)", value: fleetRate, unit: "points/s" }, ratio: rcfRate / fleetRate, ratioMeaning: "≥ 1: one core scores the whole fleet live", target: { op: ">=", value: 1 },
    });

    // Dwell-time scoring throughput: one machine's recorded day after the fit, replayed into the model as fitted.
    const first = [...dwell.values()][0];
    if (first?.fittedJson && first.day && first.day.states.length > 0) {
      const { ts, states } = first.day;
      let points = 0;
      const t = performance.now();
      while (performance.now() - t < 300) {
        const m = loadDwellTimeModel(first.fittedJson);
        for (let i = 0; i < states.length; i++) m.update(ts[i]!, states[i]!);
        points += states.length;
      }
      const rate = points / ((performance.now() - t) / 1000);
      figures.push({
        name: "ml.dwell_points_per_s", value: rate, unit: "points/s", description: `dwell-time scoring, one machine's day of 1 Hz states (${first.deviceId}) replayed ${Math.round(points / states.length)}×`,
        reference: { name: "the full fleet's 1 Hz rate (150 machines)", value: fleetRate, unit: "points/s" }, ratio: rate / fleetRate, ratioMeaning: "≥ 1: one core scores the whole fleet live", target: { op: ">=", value: 1 },
      });
    }

    // Segmentation of machines by utilisation and energy profile.
    const machineSeries = all.filter((s) => s.seriesId.startsWith("utilization:"));
    if (machineSeries.length >= 4) {
      const features = machineSeries.map((s) => {
        const v = s.points.map((p) => p.value);
        const at = (pred: (h: number, dow: number) => boolean) => mean(v.filter((_, i) => pred(i % 24, Math.floor(i / 24) % 7) && Number.isFinite(v[i]!)));
        return { id: s.seriesId.slice("utilization:".length), features: [at((h, d) => d < 5 && h >= 6 && h < 22), at((h, d) => d < 5 && (h < 6 || h >= 22)), at((_, d) => d >= 5)] };
      });
      const t = performance.now();
      const seg = segmentMachines(features, { features: ["weekday_shift_util", "weekday_night_util", "weekend_util"], seed: 1, kRange: [2, Math.min(6, features.length - 1)] });
      const segMs = performance.now() - t;
      figures.push({ name: "ml.segments_silhouette", value: seg.silhouette, unit: "silhouette", description: `k-means++ over ${features.length} machines, k = ${seg.k} chosen by silhouette (fit ${segMs.toFixed(0)} ms)` });
    }

    // The simulator's faults as one more category of the settings' choice: every kind but breakdowns
    // (the dwell-time detector's, unchanged by these settings) refitted with the setting.
    const simulatorScore = (options: AnomalyDetectorOptions): EventScore => {
      const scores: EventScore[] = [...dwellScores];
      for (const [kind, metric] of Object.entries(FAULT_SERIES) as [FaultKind, string][]) {
        if (kind === "breakdown") continue;
        for (const s of all.filter((x) => x.seriesId.startsWith(`${metric}:`))) {
          const deviceId = s.seriesId.slice(metric.length + 1);
          let model: ForecastAnomalyModel;
          try {
            model = new ForecastAnomalyDetector(options).fit({ ...s, points: s.points.slice(0, trainSteps) });
          } catch {
            continue;
          }
          const windows = fleet.labels.filter((l) => l.deviceId === deviceId && l.fault === kind && l.end.getTime() > detectFrom);
          scores.push(scoreEvents(model.detect({ ...s, points: s.points.slice(trainSteps) }).filter((r) => r.is_anomaly).map((r) => r.ts), windows, HOUR));
        }
      }
      return sumEventScores(scores);
    };
    if (existsSync(NAB_DIR)) figures.push(...nabFigures(progress, { name: `simulator/fleet-${seed}`, score: simulatorScore }));
    else progress(`${NAB_DIR} is absent: no NAB figure (set NAB_DIR to its location)`);
    figures.push(...demandFigures(progress));
    figures.push(...(await servingFigures(all.filter((s) => s.seriesId.startsWith("power_kw:")).slice(0, 4), progress)));
    progress(`simulated ${fleet.readings.toLocaleString("en")} readings in ${(fleet.genMs / 1000).toFixed(0)} s`);
    return figures;
  },
};

/**
 * NAB's published detectors on nab-dev, at NAB's standard thresholds, scored by the event rule
 * (data/nab-dev/README.md): fixed comparison points, not measured here. The README gives AWS
 * Cloudwatch and artificialWithAnomaly as one column.
 */
const NAB_PUBLISHED = {
  all: { contextOSE: 0.626, ARTime: 0.499, knncad: 0.359, earthgeckoSkyline: 0.35, numenta: 0.285, randomCutForest: 0.267 },
  "realAWSCloudwatch+artificialWithAnomaly": { randomCutForest: 0.284, contextOSE: 0.541 },
  realAdExchange: { randomCutForest: 0.588, contextOSE: 0.688 },
  realTraffic: { randomCutForest: 0.606, contextOSE: 0.651 },
  realTweets: { randomCutForest: 0.19, contextOSE: 0.74 },
} as const;

/**
 * The settings the leave-one-category-out choice picks from: the record rule's factor and memory,
 * how far a training day must stand out to be left out of the memory (`outlierDays`), the CUSUM,
 * the cooldown, what a flag teaches the memory (`flagCap`, `rememberFlags`), the interval's
 * calibration without those days (`cleanCalibration`), an hour-of-week part from one week
 * (`weeklyCycles`), and no record rule. The default is first: a fold keeps it unless another
 * setting's lead on the other categories exceeds its standard error (ml/evaluation/nab.ts
 * `LocoRule`). Each is scored once on every file and on the simulator; each fold picks on the
 * other categories.
 */
export const ANOMALY_SETTINGS: ReadonlyArray<readonly [string, AnomalyDetectorOptions]> = [
  [`record ${DEFAULT_RECORD_FACTOR}, ${DEFAULT_MEMORY_DAYS} d, outlier days ${DEFAULT_OUTLIER_DAYS}, flag cap ${DEFAULT_FLAG_CAP}, hour-of-week from ${DEFAULT_WEEKLY_CYCLES} weeks (default)`, {}],
  ["outlier days 4 (the default before the fourth pass)", { outlierDays: 4 }],
  ["outlier days 5", { outlierDays: 5 }],
  ["outlier days 8", { outlierDays: 8 }],
  ["every training day remembered (outlier days 0)", { outlierDays: 0 }],
  ["record 1.1", { recordFactor: 1.1 }],
  ["record 1.5", { recordFactor: 1.5 }],
  ["memory 7 d", { memoryDays: 7 }],
  ["no CUSUM", { cusumThreshold: 0 }],
  // One flag per series in a day and a half / two days: the record rule does not remember a flagged
  // episode, so a spike that recurs each day at the same time is flagged each time a one-day
  // cooldown ends (issue 24: "flag repetition"); a longer cooldown bounds the alerts per series.
  ["cooldown 1.5 d", { cooldownDays: 1.5 }],
  ["cooldown 2 d", { cooldownDays: 2 }],
  // A flagged episode joins the record memory once its cooldown is over (the same size again is no record).
  ["flags remembered after the cooldown", { rememberFlags: true }],
  ["flags remembered, cooldown 1.5 d", { rememberFlags: true, cooldownDays: 1.5 }],
  // What a flag teaches the memory, capped at a multiple of the bar the unflagged memory sets
  // (flagCap; points a cooldown suppressed are the anomaly too): 0 is the rule before it.
  ["flag cap 1", { flagCap: 1 }],
  ["flag cap 1.5", { flagCap: 1.5 }],
  ["flag cap 3", { flagCap: 3 }],
  ["no flag cap (points in a cooldown remembered as they come)", { flagCap: 0 }],
  // The interval calibrated on every held-back day, those left out of the memory included.
  ["calibration on every training day", { cleanCalibration: false }],
  ["the defaults before 2026-12-05's fourth pass (no flag cap, calibration on every day)", { flagCap: 0, cleanCalibration: false }],
  ["no record rule (before issue 24)", { recordFactor: 0 }],
  // The hour-of-week part from one week of training window (the rule before the fifth pass).
  ["hour-of-week from one week", { weeklyCycles: 1 }],
];

/**
 * nab-dev per category, and the settings' choice by leave-one-category-out over nab-dev's six
 * categories and, when given, the simulator's faults as a seventh (`simulator.score` scores a
 * setting on the bench's fleet). A fold's figure is the setting chosen on the other categories,
 * scored on the held-out one: nab-dev's folds give `ml.nab_f1.loco`, the simulator's
 * `ml.anomaly_f1.loco` (the setting nab-dev alone would choose).
 */
export function nabFigures(progress: (m: string) => void, simulator?: { name: string; score: (options: AnomalyDetectorOptions) => EventScore }): Figure[] {
  const nab = loadNab(NAB_DIR);
  const bySetting = new Map<string, NabResult>();
  const withSimulator = new Map<string, NabResult>();
  for (const [name, options] of ANOMALY_SETTINGS) {
    progress(`nab-dev${simulator ? " and the simulator" : ""}: ${name}`);
    const r = scoreOnNab(nab, (s) => new ForecastAnomalyDetector(options).fit(s));
    bySetting.set(name, r);
    if (simulator) {
      const sim = simulator.score(options);
      const files = [...r.files, { name: simulator.name, score: sim }];
      withSimulator.set(name, { files, total: sumEventScores(files.map((f) => f.score)) });
    }
  }
  const figures: Figure[] = [];
  const def = bySetting.get(ANOMALY_SETTINGS[0]![0])!;
  const sum = (r: NabResult, cats: readonly string[]) => sumEventScores(r.files.filter((f) => cats.includes(nabCategory(f.name))).map((f) => f.score));
  const joint = leaveOneCategoryOut(simulator ? withSimulator : bySetting);
  const simCategory = simulator ? nabCategory(simulator.name) : null;
  const nabFolds = joint.folds.filter((f) => f.category !== simCategory);
  const loco = { folds: nabFolds, total: sumEventScores(nabFolds.map((f) => f.score)) };
  const jointBest = leaveOneCategoryOut(simulator ? withSimulator : bySetting, "best");
  const bestFolds = jointBest.folds.filter((f) => f.category !== simCategory);
  const locoBest = sumEventScores(bestFolds.map((f) => f.score));
  const foldText = (folds: readonly LocoFold[]) => folds.map((f) => `${f.category} → ${f.chosen} (F1 ${f.score.f1.toFixed(3)}, ${f.score.detected}/${f.score.windows}, ${f.score.falseFlags} ff; on the others ${f.trainF1.toFixed(4)}${f.best.name !== f.chosen ? `, best ${f.best.name} ${f.best.f1.toFixed(4)}, its lead within its standard error` : ""})`).join("; ");
  figures.push({
    name: "ml.nab_f1.loco", value: loco.total.f1, unit: "F1",
    description: `leave-one-category-out over ${ANOMALY_SETTINGS.length} settings and ${joint.folds.length} categories (nab-dev's ${nabFolds.length}${simulator ? " and the simulator's faults" : ""}; each fold chooses on the other categories), nab-dev's ${loco.total.windows} windows: ${loco.total.detected} detected, ${loco.total.falseFlags} false flags; folds: ${foldText(loco.folds)}`,
    reference: { name: "NAB's random cut forest (published)", value: NAB_PUBLISHED.all.randomCutForest, unit: "F1" }, ratio: loco.total.f1 / NAB_PUBLISHED.all.randomCutForest, target: { op: ">=", value: 0.55, on: "value" },
  });
  figures.push({
    name: "ml.nab_f1.loco.best_rule", value: locoBest.f1, unit: "F1",
    description: `the same folds choosing the best F1 on the other categories however small the lead (the rule before 2026-12-05's fifth pass): ${locoBest.detected} detected, ${locoBest.falseFlags} false flags; folds: ${foldText(bestFolds)}`,
  });
  const simFold = joint.folds.find((f) => f.category === simCategory);
  if (simulator && simFold) {
    const bySim = ANOMALY_SETTINGS.map(([name, options]) => [name, withSimulator.get(name)!.files.at(-1)!.score] as const);
    const defSim = bySim[0]![1];
    figures.push({
      name: "ml.anomaly_f1.loco", value: simFold.score.f1, unit: "F1",
      description: `the simulator's faults held out (every kind, breakdowns by the dwell-time detector): the setting nab-dev alone chooses, ${foldText([simFold])}`,
      reference: { name: "the default setting on the simulator", value: defSim.f1, unit: "F1" }, ratio: simFold.score.f1 / defSim.f1,
    });
    for (const [name, sc] of bySim) figures.push({ name: `ml.anomaly_f1.setting.${name.replace(/[^a-z0-9.]+/gi, "_")}`, value: sc.f1, unit: "F1", description: `simulator, ${name}: ${sc.detected}/${sc.windows} detected, ${sc.falseFlags} false flags` });
  }
  figures.push({
    name: "ml.nab_f1", value: def.total.f1, unit: "F1",
    description: `defaults (level ${DEFAULT_LEVEL}, record rule ${DEFAULT_RECORD_FACTOR} × ${DEFAULT_MEMORY_DAYS} days, training days beyond ${DEFAULT_OUTLIER_DAYS} robust SDs left out of it and of the calibration, flags remembered up to ${DEFAULT_FLAG_CAP} × the bar, CUSUM k ${DEFAULT_CUSUM_ALLOWANCE} h ${DEFAULT_CUSUM_THRESHOLD}), all ${def.files.length} files, ${def.total.windows} windows: ${def.total.detected} detected, ${def.total.falseFlags} false flags (published: contextOSE 0.626, ARTime 0.499, random cut forest 0.267)${def.files.some((f) => f.refused) ? `; no model: ${def.files.filter((f) => f.refused).map((f) => f.name).join(", ")}` : ""}`,
    reference: { name: "NAB's best published detector (contextOSE)", value: NAB_PUBLISHED.all.contextOSE, unit: "F1" }, ratio: def.total.f1 / NAB_PUBLISHED.all.contextOSE, target: { op: ">=", value: 0.55, on: "value" },
  });
  const groups: [string, string[], number | null][] = [
    ["realAWSCloudwatch+artificialWithAnomaly", ["realAWSCloudwatch", "artificialWithAnomaly"], NAB_PUBLISHED["realAWSCloudwatch+artificialWithAnomaly"].randomCutForest],
    ["realAdExchange", ["realAdExchange"], NAB_PUBLISHED.realAdExchange.randomCutForest],
    ["realTraffic", ["realTraffic"], NAB_PUBLISHED.realTraffic.randomCutForest],
    ["realTweets", ["realTweets"], NAB_PUBLISHED.realTweets.randomCutForest],
  ];
  for (const [name, cats, rcf] of groups) {
    const s = sum(def, cats);
    const l = sumEventScores(loco.folds.filter((f) => cats.includes(f.category)).map((f) => f.score));
    figures.push({
      name: `ml.nab_f1.${name}`, value: s.f1, unit: "F1", description: `defaults: ${s.detected}/${s.windows} detected, ${s.falseFlags} false flags; leave-one-category-out ${l.f1.toFixed(3)} (${l.detected}, ${l.falseFlags})`,
      reference: { name: "NAB's random cut forest (published)", value: rcf!, unit: "F1" }, ratio: s.f1 / rcf!, target: { op: ">=", value: rcf!, on: "value" },
    });
  }
  const quiet = sum(def, ["artificialNoAnomaly"]);
  figures.push({ name: "ml.nab_false_flags.artificialNoAnomaly", value: quiet.falseFlags, unit: "false flags", description: "5 files without anomalies: every flag is false", reference: { name: "NAB's random cut forest (published)", value: 0, unit: "false flags" }, target: { op: "<=", value: 0, on: "value" } });
  for (const [name, r] of bySetting) figures.push({ name: `ml.nab_f1.setting.${name.replace(/[^a-z0-9.]+/gi, "_")}`, value: r.total.f1, unit: "F1", description: `${name}: ${r.total.detected} detected, ${r.total.falseFlags} false flags` });
  progress(`nab-dev per file (defaults): ${def.files.map((f) => `${f.name} ${f.score.detected}/${f.score.windows} ff ${f.score.falseFlags}`).join("; ")}`);
  return figures;
}

/**
 * The reference forecaster on the demand panel, independent of ml/trainers: additive Holt-Winters
 * without trend (ETS(A,N,A)) on log1p(y), weekly season, as statsmodels' ExponentialSmoothing(
 * np.log1p(y), seasonal="add", seasonal_periods=168) fits it, with α and γ chosen from a small
 * grid by in-sample one-step squared error (statsmodels optimises them; a grid is close enough for a
 * reference). Initial level: the first week's mean; initial season: the first week's deviations.
 */
function holtWintersLog(train: readonly number[], season: number): { forecast: (history: readonly number[], h: number) => number[] } {
  const y = train.map((v) => Math.log1p(Math.max(0, v)));
  const run = (a: number, g: number, data: readonly number[]) => {
    let level = data.slice(0, season).reduce((x, v) => x + v, 0) / season;
    const s = data.slice(0, season).map((v) => v - level);
    let sse = 0;
    for (let t = season; t < data.length; t++) {
      const k = t % season;
      const e = data[t]! - (level + s[k]!);
      sse += e * e;
      const prevLevel = level;
      level = a * (data[t]! - s[k]!) + (1 - a) * level;
      s[k] = g * (data[t]! - prevLevel) + (1 - g) * s[k]!;
    }
    return { sse, level, s, n: data.length };
  };
  let best = { a: 0.1, g: 0.1, sse: Infinity };
  for (const a of [0.02, 0.05, 0.1, 0.2, 0.4]) for (const g of [0.02, 0.05, 0.1, 0.2]) {
    const r = run(a, g, y);
    if (r.sse < best.sse) best = { a, g, sse: r.sse };
  }
  return {
    forecast(history, h) {
      const st = run(best.a, best.g, history.map((v) => Math.log1p(Math.max(0, Number.isFinite(v) ? v : 0))));
      return Array.from({ length: h }, (_, i) => Math.expm1(st.level + st.s[(st.n + i) % season]!));
    },
  };
}

/**
 * Demand-like panel (issue 24, part 2): the last 4 weeks of each series, as the retraining flow
 * would see them: refitted at the start of each week on everything before it, then forecast a day
 * at a time from the observed history (day-ahead). The forecaster, seasonal naive (daily and weekly,
 * the better per series on these weeks), the bench's own Holt-Winters on log1p and, when Debian's
 * Python imports it, statsmodels' Holt-Winters (bench/statsmodels_hw.py: additive and on log1p,
 * same origins), each scored alike.
 */
export function demandFigures(progress: (m: string) => void): Figure[] {
  const panel = demandPanel();
  const protocol: PanelProtocol = { season: 168, horizon: 24, dayStep: 24, weekSteps: 168, weeks: 4 };
  const WEEKS = protocol.weeks;
  progress(`demand panel: ${panel.length} hourly series × 10 weeks, last ${WEEKS} weeks, refitted weekly, day-ahead`);
  const ours: number[] = [], naive: number[] = [], hwl: number[] = [], cov: number[] = [];
  // What statsmodels' forecasts are scored against, per series: the same points and MASE scale.
  const scored: { actual: number[]; tv: number[] }[] = [];
  let oursMs = 0, hwMs = 0, fits = 0, logs = 0;
  // Our fit + forecast per series, CPU (all of Node's threads, as process_time counts Python's) and wall.
  const oursCpuS: number[] = [], oursWallS: number[] = [];
  const cpuS = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
  for (const s of panel) {
    const n = s.points.length;
    const first = n - WEEKS * 168;
    const tv = s.points.slice(0, first).map((p) => p.value);
    const actual: number[] = [], pOurs: number[] = [], pHw: number[] = [], daily: number[] = [], weekly: number[] = [];
    const rows = [];
    let cpu = 0, wall = 0;
    for (let w = 0; w < WEEKS; w++) {
      const origin = first + w * 168;
      const train = { ...s, points: s.points.slice(0, origin) };
      let c = cpuS();
      let t = performance.now();
      const model = new SeasonalProfileForecaster().fit(train);
      const fitMs = performance.now() - t;
      oursMs += fitMs;
      wall += fitMs;
      cpu += cpuS() - c;
      t = performance.now();
      const ref = holtWintersLog(train.points.map((p) => p.value), 168);
      hwMs += performance.now() - t;
      fits++;
      if (model.json.transform === "log1p") logs++;
      for (let d = 0; d < 7; d++) {
        const upto = origin + d * 24;
        const history = { ...s, points: s.points.slice(0, upto) };
        c = cpuS();
        t = performance.now();
        const f = model.forecast(24, { level: 0.8, history });
        wall += performance.now() - t;
        cpu += cpuS() - c;
        rows.push(...f);
        pOurs.push(...f.map((r) => r.forecast));
        pHw.push(...ref.forecast(history.points.map((p) => p.value), 24));
        for (let h = 0; h < 24; h++) {
          actual.push(s.points[upto + h]!.value);
          // Same hour yesterday / last week, both observed at the day's origin.
          daily.push(s.points[upto + h - 24]!.value);
          weekly.push(s.points[upto + h - 168]!.value);
        }
      }
    }
    oursCpuS.push(cpu);
    oursWallS.push(wall / 1000);
    scored.push({ actual, tv });
    ours.push(maseOf(actual, pOurs, tv, 24));
    hwl.push(maseOf(actual, pHw, tv, 24));
    naive.push(Math.min(maseOf(actual, daily, tv, 24), maseOf(actual, weekly, tv, 24)));
    cov.push(intervalCoverage(actual, rows));
  }
  const m = mean(ours), h = mean(hwl), nv = mean(naive);
  return [
    { name: "ml.demand_mase", value: m, unit: "MASE", description: `seasonal profile (log form chosen in ${logs} of ${fits} fits), generated demand panel (multiplicative weekly pattern, level shifts, seed 20260224), last ${WEEKS} weeks refitted weekly, day-ahead; better seasonal naive per series ${nv.toFixed(3)}`, reference: { name: "Holt-Winters (A,N,A) on log1p, weekly season (bench's own)", value: h, unit: "MASE" }, ratio: m / h, ratioMeaning: "profile / Holt-Winters on log1p" },
    { name: "ml.demand_mase.naive", value: nv, unit: "MASE", description: "better of seasonal naive daily and weekly per series, on the same weeks" },
    { name: "ml.demand_coverage_80", value: mean(cov), unit: "share", description: "share of the same points inside the profile's 80 % interval (target 0.78–0.85)", target: { op: ">=", value: 0.78, on: "value" } },
    { name: "ml.demand_fit_ms", value: oursMs / fits, unit: "ms/fit", description: "profile fit on 6–9 weeks hourly (configurations × additive/log × origin level, then the calibration fit)", reference: { name: "Holt-Winters on log1p, 20-point grid", value: hwMs / fits, unit: "ms/fit" }, ratio: hwMs / oursMs, ratioMeaning: "reference fit time / profile fit time" },
    ...statsmodelsFigures(panel, protocol, scored, ours, oursCpuS, oursWallS, progress),
  ];
}

/**
 * statsmodels' Holt-Winters on the same panel and origins (bench/statsmodelsReference.ts): its MASE
 * per variant against ours, and the speed ratio against its best variant (lowest MASE), fit +
 * forecast on the same series, timed inside each process. Nothing but one line without statsmodels.
 */
function statsmodelsFigures(panel: readonly Series[], protocol: PanelProtocol, scored: readonly { actual: number[]; tv: number[] }[], ours: readonly number[], oursCpuS: readonly number[], oursWallS: readonly number[], progress: (m: string) => void): Figure[] {
  const avail = statsmodelsVersion();
  if (!avail.ok) {
    progress(`no statsmodels reference: ${avail.reason} (apt-get install python3-statsmodels; STATSMODELS_PYTHON names another interpreter)`);
    return [];
  }
  progress(`statsmodels ${avail.version}: Holt-Winters (additive, and on log1p) on the same ${panel.length} series and origins`);
  const sm = runStatsmodels(panel, protocol);
  const m = mean(ours);
  const byVariant = STATSMODELS_VARIANTS.map((name) => {
    const rows = sm.variants[name];
    const mases = rows.map((r, i) => maseOf(scored[i]!.actual, r.forecasts, scored[i]!.tv, 24));
    const cpu = rows.reduce((a, r) => a + r.fitCpuSeconds + r.forecastCpuSeconds, 0);
    const wall = rows.reduce((a, r) => a + r.fitWallSeconds + r.forecastWallSeconds, 0);
    const fitCpu = rows.reduce((a, r) => a + r.fitCpuSeconds, 0);
    return { name, mase: mean(mases), wins: mases.filter((x, i) => ours[i]! < x).length, cpu, wall, fitCpu };
  });
  const best = byVariant.reduce((a, b) => (b.mase < a.mase ? b : a));
  const oursCpu = oursCpuS.reduce((a, b) => a + b, 0), oursWall = oursWallS.reduce((a, b) => a + b, 0);
  const what = `ExponentialSmoothing(trend=None, seasonal="add", seasonal_periods=168, initialization_method="estimated").fit() refitted weekly, each day's forecast from the week's parameters over the history to that day`;
  const figures: Figure[] = byVariant.map((v) => ({
    name: `ml.demand_mase.statsmodels_${v.name}`, value: v.mase, unit: "MASE",
    description: `statsmodels ${sm.version} Holt-Winters ${v.name === "log1p" ? "on log1p(y), forecasts expm1" : "on y"}, ${what}; ours better on ${v.wins} of ${panel.length} series; ${v.cpu.toFixed(1)} CPU s (${v.fitCpu.toFixed(1)} in the fits), ${v.wall.toFixed(1)} s wall`,
    reference: { name: "seasonal profile (ours), same points", value: m, unit: "MASE" }, ratio: m / v.mase, ratioMeaning: "ours / statsmodels",
  }));
  figures.push({
    name: "ml.demand_fit_forecast_cpu_s", value: oursCpu, unit: "CPU s",
    description: `seasonal profile fit + forecast, ${panel.length} series × ${protocol.weeks} weekly fits and ${protocol.weeks * 7} daily forecasts, against statsmodels' best variant here (${best.name}, MASE ${best.mase.toFixed(3)}) on the same, each timed inside its own process (start-up excluded); wall time ${oursWall.toFixed(2)} s against ${best.wall.toFixed(1)} s, ${(best.wall / oursWall).toFixed(1)}×`,
    reference: { name: `statsmodels' Holt-Winters ${best.name}, the best variant`, value: best.cpu, unit: "CPU s" }, ratio: best.cpu / oursCpu, ratioMeaning: "statsmodels' CPU time / ours (issue 24: ≥ 10)", target: { op: ">=", value: 10 },
  });
  return figures;
}

/**
 * Local serving (issue 24, part 4): InvokeEndpoint-shaped requests against a champion in a local
 * registry in a temporary folder: a forecast per meter (DeepAR JSON, one week of history) and a
 * random cut forest (CSV, 60 rows). Invocations/s and p99 latency over 1 s of calls each, sequential
 * (the machine is shared; one caller shows the cost of one request).
 */
export async function servingFigures(series: readonly Series[], progress: (m: string) => void): Promise<Figure[]> {
  if (series.length === 0) return [];
  const home = mkdtempSync(join(tmpdir(), "hub-bench-serving-"));
  try {
    const registry = new LocalRegistry(home);
    const draft = (model: "forecast" | "anomaly", parameters: Record<string, unknown>) => ({
      tenantId: "acme", model, algorithm: "bench", parameters, trainingWindow: { from: START.toISOString(), to: START.toISOString() }, rowCount: 1,
      dataHash: "c".repeat(64), codeVersion: "bench", metrics: { m: 1 }, baselineMetrics: { m: 1 }, approvalStatus: "Approved" as const, reason: "bench champion",
    });
    const models = Object.fromEntries(series.map((s) => [s.seriesId, new SeasonalProfileForecaster().fit({ ...s, points: s.points.slice(0, -168) }).toJSON()]));
    await registry.register(draft("forecast", { horizonHours: 24 }), { kind: "json", body: { kind: "forecast", models } });
    const forest = new RandomCutForest({ dimensions: 3, seed: 7 });
    const g = (() => { let x = 1; return () => ((x = (x * 16807) % 2147483647) / 2147483647); })();
    for (let i = 0; i < 2000; i++) forest.update([50 + 10 * g(), 1200 + 50 * g(), 40 + 5 * g()]);
    await registry.register(draft("anomaly", {}), { kind: "json", body: { kind: "anomaly", models: {}, streaming: { "acme-m-1": forest.toJSON() } } });
    const endpoint = new LocalEndpoint(registry);
    const forecastReq = { ...deeparRequest([{ ...series[0]!, points: series[0]!.points.slice(-168) }]), customAttributes: `series_id=${series[0]!.seriesId}` };
    const rcfReq = { ...csvRequest(Array.from({ length: 60 }, () => [50 + 10 * g(), 1200 + 50 * g(), 40 + 5 * g()])), customAttributes: "series_id=acme-m-1" };
    const figures: Figure[] = [];
    for (const [name, model, req, what] of [["forecast", "forecast", forecastReq, "DeepAR JSON, one meter's week of history → 24 h mean and 0.025/0.975 quantiles"], ["anomaly", "anomaly", rcfReq, "CSV, 60 readings → 60 random cut forest scores"]] as const) {
      await endpoint.invoke("acme", model, req); // loads and caches the champion
      const lat: number[] = [];
      const t0 = performance.now();
      while (performance.now() - t0 < 1000) {
        const t = performance.now();
        await endpoint.invoke("acme", model, req);
        lat.push(performance.now() - t);
      }
      lat.sort((a, b) => a - b);
      const rate = lat.length / ((performance.now() - t0) / 1000);
      const p99 = lat[Math.min(lat.length - 1, Math.floor(0.99 * lat.length))]!;
      progress(`local serving ${name}: ${rate.toFixed(0)} invocations/s, p99 ${p99.toFixed(2)} ms`);
      figures.push({ name: `ml.serving.${name}_invocations_per_s`, value: rate, unit: "invocations/s", description: `local champion behind InvokeEndpoint's request and answer (${what}), one caller, ${lat.length} calls; median ${lat[lat.length >> 1]!.toFixed(2)} ms` });
      figures.push({ name: `ml.serving.${name}_p99_ms`, value: p99, unit: "ms", description: `p99 latency of the same calls (registry lookup of the champion, request parse, scoring, answer)` });
    }
    return figures;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
