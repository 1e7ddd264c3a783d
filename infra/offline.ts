/**
 * Runs the program under Pulumi's mocks, without the CLI or credentials, and records what it
 * declares: for `scripts/plan.ts` and the tests. Mocked outputs are made-up but well-formed
 * (ARNs, ids, a platform stack's outputs for a tenant's StackReference).
 */
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "./config.ts";
import { PROJECT } from "./config.ts";
import { PLATFORM_OUTPUTS, stackProgram, type PackageLookup } from "./program.ts";
import type { PolicyResourceLike } from "./policy/rules.ts";
import { DYNAMIC_TABLES } from "../pipelines/definitions/catalog.ts";
import { qualifiedName } from "../pipelines/definitions/types.ts";

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
  firehoseName: "hub-telemetry",
  topicRuleName: "hub_telemetry_to_firehose",
  dynamicTableVersions: Object.fromEntries(DYNAMIC_TABLES.map((t) => [qualifiedName(t), "2026-12-01T00:00:00.000Z"])),
  portal: {
    url: "https://portal.example.com/portal/",
    loadBalancerDnsName: "hubpt-offline.eu-west-1.elb.amazonaws.com",
    userPoolId: "eu-west-1_Offline01",
    signInDomain: "hub-portal-offline.auth.eu-west-1.amazoncognito.com",
  },
};

export interface DeclaredResource extends PolicyResourceLike {
  /** False for component resources (hub:*) and the stack reference read. */
  readonly custom: boolean;
  /** The provider reference (`urn::id`) the resource is managed by, when it names one. */
  readonly provider?: string;
  /**
   * Names of the resources it depends on, as the engine orders them: its explicit dependsOn and
   * every resource whose outputs its inputs read (the registration's dependency list).
   */
  readonly dependsOn?: readonly string[];
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
    // API Gateway and Lambda outputs the note-insight path wires together (infra/aws/noteInsights.ts).
    if (type === "aws:apigateway/restApi:RestApi") Object.assign(out, { executionArn: `arn:aws:execute-api:${MOCK_REGION}:${MOCK_ACCOUNT}:${name}-id`, rootResourceId: `${name}-root` });
    if (type === "aws:apigateway/stage:Stage") out["invokeUrl"] = `https://${inputs["restApi"]}.execute-api.${MOCK_REGION}.amazonaws.com/${inputs["stageName"]}`;
    if (type === "aws:lambda/function:Function") out["invokeArn"] = `arn:aws:apigateway:${MOCK_REGION}:lambda:path/2015-03-31/functions/${out["arn"]}/invocations`;
    if (type === "aws:lb/loadBalancer:LoadBalancer") {
      out["arn"] = `arn:aws:elasticloadbalancing:${MOCK_REGION}:${MOCK_ACCOUNT}:loadbalancer/app/${name}/0123456789abcdef`;
      out["dnsName"] = `${name}.${MOCK_REGION}.elb.amazonaws.com`;
    }
    if (inputs["name"] === undefined && !type.startsWith("aws:s3/")) out["name"] = name;
  }
  if (pkg === "snowflake" && inputs["database"] && inputs["schema"] && inputs["name"]) {
    out["fullyQualifiedName"] = `"${inputs["database"]}"."${inputs["schema"]}"."${inputs["name"]}"`;
  }
  // What Snowflake answers for an API integration (DESCRIBE INTEGRATION): the IAM user it assumes roles as, and its external id.
  if (type === "snowflake:index/apiIntegration:ApiIntegration") Object.assign(out, { apiAwsIamUserArn: "arn:aws:iam::999999999999:user/snowflake-offline", apiAwsExternalId: "OFFLINE_SFCRole=1_abc=" });
  // The provider reads created_on back (pkg/resources/dynamic_table.go); the platform exports it.
  if (type === "snowflake:index/dynamicTable:DynamicTable") out["createdOn"] = "2026-12-01T00:00:00.000Z";
  return out;
}

/**
 * Pulumi's own signal that a program's RPCs are done: every resource registration (and invoke)
 * takes an rpcKeepAlive token in its constructor and gives it back once its RPC has returned and its
 * outputs are resolved; waitForRPCs resolves when that chain of tokens stops growing. It is what
 * runtime.disconnect() waits on, and what the automation API's inline programs await after the
 * program (@pulumi/pulumi runtime/settings.js, automation/server.js). Marked internal in the type
 * declarations, hence the lookup.
 */
