/**
 * What a flag teaches the anomaly detector's record rule (flagCap, issue 24 fourth pass), and an
 * interval calibrated without the training days that held an anomaly (cleanCalibration): the
 * behaviour behind fleet seed 7's PM2.5 sensors (several dust events a fortnight) and nab-dev's
 * bursty series (bursts a little beyond the training days' norm, flagged again after each cooldown).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AnomalyRow } from "../../ml/contract.ts";
import { ForecastAnomalyDetector, ForecastAnomalyModel, SeasonalProfileForecaster, makeSeries, type ForecastAnomalyJSON } from "../../ml/trainers/index.ts";
import { HOUR, MONDAY, gaussian } from "./fixtures.ts";

const TRAIN_DAYS = 16;
const TRAIN = TRAIN_DAYS * 24;

/** An hourly air-quality-like series: a daily swing and unit noise (σ ≈ 1). */
function hourly(days: number, seed: number): number[] {
  const g = gaussian(seed);
  return Array.from({ length: days * 24 }, (_, i) => 12 + 3 * Math.sin((2 * Math.PI * (i % 24)) / 24) + g());
}

const values = hourly(TRAIN_DAYS + 14, 11);
const train = makeSeries("pm25:aq-1", MONDAY, HOUR, values.slice(0, TRAIN), "acme");
const later = (vals: number[]) => makeSeries("pm25:aq-1", new Date(MONDAY.getTime() + TRAIN * HOUR), HOUR, vals, "acme");
const clean = values.slice(TRAIN);
const flagsOf = (rows: AnomalyRow[]) => rows.flatMap((r, i) => (r.is_anomaly ? [i] : []));
/** Adds `size` to the scored part's points at the given steps. */
const withEvents = (events: Record<number, number>) => clean.map((v, i) => v + (events[i] ?? 0));

describe("what a flag teaches the record rule (flagCap)", () => {
  const model = new ForecastAnomalyDetector().fit(train);
  const before = new ForecastAnomalyDetector({ flagCap: 0 }).fit(train);
  const sigma = model.json.forecaster.sigma[0]!;
  // The bar a flag must clear at the start of scoring, in spreads: the interval or 1.2 × the
  // largest unflagged distance of the training days, whichever is larger (the first row's bound).
  const first = model.detect(later(clean))[0]!;
  const bar = (first.upper_bound - first.forecast) / ((first.y - first.forecast) / first.distance);

  it("the default is a cap of 2, recorded with the model and in the parameters the registry keeps", () => {
    assert.equal(model.json.flagCap, 2);
    assert.equal(model.params.flagCap, 2);
    assert.equal(model.json.version, 4);
    assert.ok(bar > 3 && bar < 8, `bar ${bar}`);
  });

  it("a dust event inside a flag's cooldown does not raise the bar for the next one", () => {
    // A small excursion is flagged at step 100; five hours later, inside its one-day cooldown, a
    // dust event of 20 bars; four days later another of 6 bars.
    const series = withEvents({ 100: 2 * bar * sigma, 105: 20 * bar * sigma, 200: 6 * bar * sigma });
    assert.deepEqual(flagsOf(model.detect(later(series))), [100, 200]);
    // Before version 4 the suppressed dust event was remembered as the series' norm: the second is missed.
    assert.deepEqual(flagsOf(before.detect(later(series))), [100]);
  });

  it("bursts a little beyond the old norm are flagged once or twice, not each time; faults far beyond it each time", () => {
    // Bursts of 1.5 bars every 30 hours, nine of them: the series' tail has grown.
    const burstSteps = Array.from({ length: 9 }, (_, k) => 40 + 30 * k);
    const bursts = later(withEvents(Object.fromEntries(burstSteps.map((i) => [i, 1.5 * bar * sigma]))));
    const flags = flagsOf(model.detect(bursts));
    assert.equal(flags[0], 40);
    assert.ok(flags.length <= 2, `flags at ${flags}`);
    // Before version 4 nothing flagged was remembered and no burst falls in a cooldown: each is flagged.
    assert.deepEqual(flagsOf(before.detect(bursts)), burstSteps);
    // Dust events of 10 bars every three days: each is flagged; flags never raise the cap, so the
    // fourth is judged against the same bar as the second.
    const dust = later(withEvents(Object.fromEntries([30, 102, 174, 246].map((i) => [i, 10 * bar * sigma]))));
    assert.deepEqual(flagsOf(model.detect(dust)), [30, 102, 174, 246]);
    // With no cap (rememberFlags: a flag joins the memory whole) the first dust event hides the rest.
    assert.deepEqual(flagsOf(new ForecastAnomalyDetector({ rememberFlags: true }).fit(train).detect(dust)), [30]);
  });

  it("a model saved before version 4 (no flagCap) scores as it did", () => {
    const { flagCap: _cap, ...v3 } = before.toJSON();
    const series = later(withEvents({ 100: 30, 105: 60, 200: 25 }));
    const loaded = new ForecastAnomalyModel(JSON.parse(JSON.stringify({ ...v3, version: 3 })) as ForecastAnomalyJSON);
    assert.deepEqual(loaded.detect(series), before.detect(series));
    assert.equal(loaded.params.flagCap, 0);
  });

  it("a flagCap that is not a finite number ≥ 0 is refused by name", () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => new ForecastAnomalyDetector({ flagCap: bad }), new RegExp(`flagCap must be a finite number ≥ 0, got ${bad}`));
    }
  });
});

