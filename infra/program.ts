/**
 * The program behind both stack kinds, as a function of the parsed configuration, so the entry file
 * (`infra/index.ts`), the mocked tests and `scripts/plan.ts` run the same code.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as snowflake from "@pulumi/snowflake";
import type { PlatformConfig, StackConfig, TenantConfig } from "./config.ts";
import { SNOWFLAKE_PREVIEW_FEATURES, SnowflakePlatform } from "./snowflake/platform.ts";
import { SnowflakeTenant } from "./snowflake/tenant.ts";
import { AwsPlatform } from "./aws/platform.ts";
import { AwsTenant } from "./aws/tenant.ts";
import { ModelServing, latestApprovedPackageArn } from "./aws/modelServing.ts";
import { AlertTopic } from "./aws/alertTopic.ts";
import { PortalService } from "./aws/portal.ts";
import { SageMakerClient } from "@aws-sdk/client-sagemaker";
import { modelPackageGroupName } from "./naming.ts";
import { PORTAL_SNOWFLAKE_USER, REPORTING_SNOWFLAKE_USER, SHARED_TENANT, awsTags } from "./naming.ts";
import { quietNodeVersionNotice } from "../pipelines/awsSdkNotice.ts";
import { NoteInsights } from "./aws/noteInsights.ts";
import { noteLambdaCode } from "./aws/noteLambdaCode.ts";
import { ANALYSE_NOTE } from "../pipelines/definitions/notes.ts";
import { PIPELINE_ROLE } from "../pipelines/definitions/governance.ts";

/** How the Snowflake provider connects (the `snowflake:*` keys of the stack); all optional, the provider also reads SNOWFLAKE_* variables. */
export interface SnowflakeConnection {
  readonly organizationName?: string;
  readonly accountName?: string;
  readonly user?: string;
  readonly role?: string;
  readonly authenticator?: string;
  readonly privateKey?: pulumi.Input<string>;
}

/** Outputs the platform stack exports; tenant stacks read them through a StackReference. */
export const PLATFORM_OUTPUTS = [
  "database",
  "sharedWarehouses",
  "archiveBucketName",
  "archiveBucketArn",
  "archivePrefixes",
  "kmsKeyArn",
  "privateLinkEndpointId",
  "snowflakePrivateHost",
  "firehoseName",
  "topicRuleName",
  "dynamicTableVersions",
  "portal",
] as const;

/**
 * The stack's Snowflake provider. No session database: the 1.x provider would send `params` as
 * session parameters only (terraform-provider-snowflake pkg/provider/provider.go), and the Go
 * driver takes the session's database from its own `database` field, which the provider does not
 * set; every name the deploy sends is fully qualified instead (pipelines/render/qualify.ts).
 */
function snowflakeProvider(conn: SnowflakeConnection): snowflake.Provider {
  return new snowflake.Provider("snowflake", {
    ...conn,
    // Table and DynamicTable are preview features of the 1.x provider.
    previewFeaturesEnabled: [...SNOWFLAKE_PREVIEW_FEATURES],
  });
}

