/**
 * The SageMaker training target with aws-sdk-client-mock around the real SDK clients (no network):
 * the request shapes, the backoff, the metrics, and the same gate and registry as local training.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { CreateModelPackageCommand, CreateTrainingJobCommand, DescribeTrainingJobCommand, type CreateTrainingJobCommandInput } from "@aws-sdk/client-sagemaker";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { jobName, runTrainingJob, TRAINING_JOB_NAME, type SageMakerTrainingConfig } from "../../ml/sagemaker/trainingJob.ts";
import { SageMakerRegistry } from "../../ml/registry/index.ts";
import { retrain } from "../../ml/retrainFlow.ts";
import { fakeSageMaker } from "./sagemakerFake.ts";
import { testEngine } from "../helpers/engine.ts";
import { seedGold } from "./goldFixture.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";

/** DeepAR's required hyperparameters (https://docs.aws.amazon.com/sagemaker/latest/dg/deepar_hyperparameters.html). */
const DEEPAR_HP = { time_freq: "H", prediction_length: "24", context_length: "72", epochs: "50" };

function config(f: ReturnType<typeof fakeSageMaker>, sleeps: number[]): SageMakerTrainingConfig {
  return {
    sagemaker: f.sagemaker, s3: f.s3, bucket: "hub-archive", region: "eu-west-1", roleArn: "arn:aws:iam::123456789012:role/acme-retraining",
    now: () => new Date("2026-01-29T00:00:00Z"), pollBaseMs: 1000, pollMaxMs: 3000, maxWaitMs: 60_000,
    sleep: async (ms) => void sleeps.push(ms), random: () => 0.5, nameSuffix: () => "c0ffee",
  };
}

