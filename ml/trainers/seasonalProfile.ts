/**
 * The forecaster: a calendar profile (level + hour-of-day + shrunk hour-of-week deviations, each an
 * exponentially weighted mean over the training window) plus an AR(1) on what the profile leaves.
 *
 * Why this shape (README "ML: trainers and evaluation" has the figures): averaging every training day
 * for a slot beats repeating one past day or week (seasonal naive) on noisy utilisation/energy/air
 * series; the hour-of-week part captures weekends without needing many weeks because it is shrunk
 * towards the daily profile; and there is no trend term, so a 24 h forecast cannot run away the way
 * Holt-Winters with an additive trend does (ARCHITECTURE.md, "ML contract"). The AR(1) term lets
 * the next hours follow the latest deviation and decays back to the profile.
 *
 * Which seasons, how much weekly shrinkage and how fast old days are forgotten are chosen inside
 * `fit` by the error on the last part of the training window (no data after `train` is used), and
 * the intervals are calibrated on the same held-back part (see errorQuantiles.ts).
 */
import type { ForecastModel, ForecastRow, Forecaster, Series } from "../contract.ts";
import { checkSeries, seasonLengths, seasonSlot } from "../series.ts";
import { ErrorQuantiles, selectInPlace, type ErrorQuantilesJSON } from "./errorQuantiles.ts";

export const SEASONAL_PROFILE = "seasonal_profile_ar1";
/** Held-back errors beyond this many robust sigmas are anomalies, not noise: left out of the interval table. */
const MAX_Z = Infinity;

export interface ProfileConfig {
  readonly daily: boolean;
  /** A level per day of week (weekends, short Fridays), on top of the hour-of-day profile. */
  readonly dayOfWeek: boolean;
  readonly weekly: boolean;
  /** Pseudo-observations pulling each hour-of-week deviation towards 0 (the daily profile). */
  readonly weeklyShrink: number;
  /** Age in days at which a training point weighs half; null: all days weigh the same. */
  readonly halfLifeDays: number | null;
}

interface ProfileState {
  readonly mu: number;
  readonly daily: readonly number[];
  readonly dayOfWeek: readonly number[];
  readonly weekly: readonly number[];
  readonly phi: number;
}

export interface SeasonalProfileOptions {
  /** Horizon (steps) the intervals are calibrated for; later steps reuse the last scale. Default: one day, or 24. */
  readonly calibrationHorizon?: number;
  /** Longest hole interpolated (see ml/series.ts). Default 3. */
  readonly maxGapSteps?: number;
  /**
   * Longer runs of missing steps: "refuse" (default: `GAPS`) or "keep": the fit skips them (no
   * made-up points; an AR pair or an error across the hole is simply not counted).
   */
  readonly longGaps?: "refuse" | "keep";
  /**
   * Also try the profile on log1p(y) (a multiplicative pattern: a weekday's peak a share of the
   * level, not a fixed amount) when every training value is ≥ 0, and keep it when its day-ahead
   * error on the held-back part, back on the original scale, is lower. Default true; the anomaly
   * detector, whose distances and running level are additive, turns it off.
   */
  readonly allowLog?: boolean;
  /**
   * Which errors calibrate the intervals: "half" (default) a model of the chosen form fitted on the
   * first half of the window, scored over the second half; "heldBack" the selection's held-back
   * part only (as before issue 24; the anomaly detector, whose level and record rule were chosen
   * with it, keeps it).
   */
  readonly calibration?: "half" | "heldBack";
  /**
   * UTC day numbers (ms / 86 400 000) whose points are not calibration targets: days the caller
   * judged to hold an anomaly (the anomaly detector's training days that stand out), whose errors
   * would otherwise widen every interval. A dust event of an hour in a held-back part of three
   * days is one target, but the error of up to 24 horizons: 3–4 % of the pooled |z|, enough to
   * lift the table's 0.99 and 0.995 quantiles and so the whole extrapolated tail. Ignored when it
   * would leave a horizon fewer than half its errors (then the days are most of what there is to
   * calibrate on). Default: none.
   */
  readonly calibrationSkipDays?: ReadonlySet<number>;
  /**
   * Fewest weeks the training window must hold for the hour-of-week deviations to be a candidate.
   * Default 1. With one week each hour-of-week slot is one sample, so the profile with shrinkage 0
   * is that week itself: it cannot tell a weekly pattern from that week's noise, and replayed on
   * its own training days it forecasts them almost exactly (the anomaly detector asks for 2:
   * its record rule's memory comes from that replay).
   */
  readonly weeklyCycles?: number;
}

