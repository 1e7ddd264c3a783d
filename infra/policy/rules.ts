/**
 * The policy pack's mandatory rules as pure functions over resources (type, name, urn, input
 * properties): the pack's entry file (`index.ts`) adapts them to @pulumi/policy, `scripts/plan.ts`
 * runs them on the resources a mocked run declares, and the tests call them directly. Keeping them
 * here means no test constructs a PolicyPack (its constructor starts a gRPC server).
 */
import { COST_CENTER_TAG, TENANT_ISOLATION, TENANT_TAG } from "../../pipelines/definitions/governance.ts";
import { TENANT_COLUMN, qualifiedName } from "../../pipelines/definitions/types.ts";
import { COST_CENTER_TAG_KEY, TENANT_TAG_KEY } from "../naming.ts";
import { albLogBuckets, ecsTasksNoPublicIp, internetFacingAlbsGuarded, listenersHttpsOnly, webAclsObservable } from "./portalRules.ts";

export interface PolicyResourceLike {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  /** The resource's id when known (mocked runs); unknown in a preview. */
  readonly id?: string;
  readonly props: Readonly<Record<string, any>>;
  /** URNs of the resources each property's value came from (the engine provides these). */
  readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
}

export interface PolicyOptions {
  /** Longest warehouse auto-suspend allowed, seconds. */
  readonly maxAutoSuspendSeconds: number;
}

export const DEFAULT_POLICY_OPTIONS: PolicyOptions = { maxAutoSuspendSeconds: 300 };

export interface Violation {
  readonly policy: string;
  readonly urn: string;
  readonly message: string;
}

interface RuleBase {
  readonly name: string;
  readonly description: string;
  readonly enforcementLevel: "mandatory";
}
export interface ResourceRule extends RuleBase {
  readonly kind: "resource";
  readonly check: (r: PolicyResourceLike, o: PolicyOptions) => string[];
}
export interface StackRule extends RuleBase {
  readonly kind: "stack";
  readonly check: (rs: readonly PolicyResourceLike[], o: PolicyOptions) => { urn: string; message: string }[];
}
export type HubRule = ResourceRule | StackRule;

export const T = {
  bucket: "aws:s3/bucket:Bucket",
  versioning: "aws:s3/bucketVersioning:BucketVersioning",
  encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  publicAccess: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  kmsKey: "aws:kms/key:Key",
  warehouse: "snowflake:index/warehouse:Warehouse",
  table: "snowflake:index/table:Table",
  dynamicTable: "snowflake:index/dynamicTable:DynamicTable",
  execute: "snowflake:index/execute:Execute",
  tagAssociation: "snowflake:index/tagAssociation:TagAssociation",
  serviceUser: "snowflake:index/serviceUser:ServiceUser",
  accountRole: "snowflake:index/accountRole:AccountRole",
} as const;

// ---------------------------------------------------------------------------------------------
// S3 buckets are encrypted, versioned and block public access.
// ---------------------------------------------------------------------------------------------

/** Does `child` (a bucket configuration resource) configure `bucket`? By dependency, else by value. */
function configures(child: PolicyResourceLike, bucket: PolicyResourceLike): boolean {
  const deps = child.propertyDependencies?.["bucket"];
  if (deps?.includes(bucket.urn)) return true;
  const ref = child.props["bucket"];
  return ref !== undefined && (ref === bucket.id || ref === bucket.props["bucket"]);
}

export const s3BucketsProtected: StackRule = {
  kind: "stack",
  name: "s3-buckets-encrypted-versioned-private",
  description: "Every S3 bucket has versioning enabled, default encryption (SSE-KMS or SSE-S3) and a public access block with all four settings on.",
  enforcementLevel: "mandatory",
  check: (rs) => {
    const out: { urn: string; message: string }[] = [];
    for (const b of rs.filter((r) => r.type === T.bucket)) {
      const of = (type: string) => rs.filter((r) => r.type === type && configures(r, b));
      if (!of(T.versioning).some((v) => v.props["versioningConfiguration"]?.status === "Enabled")) {
        out.push({ urn: b.urn, message: `bucket ${b.name} has no BucketVersioning with status Enabled` });
      }
      const sse = of(T.encryption).some((e) =>
        (e.props["rules"] ?? []).some((r: any) => ["aws:kms", "aws:kms:dsse", "AES256"].includes(r?.applyServerSideEncryptionByDefault?.sseAlgorithm)),
      );
      if (!sse) out.push({ urn: b.urn, message: `bucket ${b.name} has no default server-side encryption` });
      const keys = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];
      if (!of(T.publicAccess).some((p) => keys.every((k) => p.props[k] === true))) {
        out.push({ urn: b.urn, message: `bucket ${b.name} has no public access block with ${keys.join(", ")} all true` });
      }
    }
    return out;
  },
};

