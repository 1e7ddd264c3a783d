/**
 * Stop-length (dwell-time) anomaly detector on a machine's state stream (issue 5): a semi-Markov
 * view of the 1 Hz `state` readings (RUNNING / IDLE / SETUP / DOWN), where what is modelled is how
 * long each stay in a state lasts. A breakdown is ONE long DOWN stay; the machine's own stops are
 * many short ones. In the hourly share of time DOWN the two look alike (an hour with a few short
 * stops against a 35-minute breakdown); in stay lengths they do not.
 *
 * Fit: per state, the completed stay lengths of the training window (a stay cut by the window's
 * start or end has no known length and is left out). Per state, the survival function
 * S(x) = P(stay > x) is the empirical distribution up to a quantile p0 and an exponential tail
 * beyond it:
 * - p0 = max(0, 1 − TAIL_STAYS / n), at most TAIL_MAX_QUANTILE: the tail is fitted on the longest
 *   TAIL_STAYS stays or the longest 5 %, whichever is more. A state with few stays (a machine's
 *   DOWN stays: ~1–2 a day) is one exponential from 0; a state with thousands (RUNNING, IDLE, whose
 *   mean stretches with the shift load, a mixture of exponentials) gets the tail of its longest
 *   component, not of the average stay;
 * - the tail's scale is the exponential maximum-likelihood estimate with the longest quarter
 *   (TAIL_CENSORED) of the tail's stays treated as right-censored: each counts only as "at least c
 *   long", c the longest stay kept. The training window holds breakdowns too (0.1 a day against
 *   ~2 natural stops, Poisson, so some machines have 4–5 among ~30 DOWN stays): the plain mean takes
 *   a 4-hour breakdown at face value and stretches the threshold past the next one (one simulated
 *   machine's DOWN mean was 1450 s against a true 200 s). Censoring a quarter survives up to a
 *   quarter of outliers. The median / ln 2 survives half, but is noisier on the 20–40 DOWN stays a
 *   machine has in a fortnight: variance ≈ θ²/(n ln²2) ≈ 2.1 θ²/n against θ²/(0.75 n) ≈ 1.3 θ²/n
 *   for the censored estimate (Type-II censoring: θ²/observed stays).
 * Score: `update(ts, state)` follows the ongoing stay in O(1) memory. The stay's percentile is
 * 1 − S(elapsed); its threshold is the x where S(x) = 1 − level. The stay is flagged ONCE, on the
 * reading where it crosses the threshold, while it is still going (an operator wants the alert
 * during the breakdown, not after it). Only the `flagStates` (DOWN by default) are flagged. `distance` is how far past the threshold the stay is, in
 * units of the tail's scale.
 * Gaps: a reading more than `maxGapMs` after the previous one adds only `maxGapMs` to the stay (a
 * gateway that was offline says nothing about what the machine did); a reading at or before the
 * previous one is ignored (late or duplicate). A state without a fitted tail (never seen in
 * training, or `states` left it out) is followed but never flagged: `modelled` is false and its
 * percentile, distance and threshold are NaN.
 */
import { SeriesError } from "../contract.ts";

export const DWELL_TIME = "dwell_time";
/** The JSON layout's version. */
export const DWELL_MODEL_VERSION = 1;
/**
 * Default `level`: a stay is flagged once its survival probability drops below 1 − level. Chosen
 * on the ML bench's default fleet (`ml.anomaly_f1.breakdown_dwell.level_*`, README "ML: trainers
 * and evaluation"): 0.999 and 0.9995 both found its 16 breakdowns with no false flag, 0.9999
 * missed 2 (on machines whose DOWN scale came out high the threshold passed 30 minutes, the
 * shortest breakdown), 0.99 raised 8 false flags. Of the two, the higher: half the false alarms
 * from natural stops (1 in 2000 stops) for a threshold 2.3 minutes later at a 200 s scale.
 */
export const DEFAULT_DWELL_LEVEL = 0.9995;
/**
 * Default `flagStates`: only DOWN stays raise flags. How long a machine idles, runs or sets up
 * follows the production plan (a shift's staffing stretches idle stays tenfold on a Sunday night),
 * which this model does not see: on the ML bench's default fleet the other states' longest stays
 * would add 18 false flags to the 16 breakdowns found at the default level (README). They are
 * still modelled: their percentile and distance are reported.
 */