export interface SeasonalProfileJSON {
  readonly algorithm: typeof SEASONAL_PROFILE;
  readonly seriesId: string;
  readonly stepMs: number;
  readonly trainedUntil: string;
  readonly config: ProfileConfig;
  readonly mu: number;
  readonly daily: readonly number[];
  readonly dayOfWeek: readonly number[];
  readonly weekly: readonly number[];
  readonly phi: number;
  readonly lastResidual: number;
  /** Spread by horizon 1..H on held-back training data (robust: from the median absolute error). */
  readonly sigma: readonly number[];
  /** Mean absolute one-step error on the same data: the detector tracks its running counterpart. */
  readonly mae1: number;
  readonly quantiles: ErrorQuantilesJSON;
  readonly selection: Readonly<Record<string, number>>;
  readonly interpolated: number;
  /**
   * "log1p": the profile, AR term, spreads and quantiles are on log1p(y) and forecasts are
   * expm1 of them (a median on the original scale); absent: additive on y.
   */
  readonly transform?: "log1p";
  /**
   * Steps whose mean residual at the forecast origin is kept, undecayed, over the horizon (a level
   * shift carried forward); absent or 0: none. `lastLevel` is that mean at the end of training.
   */
  readonly levelSteps?: number;
  readonly lastLevel?: number;
}

export class SeasonalProfileForecaster implements Forecaster {
  readonly algorithm = SEASONAL_PROFILE;
  constructor(private readonly options: SeasonalProfileOptions = {}) {}

  /**
   * Fewest points accepted: 48 (a level and the AR term). Seasons join only when the part of the
   * window they are fitted on holds enough of them (one day for the daily profile, one week for the
   * weekly parts), so a short series gets a simpler model rather than an error.
   */
  static readonly MIN_POINTS = 48;

  fit(train: Series): SeasonalProfileModel {
    const { stepMs } = train;
    const checked = checkSeries(train, { minPoints: SeasonalProfileForecaster.MIN_POINTS, maxGapSteps: this.options.maxGapSteps, longGaps: this.options.longGaps });
    const y = checked.values;
    const n = y.length;
    const t0 = checked.series.points[0]!.ts.getTime();
    const seasons = seasonLengths(stepMs);
    // Configurations are compared on day-ahead errors (the use), whatever horizon is calibrated.
    const H = Math.max(this.options.calibrationHorizon ?? 0, seasons.day || 24);
    // Held-back part of the training window: 20 % of it, between one day and one week.
    const valLen = Math.max(Math.min(Math.round(n * 0.2), seasons.week || 168), Math.min(seasons.day || 24, Math.floor(n / 2)));
    const fitLen = n - valLen;

    // A log candidate's errors (on the log scale) are only needed if it wins and the intervals are
    // calibrated on the held-back part: `errors` is null until then.
    let best: { cfg: ProfileConfig; state: ProfileState; mae: number; errors: Float64Array[] | null; log: boolean; levelSteps: number } | null = null;
    const selection: Record<string, number> = {};
    let nonNegative = true;
    for (const v of y) if (v < 0) nonNegative = false;
    const logY = this.options.allowLog !== false && nonNegative ? y.map(Math.log1p) : null;
    // The log candidates' errors are compared on the original scale: expm1(log1p(y)), once.
    const logActual = logY ? logY.map(Math.expm1) : null;
    const grid = gridOf(n, t0, stepMs, seasons);
    for (const log of logY ? [false, true] : [false]) {
      const yy = log ? logY! : y;
      const shared = new WindowCache(yy, 0, fitLen);
      for (const cfg of candidateConfigs(seasons, fitLen, stepMs, n >= (this.options.weeklyCycles ?? 1) * seasons.week)) {
        const state = fitState(yy, 0, fitLen, grid, cfg, shared);
        // With and without the origin's level (the last day's mean residual, kept over the horizon).
        for (const levelSteps of this.options.allowLog === false ? [0] : [0, seasons.day || 24]) {
          const errors = log ? null : horizonErrors(yy, fitLen, grid, state, H, levelSteps);
          // Compared on the original scale, whatever scale the profile is fitted on.
          const mae = errors ? meanAbs(errors) : originalScaleMae(yy, logActual!, fitLen, grid, state, H, levelSteps);
          selection[`${log ? "log1p " : ""}${configName(cfg)}${levelSteps ? ", origin level" : ""}`] = mae;
          if (!best || mae < best.mae - 1e-12) best = { cfg, state, mae, errors, log, levelSteps };
        }
      }
    }
    const { cfg, log, levelSteps } = best!;
    const yFit = log ? logY! : y;
    // The intervals' errors: from a model of the chosen form fitted on the first half of the window,
    // over the second half (when that is longer than the held-back part). One held-back week rarely
    // holds a level shift or a holiday, so intervals calibrated on it alone were too narrow for
    // the weeks that do (80 % intervals covered 0.72–0.78 of the generated demand panel).
    let errors = best!.errors;
    let calFrom = fitLen;
    // The errors chosen so far; a winning log candidate's held-back errors are computed on demand.
    const errorsSoFar = () => (errors ??= horizonErrors(yFit, fitLen, grid, best!.state, H, levelSteps));
    let calState: ProfileState | null = null;
    const calibrationState = () => (calState ??= fitState(yFit, 0, calFrom, grid, cfg));
    if (this.options.calibration !== "heldBack" && Math.floor(n / 2) < fitLen && n >= 4 * (seasons.day || 24)) {
      calFrom = Math.floor(n / 2);
      errors = horizonErrors(yFit, calFrom, grid, calibrationState(), H, levelSteps);
    }
    const skip = this.options.calibrationSkipDays;
    if (skip?.size) {
      const kept = horizonErrors(yFit, calFrom, grid, calibrationState(), H, levelSteps, skip);
      if (kept.every((e, h) => e.length >= errorsSoFar()[h]!.length / 2)) errors = kept;
    }
    errors = errorsSoFar();
    // Spread per horizon from the median absolute error (a fault in the held-back part must not widen
    // every interval); the tails come from the |z| table, without errors beyond MAX_Z (anomalies).
    const sigma: number[] = [];
    for (let h = 0; h < H; h++) {
      const e = errors[h]!;
      const robust = e.length ? robustSigma(e) : 0;
      sigma.push(Math.max(robust, h > 0 ? sigma[h - 1]! : 0));
    }
    const floor = 1e-9 * (Math.abs(mean(yFit.filter(Number.isFinite))) + 1);
    for (let h = 0; h < H; h++) sigma[h] = Math.max(sigma[h]!, floor);
    const z: number[] = [];
    for (let h = 0; h < H; h++) for (const v of errors[h]!) if (Math.abs(v / sigma[h]!) <= MAX_Z) z.push(v / sigma[h]!);
    const state = fitState(yFit, 0, n, grid, cfg);
    const lastTs = t0 + (n - 1) * stepMs;
    return new SeasonalProfileModel({
      algorithm: SEASONAL_PROFILE, seriesId: train.seriesId, stepMs, trainedUntil: new Date(lastTs).toISOString(), config: cfg,
      mu: state.mu, daily: state.daily, dayOfWeek: state.dayOfWeek, weekly: state.weekly, phi: state.phi,
      lastResidual: yFit[n - 1]! - profileAt(state, lastTs, stepMs, seasons), ...(log ? { transform: "log1p" as const } : {}),
      ...(levelSteps ? { levelSteps, lastLevel: originLevel(residuals(yFit, n - levelSteps, grid, state), n - 1, levelSteps) } : {}),
      sigma, mae1: errors[0]!.length ? mean(errors[0]!.map(Math.abs)) : sigma[0]!, quantiles: ErrorQuantiles.fromErrors(z).toJSON(), selection, interpolated: checked.interpolated,
    });
  }
}

