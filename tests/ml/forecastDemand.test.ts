/**
 * The forecaster on demand-like series (issue 24, part 2): a multiplicative weekly pattern with level
 * shifts (ml/evaluation/demandPanel.ts, seeded), where the profile on log1p(y) with the origin's level
 * must be chosen by `fit` itself and beat the additive profile and the naive baseline.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { demandPanel } from "../../ml/evaluation/demandPanel.ts";
import { evaluateForecaster } from "../../ml/evaluation/evaluateForecaster.ts";
import { SeasonalProfileForecaster, loadForecastModel } from "../../ml/trainers/index.ts";

describe("forecaster on multiplicative demand", () => {
  const panel = demandPanel({ series: 6, weeks: 8, seed: 7 });
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const evals = (f: () => SeasonalProfileForecaster) => panel.map((s) => evaluateForecaster(f(), s, { holdoutSteps: 336, level: 0.8 }));
  const chosen = evals(() => new SeasonalProfileForecaster());
  const additive = evals(() => new SeasonalProfileForecaster({ allowLog: false }));

  it("fit chooses the log form with the origin's level on its own held-back days", () => {
    const m = new SeasonalProfileForecaster().fit({ ...panel[0]!, points: panel[0]!.points.slice(0, -336) });
    assert.equal(m.json.transform, "log1p");
    assert.equal(m.json.levelSteps, 24);
    // Forecasts are back on the original scale, never negative, and reload the same.
    const rows = m.forecast(24, { level: 0.8 });
    assert.ok(rows.every((r) => r.lower_bound >= 0 && r.lower_bound <= r.forecast && r.forecast <= r.upper_bound));
    assert.deepEqual(loadForecastModel(JSON.parse(JSON.stringify(m.toJSON()))).forecast(24, { level: 0.8 }), rows);
  });

  it("beats the additive profile and the better seasonal naive on MASE", () => {
    const m = mean(chosen.map((e) => e.model.mase!));
    assert.ok(m < 0.95 * mean(additive.map((e) => e.model.mase!)), `log ${m}, additive ${mean(additive.map((e) => e.model.mase!))}`);
    assert.ok(m < mean(chosen.map((e) => e.baseline.mase!)), `log ${m}, naive ${mean(chosen.map((e) => e.baseline.mase!))}`);
  });

  it("an 80 % interval covers about 80 % of the held-back hours, level shifts included", () => {
    // Calibrated over the window's second half, which holds level shifts a single held-back week
    // rarely does (intervals calibrated on that week alone covered ~0.72 on this kind of panel).
    const coverage = mean(chosen.map((e) => e.model.coverage!));
    assert.ok(coverage >= 0.77 && coverage <= 0.85, `coverage ${coverage}`);
  });

  it("a series with a negative value is never fitted on the log scale", () => {
    const s = panel[1]!;
    const m = new SeasonalProfileForecaster().fit({ ...s, points: s.points.map((p, i) => (i === 5 ? { ...p, value: -1 } : p)) });
    assert.equal(m.json.transform, undefined);
  });
});
