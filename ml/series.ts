/**
 * Validation and cleaning of a training series (issue 5, section 7): each kind of bad input gets a
 * `SeriesError` naming the series and the value, or a documented handling.
 *
 * | input                                   | handling                                              |
 * |-----------------------------------------|-------------------------------------------------------|
 * | ts not strictly increasing (or dupes)   | `UNSORTED`, naming the first offending position       |
 * | ts off the `stepMs` grid                | `GAPS`, naming the timestamp                          |
 * | missing steps or NaN values, ≤ maxGap   | filled by linear interpolation and counted            |
 * | missing steps, > maxGap                 | `GAPS`; with `longGaps: "keep"` left as NaN holes     |
 * | NaN values, > maxGap                    | `NON_FINITE`                                          |
 * | ±Infinity                               | `NON_FINITE`: a sensor never measures infinity        |
 * | fewer than `minPoints` points           | `TOO_SHORT`, with the count and the minimum           |
 * | every value equal                       | `CONSTANT`: there is no spread to learn intervals from |
 *
 * Interpolating short holes keeps a seasonal model's slots aligned; refusing long ones avoids
 * training on made-up data (a 6-hour hole in an hourly series is a quarter of a day).
 *
 * Missing time and missing values are different things (issue 24): a timestamp that never arrived
 * is a gap (the source, a sensor or a gateway was off), a NaN that did arrive is a value the
 * source could not measure. A trainer that can restart after a gap (`longGaps: "keep"`: the
 * forecaster skips the hole, the detector restarts its state after it) takes long gaps as holes
 * instead of refusing the series; a long run of NaN values is still refused.
 */
import { SeriesError, type Series, type SeriesPoint } from "./contract.ts";

export interface SeriesCheckOptions {
  /** Fewest points (after filling) a trainer accepts. */
  readonly minPoints: number;
  /** Longest run of missing steps / NaN values that is interpolated; longer runs are refused. Default 3. */
  readonly maxGapSteps?: number;
  /** Accept a constant series (default false: CONSTANT error). */
  readonly allowConstant?: boolean;
  /**
   * Runs of missing steps longer than `maxGapSteps`: "refuse" (default, `GAPS`) or "keep" (left as
   * NaN holes in `values` and `series`, counted in `holes`; nothing is made up for them).
   */
  readonly longGaps?: "refuse" | "keep";
}

export interface CheckedSeries {
  readonly series: Series;
  /** Values as a plain array, aligned with `series.points`. */
  readonly values: Float64Array;
  /** How many points were filled by interpolation (missing steps and NaN values). */
  readonly interpolated: number;
  /** Steps left as NaN holes (long gaps with `longGaps: "keep"`). */
  readonly holes: number;
}

