/**
 * The champion/challenger gate (issue 5, section 3): a challenger is Approved only if it beats the
 * naive baseline AND beats the champion by a configured margin, on the same held-back data. The
 * reason is recorded either way. A challenger whose metric is missing or not finite is not a
 * decision at all: it is never registered (section 7).
 *
 * At the edges (issue 26), "beats" means beats (ARCHITECTURE.md, "ML contract"):
 * - a tie is not a win: two figures within TIE_TOLERANCE of each other are equal, so a challenger
 *   that only matches the baseline or the champion (the baseline's own forecast scored along
 *   another path, sums in another order) is Rejected, while the margin's bound itself ("at most
 *   98 %") is met by a figure equal to it;
 * - a champion without the gate's metric (recorded under another rule, or approved by a person
 *   with no test metric) cannot be shown to be beaten, and replacing it unproven would break the
 *   contract, while rejecting every challenger would keep it forever: a challenger that beats the
 *   baseline waits for a person (PendingManualApproval), with the reason.
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

/**
 * Relative distance under which two figures are a tie (with an absolute floor of the same size for
 * figures near zero): far below any difference a held-back set can show, far above the last-bit
 * differences of one figure computed twice.
 */
export const TIE_TOLERANCE = 1e-9;

/** True when `a` and `b` are the same figure up to TIE_TOLERANCE. */
export function ties(a: number, b: number): boolean {
  return Math.abs(a - b) <= TIE_TOLERANCE * Math.max(1, Math.abs(a), Math.abs(b));
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(1) : Number(v.toPrecision(4)).toString());

export function decide(input: GateInput): GateDecision {
  const { rule, challenger, baseline, champion } = input;
  checkRule(rule);
  const bad = unusableMetrics(challenger, rule);
  if (bad) throw new Error(`the challenger cannot be judged: ${bad}`);
  const c = challenger[rule.metric]!;
  // Strictly better, a tie not counting: the contract's "beats".
  const beats = (a: number, b: number) => !ties(a, b) && (rule.higherIsBetter ? a > b : a < b);
  const parts: string[] = [];
  let ok = true;
  let pending = false;

  const b = baseline[rule.metric];
  if (b === undefined || !Number.isFinite(b)) {
    ok = false;
    parts.push(`no baseline ${rule.metric} to compare with`);
  } else if (beats(c, b)) {
    parts.push(`${rule.metric} ${fmt(c)} beats the baseline's ${fmt(b)}`);
  } else {
    ok = false;
    parts.push(`${rule.metric} ${fmt(c)} ${ties(c, b) ? "ties" : "does not beat"} the baseline's ${fmt(b)}`);
  }

  if (!champion) {
    parts.push("no champion yet");
  } else {
    const h = champion.metrics[rule.metric];
    const where = champion.rescored ? "on the same held-back data" : "as recorded (not re-scored)";
    if (h === undefined || !Number.isFinite(h)) {
      pending = true;
      parts.push(
        `champion v${champion.record.version} has no ${rule.metric} ${where}${h === undefined ? "" : ` (${h})`}: ` +
          "the gate cannot tell whether the challenger beats it, so a person decides",
      );
    } else {
      const needed = rule.higherIsBetter ? h * (1 + rule.margin) : h * (1 - rule.margin);
      // The margin's bound is inclusive ("at most 98 %"), up to a tie; the champion itself must be beaten.
      const pastMargin = ties(c, needed) || (rule.higherIsBetter ? c > needed : c < needed);
      if (pastMargin && beats(c, h)) parts.push(`beats champion v${champion.record.version}'s ${fmt(h)} ${where} by the ${rule.margin * 100} % margin`);
      else {
        ok = false;
        parts.push(`does not beat champion v${champion.record.version}'s ${fmt(h)} ${where} by the ${rule.margin * 100} % margin (needs ${rule.higherIsBetter ? "≥" : "≤"} ${fmt(needed)})`);
      }
    }
  }
  return { status: !ok ? "Rejected" : pending ? "PendingManualApproval" : "Approved", reason: parts.join("; ") };
}