// ---------------------------------------------------------------------------------------------
// No IAM statement allows `*` actions on `*` resources.
// ---------------------------------------------------------------------------------------------

const POLICY_PROPS: Record<string, string[]> = {
  "aws:iam/rolePolicy:RolePolicy": ["policy"],
  "aws:iam/policy:Policy": ["policy"],
  "aws:iam/userPolicy:UserPolicy": ["policy"],
  "aws:iam/groupPolicy:GroupPolicy": ["policy"],
  "aws:iam/role:Role": ["assumeRolePolicy"],
  "aws:s3/bucketPolicy:BucketPolicy": ["policy"],
  "aws:kms/key:Key": ["policy"],
  "aws:sns/topicPolicy:TopicPolicy": ["policy"],
};

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** How the engine (and Pulumi's mocks in preview) hands over a value not known until apply. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Is the value, or any part of it, unknown (a preview before the resources it is built from exist)? */
export function hasUnknown(v: unknown): boolean {
  // The engine's sentinel string, or @pulumi/pulumi's Unknown object (output.js, `__pulumiUnknown`).
  if (v === UNKNOWN || (v !== null && typeof v === "object" && (v as { __pulumiUnknown?: boolean }).__pulumiUnknown === true)) return true;
  if (Array.isArray(v)) return v.some(hasUnknown);
  if (v && typeof v === "object") return Object.values(v).some(hasUnknown);
  return false;
}

/**
 * The IAM documents of a resource that cannot be read now: unknown in a preview (built from ARNs
 * that do not exist yet), or not JSON. The IAM rule cannot pass or fail them; they are reported as
 * unverified rather than passing in silence (scripts/plan.ts --preview; the policy pack itself
 * reports an unknown value it reads during `pulumi preview` and checks it at `pulumi up`).
 */
export function unreadableIamDocuments(r: PolicyResourceLike): string[] {
  const out: string[] = [];
  for (const p of POLICY_PROPS[r.type] ?? []) {
    const d = r.props[p];
    if (d === undefined) continue;
    if (hasUnknown(d)) out.push(`${r.name}: ${p} is unknown until apply; ${noWildcardIam.name} checks it then`);
    else if (typeof d === "string") {
      try {
        JSON.parse(d);
      } catch {
        out.push(`${r.name}: ${p} is not JSON`);
      }
    }
  }
  return out;
}

/**
 * The statements of an IAM or resource policy document, given as an object or as its JSON text (as
 * providers hand it over); none when the text is not JSON (the provider would refuse it first).
 */
function policyStatements(document: unknown): any[] {
  let doc = document;
  if (typeof doc === "string") {
    try {
      doc = JSON.parse(doc);
    } catch {
      return [];
    }
  }
  return asList((doc as { Statement?: unknown } | null)?.Statement);
}

/** The statements that allow every action on every resource, in one policy document. */
export function wildcardStatements(document: unknown): number[] {
  const statements = policyStatements(document);
  return statements.flatMap((s: any, i) =>
    s?.Effect === "Allow" && asList(s.Action).some((a) => a === "*" || a === "*:*") && asList(s.Resource).some((r) => r === "*") ? [i] : [],
  );
}

export const noWildcardIam: ResourceRule = {
  kind: "resource",
  name: "iam-no-star-on-star",
  description: "No IAM statement allows `*` actions on `*` resources.",
  enforcementLevel: "mandatory",
  check: (r) => {
    const props = [...(POLICY_PROPS[r.type] ?? [])];
    const docs: [string, unknown][] = props.map((p) => [p, r.props[p]]);
    if (r.type === "aws:iam/role:Role") for (const [i, p] of asList(r.props["inlinePolicies"]).entries()) docs.push([`inlinePolicies[${i}]`, (p as any)?.policy]);
    return docs.flatMap(([p, d]) => wildcardStatements(d).map((i) => `${r.name}: ${p} statement ${i} allows "*" on "*"`));
  },
};

// ---------------------------------------------------------------------------------------------
// Every Snowflake warehouse has a resource monitor and auto-suspend ≤ the bound.
// ---------------------------------------------------------------------------------------------

export const warehouseCapped: ResourceRule = {
  kind: "resource",
  name: "snowflake-warehouse-monitored",
  description: "Every Snowflake warehouse has a resource monitor and auto-suspend at most maxAutoSuspendSeconds (default 300).",
  enforcementLevel: "mandatory",
  check: (r, o) => {
    if (r.type !== T.warehouse) return [];
    const out: string[] = [];
    if (!r.props["resourceMonitor"]) out.push(`warehouse ${r.props["name"] ?? r.name} has no resource monitor`);
    const s = r.props["autoSuspend"];
    if (typeof s !== "number" || s <= 0 || s > o.maxAutoSuspendSeconds) {
      out.push(`warehouse ${r.props["name"] ?? r.name} auto-suspends after ${s === undefined ? "(unset: never)" : `${s} s`}; at most ${o.maxAutoSuspendSeconds} s allowed`);
    }
    return out;
  },
};

// ---------------------------------------------------------------------------------------------
// Every table with tenant_id has the row access policy.
// ---------------------------------------------------------------------------------------------

const RAP = qualifiedName(TENANT_ISOLATION).toUpperCase();
/** The mapping table the policy reads is exempt (the renderer exempts GOVERNANCE the same way). */
const EXEMPT_SCHEMA = TENANT_ISOLATION.schema;

function tablesWithTenantColumn(rs: readonly PolicyResourceLike[]): { urn: string; name: string; keyword: string }[] {
  const out: { urn: string; name: string; keyword: string }[] = [];
  const col = new RegExp(`\\b${TENANT_COLUMN}\\b`, "i");
  for (const r of rs) {
    const schema = String(r.props["schema"] ?? "").toUpperCase();
    if (r.type === T.table && schema !== EXEMPT_SCHEMA && (r.props["columns"] ?? []).some((c: any) => String(c?.name).toLowerCase() === TENANT_COLUMN)) {
      out.push({ urn: r.urn, name: `${schema}.${String(r.props["name"]).toUpperCase()}`, keyword: "TABLE" });
    }
    // A dynamic table's columns are its query's: one that names tenant_id carries it.
    if (r.type === T.dynamicTable && schema !== EXEMPT_SCHEMA && col.test(String(r.props["query"] ?? ""))) {
      out.push({ urn: r.urn, name: `${schema}.${String(r.props["name"]).toUpperCase()}`, keyword: "DYNAMIC TABLE" });
    }
    // Tables the provider cannot express (TRANSIENT) are created by Execute.
    const create = /^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:TRANSIENT\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:[A-Z0-9_]+\.)?([A-Z0-9_]+)\.([A-Z0-9_]+)\s*\(([\s\S]*)\)/i.exec(r.type === T.execute ? String(r.props["execute"] ?? "") : "");
    if (create && create[1]!.toUpperCase() !== EXEMPT_SCHEMA && new RegExp(`(^|\\n|,)\\s*${TENANT_COLUMN}\\s`, "i").test(create[3]!)) {
      out.push({ urn: r.urn, name: `${create[1]!.toUpperCase()}.${create[2]!.toUpperCase()}`, keyword: "TABLE" });
    }
  }
  return out;
}

