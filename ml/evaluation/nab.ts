/**
 * Scores an anomaly detector on labelled NAB series (Numenta Anomaly Benchmark, MIT licence) with the
 * event-level rule of data/nab-dev/README.md. Each file: NAB's probationary period trains the
 * detector, the rest is scored; flags count against every labelled window of the file, including
 * any inside the probationary part (which therefore cannot be detected).
 *
 * The probationary period is NAB's own (numenta/NAB `nab/sweeper.py`, `_getProbationaryLength`): the
 * first min(floor(0.15 × rows), 0.15 × 5000) rows of the file, so at most 750 rows. Until 2026-12-05
 * this took 15 % of every file's time: on the ten Tweets files (~15,900 rows) that is 8.3 days where
 * NAB gives every detector 2.6, and 8 of their 33 windows fell in it and could not be found.
 *
 * NAB timestamps are snapped to the file's step (the median spacing) from its first timestamp;
 * points that land on the same step are averaged. A step with no row stays absent: it is missing
 * time (a gap), not a missing value, so it is not written as a NaN point (ml/series.ts tells the two
 * apart: the detector interpolates short gaps and restarts after long ones).
 *
 * A file whose training part cannot be trained on (`SeriesError`: a constant flat line) gets no
 * model and so no flag; the result names it.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SeriesError, type AnomalyModel, type Series, type SeriesPoint } from "../contract.ts";
import { scoreEvents, sumEventScores, type EventScore, type Window } from "./eventScore.ts";
import { timeHoldout } from "./holdout.ts";

export interface NabFile {
  readonly name: string;
  readonly series: Series;
  readonly windows: readonly Window[];
  /** The first scored time: the (snapped) timestamp of the file's first row after NAB's probationary period. */
  readonly scoredFrom: Date;
}

/** NAB's probationary share of a file's rows, and the row count at which it stops growing (0.15 × 5000 = 750 rows). */
export const NAB_PROBATION_SHARE = 0.15;
export const NAB_PROBATION_MAX_ROWS = NAB_PROBATION_SHARE * 5000;

/** NAB's probationary length for a file of `rows` rows (numenta/NAB nab/sweeper.py `_getProbationaryLength`). */
export function nabProbationRows(rows: number): number {
  return Math.min(Math.floor(NAB_PROBATION_SHARE * rows), NAB_PROBATION_MAX_ROWS);
}

export interface NabFileResult {
  readonly name: string;
  readonly score: EventScore;
  /** Why no model was fitted (then no flag was raised), when one was not. */
  readonly refused?: string;
}

export interface NabResult {
  readonly total: EventScore;
  readonly files: readonly NabFileResult[];
}

/** NAB writes "2014-02-14 14:30:00" (UTC, no zone). */
function parseNabTime(s: string): Date {
  const d = new Date(`${s.trim().replace(" ", "T").replace(/\.\d+$/, "")}Z`);
  if (Number.isNaN(d.getTime())) throw new Error(`NAB: cannot read timestamp ${JSON.stringify(s)}`);
  return d;
}

export function parseNabCsv(name: string, text: string): Series {
  return parseNab(name, text).series;
}