export function platformProgram(cfg: PlatformConfig, conn: SnowflakeConnection = {}): Record<string, pulumi.Input<unknown>> {
  const provider = snowflakeProvider(conn);
  // OPS.ANALYSE_NOTES calls ML.ANALYSE_NOTE, made below in the ML schema the platform makes: the
  // task waits for the function and its grant, handed over once they exist.
  let externalFunctionsMade!: (made: readonly pulumi.Resource[]) => void;
  const externalFunctions = new Promise<readonly pulumi.Resource[]>((resolve) => (externalFunctionsMade = resolve));
  const sf = new SnowflakePlatform(
    "hub",
    {
      database: cfg.database,
      costCenter: cfg.costCenter,
      monitorStartTimestamp: cfg.monitorStartTimestamp,
      firehoseUser: cfg.firehoseUser,
      firehosePublicKey: cfg.firehosePublicKey,
      ...(cfg.portal ? { portalUser: { name: PORTAL_SNOWFLAKE_USER, publicKey: cfg.portal.snowflakePublicKey } } : {}),
      ...(cfg.portal?.reporting ? { reportingUser: { name: REPORTING_SNOWFLAKE_USER, publicKey: cfg.portal.reporting.publicKey } } : {}),
      connection: { ...conn },
      externalFunctions,
    },
    { providers: [provider] },
  );
  const a = new AwsPlatform("hub", {
    tags: awsTags(SHARED_TENANT, cfg.costCenter),
    snowflakeAccountUrl: cfg.snowflakeAccountUrl,
    database: cfg.database,
    firehoseUser: cfg.firehoseUser,
    firehoseSecretArn: cfg.firehoseSecretArn,
    firehoseVpceId: cfg.firehoseVpceId,
    privateLinkServiceName: cfg.privateLinkServiceName,
    vpcId: cfg.vpcId,
    vpcCidr: cfg.vpcCidr,
    subnetIds: cfg.subnetIds,
    archiveIaDays: cfg.archiveIaDays,
    archiveGlacierDays: cfg.archiveGlacierDays,
    archiveExpirationDays: cfg.archiveExpirationDays,
    logRetentionDays: cfg.logRetentionDays,
  });
  // Operator-note insights: ML.ANALYSE_NOTE → API Gateway → Lambda → Bedrock (docs/notes.md).
  const notes = new NoteInsights(
    "hub-notes",
    {
      modelId: cfg.noteModelId,
      code: noteLambdaCode(),
      region: aws.getRegionOutput().region,
      accountId: aws.getCallerIdentityOutput().accountId,
      logsKmsKeyArn: a.kmsKeyArn,
      logRetentionDays: cfg.logRetentionDays,
      reservedConcurrency: cfg.noteLambdaConcurrency,
      database: sf.databaseName,
      tags: awsTags(SHARED_TENANT, cfg.costCenter),
      // Not the whole platform component: its note task waits for this function.
      snowflakeDependsOn: [sf.schemas.get(ANALYSE_NOTE.schema)!, sf.roles.get(PIPELINE_ROLE)!],
    },
    { providers: [provider] },
  );
  externalFunctionsMade([notes.externalFunction, notes.functionUsage]);

  // The operator portal, one for every tenant (infra/aws/portal.ts), when the stack names its image.
  const portal = cfg.portal
    ? new PortalService("hub-portal", {
        ...cfg.portal,
        tags: awsTags(SHARED_TENANT, cfg.costCenter),
        vpcId: cfg.vpcId,
        kmsKeyArn: a.kmsKeyArn,
        snowflake: { accountUrl: cfg.snowflakeAccountUrl, database: cfg.database, user: PORTAL_SNOWFLAKE_USER },
        logRetentionDays: cfg.logRetentionDays,
        // The hourly cost publish signs in as its own user; without its key, nothing is scheduled.
        reporting: cfg.portal.reporting ? { keySecretArn: cfg.portal.reporting.keySecretArn, user: REPORTING_SNOWFLAKE_USER } : undefined,
      })
    : null;
  return {
    database: sf.databaseName,
    sharedWarehouses: sf.warehouseNames,
    archiveBucketName: a.archiveBucketName,
    archiveBucketArn: a.archiveBucketArn,
    archivePrefixes: a.prefixes,
    kmsKeyArn: a.kmsKeyArn,
    privateLinkEndpointId: a.privateLinkEndpointId,
    snowflakePrivateHost: a.snowflakePrivateHost,
    firehoseName: a.firehoseName,
    topicRuleName: a.topicRuleName,
    dynamicTableVersions: sf.dynamicTableVersions,
    portal: portal ? { url: portal.url, loadBalancerDnsName: portal.loadBalancerDnsName, userPoolId: portal.userPoolId, signInDomain: portal.signInDomain } : null,
  };
}

/** How a served model's package is found: the newest Approved one in its group (SageMaker), by default. */
export type PackageLookup = (group: string, region: string) => Promise<string>;

const sagemakerLookup: PackageLookup = (group, region) => (quietNodeVersionNotice(), latestApprovedPackageArn(new SageMakerClient({ region }), group));