export const tenantTablesHaveRowAccessPolicy: StackRule = {
  kind: "stack",
  name: "snowflake-tenant-row-access-policy",
  description: `Every Snowflake table and dynamic table with a ${TENANT_COLUMN} column has the ${RAP} row access policy attached.`,
  enforcementLevel: "mandatory",
  check: (rs) => {
    const attached = new Set<string>();
    // The deploy sends fully qualified names (DATABASE.SCHEMA.NAME); the database part is optional here.
    const re = new RegExp(`ALTER\\s+(?:DYNAMIC\\s+)?TABLE\\s+(?:[A-Z0-9_]+\\.)?([A-Z0-9_]+\\.[A-Z0-9_]+)\\s+ADD\\s+ROW\\s+ACCESS\\s+POLICY\\s+(?:[A-Z0-9_]+\\.)?${RAP.replace(".", "\\.")}\\s+ON\\s*\\(\\s*${TENANT_COLUMN}\\s*\\)`, "i");
    for (const r of rs.filter((r) => r.type === T.execute)) {
      const m = re.exec(String(r.props["execute"] ?? ""));
      if (m) attached.add(m[1]!.toUpperCase());
    }
    return tablesWithTenantColumn(rs)
      .filter((t) => !attached.has(t.name))
      .map((t) => ({ urn: t.urn, message: `${t.keyword.toLowerCase()} ${t.name} has ${TENANT_COLUMN} but no ${RAP} row access policy` }));
  },
};

