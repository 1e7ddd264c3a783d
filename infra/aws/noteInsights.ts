/**
 * Operator-note insights in production (issue 28; seed 002's GenAI path): Snowflake's external
 * function ML.ANALYSE_NOTE → API integration → API Gateway (REST, IAM auth) → Lambda → Bedrock.
 * https://docs.snowflake.com/en/sql-reference/external-functions-creating-aws
 *
 * Least privilege on each hop:
 * - the Lambda's role may `bedrock:InvokeModel` on the configured foundation model's ARN only, and
 *   write to its own log group only (created here, KMS-encrypted, with retention);
 * - the method is `AWS_IAM`: only a signed caller allowed `execute-api:Invoke` gets through;
 * - the role Snowflake's API integration assumes may invoke that one method of that one stage, and is
 *   trusted by the integration's own IAM user with its external id (outputs of the integration). The
 *   integration takes the role's ARN, which is built from its fixed name, so there is no cycle.
 *
 * Reserved concurrency (default 5): Snowflake sends a query's batches in parallel, and each batch
 * analyses 4 notes at once (ml/notes/noteAnswers.ts). Without a cap a backlog of notes would turn
 * into as many concurrent Bedrock calls as Lambda allows, all throttled by Bedrock's per-account
 * quota for the model, and would take concurrency from the account's other functions. The cap
 * makes the excess wait (API Gateway answers 429/5xx, which Snowflake retries) instead.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as snowflake from "@pulumi/snowflake";
import { ANALYSE_NOTE } from "../../pipelines/definitions/notes.ts";
import { PIPELINE_ROLE } from "../../pipelines/definitions/governance.ts";
import { foundationModelArn, noteModelIdProblem } from "./noteModelId.ts";
import { assumeRole, policyJson } from "./platform.ts";

/** The API Gateway resource path Snowflake calls. */
export const NOTE_RESOURCE_PATH = "analyse-note";
export const NOTE_STAGE = "v1";
/** API Gateway's REST integrations time out at 29 s; the Lambda stops first so its answer is never lost to the gateway. */
export const NOTE_LAMBDA_TIMEOUT_S = 28;

export interface NoteInsightsArgs {
  /** Bedrock model id (stack config `hub:noteModelId`); required. */
  readonly modelId: string;
  /** The Lambda's code: an archive whose `index.mjs` exports `handler` (noteLambdaCode.ts); required. */
  readonly code: pulumi.asset.Archive;
  /** AWS region and account of the stack; required. */
  readonly region: pulumi.Input<string>;
  readonly accountId: pulumi.Input<string>;
  /** KMS key of the log group; required. */
  readonly logsKmsKeyArn: pulumi.Input<string>;
  /** Log retention, days; default 90. */
  readonly logRetentionDays?: number;
  /** Reserved concurrency, 1..100; default 5. */
  readonly reservedConcurrency?: number;
  /** The hub's Snowflake database; required. */
  readonly database: pulumi.Input<string>;
  /** Tags on every taggable AWS resource; required. */
  readonly tags: Record<string, string>;
  /** Snowflake resources that must exist first (the ML schema); default none. */
  readonly snowflakeDependsOn?: pulumi.Input<pulumi.Resource>[];
}

export class NoteInsights extends pulumi.ComponentResource {
  readonly functionName: pulumi.Output<string>;
  readonly invokeUrl: pulumi.Output<string>;
  readonly integrationName: pulumi.Output<string>;
  readonly externalFunctionName: pulumi.Output<string>;
  /** ML.ANALYSE_NOTE, and the pipeline role's USAGE on it: what the note task waits for. */
  readonly externalFunction: snowflake.ExternalFunction;
  readonly functionUsage: snowflake.GrantPrivilegesToAccountRole;

  constructor(name: string, args: NoteInsightsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hub:aws:NoteInsights", name, {}, opts);
    const problem = noteModelIdProblem(args.modelId);
    if (problem) throw new pulumi.ResourceError(`\`modelId\` ${JSON.stringify(args.modelId)} must be ${problem}`, this);
    const concurrency = args.reservedConcurrency ?? 5;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 100) throw new pulumi.ResourceError(`\`reservedConcurrency\` ${concurrency} must be an integer in 1..100`, this);
    const child = { parent: this };
    const tags = args.tags;
    const fnName = `${name}-analyse-note`;

