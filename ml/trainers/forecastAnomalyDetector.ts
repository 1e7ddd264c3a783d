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
 *
 * Alongside the interval, two one-sided CUSUMs (Page 1954) of the standardised one-step errors catch
 * what no single point shows: a sensor drifting by a spread an hour, which the AR(1) term follows so
 * each one-step error stays inside the interval, or a stuck reading sitting a little below its level.
 * The Cortex columns keep one meaning for every row, whichever rule fires:
 * - `distance`: this point's one-step error in spreads (signed); `percentile`: where that error sits
 *   in the training errors' distribution. A CUSUM flag usually has a modest distance (2–4): the point
 *   is the one that tipped the accumulated evidence over `cusumThreshold`, not an outlier itself.
 * - `lower_bound` / `upper_bound`: where this point would have been flagged. Normally the interval;
 *   once a side's CUSUM holds evidence, that side's bound moves towards the forecast (by the
 *   evidence), so `is_anomaly` is always "outside the bounds", outside a cooldown.
 * When a CUSUM fires, the level is re-anchored by the mean error of its run (its estimate of the
 * change), as `shiftAfter` does for the interval, so a real level shift raises one flag, not one a day.
 * A series that rests on a bound (a quarter of its training points at its minimum or maximum: the
 * share of time DOWN at 0) is forecast a little inside it, since the forecast is a mean; points on
 * the bound add no evidence towards it, or every quiet hour would count as a small "less than
 * expected" and the lower sum would fire on a healthy machine.
 * Models saved before this rule (JSON without `version`) load and score exactly as they did.
 */
import type { AnomalyModel, AnomalyRow, Series } from "../contract.ts";
import { checkSeries, seasonLengths, seasonSlot } from "../series.ts";
import { SeasonalProfileForecaster, SeasonalProfileModel, loadSeasonalProfileModel, type SeasonalProfileJSON, type SeasonalProfileOptions } from "./seasonalProfile.ts";

export const FORECAST_ANOMALY = "forecast_interval";
/** See `AnomalyDetectorOptions.level`. */
export const DEFAULT_ANOMALY_LEVEL = 0.99999;
/** See `AnomalyDetectorOptions.cusumThreshold` and `cusumAllowance`. */
export const DEFAULT_CUSUM_THRESHOLD = 8;
export const DEFAULT_CUSUM_ALLOWANCE = 1;
/**
 * What one point can add to a CUSUM, in spreads (Huber-clipped, as in robust CUSUMs): a single spike
 * is the interval's business, and one point of a mostly-zero series (share of time DOWN) 50 spreads
 * off must not fill the sum at once.
 */
export const CUSUM_CLIP = 2;
/** The JSON layout's version: 2 added the CUSUM rule. */
export const ANOMALY_MODEL_VERSION = 2;

export interface AnomalyDetectorOptions extends SeasonalProfileOptions {
  /**
   * Prediction-interval coverage; points outside are anomalies. Default 0.99999, not Cortex's 0.99:
   * at 0.99 a month of hourly points (720) holds ~7 points outside the interval by construction,
   * each a false alert; docs/ml.md ("ML: trainers and evaluation") has the event-level F1 by level on
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
  /**
   * CUSUM allowance k, in spreads: errors below this do not accumulate. Default 1: a run of errors of
   * 2 spreads (the clip) fills h = 8 in 8 steps, 1.5 spreads in 16; half-spread noise never does.
   */
  readonly cusumAllowance?: number;
  /**
   * CUSUM decision threshold h, in spreads; 0 turns the rule off. Default 8. Two one-sided cumulative
   * sums of the standardised one-step errors (Page 1954, S⁺ = max(0, S⁺ + min(dz, 2) − k), S⁻ alike)
   * flag a run of same-sign errors that no single point makes anomalous: a slow drift, which the
   * one-step forecast keeps following, or a stuck sensor's flat line. k and h were chosen on the
   * bench's fleet (seed 20260105) and checked on two other fleets and on nab-dev (README).
   */
  readonly cusumThreshold?: number;
}

