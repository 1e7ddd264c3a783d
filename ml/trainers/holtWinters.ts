/**
 * Holt-Winters (additive trend and season), kept as the evaluated alternative to the seasonal
 * profile: `npm run bench -- --only ml` scores both against the naive baseline on the same series,
 * which is how docs/ml.md justifies the forecaster's choice. Smoothing weights are picked by grid
 * search on the in-sample one-step squared error; the season is a week when the window holds three,
 * else a day. `damped` multiplies the trend by φ = 0.98 per step (Gardner & McKenzie 1985); undamped,
 * a trend fitted on a ramp keeps growing over the horizon, which is the failure ARCHITECTURE.md warns of.
 */
import type { ForecastModel, ForecastRow, Forecaster, Series } from "../contract.ts";
import { checkSeries, seasonLengths } from "../series.ts";
import { normalQuantile } from "./errorQuantiles.ts";

export const HOLT_WINTERS = "holt_winters_additive";

export interface HoltWintersJSON {
  readonly algorithm: typeof HOLT_WINTERS;
  readonly stepMs: number;
  readonly trainedUntil: string;
  readonly alpha: number;
  readonly beta: number;
  readonly gamma: number;
  readonly phi: number;
  readonly level: number;
  readonly trend: number;
  /** The last season of seasonal terms, oldest first. */
  readonly season: readonly number[];
  readonly sigma: number;
}

export class HoltWintersForecaster implements Forecaster {
  readonly algorithm = HOLT_WINTERS;
  constructor(readonly damped = true) {}

  fit(train: Series): HoltWintersModel {
    const seasons = seasonLengths(train.stepMs);
    if (!seasons.day) throw new Error(`Holt-Winters: step ${train.stepMs} ms does not divide a day`);
    const { values: y } = checkSeries(train, { minPoints: 2 * seasons.day });
    const m = seasons.week && y.length >= 3 * seasons.week ? seasons.week : seasons.day;
    const phi = this.damped ? 0.98 : 1;
    let best: { sse: number; state: ReturnType<typeof run> ; a: number; b: number; g: number } | null = null;
    for (const a of [0.05, 0.1, 0.2, 0.4]) {
      for (const b of [0, 0.01, 0.05]) {
        for (const g of [0.05, 0.1, 0.3]) {
          const state = run(y, m, a, b, g, phi);
          if (!best || state.sse < best.sse) best = { sse: state.sse, state, a, b, g };
        }
      }
    }
    const { state, a, b, g } = best!;
    return new HoltWintersModel({
      algorithm: HOLT_WINTERS, stepMs: train.stepMs, trainedUntil: train.points[train.points.length - 1]!.ts.toISOString(),
      alpha: a, beta: b, gamma: g, phi, level: state.level, trend: state.trend, season: state.season, sigma: Math.sqrt(state.sse / Math.max(1, y.length - m)),
    });
  }
}

function run(y: Float64Array, m: number, alpha: number, beta: number, gamma: number, phi: number): { sse: number; level: number; trend: number; season: number[] } {
  let level = 0;
  for (let i = 0; i < m; i++) level += y[i]!;
  level /= m;
  let next = 0;
  for (let i = m; i < Math.min(2 * m, y.length); i++) next += y[i]!;
  let trend = y.length >= 2 * m ? (next / m - level) / m : 0;
  const season = Array.from(y.subarray(0, m), (v) => v - level);
  let sse = 0;
  for (let t = m; t < y.length; t++) {
    const s = season[t % m]!;
    const f = level + phi * trend + s;
    const e = y[t]! - f;
    sse += e * e;
    const prevLevel = level;
    level = alpha * (y[t]! - s) + (1 - alpha) * (prevLevel + phi * trend);
    trend = beta * (level - prevLevel) + (1 - beta) * phi * trend;
    season[t % m] = gamma * (y[t]! - level) + (1 - gamma) * s;
  }
  // Rotate so season[0] is the slot right after the last training point.
  const k = y.length % m;
  return { sse, level, trend, season: [...season.slice(k), ...season.slice(0, k)] };
}

export class HoltWintersModel implements ForecastModel {
  readonly algorithm = HOLT_WINTERS;
  readonly trainedUntil: Date;
  constructor(readonly json: HoltWintersJSON) {
    this.trainedUntil = new Date(json.trainedUntil);
  }

  get params(): Readonly<Record<string, unknown>> {
    const { alpha, beta, gamma, phi } = this.json;
    return { alpha, beta, gamma, phi, season: this.json.season.length };
  }

  /** `history` is not used: the state is the one at the end of training (Holt-Winters has no exogenous restart). */
  forecast(horizon: number, options: { level?: number; history?: Series } = {}): ForecastRow[] {
    const { level, trend, season, phi, sigma, stepMs, alpha } = this.json;
    let state = { level, trend, season: [...season], origin: this.trainedUntil.getTime() };
    if (options.history) state = this.advance(options.history);
    const z = normalQuantile((1 + (options.level ?? 0.95)) / 2);
    const rows: ForecastRow[] = [];
    let damp = 0;
    for (let h = 1; h <= horizon; h++) {
      damp += phi ** h;
      const f = state.level + damp * state.trend + state.season[(h - 1) % state.season.length]!;
      const half = z * sigma * Math.sqrt(1 + (h - 1) * alpha * alpha);
      rows.push({ ts: new Date(state.origin + h * stepMs), forecast: f, lower_bound: f - half, upper_bound: f + half });
    }
    return rows;
  }

  /** Runs the smoothing over history points after training, so forecasts start from the newest data. */
  private advance(history: Series): { level: number; trend: number; season: number[]; origin: number } {
    const { alpha, beta, gamma, phi, stepMs } = this.json;
    let { level, trend } = this.json;
    const season = [...this.json.season];
    let origin = this.trainedUntil.getTime();
    let k = 0;
    for (const p of history.points) {
      const t = p.ts.getTime();
      if (t <= origin || !Number.isFinite(p.value)) continue;
      if (t !== origin + stepMs) break; // a hole: stop at the last contiguous point
      const s = season[k % season.length]!;
      const prevLevel = level;
      level = alpha * (p.value - s) + (1 - alpha) * (prevLevel + phi * trend);
      trend = beta * (level - prevLevel) + (1 - beta) * phi * trend;
      season[k % season.length] = gamma * (p.value - level) + (1 - gamma) * s;
      k++;
      origin = t;
    }
    const r = k % season.length;
    return { level, trend, season: [...season.slice(r), ...season.slice(0, r)], origin };
  }

  toJSON(): HoltWintersJSON {
    return this.json;
  }
}

export function loadHoltWintersModel(json: HoltWintersJSON): HoltWintersModel {
  if (json?.algorithm !== HOLT_WINTERS) throw new Error(`not a ${HOLT_WINTERS} model: algorithm ${(json as { algorithm?: unknown })?.algorithm}`);
  return new HoltWintersModel(json);
}
