/**
 * The AWS side of the platform stack: the KMS key, the S3 archive, the IoT rule → Firehose →
 * Snowflake ingest path, the PrivateLink endpoint to Snowflake with its private DNS, the lake's
 * catalogue and the log groups (SageMaker's training group among them).
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { DEVICE_MESSAGES } from "../../pipelines/definitions/raw.ts";
import { INGEST_ROLE } from "../../pipelines/definitions/grants.ts";
import { LAKE_DATABASE, LAKE_TABLES } from "../../pipelines/archive/lakeCatalog.ts";
import { TELEMETRY_PREFIX } from "../../edge/topicRules.ts";
import { FIREHOSE_BACKUP_PREFIX, MODEL_ARTIFACT_PREFIX } from "../naming.ts";

/** Every telemetry topic: `dt/hub/<tenant>/<site>/<sensor_type>/<device_id>`. */
export const TELEMETRY_FILTER = `${TELEMETRY_PREFIX}/+/+/+/+`;

/** The IoT SQL of the ingest rule: the topic levels become the RAW table's address columns. */
export function telemetryRuleSql(): string {
  return (
    `SELECT *, topic(3) AS tenant_id, topic(4) AS site_id, upper(topic(5)) AS sensor_type, topic(6) AS device_id, ` +
    `topic() AS topic, timestamp() AS ingested_at, 'mqtt' AS source FROM '${TELEMETRY_FILTER}'`
  );
}

/** The log stream Firehose reports Snowflake delivery errors to (created here: its role cannot). */
export const FIREHOSE_LOG_STREAM = "snowflake-delivery";

/** Where the archive's server access logs land in the access-log bucket. */
export const ACCESS_LOG_PREFIX = "archive/";