// ---------------------------------------------------------------------------------------------
// Every taggable resource carries the tenant and cost-centre tags.
// ---------------------------------------------------------------------------------------------

/** AWS types the hub declares that take tags (a resource of another type with `tags` set is checked too). */
export const TAGGABLE_AWS_TYPES = new Set([
  T.bucket,
  T.kmsKey,
  "aws:iam/role:Role",
  "aws:cloudwatch/logGroup:LogGroup",
  "aws:ec2/securityGroup:SecurityGroup",
  "aws:ec2/vpcEndpoint:VpcEndpoint",
  "aws:route53/zone:Zone",
  "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
  "aws:iot/topicRule:TopicRule",
  "aws:iot/thingGroup:ThingGroup",
  "aws:iot/policy:Policy",
  "aws:sagemaker/modelPackageGroup:ModelPackageGroup",
  "aws:glue/catalogDatabase:CatalogDatabase",
  "aws:athena/workgroup:Workgroup",
  "aws:iam/policy:Policy",
  "aws:sns/topic:Topic",
  "aws:cloudwatch/eventRule:EventRule",
]);

/** Snowflake objects that take tags through TagAssociation. */
const TAGGABLE_SNOWFLAKE: Record<string, string> = { [T.warehouse]: "WAREHOUSE", [T.serviceUser]: "USER", [T.accountRole]: "ROLE" };

const unquote = (s: string) => s.replaceAll('"', "").toUpperCase();

export const taggedForCost: StackRule = {
  kind: "stack",
  name: "tenant-and-cost-center-tags",
  description: `Every taggable resource carries the tenant and cost-centre tags (AWS: ${TENANT_TAG_KEY}, ${COST_CENTER_TAG_KEY}; Snowflake: ${qualifiedName(TENANT_TAG)}, ${qualifiedName(COST_CENTER_TAG)}).`,
  enforcementLevel: "mandatory",
  check: (rs) => {
    const out: { urn: string; message: string }[] = [];
    for (const r of rs) {
      if (!r.type.startsWith("aws:")) continue;
      if (!TAGGABLE_AWS_TYPES.has(r.type) && r.props["tags"] === undefined) continue;
      const tags = (r.props["tags"] ?? {}) as Record<string, unknown>;
      const missing = [TENANT_TAG_KEY, COST_CENTER_TAG_KEY].filter((k) => typeof tags[k] !== "string" || tags[k] === "");
      if (missing.length) out.push({ urn: r.urn, message: `${r.type.split(":").pop()} ${r.name} lacks the tag(s) ${missing.join(", ")}` });
    }
    const assoc = rs.filter((r) => r.type === T.tagAssociation);
    for (const r of rs.filter((r) => r.type in TAGGABLE_SNOWFLAKE)) {
      const objectName = String(r.props["name"] ?? "").toUpperCase();
      const has = (tag: string) =>
        assoc.some(
          (a) =>
            String(a.props["objectType"]).toUpperCase() === TAGGABLE_SNOWFLAKE[r.type] &&
            unquote(String(a.props["tagId"] ?? "")).endsWith(tag) &&
            (a.props["objectIdentifiers"] ?? []).some((id: string) => unquote(id) === objectName),
        );
      const missing = [qualifiedName(TENANT_TAG), qualifiedName(COST_CENTER_TAG)].filter((t) => !has(t));
      if (missing.length) out.push({ urn: r.urn, message: `${TAGGABLE_SNOWFLAKE[r.type]!.toLowerCase()} ${objectName} has no tag association for ${missing.join(", ")}` });
    }
    return out;
  },
};

