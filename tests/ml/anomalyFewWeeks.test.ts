/**
 * How few weeks an hour-of-week part may come from in the anomaly detector (issue 24, part 1, fifth
 * pass): with one week of training window each hour-of-week slot is one sample, the profile is that
 * week, and the replay that fills the record rule's memory forecasts those days almost exactly, so
 * the memory says the series is far quieter than it is. And the leave-one-category-out choice keeps
 * the defaults unless a setting's lead on the other categories exceeds its standard error.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_WEEKLY_CYCLES, ForecastAnomalyDetector, SeasonalProfileForecaster, makeSeries } from "../../ml/trainers/index.ts";
import { jackknifeLeadSE, leaveOneCategoryOut, type NabResult } from "../../ml/evaluation/nab.ts";
import { sumEventScores, type EventScore } from "../../ml/evaluation/eventScore.ts";
import { HOUR, MONDAY, gaussian } from "./fixtures.ts";

/** Hourly: a pattern of its own for each hour of the week (amplitude 5) and noise of 1. */
function weeklyShaped(days: number, seed: number): number[] {
  const g = gaussian(seed);
  const shape = Array.from({ length: 168 }, () => 5 * g());
  return Array.from({ length: days * 24 }, (_, i) => 100 + shape[i % 168]! + g());
}

const hasWeekly = (selection: Readonly<Record<string, number>>) => Object.keys(selection).some((k) => k.includes("weekly("));

describe("anomaly detector: an hour-of-week part needs two weeks", () => {
  const tenDays = makeSeries("price:ex-3", MONDAY, HOUR, weeklyShaped(10, 5));

  it("from one week, the replayed training days are forecast almost exactly: their memory is near 0", () => {
    const m = new ForecastAnomalyDetector({ weeklyCycles: 1 }).fit(tenDays);
    assert.equal(m.json.forecaster.config.weekly, true);
    // 24 distances of the series' own noise a day reach beyond 1 spread; the memorised days stay under half of one.
    const memorised = m.json.memory!.filter((v) => v > 0 && v < 0.5);
    assert.ok(memorised.length >= 3, `daily largest distances ${m.json.memory!.map((v) => v.toFixed(2))}`);
  });

  it("by default ten days get no hour-of-week part, and every training day's largest distance is the series' own", () => {
    assert.equal(DEFAULT_WEEKLY_CYCLES, 2);
    const m = new ForecastAnomalyDetector().fit(tenDays);
    assert.equal(hasWeekly(m.json.forecaster.selection), false);
    assert.equal(m.params.weeklyCycles, 2, "the rule is in the parameters the registry records");
    // 24 distances a day: the largest of them is well above a spread on a day with points.
    for (const v of m.json.memory!) assert.ok(v === 0 || v > 0.5, `daily largest distances ${m.json.memory!.map((x) => x.toFixed(2))}`);
  });

  it("fourteen days of training window (the simulator's 16) still offer the hour-of-week part", () => {
    const m = new ForecastAnomalyDetector().fit(makeSeries("price:ex-3", MONDAY, HOUR, weeklyShaped(14, 5)));
    assert.equal(hasWeekly(m.json.forecaster.selection), true);
  });

  it("counts the window's time, not its points: a hole does not take a week away, and the forecaster alone keeps one week", () => {
    const values = weeklyShaped(15, 6);
    const holed = makeSeries("price:ex-3", MONDAY, HOUR, values);
    const withHole = { ...holed, points: holed.points.filter((_, i) => i < 100 || i >= 130) };
    assert.equal(hasWeekly(new ForecastAnomalyDetector().fit(withHole).json.forecaster.selection), true);
    assert.equal(hasWeekly(new SeasonalProfileForecaster().fit(tenDays).json.selection), true);
  });

  it("refuses a weeklyCycles that is not a number of weeks, naming it", () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) assert.throws(() => new ForecastAnomalyDetector({ weeklyCycles: bad }), new RegExp(`weeklyCycles must be a finite number ≥ 0, got ${bad}`));
  });
});

describe("leave-one-category-out keeps the defaults unless a lead exceeds its standard error", () => {
  const s = (windows: number, detected: number, falseFlags: number): EventScore => sumEventScores([{ windows, detected, falseFlags, flags: detected + falseFlags, precision: 0, recall: 0, f1: 0 }]);
  const result = (scores: Record<string, EventScore>): NabResult => {
    const files = Object.entries(scores).map(([name, score]) => ({ name, score }));
    return { files, total: sumEventScores(files.map((f) => f.score)) };
  };
  // The defaults, and a challenger whose lead is one file of category B (it drops B/1's three
  // false flags) less a window lost on C/1, as "no CUSUM" against the defaults on AdExchange's
  // fold; "steady" finds one window more on every file of A, B and C.
  const defaults = { "A/1.csv": s(4, 2, 1), "A/2.csv": s(4, 2, 1), "B/1.csv": s(4, 2, 3), "B/2.csv": s(4, 2, 0), "C/1.csv": s(4, 2, 1), "C/2.csv": s(4, 2, 1), "D/1.csv": s(4, 3, 0) };
  const oneFile = { ...defaults, "B/1.csv": s(4, 2, 0), "C/1.csv": s(4, 1, 1), "D/1.csv": s(4, 0, 5) };
  const steady = Object.fromEntries(Object.entries(defaults).map(([k, v]) => [k, k.startsWith("D/") ? s(4, 0, 5) : s(4, v.detected + 1, v.falseFlags)]));

  it("a lead that one file makes, less a window lost on another, is within its standard error: the fold keeps the defaults (the old rule did not)", () => {
    const settings = new Map([["defaults", result(defaults)], ["one file", result(oneFile)]]);
    const d = leaveOneCategoryOut(settings).folds.find((f) => f.category === "D")!;
    assert.equal(d.chosen, "defaults");
    assert.equal(d.best.name, "one file");
    assert.equal(d.score.detected, 3);
    assert.equal(leaveOneCategoryOut(settings, "best").folds.find((f) => f.category === "D")!.chosen, "one file");
  });

  it("a lead that every file shows clears it: the fold takes the challenger", () => {
    const settings = new Map([["defaults", result(defaults)], ["one file", result(oneFile)], ["steady", result(steady)]]);
    const d = leaveOneCategoryOut(settings).folds.find((f) => f.category === "D")!;
    assert.equal(d.chosen, "steady");
    assert.equal(d.score.falseFlags, 5);
  });

  it("the standard error is the delete-one-file jackknife of the F1 lead", () => {
    const a = [s(4, 2, 1), s(4, 2, 3)];
    const b = [s(4, 2, 1), s(4, 2, 0)];
    // Leaving out file 0: F1 2·2/(4+2+0) − 2·2/(4+2+3); file 1: both 2·2/(4+2+1), lead 0.
    const l0 = 4 / 6 - 4 / 9;
    const se = Math.sqrt((1 / 2) * 2 * (l0 / 2) ** 2);
    assert.ok(Math.abs(jackknifeLeadSE(a, b) - se) < 1e-12, `${jackknifeLeadSE(a, b)} against ${se}`);
    assert.equal(jackknifeLeadSE(a, a), 0);
    assert.throws(() => jackknifeLeadSE(a, [b[0]!]), /2 files under one setting, 1 under the other/);
  });
});
