/**
 * Drift (issue 5, section 6): the Population Stability Index per feature between the champion's
 * training window and recent data. Bins are the deciles of the training values (so each holds
 * ~10 % of them); PSI = Σ (actual% − expected%) · ln(actual% / expected%), with empty bins given
 * a small share so the log stays finite. Rule of thumb (Siddiqi, "Credit Risk Scorecards"):
 * < 0.1 stable, 0.1–0.25 moderate shift, > 0.25 major shift. The default threshold is 0.2.
 */
import type { ModelKind, ModelRecord } from "./contract.ts";
import type { Warehouse } from "../pipelines/warehouse/warehouse.ts";
import { HOUR_MS, hourlySeries, type HourlyFeature, type Window } from "./features.ts";

export const DEFAULT_PSI_THRESHOLD = 0.2;
const EMPTY_SHARE = 1e-4;

/** Which features each model's drift is judged on. */
export const DRIFT_FEATURES: Readonly<Record<ModelKind, readonly HourlyFeature[]>> = {
  forecast: ["kwh"],
  anomaly: ["utilization"],
  segments: ["utilization", "oee", "spindle_load"],
};

/** Inner bin edges: the distinct deciles of `expected`. */
export function binEdges(expected: readonly number[], bins = 10): number[] {
  const s = [...expected].sort((a, b) => a - b);
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const q = s[Math.min(s.length - 1, Math.floor((i * s.length) / bins))]!;
    if (edges.length === 0 || q > edges.at(-1)!) edges.push(q);
  }
  return edges;
}

function shares(values: readonly number[], edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const v of values) {
    let k = 0;
    while (k < edges.length && v >= edges[k]!) k++;
    counts[k]!++;
  }
  return counts.map((c) => Math.max(c / values.length, EMPTY_SHARE));
}

/** PSI of `actual` against `expected` (finite values only; NaN hours are ignored). */
export function psi(expected: readonly number[], actual: readonly number[], bins = 10): number {
  const e = expected.filter(Number.isFinite);
  const a = actual.filter(Number.isFinite);
  if (e.length === 0) throw new Error("psi: the training window has no values");
  if (a.length === 0) throw new Error("psi: the recent window has no values");
  const edges = binEdges(e, bins);
  const pe = shares(e, edges);
  const pa = shares(a, edges);
  let s = 0;
  for (let i = 0; i < pe.length; i++) s += (pa[i]! - pe[i]!) * Math.log(pa[i]! / pe[i]!);
  return s;
}

export interface FeatureDrift {
  readonly feature: HourlyFeature;
  readonly psi: number;
  readonly trainingValues: number;
  readonly recentValues: number;
  readonly drifted: boolean;
}

export interface DriftReport {
  readonly tenantId: string;
  readonly model: ModelKind;
  readonly championVersion: number | null;
  readonly trainingWindow: Window | null;
  readonly recentWindow: Window;
  readonly threshold: number;
  readonly features: readonly FeatureDrift[];
  /** retrain: some feature is past the threshold; no-champion: nothing to compare with. */
  readonly recommendation: "retrain" | "stable" | "no-champion" | "no-recent-data";
}

async function values(wh: Warehouse, tenantId: string, feature: HourlyFeature, w: Window): Promise<number[]> {
  return (await hourlySeries(wh, tenantId, feature, w)).flatMap((s) => s.points.map((p) => p.value)).filter(Number.isFinite);
}

export async function driftReport(
  wh: Warehouse,
  champion: ModelRecord | null,
  opts: { tenantId: string; model: ModelKind; recent: Window; threshold?: number },
): Promise<DriftReport> {
  const threshold = opts.threshold ?? DEFAULT_PSI_THRESHOLD;
  if (!(threshold > 0)) throw new Error(`drift threshold ${threshold} must be positive`);
  const base = { tenantId: opts.tenantId, model: opts.model, recentWindow: opts.recent, threshold };
  if (!champion) return { ...base, championVersion: null, trainingWindow: null, features: [], recommendation: "no-champion" };
  // The record's window names its first and last training hour; the query window is half-open.
  const training: Window = { from: new Date(champion.trainingWindow.from), to: new Date(Date.parse(champion.trainingWindow.to) + HOUR_MS) };
  const features: FeatureDrift[] = [];
  for (const f of DRIFT_FEATURES[opts.model]) {
    const e = await values(wh, opts.tenantId, f, training);
    const a = await values(wh, opts.tenantId, f, opts.recent);
    if (e.length === 0 || a.length === 0) continue;
    const p = psi(e, a);
    features.push({ feature: f, psi: p, trainingValues: e.length, recentValues: a.length, drifted: p > threshold });
  }
  const recommendation = features.length === 0 ? "no-recent-data" : features.some((f) => f.drifted) ? "retrain" : "stable";
  return { ...base, championVersion: champion.version, trainingWindow: training, features, recommendation };
}
