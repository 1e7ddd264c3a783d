/**
 * One contract for both registry targets (issue 5, section 3): the local folder and SageMaker model
 * package groups (aws-sdk-client-mock around the real SDK, state kept by tests/ml/sagemakerFake.ts).
 * Then what is particular to each: the local layout, and the SageMaker request shapes.
 */
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateModelPackageCommand, ListModelPackagesCommand, UpdateModelPackageCommand } from "@aws-sdk/client-sagemaker";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { LocalRegistry, SageMakerRegistry, RegistryError, encodeMetadata, type RecordDraft, type Registry } from "../../ml/registry/index.ts";
import { fakeSageMaker } from "./sagemakerFake.ts";

function draft(over: Partial<RecordDraft> = {}): RecordDraft {
  return {
    tenantId: "acme", model: "forecast", algorithm: "seasonal_profile_ar1", parameters: { daily: true, weekly: false, note: "a, b {c}" },
    trainingWindow: { from: "2026-01-01T00:00:00.000Z", to: "2026-01-29T00:00:00.000Z" }, rowCount: 672,
    dataHash: "a".repeat(64), codeVersion: "35aff07", metrics: { mase: 0.8, smape: 0.12 }, baselineMetrics: { mase: 1.0, smape: 0.15 },
    approvalStatus: "Approved", reason: "mase 0.8 beats the baseline's 1.0; no champion yet", ...over,
  };
}

const clock = () => {
  let t = Date.parse("2026-02-01T00:00:00Z");
  return () => new Date((t += 1000));
};

/** v1 Approved, v2 Rejected, v3 Approved (the champion), v4 pending: the history several tests start from. */
async function history(r: Registry): Promise<void> {
  await r.register(draft(), { kind: "json", body: 1 });
  await r.register(draft({ approvalStatus: "Rejected", reason: "does not beat the baseline" }), { kind: "json", body: 2 });
  await r.register(draft({ approvalStatus: "Approved", metrics: { mase: 0.7, smape: 0.1 } }), { kind: "json", body: 3 });
  await r.register(draft({ approvalStatus: "PendingManualApproval", reason: "waits for a person" }), { kind: "json", body: 4 });
}

function contract(name: string, make: () => { registry: Registry; done: () => void }) {
  // Each test gets an empty registry and builds the history it needs, so any one runs alone.
  describe(`registry contract: ${name}`, () => {
    let r: Registry;
    let done: () => void;
    beforeEach(() => ({ registry: r, done } = make()));
    afterEach(() => done());

    it("numbers versions from 1 and returns the same record fields it was given", async () => {
      const v1 = await r.register(draft(), { kind: "json", body: { w: [1, 2, 3] } });
      assert.equal(v1.version, 1);
      const { version, createdAt, ...rest } = v1;
      assert.deepEqual(rest, draft());
      assert.ok(!Number.isNaN(Date.parse(createdAt)));
      const [listed] = await r.list("acme", "forecast");
      assert.deepEqual(listed, v1);
      assert.deepEqual(await r.artifact("acme", "forecast", 1), { kind: "json", body: { w: [1, 2, 3] } });
    });

    it("the champion is the latest Approved version; Rejected and pending ones never are", async () => {
      await history(r);
      assert.equal((await r.champion("acme", "forecast"))?.version, 3);
      assert.deepEqual((await r.list("acme", "forecast")).map((x) => [x.version, x.approvalStatus]), [
        [1, "Approved"], [2, "Rejected"], [3, "Approved"], [4, "PendingManualApproval"],
      ]);
      assert.equal(await r.champion("acme", "anomaly"), null);
      assert.equal(await r.champion("globex", "forecast"), null, "another tenant's versions are not this tenant's");
    });

    it("rollback without --to goes to the Approved version before the champion and records why", async () => {
      await history(r);
      const back = await r.rollback("acme", "forecast", { why: "v3 over-forecasts nights" });
      assert.equal(back.version, 1);
      assert.equal(back.approvalStatus, "Approved");
      assert.match(back.reason, /v3 over-forecasts nights/);
      assert.equal((await r.champion("acme", "forecast"))?.version, 1);
      const v3 = (await r.list("acme", "forecast")).find((x) => x.version === 3)!;
      assert.equal(v3.approvalStatus, "Rejected");
      assert.match(v3.reason, /rolled back to version 1: v3 over-forecasts nights/);
    });

    it("rollback --to a Rejected version approves it; an unknown version is refused by number", async () => {
      await history(r);
      const two = await r.rollback("acme", "forecast", { to: 2, why: "re-evaluated" });
      assert.equal(two.approvalStatus, "Approved");
      assert.equal((await r.champion("acme", "forecast"))?.version, 2);
      await assert.rejects(r.rollback("acme", "forecast", { to: 9, why: "x" }), /version 9 does not exist; versions: 1, 2, 3, 4/);
    });

    it("refuses a record with a non-finite metric or a bad field, and stores nothing", async () => {
      await assert.rejects(r.register(draft({ model: "anomaly", metrics: { f1: Number.NaN } }), { kind: "json", body: 0 }), /metrics\.f1 = NaN is not a finite number/);
      await assert.rejects(r.register(draft({ model: "anomaly", dataHash: "nope" }), { kind: "json", body: 0 }), /dataHash "nope"/);
      await assert.rejects(r.register(draft({ model: "anomaly", rowCount: 0 }), { kind: "json", body: 0 }), RegistryError);
      assert.deepEqual(await r.list("acme", "anomaly"), []);
    });
  });
}

