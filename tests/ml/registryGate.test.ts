/** The champion/challenger gate: approve only past both the baseline and the champion's margin; always say why. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { checkRule, decide, ties, unusableMetrics, type GateRule } from "../../ml/gate.ts";
import { prng } from "../../edge/fleetRandom.ts";
import type { ModelRecord } from "../../ml/contract.ts";

const rule: GateRule = { metric: "mase", higherIsBetter: false, margin: 0.05 };
const champ = (mase: number): ModelRecord => ({
  tenantId: "acme", model: "forecast", version: 4, algorithm: "x", parameters: {}, trainingWindow: { from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z" },
  rowCount: 1, dataHash: "0".repeat(64), codeVersion: "c", metrics: { mase }, baselineMetrics: { mase: 1 }, approvalStatus: "Approved", reason: "r", createdAt: "2026-01-02T00:00:00Z",
});

describe("champion/challenger gate", () => {
  it("approves the first model that beats the baseline", () => {
    const d = decide({ challenger: { mase: 0.8 }, baseline: { mase: 0.9 }, champion: null, rule });
    assert.equal(d.status, "Approved");
    assert.equal(d.reason, "mase 0.8 beats the baseline's 0.9; no champion yet");
  });

  it("rejects a model that does not beat the naive baseline, even with no champion", () => {
    const d = decide({ challenger: { mase: 0.95 }, baseline: { mase: 0.9 }, champion: null, rule });
    assert.equal(d.status, "Rejected");
    assert.match(d.reason, /does not beat the baseline's 0\.9/);
  });

  it("rejects a challenger better than the champion but not by the margin, and names the figure it needed", () => {
    const c = champ(0.8);
    const d = decide({ challenger: { mase: 0.78 }, baseline: { mase: 0.9 }, champion: { record: c, metrics: { mase: 0.8 }, rescored: true }, rule });
    assert.equal(d.status, "Rejected");
    assert.match(d.reason, /does not beat champion v4's 0\.8 on the same held-back data by the 5 % margin \(needs ≤ 0\.76\)/);
  });

  it("approves a challenger past the margin; a higher-is-better metric uses the margin upwards", () => {
    const c = champ(0.8);
    assert.equal(decide({ challenger: { mase: 0.75 }, baseline: { mase: 0.9 }, champion: { record: c, metrics: { mase: 0.8 }, rescored: true }, rule }).status, "Approved");
    const up: GateRule = { metric: "silhouette", higherIsBetter: true, margin: 0.1 };
    const s = (v: number) => ({ record: c, metrics: { silhouette: v }, rescored: false });
    assert.equal(decide({ challenger: { silhouette: 0.54 }, baseline: { silhouette: 0 }, champion: s(0.5), rule: up }).status, "Rejected");
    const ok = decide({ challenger: { silhouette: 0.56 }, baseline: { silhouette: 0 }, champion: s(0.5), rule: up });
    assert.equal(ok.status, "Approved");
    assert.match(ok.reason, /as recorded \(not re-scored\)/);
  });

  it("refuses to judge NaN or missing metrics (such a model is never registered)", () => {
    assert.equal(unusableMetrics({ mase: Number.NaN }, rule), "metric mase is NaN");
    assert.equal(unusableMetrics({ smape: 0.1 }, rule), "metric mase is missing (has smape)");
    assert.throws(() => decide({ challenger: { mase: Number.NaN }, baseline: { mase: 1 }, champion: null, rule }), /cannot be judged: metric mase is NaN/);
  });
});

describe("champion/challenger gate at its edges", () => {
  const c = champ(0.8);
  const rescored = (metrics: Record<string, number>) => ({ record: c, metrics, rescored: true });

  it("rejects a challenger that ties the naive baseline, exactly or up to the last bits of its arithmetic", () => {
    const exact = decide({ challenger: { mase: 0.9 }, baseline: { mase: 0.9 }, champion: null, rule });
    assert.equal(exact.status, "Rejected");
    assert.equal(exact.reason, "mase 0.9 ties the baseline's 0.9; no champion yet");
    // 0.3 and 0.1 + 0.2 (= 0.30000000000000004) are one figure computed along two paths.
    const bits = decide({ challenger: { mase: 0.3 }, baseline: { mase: 0.1 + 0.2 }, champion: null, rule });
    assert.equal(bits.status, "Rejected", bits.reason);
    assert.equal(bits.reason, "mase 0.3 ties the baseline's 0.3; no champion yet");
    const up: GateRule = { metric: "f1", higherIsBetter: true, margin: 0 };
    assert.equal(decide({ challenger: { f1: 0.1 * 3 }, baseline: { f1: 0.3 }, champion: null, rule: up }).status, "Rejected");
    // Beating it by a real difference still counts.
    assert.equal(decide({ challenger: { mase: 0.299 }, baseline: { mase: 0.3 }, champion: null, rule }).status, "Approved");
  });

  it("rejects a challenger that only ties the champion when no margin is asked", () => {
    const none: GateRule = { ...rule, margin: 0 };
    const d = decide({ challenger: { mase: 0.1 + 0.7 }, baseline: { mase: 0.9 }, champion: rescored({ mase: 0.8 }), rule: none });
    assert.equal(d.status, "Rejected", d.reason);
    assert.match(d.reason, /does not beat champion v4's 0\.8 on the same held-back data by the 0 % margin/);
  });

  it("approves a challenger exactly at the margin's bound: at least 110 % of the champion is met by 110 %", () => {
    // 0.9 × 1.1 is 0.9900000000000001 in binary arithmetic; the rule says 0.99 is enough.
    const up: GateRule = { metric: "silhouette", higherIsBetter: true, margin: 0.1 };
    const d = decide({ challenger: { silhouette: 0.99 }, baseline: { silhouette: 0 }, champion: { record: c, metrics: { silhouette: 0.9 }, rescored: false }, rule: up });
    assert.equal(d.status, "Approved", d.reason);
    // Lower-is-better: at most 95 % of 0.7 is 0.665 (0.6649999999999999 in binary arithmetic).
    const down = decide({ challenger: { mase: 0.665 }, baseline: { mase: 1 }, champion: rescored({ mase: 0.7 }), rule });
    assert.equal(down.status, "Approved", down.reason);
    assert.equal(decide({ challenger: { mase: 0.666 }, baseline: { mase: 1 }, champion: rescored({ mase: 0.7 }), rule }).status, "Rejected");
  });

  it("leaves a challenger that beats the baseline to a person when the champion has no figure for the metric", () => {
    const d = decide({ challenger: { mase: 0.7 }, baseline: { mase: 0.9 }, champion: { record: c, metrics: { smape: 0.2 }, rescored: false }, rule });
    assert.equal(d.status, "PendingManualApproval");
    assert.equal(
      d.reason,
      "mase 0.7 beats the baseline's 0.9; champion v4 has no mase as recorded (not re-scored): the gate cannot tell whether the challenger beats it, so a person decides",
    );
    const nan = decide({ challenger: { mase: 0.7 }, baseline: { mase: 0.9 }, champion: rescored({ mase: Number.NaN }), rule });
    assert.equal(nan.status, "PendingManualApproval");
    assert.match(nan.reason, /champion v4 has no mase on the same held-back data \(NaN\)/);
    // The baseline still decides first: a challenger that does not beat it is rejected outright.
    assert.equal(decide({ challenger: { mase: 0.95 }, baseline: { mase: 0.9 }, champion: { record: c, metrics: {}, rescored: false }, rule }).status, "Rejected");
  });

  it("never approves both of two models against each other, nor one that does not strictly beat the baseline (random metrics)", () => {
    // Properties of "beats", whatever the implementation: an approval means strictly better than the
    // baseline and the champion; and if A replaces B, B cannot replace A on the same figures.
    const rnd = prng(26);
    const pick = (): number => {
      const base = [0, 0.1, 0.3, 0.5, 0.7, 0.77, 0.8, 0.9, 1, 2.5][Math.floor(rnd() * 10)]!;
      const nudge = [0, 0, 1e-15, -1e-15, 1e-12, 1e-3, -1e-3][Math.floor(rnd() * 7)]!;
      return base + nudge;
    };
    for (let i = 0; i < 5000; i++) {
      const higherIsBetter = rnd() < 0.5;
      const r: GateRule = { metric: "m", higherIsBetter, margin: [0, 0.02, 0.1][Math.floor(rnd() * 3)]! };
      const a = pick();
      const b = pick();
      const base = pick();
      const better = (x: number, y: number) => (higherIsBetter ? x - y : y - x) > 1e-9 * Math.max(1, Math.abs(x), Math.abs(y));
      const ab = decide({ challenger: { m: a }, baseline: { m: base }, champion: { record: c, metrics: { m: b }, rescored: true }, rule: r });
      const ba = decide({ challenger: { m: b }, baseline: { m: base }, champion: { record: c, metrics: { m: a }, rescored: true }, rule: r });
      const label = JSON.stringify({ a, b, base, r });
      assert.ok(!(ab.status === "Approved" && ba.status === "Approved"), label);
      if (ab.status === "Approved") assert.ok(better(a, base) && better(a, b), label);
      const first = decide({ challenger: { m: a }, baseline: { m: base }, champion: null, rule: r });
      assert.equal(first.status === "Approved", better(a, base), label);
    }
  });
});

/**
 * What mutation testing (docs/mutation.md) found no test for: the rule's own checks, the tie's
 * exact tolerance, the baseline without the metric, and the words of the reasons.
 */