export class SeasonalProfileModel implements ForecastModel {
  readonly algorithm = SEASONAL_PROFILE;
  readonly trainedUntil: Date;
  private readonly quantiles: ErrorQuantiles;
  private readonly seasons: { day: number; week: number };
  private readonly state: ProfileState;

  constructor(readonly json: SeasonalProfileJSON) {
    this.trainedUntil = new Date(json.trainedUntil);
    this.quantiles = ErrorQuantiles.fromJSON(json.quantiles);
    this.seasons = seasonLengths(json.stepMs);
    this.state = { mu: json.mu, daily: json.daily, dayOfWeek: json.dayOfWeek, weekly: json.weekly, phi: json.phi };
  }

  get params(): Readonly<Record<string, unknown>> {
    return { ...this.json.config, phi: this.json.phi, stepMs: this.json.stepMs, transform: this.json.transform ?? "none" };
  }

  get stepMs(): number {
    return this.json.stepMs;
  }

  /** The profile (no AR term) at a timestamp, on the model's scale (log1p(y) when `transform` is set). */
  profile(tsMs: number): number {
    return profileAt(this.state, tsMs, this.json.stepMs, this.seasons);
  }

  get phi(): number {
    return this.json.phi;
  }

  get lastResidual(): number {
    return this.json.lastResidual;
  }

  /** RMS error `h` steps ahead (h ≥ 1). */
  sigma(h: number): number {
    const s = this.json.sigma;
    return s[Math.min(Math.max(h, 1), s.length) - 1]!;
  }

  /** Half-width multiplier (in sigmas) for an interval at `level`. */
  zAt(level: number): number {
    return this.quantiles.at(level);
  }

  coverageOf(absZ: number): number {
    return this.quantiles.coverageOf(absZ);
  }