contract("local", () => {
  const home = mkdtempSync(join(tmpdir(), "hub-registry-"));
  return { registry: new LocalRegistry(home, clock()), done: () => rmSync(home, { recursive: true, force: true }) };
});

contract("sagemaker", () => {
  const f = fakeSageMaker();
  return { registry: new SageMakerRegistry({ sagemaker: f.sagemaker, s3: f.s3, bucket: "hub-archive", now: clock() }), done: () => (f.sm.restore(), f.s3m.restore()) };
});

describe("local registry layout", () => {
  it("keeps .hub/models/<tenant>/<model>/<version>/ with model.json and record.json", async () => {
    const home = mkdtempSync(join(tmpdir(), "hub-registry-"));
    try {
      const r = new LocalRegistry(home, clock());
      await r.register(draft({ tenantId: "globex", model: "segments" }), { kind: "json", body: { k: 3 } });
      const dir = join(home, "models", "globex", "segments", "1");
      assert.deepEqual(readdirSync(dir).sort(), ["model.json", "record.json"]);
      const record = JSON.parse(readFileSync(join(dir, "record.json"), "utf8"));
      assert.deepEqual(Object.keys(record).sort(), [
        "algorithm", "approvalStatus", "baselineMetrics", "codeVersion", "createdAt", "dataHash", "metrics", "model", "parameters", "reason", "rowCount", "tenantId", "trainingWindow", "version",
      ]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe("SageMaker registry requests", () => {
  it("creates the package in the tenant's group with status, metadata, metrics file and the reason as approval description", async () => {
    const f = fakeSageMaker();
    try {
      const r = new SageMakerRegistry({ sagemaker: f.sagemaker, s3: f.s3, bucket: "hub-archive", now: clock() });
      await r.register(draft({ approvalStatus: "Rejected", reason: "does not beat champion v1's 0.7 (needs ≤ 0.686)" }), {
        kind: "sagemaker", modelDataUrl: "s3://hub-archive/tenant=acme/models/forecast/job-1/output/model.tar.gz", image: "224300973850.dkr.ecr.eu-west-1.amazonaws.com/forecasting-deepar:1",
      });
      const create = f.sm.commandCalls(CreateModelPackageCommand)[0]!.args[0].input;
      assert.equal(create.ModelPackageGroupName, "hub-acme-forecast");
      assert.equal(create.ModelApprovalStatus, "Rejected");
      assert.equal(create.CustomerMetadataProperties!["dataHash"], "a".repeat(64));
      assert.equal(create.CustomerMetadataProperties!["metric.mase"], "0.8");
      assert.equal(create.CustomerMetadataProperties!["baseline.mase"], "1");
      assert.equal(create.CustomerMetadataProperties!["trainingFrom"], "2026-01-01T00:00:00.000Z");
      assert.deepEqual(create.InferenceSpecification!.Containers, [{ Image: "224300973850.dkr.ecr.eu-west-1.amazonaws.com/forecasting-deepar:1", ModelDataUrl: "s3://hub-archive/tenant=acme/models/forecast/job-1/output/model.tar.gz" }]);
      const stats = create.ModelMetrics!.ModelQuality!.Statistics!;
      assert.equal(stats.ContentType, "application/json");
      assert.match(stats.S3Uri!, /^s3:\/\/hub-archive\/tenant=acme\/models\/forecast\/.+\/record\.json$/);
      const put = f.s3m.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key);
      assert.ok(put.every((k) => k!.startsWith("tenant=acme/")), `everything under the tenant's prefix: ${put.join(", ")}`);
      const update = f.sm.commandCalls(UpdateModelPackageCommand)[0]!.args[0].input;
      assert.equal(update.ApprovalDescription, "does not beat champion v1's 0.7 (needs ≤ 0.686)");
      // The champion is looked up among Approved packages of the group, pages followed.
      await r.champion("acme", "forecast");
      const list = f.sm.commandCalls(ListModelPackagesCommand).at(-1)!.args[0].input;
      assert.deepEqual({ g: list.ModelPackageGroupName, s: list.ModelApprovalStatus }, { g: "hub-acme-forecast", s: "Approved" });
    } finally {
      f.sm.restore();
      f.s3m.restore();
    }
  });

  it("a model whose group the tenant stack did not create names the hub:models fix", async () => {
    const f = fakeSageMaker();
    f.sm.on(CreateModelPackageCommand, { ModelPackageGroupName: "hub-acme-segments" }).rejects(Object.assign(new Error("Model Package Group hub-acme-segments does not exist."), { name: "ValidationException" }));
    try {
      const r = new SageMakerRegistry({ sagemaker: f.sagemaker, s3: f.s3, bucket: "hub-archive", now: clock() });
      await assert.rejects(r.register(draft({ model: "segments" }), { kind: "json", body: 1 }), /model package group hub-acme-segments does not exist: add "segments" to hub:models/);
    } finally {
      f.sm.restore();
      f.s3m.restore();
    }
  });

  it("refuses a metadata value SageMaker would reject, naming the field", () => {
    assert.throws(
      () => encodeMetadata({ ...draft(), codeVersion: "v1 (dirty)", createdAt: "2026-02-01T00:00:00.000Z" }),
      /codeVersion = "v1 \(dirty\)" cannot be a SageMaker metadata value/,
    );
  });
});
