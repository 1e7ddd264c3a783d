/**
 * The champion/challenger gate (issue 5, section 3): a challenger is Approved only if it beats the
 * naive baseline AND beats the champion by a configured margin, on the same held-back data. The
 * reason is recorded either way. A challenger whose metric is missing or not finite is not a
 * decision at all: it is never registered (section 7).
 */
import type { ApprovalStatus, Metrics, ModelRecord } from "./contract.ts";

export interface GateRule {
  /** The metric that decides, e.g. `mase` (forecasts), `f1` (anomalies), `silhouette` (segments). */
  readonly metric: string;
  readonly higherIsBetter: boolean;
  /**
   * Relative improvement over the champion required, e.g. 0.02: a lower-is-better error must be
   * at most 98 % of the champion's; a higher-is-better score at least 102 %.
   */
  readonly margin: number;
}

export interface GateInput {
  readonly challenger: Metrics;
  readonly baseline: Metrics;
  /** The champion's figure on the challenger's held-back data, or its record when it cannot be re-scored. */
  readonly champion: { readonly record: ModelRecord; readonly metrics: Metrics; readonly rescored: boolean } | null;
  readonly rule: GateRule;
}

export interface GateDecision {
  readonly status: ApprovalStatus;
  readonly reason: string;
}

export function checkRule(rule: GateRule): void {
  if (!rule.metric) throw new Error("gate rule: metric is empty");
  if (!(rule.margin >= 0 && rule.margin < 1)) throw new Error(`gate rule: margin ${rule.margin} must be in [0, 1)`);
}

/** Why these metrics cannot be judged (missing or non-finite), or null when they can. */
export function unusableMetrics(m: Metrics, rule: GateRule): string | null {
  for (const [k, v] of Object.entries(m)) if (!Number.isFinite(v)) return `metric ${k} is ${v}`;
  if (!(rule.metric in m)) return `metric ${rule.metric} is missing (has ${Object.keys(m).join(", ") || "none"})`;
  return null;
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(1) : Number(v.toPrecision(4)).toString());

export function decide(input: GateInput): GateDecision {
  const { rule, challenger, baseline, champion } = input;
  checkRule(rule);
  const bad = unusableMetrics(challenger, rule);
  if (bad) throw new Error(`the challenger cannot be judged: ${bad}`);
  const c = challenger[rule.metric]!;
  const better = (a: number, b: number) => (rule.higherIsBetter ? a > b : a < b);
  const parts: string[] = [];
  let ok = true;

  const b = baseline[rule.metric];
  if (b === undefined || !Number.isFinite(b)) {
    ok = false;
    parts.push(`no baseline ${rule.metric} to compare with`);
  } else if (better(c, b)) {
    parts.push(`${rule.metric} ${fmt(c)} beats the baseline's ${fmt(b)}`);
  } else {
    ok = false;
    parts.push(`${rule.metric} ${fmt(c)} does not beat the baseline's ${fmt(b)}`);
  }

  if (!champion) {
    parts.push("no champion yet");
  } else {
    const h = champion.metrics[rule.metric];
    const where = champion.rescored ? "on the same held-back data" : "as recorded (not re-scored)";
    if (h === undefined || !Number.isFinite(h)) {
      parts.push(`champion v${champion.record.version} has no ${rule.metric}`);
    } else {
      const needed = rule.higherIsBetter ? h * (1 + rule.margin) : h * (1 - rule.margin);
      const wins = rule.higherIsBetter ? c >= needed && c > h : c <= needed && c < h;
      if (wins) parts.push(`beats champion v${champion.record.version}'s ${fmt(h)} ${where} by the ${rule.margin * 100} % margin`);
      else {
        ok = false;
        parts.push(`does not beat champion v${champion.record.version}'s ${fmt(h)} ${where} by the ${rule.margin * 100} % margin (needs ${rule.higherIsBetter ? "≥" : "≤"} ${fmt(needed)})`);
      }
    }
  }
  return { status: ok ? "Approved" : "Rejected", reason: parts.join("; ") };
}
