/**
 * Scores an anomaly detector on labelled NAB series (Numenta Anomaly Benchmark, MIT licence) with the
 * event-level rule of data/nab-dev/README.md. Each file: the first `probation` share (NAB's 15 %
 * probationary period) trains the detector, the rest is scored; flags count against every labelled
 * window of the file, including any inside the probationary part (which therefore cannot be detected).
 *
 * NAB timestamps are snapped to the file's step (the median spacing) from its first timestamp;
 * points that land on the same step are averaged and missing steps become holes (NaN), which the
 * detector interpolates when short (ml/series.ts) and skips when scoring.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { AnomalyModel, Series, SeriesPoint } from "../contract.ts";
import { scoreEvents, sumEventScores, type EventScore, type Window } from "./eventScore.ts";
import { timeHoldout } from "./holdout.ts";

export interface NabFile {
  readonly name: string;
  readonly series: Series;
  readonly windows: readonly Window[];
}

export interface NabResult {
  readonly total: EventScore;
  readonly files: ReadonlyArray<{ readonly name: string; readonly score: EventScore }>;
}

/** NAB writes "2014-02-14 14:30:00" (UTC, no zone). */
function parseNabTime(s: string): Date {
  const d = new Date(`${s.trim().replace(" ", "T").replace(/\.\d+$/, "")}Z`);
  if (Number.isNaN(d.getTime())) throw new Error(`NAB: cannot read timestamp ${JSON.stringify(s)}`);
  return d;
}

export function parseNabCsv(name: string, text: string): Series {
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
  const last = Math.max(...sums.keys());
  const points: SeriesPoint[] = [];
  for (let k = 0; k <= last; k++) {
    const e = sums.get(k);
    points.push({ ts: new Date(t0 + k * step), value: e ? e.s / e.n : NaN });
  }
  return { tenantId: "nab", seriesId: name, stepMs: step, points };
}

/** Every file listed in `windows.json` under `dir`, with its windows. */
export function loadNab(dir: string): NabFile[] {
  const windows = JSON.parse(readFileSync(join(dir, "windows.json"), "utf8")) as Record<string, [string, string][]>;
  return Object.keys(windows)
    .sort()
    .filter((name) => existsSync(join(dir, name)))
    .map((name) => ({
      name,
      series: parseNabCsv(name, readFileSync(join(dir, name), "utf8")),
      windows: windows[name]!.map(([s, e]) => ({ start: parseNabTime(s), end: parseNabTime(e) })),
    }));
}

/** Trains on each file's probationary part, detects on the rest, and scores the flags per file and in total. */
export function scoreOnNab(files: readonly NabFile[], fit: (train: Series) => AnomalyModel, probation = 0.15): NabResult {
  const results = files.map((f) => {
    const n = f.series.points.length;
    const { train, test } = timeHoldout(f.series, n - Math.ceil(n * probation));
    const flags = fit(train).detect(test).filter((r) => r.is_anomaly).map((r) => r.ts);
    return { name: f.name, score: scoreEvents(flags, f.windows) };
  });
  return { total: sumEventScores(results.map((r) => r.score)), files: results };
}
