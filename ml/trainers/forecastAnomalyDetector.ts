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
 * While scoring it keeps learning: a slow level (`levelAlpha`), an hour-of-day correction
 * (`seasonalAlpha`, from Huber-clipped errors) and the spread (`scaleAlpha`), so a pattern the training
 * window was too short to show stops raising flags. And it raises one flag per episode: within
 * `cooldownSteps` of a flag, points outside the interval show in `distance` but are not flagged again.
 *
 * Alongside the interval, two one-sided CUSUMs (Page 1954) of the standardised one-step errors catch
 * what no single point shows: a sensor drifting by a spread an hour, which the AR(1) term follows so
 * each one-step error stays inside the interval, or a stuck reading sitting a little below its level.
 * The Cortex columns keep one meaning for every row, whichever rule fires:
 * - `distance`: this point's one-step error in spreads (signed); `percentile`: where that error sits
 *   in the training errors' distribution. A CUSUM flag usually has a modest distance (2–4): the point
 *   is the one that tipped the accumulated evidence over `cusumThreshold`, not an outlier itself.
 * - `lower_bound` / `upper_bound`: where this point would have been flagged. Normally the interval;
 *   once a side's CUSUM holds evidence, that side's bound moves towards the forecast (by the
 *   evidence), so `is_anomaly` is always "outside the bounds", outside a cooldown.
 * When a CUSUM fires, the level is re-anchored by the mean error of its run (its estimate of the
 * change), as `shiftAfter` does for the interval, so a real level shift raises one flag, not one a day.
 * A series that rests on a bound (a quarter of its training points at its minimum or maximum: the
 * share of time DOWN at 0) is forecast a little inside it, since the forecast is a mean; points on
 * the bound add no evidence towards it, or every quiet hour would count as a small "less than
 * expected" and the lower sum would fire on a healthy machine.
 * Models saved before this rule (JSON without `version`) load and score exactly as they did.
 *
 * The record rule (version 3, issue 24): a point outside its interval is flagged only if its
 * |distance| also exceeds `recordFactor` (1.2) times the largest |distance| of the unflagged points
 * of the last `memoryDays` (30) days, training included (and the CUSUM alike against its own
 * largest sum). The interval's level is a per-point rate; on a real series with heavy tails (tweet
 * bursts, a nightly backup) every day holds a few points beyond any fixed level, and each became a
 * false flag, or the same flag every day once the cooldown ended. A record is rare by construction
 * whatever the tails: if the distances have an exponential tail, the month's largest of n points is
 * about ln n spreads of the tail, and P(a point beyond 1.2 × that) ≈ n^−1.2, so a month of n points
 * holds about n^−0.2 false records (0.16 at 5 minutes, 0.27 hourly): fewer than one a month,
 * without tuning a level per series. The memory starts from the training window replayed through
 * the detector, so a spike that recurs every day is known before scoring starts; it holds each
 * day's largest distance (30 numbers in the JSON). Models without `recordFactor` score as before.
 * What the memory holds is the series' norm, not its anomalies: scoring keeps flagged points out of
 * it, and the rest of a flagged anomaly too (the points after the flag until one is back inside the
 * interval: a dust event's second hour); training flags nothing, so after the replay a training day
 * that stands out among the training days (`outlierDays`, on the log of the daily largest) is left
 * out. Without these, one fault in the training window, or the tail of a flagged one, hid every
 * smaller fault of the next month (the simulator's dust events: F1 0.90 → 0.66).
 * What a flag teaches the memory (version 4, `flagCap`): a point that the cooldown kept from being
 * flagged (outside its bounds within a day of a flag) is the anomaly too, not the norm; remembered
 * as it came, one dust event inside a cooldown set the bar above every later one on that sensor
 * for a month (fleet seed 7). The flagged episode and those points join a memory of their own once
 * the cooldown is over, each at most `flagCap` (2) times the bar the unflagged memory set at the
 * flag: a series whose bursts now reach somewhat beyond its old norm is flagged once, not each time
 * the cooldown ends (tweet volumes, ad prices); a fault far beyond the bar cannot lift it further,
 * and flags never raise the cap (it is taken from the unflagged memory), so a sensor's fifth dust
 * event is judged against the same bar as its second.
 * The training days left out of the memory are left out of the interval's calibration too
 * (`cleanCalibration`): a dust event in the held-back part otherwise widens the interval itself.
 * A hole longer than `restartAfterSteps` (one day) restarts the carried state (AR term, CUSUMs, the
 * run of outside points) instead of decaying across it; training skips long gaps of missing time
 * (`longGaps: "keep"`, ml/series.ts) instead of refusing the series or interpolating days.
 */
import type { AnomalyModel, AnomalyRow, Series } from "../contract.ts";
import { checkSeries, seasonLengths, seasonSlot } from "../series.ts";
import { SeasonalProfileForecaster, SeasonalProfileModel, loadSeasonalProfileModel, type SeasonalProfileJSON, type SeasonalProfileOptions } from "./seasonalProfile.ts";

export const FORECAST_ANOMALY = "forecast_interval";
/** See `AnomalyDetectorOptions.level`. */
export const DEFAULT_ANOMALY_LEVEL = 0.99999;
/** See `AnomalyDetectorOptions.cusumThreshold` and `cusumAllowance`. */
export const DEFAULT_CUSUM_THRESHOLD = 8;
export const DEFAULT_CUSUM_ALLOWANCE = 1;
/**
 * What one point can add to a CUSUM, in spreads (Huber-clipped, as in robust CUSUMs): a single spike
 * is the interval's business, and one point of a mostly-zero series (share of time DOWN) 50 spreads
 * off must not fill the sum at once.
 */
export const CUSUM_CLIP = 2;
/** The JSON layout's version: 2 added the CUSUM rule, 3 the record rule and restarts after long holes, 4 the flag memory (`flagCap`). */
export const ANOMALY_MODEL_VERSION = 4;
/** See `AnomalyDetectorOptions.recordFactor` and `memoryDays`. */
export const DEFAULT_RECORD_FACTOR = 1.2;
export const DEFAULT_MEMORY_DAYS = 30;
/**
 * 3 since 2026-12-05's fourth pass (4 before): with the flag memory and the clean calibration,
 * every fold of the bench's leave-one-category-out chose 3 (docs/ml.md, "How the settings were chosen").
 */
export const DEFAULT_OUTLIER_DAYS = 3;
/** See `AnomalyDetectorOptions.flagCap`. */
export const DEFAULT_FLAG_CAP = 2;
/**
 * The detector's `weeklyCycles` (SeasonalProfileOptions): the hour-of-week part needs two weeks of
 * training window (fifth pass, 2026-12-05). Its record rule's memory comes from replaying the
 * training window, and an hour-of-week profile from one week forecasts that week almost exactly:
 * the replayed days look far quieter than the series is (AdExchange's exchange-3: days whose
 * largest distance was 0.5 spreads), so the days that stand out are not told apart and one spike
 * of a day full of gaps set the bar for the month (docs/ml.md, "Seasonal parts and how few cycles
 * they have").
 */
export const DEFAULT_WEEKLY_CYCLES = 2;
/** Fewer training days with points than this, and none is judged to stand out (too few to say what is usual). */
export const MIN_DAYS_FOR_OUTLIERS = 5;

export interface AnomalyDetectorOptions extends SeasonalProfileOptions {
  /**
   * Prediction-interval coverage; points outside are anomalies. Default 0.99999, not Cortex's 0.99:
   * at 0.99 a month of hourly points (720) holds ~7 points outside the interval by construction,
   * each a false alert; docs/ml.md ("ML: trainers and evaluation") has the event-level F1 by level on
   * the simulator's faults and on nab-dev.
   */
  readonly level?: number;
  /** Consecutive flags after which the detector accepts a new level. Default 3. */
  readonly shiftAfter?: number;
  /** Weight of each unflagged point's error in the running level. Default 0.02. */
  readonly levelAlpha?: number;
  /** Weight of each unflagged point's absolute error in the running spread. Default 0.01. */
  readonly scaleAlpha?: number;
  /** Weight of each unflagged point in the online correction of its hour-of-day slot. Default 0.1. */
  readonly seasonalAlpha?: number;
  /** Steps after a flag in which no new flag is raised (one alert per episode). Default: one day of steps, or 24. */
  readonly cooldownSteps?: number;
  /**
   * The cooldown in days of the series' steps (`cooldownSteps` wins when both are given), so one
   * setting means the same on hourly and 5-minute series. Default 1. Candidates are chosen by the
   * bench's leave-one-category-out (bench/ml.bench.ts ANOMALY_SETTINGS).
   */
  readonly cooldownDays?: number;
  /**
   * A flagged episode's largest |distance| joins the record rule's memory (at the flag's day) once
   * its cooldown is over: the same size again is then no record, a larger one still is. Without it
   * the memory never holds a flagged episode, so a spike that recurs each day is flagged each time
   * the cooldown ends (issue 24: "repeating flags"); with it a second, smaller anomaly within the
   * memory's days is not flagged. Default off; a candidate of the bench's leave-one-category-out.
   */
  readonly rememberFlags?: boolean;
  /**
   * CUSUM allowance k, in spreads: errors below this do not accumulate. Default 1: a run of errors of
   * 2 spreads (the clip) fills h = 8 in 8 steps, 1.5 spreads in 16; half-spread noise never does.
   */
  readonly cusumAllowance?: number;
  /**
   * CUSUM decision threshold h, in spreads; 0 turns the rule off. Default 8. Two one-sided cumulative
   * sums of the standardised one-step errors (Page 1954, S⁺ = max(0, S⁺ + min(dz, 2) − k), S⁻ alike)
   * flag a run of same-sign errors that no single point makes anomalous: a slow drift, which the
   * one-step forecast keeps following, or a stuck sensor's flat line. k and h were chosen on the
   * bench's fleet (seed 20260105) and checked on two other fleets and on nab-dev (README).
   */
  readonly cusumThreshold?: number;
  /**
   * Record rule: a point is flagged only when its |distance| also exceeds `recordFactor` times the
   * largest |distance| of the unflagged points of the last `memoryDays` days (training included);
   * the CUSUM likewise against its largest sum. Default 1.2 (why: the file's header); 0 turns it off.
   */
  readonly recordFactor?: number;
  /**
   * Days the record rule remembers. Default 30: the retraining window (28 days) rounded to a month,
   * so a real anomaly masks smaller ones for at most a month and a monthly pattern is seen once.
   */
  readonly memoryDays?: number;
  /** A hole longer than this many steps restarts the detector's running state. Default: one day of steps, or 24. */
  readonly restartAfterSteps?: number;
  /**
   * Training days that stand out are left out of the record rule's memory: a training day whose
   * largest distance (or CUSUM sum) is above exp(median + c × 1.4826 × MAD) of the logs of the
   * training days' largest (c = this option) held an anomaly, not the series' tail. Default
   * `DEFAULT_OUTLIER_DAYS` (3); 0 keeps every training day. Needs `MIN_DAYS_FOR_OUTLIERS` training
   * days with points; with fewer, every day is kept.
   */
  readonly outlierDays?: number;
  /**
   * What a flag teaches the record rule. Points outside their bounds within the cooldown of a flag
   * (kept from being flagged only by it) are not remembered as the norm; with the flagged episode
   * they join a memory of flags once the cooldown is over, at most `flagCap` × the bar that the
   * memory of unflagged points set at the flag, and the bar is the larger of the two memories'.
   * Default 2, chosen by the bench's leave-one-category-out among 1, 1.5, 2 and 3 (every nab-dev
   * fold chose 2 or 3); 0: the rule before 2026-12-05 (points in a cooldown remembered as they come,
   * a flagged episode never). Ignored with `rememberFlags`.
   */
  readonly flagCap?: number;
  /**
   * The training days left out of the memory (`outlierDays`) are also left out of the interval's
   * calibration (`SeasonalProfileOptions.calibrationSkipDays`): the forecaster is fitted again
   * without their errors. Default true.
   */
  readonly cleanCalibration?: boolean;
  /** Fewest weeks of training window for an hour-of-week part; here `DEFAULT_WEEKLY_CYCLES` (2), not the forecaster's 1. */
  readonly weeklyCycles?: number;
}

export interface ForecastAnomalyJSON {
  readonly algorithm: typeof FORECAST_ANOMALY;
  /** AnomalyDetectorOptions.rememberFlags; absent: off (models saved before it score as they did). */
  readonly rememberFlags?: boolean;
  readonly level: number;
  readonly shiftAfter: number;
  readonly levelAlpha: number;
  readonly scaleAlpha: number;
  readonly seasonalAlpha: number;
  readonly cooldownSteps: number;
  /** 2 since the CUSUM rule; absent in models saved before it (they load and score as before, without it). */
  readonly version?: number;
  readonly cusumAllowance?: number;
  readonly cusumThreshold?: number;
  /**
   * The lowest (highest) training value when at least a quarter of the training points sit on it: a
   * bound the series rests on (the share of time DOWN at 0, a busy machine's utilisation at 1).
   */
  readonly floor?: number;
  readonly ceiling?: number;
  /** Version 3: the record rule and restarts after long holes (absent before: off). */
  readonly recordFactor?: number;
  readonly memoryDays?: number;
  /** Largest |distance| of unflagged points per UTC day, oldest first, the last for `memoryDay`. */
  readonly memory?: readonly number[];
  /** The UTC day number (ms / 86 400 000) of the last entry of `memory`. */
  readonly memoryDay?: number;
  /** The same for the larger of the two CUSUMs (in spreads). */
  readonly cusumMemory?: readonly number[];
  readonly restartAfterSteps?: number;
  /** The c the training memory was cleaned with (`AnomalyDetectorOptions.outlierDays`); a record of the fit, not used to score. */
  readonly outlierDays?: number;
  /** Training days left out of the memory because they stood out (interval, CUSUM). */
  readonly outlierDaysLeftOut?: readonly [number, number];
  /** Version 4: AnomalyDetectorOptions.flagCap; absent or 0: points in a cooldown are remembered as they come (before version 4). */
  readonly flagCap?: number;
  /** UTC days offered to the forecaster's calibration as left out (`cleanCalibration`); a record of the fit. */
  readonly calibrationDaysLeftOut?: number;
  /** AnomalyDetectorOptions.weeklyCycles the forecaster was fitted with; a record of the fit (absent: fitted before it, with 1). */
  readonly weeklyCycles?: number;
  readonly forecaster: SeasonalProfileJSON;
}

export class ForecastAnomalyDetector {
  readonly algorithm = FORECAST_ANOMALY;
  constructor(private readonly options: AnomalyDetectorOptions = {}) {
    const level = options.level ?? DEFAULT_ANOMALY_LEVEL;
    if (!(level > 0 && level < 1)) throw new Error(`anomaly detector: level must be in (0, 1), got ${level}`);
    const cd = options.cooldownDays;
    if (cd !== undefined && !(cd >= 0 && Number.isFinite(cd))) throw new Error(`anomaly detector: cooldownDays must be a finite number ≥ 0, got ${cd}`);
    const fc = options.flagCap;
    if (fc !== undefined && !(fc >= 0 && Number.isFinite(fc))) throw new Error(`anomaly detector: flagCap must be a finite number ≥ 0, got ${fc}`);
    const wc = options.weeklyCycles;
    if (wc !== undefined && !(wc >= 0 && Number.isFinite(wc))) throw new Error(`anomaly detector: weeklyCycles must be a finite number ≥ 0, got ${wc}`);
  }

  fit(train: Series, calibrationSkipDays?: ReadonlySet<number>): ForecastAnomalyModel {
    const forecaster = new SeasonalProfileForecaster({ maxGapSteps: this.options.maxGapSteps, longGaps: "keep", allowLog: false, calibration: "heldBack", weeklyCycles: this.options.weeklyCycles ?? DEFAULT_WEEKLY_CYCLES, ...(calibrationSkipDays ? { calibrationSkipDays } : {}) }).fit(train);
    const daySteps = seasonLengths(train.stepMs).day || 24;
    const recordFactor = this.options.recordFactor ?? DEFAULT_RECORD_FACTOR;
    const json: ForecastAnomalyJSON = {
      algorithm: FORECAST_ANOMALY, level: this.options.level ?? DEFAULT_ANOMALY_LEVEL, shiftAfter: this.options.shiftAfter ?? 3,
      levelAlpha: this.options.levelAlpha ?? 0.02, scaleAlpha: this.options.scaleAlpha ?? 0.01, seasonalAlpha: this.options.seasonalAlpha ?? 0.1,
      cooldownSteps: this.options.cooldownSteps ?? Math.round((this.options.cooldownDays ?? 1) * daySteps),
      version: ANOMALY_MODEL_VERSION, cusumAllowance: this.options.cusumAllowance ?? DEFAULT_CUSUM_ALLOWANCE, cusumThreshold: this.options.cusumThreshold ?? DEFAULT_CUSUM_THRESHOLD,
      ...restingBounds(train), forecaster: forecaster.toJSON(), weeklyCycles: this.options.weeklyCycles ?? DEFAULT_WEEKLY_CYCLES,
      ...(recordFactor > 0 ? { recordFactor, memoryDays: this.options.memoryDays ?? DEFAULT_MEMORY_DAYS } : {}),
      restartAfterSteps: this.options.restartAfterSteps ?? daySteps,
      ...(this.options.rememberFlags ? { rememberFlags: true } : { flagCap: this.options.flagCap ?? DEFAULT_FLAG_CAP }),
    };
    if (recordFactor <= 0) return new ForecastAnomalyModel(json);
    // The memory starts from the training window's own one-step distances (replayed from its start),
    // so a spike that recurs every day in training is not a record the first time it recurs.
    const warm = new ForecastAnomalyModel(json).scan(train, true);
    // Nothing was flagged in training, so its anomalies are in the replayed memory; scoring keeps
    // flagged points out of it. A training day that stands out among the training days is taken for
    // what scoring would have flagged and left out (0: a day that raises no bar).
    const c = this.options.outlierDays ?? DEFAULT_OUTLIER_DAYS;
    const memory = withoutOutlierDays(warm.memory, c);
    const cusumMemory = withoutOutlierDays(warm.cusumMemory, c);
    const leftOut: [number, number] = [countChanged(warm.memory, memory), countChanged(warm.cusumMemory, cusumMemory)];
    // A day that stands out held an anomaly: if it lies in the forecaster's held-back part, its
    // errors widened the interval itself (the record rule's bar cannot go below the interval).
    // Fitted once more without them; the second fit's days are not looked at again.
    if (this.options.cleanCalibration !== false && !calibrationSkipDays) {
      const days = new Set<number>();
      for (const [before, after] of [[warm.memory, memory], [warm.cusumMemory, cusumMemory]] as const) {
        before.forEach((v, i) => {
          if (v !== after[i]) days.add(warm.memoryDay - (before.length - 1 - i));
        });
      }
      if (days.size) {
        const refit = this.fit(train, days);
        return new ForecastAnomalyModel({ ...refit.json, calibrationDaysLeftOut: days.size });
      }
    }
    return new ForecastAnomalyModel({ ...json, outlierDays: c, outlierDaysLeftOut: leftOut, memory, cusumMemory, memoryDay: warm.memoryDay });
  }
}

export class ForecastAnomalyModel implements AnomalyModel {
  readonly algorithm = FORECAST_ANOMALY;
  private readonly forecaster: SeasonalProfileModel;
  constructor(readonly json: ForecastAnomalyJSON) {
    this.forecaster = loadSeasonalProfileModel(json.forecaster);
  }

  get params(): Readonly<Record<string, unknown>> {
    const { level, shiftAfter, levelAlpha, scaleAlpha, seasonalAlpha, cooldownSteps, cusumAllowance, cusumThreshold, recordFactor, memoryDays, outlierDays } = this.json;
    return {
      level, shiftAfter, levelAlpha, scaleAlpha, seasonalAlpha, cooldownSteps, cusumAllowance: cusumAllowance ?? 0, cusumThreshold: cusumThreshold ?? 0,
      recordFactor: recordFactor ?? 0, ...(recordFactor ? { memoryDays, outlierDays: outlierDays ?? 0, rememberFlags: this.json.rememberFlags === true, flagCap: this.json.flagCap ?? 0 } : {}), weeklyCycles: this.json.weeklyCycles ?? 1, ...this.forecaster.params,
    };
  }

  /**
   * One row per point with a finite value, in order; holes (NaN, missing steps) are skipped and the AR
   * state decays across them. `is_anomaly` marks the first point outside its bounds (the interval, or
   * the CUSUM's narrower bound) in `cooldownSteps`; later ones in that span show in `distance` and
   * `percentile` but are not flagged again.
   */
  detect(series: Series): AnomalyRow[] {
    return this.scan(series, false).rows;
  }

  /**
   * The scoring loop. `warmup`: replay a series from its own start with no carried state and no
   * flag (fit uses it on the training window to fill the record rule's memory).
   */
  scan(series: Series, warmup: boolean): { rows: AnomalyRow[]; memory: number[]; cusumMemory: number[]; memoryDay: number } {
    if (series.stepMs !== this.forecaster.stepMs) throw new Error(`detect: series ${series.seriesId} has step ${series.stepMs} ms, the model was trained on ${this.forecaster.stepMs} ms`);
    // Order and infinities are checked the same way as for training; holes are allowed here.
    checkSeries(series, { minPoints: 1, maxGapSteps: Number.MAX_SAFE_INTEGER, allowConstant: true });
    const { level, shiftAfter, levelAlpha, scaleAlpha, seasonalAlpha, cooldownSteps } = this.json;
    // Models saved before the CUSUM rule (no threshold in their JSON) score as they did.
    const h0 = this.json.cusumThreshold ?? 0;
    const k = this.json.cusumAllowance ?? 0;
    const { floor, ceiling } = this.json;
    const record = this.json.recordFactor ?? 0;
    const memoryDays = this.json.memoryDays ?? 0;
    const restartAfter = this.json.restartAfterSteps ?? Infinity;
    const f = this.forecaster;
    const step = series.stepMs;
    const z = f.zAt(level);
    const trainedSigma = f.sigma(1);
    // The running spread is tracked as a mean absolute error and mapped back to the trained spread's
    // units, so the |z| table learned in training still applies (a mostly-zero series has a robust σ
    // far below its RMS error).
    const trainedMae = f.json.mae1 > 0 ? f.json.mae1 : trainedSigma;
    let meanAbs = trainedMae;
    const phi = f.phi;
    const first = series.points.find((p) => Number.isFinite(p.value));
    let prevTs = warmup && first ? first.ts.getTime() - step : f.trainedUntil.getTime();
    let x = warmup ? 0 : f.lastResidual; // deviation from profile + shift at prevTs
    let shift = 0; // level offset learned while detecting
    let run: number[] = []; // errors of the current run of points outside the interval
    let lastFlag = -Infinity;
    // Inside the flagged anomaly: from a flag until the first point back inside the interval.
    let episode = false;
    // The two one-sided CUSUMs (in spreads) and the errors of the run each has accumulated since it
    // last stood at 0: their mean is the size of the change when the sum crosses h.
    const up = { s: 0, sum: 0, n: 0 };
    const down = { s: 0, sum: 0, n: 0 };
    // Online correction of the hour-of-day profile (Holt-Winters' seasonal update), so a pattern the
    // training window was too short to learn, or that changed since, stops raising flags.
    const daySteps = seasonLengths(step).day;
    const seasonal = new Float64Array(daySteps);
    // The record rule's memory: the largest |distance| per UTC day, the last entry for `memoryDay`.
    const memory = warmup ? [] : [...(this.json.memory ?? [])];
    const cusumMemory = warmup ? [] : [...(this.json.cusumMemory ?? this.json.memory?.map(() => 0) ?? [])];
    let memoryDay = warmup ? NaN : this.json.memoryDay ?? NaN;
    const rememberFlags = this.json.rememberFlags === true;
    const flagCap = rememberFlags ? 0 : this.json.flagCap ?? 0;
    // Version 4: the memory of flagged episodes (and the points their cooldown suppressed), per UTC
    // day alongside `memory`; empty after fit (training flags nothing).
    const flagMemory = memory.map(() => 0);
    let pending: { day: number; d: number; cap: number } | null = null;
    const rows: AnomalyRow[] = [];
    for (const p of series.points) {
      if (!Number.isFinite(p.value)) continue;
      const ts = p.ts.getTime();
      const gap = Math.max(1, Math.round((ts - prevTs) / step));
      if (ts <= prevTs) x = 0; // scoring data before or inside the training window: no carried state
      if (gap > restartAfter) {
        // A long hole (a sensor or gateway offline): what the state carried says nothing about now.
        x = 0;
        run = [];
        up.s = up.sum = up.n = down.s = down.sum = down.n = 0;
      }
      if (record > 0) {
        const day = Math.floor(ts / 86_400_000);
        if (Number.isNaN(memoryDay)) memoryDay = day;
        for (; memoryDay < day; memoryDay++) (memory.push(0), cusumMemory.push(0), flagMemory.push(0));
        if (memory.length === 0) (memory.push(0), cusumMemory.push(0), flagMemory.push(0));
        while (memory.length > memoryDays) (memory.shift(), cusumMemory.shift(), flagMemory.shift());
      }
      const slot = daySteps ? seasonSlot(ts, step, daySteps) : 0;
      const base = f.profile(ts) + shift + (daySteps ? seasonal[slot]! : 0);
      const forecast = base + phi ** gap * x;
      const e = p.value - forecast;
      // The spread follows the data, but never below half of what training saw: a quiet spell must not make every wiggle an anomaly.
      const sigma = Math.max((trainedSigma * meanAbs) / trainedMae, trainedSigma / 2);
      const dz = e / sigma;
      // The flagged episode's size becomes the norm once its cooldown is over (rememberFlags), before
      // the first point that could be flagged again is judged.
      if ((rememberFlags || flagCap > 0) && pending && record > 0 && (ts - lastFlag) / step >= cooldownSteps) {
        const idx = memory.length - 1 - (memoryDay - pending.day);
        const into = rememberFlags ? memory : flagMemory;
        if (idx >= 0) into[idx] = Math.max(into[idx]!, Math.min(pending.d, pending.cap));
        pending = null;
      }
      // Where a flag starts: the interval, raised by the record rule to beyond what the last days
      // held (`normalBar`: their unflagged points; then what their flags taught, within its cap).
      const normalBar = record > 0 ? Math.max(z, record * Math.max(0, ...memory)) : z;
      const flagZ = record > 0 && flagCap > 0 ? Math.max(normalBar, record * Math.max(0, ...flagMemory)) : normalBar;
      const h = record > 0 && h0 > 0 ? Math.max(h0, record * Math.max(0, ...cusumMemory)) : h0;
      // The bounds are where this point would be flagged: the interval, narrowed on a side once that
      // side's CUSUM holds evidence (S⁺ + min(dz, clip) − k > h is the same as dz > h + k − S⁺ when
      // h + k − S⁺ < clip; otherwise the sum cannot cross on this point). So is_anomaly is always
      // "outside [lower_bound, upper_bound]", whichever rule drew the bound.
      const upperZ = h > 0 && h + k - up.s < CUSUM_CLIP ? Math.min(flagZ, h + k - up.s) : flagZ;
      const lowerZ = h > 0 && h + k - down.s < CUSUM_CLIP ? Math.min(flagZ, h + k - down.s) : flagZ;
      const outsideInterval = Math.abs(dz) > z;
      const outside = dz > upperZ || -dz > lowerZ;
      const quiet = (ts - lastFlag) / step >= cooldownSteps;
      const flagged = !warmup && outside && quiet;
      if (flagged) {
        lastFlag = ts;
        episode = true;
        pending = { day: memoryDay, d: Math.abs(dz), cap: flagCap > 0 ? flagCap * normalBar : Infinity };
      } else if ((episode && outsideInterval) || (flagCap > 0 && outside && !warmup)) {
        if (pending) pending.d = Math.max(pending.d, Math.abs(dz));
        // The rest of the flagged anomaly (a dust event's second hour, a surge's tail) is the
        // anomaly, not the series' norm: it raises no bar for the next one. With `flagCap` so is a
        // point only the cooldown kept from being flagged (a second dust event six hours later).
      } else if (record > 0) {
        episode = false;
        // Every other unflagged point is remembered, those later in a cooldown too: a pattern that
        // started with a flag (a nightly job, a new workload) is then no record the next time,
        // instead of being flagged again each time the one-day cooldown ends at the same minute.
        memory[memory.length - 1] = Math.max(memory[memory.length - 1]!, Math.abs(dz));
        cusumMemory[cusumMemory.length - 1] = Math.max(cusumMemory[cusumMemory.length - 1]!, up.s, down.s);
      }
      if (outsideInterval) {
        run.push(e);
        if (run.length >= shiftAfter) {
          shift += run.reduce((a, b) => a + b, 0) / run.length;
          run = [];
          x = p.value - (f.profile(ts) + shift + (daySteps ? seasonal[slot]! : 0));
        } else {
          x = forecast - base;
        }
        // The hour-of-day correction still learns, from the error clipped to the interval (Huber-style,
        // as in Gelper et al.): a pattern that changed stops being flagged after a few days, a one-off
        // spike moves it by at most one interval width × seasonalAlpha.
        if (daySteps) seasonal[slot]! += seasonalAlpha * Math.sign(e) * z * sigma;
      } else {
        run = [];
        if (outside) {
          // The CUSUM crossed: the level has moved by about the mean error of its run; take it as the
          // new level, as `shiftAfter` does for points outside the interval.
          const side = dz > 0 ? up : down;
          shift += (side.sum + e) / (side.n + 1);
        } else {
          shift += levelAlpha * e;
          meanAbs += scaleAlpha * (Math.abs(e) - meanAbs);
        }
        if (daySteps) seasonal[slot]! += seasonalAlpha * (p.value - base - phi ** gap * x);
        x = p.value - (f.profile(ts) + shift + (daySteps ? seasonal[slot]! : 0));
      }
      if (h > 0) {
        if (outside) {
          // Whatever raised it, an anomaly starts both sums afresh (the evidence has been used).
          up.s = up.sum = up.n = down.s = down.sum = down.n = 0;
        } else {
          const g = Math.max(-CUSUM_CLIP, Math.min(CUSUM_CLIP, dz));
          // At a bound the series rests on, the forecast sits a little inside it (it is a mean), so
          // every point there looks like a small error towards the bound: not evidence of a change.
          accumulate(up, (ceiling !== undefined && p.value >= ceiling ? 0 : g) - k, e);
          accumulate(down, (floor !== undefined && p.value <= floor ? 0 : -g) - k, e);
        }
      }
      prevTs = ts;
      rows.push({
        ts: p.ts, y: p.value, forecast, lower_bound: forecast - lowerZ * sigma, upper_bound: forecast + upperZ * sigma, is_anomaly: flagged,
        percentile: 0.5 + Math.sign(dz) * f.coverageOf(Math.abs(dz)) / 2, distance: dz,
      });
    }
    return { rows, memory, cusumMemory, memoryDay };
  }

  toJSON(): ForecastAnomalyJSON {
    return this.json;
  }
}

/**
 * The memory with the days that stand out set to 0: a day whose value is above exp(median + c ×
 * 1.4826 × MAD) of the logs of the days with a value. Log scale, because daily maxima are skewed and
 * their spread grows with their size. Unchanged when c is not positive or fewer than
 * MIN_DAYS_FOR_OUTLIERS days have a value.
 */
export function withoutOutlierDays(memory: readonly number[], c: number): number[] {
  const logs = memory.filter((v) => v > 0).map(Math.log).sort((a, b) => a - b);
  if (!(c > 0) || logs.length < MIN_DAYS_FOR_OUTLIERS) return [...memory];
  const med = median(logs);
  const mad = median(logs.map((v) => Math.abs(v - med)).sort((a, b) => a - b));
  const cut = Math.exp(med + c * 1.4826 * mad);
  return memory.map((v) => (v > cut ? 0 : v));
}

function median(sorted: readonly number[]): number {
  const n = sorted.length;
  return n % 2 ? sorted[n >> 1]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}

function countChanged(a: readonly number[], b: readonly number[]): number {
  return a.filter((v, i) => v !== b[i]).length;
}

/** One side of a CUSUM: S = max(0, S + step); the run's errors are kept while S > 0. */
function accumulate(side: { s: number; sum: number; n: number }, stepZ: number, e: number): void {
  side.s = Math.max(0, side.s + stepZ);
  if (side.s > 0) {
    side.sum += e;
    side.n++;
  } else {
    side.sum = 0;
    side.n = 0;
  }
}

export function loadAnomalyModel(json: ForecastAnomalyJSON): ForecastAnomalyModel {
  if (json?.algorithm !== FORECAST_ANOMALY) throw new Error(`not a ${FORECAST_ANOMALY} model: algorithm ${(json as { algorithm?: unknown })?.algorithm}`);
  return new ForecastAnomalyModel(json);
}


/** Share of the training points that must sit on the minimum (maximum) for it to count as a bound. */
const RESTING_SHARE = 0.25;

function restingBounds(train: Series): { floor?: number; ceiling?: number } {
  const v = train.points.map((p) => p.value).filter(Number.isFinite);
  let min = Infinity, max = -Infinity;
  for (const x of v) {
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const share = (b: number) => v.filter((x) => x === b).length / v.length;
  return { ...(share(min) >= RESTING_SHARE ? { floor: min } : {}), ...(share(max) >= RESTING_SHARE ? { ceiling: max } : {}) };
}
