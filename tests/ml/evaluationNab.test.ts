import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { loadNab, parseNabCsv, scoreOnNab } from "../../ml/evaluation/nab.ts";
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
});
