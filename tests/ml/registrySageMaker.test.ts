/**
 * The SageMaker registry against the fake's documented limits (issue 25 §2, §3): metadata keys
 * and values as CreateModelPackage takes them, refused before a training job is paid for; an
 * existing model package group; rollback that changes what the endpoint serves, or says a deploy
 * is needed; versions described with bounded concurrency.
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModelPackage.html
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CreateModelPackageCommand, CreateTrainingJobCommand, UpdateEndpointCommand } from "@aws-sdk/client-sagemaker";
import { checkRegistrationMetadata, DESCRIBE_CONCURRENCY, encodeMetadata, RegistryError, SageMakerRegistry, type RecordDraft } from "../../ml/registry/index.ts";
import { fakeSageMaker } from "./sagemakerFake.ts";

function draft(over: Partial<RecordDraft> = {}): RecordDraft {
  return {
    tenantId: "acme", model: "forecast", algorithm: "sagemaker:forecasting-deepar", parameters: { time_freq: "H" },
    trainingWindow: { from: "2026-01-01T00:00:00.000Z", to: "2026-01-29T00:00:00.000Z" }, rowCount: 672,
    dataHash: "a".repeat(64), codeVersion: "35aff07", metrics: { "test:RMSE": 1 }, baselineMetrics: { "test:RMSE": 2 },
    approvalStatus: "Approved", reason: "beats the baseline", ...over,
  };
}
const artifact = { kind: "sagemaker" as const, image: "224300973850.dkr.ecr.eu-west-1.amazonaws.com/forecasting-deepar:1", modelDataUrl: "s3://hub-archive/m.tar.gz" };

describe("CreateModelPackage metadata limits (CustomerMetadataKey 1..128, CustomerMetadataValue 1..256, [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@], at most 50 entries)", () => {
  it("the fake refuses a key outside the characters with a ValidationException; the registry stores such a metric name base64-encoded and reads it back", async () => {
    const f = fakeSageMaker();
    try {
      await assert.rejects(
        f.sagemaker.send(new CreateModelPackageCommand({ ModelPackageGroupName: "hub-acme-forecast", CustomerMetadataProperties: { "metric.test:wQuantileLoss[0.5]": "1" } })),
        (e: Error) => e.name === "ValidationException" && /^1 validation error detected: Value 'metric\.test:wQuantileLoss\[0\.5\]' at 'customerMetadataProperties' failed to satisfy constraint: Map keys must satisfy constraint/.test(e.message),
      );
      const r = new SageMakerRegistry({ sagemaker: f.sagemaker, s3: f.s3, bucket: "hub-archive" });
      const v = await r.register(draft({ metrics: { "test:RMSE": 1, "test:wQuantileLoss[0.5]": 0.1 } }), artifact);
      assert.deepEqual(v.metrics, { "test:RMSE": 1, "test:wQuantileLoss[0.5]": 0.1 });
      const sent = f.sm.commandCalls(CreateModelPackageCommand).at(-1)!.args[0].input.CustomerMetadataProperties!;
      assert.equal(sent[`metric64.${Buffer.from("test:wQuantileLoss[0.5]").toString("base64")}`], "0.1");
      assert.throws(() => encodeMetadata({ ...draft(), metrics: { ["m".repeat(130)]: 1 }, createdAt: "2026-02-01T00:00:00.000Z" }), /metric name "m{130}" is too long for a SageMaker CustomerMetadataProperties key/);
      await assert.rejects(r.register(draft({ codeVersion: "35aff07 (dirty)" }), artifact), (e: Error) => e instanceof RegistryError && /codeVersion = "35aff07 \(dirty\)" cannot be a SageMaker metadata value/.test(e.message));
      assert.equal(f.sm.commandCalls(CreateModelPackageCommand).length, 2, "the refused record never reached the service");
    } finally {
      f.restore();
    }
  });

  it("a group the tenant stack did not create is refused by the fake, and the registry says which stack setting adds it", async () => {
    const f = fakeSageMaker({ groups: ["hub-acme-anomaly"] });
    try {
      const r = new SageMakerRegistry({ sagemaker: f.sagemaker, s3: f.s3, bucket: "hub-archive" });
      await assert.rejects(r.register(draft(), artifact), /model package group hub-acme-forecast does not exist: add "forecast" to hub:models/);
    } finally {
      f.restore();
    }
  });

  it("before a training job: a record whose package would be refused (too many entries, a bad code version) is refused with the field and value", () => {
    const base = { tenantId: "acme", model: "segments" as const, algorithm: "sagemaker:kmeans", parameters: { k: "3" }, trainingWindow: draft().trainingWindow, rowCount: 3, dataHash: "a".repeat(64), codeVersion: "35aff07", baselineMetrics: { "test:msd": 1 } };
    assert.doesNotThrow(() => checkRegistrationMetadata(base, "kmeans", ["test:msd"]));
    assert.throws(() => checkRegistrationMetadata({ ...base, codeVersion: "35aff07 (dirty, #3)" }, "kmeans"), /codeVersion = "35aff07 \(dirty, #3\)" cannot be a SageMaker metadata value/);
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`m${i}`, i]));
    assert.throws(() => checkRegistrationMetadata({ ...base, baselineMetrics: many }, "kmeans"), /the record needs 5\d metadata entries; SageMaker allows 50/);
  });
});

describe("retraining on SageMaker: the package is checked before the job is paid for", () => {
  it("a code version CreateModelPackage would refuse starts no training job", async () => {
    const { retrain } = await import("../../ml/retrainFlow.ts");
    const { testEngine } = await import("../helpers/engine.ts");
    const { seedGold } = await import("./goldFixture.ts");
    const t = await testEngine("2026-01-29T00:00:00Z");
    await seedGold(t.engine, t.clock.now(), 28, [{ tenantId: "acme", machines: 3, meters: 2 }]);
    const wh = await t.engine.admin();
    const f = fakeSageMaker();
    try {
      const registry = new SageMakerRegistry({ sagemaker: f.sagemaker, s3: f.s3, bucket: "hub-archive" });
      const [o] = await retrain({
        warehouse: wh, registry, tenants: ["acme"], models: ["segments"], now: new Date("2026-01-29T00:00:00Z"), codeVersion: "35aff07 (local)",
        sagemaker: { sagemaker: f.sagemaker, s3: f.s3, bucket: "hub-archive", region: "eu-west-1", roleArn: "arn:aws:iam::123456789012:role/r" },
      });
      assert.equal(o!.decision, "not registered");
      assert.match(o!.reason, /no training job started, its model package would be refused: codeVersion = "35aff07 \(local\)"/);
      assert.equal(f.sm.commandCalls(CreateTrainingJobCommand).length, 0);
    } finally {
      f.restore();
      await wh.close();
      await t.engine.close();
    }
  });
});

describe("rollback on SageMaker", () => {
  const history = async (r: SageMakerRegistry) => {
    await r.register(draft(), artifact);
    await r.register(draft({ approvalStatus: "Rejected", reason: "worse" }), artifact);
    await r.register(draft(), artifact);
  };

  it("switches the endpoint to the rolled-back package: a Model from it, an EndpointConfig like the current one, UpdateEndpoint", async () => {
    const f = fakeSageMaker({ endpoints: { "hub-acme-forecast": "arn:aws:sagemaker:eu-west-1:123456789012:model-package/hub-acme-forecast/3" } });
    try {
      const r = new SageMakerRegistry({ sagemaker: f.sagemaker, s3: f.s3, bucket: "hub-archive", now: () => new Date("2026-02-01T00:00:00Z") });
      await history(r);
      const back = await r.rollback("acme", "forecast", { why: "v3 over-forecasts nights" });
      assert.equal(back.version, 1);
      assert.equal(back.serving.action, "updated");
      assert.match(back.serving.message, /endpoint hub-acme-forecast is switching to v1/);
      assert.equal(f.served("hub-acme-forecast"), "arn:aws:sagemaker:eu-west-1:123456789012:model-package/hub-acme-forecast/1");
      const update = f.sm.commandCalls(UpdateEndpointCommand)[0]!.args[0].input;
      assert.equal(update.EndpointName, "hub-acme-forecast");
      assert.deepEqual(f.endpointConfigs.get(update.EndpointConfigName!)![0]!.ServerlessConfig, { MemorySizeInMB: 2048, MaxConcurrency: 5 }, "the variant's serverless settings are kept");
      const again = await r.rollback("acme", "forecast", { to: 1, why: "again" });
      assert.equal(again.serving.action, "unchanged");
    } finally {
      f.restore();
    }
  });

  it("with no endpoint, says plainly that a deploy is needed", async () => {
    const f = fakeSageMaker();
    try {
      const r = new SageMakerRegistry({ sagemaker: f.sagemaker, s3: f.s3, bucket: "hub-archive" });
      await history(r);
      const back = await r.rollback("acme", "forecast", { why: "x" });
      assert.equal(back.serving.action, "not deployed");
      assert.match(back.serving.message, /no endpoint hub-acme-forecast serves acme\/forecast: a deploy is needed to serve v1/);
    } finally {
      f.restore();
    }
  });

  it(`describes versions at most ${DESCRIBE_CONCURRENCY} at a time (the old rollback described all at once)`, async () => {
    const f = fakeSageMaker();
    try {
      const r = new SageMakerRegistry({ sagemaker: f.sagemaker, s3: f.s3, bucket: "hub-archive" });
      for (let i = 0; i < 12; i++) await r.register(draft(), artifact);
      const before = f.concurrency().describes;
      await r.rollback("acme", "forecast", { why: "x" });
      assert.ok(f.concurrency().describes - before >= 12);
      assert.ok(f.concurrency().maxInFlight <= DESCRIBE_CONCURRENCY, `at most ${DESCRIBE_CONCURRENCY} in flight, saw ${f.concurrency().maxInFlight}`);
      assert.ok(f.concurrency().maxInFlight > 1, "and more than one");
    } finally {
      f.restore();
    }
  });
});