export const DEFAULT_FLAG_STATES: readonly string[] = ["DOWN"];
/** Default `minStays`: completed stays a state needs before its tail is fitted. */
export const DEFAULT_MIN_STAYS = 15;
/** Default `maxGapMs`: the most one gap between readings adds to a stay. */
export const DEFAULT_MAX_GAP_MS = 120_000;
/** The tail is fitted on at least this many of the longest stays (or all, when fewer). */
export const TAIL_STAYS = 50;
/** The tail starts at most at this quantile. */
export const TAIL_MAX_QUANTILE = 0.95;
/** Share of the tail's longest stays counted as censored in its scale estimate. */
export const TAIL_CENSORED = 0.25;
/** Knots of the body's empirical distribution kept for `percentile` below the tail. */
const BODY_KNOTS = 16;

export interface DwellTimeOptions {
  /** Flag a stay when its survival probability drops below 1 − level. Default DEFAULT_DWELL_LEVEL. */
  readonly level?: number;
  /** Completed stays a modelled state needs. Default DEFAULT_MIN_STAYS (15). */
  readonly minStays?: number;
  /** The most one gap between readings adds to a stay (ms). Default DEFAULT_MAX_GAP_MS (2 min). */
  readonly maxGapMs?: number;
  /**
   * The states to model; each must have `minStays` completed stays. Default: every state seen with
   * at least `minStays` stays (the others are named in the model's `unfitted`), and at least one.
   */
  readonly states?: readonly string[];
  /** The modelled states whose long stays are flagged. Default DEFAULT_FLAG_STATES (DOWN). */
  readonly flagStates?: readonly string[];
}

/** The fitted stay-length distribution of one state. */
export interface StateTailJSON {
  /** Completed stays fitted on. */
  readonly stays: number;
  /** The tail starts at quantile p0 … */
  readonly p0: number;
  /** … which is this stay length (s). */
  readonly u: number;
  /** The exponential tail's scale (s): S(x) = (1 − p0) · exp(−(x − u) / scale) for x ≥ u. */
  readonly scale: number;
  /** Stay lengths (s) at quantiles j · p0 / (knots − 1), for the percentile below u. */
  readonly knots: readonly number[];
  /** The plain mean of the stays (s), for reference only. */
  readonly mean: number;
}

/** Where the stream is: the ongoing stay. */
export interface DwellPositionJSON {
  readonly state: string | null;
  /** When the stay began (ms); null when none. */
  readonly stayStart: number | null;
  readonly elapsedMs: number;
  readonly lastTs: number | null;
  readonly flagged: boolean;
}

export interface DwellTimeJSON {
  readonly algorithm: typeof DWELL_TIME;
  readonly version: typeof DWELL_MODEL_VERSION;
  readonly deviceId: string;
  readonly level: number;
  readonly maxGapMs: number;
  /** The states whose long stays are flagged (the others are scored, never flagged). */
  readonly flagStates: readonly string[];
  readonly tails: Readonly<Record<string, StateTailJSON>>;
  /** States seen in training but not modelled, with their completed stays. */
  readonly unfitted: Readonly<Record<string, number>>;
  readonly position: DwellPositionJSON;
}

/** One reading's score (Cortex-like). `update` returns the same object each time: copy what you keep. */
export interface DwellScore {
  ts: number;
  state: string;
  /** The ongoing stay so far (s). */
  staySeconds: number;
  /** When the ongoing stay began (ms). */
  stayStart: number;
  /** True on the one reading where the stay crosses the threshold (flagged states only). */
  is_anomaly: boolean;
  /** 1 − survival probability of a stay this long. */
  percentile: number;
  /** (stay − threshold) / the tail's scale: negative before the threshold. */
  distance: number;
  /** The stay length (s) at which this state is flagged. */
  threshold: number;
  lower_bound: number;
  upper_bound: number;
  /** False for a state with no fitted tail (never flagged). */
  modelled: boolean;
}

/** Consecutive readings in one state, as a warehouse query returns them (`DwellStays.fromRuns`). */
export interface StateRun {
  readonly state: string;
  /** First and last reading of the run (ms). */
  readonly startMs: number;
  readonly lastMs: number;
  /** Seconds between the run's first and last reading, each gap capped at maxGapMs. */
  readonly innerSeconds: number;
  /** Seconds from the previous run's last reading to this run's first, capped (0 for the first run). */
  readonly leadInSeconds: number;
}