  forecast(horizon: number, options: { level?: number; history?: Series } = {}): ForecastRow[] {
    if (!Number.isInteger(horizon) || horizon < 1) throw new Error(`forecast: horizon must be a positive integer, got ${horizon}`);
    const level = options.level ?? 0.95;
    const z = this.zAt(level);
    let originTs = this.trainedUntil.getTime();
    let residual = this.json.lastResidual;
    const log = this.json.transform === "log1p";
    const toModel = (v: number) => (log ? Math.log1p(Math.max(0, v)) : v);
    let originLevelValue = this.json.lastLevel ?? 0;
    if (options.history) {
      const last = lastFinite(options.history);
      if (last) {
        originTs = last.ts.getTime();
        residual = toModel(last.value) - this.profile(originTs);
        const k = this.json.levelSteps ?? 0;
        if (k > 0) {
          // The origin's level from the history's last k steps (by time: holes are skipped).
          let s = 0, c = 0;
          for (let i = options.history.points.length - 1; i >= 0; i--) {
            const p = options.history.points[i]!;
            if (p.ts.getTime() <= originTs - k * this.json.stepMs) break;
            if (Number.isFinite(p.value)) { s += toModel(p.value) - this.profile(p.ts.getTime()); c++; }
          }
          originLevelValue = c ? s / c : 0;
        }
      }
    }
    const rows: ForecastRow[] = [];
    let decay = 1;
    for (let h = 1; h <= horizon; h++) {
      decay *= this.json.phi;
      const ts = originTs + h * this.json.stepMs;
      const f = this.profile(ts) + originLevelValue + decay * (residual - originLevelValue);
      const half = z * this.sigma(h);
      // On the log scale the interval is symmetric; back on y it is skewed (wider above), as demand is.
      if (log) rows.push({ ts: new Date(ts), forecast: Math.expm1(f), lower_bound: Math.expm1(f - half), upper_bound: Math.expm1(f + half) });
      else rows.push({ ts: new Date(ts), forecast: f, lower_bound: f - half, upper_bound: f + half });
    }
    return rows;
  }

  toJSON(): SeasonalProfileJSON {
    return this.json;
  }
}

export function loadSeasonalProfileModel(json: SeasonalProfileJSON): SeasonalProfileModel {
  if (json.algorithm !== SEASONAL_PROFILE) throw new Error(`not a ${SEASONAL_PROFILE} model: algorithm ${json.algorithm}`);
  return new SeasonalProfileModel(json);
}

function lastFinite(s: Series): { ts: Date; value: number } | undefined {
  for (let i = s.points.length - 1; i >= 0; i--) if (Number.isFinite(s.points[i]!.value)) return s.points[i];
  return undefined;
}

function candidateConfigs(seasons: { day: number; week: number }, fitLen: number, stepMs: number, weeksEnough: boolean): ProfileConfig[] {
  const out: ProfileConfig[] = [];
  const halfLives: (number | null)[] = [null];
  if ((fitLen * stepMs) / 86_400_000 >= 14) halfLives.push(7);
  const base = { daily: false, dayOfWeek: false, weekly: false, weeklyShrink: 0 };
  for (const halfLifeDays of halfLives) {
    out.push({ ...base, halfLifeDays });
    if (seasons.day && fitLen >= seasons.day) out.push({ ...base, daily: true, halfLifeDays });
    // Day-of-week levels from one week: each is shrunk by what the days show (dayOfWeekLevels), so
    // with one day per weekday (nothing to tell noise from level) they are 0, and two noisy weeks
    // of a flat series do not make a step at midnight (issue 24). The hour-of-week part is shrunk
    // by 0, 2 or 6 points per slot, chosen on the held-back days like everything else, and offered
    // only when the window holds `weeklyCycles` weeks (`weeksEnough`).
    if (seasons.week && fitLen >= seasons.week) {
      out.push({ ...base, daily: true, dayOfWeek: true, halfLifeDays });
      if (weeksEnough) for (const weeklyShrink of [0, 2, 6]) out.push({ ...base, daily: true, dayOfWeek: true, weekly: true, weeklyShrink, halfLifeDays });
    }
  }
  return out;
}

function configName(c: ProfileConfig): string {
  const s = c.weekly ? `daily+day-of-week+weekly(shrink ${c.weeklyShrink})` : c.dayOfWeek ? "daily+day-of-week" : c.daily ? "daily" : "level";
  return `${s}, half-life ${c.halfLifeDays ?? "∞"} d`;
}

/**
 * Fits the profile twice: the second time without the points the first fit leaves more than
 * OUTLIER_SIGMAS robust standard deviations away, so a fault inside the training window (a dust spike,
 * a surge) does not become part of "normal" for its hour of the week (robust STL does the same with
 * bisquare weights: Cleveland et al. 1990).
 */
const OUTLIER_SIGMAS = 3.5;

/**
 * Each position's season slots (hour of day, day of week, hour of week) and UTC day number,
 * computed once per fit: `fit` scores some 25 candidate profiles over the same positions, and
 * working the slots out from timestamps for each (`seasonSlot`'s division and modulo, per point,
 * per pass) was about a fifth of the fit (issue 24 asks the fit to stay ≥ 10× faster than
 * statsmodels' Holt-Winters). Slots are `seasonSlot`'s, so a profile fitted here and one read by
 * timestamp (`profileAt`) agree.
 */
