/**
 * statsmodels' Holt-Winters as a reference on the demand panel (issue 24, part 2), measured in the
 * same run as our forecaster: the panel goes to a temporary JSON file, `bench/statsmodels_hw.py`
 * fits statsmodels' ExponentialSmoothing on it with the same origins and prints its forecasts and
 * its own fit and forecast times (process start-up and imports excluded), and this module checks
 * what comes back before a figure is computed from it.
 *
 * Optional by design: CI and most machines here have no Python with statsmodels (PyPI is not
 * reachable; Debian's `python3-statsmodels` 0.13.5 installs with apt-get). Without it the bench
 * reports everything else and says so in one line.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Series } from "../ml/contract.ts";

/**
 * Debian's interpreter, where apt puts statsmodels; the pyenv `python3` first on PATH here has no
 * statsmodels. `STATSMODELS_PYTHON` names another interpreter.
 */
export const STATSMODELS_PYTHON = process.env.STATSMODELS_PYTHON ?? "/usr/bin/python3";
const SCRIPT = fileURLToPath(new URL("./statsmodels_hw.py", import.meta.url));
/** statsmodels' variants, as the script names them (its VARIANTS). */
export const STATSMODELS_VARIANTS = ["additive", "log1p"] as const;
export type StatsmodelsVariant = (typeof STATSMODELS_VARIANTS)[number];

/** The refit-and-forecast protocol both sides follow (bench/ml.bench.ts, demandFigures). */
export interface PanelProtocol {
  /** Season length in steps (168: a week of hours). */
  readonly season: number;
  /** Steps forecast from each daily origin. */
  readonly horizon: number;
  /** Steps between daily origins. */
  readonly dayStep: number;
  /** Steps between refits. */
  readonly weekSteps: number;
  /** Refits, counted back from the end of each series. */
  readonly weeks: number;
}

export interface StatsmodelsSeriesResult {
  readonly id: string;
  /** weeks × (weekSteps / dayStep) × horizon forecasts, origin by origin. */
  readonly forecasts: readonly number[];
  /** CPU seconds of the process (time.process_time) in the refits, and in the daily forecasts. */
  readonly fitCpuSeconds: number;
  readonly forecastCpuSeconds: number;
  /** Wall seconds (time.perf_counter) of the same. */
  readonly fitWallSeconds: number;
  readonly forecastWallSeconds: number;
}

export interface StatsmodelsResult {
  readonly version: string;
  readonly variants: Record<StatsmodelsVariant, readonly StatsmodelsSeriesResult[]>;
}

/** Whether the interpreter imports statsmodels: its version, or why not (one line). */
export function statsmodelsVersion(python = STATSMODELS_PYTHON): { ok: true; version: string } | { ok: false; reason: string } {
  const r = spawnSync(python, ["-c", "import statsmodels; print(statsmodels.__version__)"], { encoding: "utf8", timeout: 60_000 });
  if (r.error) return { ok: false, reason: `${python}: ${r.error.message}` };
  if (r.status !== 0) return { ok: false, reason: `${python} cannot import statsmodels (${lastLine(r.stderr)})` };
  return { ok: true, version: r.stdout.trim() };
}

/** The script's input: the protocol and each series' values, which must all be finite (JSON has no NaN). */
export function panelInput(series: readonly Series[], protocol: PanelProtocol): string {
  for (const [k, v] of Object.entries(protocol)) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`panelInput: protocol.${k} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  if (protocol.weekSteps % protocol.dayStep !== 0) throw new Error(`panelInput: protocol.weekSteps ${protocol.weekSteps} is not a whole number of dayStep ${protocol.dayStep}`);
  const ids = new Set<string>();
  const out = series.map((s) => {
    if (ids.has(s.seriesId)) throw new Error(`panelInput: series id ${JSON.stringify(s.seriesId)} appears twice`);
    ids.add(s.seriesId);
    const values = s.points.map((p, i) => {
      if (!Number.isFinite(p.value)) throw new Error(`panelInput: series ${JSON.stringify(s.seriesId)} point ${i} (${p.ts.toISOString()}) has value ${p.value}; statsmodels' reference needs every value`);
      return p.value;
    });
    // Two full seasons before the first refit: a weekly season from more than one cycle on both
    // sides (statsmodels' heuristic start alone wants 10 + 2 · (season // 2) points).
    const need = protocol.weeks * protocol.weekSteps + 2 * protocol.season;
    if (values.length < need) throw new Error(`panelInput: series ${JSON.stringify(s.seriesId)} has ${values.length} points; the protocol needs at least ${need}`);
    return { id: s.seriesId, values };
  });
  return JSON.stringify({ ...protocol, series: out });
}

