/**
 * The anomaly detector on the Cortex contract (DETECT_ANOMALIES): fit the forecaster on a training
 * window, then for each new point forecast it one step ahead from the points before it and flag it when
 * it falls outside the prediction interval at `level` (Cortex's `prediction_interval`).
 *
 * Two rules keep one fault from raising a string of false flags after it (each flag outside a fault
 * window counts against precision):
 * - a flagged point does not feed the next forecast: the detector carries its own forecast instead, so
 *   a spike does not drag the next point's forecast up (robust filtering, as in Gelper, Fried &
 *   Croux 2010, "Robust forecasting with exponential and Holt-Winters smoothing");
 * - after `shiftAfter` consecutive flags the level is taken to have moved (a real level shift, a
 *   re-configured machine) and the detector re-anchors on the new level instead of flagging for ever.
 * While scoring it keeps learning: a slow level (`levelAlpha`), an hour-of-day correction
 * (`seasonalAlpha`, from Huber-clipped errors) and the spread (`scaleAlpha`), so a pattern the training
 * window was too short to show stops raising flags. And it raises one flag per episode: within
 * `cooldownSteps` of a flag, points outside the interval show in `distance` but are not flagged again.
 */
import type { AnomalyModel, AnomalyRow, Series } from "../contract.ts";
import { checkSeries, seasonLengths, seasonSlot } from "../series.ts";
import { SeasonalProfileForecaster, SeasonalProfileModel, loadSeasonalProfileModel, type SeasonalProfileJSON, type SeasonalProfileOptions } from "./seasonalProfile.ts";

export const FORECAST_ANOMALY = "forecast_interval";
/** See `AnomalyDetectorOptions.level`. */
export const DEFAULT_ANOMALY_LEVEL = 0.99999;

export interface AnomalyDetectorOptions extends SeasonalProfileOptions {
  /**
   * Prediction-interval coverage; points outside are anomalies. Default 0.99999, not Cortex's 0.99:
   * at 0.99 a month of hourly points (720) holds ~7 points outside the interval by construction,
   * each a false alert; the README ("ML: trainers and evaluation") has the event-level F1 by level on
   * the simulator's faults and on nab-dev.
   */
  readonly level?: number;
  /** Consecutive flags after which the detector accepts a new level. Default 3. */
  readonly shiftAfter?: number;
  /** Weight of each unflagged point's error in the running level. Default 0.02. */
  readonly levelAlpha?: number;
  /** Weight of each unflagged point's absolute error in the running spread. Default 0.01. */
  readonly scaleAlpha?: number;
  /** Weight of each unflagged point in the online correction of its hour-of-day slot. Default 0.1. */
  readonly seasonalAlpha?: number;
  /** Steps after a flag in which no new flag is raised (one alert per episode). Default: one day of steps, or 24. */
  readonly cooldownSteps?: number;
}

export interface ForecastAnomalyJSON {
  readonly algorithm: typeof FORECAST_ANOMALY;
  readonly level: number;
  readonly shiftAfter: number;
  readonly levelAlpha: number;
  readonly scaleAlpha: number;
  readonly seasonalAlpha: number;
  readonly cooldownSteps: number;
  readonly forecaster: SeasonalProfileJSON;
}

export class ForecastAnomalyDetector {
  readonly algorithm = FORECAST_ANOMALY;
  constructor(private readonly options: AnomalyDetectorOptions = {}) {
    const level = options.level ?? DEFAULT_ANOMALY_LEVEL;
    if (!(level > 0 && level < 1)) throw new Error(`anomaly detector: level must be in (0, 1), got ${level}`);
  }

  fit(train: Series): ForecastAnomalyModel {
    const forecaster = new SeasonalProfileForecaster({ maxGapSteps: this.options.maxGapSteps }).fit(train);
    return new ForecastAnomalyModel({
      algorithm: FORECAST_ANOMALY, level: this.options.level ?? DEFAULT_ANOMALY_LEVEL, shiftAfter: this.options.shiftAfter ?? 3,
      levelAlpha: this.options.levelAlpha ?? 0.02, scaleAlpha: this.options.scaleAlpha ?? 0.01, seasonalAlpha: this.options.seasonalAlpha ?? 0.1,
      cooldownSteps: this.options.cooldownSteps ?? (seasonLengths(train.stepMs).day || 24), forecaster: forecaster.toJSON(),
    });
  }
}

export class ForecastAnomalyModel implements AnomalyModel {
  readonly algorithm = FORECAST_ANOMALY;
  private readonly forecaster: SeasonalProfileModel;
  constructor(readonly json: ForecastAnomalyJSON) {
    this.forecaster = loadSeasonalProfileModel(json.forecaster);
  }

  get params(): Readonly<Record<string, unknown>> {
    const { level, shiftAfter, levelAlpha, scaleAlpha, seasonalAlpha, cooldownSteps } = this.json;
    return { level, shiftAfter, levelAlpha, scaleAlpha, seasonalAlpha, cooldownSteps, ...this.forecaster.params };
  }

