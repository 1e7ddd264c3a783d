/**
 * Scoring with a served model (scripts/score.ts): the InvokeEndpoint request per built-in
 * algorithm and the answer in the ML tables' shape, with aws-sdk-client-mock around the real
 * SageMaker runtime client; and the script's refusals.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { mockClient } from "aws-sdk-client-mock";
import { InvokeEndpointCommand, SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { invokeModel } from "../../ml/sagemaker/endpointScoring.ts";
import { makeSeries } from "../../ml/series.ts";
import { CHILD_PROCESS_BOUND_MS } from "../helpers/childProcessBound.ts";

const client = new SageMakerRuntimeClient({ region: "eu-west-1", credentials: { accessKeyId: "t", secretAccessKey: "t" } });
const rt = mockClient(client);
after(() => rt.restore());
const body = (x: unknown) => new TextEncoder().encode(JSON.stringify(x)) as never;
const sent = () => {
  const i = rt.commandCalls(InvokeEndpointCommand).at(-1)!.args[0].input;
  return { ...i, Body: new TextDecoder().decode(i.Body as Uint8Array) };
};

describe("InvokeEndpoint per algorithm", () => {
  it("forecast: DeepAR JSON instances in, Cortex forecast rows with the 95 % quantiles out", async () => {
    rt.on(InvokeEndpointCommand).resolves({ Body: body({ predictions: [{ mean: [10, 11], quantiles: { "0.025": [8, 9], "0.975": [12, 13] } }] }) });
    const s = makeSeries("kwh:acme-em-1", new Date("2026-01-28T00:00:00Z"), 3_600_000, [5, Number.NaN, 7], "acme");
    const rows = await invokeModel(client, "hub-acme-forecast", "forecast", { kind: "series", series: [s] });
    const req = sent();
    assert.deepEqual([req.EndpointName, req.ContentType, req.Accept], ["hub-acme-forecast", "application/json", "application/json"]);
    assert.deepEqual(JSON.parse(req.Body), {
      instances: [{ start: "2026-01-28 00:00:00", target: [5, "NaN", 7] }],
      configuration: { num_samples: 100, output_types: ["mean", "quantiles"], quantiles: ["0.025", "0.975"] },
    });
    assert.deepEqual(rows, [
      { series_id: "kwh:acme-em-1", ts: new Date("2026-01-28T03:00:00Z"), forecast: 10, lower_bound: 8, upper_bound: 12 },
      { series_id: "kwh:acme-em-1", ts: new Date("2026-01-28T04:00:00Z"), forecast: 11, lower_bound: 9, upper_bound: 13 },
    ]);
  });

  it("anomaly: CSV rows to Random Cut Forest, one score per row", async () => {
    rt.on(InvokeEndpointCommand).resolves({ Body: body({ scores: [{ score: 0.8 }, { score: 3.9 }] }) });
    const rows = await invokeModel(client, "hub-acme-anomaly", "anomaly", { kind: "rows", ids: ["acme-m-1", "acme-m-1"], rows: [[50, 55], [180, 140]] });
    assert.deepEqual([sent().ContentType, sent().Body], ["text/csv", "50,55\n180,140"]);
    assert.deepEqual(rows, [{ series_id: "acme-m-1", score: 0.8 }, { series_id: "acme-m-1", score: 3.9 }]);
  });

  it("segments: CSV rows to K-Means, the closest cluster per machine", async () => {
    rt.on(InvokeEndpointCommand).resolves({ Body: body({ predictions: [{ closest_cluster: 2, distance_to_cluster: 0.1 }] }) });
    const rows = await invokeModel(client, "hub-acme-segments", "segments", { kind: "rows", ids: ["machine:acme-m-1"], rows: [[0.7, 0.5, 40, 0.02]] });
    assert.deepEqual(rows, [{ series_id: "machine:acme-m-1", segment: 2, distance: 0.1 }]);
  });

  it("an answer that does not fit the request is an error, not a silent short table", async () => {
    rt.on(InvokeEndpointCommand).resolves({ Body: body({ scores: [{ score: 1 }] }) });
    await assert.rejects(invokeModel(client, "e", "anomaly", { kind: "rows", ids: ["a", "b"], rows: [[1, 2], [3, 4]] }), /answered 1 scores for 2 rows/);
    await assert.rejects(invokeModel(client, "e", "forecast", { kind: "series", series: [] }), /nothing to score for forecast/);
  });
});

describe("scripts/score.ts", () => {
  it("refuses to run without a region, in one line", async () => {
    const script = join(import.meta.dirname, "../../scripts/score.ts");
    const env = { ...process.env, AWS_REGION: "" };
    await assert.rejects(promisify(execFile)(process.execPath, ["--import", "tsx", script, "--tenant", "acme", "--model", "forecast"], { env, timeout: CHILD_PROCESS_BOUND_MS }), (e: { code: number; stderr: string }) => {
      assert.equal(e.code, 1);
      assert.match(e.stderr, /score: --region \(or AWS_REGION\) is required/);
      return true;
    });
  });

  it("--target local needs no region: it reads the hub's registry (here: no hub, said in one line)", async () => {
    const script = join(import.meta.dirname, "../../scripts/score.ts");
    const env = { ...process.env, AWS_REGION: "" };
    const home = join(import.meta.dirname, "no-such-hub");
    await assert.rejects(promisify(execFile)(process.execPath, ["--import", "tsx", script, "--tenant", "acme", "--model", "forecast", "--target", "local", "--home", home], { env, timeout: CHILD_PROCESS_BOUND_MS }), (e: { code: number; stderr: string }) => {
      assert.equal(e.code, 1);
      assert.match(e.stderr, /score: there is no hub at .*no-such-hub/);
      return true;
    });
  });
});
