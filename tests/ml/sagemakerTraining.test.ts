/**
 * The SageMaker training target with aws-sdk-client-mock around the real SDK clients (no network):
 * the request shapes, the backoff, the metrics, and the same gate and registry as local training.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { CreateModelPackageCommand, CreateTrainingJobCommand, DescribeTrainingJobCommand } from "@aws-sdk/client-sagemaker";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { builtInImage } from "../../ml/sagemaker/images.ts";
import { runTrainingJob, type SageMakerTrainingConfig } from "../../ml/sagemaker/trainingJob.ts";
import { SageMakerRegistry } from "../../ml/registry/index.ts";
import { retrain } from "../../ml/retrainFlow.ts";
import { fakeSageMaker } from "./sagemakerFake.ts";
import { testEngine } from "../helpers/engine.ts";
import { seedGold } from "./goldFixture.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";

describe("built-in algorithm images", () => {
  it("names the region's registry account for each algorithm", () => {
    assert.equal(builtInImage("forecasting-deepar", "eu-west-1"), "224300973850.dkr.ecr.eu-west-1.amazonaws.com/forecasting-deepar:1");
    assert.equal(builtInImage("randomcutforest", "us-east-1"), "382416733822.dkr.ecr.us-east-1.amazonaws.com/randomcutforest:1");
    assert.equal(builtInImage("kmeans", "cn-north-1"), "390948362332.dkr.ecr.cn-north-1.amazonaws.com.cn/kmeans:1");
    assert.throws(() => builtInImage("kmeans", "mars-1"), /no kmeans image is known for region "mars-1"; known: af-south-1/);
  });
});

function config(f: ReturnType<typeof fakeSageMaker>, sleeps: number[]): SageMakerTrainingConfig {
  return {
    sagemaker: f.sagemaker, s3: f.s3, bucket: "hub-archive", region: "eu-west-1", roleArn: "arn:aws:iam::123456789012:role/acme-retraining",
    now: () => new Date("2026-01-29T00:00:00Z"), pollBaseMs: 1000, pollMaxMs: 3000, maxWaitMs: 60_000,
    sleep: async (ms) => void sleeps.push(ms), random: () => 0.5,
  };
}

describe("SageMaker training job", () => {
  it("exports under the tenant's prefix, creates the job with the image and string hyperparameters, and polls with capped exponential backoff", async () => {
    const f = fakeSageMaker();
    const sleeps: number[] = [];
    const states = ["InProgress", "InProgress", "InProgress", "InProgress", "Completed"];
    f.sm.on(CreateTrainingJobCommand).resolves({ TrainingJobArn: "arn:aws:sagemaker:eu-west-1:123456789012:training-job/x" });
    f.sm.on(DescribeTrainingJobCommand).callsFake(() => {
      const s = states.shift()!;
      return {
        TrainingJobStatus: s, SecondaryStatus: s === "Completed" ? "Completed" : "Training",
        ...(s === "Completed" ? { FinalMetricDataList: [{ MetricName: "test:RMSE", Value: 3.5 }, { MetricName: "test:mean_wQuantileLoss", Value: 0.08 }], ModelArtifacts: { S3ModelArtifacts: "s3://hub-archive/tenant=acme/models/forecast/j/output/model.tar.gz" } } : {}),
      };
    });
    try {
      const r = await runTrainingJob(config(f, sleeps), {
        tenantId: "acme", model: "forecast",
        channels: { train: { body: '{"start":"2026-01-01 00:00:00","target":[1,2]}', contentType: "application/jsonlines" }, test: { body: "{}", contentType: "application/jsonlines" } },
        hyperParameters: { time_freq: "H", prediction_length: "24" },
      });
      assert.equal(r.job, "hub-acme-forecast-20260129000000");
      assert.deepEqual(r.metrics, { "test:RMSE": 3.5, "test:mean_wQuantileLoss": 0.08 });
      const keys = f.s3m.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key);
      assert.deepEqual(keys, ["tenant=acme/models/forecast/hub-acme-forecast-20260129000000/train/data", "tenant=acme/models/forecast/hub-acme-forecast-20260129000000/test/data"]);
      const req = f.sm.commandCalls(CreateTrainingJobCommand)[0]!.args[0].input;
      assert.deepEqual(req.AlgorithmSpecification, { TrainingImage: "224300973850.dkr.ecr.eu-west-1.amazonaws.com/forecasting-deepar:1", TrainingInputMode: "File" });
      assert.equal(req.RoleArn, "arn:aws:iam::123456789012:role/acme-retraining");
      assert.deepEqual(req.HyperParameters, { time_freq: "H", prediction_length: "24" });
      assert.deepEqual(req.InputDataConfig!.map((c) => [c.ChannelName, c.ContentType, c.DataSource!.S3DataSource!.S3Uri]), [
        ["train", "application/jsonlines", "s3://hub-archive/tenant=acme/models/forecast/hub-acme-forecast-20260129000000/train/"],
        ["test", "application/jsonlines", "s3://hub-archive/tenant=acme/models/forecast/hub-acme-forecast-20260129000000/test/"],
      ]);
      assert.equal(req.OutputDataConfig!.S3OutputPath, "s3://hub-archive/tenant=acme/models/forecast/hub-acme-forecast-20260129000000/output/");
      // base 1000 doubling, capped at 3000, times (0.5 + 0.5 / 2) jitter.
      assert.deepEqual(sleeps, [750, 1500, 2250, 2250]);
    } finally {
      f.sm.restore();
      f.s3m.restore();
    }
  });

  it("a failed job is an error with SageMaker's reason", async () => {
    const f = fakeSageMaker();
    f.sm.on(CreateTrainingJobCommand).resolves({});
    f.sm.on(DescribeTrainingJobCommand).resolves({ TrainingJobStatus: "Failed", FailureReason: "ClientError: No training data in channel train" });
    try {
      await assert.rejects(
        runTrainingJob(config(f, []), { tenantId: "acme", model: "segments", channels: { train: { body: "1,2", contentType: "text/csv" } }, hyperParameters: { k: "2" } }),
        /training job hub-acme-segments-20260129000000 failed: ClientError: No training data in channel train/,
      );
    } finally {
      f.sm.restore();
      f.s3m.restore();
    }
  });
});

describe("retraining on SageMaker through the same gate", () => {
  let engine: EmbeddedEngine;
  before(async () => {
    const t = await testEngine("2026-01-29T00:00:00Z");
    engine = t.engine;
    await seedGold(engine, t.clock.now(), 28, [{ tenantId: "acme", machines: 3, meters: 2 }]);
  });
  after(() => engine.close());

  const flow = async (f: ReturnType<typeof fakeSageMaker>, rmse: number) => {
    f.sm.on(CreateTrainingJobCommand).resolves({});
    f.sm.on(DescribeTrainingJobCommand).resolves({
      TrainingJobStatus: "Completed", FinalMetricDataList: [{ MetricName: "test:RMSE", Value: rmse }],
      ModelArtifacts: { S3ModelArtifacts: "s3://hub-archive/tenant=acme/models/forecast/j/output/model.tar.gz" },
    });
    const wh = await engine.admin();
    try {
      const registry = new SageMakerRegistry({ sagemaker: f.sagemaker, s3: f.s3, bucket: "hub-archive" });
      const [o] = await retrain({ warehouse: wh, registry, tenants: ["acme"], models: ["forecast"], now: new Date("2026-01-29T00:00:00Z"), codeVersion: "t", sagemaker: config(f, []) });
      return o!;
    } finally {
      await wh.close();
    }
  };

  it("registers the job's model package with the gate's decision against the seasonal-naive RMSE on the same hours", async () => {
    const f = fakeSageMaker();
    try {
      const o = await flow(f, 0.5);
      assert.equal(o.decision, "Approved", o.reason);
      assert.ok(o.baseline!["test:RMSE"]! > 0.5);
      const req = f.sm.commandCalls(CreateModelPackageCommand)[0]!.args[0].input;
      assert.equal(req.ModelPackageGroupName, "hub-acme-forecast");
      assert.equal(req.ModelApprovalStatus, "Approved");
      assert.equal(req.CustomerMetadataProperties!["metric.test:RMSE"], "0.5");
      assert.deepEqual(req.InferenceSpecification!.Containers, [{ Image: "224300973850.dkr.ecr.eu-west-1.amazonaws.com/forecasting-deepar:1", ModelDataUrl: "s3://hub-archive/tenant=acme/models/forecast/j/output/model.tar.gz" }]);
      const train = f.s3m.commandCalls(PutObjectCommand).find((c) => c.args[0].input.Key!.endsWith("/train/data"))!.args[0].input;
      const line = JSON.parse(String(train.Body).split("\n")[0]!) as { start: string; target: number[] };
      assert.equal(line.start, "2026-01-01 00:00:00");
      assert.equal(line.target.length, 28 * 24 - 24, "train ends prediction_length hours before test");
    } finally {
      f.sm.restore();
      f.s3m.restore();
    }
  });

  it("a job that reports a NaN metric is never registered", async () => {
    const f = fakeSageMaker();
    try {
      const o = await flow(f, Number.NaN);
      assert.equal(o.decision, "not registered");
      assert.match(o.reason, /bad model: training job hub-acme-forecast-\d+: metric test:RMSE is NaN/);
      assert.equal(o.failure, "bad model", "a model that could not be trained: scripts/retrain.ts exits 3");
      assert.equal(f.sm.commandCalls(CreateModelPackageCommand).length, 0);
    } finally {
      f.sm.restore();
      f.s3m.restore();
    }
  });

  it("a job that fails in SageMaker is that model's outcome, with SageMaker's reason; the run goes on to the next model", async () => {
    const f = fakeSageMaker();
    f.sm.on(CreateTrainingJobCommand).resolves({});
    f.sm.on(DescribeTrainingJobCommand).resolves({ TrainingJobStatus: "Failed", FailureReason: "ClientError: No training data in channel train" });
    const wh = await engine.admin();
    try {
      const registry = new SageMakerRegistry({ sagemaker: f.sagemaker, s3: f.s3, bucket: "hub-archive" });
      const out = await retrain({ warehouse: wh, registry, tenants: ["acme"], models: ["forecast", "segments"], now: new Date("2026-01-29T00:00:00Z"), codeVersion: "t", sagemaker: config(f, []) });
      assert.deepEqual(out.map((o) => [o.model, o.decision, o.failure]), [["forecast", "not registered", "training job failed"], ["segments", "not registered", "training job failed"]]);
      assert.match(out[0]!.reason, /^training job hub-acme-forecast-\d+ failed: ClientError: No training data in channel train$/);
      assert.equal(f.sm.commandCalls(CreateTrainingJobCommand).length, 2, "the second model's job started after the first failed");
      assert.equal(f.sm.commandCalls(CreateModelPackageCommand).length, 0);
    } finally {
      await wh.close();
      f.sm.restore();
      f.s3m.restore();
    }
  });
});
