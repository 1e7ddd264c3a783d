import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AnomalyModel, Series } from "../../ml/contract.ts";
import { loadNab, nabProbationRows, parseNabCsv, scoreOnNab } from "../../ml/evaluation/nab.ts";
import { ForecastAnomalyDetector } from "../../ml/trainers/index.ts";

// Two NAB files copied into the repo (MIT, LICENSE.txt alongside), so this runs on a clean clone.
const NAB = fileURLToPath(new URL("./fixtures/nab/", import.meta.url));

describe("anomaly detector on labelled NAB series (event-level rule of data/nab-dev/README.md)", () => {
  const files = loadNab(NAB);
  const result = scoreOnNab(files, (train) => new ForecastAnomalyDetector({ maxGapSteps: 1000 }).fit(train));
  const byName = new Map(result.files.map((f) => [f.name.split("/")[1], f.score]));

  it("reads both files on their 5-minute grid with their windows", () => {
    assert.equal(files.length, 2);
    for (const f of files) assert.equal(f.series.stepMs, 300_000);
    assert.deepEqual(files.map((f) => f.windows.length), [1, 2]);
  });

  it("detects the jump in art_daily_jumpsup without a false flag on its daily pattern", () => {
    const s = byName.get("art_daily_jumpsup.csv")!;
    assert.equal(s.detected, 1);
    assert.equal(s.falseFlags, 0);
  });

  it("detects a request-count anomaly with at most two false flags", () => {
    const s = byName.get("elb_request_count_8c0756.csv")!;
    assert.ok(s.detected >= 1, `${s.detected} of 2 windows detected`);
    assert.ok(s.falseFlags <= 2, `${s.falseFlags} false flags`);
  });

  it("the F1 is computed from the counts: 2·P·R / (P + R) with P = detected / (detected + false flags)", () => {
    const { detected, falseFlags, windows, f1 } = result.total;
    const p = detected / (detected + falseFlags);
    const r = detected / windows;
    assert.ok(Math.abs(f1 - (2 * p * r) / (p + r)) < 1e-12);
    assert.ok(f1 >= 0.6, `F1 ${f1} on the two fixture files`);
  });

  it("a malformed line is refused with its line number", () => {
    assert.throws(() => parseNabCsv("bad.csv", "timestamp,value\n2014-01-01 00:00:00,1\n2014-01-01 00:05:00,abc\n"), /bad.csv: line 3 is not "timestamp,value"/);
  });

  it("trains on NAB's probationary period: min(floor(0.15 × rows), 750) rows, not 15 % of a long file", () => {
    // numenta/NAB nab/util.py getProbationPeriod and nab/sweeper.py _getProbationaryLength.
    assert.equal(nabProbationRows(4032), 604);
    assert.equal(nabProbationRows(5000), 750);
    assert.equal(nabProbationRows(15_902), 750);
    const dir = mkdtempSync(join(tmpdir(), "nab-probation-"));
    mkdirSync(join(dir, "cat"));
    const csv = (n: number) => ["timestamp,value", ...Array.from({ length: n }, (_, i) => `${new Date(Date.UTC(2014, 0, 1) + i * 300_000).toISOString().slice(0, 19).replace("T", " ")},${i % 7}`)].join("\n");
    writeFileSync(join(dir, "cat", "long.csv"), csv(10_000));
    writeFileSync(join(dir, "cat", "short.csv"), csv(2_000));
    // A window inside the first 15 % of the long file's time but after its 750th row is scoreable.
    writeFileSync(join(dir, "windows.json"), JSON.stringify({ "cat/long.csv": [["2014-01-04 00:00:00", "2014-01-04 01:00:00"]], "cat/short.csv": [] }));
    const trained = new Map<string, number>();
    const fit = (train: Series): AnomalyModel => {
      trained.set(train.seriesId, train.points.length);
      return { algorithm: "flag-everything", params: {}, detect: (s: Series) => s.points.map((p) => ({ ts: p.ts, y: p.value, forecast: p.value, lower_bound: p.value, upper_bound: p.value, is_anomaly: true, percentile: 1, distance: 0 })), toJSON: () => ({}) };
    };
    const r = scoreOnNab(loadNab(dir), fit);
    assert.deepEqual(Object.fromEntries(trained), { "cat/long.csv": 750, "cat/short.csv": 300 });
    assert.equal(r.files.find((f) => f.name === "cat/long.csv")!.score.detected, 1);
    // The rule before 2026-12-05 (15 % of the time) trained on 1,500 rows and could not find that window.
    trained.clear();
    const old = scoreOnNab(loadNab(dir), fit, 0.15);
    assert.equal(trained.get("cat/long.csv"), 1500);
    assert.equal(old.files.find((f) => f.name === "cat/long.csv")!.score.detected, 0);
  });
});