export function tenantProgram(cfg: TenantConfig, conn: SnowflakeConnection = {}, lookup: PackageLookup = sagemakerLookup): Record<string, pulumi.Input<unknown>> {
  const platform = new pulumi.StackReference("platform", { name: cfg.platformStack });
  // Only names the platform exports (PLATFORM_OUTPUTS; tests/infra/platformExports.test.ts).
  const out = <T = string>(k: (typeof PLATFORM_OUTPUTS)[number]) => platform.requireOutput(k) as pulumi.Output<T>;
  const provider = snowflakeProvider(conn);
  const sf = new SnowflakeTenant(
    cfg.tenantId,
    {
      tenantId: cfg.tenantId,
      tier: cfg.tier,
      database: out("database"),
      databaseName: cfg.database,
      dynamicTableVersions: out<Record<string, string>>("dynamicTableVersions"),
      servicePublicKey: pulumi.secret(cfg.servicePublicKey),
      piiAccess: cfg.piiAccess,
      portalAccess: cfg.portalAccess,
      warehouses: cfg.warehouses,
      monitorStartTimestamp: cfg.monitorStartTimestamp,
      notifyUsers: cfg.notifyUsers,
      costCenter: cfg.costCenter,
    },
    { providers: [provider] },
  );
  const a = new AwsTenant(cfg.tenantId, {
    tenantId: cfg.tenantId,
    tier: cfg.tier,
    tags: awsTags(cfg.tenantId, cfg.costCenter),
    region: aws.getRegionOutput().region,
    accountId: aws.getCallerIdentityOutput().accountId,
    archiveBucketName: out("archiveBucketName"),
    platformKmsKeyArn: out("kmsKeyArn"),
    models: cfg.models,
  });
  // Alert delivery in production: the tenant's SNS topic and its critical-events rule (docs/alerts.md).
  const eventBus = cfg.alerting.channels.find((c) => c.kind === "eventbridge");
  const alertTopic = new AlertTopic(`${cfg.tenantId}-alerts`, {
    tenantId: cfg.tenantId,
    tags: awsTags(cfg.tenantId, cfg.costCenter),
    region: aws.getRegionOutput().region,
    accountId: aws.getCallerIdentityOutput().accountId,
    subscribers: cfg.alerting.topicSubscribers,
    ...(eventBus?.kind === "eventbridge" ? { busName: eventBus.busName } : {}),
  });
  // Served models: the latest Approved package of each, looked up at deploy time.
  const region = aws.getRegionOutput().region;
  const served = cfg.serving.models.map(
    (model) =>
      new ModelServing(
        `${cfg.tenantId}-serve-${model}`,
        {
          tenantId: cfg.tenantId,
          model,
          modelPackageArn: region.apply((r) => lookup(modelPackageGroupName(cfg.tenantId, model), r)),
          archiveBucketName: out("archiveBucketName"),
          kmsKeyArns: [out("kmsKeyArn"), a.kmsKeyArn],
          memorySizeInMb: cfg.serving.memorySizeInMb,
          maxConcurrency: cfg.serving.maxConcurrency,
          tags: awsTags(cfg.tenantId, cfg.costCenter),
        },
        { dependsOn: [a] },
      ),
  );
  return {
    servingEndpoints: pulumi.all(Object.fromEntries(cfg.serving.models.map((m, i) => [m, served[i]!.endpointName]))),
    tenantId: cfg.tenantId,
    tier: cfg.tier,
    archiveBucketName: out("archiveBucketName"),
    archivePrefix: a.archivePrefix,
    privateLinkEndpointId: out("privateLinkEndpointId"),
    snowflakePrivateHost: out("snowflakePrivateHost"),
    modelPackageGroups: a.modelPackageGroups,
    warehouseNames: sf.warehouseNames,
    roleName: sf.roleName,
    serviceUserName: sf.serviceUserName,
    schemaName: sf.schemaName,
    thingGroupName: a.thingGroupName,
    iotPolicyName: a.iotPolicyName,
    retrainingRoleArn: a.retrainingRoleArn,
    kmsKeyArn: a.kmsKeyArn,
    athenaWorkgroup: a.athenaWorkgroupName,
    lakeQueryPolicyArn: a.lakeQueryPolicyArn,
    alertTopicArn: alertTopic.topicArn,
    alertPublisherRoleArn: alertTopic.publisherRoleArn,
  };
}

export function stackProgram(cfg: StackConfig, conn: SnowflakeConnection = {}, lookup?: PackageLookup): Record<string, pulumi.Input<unknown>> {
  return cfg.kind === "platform" ? platformProgram(cfg, conn) : tenantProgram(cfg, conn, lookup);
}