// ---------------------------------------------------------------------------------------------
// KMS key rotation is on.
// ---------------------------------------------------------------------------------------------

export const kmsRotation: ResourceRule = {
  kind: "resource",
  name: "kms-rotation-enabled",
  description: "Every KMS key has automatic rotation enabled.",
  enforcementLevel: "mandatory",
  check: (r) => (r.type === T.kmsKey && r.props["enableKeyRotation"] !== true ? [`KMS key ${r.name} has rotation off`] : []),
};

// ---------------------------------------------------------------------------------------------
// S3 access is logged; log groups are encrypted with a customer key.
// ---------------------------------------------------------------------------------------------

const BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging";

export const s3AccessLogged: StackRule = {
  kind: "stack",
  name: "s3-access-logged",
  description: "Every S3 bucket has server access logging (a BucketLogging), except the buckets those logs are written to (as @pulumi/awsguard's s3-bucket-logging-enabled asks) and the buckets load balancers write their access logs to (logs of logs).",
  enforcementLevel: "mandatory",
  check: (rs) => {
    const logging = rs.filter((r) => r.type === BUCKET_LOGGING);
    const albLogs = albLogBuckets(rs);
    const targets = (b: PolicyResourceLike) => logging.some((l) => l.propertyDependencies?.["targetBucket"]?.includes(b.urn) || (l.props["targetBucket"] !== undefined && (l.props["targetBucket"] === b.id || l.props["targetBucket"] === b.props["bucket"])));
    return rs
      .filter((b) => b.type === T.bucket && !targets(b) && !albLogs.has(b.urn) && !logging.some((l) => configures(l, b)))
      .map((b) => ({ urn: b.urn, message: `bucket ${b.name} has no server access logging (BucketLogging)` }));
  },
};

export const logGroupsEncrypted: ResourceRule = {
  kind: "resource",
  name: "log-groups-kms-encrypted",
  description: "Every CloudWatch log group is encrypted with a KMS key (kmsKeyId).",
  enforcementLevel: "mandatory",
  check: (r) => (r.type === "aws:cloudwatch/logGroup:LogGroup" && !r.props["kmsKeyId"] ? [`log group ${r.props["name"] ?? r.name} has no kmsKeyId`] : []),
};

// ---------------------------------------------------------------------------------------------
// SNS topics (alert delivery, infra/aws/alertTopic.ts) are encrypted with a customer managed key,
// and no topic policy lets just anyone publish.
// ---------------------------------------------------------------------------------------------

export const snsTopicsEncrypted: ResourceRule = {
  kind: "resource",
  name: "sns-topics-kms-encrypted",
  description: "Every SNS topic is encrypted with a customer managed KMS key (kmsMasterKeyId set, not the AWS managed alias/aws/sns, whose policy EventBridge cannot be granted).",
  enforcementLevel: "mandatory",
  check: (r) => {
    if (r.type !== "aws:sns/topic:Topic") return [];
    const k = r.props["kmsMasterKeyId"];
    if (!k) return [`SNS topic ${r.props["name"] ?? r.name} has no kmsMasterKeyId`];
    if (typeof k === "string" && /(^|:)alias\/aws\/sns$/.test(k)) return [`SNS topic ${r.props["name"] ?? r.name} uses the AWS managed key alias/aws/sns; use a customer managed key`];
    return [];
  },
};

/** Conditions that pin a service or `*` principal to one source (a rule, an account). */
const SOURCE_KEYS = ["aws:sourcearn", "aws:sourceaccount", "aws:sourceowner", "aws:principalorgid", "aws:principalaccount"];

/** Statements of a resource policy that allow `*` (anyone) without a source condition. */
export function publicStatements(document: unknown): number[] {
  const statements = policyStatements(document);
  return statements.flatMap((st: any, i) => {
    if (st?.Effect !== "Allow") return [];
    const p = st.Principal;
    const anyone = p === "*" || asList(p?.AWS).includes("*");
    if (!anyone) return [];
    const conditioned = Object.values((st.Condition ?? {}) as Record<string, Record<string, unknown>>).some((c) => Object.keys(c ?? {}).some((k) => SOURCE_KEYS.includes(k.toLowerCase())));
    return conditioned ? [] : [i];
  });
}