describe("SageMaker training job", () => {
  it("exports under the tenant's prefix, creates the job with the image and string hyperparameters, and polls with capped exponential backoff", async () => {
    const f = fakeSageMaker();
    const sleeps: number[] = [];
    const states = ["InProgress", "InProgress", "InProgress", "InProgress", "Completed"];
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
        channels: { train: { body: '{"start":"2026-01-01 00:00:00","target":[1,2]}' }, test: { body: "{}" } },
        hyperParameters: DEEPAR_HP,
      });
      assert.equal(r.job, "hub-acme-forecast-20260129000000-c0ffee");
      assert.deepEqual(r.metrics, { "test:RMSE": 3.5, "test:mean_wQuantileLoss": 0.08 });
      const keys = f.s3m.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key);
      // DeepAR "determines the input format from the file extension (.json, .json.gz, or .parquet)":
      // https://docs.aws.amazon.com/sagemaker/latest/dg/deepar.html#deepar-inputoutput
      assert.deepEqual(keys, ["tenant=acme/models/forecast/hub-acme-forecast-20260129000000-c0ffee/train/data.json", "tenant=acme/models/forecast/hub-acme-forecast-20260129000000-c0ffee/test/data.json"]);
      const req = f.sm.commandCalls(CreateTrainingJobCommand)[0]!.args[0].input;
      assert.deepEqual(req.AlgorithmSpecification, { TrainingImage: "224300973850.dkr.ecr.eu-west-1.amazonaws.com/forecasting-deepar:1", TrainingInputMode: "File" });
      assert.equal(req.RoleArn, "arn:aws:iam::123456789012:role/acme-retraining");
      assert.deepEqual(req.HyperParameters, DEEPAR_HP);
      assert.deepEqual(req.InputDataConfig!.map((c) => [c.ChannelName, c.ContentType, c.DataSource!.S3DataSource!.S3DataDistributionType, c.DataSource!.S3DataSource!.S3Uri]), [
        ["train", undefined, "FullyReplicated", "s3://hub-archive/tenant=acme/models/forecast/hub-acme-forecast-20260129000000-c0ffee/train/"],
        ["test", undefined, "FullyReplicated", "s3://hub-archive/tenant=acme/models/forecast/hub-acme-forecast-20260129000000-c0ffee/test/"],
      ]);
      assert.equal(req.OutputDataConfig!.S3OutputPath, "s3://hub-archive/tenant=acme/models/forecast/hub-acme-forecast-20260129000000-c0ffee/output/");
      // base 1000 doubling, capped at 3000, times (0.5 + 0.5 / 2) jitter.
      assert.deepEqual(sleeps, [750, 1500, 2250, 2250]);
    } finally {
      f.sm.restore();
      f.s3m.restore();
    }
  });

  it("a failed job is an error with SageMaker's reason", async () => {
    const f = fakeSageMaker();
    f.sm.on(DescribeTrainingJobCommand).resolves({ TrainingJobStatus: "Failed", FailureReason: "ClientError: No training data in channel train" });
    try {
      await assert.rejects(
        runTrainingJob(config(f, []), { tenantId: "acme", model: "segments", channels: { train: { body: "1,2" } }, hyperParameters: { k: "2", feature_dim: "2" } }),
        /training job hub-acme-segments-20260129000000-c0ffee failed: ClientError: No training data in channel train/,
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
      // DeepAR inference takes JSON (and JSON Lines in batch transform), no CSV: deepar-in-formats.html.
      assert.deepEqual(req.InferenceSpecification!.SupportedContentTypes, ["application/json", "application/jsonlines"]);
      const train = f.s3m.commandCalls(PutObjectCommand).find((c) => c.args[0].input.Key!.endsWith("/train/data.json"))!.args[0].input;
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
      assert.match(o.reason, /bad model: training job hub-acme-forecast-\d+-c0ffee: metric test:RMSE is NaN/);
      assert.equal(o.failure, "bad model", "a model that could not be trained: scripts/retrain.ts exits 3");
      assert.equal(f.sm.commandCalls(CreateModelPackageCommand).length, 0);
    } finally {
      f.sm.restore();
      f.s3m.restore();
    }
  });

  it("a job that fails in SageMaker is that model's outcome, with SageMaker's reason; the run goes on to the next model", async () => {
    const f = fakeSageMaker();
    f.sm.on(DescribeTrainingJobCommand).resolves({ TrainingJobStatus: "Failed", FailureReason: "ClientError: No training data in channel train" });
    const wh = await engine.admin();
    try {
      const registry = new SageMakerRegistry({ sagemaker: f.sagemaker, s3: f.s3, bucket: "hub-archive" });
      const out = await retrain({ warehouse: wh, registry, tenants: ["acme"], models: ["forecast", "segments"], now: new Date("2026-01-29T00:00:00Z"), codeVersion: "t", sagemaker: config(f, []) });
      assert.deepEqual(out.map((o) => [o.model, o.decision, o.failure]), [["forecast", "not registered", "training job failed"], ["segments", "not registered", "training job failed"]]);
      assert.match(out[0]!.reason, /^training job hub-acme-forecast-\d+-c0ffee failed: ClientError: No training data in channel train$/);
      assert.equal(f.sm.commandCalls(CreateTrainingJobCommand).length, 2, "the second model's job started after the first failed");
      assert.equal(f.sm.commandCalls(CreateModelPackageCommand).length, 0);
    } finally {
      await wh.close();
      f.sm.restore();
      f.s3m.restore();
    }
  });
});

/**
 * Issue 25 §2 and §3: each algorithm's channels as its page documents them, checked by the fake
 * (tests/ml/sagemakerFake.ts keeps its own copy of the rules, with the page cited per rule).
 */
