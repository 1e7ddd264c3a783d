/**
 * hub:servedModels under Pulumi's mocks: the latest Approved package of the group (looked up with
 * the real SageMaker client under aws-sdk-client-mock) is served from a serverless endpoint.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mockClient } from "aws-sdk-client-mock";
import { ListModelPackagesCommand, SageMakerClient } from "@aws-sdk/client-sagemaker";
import { parseStackConfig } from "../../infra/config.ts";
import { runOffline, type OfflineRun } from "../../infra/offline.ts";
import { readStackConfig } from "../../infra/stackFiles.ts";
import { evaluatePolicies } from "../../infra/policy/rules.ts";
import { latestApprovedPackageArn } from "../../infra/aws/modelServing.ts";
import { ofType, policyStatements, TEST_PUBLIC_KEY } from "./offlineStack.ts";

const ARN = "arn:aws:sagemaker:eu-west-1:123456789012:model-package/hub-acme-forecast/7";
const sm = mockClient(SageMakerClient);
sm.on(ListModelPackagesCommand, { ModelPackageGroupName: "hub-acme-forecast" }).resolves({ ModelPackageSummaryList: [{ ModelPackageArn: ARN, ModelPackageVersion: 7, ModelApprovalStatus: "Approved", ModelPackageStatus: "Completed", ModelPackageGroupName: "hub-acme-forecast", CreationTime: new Date() }] });
sm.on(ListModelPackagesCommand, { ModelPackageGroupName: "hub-acme-anomaly" }).resolves({ ModelPackageSummaryList: [] });

/** The acme stack file with these keys set, as `pulumi config set` would. */
const acme = (set: Record<string, string>) => ({ ...readStackConfig(process.cwd(), "acme", { "hub:servicePublicKey": TEST_PUBLIC_KEY }).raw, ...set });

let run: OfflineRun;
before(async () => {
  run = await runOffline(parseStackConfig("acme", acme({ "hub:servedModels": '["forecast"]', "hub:servingMemoryMb": "3072" })));
});
after(() => sm.restore());

describe("tenant stack with hub:servedModels", () => {
  it("asks the model's group for its newest Approved package", () => {
    const calls = sm.commandCalls(ListModelPackagesCommand).map((c) => c.args[0].input);
    assert.deepEqual(calls, [{ ModelPackageGroupName: "hub-acme-forecast", ModelApprovalStatus: "Approved", SortBy: "CreationTime", SortOrder: "Descending", MaxResults: 1 }]);
  });

  it("serves that package from a serverless endpoint hub-acme-forecast", () => {
    const model = ofType(run, "aws:sagemaker/model:Model");
    assert.equal(model.length, 1);
    assert.equal(model[0]!.props["primaryContainer"].modelPackageName, ARN);
    const [config] = ofType(run, "aws:sagemaker/endpointConfiguration:EndpointConfiguration");
    assert.deepEqual(config!.props["productionVariants"][0].serverlessConfig, { memorySizeInMb: 3072, maxConcurrency: 5 });
    const [endpoint] = ofType(run, "aws:sagemaker/endpoint:Endpoint");
    assert.equal(endpoint!.props["name"], "hub-acme-forecast");
    assert.deepEqual(run.outputs["servingEndpoints"], { forecast: "hub-acme-forecast" });
  });

  it("gives the endpoint a role that reads only the tenant's prefix, and tags everything", () => {
    const role = ofType(run, "aws:iam/rolePolicy:RolePolicy").find((r) => r.name.includes("serving"))!;
    const s3 = policyStatements(role.props["policy"]).find((x) => String(x.Action).includes("s3:GetObject"))!;
    assert.match(String(s3.Resource), /^arn:aws:s3:::.+\/tenant=acme\/\*$/);
    for (const t of ["aws:sagemaker/model:Model", "aws:sagemaker/endpointConfiguration:EndpointConfiguration", "aws:sagemaker/endpoint:Endpoint"]) {
      assert.equal(ofType(run, t)[0]!.props["tags"]["tenant"], "acme", t);
    }
    assert.deepEqual(evaluatePolicies(run.resources), []);
  });

  it("a group with no Approved package is a deploy error that says what to do", async () => {
    await assert.rejects(latestApprovedPackageArn(new SageMakerClient({ region: "eu-west-1" }), "hub-acme-anomaly"), /hub-acme-anomaly has no Approved package to serve; register one/);
  });

  it("a served model must be one of the tenant's models; memory must be whole GB", () => {
    assert.throws(() => parseStackConfig("acme", acme({ "hub:models": '["forecast"]', "hub:servedModels": '["segments"]' })), /hub:servedModels.*segments is not/);
    assert.throws(() => parseStackConfig("acme", acme({ "hub:servingMemoryMb": "1500" })), /hub:servingMemoryMb.*1500/);
  });
});