describe("champion/challenger gate: the rule, the tolerance and the reasons", () => {
  it("refuses a rule without a metric, or with a margin outside [0, 1), naming it", () => {
    assert.throws(() => checkRule({ metric: "", higherIsBetter: false, margin: 0 }), /^Error: gate rule: metric is empty$/);
    for (const margin of [-0.01, 1, 1.5, Number.NaN]) {
      assert.throws(() => checkRule({ metric: "mase", higherIsBetter: false, margin }), new RegExp(`^Error: gate rule: margin ${margin} must be in \\[0, 1\\)$`), String(margin));
    }
    for (const margin of [0, 0.5, 0.999]) assert.doesNotThrow(() => checkRule({ metric: "mase", higherIsBetter: false, margin }));
    assert.throws(() => decide({ challenger: { mase: 0.5 }, baseline: { mase: 1 }, champion: null, rule: { ...rule, margin: 1 } }), /margin 1 must be/);
  });

  it("ties within 1e-9 of the larger figure (an absolute 1e-9 near zero), inclusive; not beyond", () => {
    assert.equal(ties(0, 1e-9), true, "the bound itself is a tie");
    assert.equal(ties(0, 2e-9), false);
    assert.equal(ties(1e12, 1e12 + 900), true, "relative to the figures' size: 900 in 1e12 is 9e-10");
    assert.equal(ties(1e12, 1e12 + 1100), false);
    assert.equal(ties(-5, -5), true);
  });

  it("rejects when the baseline has no figure for the metric, or a figure that is not finite", () => {
    for (const baseline of [{}, { mase: Number.NaN }, { mase: Number.POSITIVE_INFINITY }] as Record<string, number>[]) {
      const d = decide({ challenger: { mase: 0.5 }, baseline, champion: null, rule });
      assert.deepEqual(d, { status: "Rejected", reason: "no baseline mase to compare with; no champion yet" }, JSON.stringify(baseline));
    }
  });

  it("names what a metrics set has when the rule's metric is missing, or that it has none", () => {
    assert.equal(unusableMetrics({ smape: 0.1, mae: 2 }, rule), "metric mase is missing (has smape, mae)");
    assert.equal(unusableMetrics({}, rule), "metric mase is missing (has none)");
  });

  it("writes figures of 100 and more with one decimal, the margin in percent, and which way the bound goes", () => {
    const d = decide({ challenger: { mae: 100 }, baseline: { mae: 250.25 }, champion: null, rule: { metric: "mae", higherIsBetter: false, margin: 0 } });
    assert.equal(d.reason, "mae 100.0 beats the baseline's 250.3; no champion yet");
    const c = champ(0.8);
    const up: GateRule = { metric: "silhouette", higherIsBetter: true, margin: 0.1 };
    const s = (v: number) => ({ record: c, metrics: { silhouette: v }, rescored: true });
    assert.equal(
      decide({ challenger: { silhouette: 0.6 }, baseline: { silhouette: 0 }, champion: s(0.5), rule: up }).reason,
      "silhouette 0.6 beats the baseline's 0; beats champion v4's 0.5 on the same held-back data by the 10 % margin",
    );
    assert.equal(
      decide({ challenger: { silhouette: 0.52 }, baseline: { silhouette: 0 }, champion: s(0.5), rule: up }).reason,
      "silhouette 0.52 beats the baseline's 0; does not beat champion v4's 0.5 on the same held-back data by the 10 % margin (needs ≥ 0.55)",
    );
  });
});