describe("channels per built-in algorithm", () => {
  const run = async (f: ReturnType<typeof fakeSageMaker>, model: "anomaly" | "segments" | "forecast", channels: Record<string, { body: string }>, hyperParameters: Record<string, string>) => {
    f.sm.on(DescribeTrainingJobCommand).resolves({ TrainingJobStatus: "Completed", ModelArtifacts: { S3ModelArtifacts: "s3://hub-archive/m.tar.gz" } });
    await runTrainingJob(config(f, []), { tenantId: "acme", model, channels, hyperParameters });
    return f.sm.commandCalls(CreateTrainingJobCommand).at(-1)!.args[0].input;
  };
  const shape = (req: CreateTrainingJobCommandInput) => req.InputDataConfig!.map((c) => [c.ChannelName, c.DataSource!.S3DataSource!.S3DataDistributionType, c.ContentType]);

  it("Random Cut Forest: train is ShardedByS3Key, text/csv;label_size=0 (randomcutforest.html#rcf-input_output: 'The train channel only supports S3DataDistributionType=ShardedByS3Key')", async () => {
    const f = fakeSageMaker();
    try {
      const req = await run(f, "anomaly", { train: { body: "1,2\n3,4" } }, { feature_dim: "2", num_trees: "100" });
      assert.deepEqual(shape(req), [["train", "ShardedByS3Key", "text/csv;label_size=0"]]);
      assert.match(f.s3m.commandCalls(PutObjectCommand)[0]!.args[0].input.Key!, /\/train\/data\.csv$/);
    } finally {
      f.restore();
    }
  });

  it("K-Means: train ShardedByS3Key, test FullyReplicated, both text/csv;label_size=0 (k-means.html#km-inputoutput; cdf-training.html: unsupervised CSV declares label_size=0)", async () => {
    const f = fakeSageMaker();
    try {
      const req = await run(f, "segments", { train: { body: "1,2" }, test: { body: "1,2" } }, { k: "2", feature_dim: "2" });
      assert.deepEqual(shape(req), [["train", "ShardedByS3Key", "text/csv;label_size=0"], ["test", "FullyReplicated", "text/csv;label_size=0"]]);
    } finally {
      f.restore();
    }
  });

  it("the fake refuses what the old code sent, with the service's error shape: RCF train FullyReplicated, K-Means plain text/csv, DeepAR objects with no extension", async () => {
    const f = fakeSageMaker();
    const image = (a: string) => `${a === "forecasting-deepar" ? "224300973850" : "438346466558"}.dkr.ecr.eu-west-1.amazonaws.com/${a}:1`;
    await f.s3.send(new PutObjectCommand({ Bucket: "b", Key: "p/train/data", Body: "x" }));
    const old = (algorithm: string, contentType: string | undefined, distribution: "FullyReplicated" | "ShardedByS3Key", hp: Record<string, string>) =>
      f.sagemaker.send(new CreateTrainingJobCommand({
        TrainingJobName: `old-${algorithm}`, RoleArn: "arn:aws:iam::123456789012:role/r", AlgorithmSpecification: { TrainingImage: image(algorithm), TrainingInputMode: "File" },
        HyperParameters: hp, OutputDataConfig: { S3OutputPath: "s3://b/out/" }, ResourceConfig: { InstanceType: "ml.m5.large", InstanceCount: 1, VolumeSizeInGB: 10 }, StoppingCondition: { MaxRuntimeInSeconds: 60 },
        InputDataConfig: [{ ChannelName: "train", ...(contentType ? { ContentType: contentType } : {}), DataSource: { S3DataSource: { S3DataType: "S3Prefix", S3Uri: "s3://b/p/train/", S3DataDistributionType: distribution } } }],
      }));
    const isValidation = (re: RegExp) => (e: Error & { $fault?: string; $metadata?: { httpStatusCode?: number } }) => {
      assert.equal(e.name, "ValidationException");
      assert.equal(e.$fault, "client");
      assert.equal(e.$metadata?.httpStatusCode, 400);
      assert.match(e.message, re);
      return true;
    };
    try {
      await assert.rejects(old("randomcutforest", "text/csv;label_size=0", "FullyReplicated", { feature_dim: "2" }), isValidation(/train channel supports S3DataDistributionType ShardedByS3Key, not FullyReplicated/));
      await assert.rejects(old("kmeans", "text/csv", "ShardedByS3Key", { k: "2", feature_dim: "2" }), isValidation(/does not support ContentType text\/csv; supported: text\/csv;label_size=0/));
      await assert.rejects(old("forecasting-deepar", undefined, "FullyReplicated", DEEPAR_HP), isValidation(/reads the format from the file extension \(\.json, \.json\.gz, \.parquet\)/));
      await assert.rejects(old("forecasting-deepar", "application/jsonlines", "FullyReplicated", DEEPAR_HP), isValidation(/does not support ContentType application\/jsonlines/));
      await assert.rejects(old("randomcutforest", "text/csv;label_size=0", "ShardedByS3Key", { feature_dim: "2", num_trees: "10" }), isValidation(/hyperparameter num_trees = 10 is not a valid value \(integer 50\.\.1000\)/));
      await assert.rejects(old("kmeans", "text/csv;label_size=0", "ShardedByS3Key", { k: "2" }), isValidation(/kmeans requires the hyperparameter\(s\) feature_dim/));
    } finally {
      f.restore();
    }
  });

  it("required hyperparameters are refused by name before anything is uploaded (rcf_hyperparameters.html, k-means-api-config.html, deepar_hyperparameters.html)", async () => {
    const f = fakeSageMaker();
    try {
      await assert.rejects(runTrainingJob(config(f, []), { tenantId: "acme", model: "segments", channels: { train: { body: "1" } }, hyperParameters: { k: "2" } }), /kmeans requires the hyperparameter\(s\) feature_dim/);
      await assert.rejects(runTrainingJob(config(f, []), { tenantId: "acme", model: "forecast", channels: { train: { body: "{}" } }, hyperParameters: { time_freq: "H", prediction_length: "24" } }), /forecasting-deepar requires the hyperparameter\(s\) context_length, epochs/);
      await assert.rejects(runTrainingJob(config(f, []), { tenantId: "acme", model: "anomaly", channels: { test: { body: "1" } }, hyperParameters: { feature_dim: "1" } }), /randomcutforest takes no "test" channel here/);
      await assert.rejects(runTrainingJob(config(f, []), { tenantId: "acme", model: "anomaly", channels: { train: { body: "1" } }, hyperParameters: { feature_dim: "2", num_trees: "10" } }), /randomcutforest hyperparameter num_trees = "10" is not an integer in 50\.\.1000/);
      await assert.rejects(runTrainingJob(config(f, []), { tenantId: "acme", model: "forecast", channels: { train: { body: "{}" } }, hyperParameters: { ...DEEPAR_HP, time_freq: "hourly" } }), /time_freq = "hourly" is not an integer followed by M, W, D, H or min/);
      await assert.rejects(runTrainingJob({ ...config(f, []), region: "mars-1" }, { tenantId: "acme", model: "anomaly", channels: { train: { body: "1" } }, hyperParameters: { feature_dim: "1" } }), /no randomcutforest image is known for region "mars-1"/);
      assert.equal(f.s3m.commandCalls(PutObjectCommand).length, 0, "nothing uploaded");
      assert.equal(f.sm.commandCalls(CreateTrainingJobCommand).length, 0, "nothing paid for");
    } finally {
      f.restore();
    }
  });
});