    const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, { name: `/aws/lambda/${fnName}`, retentionInDays: args.logRetentionDays ?? 90, kmsKeyId: args.logsKmsKeyArn, tags }, child);
    const role = new aws.iam.Role(`${name}-lambda-role`, { assumeRolePolicy: assumeRole("lambda.amazonaws.com"), tags }, child);
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-lambda-policy`,
      {
        role: role.id,
        policy: pulumi.all([args.region, logGroup.arn]).apply(([region, logs]) =>
          policyJson([
            { Sid: "InvokeTheConfiguredModelOnly", Effect: "Allow", Action: ["bedrock:InvokeModel"], Resource: foundationModelArn(region, args.modelId) },
            { Sid: "WriteOwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${logs}:*` },
          ]),
        ),
      },
      child,
    );
    const fn = new aws.lambda.Function(
      `${name}-function`,
      {
        name: fnName,
        runtime: aws.lambda.Runtime.NodeJS20dX,
        handler: "index.handler",
        code: args.code,
        role: role.arn,
        timeout: NOTE_LAMBDA_TIMEOUT_S,
        memorySize: 256,
        reservedConcurrentExecutions: concurrency,
        environment: { variables: { NOTE_MODEL_ID: args.modelId } },
        loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
        tags,
      },
      { ...child, dependsOn: [logGroup, rolePolicy] },
    );

    const api = new aws.apigateway.RestApi(`${name}-api`, { name: `${name}-notes`, endpointConfiguration: { types: "REGIONAL" }, tags }, child);
    const resource = new aws.apigateway.Resource(`${name}-resource`, { restApi: api.id, parentId: api.rootResourceId, pathPart: NOTE_RESOURCE_PATH }, child);
    const method = new aws.apigateway.Method(`${name}-method`, { restApi: api.id, resourceId: resource.id, httpMethod: "POST", authorization: "AWS_IAM" }, child);
    const integration = new aws.apigateway.Integration(
      `${name}-integration`,
      { restApi: api.id, resourceId: resource.id, httpMethod: method.httpMethod, type: "AWS_PROXY", integrationHttpMethod: "POST", uri: fn.invokeArn },
      child,
    );
    const deployment = new aws.apigateway.Deployment(
      `${name}-deployment`,
      { restApi: api.id, triggers: { method: method.id, integration: integration.id } },
      { ...child, dependsOn: [method, integration] },
    );
    const stage = new aws.apigateway.Stage(`${name}-stage`, { restApi: api.id, deployment: deployment.id, stageName: NOTE_STAGE, tags }, child);
    const methodArn = pulumi.interpolate`${api.executionArn}/${NOTE_STAGE}/POST/${NOTE_RESOURCE_PATH}`;
    new aws.lambda.Permission(`${name}-permission`, { action: "lambda:InvokeFunction", function: fn.name, principal: "apigateway.amazonaws.com", sourceArn: methodArn }, child);
    const invokeUrl = pulumi.interpolate`${stage.invokeUrl}/${NOTE_RESOURCE_PATH}`;

    // Snowflake: the API integration assumes this role; its ARN is known from its name.
    const snowflakeRoleName = `${name}-snowflake-notes`;
    const snowflakeRoleArn = pulumi.interpolate`arn:aws:iam::${args.accountId}:role/${snowflakeRoleName}`;
    const apiIntegration = new snowflake.ApiIntegration(
      `${name}-api-integration`,
      {
        name: `${name.toUpperCase().replaceAll("-", "_")}_NOTES_API`,
        apiProvider: "aws_api_gateway",
        apiAwsRoleArn: snowflakeRoleArn,
        apiAllowedPrefixes: [invokeUrl],
        enabled: true,
        comment: "Operator-note insights: API Gateway → Lambda → Bedrock (issue 28).",
      },
      child,
    );
    const snowflakeRole = new aws.iam.Role(
      `${name}-snowflake-role`,
      {
        name: snowflakeRoleName,
        assumeRolePolicy: pulumi.all([apiIntegration.apiAwsIamUserArn, apiIntegration.apiAwsExternalId]).apply(([user, externalId]) =>
          policyJson([{ Effect: "Allow", Principal: { AWS: user }, Action: "sts:AssumeRole", Condition: { StringEquals: { "sts:ExternalId": externalId } } }]),
        ),
        tags,
      },
      child,
    );
    new aws.iam.RolePolicy(
      `${name}-snowflake-policy`,
      { role: snowflakeRole.id, policy: methodArn.apply((arn) => policyJson([{ Sid: "InvokeTheNoteMethodOnly", Effect: "Allow", Action: ["execute-api:Invoke"], Resource: arn }])) },
      child,
    );
    const fnArgs = ANALYSE_NOTE.arguments.map((a) => ({ name: a.name, type: "VARCHAR" }));
    const externalFunction = new snowflake.ExternalFunction(
      `${name}-external-function`,
      {
        database: args.database,
        schema: ANALYSE_NOTE.schema,
        name: ANALYSE_NOTE.name,
        args: fnArgs,
        returnType: "VARIANT",
        // A model may answer the same note differently: not IMMUTABLE, so Snowflake caches nothing.
        returnBehavior: "VOLATILE",
        nullInputBehavior: "RETURNS NULL ON NULL INPUT",
        apiIntegration: apiIntegration.name,
        urlOfProxyAndResource: invokeUrl,
        maxBatchRows: ANALYSE_NOTE.maxBatchRows,
        comment: ANALYSE_NOTE.comment,
      },
      { ...child, dependsOn: [snowflakeRole, ...(args.snowflakeDependsOn ?? [])] as pulumi.Input<pulumi.Resource>[] },
    );
    // The task OPS.ANALYSE_NOTES runs as the pipeline role, which calls the function.
    const functionUsage = new snowflake.GrantPrivilegesToAccountRole(
      `${name}-function-usage`,
      {
        accountRoleName: PIPELINE_ROLE,
        privileges: ["USAGE"],
        onSchemaObject: { objectType: "FUNCTION", objectName: pulumi.interpolate`"${args.database}"."${ANALYSE_NOTE.schema}"."${ANALYSE_NOTE.name}"(VARCHAR, VARCHAR)` },
      },
      { ...child, dependsOn: [externalFunction] },
    );

    this.externalFunction = externalFunction;
    this.functionUsage = functionUsage;
    this.functionName = fn.name;
    this.invokeUrl = invokeUrl;
    this.integrationName = apiIntegration.name;
    this.externalFunctionName = externalFunction.fullyQualifiedName;
    this.registerOutputs({ functionName: this.functionName, invokeUrl: this.invokeUrl, integrationName: this.integrationName, externalFunctionName: this.externalFunctionName });
  }
}
