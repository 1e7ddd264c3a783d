/**
 * Local serving (issue 24, part 4): the registry's champion answers InvokeEndpoint's request in the
 * SageMaker algorithm's shape, parsed by the same code as the SageMaker answer; real trainers and a
 * real local registry in a temporary folder.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalRegistry, type RecordDraft } from "../../ml/registry/index.ts";
import { RandomCutForest, SeasonalProfileForecaster, loadStreamingDetector, segmentMachines, type RandomCutForestJSON } from "../../ml/trainers/index.ts";
import { LocalEndpoint, LocalEndpointError, invokeLocalModel } from "../../ml/serving/localEndpoint.ts";
import { csvRequest, deeparRequest } from "../../ml/sagemaker/endpointScoring.ts";
import type { ModelKind, Series } from "../../ml/contract.ts";
import { HOUR, gaussian, shiftSeries } from "./fixtures.ts";

function draft(model: ModelKind, parameters: Record<string, unknown> = {}): RecordDraft {
  return {
    tenantId: "acme", model, algorithm: "x", parameters, trainingWindow: { from: "2026-01-05T00:00:00.000Z", to: "2026-02-01T00:00:00.000Z" }, rowCount: 100,
    dataHash: "b".repeat(64), codeVersion: "test", metrics: { m: 1 }, baselineMetrics: { m: 2 }, approvalStatus: "Approved", reason: "test champion",
  };
}

describe("local serving: the champion behind InvokeEndpoint's request and answer", () => {
  let home: string;
  let registry: LocalRegistry;
  let endpoint: LocalEndpoint;
  const meters = ["kwh:acme-em-1", "kwh:acme-em-2"].map((id, i) => shiftSeries(28, 10 + i, id).series);
  const fitted = meters.map((s) => new SeasonalProfileForecaster().fit({ ...s, points: s.points.slice(0, 21 * 24) }));
  const recent = (s: Series): Series => ({ ...s, points: s.points.slice(-168) });
  const g = gaussian(2);
  const forests: Record<string, RandomCutForestJSON> = {};
  for (const m of ["acme-m-1", "acme-m-2"]) {
    const f = new RandomCutForest({ dimensions: 2, seed: 7, trees: 10, sampleSize: 64 });
    for (let i = 0; i < 300; i++) f.update([50 + 5 * g(), 60 + 3 * g()]);
    forests[m] = f.toJSON();
  }
  const machines = Array.from({ length: 12 }, (_, i) => ({ id: `acme-m-${i}`, features: i < 6 ? [0.8 + 0.01 * i, 40] : [0.3 + 0.01 * i, 70] }));
  const segmentation = segmentMachines(machines, { features: ["utilization", "spindle_load"], seed: 1, kRange: [2, 3] });

  before(async () => {
    home = mkdtempSync(join(tmpdir(), "hub-serving-"));
    registry = new LocalRegistry(home);
    endpoint = new LocalEndpoint(registry);
    await registry.register(draft("forecast", { horizonHours: 24 }), { kind: "json", body: { kind: "forecast", models: Object.fromEntries(fitted.map((m, i) => [meters[i]!.seriesId, m.toJSON()])) } });
    await registry.register(draft("anomaly"), { kind: "json", body: { kind: "anomaly", models: {}, streaming: forests } });
    await registry.register(draft("segments"), { kind: "json", body: { kind: "segments", model: segmentation.toJSON() } });
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  it("forecast: DeepAR's request in, DeepAR's predictions out: the champion's 24 h from the instance's history, quantiles from its intervals", async () => {
    const s = recent(meters[0]!);
    const res = await endpoint.invoke("acme", "forecast", { ...deeparRequest([s]), customAttributes: `series_id=${s.seriesId}` });
    assert.equal(res.contentType, "application/json");
    const body = JSON.parse(res.body) as { predictions: { mean: number[]; quantiles: Record<string, number[]> }[] };
    assert.equal(body.predictions.length, 1);
    const expected = fitted[0]!.forecast(24, { history: s, level: 0.95 });
    assert.deepEqual(body.predictions[0]!.mean, expected.map((r) => r.forecast));
    assert.deepEqual(Object.keys(body.predictions[0]!.quantiles).sort(), ["0.025", "0.975"]);
    assert.deepEqual(body.predictions[0]!.quantiles["0.025"], expected.map((r) => r.lower_bound));
    assert.deepEqual(body.predictions[0]!.quantiles["0.975"], expected.map((r) => r.upper_bound));
  });

  it("forecast through score.ts's path: one request per series, the same rows as the SageMaker answer would parse to", async () => {
    const rows = await invokeLocalModel(endpoint, "acme", "forecast", { kind: "series", series: meters.map(recent) });
    assert.equal(rows.length, 48);
    const last = meters[1]!.points.at(-1)!.ts.getTime();
    assert.deepEqual(Object.keys(rows[24]!), ["series_id", "ts", "forecast", "lower_bound", "upper_bound"]);
    assert.equal(rows[24]!.series_id, "kwh:acme-em-2");
    assert.deepEqual(rows[24]!.ts, new Date(last + HOUR));
  });

  it("anomaly: CSV rows in, one Random Cut Forest score per row out, from that machine's forest, which does not learn from them", async () => {
    const rows = [[50, 60], [51, 59], [140, 10]];
    const req = { ...csvRequest(rows), customAttributes: "series_id=acme-m-2" };
    const first = JSON.parse((await endpoint.invoke("acme", "anomaly", req)).body) as { scores: { score: number }[] };
    const again = JSON.parse((await endpoint.invoke("acme", "anomaly", req)).body) as { scores: { score: number }[] };
    const forest = loadStreamingDetector(forests["acme-m-2"]!);
    assert.deepEqual(first.scores.map((s) => s.score), rows.map((r) => forest.score(r)));
    assert.deepEqual(again, first);
    assert.ok(first.scores[2]!.score > 2 * first.scores[0]!.score, `outlier ${first.scores[2]!.score} vs ${first.scores[0]!.score}`);
  });

  it("segments: CSV rows in, K-Means' closest cluster per row out", async () => {
    const rows = await invokeLocalModel(endpoint, "acme", "segments", { kind: "rows", ids: ["machine:a", "machine:b"], rows: [[0.82, 41], [0.35, 69]] });
    assert.deepEqual(rows.map((r) => r.segment), [segmentation.assign([0.82, 41]), segmentation.assign([0.35, 69])]);
    assert.notEqual(rows[0]!.segment, rows[1]!.segment);
  });

  it("refuses what SageMaker would: no champion (404), a series it has no model for, the wrong content type, a body that is not the format (400)", async () => {
    const status = (p: Promise<unknown>, code: number, re: RegExp) => assert.rejects(p, (e: unknown) => e instanceof LocalEndpointError && e.status === code && re.test(e.message));
    await status(endpoint.invoke("globex", "forecast", deeparRequest([recent(meters[0]!)])), 404, /no Approved forecast model for tenant globex/);
    await status(endpoint.invoke("acme", "forecast", deeparRequest([recent(meters[0]!)])), 400, /one forecast model per series \(2\); name the series with CustomAttributes series_id=<id>/);
    await status(endpoint.invoke("acme", "anomaly", { ...csvRequest([[1, 2]]), customAttributes: "series_id=acme-m-9" }), 400, /no random cut forest for series acme-m-9/);
    await status(endpoint.invoke("acme", "segments", deeparRequest([recent(meters[0]!)])), 400, /takes text\/csv/);
    await status(endpoint.invoke("acme", "segments", { contentType: "text/csv", body: "0.5,abc" }), 400, /row 1 is not numbers/);
  });

  it("a new champion answers the next request", async () => {
    const s = recent(meters[0]!);
    await registry.register(draft("forecast", { horizonHours: 6 }), { kind: "json", body: { kind: "forecast", models: { [s.seriesId]: fitted[0]!.toJSON() } } });
    const res = await endpoint.invoke("acme", "forecast", deeparRequest([s]));
    assert.equal(res.modelVersion, 2);
    assert.equal((JSON.parse(res.body) as { predictions: { mean: number[] }[] }).predictions[0]!.mean.length, 6);
  });
});