describe("training job names (API_CreateTrainingJob: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$, at most 63, unique per account and region)", () => {
  it("two runs in the same second get different names; the old name (seconds only) collided", async () => {
    const at = new Date("2026-01-29T00:00:00Z");
    const names = new Set(Array.from({ length: 200 }, () => jobName("acme", "forecast", at)));
    assert.equal(names.size, 200);
    for (const n of names) assert.match(n, /^hub-acme-forecast-20260129000000-[0-9a-f]{6}$/);
  });

  it("a 31-character tenant id shortens the prefix, never the time or the random part", () => {
    const n = jobName("t".repeat(31), "segments", new Date("2026-01-29T00:00:00Z"), "abcdef");
    assert.ok(n.length <= 63, n);
    assert.match(n, TRAINING_JOB_NAME);
    assert.ok(n.endsWith("-20260129000000-abcdef"), n);
  });

  it("the fake refuses a reused name (ResourceInUse) and a name outside the pattern (ValidationException in the API's words)", async () => {
    const f = fakeSageMaker();
    f.sm.on(DescribeTrainingJobCommand).resolves({ TrainingJobStatus: "Completed", ModelArtifacts: { S3ModelArtifacts: "s3://b/m.tar.gz" } });
    const spec = { tenantId: "acme", model: "anomaly" as const, channels: { train: { body: "1,2" } }, hyperParameters: { feature_dim: "2" } };
    try {
      await runTrainingJob(config(f, []), spec);
      await assert.rejects(runTrainingJob(config(f, []), spec), (e: Error) => e.name === "ResourceInUse" && /must be unique/.test(e.message));
      // Two runs in the same second with the default random suffix: both start.
      await runTrainingJob({ ...config(f, []), nameSuffix: undefined }, spec);
      await runTrainingJob({ ...config(f, []), nameSuffix: undefined }, spec);
      assert.equal(f.jobs.size, 3);
      await assert.rejects(
        f.sagemaker.send(new CreateTrainingJobCommand({ TrainingJobName: "hub_acme", AlgorithmSpecification: { TrainingInputMode: "File" }, RoleArn: "r", OutputDataConfig: { S3OutputPath: "s3://b/" }, ResourceConfig: undefined, StoppingCondition: undefined })),
        (e: Error) => e.name === "ValidationException" && e.message === "1 validation error detected: Value 'hub_acme' at 'trainingJobName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
      );
    } finally {
      f.restore();
    }
  });
});
