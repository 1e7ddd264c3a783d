/**
 * Forecast accuracy on held-back data (issue 5, section 2). MASE scales the holdout error by the
 * in-sample error of the seasonal-naive forecast (Hyndman & Koehler 2006,
 * https://robjhyndman.com/papers/mase.pdf), so 1 means "as good as repeating last season in sample";
 * sMAPE is the symmetric percentage error in [0, 2] (M4 competition definition, ×100 for percent).
 */
import type { ForecastRow } from "../contract.ts";

function checkLengths(actual: ArrayLike<number>, predicted: ArrayLike<number>, what: string): void {
  if (actual.length !== predicted.length) throw new Error(`${what}: actual has ${actual.length} values, predicted ${predicted.length}`);
  if (actual.length === 0) throw new Error(`${what}: no values to score`);
}

export function mae(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  checkLengths(actual, predicted, "mae");
  let s = 0;
  for (let i = 0; i < actual.length; i++) s += Math.abs(actual[i]! - predicted[i]!);
  return s / actual.length;
}

export function rmse(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  checkLengths(actual, predicted, "rmse");
  let s = 0;
  for (let i = 0; i < actual.length; i++) s += (actual[i]! - predicted[i]!) ** 2;
  return Math.sqrt(s / actual.length);
}

/** In-sample MAE of the seasonal-naive forecast y[t] ≈ y[t - m]: MASE's denominator. */
export function seasonalNaiveScale(train: ArrayLike<number>, m: number): number {
  if (!(m >= 1) || train.length <= m) throw new Error(`seasonalNaiveScale: training series of ${train.length} values is not longer than the season ${m}`);
  let s = 0;
  for (let t = m; t < train.length; t++) s += Math.abs(train[t]! - train[t - m]!);
  return s / (train.length - m);
}

/** Mean absolute scaled error: holdout MAE / in-sample seasonal-naive MAE with season `m`. */
export function mase(actual: ArrayLike<number>, predicted: ArrayLike<number>, train: ArrayLike<number>, m: number): number {
  const scale = seasonalNaiveScale(train, m);
  const err = mae(actual, predicted);
  if (scale === 0) return err === 0 ? 0 : Infinity;
  return err / scale;
}

/** Symmetric MAPE in [0, 2]; a point where actual and forecast are both 0 counts as 0 error. */
export function smape(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  checkLengths(actual, predicted, "smape");
  let s = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i]!) + Math.abs(predicted[i]!);
    s += d === 0 ? 0 : (2 * Math.abs(actual[i]! - predicted[i]!)) / d;
  }
  return s / actual.length;
}

/** Share of actual values inside [lower_bound, upper_bound]. */
export function intervalCoverage(actual: ArrayLike<number>, rows: readonly ForecastRow[]): number {
  if (actual.length !== rows.length) throw new Error(`intervalCoverage: actual has ${actual.length} values, forecast ${rows.length} rows`);
  if (rows.length === 0) throw new Error("intervalCoverage: no values to score");
  let inside = 0;
  for (let i = 0; i < rows.length; i++) if (actual[i]! >= rows[i]!.lower_bound && actual[i]! <= rows[i]!.upper_bound) inside++;
  return inside / rows.length;
}
