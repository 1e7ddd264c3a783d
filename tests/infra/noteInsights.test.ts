/**
 * The platform stack's note-insight path under Pulumi's mocks (issue 28): Snowflake's external
 * function → API integration → API Gateway (IAM) → Lambda → Bedrock, each hop allowed only the next
 * one; the model id from stack config, checked; and the policy rules that hold these shapes.
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseStackConfig, ConfigError } from "../../infra/config.ts";
import { readStackConfig } from "../../infra/stackFiles.ts";
import { MOCK_ACCOUNT, MOCK_REGION, OFFLINE_PACKAGE_LOOKUP, runOffline, type OfflineRun } from "../../infra/offline.ts";
import { apiMethodsAuthorised, bedrockOneModel, evaluatePolicies, type PolicyResourceLike } from "../../infra/policy/rules.ts";
import { foundationModelArn, noteModelIdProblem } from "../../infra/aws/noteModelId.ts";
import { ANALYSE_NOTE } from "../../pipelines/definitions/notes.ts";
import { ofType, policyStatements } from "./offlineStack.ts";

const platformRaw = (set: Record<string, string> = {}) => ({ ...readStackConfig(process.cwd(), "platform", {}).raw, ...set });
const SONNET = "anthropic.claude-3-5-sonnet-20240620-v1:0";
let run: OfflineRun;

before(async () => {
  run = await runOffline(parseStackConfig("platform", platformRaw({ "hub:noteModelId": SONNET, "hub:noteLambdaConcurrency": "3" })), { packageLookup: OFFLINE_PACKAGE_LOOKUP });
});

const one = (type: string) => {
  const rs = ofType(run, type);
  assert.equal(rs.length, 1, `one ${type}`);
  return rs[0]!;
};

describe("the note-insight Lambda", () => {
  it("runs the bundled handler on nodejs20.x with the configured model, a timeout under API Gateway's 29 s and the configured reserved concurrency", () => {
    const fn = one("aws:lambda/function:Function");
    assert.equal(fn.props["runtime"], "nodejs20.x");
    assert.equal(fn.props["handler"], "index.handler");
    assert.equal(fn.props["timeout"], 28);
    assert.equal(fn.props["reservedConcurrentExecutions"], 3);
    assert.deepEqual(fn.props["environment"], { variables: { NOTE_MODEL_ID: SONNET } });
    for (const k of ["cost-center", "tenant"]) assert.ok(fn.props["tags"][k], `tag ${k}`);
  });

  it("may invoke exactly the configured foundation model, and write only its own log group", () => {
    const policy = ofType(run, "aws:iam/rolePolicy:RolePolicy").find((r) => r.name === "hub-notes-lambda-policy")!;
    const statements = policyStatements(policy.props["policy"]);
    assert.deepEqual(statements.map((s) => [s.Action, s.Resource]), [
      [["bedrock:InvokeModel"], `arn:aws:bedrock:${MOCK_REGION}::foundation-model/${SONNET}`],
      [["logs:CreateLogStream", "logs:PutLogEvents"], `arn:aws:logs:${MOCK_REGION}:${MOCK_ACCOUNT}:hub-notes-logs:*`],
    ]);
    const logs = ofType(run, "aws:cloudwatch/logGroup:LogGroup").find((r) => r.name === "hub-notes-logs")!;
    assert.equal(logs.props["name"], "/aws/lambda/hub-notes-analyse-note");
    assert.ok(logs.props["kmsKeyId"], "encrypted");
  });
});

describe("API Gateway and Snowflake", () => {
  it("exposes one POST method, signed (AWS_IAM), proxied to the Lambda; the Lambda admits API Gateway on that method only", () => {
    const method = one("aws:apigateway/method:Method");
    assert.deepEqual([method.props["httpMethod"], method.props["authorization"]], ["POST", "AWS_IAM"]);
    assert.equal(one("aws:apigateway/integration:Integration").props["type"], "AWS_PROXY");
    const permission = one("aws:lambda/permission:Permission");
    assert.equal(permission.props["principal"], "apigateway.amazonaws.com");
    assert.match(permission.props["sourceArn"], /^arn:aws:execute-api:[^*]+\/v1\/POST\/analyse-note$/);
  });

  it("the role Snowflake assumes is trusted by the integration's user with its external id, and may invoke that method only", () => {
    const role = ofType(run, "aws:iam/role:Role").find((r) => r.name === "hub-notes-snowflake-role")!;
    const [trust] = policyStatements(role.props["assumeRolePolicy"]);
    assert.deepEqual(trust, { Effect: "Allow", Principal: { AWS: "arn:aws:iam::999999999999:user/snowflake-offline" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "sts:ExternalId": "OFFLINE_SFCRole=1_abc=" } } });
    const policy = ofType(run, "aws:iam/rolePolicy:RolePolicy").find((r) => r.name === "hub-notes-snowflake-policy")!;
    assert.deepEqual(policyStatements(policy.props["policy"]).map((s) => [s.Action, s.Resource]), [[["execute-api:Invoke"], permission().props["sourceArn"]]]);
    const integration = one("snowflake:index/apiIntegration:ApiIntegration");
    assert.equal(integration.props["apiProvider"], "aws_api_gateway");
    assert.equal(integration.props["apiAwsRoleArn"], `arn:aws:iam::${MOCK_ACCOUNT}:role/${role.props["name"]}`);
  });

  it("declares ML.ANALYSE_NOTE as the definition says, on the gateway URL the integration allows, and lets the pipeline role use it", () => {
    const fn = one("snowflake:index/externalFunction:ExternalFunction");
    const integration = one("snowflake:index/apiIntegration:ApiIntegration");
    assert.deepEqual([fn.props["schema"], fn.props["name"], fn.props["returnType"], fn.props["maxBatchRows"]], ["ML", "ANALYSE_NOTE", "VARIANT", ANALYSE_NOTE.maxBatchRows]);
    assert.deepEqual(fn.props["args"], [{ name: "kind", type: "VARCHAR" }, { name: "text", type: "VARCHAR" }]);
    assert.match(fn.props["urlOfProxyAndResource"], /^https:\/\/.+\.execute-api\..+\/v1\/analyse-note$/);
    assert.deepEqual(integration.props["apiAllowedPrefixes"], [fn.props["urlOfProxyAndResource"]]);
    const grant = ofType(run, "snowflake:index/grantPrivilegesToAccountRole:GrantPrivilegesToAccountRole").find((g) => g.name === "hub-notes-function-usage")!;
    assert.deepEqual([grant.props["accountRoleName"], grant.props["privileges"], grant.props["onSchemaObject"].objectType], ["HUB_PIPELINE", ["USAGE"], "FUNCTION"]);
  });

  it("passes every policy rule", () => assert.deepEqual(evaluatePolicies(run.resources), []));
});

function permission() {
  return one("aws:lambda/permission:Permission");
}

describe("the model id", () => {
  for (const ok of ["anthropic.claude-3-haiku-20240307-v1:0", SONNET, "anthropic.claude-instant-v1"]) it(`accepts ${ok}`, () => assert.equal(noteModelIdProblem(ok), null));
  for (const bad of ["", "amazon.titan-text-express-v1", "us.anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-haiku-20240307-v1:0/*", "anthropic.*", "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"]) {
    it(`refuses ${JSON.stringify(bad)} in the stack config, naming the key`, () => {
      assert.throws(() => parseStackConfig("platform", platformRaw({ "hub:noteModelId": bad === "" ? "x" : bad })), (e: unknown) => e instanceof ConfigError && /hub:noteModelId/.test((e as Error).message));
    });
  }
  it("builds the foundation-model ARN, which has no account", () => {
    assert.equal(foundationModelArn("eu-west-1", "anthropic.claude-3-haiku-20240307-v1:0"), "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0");
    assert.throws(() => foundationModelArn("eu-west-1", "anthropic.*"), /is not an Anthropic Claude/);
  });
  it("refuses a concurrency outside 1..100", () => {
    assert.throws(() => parseStackConfig("platform", platformRaw({ "hub:noteLambdaConcurrency": "0" })), /hub:noteLambdaConcurrency/);
  });
});

describe("policy rules for the path", () => {
  const rolePolicy = (statement: object): PolicyResourceLike => ({ type: "aws:iam/rolePolicy:RolePolicy", name: "p", urn: "urn:p", props: { policy: JSON.stringify({ Version: "2012-10-17", Statement: [statement] }) } });
  const model = "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0";
  it("allows InvokeModel on a named foundation model", () => assert.deepEqual(bedrockOneModel.check(rolePolicy({ Effect: "Allow", Action: "bedrock:InvokeModel", Resource: model }), {} as never), []));
  for (const [what, statement] of [
    ["every resource", { Effect: "Allow", Action: "bedrock:InvokeModel", Resource: "*" }],
    ["a wildcard of models", { Effect: "Allow", Action: ["bedrock:InvokeModel"], Resource: "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.*" }],
    ["bedrock:* on a model and everything", { Effect: "Allow", Action: "bedrock:*", Resource: [model, "*"] }],
    ["InvokeModelWithResponseStream on an inference profile", { Effect: "Allow", Action: "bedrock:InvokeModelWithResponseStream", Resource: "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/x" }],
  ] as const) {
    it(`refuses Bedrock invocation on ${what}`, () => assert.equal(bedrockOneModel.check(rolePolicy(statement), {} as never).length, 1));
  }
  it("refuses an API method without authorisation", () => {
    const method = (authorization?: string): PolicyResourceLike => ({ type: "aws:apigateway/method:Method", name: "m", urn: "urn:m", props: authorization ? { authorization } : {} });
    assert.deepEqual(apiMethodsAuthorised.check(method("NONE"), {} as never), ["API method m has authorization NONE"]);
    assert.equal(apiMethodsAuthorised.check(method(), {} as never).length, 1);
    assert.deepEqual(apiMethodsAuthorised.check(method("AWS_IAM"), {} as never), []);
  });
});
