/**
 * What the anomaly detector needs to transfer to series it was not developed on (issue 24, part 1):
 * one flag for a level that moved and stays (the record rule), gaps named as gaps and trained across,
 * a restart after a long gap, no day-of-week step at midnight from two weeks' worth of one week, the
 * NAB loader keeping missing time out of the values, and the leave-one-category-out choice.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SeriesError, type AnomalyRow, type Series } from "../../ml/contract.ts";
import { ForecastAnomalyDetector, ForecastAnomalyModel, SeasonalProfileForecaster, checkSeries, makeSeries, withoutOutlierDays, type ForecastAnomalyJSON } from "../../ml/trainers/index.ts";
import { leaveOneCategoryOut, parseNabCsv, type NabResult } from "../../ml/evaluation/nab.ts";
import { scoreEvents, sumEventScores } from "../../ml/evaluation/eventScore.ts";
import { MONDAY, gaussian } from "./fixtures.ts";

const FIVE_MIN = 300_000;
const DAY_STEPS = 288;

/** A 5-minute series with a daily swing and white noise, nothing weekly: a server metric. */
function fiveMinute(days: number, seed: number): number[] {
  const g = gaussian(seed);
  return Array.from({ length: days * DAY_STEPS }, (_, i) => 40 + 10 * Math.sin((2 * Math.PI * (i % DAY_STEPS)) / DAY_STEPS) + 2 * g());
}

const flagsOf = (rows: AnomalyRow[]) => rows.flatMap((r, i) => (r.is_anomaly ? [i] : []));