/** Completed stays per state, from a state sequence in time order (the training side). */
export class DwellStays {
  private readonly byState = new Map<string, number[]>();
  private state: string | null = null;
  private stayStart = NaN;
  private elapsedMs = 0;
  private lastTs = NaN;
  /** Whether the ongoing stay began inside the sequence (the first one did not: unknown length). */
  private complete = false;

  constructor(readonly deviceId: string, readonly maxGapMs = DEFAULT_MAX_GAP_MS) {
    if (!(maxGapMs > 0)) throw new Error(`DwellStays: maxGapMs must be > 0, got ${maxGapMs}`);
  }

  observe(ts: number, state: string): void {
    if (ts <= this.lastTs) return;
    if (state === this.state) {
      this.elapsedMs += Math.min(ts - this.lastTs, this.maxGapMs);
    } else {
      if (this.state !== null) {
        if (this.complete) {
          let list = this.byState.get(this.state);
          if (!list) this.byState.set(this.state, (list = []));
          list.push((this.elapsedMs + Math.min(ts - this.lastTs, this.maxGapMs)) / 1000);
        }
        this.complete = true;
      }
      this.state = state;
      this.stayStart = ts;
      this.elapsedMs = 0;
    }
    this.lastTs = ts;
  }

  /**
   * The same stays from runs already collapsed elsewhere (the warehouse's state runs, in time
   * order): run k > 0 that has a successor is complete, its length its own time plus the gap to
   * the successor's first reading, each gap already capped at `maxGapMs`; the last run is the
   * ongoing stay.
   */
  static fromRuns(deviceId: string, runs: readonly StateRun[], maxGapMs = DEFAULT_MAX_GAP_MS): DwellStays {
    const s = new DwellStays(deviceId, maxGapMs);
    for (let k = 1; k < runs.length - 1; k++) {
      const r = runs[k]!;
      let list = s.byState.get(r.state);
      if (!list) s.byState.set(r.state, (list = []));
      list.push(r.innerSeconds + runs[k + 1]!.leadInSeconds);
    }
    const last = runs.at(-1);
    if (last) {
      s.state = last.state;
      s.stayStart = last.startMs;
      s.elapsedMs = last.innerSeconds * 1000;
      s.lastTs = last.lastMs;
      s.complete = runs.length > 1;
    }
    return s;
  }

  /** Completed stay lengths (s) of a state, in the order they ended. */
  stays(state: string): readonly number[] {
    return this.byState.get(state) ?? [];
  }

  /** Completed stays per state. */
  counts(): Record<string, number> {
    return Object.fromEntries([...this.byState].map(([s, l]) => [s, l.length]));
  }

  /** The ongoing stay (the scorer continues from it). */
  position(): DwellPositionJSON {
    return { state: this.state, stayStart: Number.isNaN(this.stayStart) ? null : this.stayStart, elapsedMs: this.elapsedMs, lastTs: Number.isNaN(this.lastTs) ? null : this.lastTs, flagged: false };
  }
}

/** Sorted-sample quantile with linear interpolation (type 7). */
function quantile(sorted: readonly number[], p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  return sorted[lo]! + (h - lo) * ((sorted[Math.min(lo + 1, sorted.length - 1)] ?? sorted[lo]!) - sorted[lo]!);
}

/** The tail model of one state's stays (see the file comment). */
export function fitStateTail(stays: readonly number[]): StateTailJSON {
  const sorted = [...stays].sort((a, b) => a - b);
  const n = sorted.length;
  const p0 = Math.min(TAIL_MAX_QUANTILE, Math.max(0, 1 - TAIL_STAYS / n));
  const u = p0 === 0 ? 0 : quantile(sorted, p0);
  const excess = sorted.filter((x) => x > u).map((x) => x - u);
  const k = excess.length;
  if (k === 0) return { stays: n, p0, u, scale: NaN, knots: [u], mean: sorted.reduce((a, b) => a + b, 0) / n };
  const uncensored = Math.max(1, Math.ceil((1 - TAIL_CENSORED) * k));
  const c = excess[uncensored - 1]!;
  let sum = 0;
  for (let i = 0; i < uncensored; i++) sum += excess[i]!;
  // Type-II censored exponential MLE: (sum of the observed + c per censored) / observed.
  const scale = (sum + (k - uncensored) * c) / uncensored;
  const knots = p0 === 0 ? [0] : Array.from({ length: BODY_KNOTS }, (_, j) => quantile(sorted, (j * p0) / (BODY_KNOTS - 1)));
  return { stays: n, p0, u, scale, knots, mean: sorted.reduce((a, b) => a + b, 0) / n };
}