describe("an interval calibrated without the training days that held an anomaly (cleanCalibration)", () => {
  // A two-hour dust event on day 14: in the forecaster's held-back part (the last fifth, 3.2 days).
  const dusty = values.slice(0, TRAIN).map((v, i) => (i === 14 * 24 + 10 ? v + 40 : i === 14 * 24 + 11 ? v + 25 : v));
  const dustyTrain = makeSeries("pm25:aq-1", MONDAY, HOUR, dusty, "acme");

  it("the day that stands out leaves the calibration too, so the interval is the clean series' again", () => {
    const cleaned = new ForecastAnomalyDetector().fit(dustyTrain);
    const widened = new ForecastAnomalyDetector({ cleanCalibration: false }).fit(dustyTrain);
    const cleanSeries = new ForecastAnomalyDetector().fit(train);
    assert.equal(cleaned.json.calibrationDaysLeftOut, 1);
    assert.equal(cleaned.json.outlierDaysLeftOut![0], 1);
    assert.equal(widened.json.calibrationDaysLeftOut, undefined);
    const width = (m: ForecastAnomalyModel) => {
      const r = m.detect(later(clean))[0]!;
      return r.upper_bound - r.lower_bound;
    };
    // The dust event's errors widened the interval by far more than noise can.
    assert.ok(width(widened) > 1.5 * width(cleaned), `widened ${width(widened)}, cleaned ${width(cleaned)}`);
    assert.ok(Math.abs(width(cleaned) / width(cleanSeries) - 1) < 0.2, `cleaned ${width(cleaned)}, clean series ${width(cleanSeries)}`);
    // A dust event of 15 later on: inside the widened interval, beyond the cleaned one.
    const event = later(withEvents({ 150: 15 }));
    assert.ok(flagsOf(cleaned.detect(event)).includes(150));
    assert.ok(!flagsOf(widened.detect(event)).includes(150));
  });

  it("the forecaster ignores skipped days that would leave a horizon less than half its errors", () => {
    const day = (i: number) => Math.floor((MONDAY.getTime() + i * HOUR) / 86_400_000);
    const f = (skip?: Set<number>) => new SeasonalProfileForecaster({ allowLog: false, calibration: "heldBack", ...(skip ? { calibrationSkipDays: skip } : {}) }).fit(dustyTrain).toJSON();
    const all = f();
    // Every day of the window: nothing would be left to calibrate on.
    assert.deepEqual(f(new Set(Array.from({ length: TRAIN_DAYS }, (_, d) => day(d * 24)))).quantiles, all.quantiles);
    // The dust event's day only: a narrower tail.
    const skipped = f(new Set([day(14 * 24)]));
    assert.ok(skipped.quantiles.q.at(-1)! < all.quantiles.q.at(-1)!, `${skipped.quantiles.q} vs ${all.quantiles.q}`);
  });
});