describe("anomaly detector on series it was not tuned to", () => {
  const values = fiveMinute(24, 3);
  const trainDays = 10;
  const train = makeSeries("cpu:i-1", MONDAY, FIVE_MIN, values.slice(0, trainDays * DAY_STEPS), "acme");
  const start = new Date(MONDAY.getTime() + trainDays * 86_400_000);
  const test = (vals: number[]) => makeSeries("cpu:i-1", start, FIVE_MIN, vals, "acme");
  const model = new ForecastAnomalyDetector().fit(train);
  const clean = values.slice(trainDays * DAY_STEPS);
  // A server that moved to a new level with a new workload from day 1 on: higher, and a nightly
  // 15-minute job at 03:00 (steps 36–38 of each day).
  const moved = clean.map((v, i) => (i >= DAY_STEPS ? v + 25 + (i % DAY_STEPS >= 36 && i % DAY_STEPS < 39 ? 30 : 0) : v));

  it("a series that moves to a new level with a nightly job is flagged when it moves, not again every night", () => {
    const flags = flagsOf(model.detect(test(moved)));
    assert.ok(flags[0]! >= DAY_STEPS && flags[0]! < 2 * DAY_STEPS, `flag at ${flags[0]}`);
    // The job's first night falls in the move's cooldown, so it is the anomaly, not the norm
    // (flagCap): it is flagged on the next nights until the hour-of-day correction has learnt it,
    // then never again in the fortnight.
    assert.ok(flags.length <= 3, `flags at steps ${flags}`);
    assert.ok(flags.every((i) => i < 4 * DAY_STEPS), `flags at steps ${flags}`);
  });

  it("the record rule is what stops the daily repeats: a model without it flags the new level again and again", () => {
    const old = new ForecastAnomalyModel({ ...model.json, recordFactor: 0 });
    const flags = flagsOf(old.detect(test(moved)));
    assert.ok(flags.length >= 5, `flags at steps ${flags}`);
  });

  it("a clean fortnight raises nothing, and a spike larger than the month's largest is flagged", () => {
    assert.deepEqual(flagsOf(model.detect(test(clean))), []);
    const spiked = clean.map((v, i) => (i === 2000 ? v + 60 : v));
    assert.deepEqual(flagsOf(model.detect(test(spiked))), [2000]);
  });

  it("the bounds say where a point would be flagged: a flag is outside them, a quiet point inside", () => {
    const rows = model.detect(test(clean.map((v, i) => (i === 2000 ? v + 60 : v))));
    for (const r of rows) assert.equal(r.is_anomaly, r.y > r.upper_bound || r.y < r.lower_bound, `row at ${r.ts.toISOString()}`);
  });

  it("a fault in the training window does not hide a smaller one later: a training day that stands out is left out of the memory", () => {
    // One training day holds a dust-event-like spike of 30 spreads; a later one of 20 spreads is
    // still 4–5 times anything the other days show.
    const spikedTrain = makeSeries("cpu:i-1", MONDAY, FIVE_MIN, values.slice(0, trainDays * DAY_STEPS).map((v, i) => (i === 4 * DAY_STEPS + 100 ? v + 60 : v)), "acme");
    const later = clean.map((v, i) => (i === 2000 ? v + 40 : v));
    const m = new ForecastAnomalyDetector().fit(spikedTrain);
    assert.deepEqual(m.json.outlierDaysLeftOut, [1, 0]);
    assert.deepEqual(flagsOf(m.detect(test(later))), [2000]);
    // Keeping every training day (outlierDays 0, the rule as first written) lets the training spike set the bar.
    assert.deepEqual(flagsOf(new ForecastAnomalyDetector({ outlierDays: 0 }).fit(spikedTrain).detect(test(later))), []);
  });

  it("the rest of a flagged anomaly does not raise the bar for the next one", () => {
    // A two-hour event: flagged on its first step, larger on the next (in the cooldown); a smaller
    // one three days later is flagged again.
    const twice = clean.map((v, i) => (i === 1000 ? v + 25 : i === 1001 ? v + 60 : i === 2000 ? v + 40 : v));
    assert.deepEqual(flagsOf(model.detect(test(twice))), [1000, 2000]);
  });

  it("a series whose days all reach far keeps every training day: standing out is relative to the other days", () => {
    assert.deepEqual(withoutOutlierDays([12, 30, 9, 18, 25, 14, 40, 11], 4), [12, 30, 9, 18, 25, 14, 40, 11]);
    assert.deepEqual(withoutOutlierDays([3, 4, 2, 50, 3, 5, 4, 3], 4), [3, 4, 2, 0, 3, 5, 4, 3]);
    // Too few days to say what is usual: nothing is left out.
    assert.deepEqual(withoutOutlierDays([3, 4, 50, 3], 4), [3, 4, 50, 3]);
  });

  it("a spike that recurs each day is flagged each time the cooldown ends, once when flags join the memory after their cooldown", () => {
    // From day 2 on, a 15-minute burst at 03:00 (steps 36–38) of 40: a new nightly job, on a series that otherwise stays put.
    const nightly = clean.map((v, i) => (i >= 2 * DAY_STEPS && i % DAY_STEPS >= 36 && i % DAY_STEPS < 39 ? v + 40 : v));
    // The burst's own flags, by day (the drop after each burst feeds the CUSUM, which is not the point here).
    const burstDays = (flags: number[]) => flags.filter((i) => i % DAY_STEPS >= 36 && i % DAY_STEPS < 39).map((i) => Math.floor(i / DAY_STEPS));
    const without = burstDays(flagsOf(model.detect(test(nightly))));
    assert.ok(without.length >= 5, `without: flags on days ${without}`);
    const m = new ForecastAnomalyDetector({ rememberFlags: true }).fit(train);
    assert.deepEqual(burstDays(flagsOf(m.detect(test(nightly)))), [2]);
    // The same size again is no record, a larger one still is.
    const larger = nightly.map((v, i) => (i === 9 * DAY_STEPS + 150 ? v + 90 : v));
    assert.ok(flagsOf(m.detect(test(larger))).includes(9 * DAY_STEPS + 150));
    assert.equal(m.params.rememberFlags, true, "the setting is in the parameters the registry records");
    assert.deepEqual(new ForecastAnomalyModel(JSON.parse(JSON.stringify(m.toJSON()))).detect(test(larger)), m.detect(test(larger)));
  });

  it("a cooldown in days means the same on 5-minute and hourly series, and a bad one is refused by name", () => {
    assert.equal(new ForecastAnomalyDetector({ cooldownDays: 1.5 }).fit(train).json.cooldownSteps, 1.5 * DAY_STEPS);
    const hourly = makeSeries("kwh:e-1", MONDAY, 3_600_000, values.slice(0, 24 * 12).map((v) => v), "acme");
    assert.equal(new ForecastAnomalyDetector({ cooldownDays: 2 }).fit(hourly).json.cooldownSteps, 48);
    assert.equal(new ForecastAnomalyDetector({ cooldownDays: 2, cooldownSteps: 5 }).fit(hourly).json.cooldownSteps, 5, "steps, when given, win");
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => new ForecastAnomalyDetector({ cooldownDays: bad }), new RegExp(`cooldownDays must be a finite number ≥ 0, got ${bad}`));
    }
    // Two spikes 30 hours apart: a one-day cooldown flags both, two days the first.
    const two = clean.map((v, i) => (i === 1000 || i === 1360 ? v + 60 : v));
    assert.deepEqual(flagsOf(model.detect(test(two))), [1000, 1360]);
    assert.deepEqual(flagsOf(new ForecastAnomalyDetector({ cooldownDays: 2 }).fit(train).detect(test(two))), [1000]);
  });

  it("the memory is saved with the model, so a reloaded model scores the same", () => {
    const json = JSON.parse(JSON.stringify(model.toJSON())) as ForecastAnomalyJSON;
    assert.equal(json.memory!.length, trainDays);
    // The rule's settings are in the parameters the registry records.
    assert.deepEqual([model.params.recordFactor, model.params.memoryDays, model.params.outlierDays], [1.2, 30, 3]);
    assert.deepEqual(new ForecastAnomalyModel(json).detect(test(clean)), model.detect(test(clean)));
  });
});