/** P(stay > x) under a fitted tail. */
export function survival(t: StateTailJSON, x: number): number {
  if (x >= t.u) return (1 - t.p0) * Math.exp(-(x - t.u) / t.scale);
  const k = t.knots;
  if (x <= k[0]!) return 1;
  const step = t.p0 / (k.length - 1);
  for (let j = 1; j < k.length; j++) {
    if (x <= k[j]!) {
      const w = k[j]! - k[j - 1]!;
      return 1 - ((j - 1) * step + (w > 0 ? ((x - k[j - 1]!) / w) * step : step));
    }
  }
  return 1 - t.p0;
}

/** The stay length (s) whose survival probability is 1 − level. */
export function tailThreshold(t: StateTailJSON, level: number): number {
  return t.u + t.scale * Math.log((1 - t.p0) / (1 - level));
}

function checkLevel(level: number): void {
  if (!(level > TAIL_MAX_QUANTILE && level < 1)) throw new Error(`dwell time: level must be in (${TAIL_MAX_QUANTILE}, 1), got ${level}`);
}

/** Fits per-state stay-length tails from a machine's training-window state sequence. */
export class DwellTimeDetector {
  readonly algorithm = DWELL_TIME;
  constructor(readonly options: DwellTimeOptions = {}) {
    checkLevel(options.level ?? DEFAULT_DWELL_LEVEL);
  }

  /** Fit from readings in time order; the model continues from the sequence's ongoing stay. */
  fit(deviceId: string, readings: Iterable<{ readonly ts: Date | number; readonly state: string }>): DwellTimeModel {
    const stays = new DwellStays(deviceId, this.options.maxGapMs);
    for (const r of readings) stays.observe(typeof r.ts === "number" ? r.ts : r.ts.getTime(), r.state);
    return this.fitStays(stays);
  }

  /**
   * Fit from collected stays. Throws SeriesError (TOO_SHORT, series `state:<device>`) naming the
   * state and its count when a state in `options.states` has fewer than `minStays` completed
   * stays, or, without `states`, when no state has enough.
   */
  fitStays(stays: DwellStays): DwellTimeModel {
    const minStays = this.options.minStays ?? DEFAULT_MIN_STAYS;
    const counts = stays.counts();
    const id = `state:${stays.deviceId}`;
    const wanted = this.options.states ?? Object.keys(counts).filter((s) => counts[s]! >= minStays);
    if (wanted.length === 0) {
      const seen = Object.entries(counts).map(([s, c]) => `${s} ${c}`).join(", ") || "none";
      throw new SeriesError("TOO_SHORT", id, `no state has ${minStays} completed stays to fit a stay length on (completed stays: ${seen})`);
    }
    const tails: Record<string, StateTailJSON> = {};
    for (const state of wanted) {
      const n = counts[state] ?? 0;
      if (n < minStays) throw new SeriesError("TOO_SHORT", id, `state ${state} has ${n} completed stays, fitting its stay length needs at least ${minStays}`);
      const tail = fitStateTail(stays.stays(state));
      if (!(tail.scale > 0 && Number.isFinite(tail.scale))) {
        // Every stay the same length (readings too coarse, or one repeated pattern): no tail to extrapolate.
        throw new SeriesError("CONSTANT", id, `state ${state}: its ${n} completed stays leave no spread above ${tail.u} s to fit a stay length on`);
      }
      tails[state] = tail;
    }
    const unfitted = Object.fromEntries(Object.entries(counts).filter(([s]) => !(s in tails)));
    return new DwellTimeModel({
      algorithm: DWELL_TIME, version: DWELL_MODEL_VERSION, deviceId: stays.deviceId, level: this.options.level ?? DEFAULT_DWELL_LEVEL,
      maxGapMs: stays.maxGapMs, flagStates: [...(this.options.flagStates ?? DEFAULT_FLAG_STATES)], tails, unfitted, position: stays.position(),
    });
  }
}

interface Tail extends StateTailJSON {
  readonly threshold: number;
  readonly flags: boolean;
}

/** A fitted dwell-time model that scores a state stream as it arrives (O(1) memory). */
export class DwellTimeModel {
  readonly algorithm = DWELL_TIME;
  readonly deviceId: string;
  readonly level: number;
  readonly maxGapMs: number;
  readonly flagStates: readonly string[];
  private readonly tails: ReadonlyMap<string, Tail>;
  private readonly unfitted: Readonly<Record<string, number>>;
  private state: string | null;
  private tail: Tail | undefined;
  private stayStart: number;
  private elapsedMs: number;
  private lastTs: number;
  private flagged: boolean;
  private readonly out: DwellScore = { ts: NaN, state: "", staySeconds: 0, stayStart: NaN, is_anomaly: false, percentile: NaN, distance: NaN, threshold: NaN, lower_bound: 0, upper_bound: NaN, modelled: false };

