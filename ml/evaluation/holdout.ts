/**
 * Time-based holdout (issue 5, section 2): the last `holdoutSteps` points are held back and the model
 * is fitted only on what precedes them, so no future data reaches training.
 */
import { SeriesError, type Series } from "../contract.ts";

export interface Holdout {
  readonly train: Series;
  readonly test: Series;
}

export function timeHoldout(series: Series, holdoutSteps: number): Holdout {
  const n = series.points.length;
  if (!Number.isInteger(holdoutSteps) || holdoutSteps < 1) throw new Error(`timeHoldout: holdoutSteps must be a positive integer, got ${holdoutSteps}`);
  if (n <= holdoutSteps) throw new SeriesError("TOO_SHORT", series.seriesId, `has ${n} points, cannot hold back ${holdoutSteps} and still train`);
  const cut = n - holdoutSteps;
  const train = { ...series, points: series.points.slice(0, cut) };
  const test = { ...series, points: series.points.slice(cut) };
  // The invariant the split exists for: every training ts precedes every test ts.
  if (train.points[cut - 1]!.ts.getTime() >= test.points[0]!.ts.getTime()) {
    throw new SeriesError("UNSORTED", series.seriesId, "points are not sorted by ts, a time holdout would leak future data");
  }
  return { train, test };
}