export const snsTopicPolicyNotPublic: ResourceRule = {
  kind: "resource",
  name: "sns-topic-policy-not-public",
  description: "No SNS topic policy allows any principal (`*`) without a condition naming the source (aws:SourceArn, aws:SourceAccount, ...).",
  enforcementLevel: "mandatory",
  check: (r) => (r.type === "aws:sns/topicPolicy:TopicPolicy" ? publicStatements(r.props["policy"]).map((i) => `${r.name}: topic policy statement ${i} lets anyone publish or subscribe`) : []),
};

// ---------------------------------------------------------------------------------------------
// Bedrock: a grant to invoke models names one foundation model (issue 28). API Gateway methods are
// signed (AWS_IAM) or authorised by a Cognito/Lambda authoriser, never open.
// ---------------------------------------------------------------------------------------------

const FOUNDATION_MODEL_ARN = /^arn:aws[a-z-]*:bedrock:[a-z0-9-]+::foundation-model\/[A-Za-z0-9.:-]+$/;

/** Statements allowing a Bedrock invoke action on anything but named foundation-model ARNs. */
export function broadBedrockStatements(document: unknown): string[] {
  const statements = policyStatements(document);
  return statements.flatMap((s: any, i) => {
    if (s?.Effect !== "Allow" || !asList(s.Action).some((a) => typeof a === "string" && /^(\*|bedrock:(\*|Invoke\*|InvokeModel\w*))$/i.test(a) && a !== "*")) return [];
    const broad = asList(s.Resource).filter((r) => typeof r !== "string" || !FOUNDATION_MODEL_ARN.test(r) || r.includes("*"));
    return broad.length ? [`statement ${i} allows Bedrock invocation on ${broad.map((r) => JSON.stringify(r)).join(", ")}`] : [];
  });
}

export const bedrockOneModel: ResourceRule = {
  kind: "resource",
  name: "bedrock-invoke-named-models-only",
  description: "An IAM statement that allows bedrock:InvokeModel (or a wildcard of it) names foundation-model ARNs, without wildcards.",
  enforcementLevel: "mandatory",
  check: (r) => {
    const docs: [string, unknown][] = (POLICY_PROPS[r.type] ?? []).map((p) => [p, r.props[p]]);
    return docs.flatMap(([p, d]) => broadBedrockStatements(d).map((m) => `${r.name}: ${p} ${m}`));
  },
};

export const apiMethodsAuthorised: ResourceRule = {
  kind: "resource",
  name: "api-gateway-methods-authorised",
  description: "Every API Gateway REST method requires authorisation (AWS_IAM, COGNITO_USER_POOLS or CUSTOM), never NONE.",
  enforcementLevel: "mandatory",
  check: (r) => {
    if (r.type !== "aws:apigateway/method:Method") return [];
    const auth = String(r.props["authorization"] ?? "NONE").toUpperCase();
    return ["AWS_IAM", "COGNITO_USER_POOLS", "CUSTOM"].includes(auth) ? [] : [`API method ${r.name} has authorization ${auth}`];
  },
};

export const HUB_RULES: readonly HubRule[] = [
  s3BucketsProtected,
  s3AccessLogged,
  noWildcardIam,
  warehouseCapped,
  tenantTablesHaveRowAccessPolicy,
  taggedForCost,
  kmsRotation,
  logGroupsEncrypted,
  // Alert topics (alertTopic.ts).
  snsTopicsEncrypted,
  snsTopicPolicyNotPublic,
  // The operator-note path to Bedrock (noteInsights.ts).
  bedrockOneModel,
  apiMethodsAuthorised,
  // What serves people over the network (portalRules.ts).
  listenersHttpsOnly,
  ecsTasksNoPublicIp,
  internetFacingAlbsGuarded,
  webAclsObservable,
];

/** Every rule over a whole stack's resources: what the pack would report, offline. */
export function evaluatePolicies(rs: readonly PolicyResourceLike[], o: PolicyOptions = DEFAULT_POLICY_OPTIONS, rules: readonly HubRule[] = HUB_RULES): Violation[] {
  const out: Violation[] = [];
  for (const rule of rules) {
    if (rule.kind === "resource") for (const r of rs) for (const message of rule.check(r, o)) out.push({ policy: rule.name, urn: r.urn, message });
    else for (const v of rule.check(rs, o)) out.push({ policy: rule.name, ...v });
  }
  return out;
}