describe("gaps are missing time, not missing values", () => {
  const values = fiveMinute(14, 4);
  const series = makeSeries("cpu:i-2", MONDAY, FIVE_MIN, values, "acme");
  // Six hours with no reading on day 3, and one with readings that carry no value.
  const gapped: Series = { ...series, points: series.points.filter((_, i) => i < 3 * DAY_STEPS || i >= 3 * DAY_STEPS + 72) };
  const nanRun: Series = { ...series, points: series.points.map((p, i) => (i >= 1000 && i < 1072 ? { ...p, value: NaN } : p)) };

  it("a gap is refused as missing steps, a NaN run as NaN values, each by its own name", () => {
    assert.throws(() => checkSeries(gapped, { minPoints: 48 }), (e: unknown) => e instanceof SeriesError && e.code === "GAPS" && /72 consecutive steps missing from .* \(a gap: no reading arrived/.test(e.message));
    assert.throws(() => checkSeries(nanRun, { minPoints: 48 }), (e: unknown) => e instanceof SeriesError && e.code === "NON_FINITE" && /72 consecutive NaN values/.test(e.message));
  });

  it("the detector trains across a long gap without inventing the missing points", () => {
    const c = checkSeries(gapped, { minPoints: 48, longGaps: "keep" });
    assert.equal(c.holes, 72);
    assert.equal(c.interpolated, 0);
    const m = new ForecastAnomalyDetector().fit(gapped);
    assert.ok(m.json.forecaster.sigma[0]! > 1 && m.json.forecaster.sigma[0]! < 4, `σ ${m.json.forecaster.sigma[0]}`);
    // The forecaster alone keeps refusing by default: a forecast model is never trained across a hole silently.
    assert.throws(() => new SeasonalProfileForecaster().fit(gapped), /consecutive steps missing/);
  });

  it("after a gap longer than a day the detector restarts instead of carrying its state across", () => {
    const m = new ForecastAnomalyDetector().fit({ ...series, points: series.points.slice(0, 7 * DAY_STEPS) });
    assert.equal(m.json.restartAfterSteps, DAY_STEPS);
    // Scoring resumes two days after the last reading, at the level the series always had.
    const resumed = makeSeries("cpu:i-2", new Date(MONDAY.getTime() + 9 * 86_400_000), FIVE_MIN, values.slice(9 * DAY_STEPS), "acme");
    assert.deepEqual(flagsOf(m.detect(resumed)), []);
  });

  it("the NAB loader leaves missing steps out instead of writing NaN points", () => {
    const s = parseNabCsv("x.csv", "timestamp,value\n2015-09-01 00:00:00,1\n2015-09-01 00:05:00,2\n2015-09-01 00:10:00,3\n2015-09-01 02:00:00,4\n2015-09-01 02:05:00,5\n");
    assert.equal(s.stepMs, FIVE_MIN);
    assert.deepEqual(s.points.map((p) => p.value), [1, 2, 3, 4, 5]);
  });
});

describe("seasonal parts need enough cycles", () => {
  it("twelve days of 5-minute data with no weekly pattern get no day-of-week levels, so no step at midnight", () => {
    const values = fiveMinute(12, 6);
    const m = new SeasonalProfileForecaster().fit(makeSeries("cpu:i-3", MONDAY, FIVE_MIN, values, "acme"));
    assert.equal(m.json.config.dayOfWeek, false);
    assert.equal(m.json.config.weekly, false);
    // The forecast across a midnight moves by the daily swing only (a few units at most), never by a weekday's level.
    const rows = m.forecast(2 * DAY_STEPS);
    const jumps = rows.slice(1).map((r, i) => Math.abs(r.forecast - rows[i]!.forecast));
    assert.ok(Math.max(...jumps) < 3, `largest step ${Math.max(...jumps)}`);
  });
});

describe("leave-one-category-out", () => {
  const windows = [{ start: new Date(0), end: new Date(10) }];
  const hit = scoreEvents([new Date(5)], windows);
  const miss = scoreEvents([new Date(50)], windows);
  const result = (scores: Record<string, ReturnType<typeof scoreEvents>>): NabResult => {
    const files = Object.entries(scores).map(([name, score]) => ({ name, score }));
    return { files, total: sumEventScores(files.map((f) => f.score)) };
  };
  // Setting a finds the A and B files' windows, setting b only C's.
  const settings = new Map([
    ["a", result({ "A/1.csv": hit, "B/1.csv": hit, "C/1.csv": miss })],
    ["b", result({ "A/1.csv": miss, "B/1.csv": miss, "C/1.csv": hit })],
  ]);

  it("chooses each fold's setting on the other categories and scores it on the held-out one", () => {
    const { folds, total } = leaveOneCategoryOut(settings);
    assert.deepEqual(folds.map((f) => [f.category, f.chosen, f.score.detected]), [["A", "a", 1], ["B", "a", 1], ["C", "a", 0]]);
    assert.equal(total.detected, 2);
    assert.equal(total.falseFlags, 1);
  });
});
