/**
 * The Pulumi entry point (`main: infra/` in Pulumi.yaml): the only file that reads `pulumi.Config`.
 * It checks the whole stack configuration before declaring anything (an error names the key and the
 * value), then builds the platform stack or a tenant stack. Keys are documented in Pulumi.yaml.
 */
import * as pulumi from "@pulumi/pulumi";
import { ALERT_KEYS, CONFIG_KEYS, parseStackConfig, type RawConfig } from "./config.ts";
import { stackProgram, type SnowflakeConnection } from "./program.ts";

const hub = new pulumi.Config("hub");
const raw: Record<string, string | undefined> = {};
for (const k of CONFIG_KEYS.filter((k) => !k.secret)) raw[`hub:${k.key}`] = hub.get(k.key);
// The tenant's alert channels and SNS subscribers (docs/alerts.md), parsed by their own allowlist.
const alerts = new pulumi.Config("alerts");
for (const k of ALERT_KEYS) raw[k] = alerts.get(k.slice("alerts:".length));
// The public key is secret config; it is read as a secret and only the check sees its plain text.
const publicKey = hub.getSecret("servicePublicKey");
const cfg = await (publicKey
  ? new Promise<ReturnType<typeof parseStackConfig>>((resolve, reject) =>
      publicKey.apply((k) => {
        try {
          resolve(parseStackConfig(pulumi.getStack(), { ...raw, "hub:servicePublicKey": k } as RawConfig, { organization: pulumi.getOrganization(), project: pulumi.getProject() }));
        } catch (e) {
          reject(e);
        }
      }),
    )
  : Promise.resolve(parseStackConfig(pulumi.getStack(), raw, { organization: pulumi.getOrganization(), project: pulumi.getProject() })));

const sf = new pulumi.Config("snowflake");
const conn: SnowflakeConnection = {
  ...(sf.get("organizationName") ? { organizationName: sf.get("organizationName")! } : {}),
  ...(sf.get("accountName") ? { accountName: sf.get("accountName")! } : {}),
  ...(sf.get("user") ? { user: sf.get("user")! } : {}),
  ...(sf.get("role") ? { role: sf.get("role")! } : {}),
  ...(sf.get("authenticator") ? { authenticator: sf.get("authenticator")! } : {}),
  ...(sf.getSecret("privateKey") ? { privateKey: sf.getSecret("privateKey")! } : {}),
};

const outputs = stackProgram(cfg, conn);

export const stackKind = cfg.kind;
export const database = outputs["database"];
export const sharedWarehouses = outputs["sharedWarehouses"];
export const archiveBucketName = outputs["archiveBucketName"];
export const archiveBucketArn = outputs["archiveBucketArn"];
export const archivePrefixes = outputs["archivePrefixes"];
export const kmsKeyArn = outputs["kmsKeyArn"];
export const privateLinkEndpointId = outputs["privateLinkEndpointId"];
export const snowflakePrivateHost = outputs["snowflakePrivateHost"];
export const firehoseName = outputs["firehoseName"];
export const topicRuleName = outputs["topicRuleName"];
export const dynamicTableVersions = outputs["dynamicTableVersions"];
export const portal = outputs["portal"];
export const tenantId = outputs["tenantId"];
export const tier = outputs["tier"];
export const archivePrefix = outputs["archivePrefix"];
export const modelPackageGroups = outputs["modelPackageGroups"];
export const warehouseNames = outputs["warehouseNames"];
export const roleName = outputs["roleName"];
export const serviceUserName = outputs["serviceUserName"];
export const schemaName = outputs["schemaName"];
export const thingGroupName = outputs["thingGroupName"];
export const iotPolicyName = outputs["iotPolicyName"];
export const retrainingRoleArn = outputs["retrainingRoleArn"];
export const servingEndpoints = outputs["servingEndpoints"];
export const athenaWorkgroup = outputs["athenaWorkgroup"];
export const lakeQueryPolicyArn = outputs["lakeQueryPolicyArn"];
export const alertTopicArn = outputs["alertTopicArn"];
export const alertPublisherRoleArn = outputs["alertPublisherRoleArn"];
