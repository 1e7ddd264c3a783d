/**
 * Runs the program under Pulumi's mocks, without the CLI or credentials, and records what it
 * declares: for `scripts/plan.ts` and the tests. Mocked outputs are made-up but well-formed
 * (ARNs, ids, a platform stack's outputs for a tenant's StackReference).
 */
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "./config.ts";
import { PROJECT } from "./config.ts";
import { PLATFORM_OUTPUTS, stackProgram } from "./program.ts";
import type { PolicyResourceLike } from "./policy/rules.ts";

export const MOCK_REGION = "eu-west-1";
export const MOCK_ACCOUNT = "123456789012";

/** What a tenant's StackReference reads from the platform stack, offline. */
export const MOCK_PLATFORM_OUTPUTS: Record<(typeof PLATFORM_OUTPUTS)[number], unknown> = {
  database: "HUB",
  sharedWarehouses: ["HUB_TRANSFORM_WH", "HUB_ANALYTICS_WH"],
  archiveBucketName: "hub-archive-offline",
  archiveBucketArn: "arn:aws:s3:::hub-archive-offline",
  archivePrefixes: { firehoseBackup: "firehose-backup/", modelArtifacts: "models/" },
  kmsKeyArn: `arn:aws:kms:${MOCK_REGION}:${MOCK_ACCOUNT}:key/00000000-0000-0000-0000-000000000000`,
  privateLinkEndpointId: "vpce-0offline000000000",
  snowflakePrivateHost: "xy12345.eu-west-1.privatelink.snowflakecomputing.com",
  sagemakerRoleArn: `arn:aws:iam::${MOCK_ACCOUNT}:role/hub-sagemaker`,
  firehoseName: "hub-telemetry",
  topicRuleName: "hub_telemetry_to_firehose",
};

export interface DeclaredResource extends PolicyResourceLike {
  /** False for component resources (hub:*) and the stack reference read. */
  readonly custom: boolean;
}

export interface OfflineRun {
  readonly resources: readonly DeclaredResource[];
  readonly outputs: Readonly<Record<string, unknown>>;
}

/** Computed properties a real provider would fill in, so dependants see plausible values. */
function computed(type: string, name: string, inputs: Record<string, any>): Record<string, unknown> {
  const [pkg, mod] = type.split(":");
  const out: Record<string, unknown> = {};
  if (pkg === "aws") {
    const module = (mod ?? "").split("/")[0]!;
    const service = module === "cloudwatch" ? "logs" : module; // log group ARNs are arn:aws:logs:...
    out["arn"] = `arn:aws:${service}:${MOCK_REGION}:${MOCK_ACCOUNT}:${name}`;
    if (type === "aws:s3/bucket:Bucket") {
      out["bucket"] = `${inputs["bucketPrefix"] ?? ""}${name}`;
      out["arn"] = `arn:aws:s3:::${out["bucket"]}`;
    }
    if (type === "aws:kms/key:Key") out["keyId"] = `${name}-key-id`;
    if (type === "aws:ec2/vpcEndpoint:VpcEndpoint") out["dnsEntries"] = [{ dnsName: `${name}.vpce.amazonaws.com`, hostedZoneId: "Z0000000000" }];
    if (type === "aws:route53/zone:Zone") out["zoneId"] = `${name}-zone-id`;
    if (inputs["name"] === undefined && !type.startsWith("aws:s3/")) out["name"] = name;
  }
  if (pkg === "snowflake" && inputs["database"] && inputs["schema"] && inputs["name"]) {
    out["fullyQualifiedName"] = `"${inputs["database"]}"."${inputs["schema"]}"."${inputs["name"]}"`;
  }
  return out;
}

async function settle(count: () => number): Promise<void> {
  let last = -1;
  let stable = 0;
  while (stable < 3) {
    await new Promise((r) => setTimeout(r, 15));
    const n = count();
    stable = n === last ? stable + 1 : 0;
    last = n;
  }
}

/**
 * Declare the stack's resources under mocks. Call once per process: Pulumi's runtime settings are
 * global, so a second stack in the same process would mix with the first.
 */
export async function runOffline(cfg: StackConfig): Promise<OfflineRun> {
  const resources: DeclaredResource[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const urn = `urn:pulumi:${cfg.stack}::${PROJECT}::${args.type}::${args.name}`;
        if (args.type === "pulumi:pulumi:StackReference") {
          resources.push({ type: args.type, name: args.name, urn, id: args.name, props: args.inputs, custom: false });
          return { id: args.inputs.name ?? args.name, state: { name: args.inputs.name, outputs: MOCK_PLATFORM_OUTPUTS, secretOutputNames: [] } };
        }
        const id = args.id || `${args.name}-id`; // the mock monitor passes "" for a new resource
        const state = { ...args.inputs, ...computed(args.type, args.name, args.inputs) };
        resources.push({ type: args.type, name: args.name, urn, id, props: args.inputs, custom: args.custom !== false });
        return { id, state };
      },
      call: (args) => {
        if (args.token === "aws:index/getRegion:getRegion") return { region: MOCK_REGION, name: MOCK_REGION, id: MOCK_REGION, description: "offline", endpoint: "offline" };
        if (args.token === "aws:index/getCallerIdentity:getCallerIdentity") return { accountId: MOCK_ACCOUNT, arn: `arn:aws:iam::${MOCK_ACCOUNT}:user/offline`, userId: "offline", id: MOCK_ACCOUNT };
        return args.inputs;
      },
    },
    PROJECT,
    cfg.stack,
    false,
  );
  const declared = stackProgram(cfg);
  const outputs = await new Promise<Record<string, unknown>>((resolve) => pulumi.output(declared).apply((v) => resolve(v as Record<string, unknown>)));
  await settle(() => resources.length);
  return { resources, outputs };
}
