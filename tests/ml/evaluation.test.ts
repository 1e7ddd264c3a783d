import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SeriesError } from "../../ml/contract.ts";
import { intervalCoverage, mae, mase, scoreEvents, seasonalNaiveScale, silhouette, smape, sumEventScores, timeHoldout } from "../../ml/evaluation/index.ts";
import { makeSeries } from "../../ml/series.ts";

const H = 3_600_000;
const t = (iso: string) => new Date(iso);

describe("forecast metrics", () => {
  it("MAE, sMAPE and MASE match hand-computed values", () => {
    assert.equal(mae([1, 2, 3], [2, 2, 5]), 1);
    // sMAPE: 2|a−f|/(|a|+|f|): 2·1/3, 0, 2·2/8 → mean (0.6667 + 0 + 0.5) / 3
    assert.ok(Math.abs(smape([1, 2, 3], [2, 2, 5]) - (2 / 3 + 0.5) / 3) < 1e-12);
    assert.equal(smape([0, 0], [0, 0]), 0);
    // Season 2: in-sample naive errors |3−1|, |4−2|, |5−3| → scale 2; holdout MAE 1 → MASE 0.5
    assert.equal(seasonalNaiveScale([1, 2, 3, 4, 5], 2), 2);
    assert.equal(mase([1, 2, 3], [2, 2, 5], [1, 2, 3, 4, 5], 2), 0.5);
  });

  it("interval coverage counts actual values inside [lower, upper]", () => {
    const rows = [0, 1, 2, 3].map((i) => ({ ts: new Date(i), forecast: 0, lower_bound: -1, upper_bound: 1 }));
    assert.equal(intervalCoverage([0, 1, 1.5, -2], rows), 0.5);
  });

  it("mismatched lengths and too-short training data are refused with the sizes", () => {
    assert.throws(() => mae([1, 2], [1]), /actual has 2 values, predicted 1/);
    assert.throws(() => seasonalNaiveScale([1, 2], 24), /2 values is not longer than the season 24/);
  });
});

describe("time holdout", () => {
  it("holds back the last points and trains only on earlier ones", () => {
    const s = makeSeries("s", t("2026-01-01T00:00:00Z"), H, [1, 2, 3, 4, 5, 6]);
    const { train, test } = timeHoldout(s, 2);
    assert.deepEqual(train.points.map((p) => p.value), [1, 2, 3, 4]);
    assert.deepEqual(test.points.map((p) => p.value), [5, 6]);
    assert.ok(Math.max(...train.points.map((p) => p.ts.getTime())) < Math.min(...test.points.map((p) => p.ts.getTime())));
  });

  it("refuses to hold back the whole series", () => {
    const s = makeSeries("short", t("2026-01-01T00:00:00Z"), H, [1, 2]);
    assert.throws(() => timeHoldout(s, 2), (e: unknown) => e instanceof SeriesError && e.code === "TOO_SHORT" && /series short/.test(e.message));
  });
});

describe("event-level anomaly scoring", () => {
  const windows = [
    { start: t("2026-01-01T10:00:00Z"), end: t("2026-01-01T11:00:00Z") },
    { start: t("2026-01-02T10:00:00Z"), end: t("2026-01-02T11:00:00Z") },
  ];
  it("a window counts once however many flags fall in it; each flag outside is a false flag", () => {
    const flags = [t("2026-01-01T10:05:00Z"), t("2026-01-01T10:30:00Z"), t("2026-01-01T11:00:00Z"), t("2026-01-03T00:00:00Z")];
    const s = scoreEvents(flags, windows);
    assert.deepEqual([s.detected, s.falseFlags, s.windows], [1, 1, 2]);
    assert.equal(s.precision, 0.5); // 1 / (1 + 1)
    assert.equal(s.recall, 0.5);
    assert.equal(s.f1, 0.5);
  });

  it("an hourly flag covers its hour: it detects a window that starts inside that hour", () => {
    const s = scoreEvents([t("2026-01-02T09:00:00Z")], [{ start: t("2026-01-02T09:40:00Z"), end: t("2026-01-02T09:50:00Z") }], H);
    assert.equal(s.detected, 1);
    assert.equal(scoreEvents([t("2026-01-02T08:00:00Z")], [{ start: t("2026-01-02T09:40:00Z"), end: t("2026-01-02T09:50:00Z") }], H).falseFlags, 1);
  });

  it("no flags: recall 0 and F1 0; scores of several series add up before the ratios", () => {
    assert.equal(scoreEvents([], windows).f1, 0);
    const total = sumEventScores([scoreEvents([t("2026-01-01T10:10:00Z")], windows), scoreEvents([t("2026-01-05T00:00:00Z")], [])]);
    assert.deepEqual([total.windows, total.detected, total.falseFlags], [2, 1, 1]);
    assert.equal(total.precision, 0.5);
  });
});

describe("silhouette", () => {
  it("matches the hand-computed value on four points in two clusters", () => {
    // Points 0, 1 | 10, 11 on a line. For 0: a = 1, b = mean(10, 11) = 10.5, s = 9.5/10.5.
    // For 1: a = 1, b = mean(9, 10) = 9.5, s = 8.5/9.5; symmetric for the other cluster.
    const s = silhouette([[0], [1], [10], [11]], [0, 0, 1, 1]);
    const expected = (2 * (9.5 / 10.5) + 2 * (8.5 / 9.5)) / 4;
    assert.ok(Math.abs(s - expected) < 1e-12);
  });

  it("refuses a single cluster", () => {
    assert.throws(() => silhouette([[0], [1], [2]], [0, 0, 0]), /got 1 clusters/);
  });
});