/** The series, and the first scored time: the snapped timestamp of the first row after NAB's probationary period. */
function parseNab(name: string, text: string): { series: Series; scoredFrom: Date } {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines[0]?.trim() !== "timestamp,value") throw new Error(`NAB ${name}: expected header "timestamp,value", got ${JSON.stringify(lines[0])}`);
  const raw = lines.slice(1).map((l, i) => {
    const [ts, v] = l.split(",");
    const value = Number(v);
    if (ts === undefined || v === undefined || !Number.isFinite(value)) throw new Error(`NAB ${name}: line ${i + 2} is not "timestamp,value": ${JSON.stringify(l)}`);
    return { t: parseNabTime(ts).getTime(), value };
  });
  raw.sort((a, b) => a.t - b.t);
  const gaps = raw.slice(1).map((p, i) => p.t - raw[i]!.t).filter((g) => g > 0).sort((a, b) => a - b);
  const step = gaps[Math.floor(gaps.length / 2)]!;
  const t0 = raw[0]!.t;
  const sums = new Map<number, { s: number; n: number }>();
  for (const p of raw) {
    const k = Math.round((p.t - t0) / step);
    const e = sums.get(k) ?? { s: 0, n: 0 };
    e.s += p.value;
    e.n += 1;
    sums.set(k, e);
  }
  const points: SeriesPoint[] = [...sums.keys()].sort((a, b) => a - b).map((k) => ({ ts: new Date(t0 + k * step), value: sums.get(k)!.s / sums.get(k)!.n }));
  // NAB counts the probation in the file's rows (before any snapping or averaging), in time order.
  const first = raw[Math.min(nabProbationRows(raw.length), raw.length - 1)]!;
  return { series: { tenantId: "nab", seriesId: name, stepMs: step, points }, scoredFrom: new Date(t0 + Math.round((first.t - t0) / step) * step) };
}

/** Every file listed in `windows.json` under `dir`, with its windows. */
export function loadNab(dir: string): NabFile[] {
  const windows = JSON.parse(readFileSync(join(dir, "windows.json"), "utf8")) as Record<string, [string, string][]>;
  return Object.keys(windows)
    .sort()
    .filter((name) => existsSync(join(dir, name)))
    .map((name) => ({
      name,
      ...parseNab(name, readFileSync(join(dir, name), "utf8")),
      windows: windows[name]!.map(([s, e]) => ({ start: parseNabTime(s), end: parseNabTime(e) })),
    }));
}

/**
 * Trains on each file's probationary part, detects on the rest, and scores the flags per file and in
 * total. `probation`: "nab" (default) NAB's rows (`NabFile.scoredFrom`); a number, that share of the
 * file's time (the rule before 2026-12-05, kept to compare).
 */
export function scoreOnNab(files: readonly NabFile[], fit: (train: Series) => AnomalyModel, probation: "nab" | number = "nab"): NabResult {
  const results = files.map((f): NabFileResult => {
    const pts = f.series.points;
    const t0 = pts[0]!.ts.getTime();
    const cut = probation === "nab" ? f.scoredFrom.getTime() : t0 + Math.ceil(((pts.at(-1)!.ts.getTime() - t0) / f.series.stepMs + 1) * probation) * f.series.stepMs;
    const k = pts.findIndex((p) => p.ts.getTime() >= cut);
    const { train, test } = timeHoldout(f.series, pts.length - k);
    let model: AnomalyModel;
    try {
      model = fit(train);
    } catch (e) {
      if (!(e instanceof SeriesError)) throw e;
      return { name: f.name, score: scoreEvents([], f.windows), refused: e.message };
    }
    const flags = model.detect(test).filter((r) => r.is_anomaly).map((r) => r.ts);
    return { name: f.name, score: scoreEvents(flags, f.windows) };
  });
  return { total: sumEventScores(results.map((r) => r.score)), files: results };
}

/** A NAB file's category: the folder it sits in (`realTweets/Twitter_volume_AAPL.csv` → `realTweets`). */
export function nabCategory(name: string): string {
  return name.split("/")[0]!;
}

export interface LocoFold {
  /** The held-out category. */
  readonly category: string;
  /** The setting chosen on the other categories (the one with the best F1 there). */
  readonly chosen: string;
  /** F1 of that setting on the other categories. */
  readonly trainF1: number;
  /** Its score on the held-out category: the honest figure. */
  readonly score: EventScore;
  /** The best F1 on the other categories by any setting, and which (differs from `chosen` when the default was kept within its standard error of it). */
  readonly best: { readonly name: string; readonly f1: number };
}