interface Grid {
  readonly t0: number;
  readonly stepMs: number;
  readonly seasons: { day: number; week: number };
  /** Hour-of-day slot per position (empty without a daily season). */
  readonly day: Int32Array;
  /** Day-of-week slot per position (empty without a daily season). */
  readonly dow: Int32Array;
  /** Hour-of-week slot per position (empty without a weekly season). */
  readonly week: Int32Array;
  /** Calendar day number (UTC, days of `seasons.day` steps) per position (empty without a daily season). */
  readonly dayNo: Float64Array;
}

function gridOf(n: number, t0: number, stepMs: number, seasons: { day: number; week: number }): Grid {
  const day = new Int32Array(seasons.day ? n : 0), dow = new Int32Array(seasons.day ? n : 0), dayNo = new Float64Array(seasons.day ? n : 0);
  const week = new Int32Array(seasons.week ? n : 0);
  const dayMs = seasons.day * stepMs;
  for (let i = 0; i < n; i++) {
    const ts = t0 + i * stepMs;
    if (seasons.day) {
      day[i] = seasonSlot(ts, stepMs, seasons.day);
      dow[i] = seasonSlot(ts, dayMs, 7);
      dayNo[i] = Math.floor(ts / dayMs);
    }
    if (seasons.week) week[i] = seasonSlot(ts, stepMs, seasons.week);
  }
  return { t0, stepMs, seasons, day, dow, week, dayNo };
}

/**
 * What the candidates of one fit window share (`fit` scores ~12 per scale on the same window):
 * the training weights per half-life, and the outlier marks of the profile without the hour-of-week
 * part, which the day-of-week candidate computes and every hour-of-week candidate repeats (the
 * weekly shrinkage plays no part in it). Valid for one `y` and window only: fitState checks.
 */
class WindowCache {
  readonly weights = new Map<number | null, Float64Array>();
  readonly dayOfWeekMarks = new Map<number | null, Uint8Array>();
  constructor(readonly y: Float64Array, readonly from: number, readonly to: number) {}
}

function fitState(y: Float64Array, from: number, to: number, grid: Grid, cfg: ProfileConfig, shared?: WindowCache): ProfileState {
  const cache = shared && shared.y === y && shared.from === from && shared.to === to ? shared : null;
  const n = to - from;
  let base = cache?.weights.get(cfg.halfLifeDays);
  if (!base) {
    base = trainingWeights(y, from, to, grid.stepMs, cfg.halfLifeDays);
    cache?.weights.set(cfg.halfLifeDays, base);
  }
  // Copied: outliers are zeroed in it below.
  const w = base.slice();
  const first = estimateProfile(y, w, from, n, grid, cfg);
  // With few weeks an hour-of-week slot has few points, and a fault drags its mean so far that the
  // normal points look odd too. A point is an outlier only if it is one under the full profile AND
  // under the profile without the hour-of-week part (many points per slot, so not dragged).
  const outlier = outlierMarks(y, from, n, grid, first);
  const dayOfWeekKind = cfg.daily && cfg.dayOfWeek;
  if (cfg.weekly) {
    let simple = dayOfWeekKind ? cache?.dayOfWeekMarks.get(cfg.halfLifeDays) : undefined;
    if (!simple) {
      simple = outlierMarks(y, from, n, grid, estimateProfile(y, w, from, n, grid, { ...cfg, weekly: false }));
      if (dayOfWeekKind) cache?.dayOfWeekMarks.set(cfg.halfLifeDays, simple);
    }
    for (let i = 0; i < n; i++) outlier[i]! += simple[i]!;
  } else if (dayOfWeekKind && cache && !cache.dayOfWeekMarks.has(cfg.halfLifeDays)) {
    cache.dayOfWeekMarks.set(cfg.halfLifeDays, outlier.slice());
  }
  const need = cfg.weekly ? 2 : 1;
  for (let i = 0; i < n; i++) outlier[i] = outlier[i]! >= need ? 1 : 0;
  // A slot must keep some points: if every point of an hour-of-day slot is an outlier, the slot is
  // not faulty, the first fit was just too coarse for it (two days, a sharp daily edge).
  if (cfg.daily && grid.seasons.day) {
    const left = new Float64Array(grid.seasons.day);
    for (let i = 0; i < n; i++) if (!outlier[i]) left[grid.day[from + i]!]! += 1;
    for (let i = 0; i < n; i++) if (left[grid.day[from + i]!] === 0) outlier[i] = 0;
  }
  let outliers = 0;
  for (let i = 0; i < n; i++) if (outlier[i]) { w[i] = 0; outliers++; }
  const state0 = outliers > 0 && outliers < n / 4 ? estimateProfile(y, w, from, n, grid, cfg) : first;
  // AR(1) on the profile's residuals (Yule-Walker, outliers left out), kept in [0, 0.98] so forecasts decay to the profile.
  let num = 0, den = 0;
  let prev = NaN;
  for (let i = 0; i < n; i++) {
    const r = outlier[i] ? NaN : y[from + i]! - profileAtIndex(state0, grid, from + i);
    if (!Number.isNaN(prev) && !Number.isNaN(r)) { num += r * prev; den += prev * prev; }
    prev = r;
  }
  const phi = den > 0 ? Math.min(0.98, Math.max(0, num / den)) : 0;
  return { ...state0, phi };
}