/** Checks the script's output against what was asked: every variant, every series in order, every forecast finite. */
export function parseStatsmodelsOutput(text: string, ids: readonly string[], protocol: PanelProtocol): StatsmodelsResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`statsmodels reference: output is not JSON (${(e as Error).message}); it starts ${JSON.stringify(text.slice(0, 80))}`);
  }
  const obj = (v: unknown, what: string): Record<string, unknown> => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error(`statsmodels reference: ${what} must be an object, got ${short(v)}`);
    return v as Record<string, unknown>;
  };
  const seconds = (v: unknown, what: string): number => {
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new Error(`statsmodels reference: ${what} must be a non-negative number of seconds, got ${short(v)}`);
    return v;
  };
  const top = obj(raw, "the output");
  if (typeof top.statsmodels !== "string") throw new Error(`statsmodels reference: "statsmodels" (its version) must be a string, got ${short(top.statsmodels)}`);
  const variants = obj(top.variants, `"variants"`);
  const perSeries = protocol.weeks * (protocol.weekSteps / protocol.dayStep) * protocol.horizon;
  const parsed = {} as Record<StatsmodelsVariant, StatsmodelsSeriesResult[]>;
  for (const name of STATSMODELS_VARIANTS) {
    const rows = obj(variants[name], `variants.${name}`).series;
    if (!Array.isArray(rows) || rows.length !== ids.length) throw new Error(`statsmodels reference: variants.${name}.series must list ${ids.length} series, got ${short(rows)}`);
    parsed[name] = rows.map((r, i) => {
      const row = obj(r, `variants.${name}.series[${i}]`);
      if (row.id !== ids[i]) throw new Error(`statsmodels reference: variants.${name}.series[${i}].id is ${short(row.id)}, expected ${JSON.stringify(ids[i])}`);
      const f = row.forecasts;
      if (!Array.isArray(f) || f.length !== perSeries) throw new Error(`statsmodels reference: variants.${name}.series[${i}].forecasts must hold ${perSeries} numbers, got ${Array.isArray(f) ? `${f.length}` : short(f)}`);
      const bad = f.findIndex((x) => typeof x !== "number" || !Number.isFinite(x));
      if (bad >= 0) throw new Error(`statsmodels reference: variants.${name}.series[${i}] (${ids[i]}) forecast ${bad} is ${short(f[bad])}`);
      return {
        id: ids[i]!, forecasts: f as number[],
        fitCpuSeconds: seconds(row.fitCpuSeconds, `variants.${name}.series[${i}].fitCpuSeconds`),
        forecastCpuSeconds: seconds(row.forecastCpuSeconds, `variants.${name}.series[${i}].forecastCpuSeconds`),
        fitWallSeconds: seconds(row.fitWallSeconds, `variants.${name}.series[${i}].fitWallSeconds`),
        forecastWallSeconds: seconds(row.forecastWallSeconds, `variants.${name}.series[${i}].forecastWallSeconds`),
      };
    });
  }
  return { version: top.statsmodels, variants: parsed };
}

/** Runs the script on the series (blocking: the bench has nothing else to do meanwhile). */
export function runStatsmodels(series: readonly Series[], protocol: PanelProtocol, python = STATSMODELS_PYTHON): StatsmodelsResult {
  const dir = mkdtempSync(join(tmpdir(), "hub-bench-statsmodels-"));
  try {
    const input = join(dir, "panel.json");
    writeFileSync(input, panelInput(series, protocol));
    // 24 series × 2 variants × 672 forecasts is ~1 MB of JSON: above spawnSync's default buffer.
    // One BLAS thread: our fit runs on one core, and a BLAS pool's spinning threads would count in
    // statsmodels' process CPU time.
    const env = { ...process.env, OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1" };
    const r = spawnSync(python, [SCRIPT, input], { encoding: "utf8", env, maxBuffer: 256 * 1024 * 1024, timeout: 3_600_000 });
    if (r.error) throw new Error(`statsmodels reference: ${python} ${SCRIPT} failed: ${r.error.message}`);
    if (r.status !== 0) throw new Error(`statsmodels reference: ${python} ${SCRIPT} exited ${r.status ?? r.signal}: ${lastLine(r.stderr)}`);
    return parseStatsmodelsOutput(r.stdout, series.map((s) => s.seriesId), protocol);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function lastLine(text: string): string {
  return text.trim().split("\n").at(-1) ?? "";
}

function short(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