export interface ForecastAnomalyJSON {
  readonly algorithm: typeof FORECAST_ANOMALY;
  readonly level: number;
  readonly shiftAfter: number;
  readonly levelAlpha: number;
  readonly scaleAlpha: number;
  readonly seasonalAlpha: number;
  readonly cooldownSteps: number;
  /** 2 since the CUSUM rule; absent in models saved before it (they load and score as before, without it). */
  readonly version?: number;
  readonly cusumAllowance?: number;
  readonly cusumThreshold?: number;
  /**
   * The lowest (highest) training value when at least a quarter of the training points sit on it: a
   * bound the series rests on (the share of time DOWN at 0, a busy machine's utilisation at 1).
   */
  readonly floor?: number;
  readonly ceiling?: number;
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
      cooldownSteps: this.options.cooldownSteps ?? (seasonLengths(train.stepMs).day || 24),
      version: ANOMALY_MODEL_VERSION, cusumAllowance: this.options.cusumAllowance ?? DEFAULT_CUSUM_ALLOWANCE, cusumThreshold: this.options.cusumThreshold ?? DEFAULT_CUSUM_THRESHOLD,
      ...restingBounds(train), forecaster: forecaster.toJSON(),
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
    const { level, shiftAfter, levelAlpha, scaleAlpha, seasonalAlpha, cooldownSteps, cusumAllowance, cusumThreshold } = this.json;
    return { level, shiftAfter, levelAlpha, scaleAlpha, seasonalAlpha, cooldownSteps, cusumAllowance: cusumAllowance ?? 0, cusumThreshold: cusumThreshold ?? 0, ...this.forecaster.params };
  }

  /**
   * One row per point with a finite value, in order; holes (NaN, missing steps) are skipped and the AR
   * state decays across them. `is_anomaly` marks the first point outside its bounds (the interval, or
   * the CUSUM's narrower bound) in `cooldownSteps`; later ones in that span show in `distance` and
   * `percentile` but are not flagged again.
   */
  detect(series: Series): AnomalyRow[] {
    if (series.stepMs !== this.forecaster.stepMs) throw new Error(`detect: series ${series.seriesId} has step ${series.stepMs} ms, the model was trained on ${this.forecaster.stepMs} ms`);
    // Order and infinities are checked the same way as for training; holes are allowed here.
    checkSeries(series, { minPoints: 1, maxGapSteps: Number.MAX_SAFE_INTEGER, allowConstant: true });
    const { level, shiftAfter, levelAlpha, scaleAlpha, seasonalAlpha, cooldownSteps } = this.json;
    // Models saved before the CUSUM rule (no threshold in their JSON) score as they did.
    const h = this.json.cusumThreshold ?? 0;
    const k = this.json.cusumAllowance ?? 0;
    const { floor, ceiling } = this.json;
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
    // The two one-sided CUSUMs (in spreads) and the errors of the run each has accumulated since it
    // last stood at 0: their mean is the size of the change when the sum crosses h.
    const up = { s: 0, sum: 0, n: 0 };
    const down = { s: 0, sum: 0, n: 0 };
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
      // The bounds are where this point would be flagged: the interval, narrowed on a side once that
      // side's CUSUM holds evidence (S⁺ + min(dz, clip) − k > h is the same as dz > h + k − S⁺ when
      // h + k − S⁺ < clip; otherwise the sum cannot cross on this point). So is_anomaly is always
      // "outside [lower_bound, upper_bound]", whichever rule drew the bound.
      const upperZ = h > 0 && h + k - up.s < CUSUM_CLIP ? Math.min(z, h + k - up.s) : z;
      const lowerZ = h > 0 && h + k - down.s < CUSUM_CLIP ? Math.min(z, h + k - down.s) : z;
      const outsideInterval = Math.abs(dz) > z;
      const outside = dz > upperZ || -dz > lowerZ;
      const flagged = outside && (ts - lastFlag) / step >= cooldownSteps;
      if (flagged) lastFlag = ts;
      if (outsideInterval) {
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
        if (outside) {
          // The CUSUM crossed: the level has moved by about the mean error of its run; take it as the
          // new level, as `shiftAfter` does for points outside the interval.
          const side = dz > 0 ? up : down;
          shift += (side.sum + e) / (side.n + 1);
        } else {
          shift += levelAlpha * e;
          meanAbs += scaleAlpha * (Math.abs(e) - meanAbs);
        }
        if (daySteps) seasonal[slot]! += seasonalAlpha * (p.value - base - phi ** gap * x);
        x = p.value - (f.profile(ts) + shift + (daySteps ? seasonal[slot]! : 0));
      }
      if (h > 0) {
        if (outside) {
          // Whatever raised it, an anomaly starts both sums afresh (the evidence has been used).
          up.s = up.sum = up.n = down.s = down.sum = down.n = 0;
        } else {
          const g = Math.max(-CUSUM_CLIP, Math.min(CUSUM_CLIP, dz));
          // At a bound the series rests on, the forecast sits a little inside it (it is a mean), so
          // every point there looks like a small error towards the bound: not evidence of a change.
          accumulate(up, (ceiling !== undefined && p.value >= ceiling ? 0 : g) - k, e);
          accumulate(down, (floor !== undefined && p.value <= floor ? 0 : -g) - k, e);
        }
      }
      prevTs = ts;
      rows.push({
        ts: p.ts, y: p.value, forecast, lower_bound: forecast - lowerZ * sigma, upper_bound: forecast + upperZ * sigma, is_anomaly: flagged,
        percentile: 0.5 + Math.sign(dz) * f.coverageOf(Math.abs(dz)) / 2, distance: dz,
      });
    }
    return rows;
  }

  toJSON(): ForecastAnomalyJSON {
    return this.json;
  }
}

/** One side of a CUSUM: S = max(0, S + step); the run's errors are kept while S > 0. */
function accumulate(side: { s: number; sum: number; n: number }, stepZ: number, e: number): void {
  side.s = Math.max(0, side.s + stepZ);
  if (side.s > 0) {
    side.sum += e;
    side.n++;
  } else {
    side.sum = 0;
    side.n = 0;
  }
}

export function loadAnomalyModel(json: ForecastAnomalyJSON): ForecastAnomalyModel {
  if (json?.algorithm !== FORECAST_ANOMALY) throw new Error(`not a ${FORECAST_ANOMALY} model: algorithm ${(json as { algorithm?: unknown })?.algorithm}`);
  return new ForecastAnomalyModel(json);
}


/** Share of the training points that must sit on the minimum (maximum) for it to count as a bound. */
const RESTING_SHARE = 0.25;

function restingBounds(train: Series): { floor?: number; ceiling?: number } {
  const v = train.points.map((p) => p.value).filter(Number.isFinite);
  let min = Infinity, max = -Infinity;
  for (const x of v) {
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const share = (b: number) => v.filter((x) => x === b).length / v.length;
  return { ...(share(min) >= RESTING_SHARE ? { floor: min } : {}), ...(share(max) >= RESTING_SHARE ? { ceiling: max } : {}) };
}
