/**
 * The portal's models page in production: SageMaker's model package groups read with the real
 * @aws-sdk/client-sagemaker under aws-sdk-client-mock (tests/ml/sagemakerFake.ts, the service's
 * shapes and errors from the API reference). Packages are written by the registry itself
 * (SageMakerRegistry.register), so the page reads exactly what the retraining flow stores: the
 * approval status, the gate's reason (ApprovalDescription) and the metrics (CustomerMetadataProperties).
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListModelPackages.html
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeModelPackage.html
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { CreateModelPackageCommand, DescribeModelPackageCommand, ListModelPackagesCommand } from "@aws-sdk/client-sagemaker";
import { RegistryError, SageMakerRegistry, SageMakerRegistryReader, type RecordDraft } from "../../ml/registry/index.ts";
import { sageMakerPortalModels } from "../../scripts/lib/serve/portalRegistry.ts";
import { twinPortalData } from "../../pipelines/portal/portalData.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import { testEngine } from "../helpers/engine.ts";
import { fakeSageMaker } from "../ml/sagemakerFake.ts";

function draft(over: Partial<RecordDraft> = {}): RecordDraft {
  return {
    tenantId: "acme", model: "forecast", algorithm: "sagemaker:forecasting-deepar", parameters: { time_freq: "H" },
    trainingWindow: { from: "2026-01-01T00:00:00.000Z", to: "2026-01-04T00:00:00.000Z" }, rowCount: 72,
    dataHash: "a".repeat(64), codeVersion: "35aff07", metrics: { "test:RMSE": 1.5 }, baselineMetrics: { "test:RMSE": 2 },
    approvalStatus: "Approved", reason: "beats the champion and the seasonal-naive baseline", ...over,
  };
}
const artifact = { kind: "sagemaker" as const, image: "224300973850.dkr.ecr.eu-west-1.amazonaws.com/forecasting-deepar:1", modelDataUrl: "s3://hub-archive/m.tar.gz" };

let engine: EmbeddedEngine;
before(async () => {
  ({ engine } = await testEngine());
  await engine.grantTenantRole("acme");
});
after(() => engine.close());

describe("the models page read from SageMaker's registry", () => {
  it("lists the tenant's versions as the registry stored them: status, the gate's reason, metrics against the baseline, the champion", async () => {
    const f = fakeSageMaker();
    try {
      const writer = new SageMakerRegistry({ sagemaker: f.sagemaker, s3: f.s3, bucket: "hub-archive" });
      await writer.register(draft(), artifact);
      await writer.register(draft({ approvalStatus: "Rejected", reason: "RMSE 2.4 is worse than the champion's 1.5", metrics: { "test:RMSE": 2.4 } }), artifact);
      await writer.register(draft({ tenantId: "globex", reason: "globex's own" }), artifact);
      f.sm.resetHistory();

      const reader = new SageMakerRegistryReader(f.sagemaker);
      assert.deepEqual(await reader.list("acme", "forecast"), await writer.list("acme", "forecast"), "the reader decodes as the registry does");
      f.sm.resetHistory();
      const page = await sageMakerPortalModels(twinPortalData(engine), f.sagemaker)("acme");
      assert.deepEqual(
        page.versions.map((v) => [v.model, v.version, v.status, v.reason, v.metrics["test:RMSE"], v.baseline["test:RMSE"], v.champion]),
        [["forecast", 2, "Rejected", "RMSE 2.4 is worse than the champion's 1.5", 2.4, 2, false], ["forecast", 1, "Approved", "beats the champion and the seasonal-naive baseline", 1.5, 2, true]],
      );
      // Least privilege, as the task role has it: only the two read actions, only acme's groups.
      const calls = f.sm.calls().map((c) => c.args[0]);
      assert.ok(calls.every((c) => c instanceof ListModelPackagesCommand || c instanceof DescribeModelPackageCommand), "nothing but ListModelPackages and DescribeModelPackage");
      const groups = f.sm.commandCalls(ListModelPackagesCommand).map((c) => c.args[0].input.ModelPackageGroupName);
      assert.deepEqual(groups, ["hub-acme-forecast", "hub-acme-anomaly", "hub-acme-segments"]);
      assert.ok(f.sm.commandCalls(DescribeModelPackageCommand).every((c) => c.args[0].input.ModelPackageName!.includes(":model-package/hub-acme-")));
    } finally {
      f.restore();
    }
  });

  it("a group the tenant stack did not create has no versions; a package whose record names another tenant is refused, not shown", async () => {
    const f = fakeSageMaker({ groups: ["hub-acme-forecast"] });
    try {
      const reader = new SageMakerRegistryReader(f.sagemaker);
      assert.deepEqual(await reader.list("acme", "anomaly"), []);
      // Written straight to acme's group with globex's record: a mistake or worse, never shown as acme's.
      await f.sagemaker.send(new CreateModelPackageCommand({ ModelPackageGroupName: "hub-acme-forecast", ModelApprovalStatus: "Approved", CustomerMetadataProperties: { tenantId: "globex", model: "forecast" } }));
      await assert.rejects(reader.list("acme", "forecast"), (e: Error) => e instanceof RegistryError && /hub-acme-forecast\/1 in hub-acme-forecast records tenant "globex"/.test(e.message));
    } finally {
      f.restore();
    }
  });
});