export function policyJson(statements: object[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

/** A key policy: the account's IAM administers the key; CloudWatch Logs may use it for log groups of this account and region. */
export function logsKeyPolicy(region: string, account: string): string {
  return policyJson([
    { Sid: "AccountAdministersThroughIam", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: "kms:*", Resource: "*" },
    {
      Sid: "CloudWatchLogsEncryptsLogGroups",
      Effect: "Allow",
      Principal: { Service: `logs.${region}.amazonaws.com` },
      Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
      Resource: "*",
      Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:${region}:${account}:log-group:*` } },
    },
  ]);
}

/** Where SageMaker training jobs write their logs (a fixed name; the job's role needs to write there). */
export const SAGEMAKER_TRAINING_LOG_GROUP = "/aws/sagemaker/TrainingJobs";

export function assumeRole(service: string): string {
  return policyJson([{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }]);
}

export interface AwsPlatformArgs {
  /** Tags on every taggable resource (tenant=shared, cost-center); required. */
  readonly tags: Record<string, string>;
  /** Snowflake account URL Firehose delivers to; required. */
  readonly snowflakeAccountUrl: string;
  /** Snowflake database of the RAW table; required. */
  readonly database: string;
  /** Snowflake user Firehose connects as; required. */
  readonly firehoseUser: string;
  /** Secrets Manager secret with the Firehose user's key pair; required. */
  readonly firehoseSecretArn: string;
  /** Snowflake's VPCE id for Firehose; default none (public endpoint). */
  readonly firehoseVpceId?: string;
  /** VPC endpoint service name of the Snowflake account; required. */
  readonly privateLinkServiceName: string;
  /** VPC, its CIDR (the only source the endpoint admits) and the endpoint's subnets; required. */
  readonly vpcId: string;
  readonly vpcCidr: string;
  readonly subnetIds: readonly string[];
  /** Archive lifecycle: days to STANDARD_IA (default 30), to GLACIER (default 90), to expiry (required). */
  readonly archiveIaDays?: number;
  readonly archiveGlacierDays?: number;
  readonly archiveExpirationDays: number;
  /** Retention of the log groups in days; required. */
  readonly logRetentionDays: number;
}

export class AwsPlatform extends pulumi.ComponentResource {
  readonly kmsKeyArn: pulumi.Output<string>;
  readonly archiveBucketName: pulumi.Output<string>;
  readonly archiveBucketArn: pulumi.Output<string>;
  readonly privateLinkEndpointId: pulumi.Output<string>;
  readonly snowflakePrivateHost: string;
  /** Key prefixes in the archive: Firehose's failed records and model artifacts. */
  readonly prefixes = { firehoseBackup: FIREHOSE_BACKUP_PREFIX, modelArtifacts: MODEL_ARTIFACT_PREFIX };
  readonly firehoseName: pulumi.Output<string>;
  readonly topicRuleName: pulumi.Output<string>;
  readonly lakeDatabaseName: pulumi.Output<string>;

  constructor(name: string, args: AwsPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hub:aws:Platform", name, {}, opts);
    const ia = args.archiveIaDays ?? 30;
    const glacier = args.archiveGlacierDays ?? 90;
    if (!(ia < glacier && glacier < args.archiveExpirationDays)) {
      throw new pulumi.ResourceError("`archiveIaDays` < `archiveGlacierDays` < `archiveExpirationDays` must hold", this);
    }
    if (args.subnetIds.length === 0) throw new pulumi.ResourceError("`subnetIds` needs at least one subnet for the PrivateLink endpoint", this);
    const host = new URL(args.snowflakeAccountUrl).host;
    const tags = args.tags;
    const child = { parent: this };

    // The key policy: the account administers it through IAM, and CloudWatch Logs may use it for the
    // hub's log groups (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
    const region = aws.getRegionOutput({}, { parent: this }).region;
    const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
    const key = new aws.kms.Key(
      `${name}-key`,
      {
        description: "Manufacturing data hub: archive, ingest backup, models, log groups.",
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: pulumi.all([region, account]).apply(([r, a]) => logsKeyPolicy(r, a)),
        tags,
      },
      child,
    );
    new aws.kms.Alias(`${name}-key-alias`, { name: "alias/hub-platform", targetKeyId: key.keyId }, child);

    // --- The archive ---
    const bucket = new aws.s3.Bucket(`${name}-archive`, { bucketPrefix: "hub-archive-", tags }, child);
    new aws.s3.BucketVersioning(`${name}-archive-versioning`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, child);
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-archive-encryption`,
      { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn }, bucketKeyEnabled: true }] },
      child,
    );
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
      `${name}-archive-public-access`,
      { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      child,
    );
    new aws.s3.BucketPolicy(
      `${name}-archive-tls-only`,
      {
        bucket: bucket.id,
        policy: pulumi.interpolate`${bucket.arn}`.apply((arn) =>
          policyJson([{ Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [arn, `${arn}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } }]),
        ),
      },
      { parent: this, dependsOn: [publicAccess] },
    );
    // Server access logs of the archive, to a bucket of their own. Log delivery supports SSE-S3 on
    // the target, not SSE-KMS (https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html).
    const logBucket = new aws.s3.Bucket(`${name}-access-logs`, { bucketPrefix: "hub-access-logs-", tags }, child);
    new aws.s3.BucketVersioning(`${name}-access-logs-versioning`, { bucket: logBucket.id, versioningConfiguration: { status: "Enabled" } }, child);
    new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-access-logs-encryption`, { bucket: logBucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] }, child);
    const logsPublicAccess = new aws.s3.BucketPublicAccessBlock(
      `${name}-access-logs-public-access`,
      { bucket: logBucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      child,
    );
    new aws.s3.BucketPolicy(
      `${name}-access-logs-delivery`,
      {
        bucket: logBucket.id,
        policy: pulumi.all([logBucket.arn, bucket.arn, account]).apply(([logs, source, a]) =>
          policyJson([
            {
              Sid: "S3ServerAccessLogs",
              Effect: "Allow",
              Principal: { Service: "logging.s3.amazonaws.com" },
              Action: "s3:PutObject",
              Resource: `${logs}/${ACCESS_LOG_PREFIX}*`,
              Condition: { ArnLike: { "aws:SourceArn": source }, StringEquals: { "aws:SourceAccount": a } },
            },
            { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [logs, `${logs}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } },
          ]),
        ),
      },
      { parent: this, dependsOn: [logsPublicAccess] },
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-access-logs-lifecycle`,
      { bucket: logBucket.id, rules: [{ id: "expire-access-logs", status: "Enabled", filter: { prefix: "" }, expiration: { days: args.logRetentionDays }, noncurrentVersionExpiration: { noncurrentDays: 30 } }] },
      child,
    );
    new aws.s3.BucketLogging(`${name}-archive-access-logging`, { bucket: bucket.id, targetBucket: logBucket.id, targetPrefix: ACCESS_LOG_PREFIX }, child);
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-archive-lifecycle`,
      {
        bucket: bucket.id,
        rules: [
          {
            id: "archive-tiering",
            status: "Enabled",
            filter: { prefix: "" },
            transitions: [
              { days: ia, storageClass: "STANDARD_IA" },
              { days: glacier, storageClass: "GLACIER" },
            ],
            expiration: { days: args.archiveExpirationDays },
            noncurrentVersionExpiration: { noncurrentDays: 30 },
          },
        ],
      },
      child,
    );

    // --- The lake's catalogue: a Glue table per archived table, partitions by projection ---
    const lake = new aws.glue.CatalogDatabase(`${name}-lake`, { name: LAKE_DATABASE, description: "The archive's Parquet (bronze, silver, gold) by tenant and day.", tags }, child);
    for (const t of LAKE_TABLES) {
      new aws.glue.CatalogTable(
        `${name}-lake-${t.name.replaceAll("_", "-")}`,
        {
          databaseName: lake.name,
          name: t.name,
          description: `${t.archived.table} (${t.archived.layer}), as the archive export writes it.`,
          tableType: "EXTERNAL_TABLE",
          parameters: bucket.bucket.apply((b) => t.parameters(b)),
          partitionKeys: t.partitionKeys.map((k) => ({ ...k })),
          storageDescriptor: {
            location: pulumi.interpolate`s3://${bucket.bucket}/${t.prefix}`,
            inputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            outputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            serDeInfo: { serializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe", parameters: { "serialization.format": "1" } },
            columns: t.columns.map((c) => ({ ...c })),
          },
        },
        { parent: this, dependsOn: [lake] },
      );
    }

    // --- Logs ---
    // Every log group is encrypted with the platform key (its policy admits CloudWatch Logs).
    const logGroup = (id: string, logName: string) => new aws.cloudwatch.LogGroup(`${name}-${id}`, { name: logName, retentionInDays: args.logRetentionDays, kmsKeyId: key.arn, tags }, child);
    const firehoseLogs = logGroup("firehose-logs", "/hub/firehose/telemetry");
    const firehoseLogStream = new aws.cloudwatch.LogStream(`${name}-firehose-log-stream`, { name: FIREHOSE_LOG_STREAM, logGroupName: firehoseLogs.name }, child);
    const ruleErrorLogs = logGroup("iot-rule-errors", "/hub/iot/telemetry-rule-errors");
    // SageMaker writes training logs to this fixed group; declared here for its retention and key.
    logGroup("training-logs", SAGEMAKER_TRAINING_LOG_GROUP);

    // --- PrivateLink to Snowflake: 443 from the VPC only, private DNS for the account host ---
    const sg = new aws.ec2.SecurityGroup(
      `${name}-snowflake-endpoint-sg`,
      {
        vpcId: args.vpcId,
        description: "Snowflake PrivateLink endpoint: HTTPS from the VPC only.",
        ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: [args.vpcCidr], description: "HTTPS from the VPC" }],
        egress: [],
        tags,
      },
      child,
    );
    const endpoint = new aws.ec2.VpcEndpoint(
      `${name}-snowflake-endpoint`,
      { vpcId: args.vpcId, serviceName: args.privateLinkServiceName, vpcEndpointType: "Interface", subnetIds: [...args.subnetIds], securityGroupIds: [sg.id], privateDnsEnabled: false, tags },
      child,
    );
    const zone = new aws.route53.Zone(`${name}-snowflake-zone`, { name: "privatelink.snowflakecomputing.com", comment: "Snowflake over PrivateLink", vpcs: [{ vpcId: args.vpcId }], tags }, child);
    const endpointDns = endpoint.dnsEntries.apply((e) => e?.[0]?.dnsName ?? "");
    for (const [suffix, record] of [
      ["account", host],
      ["ocsp", `ocsp.${host}`],
    ] as const) {
      new aws.route53.Record(`${name}-snowflake-${suffix}-record`, { zoneId: zone.zoneId, name: record, type: "CNAME", ttl: 300, records: [endpointDns] }, child);
    }

    // --- Ingest: IoT rule → Firehose → Snowflake (Snowpipe Streaming), failed records to the archive ---
    const firehoseRole = new aws.iam.Role(`${name}-firehose-role`, { assumeRolePolicy: assumeRole("firehose.amazonaws.com"), tags }, child);
    new aws.iam.RolePolicy(
      `${name}-firehose-policy`,
      {
        role: firehoseRole.id,
        policy: pulumi.all([bucket.arn, key.arn, firehoseLogs.arn]).apply(([b, k, l]) =>
          policyJson([
            { Effect: "Allow", Action: ["s3:PutObject", "s3:AbortMultipartUpload"], Resource: `${b}/${FIREHOSE_BACKUP_PREFIX}*` },
            { Effect: "Allow", Action: ["s3:GetBucketLocation", "s3:ListBucket"], Resource: b },
            { Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: k },
            { Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: args.firehoseSecretArn },
            { Effect: "Allow", Action: ["logs:PutLogEvents"], Resource: `${l}:*` },
          ]),
        ),
      },
      child,
    );
    const firehose = new aws.kinesis.FirehoseDeliveryStream(
      `${name}-telemetry-firehose`,
      {
        name: "hub-telemetry",
        destination: "snowflake",
        snowflakeConfiguration: {
          accountUrl: args.snowflakeAccountUrl,
          database: args.database,
          // One row per MQTT message in RAW.DEVICE_MESSAGES; the EXPAND_DEVICE_MESSAGES task
          // turns it into one RAW.SENSOR_READINGS row per reading.
          schema: DEVICE_MESSAGES.schema,
          table: DEVICE_MESSAGES.name,
          // The user and its private key come from the secret (Firehose's Snowflake secret format);
          // the role is the one the platform stack grants INSERT on the table.
          roleArn: firehoseRole.arn,
          snowflakeRoleConfiguration: { enabled: true, snowflakeRole: INGEST_ROLE },
          dataLoadingOption: "VARIANT_CONTENT_AND_METADATA_MAPPING",
          contentColumnName: "MESSAGE",
          metadataColumnName: "METADATA",
          secretsManagerConfiguration: { enabled: true, secretArn: args.firehoseSecretArn, roleArn: firehoseRole.arn },
          ...(args.firehoseVpceId ? { snowflakeVpcConfiguration: { privateLinkVpceId: args.firehoseVpceId } } : {}),
          s3BackupMode: "FailedDataOnly",
          s3Configuration: { bucketArn: bucket.arn, roleArn: firehoseRole.arn, prefix: FIREHOSE_BACKUP_PREFIX, errorOutputPrefix: `${FIREHOSE_BACKUP_PREFIX}errors/`, kmsKeyArn: key.arn, compressionFormat: "GZIP" },
          // The stream exists before Firehose writes to it: its role may put events, not create streams.
          cloudwatchLoggingOptions: { enabled: true, logGroupName: firehoseLogs.name, logStreamName: firehoseLogStream.name },
        },
        tags,
      },
      child,
    );
    const ruleRole = new aws.iam.Role(`${name}-iot-rule-role`, { assumeRolePolicy: assumeRole("iot.amazonaws.com"), tags }, child);
    new aws.iam.RolePolicy(
      `${name}-iot-rule-policy`,
      {
        role: ruleRole.id,
        policy: pulumi.all([firehose.arn, ruleErrorLogs.arn]).apply(([f, l]) =>
          policyJson([
            { Effect: "Allow", Action: ["firehose:PutRecord", "firehose:PutRecordBatch"], Resource: f },
            { Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${l}:*` },
          ]),
        ),
      },
      child,
    );
    const rule = new aws.iot.TopicRule(
      `${name}-telemetry-rule`,
      {
        name: "hub_telemetry_to_firehose",
        description: "Every telemetry message to Firehose, which lands it in RAW.DEVICE_MESSAGES.",
        enabled: true,
        sql: telemetryRuleSql(),
        sqlVersion: "2016-03-23",
        firehoses: [{ deliveryStreamName: firehose.name, roleArn: ruleRole.arn, batchMode: false, separator: "\n" }],
        errorAction: { cloudwatchLogs: { logGroupName: ruleErrorLogs.name, roleArn: ruleRole.arn } },
        tags,
      },
      child,
    );

    // No platform SageMaker role: training runs as each tenant's retraining role (aws/tenant.ts,
    // the RoleArn of CreateTrainingJob), confined to its tenant; a platform role reading the whole
    // archive was used by nothing.

    this.kmsKeyArn = key.arn;
    this.archiveBucketName = bucket.bucket;
    this.archiveBucketArn = bucket.arn;
    this.privateLinkEndpointId = endpoint.id;
    this.snowflakePrivateHost = host;
    this.firehoseName = firehose.name;
    this.topicRuleName = rule.name;
    this.lakeDatabaseName = lake.name;
    this.registerOutputs({
      kmsKeyArn: this.kmsKeyArn,
      archiveBucketName: this.archiveBucketName,
      privateLinkEndpointId: this.privateLinkEndpointId,
      firehoseName: this.firehoseName,
      topicRuleName: this.topicRuleName,
    });
  }
}
