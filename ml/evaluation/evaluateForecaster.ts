/**
 * One forecaster on one series against the naive baseline (issue 5, section 2): time holdout, the
 * model fitted once on what precedes it, then the holdout forecast in blocks of `horizon` steps, each
 * block from the observed points before it (as in production: trained once, forecasting the next day
 * every day). The baseline is seasonal naive daily and weekly, scored the same way; `baseline` is the
 * better of the two ON THE HOLDOUT, the strictest reading of "the better of daily and weekly".
 */
import type { Forecaster, Metrics, Series } from "../contract.ts";
import { seasonLengths } from "../series.ts";
import { SeasonalNaiveForecaster } from "../trainers/seasonalNaive.ts";
import { intervalCoverage, mae, mase, smape } from "./forecastMetrics.ts";
import { timeHoldout } from "./holdout.ts";

export interface ForecastEvaluation {
  readonly seriesId: string;
  readonly model: Metrics;
  readonly daily: Metrics;
  readonly weekly: Metrics;
  /** The better (lower MASE) of daily and weekly. */
  readonly baseline: Metrics & { readonly period: number };
  /** model MASE / baseline MASE: below 1 beats the baseline. */
  readonly maseRatio: number;
  readonly fitMs: number;
}

export interface EvaluateOptions {
  /** Points held back. Default one week of steps. */
  readonly holdoutSteps?: number;
  /** Steps forecast from each origin. Default one day of steps. */
  readonly horizon?: number;
  /** Interval level whose coverage is reported. Default 0.95. */
  readonly level?: number;
}

export function evaluateForecaster(forecaster: Forecaster, series: Series, options: EvaluateOptions = {}): ForecastEvaluation {
  const seasons = seasonLengths(series.stepMs);
  if (!seasons.day) throw new Error(`evaluateForecaster: step ${series.stepMs} ms does not divide a day`);
  const holdoutSteps = options.holdoutSteps ?? (seasons.week || seasons.day);
  const horizon = options.horizon ?? seasons.day;
  const level = options.level ?? 0.95;
  const { train, test } = timeHoldout(series, holdoutSteps);
  const trainValues = train.points.map((p) => p.value);
  const actual = test.points.map((p) => p.value);
  const score = (f: Forecaster): { metrics: Metrics; ms: number } => {
    const t0 = performance.now();
    const model = f.fit(train);
    const ms = performance.now() - t0;
    const rows = [];
    for (let start = 0; start < test.points.length; start += horizon) {
      const history = { ...series, points: series.points.slice(0, train.points.length + start) };
      rows.push(...model.forecast(Math.min(horizon, test.points.length - start), { level, history }));
    }
    const predicted = rows.map((r) => r.forecast);
    const ok = actual.map((v, i) => Number.isFinite(v) && Number.isFinite(predicted[i]!));
    const a = actual.filter((_, i) => ok[i]);
    const p = predicted.filter((_, i) => ok[i]);
    const finiteTrain = trainValues.map((v) => (Number.isFinite(v) ? v : 0));
    return {
      metrics: {
        mase: mase(a, p, finiteTrain, seasons.day), smape: smape(a, p), mae: mae(a, p),
        coverage: intervalCoverage(a, rows.filter((_, i) => ok[i])),
      },
      ms,
    };
  };
  const model = score(forecaster);
  const daily = score(new SeasonalNaiveForecaster("daily")).metrics;
  const canWeekly = seasons.week && train.points.length > seasons.week;
  const weekly: Metrics = canWeekly ? score(new SeasonalNaiveForecaster("weekly")).metrics : { mase: Infinity, smape: Infinity, mae: Infinity, coverage: 0 };
  const baseline: Metrics & { readonly period: number } = weekly.mase! < daily.mase! ? { ...weekly, period: seasons.week } : { ...daily, period: seasons.day };
  return {
    seriesId: series.seriesId, model: model.metrics, daily, weekly, baseline,
    maseRatio: baseline.mase === 0 ? (model.metrics.mase === 0 ? 1 : Infinity) : model.metrics.mase! / baseline.mase!, fitMs: model.ms,
  };
}
