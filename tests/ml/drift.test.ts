/** PSI per feature: zero for the same distribution, large for a shifted one, finite with empty bins. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { binEdges, psi } from "../../ml/drift.ts";

const uniform = (n: number, lo: number, hi: number) => Array.from({ length: n }, (_, i) => lo + ((hi - lo) * (i + 0.5)) / n);

describe("population stability index", () => {
  it("is 0 for the same values and small for the same distribution", () => {
    const a = uniform(1000, 0, 1);
    assert.equal(psi(a, a), 0);
    assert.ok(psi(a, uniform(333, 0, 1)) < 0.01);
  });

  it("grows with the shift and passes the 0.2 threshold for a clear one", () => {
    const base = uniform(1000, 0, 1);
    const small = psi(base, uniform(1000, 0.05, 1.05));
    const large = psi(base, uniform(1000, 0.5, 1.5));
    assert.ok(small < 0.1, `small shift ${small}`);
    assert.ok(large > 0.2 && large > small, `large shift ${large}`);
  });

  it("stays finite when recent values fall outside every training bin, and ignores NaN hours", () => {
    const v = psi(uniform(100, 0, 1), [5, 6, 7, Number.NaN]);
    assert.ok(Number.isFinite(v) && v > 1);
    assert.throws(() => psi([Number.NaN], [1]), /the training window has no values/);
  });

  it("bins on the training deciles, merging repeated edges", () => {
    assert.deepEqual(binEdges(uniform(10, 0, 10)), [1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5]);
    assert.deepEqual(binEdges([1, 1, 1, 1, 2]), [1, 2]);
  });
});
