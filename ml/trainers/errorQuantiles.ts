/**
 * Prediction intervals from observed errors rather than an assumed distribution (split-conformal
 * style, https://arxiv.org/abs/1604.04173): errors on held-back data, divided by a per-horizon scale,
 * give a table of |z| quantiles; an interval at level L is forecast ± scale_h · q(L). Above the
 * table's top level the Gaussian ratio extrapolates the tail (there are too few errors to see it).
 */
export const LEVEL_GRID = [0.5, 0.8, 0.9, 0.95, 0.975, 0.99, 0.995] as const;

export interface ErrorQuantilesJSON {
  readonly levels: readonly number[];
  readonly q: readonly number[];
}

export class ErrorQuantiles {
  private constructor(
    readonly levels: readonly number[],
    readonly q: readonly number[],
  ) {}

  /** From standardised errors (any sign); falls back to the Gaussian table when there are none. */
  static fromErrors(z: ArrayLike<number>): ErrorQuantiles {
    let finite = 0;
    for (let i = 0; i < z.length; i++) if (Number.isFinite(z[i]!)) finite++;
    const abs = new Float64Array(finite);
    for (let i = 0, k = 0; i < z.length; i++) if (Number.isFinite(z[i]!)) abs[k++] = Math.abs(z[i]!);
    if (abs.length < 10) return new ErrorQuantiles([...LEVEL_GRID], LEVEL_GRID.map((l) => normalQuantile((1 + l) / 2)));
    const levels: number[] = [];
    const q: number[] = [];
    // The table needs two order statistics per level, not a sorted sample: selection from the
    // previous level's position on finds them in a few passes where a sort of the ~10⁴ errors the
    // forecaster pools was a sixth of its fit (issue 24: the fit's speed against statsmodels').
    const orderStats = new OrderStatistics(abs);
    for (const l of LEVEL_GRID) {
      // A level the sample cannot resolve is left to the extrapolation.
      if (l > 1 - 1 / abs.length) break;
      levels.push(l);
      q.push(Math.max(empiricalQuantile(orderStats, abs.length, l), q.length ? q[q.length - 1]! : 0));
    }
    if (levels.length === 0) return ErrorQuantiles.fromErrors([]);
    return new ErrorQuantiles(levels, q);
  }

  static fromJSON(j: ErrorQuantilesJSON): ErrorQuantiles {
    return new ErrorQuantiles([...j.levels], [...j.q]);
  }

  toJSON(): ErrorQuantilesJSON {
    return { levels: this.levels, q: this.q };
  }

  /** |z| that a share `level` of errors stays within. */
  at(level: number): number {
    if (!(level > 0 && level < 1)) throw new Error(`interval level must be in (0, 1), got ${level}`);
    const { levels, q } = this;
    if (level <= levels[0]!) return (q[0]! * normalQuantile((1 + level) / 2)) / normalQuantile((1 + levels[0]!) / 2);
    for (let i = 1; i < levels.length; i++) {
      if (level <= levels[i]!) return q[i - 1]! + ((q[i]! - q[i - 1]!) * (level - levels[i - 1]!)) / (levels[i]! - levels[i - 1]!);
    }
    // Beyond the table: the Gaussian tail scaled to the table's top, but never lighter than the Gaussian
    // itself. A few hundred errors cannot show a tail lighter than normal; assuming one flags too much.
    const top = levels.length - 1;
    const g = normalQuantile((1 + level) / 2);
    return Math.max(g, (q[top]! * g) / normalQuantile((1 + levels[top]!) / 2));
  }

  /** Share of errors within |z| (the inverse of `at`), for Cortex's percentile column. */
  coverageOf(absZ: number): number {
    const { levels, q } = this;
    if (absZ <= q[0]!) return 2 * normalCdf((absZ * normalQuantile((1 + levels[0]!) / 2)) / (q[0]! || 1)) - 1;
    for (let i = 1; i < levels.length; i++) {
      if (absZ <= q[i]!) return q[i]! === q[i - 1]! ? levels[i]! : levels[i - 1]! + ((levels[i]! - levels[i - 1]!) * (absZ - q[i - 1]!)) / (q[i]! - q[i - 1]!);
    }
    const top = levels.length - 1;
    return 2 * normalCdf((absZ * normalQuantile((1 + levels[top]!) / 2)) / (q[top]! || 1)) - 1;
  }
}

/** The quantile at `p` by linear interpolation between order statistics (R's type 7). */
function empiricalQuantile(order: OrderStatistics, length: number, p: number): number {
  const pos = p * (length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(length - 1, lo + 1);
  const a = order.at(lo);
  return a + (order.at(hi) - a) * (pos - lo);
}

/**
 * k-th smallest values of an array, asked for in non-decreasing k (the array is reordered): each
 * answer partitions the array (quickselect), so the next search starts right of it. The values are
 * those a full sort would put at k.
 */
class OrderStatistics {
  /** Everything before `from` is ≤ everything from it on, and positions before it are settled. */
  private from = 0;
  private last = -1;

  constructor(private readonly a: Float64Array) {}

  at(k: number): number {
    const a = this.a;
    if (k < this.last) throw new Error(`OrderStatistics: asked for ${k} after ${this.last}`);
    if (k === this.last) return a[k]!;
    selectInPlace(a, k, this.from);
    this.last = k;
    this.from = k + 1;
    return a[k]!;
  }
}

/**
 * Quickselect: puts the k-th smallest of `a` at index k, everything in [from, k) ≤ it and everything
 * after ≥ it, searching only from `from` on (positions before it must already be settled), and
 * returns it. Reorders `a`.
 */
export function selectInPlace(a: Float64Array, k: number, from = 0): number {
  let lo = from, hi = a.length - 1;
  while (hi > lo) {
    const pivot = a[(lo + hi) >> 1]!;
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!; a[i] = a[j]!; a[j] = t;
        i++; j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k]!;
}

/** Standard normal CDF (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
export function normalCdf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x) / Math.SQRT2);
  const y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(x * x) / 2);
  return x >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}

/** Standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`normalQuantile: p must be in (0, 1), got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const pl = 0.02425;
  if (p < pl) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - pl) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}