const waitForRPCs: () => Promise<void> = (() => {
  const fn = (pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs;
  if (typeof fn !== "function") throw new Error("@pulumi/pulumi no longer exports runtime.waitForRPCs: infra/offline.ts needs another settle signal");
  return fn;
})();

/**
 * Resolves once the program has declared everything. waitForRPCs covers every resource already
 * constructed, whatever its inputs wait on. A resource constructed inside an apply() is constructed
 * only when the outputs it reads resolve, which may be just after the chain settled; under mocks
 * that happens in microtasks, all of which have run by the next setImmediate. So: wait for the
 * RPCs, let the queued microtasks run, and stop at the first round in which the mocks saw no new
 * RPC at all. No timing is involved: the rounds end on what the runtime and the mocks report.
 */
async function declarationsSettled(rpcs: () => number): Promise<void> {
  for (;;) {
    const before = rpcs();
    await waitForRPCs();
    await new Promise<void>((r) => setImmediate(r));
    if (rpcs() === before) return;
  }
}

/**
 * Declare the stack's resources under mocks. Call once per process: Pulumi's runtime settings are
 * global, so a second stack in the same process would mix with the first.
 */
export function runOffline(cfg: StackConfig, opts: OfflineOptions = {}): Promise<OfflineRun> {
  return declareUnderMocks(cfg.stack, () => stackProgram(cfg, {}, opts.packageLookup), opts);
}

export interface OfflineOptions {
  /**
   * Run as `pulumi preview` of a first deploy: providers compute nothing yet, so every output a
   * provider fills in (ARNs, ids, names it generates) is unknown, and so is every input built from
   * one (IAM documents that name an ARN). Default false: made-up but well-formed values.
   */
  readonly preview?: boolean;
  /**
   * How served models' packages are found. Default: SageMaker, as `pulumi up` does (tests put
   * aws-sdk-client-mock in front of it); OFFLINE_PACKAGE_LOOKUP answers without AWS.
   */
  readonly packageLookup?: PackageLookup;
}

/** A stand-in for the newest Approved package of a group: version 1, in the mock account. */
export const OFFLINE_PACKAGE_LOOKUP: PackageLookup = async (group, region) => `arn:aws:sagemaker:${region}:${MOCK_ACCOUNT}:model-package/${group}/1`;

/**
 * Run `program` under the mocks as stack `stack` and record every resource it declares, however
 * late (see declarationsSettled). The same once-per-process rule as runOffline.
 */
export async function declareUnderMocks(stack: string, program: () => unknown, opts: OfflineOptions = {}): Promise<OfflineRun> {
  const resources: DeclaredResource[] = [];
  let rpcs = 0;
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        rpcs++;
        const urn = `urn:pulumi:${stack}::${PROJECT}::${args.type}::${args.name}`;
        if (args.type === "pulumi:pulumi:StackReference") {
          resources.push({ type: args.type, name: args.name, urn, id: args.name, props: args.inputs, custom: false });
          return { id: args.inputs.name ?? args.name, state: { name: args.inputs.name, outputs: MOCK_PLATFORM_OUTPUTS, secretOutputNames: [] } };
        }
        const made = computed(args.type, args.name, args.inputs);
        // The mock monitor passes "" for a new resource. A load balancer's id is its ARN, as the provider's is.
        const id = args.id || (args.type === "aws:lb/loadBalancer:LoadBalancer" ? String(made["arn"]) : `${args.name}-id`);
        // In a preview the engine returns only the inputs: what the provider computes stays unknown.
        const state = opts.preview ? { ...args.inputs } : { ...args.inputs, ...made };
        resources.push({ type: args.type, name: args.name, urn, id, props: args.inputs, custom: args.custom !== false, ...(args.provider ? { provider: args.provider } : {}) });
        return { id, state };
      },
      call: (args) => {
        rpcs++;
        if (args.token === "aws:index/getRegion:getRegion") return { region: MOCK_REGION, name: MOCK_REGION, id: MOCK_REGION, description: "offline", endpoint: "offline" };
        if (args.token === "aws:index/getCallerIdentity:getCallerIdentity") return { accountId: MOCK_ACCOUNT, arn: `arn:aws:iam::${MOCK_ACCOUNT}:user/offline`, userId: "offline", id: MOCK_ACCOUNT };
        return args.inputs;
      },
    },
    PROJECT,
    stack,
    opts.preview ?? false,
  );
  // The registrations' dependency lists (what the engine orders the deploy by); the mocks' own
  // newResource does not see them, so the monitor's registerResource is wrapped to record them.
  type Registration = {
    getType(): string;
    getName(): string;
    getDependenciesList(): string[];
    getPropertydependenciesMap(): { forEach(f: (v: { getUrnsList(): string[] }, k: string) => void): void };
  };
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource: (req: Registration, cb: unknown) => unknown } | undefined;
  const dependencies = new Map<string, string[]>();
  // Which resources each input came from, as the engine hands them to a policy pack (its
  // propertyDependencies), in this run's URNs: in a preview they are how a rule matches an unknown ARN.
  const propertyDependencies = new Map<string, Record<string, string[]>>();
  const ourUrn = (u: string) => {
    const parts = u.split("::");
    return `urn:pulumi:${stack}::${PROJECT}::${parts.at(-2)!.split("$").pop()}::${parts.at(-1)}`;
  };
  if (monitor) {
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
      const key = `${req.getType()}::${req.getName()}`;
      dependencies.set(key, req.getDependenciesList().map((u) => u.split("::").pop()!));
      const byProperty: Record<string, string[]> = {};
      req.getPropertydependenciesMap().forEach((v, k) => (byProperty[k] = v.getUrnsList().map(ourUrn)));
      propertyDependencies.set(key, byProperty);
      return register(req, cb);
    };
  }
  const declared = program() as pulumi.Input<Record<string, unknown>>;
  // Output.promise(withUnknowns): resolves in a preview too, where apply() never runs on an unknown.
  const all = pulumi.output(declared) as unknown as { promise(withUnknowns?: boolean): Promise<Record<string, unknown>> };
  const outputs = await all.promise(true);
  await declarationsSettled(() => rpcs);
  return {
    resources: resources.map((r) => ({ ...r, dependsOn: dependencies.get(`${r.type}::${r.name}`) ?? [], propertyDependencies: propertyDependencies.get(`${r.type}::${r.name}`) ?? {} })),
    outputs,
  };
}
