/**
 * The naive baseline (ARCHITECTURE.md, "ML contract"): seasonal naive daily (same step yesterday)
 * and weekly (same step last week), and the better of the two. A challenger must beat it on held-back
 * data. Intervals come from the in-sample errors of the same rule (errorQuantiles.ts); k seasons
 * ahead the error scale grows like √k, as for a random walk across seasons.
 */
import type { ForecastModel, ForecastRow, Forecaster, Series } from "../contract.ts";
import { checkSeries, seasonLengths } from "../series.ts";
import { ErrorQuantiles, type ErrorQuantilesJSON } from "./errorQuantiles.ts";

export type NaivePeriod = "daily" | "weekly";
export const SEASONAL_NAIVE = "seasonal_naive";

export interface SeasonalNaiveJSON {
  readonly algorithm: typeof SEASONAL_NAIVE;
  readonly seriesId: string;
  readonly period: NaivePeriod;
  readonly season: number;
  readonly stepMs: number;
  readonly trainedUntil: string;
  /** The last `season` training values: what the forecast repeats. */
  readonly lastSeason: readonly number[];
  readonly sigma: number;
  readonly quantiles: ErrorQuantilesJSON;
  /** In-sample MAE of each period considered (for the best-of choice). */
  readonly inSampleMae: Readonly<Partial<Record<NaivePeriod, number>>>;
}

/** Weeks of held-back days `best` chooses on (see the constructor). */
const HELD_BACK_WEEKS = 4;

export class SeasonalNaiveForecaster implements Forecaster {
  readonly algorithm = SEASONAL_NAIVE;
  /**
   * `best`: daily or weekly, whichever forecast the held-back days better: every day of the last
   * four weeks of training (or what there is) where both rules have a value, each day forecast from
   * the day before it as the gate's holdout does. One week picked the rule that was worse over the
   * next week at 121 of 696 daily origins of the generated demand panel, four weeks at 66 (README).
   */
  constructor(readonly period: NaivePeriod | "best" = "best") {}

  fit(train: Series): SeasonalNaiveModel {
    const seasons = seasonLengths(train.stepMs);
    if (!seasons.day) throw new Error(`seasonal naive: step ${train.stepMs} ms does not divide a day`);
    const periods: NaivePeriod[] = this.period === "best" ? ["daily", "weekly"] : [this.period];
    const minPoints = Math.min(...periods.map((p) => (p === "daily" ? seasons.day : seasons.week))) + 1;
    const { values: y } = checkSeries(train, { minPoints, allowConstant: true });
    const n = y.length;
    const inSampleMae: Partial<Record<NaivePeriod, number>> = {};
    // Compare on the same points: the last four weeks (or what there is) where both rules have a value.
    const scoredFrom = Math.max(n - HELD_BACK_WEEKS * (seasons.week || 7 * seasons.day), periods.includes("weekly") && n > seasons.week ? seasons.week : seasons.day);
    let best: NaivePeriod | null = null;
    for (const p of periods) {
      const m = p === "daily" ? seasons.day : seasons.week;
      if (n <= m) continue;
      let s = 0, c = 0;
      for (let t = Math.max(scoredFrom, m); t < n; t++) { s += Math.abs(y[t]! - y[t - m]!); c++; }
      inSampleMae[p] = s / c;
      if (best === null || inSampleMae[p]! < inSampleMae[best]!) best = p;
    }
    if (best === null) throw new Error(`seasonal naive: series ${train.seriesId} is not longer than a day`);
    const m = best === "daily" ? seasons.day : seasons.week;
    const errors: number[] = [];
    for (let t = m; t < n; t++) errors.push(y[t]! - y[t - m]!);
    const sigma = Math.sqrt(errors.reduce((a, e) => a + e * e, 0) / errors.length) || 1e-9;
    return new SeasonalNaiveModel({
      algorithm: SEASONAL_NAIVE, seriesId: train.seriesId, period: best, season: m, stepMs: train.stepMs,
      trainedUntil: train.points[train.points.length - 1]!.ts.toISOString(), lastSeason: Array.from(y.subarray(n - m)),
      sigma, quantiles: ErrorQuantiles.fromErrors(errors.map((e) => e / sigma)).toJSON(), inSampleMae,
    });
  }
}

export class SeasonalNaiveModel implements ForecastModel {
  readonly algorithm = SEASONAL_NAIVE;
  readonly trainedUntil: Date;
  private readonly quantiles: ErrorQuantiles;
  constructor(readonly json: SeasonalNaiveJSON) {
    this.trainedUntil = new Date(json.trainedUntil);
    this.quantiles = ErrorQuantiles.fromJSON(json.quantiles);
  }

  get params(): Readonly<Record<string, unknown>> {
    return { period: this.json.period, season: this.json.season };
  }

  forecast(horizon: number, options: { level?: number; history?: Series } = {}): ForecastRow[] {
    if (!Number.isInteger(horizon) || horizon < 1) throw new Error(`forecast: horizon must be a positive integer, got ${horizon}`);
    const { season: m, stepMs } = this.json;
    let lastSeason = this.json.lastSeason;
    let originTs = this.trainedUntil.getTime();
    if (options.history && options.history.points.length > 0) {
      // The newest full season of the history (NaN where the history has holes: carried from training).
      const pts = options.history.points;
      originTs = pts[pts.length - 1]!.ts.getTime();
      const byTs = new Map(pts.map((p) => [p.ts.getTime(), p.value]));
      const fresh: number[] = [];
      for (let k = m - 1; k >= 0; k--) {
        const v = byTs.get(originTs - k * stepMs);
        fresh.push(v !== undefined && Number.isFinite(v) ? v : NaN);
      }
      // A hole takes the same step one season earlier, else the nearest earlier known value.
      let carry = NaN;
      lastSeason = fresh.map((v, i) => {
        if (Number.isNaN(v)) v = byTs.get(originTs - (m - 1 - i) * stepMs - m * stepMs) ?? NaN;
        if (Number.isFinite(v)) carry = v;
        return Number.isFinite(v) ? v : carry;
      });
      const firstKnown = lastSeason.find(Number.isFinite);
      if (firstKnown === undefined) lastSeason = this.json.lastSeason;
      else lastSeason = lastSeason.map((v) => (Number.isFinite(v) ? v : firstKnown));
    }
    const z = this.quantiles.at(options.level ?? 0.95);
    const rows: ForecastRow[] = [];
    for (let h = 1; h <= horizon; h++) {
      const f = lastSeason[(h - 1) % m]!;
      const half = z * this.json.sigma * Math.sqrt(Math.ceil(h / m));
      rows.push({ ts: new Date(originTs + h * stepMs), forecast: f, lower_bound: f - half, upper_bound: f + half });
    }
    return rows;
  }

  toJSON(): SeasonalNaiveJSON {
    return this.json;
  }
}

export function loadSeasonalNaiveModel(json: SeasonalNaiveJSON): SeasonalNaiveModel {
  if (json.algorithm !== SEASONAL_NAIVE) throw new Error(`not a ${SEASONAL_NAIVE} model: algorithm ${json.algorithm}`);
  return new SeasonalNaiveModel(json);
}