  /**
   * One row per point with a finite value, in order; holes (NaN, missing steps) are skipped and the AR
   * state decays across them. `is_anomaly` marks the first point outside the interval in `cooldownSteps`;
   * later ones in that span show in `distance` and `percentile` but are not flagged again.
   */
  detect(series: Series): AnomalyRow[] {
    if (series.stepMs !== this.forecaster.stepMs) throw new Error(`detect: series ${series.seriesId} has step ${series.stepMs} ms, the model was trained on ${this.forecaster.stepMs} ms`);
    // Order and infinities are checked the same way as for training; holes are allowed here.
    checkSeries(series, { minPoints: 1, maxGapSteps: Number.MAX_SAFE_INTEGER, allowConstant: true });
    const { level, shiftAfter, levelAlpha, scaleAlpha, seasonalAlpha, cooldownSteps } = this.json;
    const f = this.forecaster;
    const step = series.stepMs;
    const z = f.zAt(level);
    const trainedSigma = f.sigma(1);
    // The running spread is tracked as a mean absolute error and mapped back to the trained spread's
    // units, so the |z| table learned in training still applies (a mostly-zero series has a robust σ
    // far below its RMS error).
    const trainedMae = f.json.mae1 > 0 ? f.json.mae1 : trainedSigma;
    let meanAbs = trainedMae;
    const phi = f.phi;
    let prevTs = f.trainedUntil.getTime();
    let x = f.lastResidual; // deviation from profile + shift at prevTs
    let shift = 0; // level offset learned while detecting
    let run: number[] = []; // errors of the current run of points outside the interval
    let lastFlag = -Infinity;
    // Online correction of the hour-of-day profile (Holt-Winters' seasonal update), so a pattern the
    // training window was too short to learn, or that changed since, stops raising flags.
    const daySteps = seasonLengths(step).day;
    const seasonal = new Float64Array(daySteps);
    const rows: AnomalyRow[] = [];
    for (const p of series.points) {
      if (!Number.isFinite(p.value)) continue;
      const ts = p.ts.getTime();
      const gap = Math.max(1, Math.round((ts - prevTs) / step));
      if (ts <= prevTs) x = 0; // scoring data before or inside the training window: no carried state
      const slot = daySteps ? seasonSlot(ts, step, daySteps) : 0;
      const base = f.profile(ts) + shift + (daySteps ? seasonal[slot]! : 0);
      const forecast = base + phi ** gap * x;
      const e = p.value - forecast;
      // The spread follows the data, but never below half of what training saw: a quiet spell must not make every wiggle an anomaly.
      const sigma = Math.max((trainedSigma * meanAbs) / trainedMae, trainedSigma / 2);
      const dz = e / sigma;
      const outside = Math.abs(dz) > z;
      const flagged = outside && (ts - lastFlag) / step >= cooldownSteps;
      if (flagged) lastFlag = ts;
      if (outside) {
        run.push(e);
        if (run.length >= shiftAfter) {
          shift += run.reduce((a, b) => a + b, 0) / run.length;
          run = [];
          x = p.value - (f.profile(ts) + shift + (daySteps ? seasonal[slot]! : 0));
        } else {
          x = forecast - base;
        }
        // The hour-of-day correction still learns, from the error clipped to the interval (Huber-style,
        // as in Gelper et al.): a pattern that changed stops being flagged after a few days, a one-off
        // spike moves it by at most one interval width × seasonalAlpha.
        if (daySteps) seasonal[slot]! += seasonalAlpha * Math.sign(e) * z * sigma;
      } else {
        run = [];
        shift += levelAlpha * e;
        meanAbs += scaleAlpha * (Math.abs(e) - meanAbs);
        if (daySteps) seasonal[slot]! += seasonalAlpha * (p.value - base - phi ** gap * x);
        x = p.value - (f.profile(ts) + shift + (daySteps ? seasonal[slot]! : 0));
      }
      prevTs = ts;
      const halfWidth = z * sigma;
      rows.push({
        ts: p.ts, y: p.value, forecast, lower_bound: forecast - halfWidth, upper_bound: forecast + halfWidth, is_anomaly: flagged,
        percentile: 0.5 + Math.sign(dz) * f.coverageOf(Math.abs(dz)) / 2, distance: dz,
      });
    }
    return rows;
  }

  toJSON(): ForecastAnomalyJSON {
    return this.json;
  }
}

export function loadAnomalyModel(json: ForecastAnomalyJSON): ForecastAnomalyModel {
  if (json?.algorithm !== FORECAST_ANOMALY) throw new Error(`not a ${FORECAST_ANOMALY} model: algorithm ${(json as { algorithm?: unknown })?.algorithm}`);
  return new ForecastAnomalyModel(json);
}
