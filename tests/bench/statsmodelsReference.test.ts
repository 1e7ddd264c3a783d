/**
 * The statsmodels reference's TypeScript side (bench/statsmodelsReference.ts): what it writes for
 * the Python script and how it checks what comes back. No test needs Python.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { makeSeries } from "../../ml/series.ts";
import { panelInput, parseStatsmodelsOutput, statsmodelsVersion, type PanelProtocol } from "../../bench/statsmodelsReference.ts";

const protocol: PanelProtocol = { season: 4, horizon: 2, dayStep: 2, weekSteps: 4, weeks: 2 };
const start = new Date("2026-01-05T00:00:00Z");
/** weeks × weekSteps + 2 seasons = 16 points. */
const series = [makeSeries("a", start, 3_600_000, Array.from({ length: 16 }, (_, i) => i)), makeSeries("b", start, 3_600_000, Array.from({ length: 16 }, (_, i) => 2 * i))];
/** weeks × weekSteps / dayStep origins × horizon = 8 forecasts per series. */
const row = (id: string, extra: Record<string, unknown> = {}) => ({ id, forecasts: [1, 2, 3, 4, 5, 6, 7, 8], fitCpuSeconds: 0.5, forecastCpuSeconds: 0.1, fitWallSeconds: 0.6, forecastWallSeconds: 0.2, ...extra });
const output = (variants: Record<string, unknown>) => JSON.stringify({ statsmodels: "0.13.5", variants });
const good = () => ({ additive: { series: [row("a"), row("b")] }, log1p: { series: [row("a"), row("b")] } });

test("the panel goes to the script as the protocol and each series' values, in order", () => {
  const input = JSON.parse(panelInput(series, protocol));
  assert.deepEqual(input, { ...protocol, series: [{ id: "a", values: series[0]!.points.map((p) => p.value) }, { id: "b", values: series[1]!.points.map((p) => p.value) }] });
});

test("a value JSON cannot carry (NaN) is refused naming the series, the point and its time", () => {
  const holed = makeSeries("c", start, 3_600_000, Array.from({ length: 16 }, (_, i) => (i === 5 ? NaN : i)));
  assert.throws(() => panelInput([holed], protocol), /series "c" point 5 \(2026-01-05T05:00:00.000Z\) has value NaN/);
});

test("a series too short for the protocol, a repeated id or a protocol that is not whole steps is refused", () => {
  assert.throws(() => panelInput([makeSeries("s", start, 3_600_000, [1, 2, 3])], protocol), /series "s" has 3 points; the protocol needs at least 16/);
  assert.throws(() => panelInput([series[0]!, series[0]!], protocol), /series id "a" appears twice/);
  assert.throws(() => panelInput(series, { ...protocol, horizon: 1.5 }), /protocol.horizon must be a positive integer, got 1.5/);
  assert.throws(() => panelInput(series, { ...protocol, dayStep: 3 }), /weekSteps 4 is not a whole number of dayStep 3/);
});

test("the script's answer is read per variant and series, with its CPU and wall seconds", () => {
  const r = parseStatsmodelsOutput(output(good()), ["a", "b"], protocol);
  assert.equal(r.version, "0.13.5");
  assert.deepEqual(r.variants.log1p[1], { id: "b", forecasts: [1, 2, 3, 4, 5, 6, 7, 8], fitCpuSeconds: 0.5, forecastCpuSeconds: 0.1, fitWallSeconds: 0.6, forecastWallSeconds: 0.2 });
});

test("an answer that is not what was asked is refused, naming the field and the value", () => {
  const ids = ["a", "b"];
  const bad = (variants: Record<string, unknown>) => () => parseStatsmodelsOutput(output(variants), ids, protocol);
  assert.throws(() => parseStatsmodelsOutput("Traceback (most recent call last):", ids, protocol), /output is not JSON .* it starts "Traceback/);
  assert.throws(bad({ additive: good().additive }), /variants.log1p must be an object, got undefined/);
  assert.throws(bad({ ...good(), log1p: { series: [row("a")] } }), /variants.log1p.series must list 2 series/);
  assert.throws(bad({ ...good(), additive: { series: [row("b"), row("a")] } }), /variants.additive.series\[0\].id is "b", expected "a"/);
  assert.throws(bad({ ...good(), additive: { series: [row("a", { forecasts: [1, 2, 3] }), row("b")] } }), /series\[0\].forecasts must hold 8 numbers, got 3/);
  // The script dumps with allow_nan=False; a null (or a hand-edited answer) still reaches this check.
  assert.throws(bad({ ...good(), log1p: { series: [row("a"), row("b", { forecasts: [1, 2, 3, null, 5, 6, 7, 8] })] } }), /variants.log1p.series\[1\] \(b\) forecast 3 is null/);
  assert.throws(bad({ ...good(), additive: { series: [row("a", { fitCpuSeconds: -1 }), row("b")] } }), /fitCpuSeconds must be a non-negative number of seconds, got -1/);
  assert.throws(() => parseStatsmodelsOutput(JSON.stringify({ variants: good() }), ids, protocol), /"statsmodels" \(its version\) must be a string, got undefined/);
});

test("an interpreter that is not there is reported in one line, not thrown", () => {
  const r = statsmodelsVersion("/nonexistent/python3");
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.reason : "", /^\/nonexistent\/python3: spawnSync \/nonexistent\/python3 ENOENT$/);
});