/** Weight per training point: 1, or halving every `halfLifeDays` of age; a hole (a long gap kept by checkSeries) weighs nothing. */
function trainingWeights(y: Float64Array, from: number, to: number, stepMs: number, halfLifeDays: number | null): Float64Array {
  const n = to - from;
  const w = new Float64Array(n);
  const dayMs = 86_400_000;
  for (let i = 0; i < n; i++) w[i] = Number.isNaN(y[from + i]!) ? 0 : halfLifeDays === null ? 1 : 0.5 ** (((to - 1 - (from + i)) * stepMs) / (halfLifeDays * dayMs));
  return w;
}

/** 1 where a point lies more than OUTLIER_SIGMAS robust SDs from the profile `state` (about the residuals' median), else 0. */
function outlierMarks(y: Float64Array, from: number, n: number, grid: Grid, state: ProfileState): Uint8Array {
  const marks = new Uint8Array(n);
  const resid = new Float64Array(n);
  let finite = 0;
  for (let i = 0; i < n; i++) {
    resid[i] = y[from + i]! - profileAtIndex(state, grid, from + i);
    if (Number.isFinite(resid[i]!)) finite++;
  }
  const present = new Float64Array(finite);
  for (let i = 0, k = 0; i < n; i++) if (Number.isFinite(resid[i]!)) present[k++] = resid[i]!;
  const med = median(present);
  for (let k = 0; k < present.length; k++) present[k] = present[k]! - med;
  const sigma = robustSigmaInPlace(present);
  for (let i = 0; i < n; i++) if (sigma > 0 && Math.abs(resid[i]! - med) > OUTLIER_SIGMAS * sigma) marks[i] = 1;
  return marks;
}

function estimateProfile(y: Float64Array, w: Float64Array, from: number, n: number, grid: Grid, cfg: ProfileConfig): ProfileState {
  const { seasons } = grid;
  let sw = 0, swy = 0, used = 0;
  for (let i = 0; i < n; i++) if (w[i]! > 0) { sw += w[i]!; swy += w[i]! * y[from + i]!; used++; }
  const mu = swy / sw;
  const meanW = sw / used;
  // The hour-of-day profile is not shrunk: days are many, and its worth is checked against the
  // level alone on held-back days (shrinking it by one day cost nab-dev 3 windows, README).
  const daily = slotMeans(y, w, from, n, cfg.daily ? grid.day : null, seasons.day, () => mu, 0);
  const dailyAt = (i: number) => (daily.length ? daily[grid.day[from + i]!]! : 0);
  // Day-of-week levels: slots of a 7-day season in whole days, each shrunk towards 0 by how much of
  // it the data can tell from noise (dayOfWeekLevels): two noisy days per weekday do not make a step
  // at midnight, a real weekend does.
  const dowAt = (i: number, dow: readonly number[]) => (dow.length ? dow[grid.dow[from + i]!]! : 0);
  const dayOfWeek = cfg.dayOfWeek ? dayOfWeekLevels(y, w, from, n, grid, (i) => mu + dailyAt(i)) : [];
  const weekly = slotMeans(y, w, from, n, cfg.weekly ? grid.week : null, seasons.week, (i) => mu + dailyAt(i) + dowAt(i, dayOfWeek), cfg.weeklyShrink * meanW);
  return { mu, daily, dayOfWeek, weekly, phi: 0 };
}

/**
 * σ from the median absolute deviation (1.4826 × MAD), so faults do not inflate it. A mostly-zero
 * series (share of time DOWN) has a MAD of 0: then the mean absolute deviation takes over (×1.2533 is
 * its Gaussian ratio to σ; halved so that it only binds in that case).
 */
function robustSigma(dev: ArrayLike<number>): number {
  return robustSigmaInPlace(Float64Array.from(dev));
}

/** robustSigma of `dev`, which it overwrites (|dev|, reordered): the fit's hot path, without copies. */
function robustSigmaInPlace(dev: Float64Array): number {
  for (let i = 0; i < dev.length; i++) dev[i] = Math.abs(dev[i]!);
  // The mean before the median: selection reorders, and a sum in another order differs in its last bits.
  const meanAbs = mean(dev);
  return Math.max(1.4826 * medianInPlace(dev), (1.2533 * meanAbs) / 2);
}

