/**
 * ErrorQuantiles' table (ml/trainers/errorQuantiles.ts) picks its order statistics by selection
 * instead of sorting (issue 24: the forecaster's fit time): the table must be the one a sorted
 * sample gives, ties, signs and non-finite errors included.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ErrorQuantiles, LEVEL_GRID } from "../../ml/trainers/errorQuantiles.ts";
import { seededRandom } from "../../ml/trainers/random.ts";

/** The table from a full sort, as fromErrors built it before (R's type-7 quantile, kept non-decreasing). */
function sortedTable(z: readonly number[]): { levels: number[]; q: number[] } {
  const abs = z.filter(Number.isFinite).map(Math.abs).sort((a, b) => a - b);
  const levels: number[] = [], q: number[] = [];
  for (const l of LEVEL_GRID) {
    if (l > 1 - 1 / abs.length) break;
    const pos = l * (abs.length - 1), lo = Math.floor(pos), hi = Math.min(abs.length - 1, lo + 1);
    levels.push(l);
    q.push(Math.max(abs[lo]! + (abs[hi]! - abs[lo]!) * (pos - lo), q.length ? q[q.length - 1]! : 0));
  }
  return { levels, q };
}

test("the quantile table equals the sorted sample's on samples of every size the levels resolve, with ties and non-finite errors", () => {
  const r = seededRandom(24).next;
  for (const size of [10, 11, 19, 20, 99, 100, 101, 199, 200, 201, 1000, 4097]) {
    for (const ties of [false, true]) {
      // Rounded errors repeat values (an integer-valued series' errors do), and the odd NaN and ±Infinity are dropped.
      const z = Array.from({ length: size }, (_, i) => (i % 97 === 13 ? [NaN, Infinity, -Infinity][i % 3]! : ties ? Math.round(4 * (r() - 0.5) * 3) / 3 : (r() - 0.5) * 6 * r()));
      const want = sortedTable(z);
      if (want.levels.length === 0) continue;
      assert.deepEqual(ErrorQuantiles.fromErrors(z).toJSON(), want, `size ${size}, ties ${ties}`);
      assert.deepEqual(ErrorQuantiles.fromErrors(Float64Array.from(z)).toJSON(), want, `typed, size ${size}, ties ${ties}`);
    }
  }
});

test("a constant sample gives a flat table, and fewer than 10 finite errors the Gaussian one", () => {
  assert.deepEqual(ErrorQuantiles.fromErrors(Array(500).fill(-1.5)).toJSON().q, Array(LEVEL_GRID.length).fill(1.5));
  const gaussian = ErrorQuantiles.fromErrors([1, 2, 3, NaN, NaN, NaN, NaN, NaN, NaN, NaN, 4]).toJSON();
  assert.deepEqual(gaussian.levels, [...LEVEL_GRID]);
  assert.ok(Math.abs(gaussian.q[1]! - 1.2816) < 1e-4, `80 %: ${gaussian.q[1]}`);
});