/** Checks and regularises a series; throws SeriesError for what cannot be trained on. */
export function checkSeries(series: Series, opts: SeriesCheckOptions): CheckedSeries {
  const { seriesId, stepMs, points } = series;
  const maxGap = opts.maxGapSteps ?? 3;
  if (!(stepMs > 0) || !Number.isInteger(stepMs)) throw new SeriesError("GAPS", seriesId, `stepMs must be a positive integer of ms, got ${stepMs}`);
  if (points.length === 0) throw new SeriesError("TOO_SHORT", seriesId, `has 0 points, needs at least ${opts.minPoints}`);
  const t0 = points[0]!.ts.getTime();
  if (!Number.isFinite(t0)) throw new SeriesError("UNSORTED", seriesId, `point 0 has an invalid ts`);
  for (let i = 1; i < points.length; i++) {
    const prev = points[i - 1]!.ts.getTime();
    const t = points[i]!.ts.getTime();
    if (!(t > prev)) {
      throw new SeriesError("UNSORTED", seriesId, `ts must increase strictly: point ${i} (${fmtTs(t)}) is not after point ${i - 1} (${fmtTs(prev)})`);
    }
  }
  const last = points[points.length - 1]!.ts.getTime();
  const n = Math.round((last - t0) / stepMs) + 1;
  const values = new Float64Array(n).fill(NaN);
  const present = new Uint8Array(n);
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    const off = p.ts.getTime() - t0;
    if (off % stepMs !== 0) throw new SeriesError("GAPS", seriesId, `ts ${p.ts.toISOString()} is not on the ${stepMs} ms grid starting at ${fmtTs(t0)}`);
    if (p.value === Infinity || p.value === -Infinity) throw new SeriesError("NON_FINITE", seriesId, `value at ${p.ts.toISOString()} is ${p.value}`);
    const k = off / stepMs;
    values[k] = p.value;
    present[k] = 1;
  }
  // Fill holes: runs of NaN (missing step or NaN value), interpolated when short.
  let interpolated = 0;
  let holes = 0;
  for (let i = 0; i < n; ) {
    if (!Number.isNaN(values[i]!)) {
      i++;
      continue;
    }
    let j = i;
    let missingSteps = 0;
    while (j < n && Number.isNaN(values[j]!)) {
      if (!present[j]) missingSteps++;
      j++;
    }
    const run = j - i;
    if (run > maxGap) {
      const from = new Date(t0 + i * stepMs).toISOString();
      const nanValues = run - missingSteps;
      if (missingSteps > 0 && nanValues === 0 && opts.longGaps === "keep") {
        holes += run;
        i = j;
        continue;
      }
      if (missingSteps > 0 && nanValues === 0) throw new SeriesError("GAPS", seriesId, `${run} consecutive steps missing from ${from} (a gap: no reading arrived; at most ${maxGap} are interpolated)`);
      if (missingSteps > 0) throw new SeriesError("GAPS", seriesId, `${run} consecutive steps without a value from ${from} (${missingSteps} missing, ${nanValues} NaN; at most ${maxGap} are interpolated)`);
      throw new SeriesError("NON_FINITE", seriesId, `${run} consecutive NaN values from ${from} (readings that arrived without a value; at most ${maxGap} are interpolated)`);
    }
    const left = i > 0 ? values[i - 1]! : NaN;
    const right = j < n ? values[j]! : NaN;
    for (let k = i; k < j; k++) {
      // Ends have one neighbour only: carry it.
      values[k] = Number.isNaN(left) ? right : Number.isNaN(right) ? left : left + ((right - left) * (k - i + 1)) / (run + 1);
    }
    if (Number.isNaN(values[i]!)) throw new SeriesError("NON_FINITE", seriesId, `every value is NaN`);
    interpolated += run;
    i = j;
  }
  if (n < opts.minPoints) throw new SeriesError("TOO_SHORT", seriesId, `has ${n} points, needs at least ${opts.minPoints}`);
  if (!opts.allowConstant) {
    let constant = true;
    for (let i = 1; i < n && constant; i++) constant = Number.isNaN(values[i]!) || values[i] === values[0];
    if (constant) throw new SeriesError("CONSTANT", seriesId, `every one of its ${n} values is ${values[0]}: there is no variation to model`);
  }
  const out: SeriesPoint[] = new Array(n);
  for (let k = 0; k < n; k++) out[k] = { ts: new Date(t0 + k * stepMs), value: values[k]! };
  return { series: { ...series, points: out }, values, interpolated, holes };
}

function fmtTs(t: number): string {
  return Number.isFinite(t) ? new Date(t).toISOString() : String(t);
}

/** Position of `ts` within a season of `seasonSteps` steps (calendar-aligned: slot 0 = UTC midnight, Monday for weeks). */
export function seasonSlot(tsMs: number, stepMs: number, seasonSteps: number): number {
  // 1970-01-01 was a Thursday; shift by 3 days so weekly slot 0 is Monday 00:00 UTC.
  const shifted = tsMs + 3 * 86_400_000;
  const k = Math.floor(shifted / stepMs);
  return ((k % seasonSteps) + seasonSteps) % seasonSteps;
}

/** Steps per day / week when the step divides them, else 0 (no such season). */
export function seasonLengths(stepMs: number): { day: number; week: number } {
  const day = 86_400_000 % stepMs === 0 ? 86_400_000 / stepMs : 0;
  return { day: day >= 2 ? day : 0, week: day >= 1 && 604_800_000 % stepMs === 0 ? 604_800_000 / stepMs : 0 };
}

/** A series from plain values, for tests and benchmarks. */
export function makeSeries(seriesId: string, start: Date, stepMs: number, values: ArrayLike<number>, tenantId = "t"): Series {
  const t0 = start.getTime();
  const points: SeriesPoint[] = [];
  for (let i = 0; i < values.length; i++) points.push({ ts: new Date(t0 + i * stepMs), value: values[i]! });
  return { tenantId, seriesId, stepMs, points };
}
