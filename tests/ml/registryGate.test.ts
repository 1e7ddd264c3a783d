/** The champion/challenger gate: approve only past both the baseline and the champion's margin; always say why. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { decide, unusableMetrics, type GateRule } from "../../ml/gate.ts";
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