export function median(xs: ArrayLike<number>): number {
  return medianInPlace(Float64Array.from(xs));
}

/** The median of `a`, which it reorders. */
function medianInPlace(a: Float64Array): number {
  if (a.length === 0) return NaN;
  const m = a.length >> 1;
  // Selection (Hoare's quickselect) instead of a full sort: the fit takes many medians.
  const hi = selectInPlace(a, m);
  return a.length % 2 ? hi : (maxBelow(a, m) + hi) / 2;
}


/** The largest of a[0..k) after `selectInPlace(a, k)` (the (k−1)-th smallest). */
function maxBelow(a: Float64Array, k: number): number {
  let m = -Infinity;
  for (let i = 0; i < k; i++) if (a[i]! > m) m = a[i]!;
  return m;
}

function slotMeans(y: Float64Array, w: Float64Array, from: number, n: number, slotOf: Int32Array | null, season: number, base: (i: number) => number, shrink: number): number[] {
  if (!season || !slotOf) return [];
  return slotMeansBy(y, w, from, n, season, (i) => slotOf[from + i]!, base, shrink);
}

/** Weighted mean of y − base per slot, shrunk towards 0 by `shrink` pseudo-weight. */
function slotMeansBy(y: Float64Array, w: Float64Array, from: number, n: number, slots: number, slotOf: (i: number) => number, base: (i: number) => number, shrink: number): number[] {
  const sum = new Float64Array(slots);
  const sw = new Float64Array(slots);
  for (let i = 0; i < n; i++) {
    if (!(w[i]! > 0)) continue;
    const s = slotOf(i);
    sum[s]! += w[i]! * (y[from + i]! - base(i));
    sw[s]! += w[i]!;
  }
  const out: number[] = [];
  for (let s = 0; s < slots; s++) out.push(sw[s]! + shrink > 0 ? sum[s]! / (sw[s]! + shrink) : 0);
  return out;
}

/**
 * Day-of-week levels with empirical-Bayes shrinkage (James and Stein 1961; Efron and Morris 1975):
 * each calendar day's mean deviation from the hour-of-day profile is a noisy sample of its weekday's
 * level; the spread of days within a weekday gives the noise of a weekday's mean (σ²/n_d), the
 * spread between weekdays beyond that noise gives the levels' own variance τ², and each level keeps
 * the share τ² / (τ² + σ²/n_d) of its mean. A flat series (τ² ≈ 0) gets no weekday steps from two
 * weeks of noise; a real weekend (τ² ≫ σ²/n_d) keeps almost all of its level.
 */
function dayOfWeekLevels(y: Float64Array, w: Float64Array, from: number, n: number, grid: Grid, base: (i: number) => number): number[] {
  // Each calendar day's weighted mean deviation, days in order (positions are in time order, so a
  // day's points are contiguous and its number is the first one's plus its offset).
  const d0 = n > 0 ? grid.dayNo[from]! : 0;
  const days = n > 0 ? grid.dayNo[from + n - 1]! - d0 + 1 : 0;
  const ds = new Float64Array(days), dsw = new Float64Array(days), seen = new Uint8Array(days), weekday = new Int32Array(days);
  for (let i = 0; i < n; i++) {
    if (!(w[i]! > 0)) continue;
    const d = grid.dayNo[from + i]! - d0;
    ds[d]! += w[i]! * (y[from + i]! - base(i));
    dsw[d]! += w[i]!;
    seen[d] = 1;
    weekday[d] = grid.dow[from + i]!;
  }
  const perWeekday: number[][] = Array.from({ length: 7 }, () => []);
  for (let d = 0; d < days; d++) if (seen[d]) perWeekday[weekday[d]!]!.push(ds[d]! / dsw[d]!);
  const means = perWeekday.map((xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0));
  // Pooled within-weekday variance of a day's mean (needs two days of some weekday).
  let ss = 0, dof = 0;
  perWeekday.forEach((xs, k) => { for (const x of xs) ss += (x - means[k]!) ** 2; dof += Math.max(0, xs.length - 1); });
  if (dof === 0) return means.map(() => 0);
  const sigma2 = ss / dof;
  const present = perWeekday.map((xs, k) => [xs.length, means[k]!] as const).filter(([c]) => c > 0);
  const grand = present.reduce((a, [, m]) => a + m, 0) / present.length;
  const between = present.reduce((a, [, m]) => a + (m - grand) ** 2, 0) / Math.max(1, present.length - 1);
  const noise = present.reduce((a, [c]) => a + sigma2 / c, 0) / present.length;
  const tau2 = Math.max(0, between - noise);
  return perWeekday.map((xs, k) => (xs.length && tau2 > 0 ? (means[k]! * tau2) / (tau2 + sigma2 / xs.length) : 0));
}

