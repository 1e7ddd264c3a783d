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
 * A slow exponentially weighted level (`levelAlpha`) follows drift that the training window did not see.
 */
import type { AnomalyModel, AnomalyRow, Series } from "../contract.ts";
import { checkSeries } from "../series.ts";
import { SeasonalProfileForecaster, SeasonalProfileModel, loadSeasonalProfileModel, type SeasonalProfileJSON, type SeasonalProfileOptions } from "./seasonalProfile.ts";

export const FORECAST_ANOMALY = "forecast_interval";

export interface AnomalyDetectorOptions extends SeasonalProfileOptions {
  /** Prediction-interval coverage; points outside are anomalies. Default 0.99 (Cortex's default). */
  readonly level?: number;
  /** Consecutive flags after which the detector accepts a new level. Default 3. */
  readonly shiftAfter?: number;
  /** Weight of each unflagged point's error in the running level. Default 0.02. */
  readonly levelAlpha?: number;
}

export interface ForecastAnomalyJSON {
  readonly algorithm: typeof FORECAST_ANOMALY;
  readonly level: number;
  readonly shiftAfter: number;
  readonly levelAlpha: number;
  readonly forecaster: SeasonalProfileJSON;
}

export class ForecastAnomalyDetector {
  readonly algorithm = FORECAST_ANOMALY;
  constructor(private readonly options: AnomalyDetectorOptions = {}) {
    const level = options.level ?? 0.99;
    if (!(level > 0 && level < 1)) throw new Error(`anomaly detector: level must be in (0, 1), got ${level}`);
  }

  fit(train: Series): ForecastAnomalyModel {
    const forecaster = new SeasonalProfileForecaster({ maxGapSteps: this.options.maxGapSteps }).fit(train);
    return new ForecastAnomalyModel({
      algorithm: FORECAST_ANOMALY, level: this.options.level ?? 0.99, shiftAfter: this.options.shiftAfter ?? 3,
      levelAlpha: this.options.levelAlpha ?? 0.02, forecaster: forecaster.toJSON(),
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
    return { level: this.json.level, shiftAfter: this.json.shiftAfter, levelAlpha: this.json.levelAlpha, ...this.forecaster.params };
  }

  /** One row per point with a finite value, in order; holes (NaN, missing steps) are skipped and the AR state decays across them. */
  detect(series: Series): AnomalyRow[] {
    if (series.stepMs !== this.forecaster.stepMs) throw new Error(`detect: series ${series.seriesId} has step ${series.stepMs} ms, the model was trained on ${this.forecaster.stepMs} ms`);
    // Order and infinities are checked the same way as for training; holes are allowed here.
    checkSeries(series, { minPoints: 1, maxGapSteps: Number.MAX_SAFE_INTEGER, allowConstant: true });
    const { level, shiftAfter, levelAlpha } = this.json;
    const f = this.forecaster;
    const step = series.stepMs;
    const z = f.zAt(level);
    const sigma = f.sigma(1);
    const phi = f.phi;
    let prevTs = f.trainedUntil.getTime();
    let x = f.lastResidual; // deviation from profile + level at prevTs
    let shift = 0; // running level offset learned while detecting
    let run: number[] = []; // errors of the current run of flags
    const rows: AnomalyRow[] = [];
    for (const p of series.points) {
      if (!Number.isFinite(p.value)) continue;
      const ts = p.ts.getTime();
      const gap = Math.max(1, Math.round((ts - prevTs) / step));
      if (ts <= prevTs) x = 0; // scoring data before or inside the training window: no carried state
      const base = f.profile(ts) + shift;
      const forecast = base + phi ** gap * x;
      const e = p.value - forecast;
      const dz = e / sigma;
      const flagged = Math.abs(dz) > z;
      if (flagged) {
        run.push(e);
        if (run.length >= shiftAfter) {
          shift += run.reduce((a, b) => a + b, 0) / run.length;
          run = [];
          x = p.value - (f.profile(ts) + shift);
        } else {
          x = forecast - base;
        }
      } else {
        run = [];
        shift += levelAlpha * e;
        x = p.value - (f.profile(ts) + shift);
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
