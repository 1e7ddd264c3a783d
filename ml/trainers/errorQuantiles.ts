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
  static fromErrors(z: readonly number[]): ErrorQuantiles {
    // A typed array sorts numerically without a comparator call per pair (the fit pools ~10⁴ errors).
    const abs = Float64Array.from(z.filter(Number.isFinite), Math.abs).sort();
    if (abs.length < 10) return new ErrorQuantiles([...LEVEL_GRID], LEVEL_GRID.map((l) => normalQuantile((1 + l) / 2)));
    const levels: number[] = [];
    const q: number[] = [];
    for (const l of LEVEL_GRID) {
      // A level the sample cannot resolve is left to the extrapolation.
      if (l > 1 - 1 / abs.length) break;
      levels.push(l);
      q.push(Math.max(empiricalQuantile(abs, l), q.length ? q[q.length - 1]! : 0));
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

function empiricalQuantile(sorted: ArrayLike<number>, p: number): number {
  const pos = p * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
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