function profileAt(state: ProfileState, tsMs: number, stepMs: number, seasons: { day: number; week: number }): number {
  let v = state.mu;
  if (state.daily.length) v += state.daily[seasonSlot(tsMs, stepMs, seasons.day)]!;
  if (state.dayOfWeek.length) v += state.dayOfWeek[seasonSlot(tsMs, seasons.day * stepMs, 7)]!;
  if (state.weekly.length) v += state.weekly[seasonSlot(tsMs, stepMs, seasons.week)]!;
  return v;
}

/** profileAt for the fit's position `i`, from the grid's slots (the same sum in the same order). */
function profileAtIndex(state: ProfileState, grid: Grid, i: number): number {
  let v = state.mu;
  if (state.daily.length) v += state.daily[grid.day[i]!]!;
  if (state.dayOfWeek.length) v += state.dayOfWeek[grid.dow[i]!]!;
  if (state.weekly.length) v += state.weekly[grid.week[i]!]!;
  return v;
}

/**
 * The level the series stands at at origin `o`, relative to the profile: the mean residual of the
 * `levelSteps` points up to it (finite ones); 0 when off. A level shift (a new customer, a line
 * added) moves it at once, where the profile's mean over weeks follows it only slowly and the AR
 * term forgets it within hours (φ^24 is small): the day-ahead forecast keeps it undecayed.
 */
function originLevel(resid: Float64Array, o: number, levelSteps: number): number {
  if (levelSteps <= 0) return 0;
  let s = 0, c = 0;
  for (let t = Math.max(0, o - levelSteps + 1); t <= o; t++) if (Number.isFinite(resid[t]!)) { s += resid[t]!; c++; }
  return c ? s / c : 0;
}

function residuals(y: Float64Array, from: number, grid: Grid, state: ProfileState): Float64Array {
  const resid = new Float64Array(y.length).fill(NaN);
  for (let t = Math.max(0, from); t < y.length; t++) resid[t] = y[t]! - profileAtIndex(state, grid, t);
  return resid;
}

/**
 * errors[h-1]: y[t] − forecast from origin t−h, for every t in [fitLen, n) whose origin is at or
 * after fitLen−1, except targets on a UTC day in `skipDays`.
 */
function horizonErrors(y: Float64Array, fitLen: number, grid: Grid, state: ProfileState, H: number, levelSteps = 0, skipDays?: ReadonlySet<number>): Float64Array[] {
  const { t0, stepMs } = grid;
  const skipped = (i: number) => skipDays !== undefined && skipDays.has(Math.floor((t0 + i * stepMs) / 86_400_000));
  const n = y.length;
  const resid = residuals(y, fitLen - 1 - levelSteps, grid, state);
  const level = new Float64Array(n);
  for (let o = fitLen - 1; o < n; o++) level[o] = originLevel(resid, o, levelSteps);
  const out: Float64Array[] = [];
  for (let h = 1; h <= H; h++) {
    const count = Math.max(0, n - (fitLen - 1 + h));
    const e = new Float64Array(count);
    let kept = 0;
    const decay = state.phi ** h;
    for (let k = 0; k < count; k++) {
      const t = fitLen - 1 + h + k;
      if (skipped(t)) continue;
      const L = level[t - h]!;
      const v = resid[t]! - L - decay * (resid[t - h]! - L);
      // An error whose point or origin falls in a hole is not an error of the model.
      if (Number.isFinite(v)) e[kept++] = v;
    }
    out.push(kept === count ? e : e.slice(0, kept));
  }
  return out;
}

function meanAbs(errors: readonly Float64Array[]): number {
  let s = 0, c = 0;
  for (const e of errors) for (const v of e) { s += Math.abs(v); c++; }
  return s / c;
}

/** Day-ahead MAE on the original scale of a profile fitted on log1p(y) (`ly`; `actual` is expm1(ly)): |actual − expm1(forecast)|. */
function originalScaleMae(ly: Float64Array, actual: Float64Array, fitLen: number, grid: Grid, state: ProfileState, H: number, levelSteps = 0): number {
  const n = ly.length;
  const resid = residuals(ly, fitLen - 1 - levelSteps, grid, state);
  const level = new Float64Array(n);
  for (let o = fitLen - 1; o < n; o++) level[o] = originLevel(resid, o, levelSteps);
  let s = 0, c = 0;
  for (let h = 1; h <= H; h++) {
    const decay = state.phi ** h;
    for (let t = fitLen - 1 + h; t < n; t++) {
      const L = level[t - h]!;
      const f = ly[t]! - resid[t]! + L + decay * (resid[t - h]! - L);
      const v = actual[t]! - Math.expm1(f);
      if (Number.isFinite(v)) { s += Math.abs(v); c++; }
    }
  }
  return s / c;
}

function mean(y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i]!;
  return s / y.length;
}