/**
 * How a fold chooses. "standardError" (default, since 2026-12-05's fifth pass): the first setting
 * (the defaults) is kept unless another beats its F1 on the other categories by more than the
 * standard error of that lead, a delete-one-file jackknife over the other categories' files (a
 * file is the unit that is independent: its windows and flags are not). The best of the settings
 * that clear it is chosen. A lead within its standard error is not evidence that a setting
 * transfers; under "best" AdExchange's fold left the defaults for "no CUSUM" on a lead of 0.0049
 * with a standard error of 0.0115 (7 windows fewer, 14 false flags fewer on the other categories)
 * and scored 0.485 there against the defaults' 0.552. "best": the best F1, however small its lead
 * (ties to the earlier setting), the rule before.
 */
export type LocoRule = "standardError" | "best";

/** The delete-one-file jackknife standard error of F1(b) − F1(a), micro-averaged over the same files (`a[i]`, `b[i]`: one file under each setting). */
export function jackknifeLeadSE(a: readonly EventScore[], b: readonly EventScore[]): number {
  const n = a.length;
  if (n !== b.length) throw new Error(`jackknifeLeadSE: ${n} files under one setting, ${b.length} under the other`);
  if (n < 2) return Infinity;
  const total = (xs: readonly EventScore[]) => xs.reduce((t, x) => ({ w: t.w + x.windows, d: t.d + x.detected, ff: t.ff + x.falseFlags }), { w: 0, d: 0, ff: 0 });
  // F1 = 2D / (W + D + FF): P = D / (D + FF), R = D / W; 1 with no windows and no flags, as fromCounts.
  const f1 = (w: number, d: number, ff: number) => (w + d + ff === 0 ? 1 : (2 * d) / (w + d + ff));
  const ta = total(a), tb = total(b);
  const leads = a.map((x, i) => f1(tb.w - b[i]!.windows, tb.d - b[i]!.detected, tb.ff - b[i]!.falseFlags) - f1(ta.w - x.windows, ta.d - x.detected, ta.ff - x.falseFlags));
  const m = leads.reduce((s, v) => s + v, 0) / n;
  return Math.sqrt(((n - 1) / n) * leads.reduce((s, v) => s + (v - m) ** 2, 0));
}

/**
 * Leave-one-category-out choice among settings already scored on every file: for each category,
 * a setting chosen on the other categories' micro-averaged F1 under `rule` (see LocoRule), scored
 * on the held-out one. `bySetting` maps a setting's name to a result on the same files, in the
 * same order; the first is the defaults.
 */
export function leaveOneCategoryOut(bySetting: ReadonlyMap<string, NabResult>, rule: LocoRule = "standardError"): { folds: LocoFold[]; total: EventScore } {
  const names = [...bySetting.keys()];
  if (names.length === 0) throw new Error("leaveOneCategoryOut: no setting");
  const files = bySetting.get(names[0]!)!.files.map((f) => f.name);
  const categories = [...new Set(files.map(nabCategory))];
  const folds = categories.map((category): LocoFold => {
    const others = (name: string) => bySetting.get(name)!.files.filter((f) => nabCategory(f.name) !== category).map((f) => f.score);
    const def = others(names[0]!);
    const defF1 = sumEventScores(def).f1;
    let best: { name: string; f1: number } | null = null;
    let chosen: { name: string; f1: number } = { name: names[0]!, f1: defF1 };
    for (const name of names) {
      const scores = others(name);
      const f1 = sumEventScores(scores).f1;
      if (!best || f1 > best.f1 + 1e-12) best = { name, f1 };
      const clears = rule === "best" || f1 - defF1 > jackknifeLeadSE(def, scores) + 1e-12;
      if (f1 > chosen.f1 + 1e-12 && clears) chosen = { name, f1 };
    }
    const held = sumEventScores(bySetting.get(chosen.name)!.files.filter((f) => nabCategory(f.name) === category).map((f) => f.score));
    return { category, chosen: chosen.name, trainF1: chosen.f1, score: held, best: best! };
  });
  return { folds, total: sumEventScores(folds.map((f) => f.score)) };
}