  constructor(json: DwellTimeJSON, options: { level?: number } = {}) {
    if (json?.algorithm !== DWELL_TIME) throw new Error(`not a ${DWELL_TIME} model: algorithm ${JSON.stringify((json as { algorithm?: unknown })?.algorithm)}`);
    if (json.version !== DWELL_MODEL_VERSION) throw new Error(`dwell time model ${json.deviceId}: unknown version ${JSON.stringify(json.version)} (this code reads ${DWELL_MODEL_VERSION})`);
    this.deviceId = json.deviceId;
    this.level = options.level ?? json.level;
    checkLevel(this.level);
    this.maxGapMs = json.maxGapMs;
    this.flagStates = json.flagStates;
    this.tails = new Map(Object.entries(json.tails).map(([s, t]) => [s, { ...t, threshold: tailThreshold(t, this.level), flags: json.flagStates.includes(s) }]));
    this.unfitted = json.unfitted;
    const p = json.position;
    this.state = p.state;
    this.tail = p.state === null ? undefined : this.tails.get(p.state);
    this.stayStart = p.stayStart ?? NaN;
    this.elapsedMs = p.elapsedMs;
    this.lastTs = p.lastTs ?? NaN;
    this.flagged = p.flagged;
  }

  /** The modelled states. */
  states(): string[] {
    return [...this.tails.keys()];
  }

  /** The fitted tail of a state, or undefined. */
  tailOf(state: string): StateTailJSON | undefined {
    return this.tails.get(state);
  }

  /** The stay length (s) at which a state is flagged (NaN when it is not modelled). */
  thresholdSeconds(state: string): number {
    return this.tails.get(state)?.threshold ?? NaN;
  }

  /**
   * Score one reading. Readings at or before the last one are ignored (the previous score is
   * returned with `is_anomaly` false). The returned object is reused by the next call.
   */
  update(ts: number | Date, state: string): Readonly<DwellScore> {
    const t = typeof ts === "number" ? ts : ts.getTime();
    const o = this.out;
    o.is_anomaly = false;
    if (t <= this.lastTs) return o;
    if (state === this.state) {
      this.elapsedMs += Math.min(t - this.lastTs, this.maxGapMs);
    } else {
      this.state = state;
      this.tail = this.tails.get(state);
      this.stayStart = t;
      this.elapsedMs = 0;
      this.flagged = false;
    }
    this.lastTs = t;
    const x = this.elapsedMs / 1000;
    o.ts = t;
    o.state = state;
    o.staySeconds = x;
    o.stayStart = this.stayStart;
    const tail = this.tail;
    if (tail === undefined) {
      o.modelled = false;
      o.percentile = o.distance = o.threshold = o.upper_bound = NaN;
      return o;
    }
    o.modelled = true;
    o.threshold = o.upper_bound = tail.threshold;
    o.distance = (x - tail.threshold) / tail.scale;
    o.percentile = 1 - survival(tail, x);
    if (!this.flagged && tail.flags && x >= tail.threshold) {
      this.flagged = true;
      o.is_anomaly = true;
    }
    return o;
  }

  toJSON(): DwellTimeJSON {
    const tails = Object.fromEntries([...this.tails].map(([s, { threshold: _t, flags: _f, ...t }]) => [s, t]));
    return {
      algorithm: DWELL_TIME, version: DWELL_MODEL_VERSION, deviceId: this.deviceId, level: this.level, maxGapMs: this.maxGapMs, flagStates: this.flagStates, tails, unfitted: this.unfitted,
      position: { state: this.state, stayStart: Number.isNaN(this.stayStart) ? null : this.stayStart, elapsedMs: this.elapsedMs, lastTs: Number.isNaN(this.lastTs) ? null : this.lastTs, flagged: this.flagged },
    };
  }
}

/** Rebuilds a dwell-time model from its `toJSON()`, mid-stay if it was saved mid-stay. */
export function loadDwellTimeModel(json: DwellTimeJSON, options: { level?: number } = {}): DwellTimeModel {
  return new DwellTimeModel(json, options);
}
