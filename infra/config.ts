/**
 * Stack configuration: every `hub:*` key, parsed and checked before any resource is declared.
 * Pure (no Pulumi): the entry file hands it the raw strings of `pulumi.Config`, and the tests and
 * `scripts/plan.ts` hand it the values of a `Pulumi.<stack>.yaml`. Every key here is documented,
 * with its default, in `Pulumi.yaml`; an error names the key and the bad value.
 */
import { createPublicKey } from "node:crypto";
import { TENANT_ID_PATTERN } from "../pipelines/definitions/governance.ts";
import { MODEL_KINDS } from "../ml/registry/registry.ts";
import { NOTE_MODEL_ID_PATTERN, noteModelIdProblem } from "./aws/noteModelId.ts";
import type { MonitorFrequency, WarehouseSize } from "../pipelines/definitions/types.ts";
import { ALERT_KEYS, parseTenantAlerting, type TenantAlerting } from "../pipelines/alerts/alertChannels.ts";
import { PORTAL_CONFIG_KEYS, parsePortalConfig, type PortalConfig } from "./portalConfig.ts";

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly key: string,
    readonly value: unknown,
    expected: string,
  ) {
    super(`config ${key}: ${JSON.stringify(value)} is not valid: ${expected}`);
  }
}

export const STACK_KINDS = ["platform", "tenant"] as const;
export const TIERS = ["standard", "premium"] as const;
export type Tier = (typeof TIERS)[number];

export const WAREHOUSE_SIZES: readonly WarehouseSize[] = ["XSMALL", "SMALL", "MEDIUM", "LARGE", "XLARGE", "XXLARGE", "XXXLARGE", "X4LARGE", "X5LARGE", "X6LARGE"];
export const MONITOR_FREQUENCIES: readonly MonitorFrequency[] = ["DAILY", "WEEKLY", "MONTHLY", "YEARLY", "NEVER"];

/** Keys shared by both stack kinds. */
export interface CommonConfig {
  readonly stack: string;
  /** Snowflake database the hub lives in. */
  readonly database: string;
  /** Value of the cost-centre tag on everything the stack creates. */
  readonly costCenter: string;
  /** Longest auto-suspend a warehouse may have (the policy pack checks the same bound). */
  readonly maxAutoSuspendSeconds: number;
  /** When resource monitors start counting (`YYYY-MM-DD HH:MI`); Snowflake requires one with a frequency. */
  readonly monitorStartTimestamp: string;
}

export interface PlatformConfig extends CommonConfig {
  readonly kind: "platform";
  /** Snowflake account URL Firehose writes to (`https://<locator>.<region>.privatelink.snowflakecomputing.com`). */
  readonly snowflakeAccountUrl: string;
  /** Snowflake user Firehose connects as (its key pair is in `firehoseSecretArn`). */
  readonly firehoseUser: string;
  /** Secrets Manager secret holding the Firehose user's private key (`{"user", "private_key"}`, made by the operator). */
  readonly firehoseSecretArn: string;
  /** The public half of that key pair (PEM body): the program sets it on the Firehose user. */
  readonly firehosePublicKey: string;
  /** Snowflake's VPCE id for Firehose in the region (privatelink-vpce-id); "" sends over the public endpoint. */
  readonly firehoseVpceId: string;
  /** VPC endpoint service name of the Snowflake account (SYSTEM$GET_PRIVATELINK_CONFIG). */
  readonly privateLinkServiceName: string;
  readonly vpcId: string;
  readonly vpcCidr: string;
  readonly subnetIds: readonly string[];
  readonly archiveIaDays: number;
  readonly archiveGlacierDays: number;
  readonly archiveExpirationDays: number;
  readonly logRetentionDays: number;
  /** Bedrock model the note-insight Lambda invokes (issue 28; infra/aws/noteModelId.ts). */
  readonly noteModelId: string;
  /** Reserved concurrency of the note-insight Lambda: caps the notes in flight to Bedrock. */
  readonly noteLambdaConcurrency: number;
  /** The operator portal on ECS Fargate behind an ALB with Cognito sign-in; null: none (hub:portalImage unset). */
  readonly portal: PortalConfig | null;
}

export interface TenantWarehouseConfig {
  /** Workload class: `bi`, `ml`, ... one warehouse (and one monitor) per class. */
  readonly workloadClass: string;
  readonly size: WarehouseSize;
  readonly autoSuspendSeconds: number;
  readonly creditQuota: number;
  readonly frequency: MonitorFrequency;
  readonly notifyAt: readonly number[];
  readonly suspendAt: number;
  readonly suspendImmediateAt: number;
}

export interface TenantConfig extends CommonConfig {
  readonly kind: "tenant";
  readonly tenantId: string;
  readonly tier: Tier;
  /** Fully qualified name of the platform stack (`org/project/stack`). */
  readonly platformStack: string;
  /** RSA public key of the tenant's service user (secret config). */
  readonly servicePublicKey: string;
  /** May the tenant role read unmasked personal data (TENANT_MAP.pii_access). */
  readonly piiAccess: boolean;
  /** Grant the tenant's role to the portal's Snowflake user (the platform stack's, with the portal). */
  readonly portalAccess: boolean;
  readonly warehouses: readonly TenantWarehouseConfig[];
  /** SageMaker model package groups, one per model name. */
  readonly models: readonly string[];
  readonly notifyUsers: readonly string[];
  /** Models whose latest Approved package is deployed to a serverless endpoint (each one of `models`). */
  readonly serving: { readonly models: readonly string[]; readonly memorySizeInMb: number; readonly maxConcurrency: number };
  /** The stack file's `alerts:*` keys (pipelines/alerts/alertChannels.ts): channels, retries, SNS subscribers. */
  readonly alerting: TenantAlerting;
}

export type StackConfig = PlatformConfig | TenantConfig;

/** Raw values as Pulumi hands them over: strings, with structured values as JSON text. */
export type RawConfig = Readonly<Record<string, string | undefined>>;

export const DEFAULTS = {
  database: "HUB",
  costCenter: "data-hub",
  maxAutoSuspendSeconds: 300,
  // Empty: the monitors start counting when they are created (infra/snowflake/monitoredWarehouse.ts).
  monitorStartTimestamp: "",
  firehoseUser: "HUB_FIREHOSE",
  archiveIaDays: 30,
  archiveGlacierDays: 90,
  archiveExpirationDays: 730,
  logRetentionDays: 90,
  noteModelId: "anthropic.claude-3-haiku-20240307-v1:0",
  noteLambdaConcurrency: 5,
  tier: "standard" as Tier,
  piiAccess: false,
  portalAccess: false,
  workloadClasses: { standard: ["bi"], premium: ["bi", "ml"] } as Record<Tier, string[]>,
  warehouseSize: { standard: "XSMALL", premium: "MEDIUM" } as Record<Tier, WarehouseSize>,
  autoSuspendSeconds: 60,
  creditQuota: { standard: 50, premium: 300 } as Record<Tier, number>,
  monitorFrequency: "MONTHLY" as MonitorFrequency,
  notifyAt: [75, 90],
  suspendAt: 100,
  suspendImmediateAt: 110,
  // Every model scripts/retrain.ts trains: `--model all --target sagemaker` finds a group for each.
  models: ["anomaly", "forecast", "segments"],
  servedModels: [] as string[],
  servingMemoryMb: 2048,
  servingMaxConcurrency: 5,
} as const;

const NS = "hub";
const key = (k: string) => `${NS}:${k}`;

class Reader {
  constructor(private readonly raw: RawConfig) {}

  str(k: string, fallback?: string): string {
    const v = this.raw[key(k)];
    if (v === undefined || v === "") {
      if (fallback === undefined) throw new ConfigError(key(k), v ?? null, "required, and not set");
      return fallback;
    }
    return v;
  }

  match(k: string, re: RegExp, what: string, fallback?: string): string {
    const v = this.str(k, fallback);
    if (!re.test(v)) throw new ConfigError(key(k), v, what);
    return v;
  }

  oneOf<T extends string>(k: string, choices: readonly T[], fallback?: T): T {
    const v = this.str(k, fallback);
    if (!choices.includes(v as T)) throw new ConfigError(key(k), v, `one of ${choices.join(", ")}`);
    return v as T;
  }

  int(k: string, fallback: number, min: number, max: number): number {
    const v = this.raw[key(k)];
    if (v === undefined || v === "") return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(key(k), v, `an integer from ${min} to ${max}`);
    return n;
  }

  bool(k: string, fallback: boolean): boolean {
    const v = this.raw[key(k)];
    if (v === undefined || v === "") return fallback;
    if (v !== "true" && v !== "false") throw new ConfigError(key(k), v, "true or false");
    return v === "true";
  }

  list<T>(k: string, fallback: readonly T[], item: (x: unknown) => x is T, what: string): readonly T[] {
    const v = this.raw[key(k)];
    if (v === undefined || v === "") return fallback;
    let parsed: unknown;
    try {
      parsed = JSON.parse(v);
    } catch {
      throw new ConfigError(key(k), v, `a list (YAML sequence) of ${what}`);
    }
    if (!Array.isArray(parsed) || !parsed.every(item)) throw new ConfigError(key(k), parsed, `a list of ${what}`);
    return parsed;
  }
}

const isString = (x: unknown): x is string => typeof x === "string" && x.length > 0;
const isPercent = (x: unknown): x is number => typeof x === "number" && Number.isInteger(x) && x > 0 && x < 1000;
const IDENT = /^[A-Z][A-Z0-9_]{0,254}$/;
const WORKLOAD_CLASS = /^[a-z][a-z0-9]{0,15}$/;
const MODEL_NAME = /^[a-z][a-z0-9-]{0,40}$/;

/** The project name in Pulumi.yaml. */
export const PROJECT = "hub";

/** Where the stack lives; the platform stack reference defaults to `<organization>/<project>/platform`. */
export interface StackLocation {
  readonly organization: string;
  readonly project: string;
}

/** Which kind a stack is: `platform` by name, every other stack is a tenant. */
export function stackKind(stack: string): StackConfig["kind"] {
  return stack === "platform" ? "platform" : "tenant";
}

/**
 * An RSA public key as Snowflake's RSA_PUBLIC_KEY takes it: the PEM body (base64 of the DER
 * SubjectPublicKeyInfo), with or without the BEGIN/END lines. Parsed with node:crypto, so a key that
 * Snowflake would refuse (truncated, not RSA) is a config error before anything is created.
 */
export function rsaPublicKey(value: string, name: string): string {
  const body = value.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, "").replace(/\s+/g, "");
  try {
    if (!body) throw new Error("empty");
    const k = createPublicKey({ key: Buffer.from(body, "base64"), format: "der", type: "spki" });
    if (k.asymmetricKeyType !== "rsa") throw new Error("not RSA");
  } catch {
    throw new ConfigError(key(name), value ? `${value.slice(0, 12)}...` : value, "an RSA public key (PEM body, base64 of the SubjectPublicKeyInfo)");
  }
  return body;
}

/** Parse and check a stack's configuration; throws ConfigError naming the first bad key. */
export function parseStackConfig(stack: string, raw: RawConfig, where: StackLocation = { organization: "organization", project: PROJECT }): StackConfig {
  const r = new Reader(raw);
  const common: CommonConfig = {
    stack,
    database: r.match("database", IDENT, "an upper-case Snowflake identifier", DEFAULTS.database),
    costCenter: r.match("costCenter", /^[a-z0-9][a-z0-9-]{0,62}$/, "lower-case letters, digits and dashes", DEFAULTS.costCenter),
    maxAutoSuspendSeconds: r.int("maxAutoSuspendSeconds", DEFAULTS.maxAutoSuspendSeconds, 60, 86_400),
    monitorStartTimestamp: r.match("monitorStartTimestamp", /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2})?$/, "YYYY-MM-DD HH:MI, or empty for when the monitor is created", DEFAULTS.monitorStartTimestamp),
  };
  if (stackKind(stack) === "platform") return parsePlatform(r, common, raw);
  return { ...parseTenant(r, common, stack, `${where.organization}/${where.project}/platform`), alerting: alertingOf(raw, stack) };
}

/** The `alerts:*` keys (JSON text, as Pulumi hands structured values over), parsed by their own allowlist. */
function alertingOf(raw: RawConfig, stack: string): TenantAlerting {
  const keys: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (!k.startsWith("alerts:") || v === undefined || v === "") continue;
    try {
      keys[k] = JSON.parse(v);
    } catch {
      keys[k] = v;
    }
  }
  return parseTenantAlerting(keys, `stack ${stack}`);
}

export { ALERT_KEYS };

function parsePlatform(r: Reader, common: CommonConfig, raw: RawConfig): PlatformConfig {
  const archiveIaDays = r.int("archiveIaDays", DEFAULTS.archiveIaDays, 30, 3650);
  const archiveGlacierDays = r.int("archiveGlacierDays", DEFAULTS.archiveGlacierDays, 1, 3650);
  if (archiveGlacierDays <= archiveIaDays) throw new ConfigError(key("archiveGlacierDays"), archiveGlacierDays, `more than hub:archiveIaDays (${archiveIaDays})`);
  const archiveExpirationDays = r.int("archiveExpirationDays", DEFAULTS.archiveExpirationDays, 1, 36_500);
  // S3 Glacier Flexible Retrieval bills at least 90 days per object.
  if (archiveExpirationDays < archiveGlacierDays + 90) {
    throw new ConfigError(key("archiveExpirationDays"), archiveExpirationDays, `at least hub:archiveGlacierDays + 90 (${archiveGlacierDays + 90})`);
  }
  const subnetIds = r.list("subnetIds", [], (x): x is string => isString(x) && /^subnet-[a-f0-9]{8,17}$/.test(x), "subnet-<hex> ids");
  return {
    ...common,
    kind: "platform",
    snowflakeAccountUrl: r.match("snowflakeAccountUrl", /^https:\/\/[a-z0-9.-]+\.snowflakecomputing\.com$/, "https://<account>[.<region>][.privatelink].snowflakecomputing.com"),
    firehoseUser: r.match("firehoseUser", IDENT, "an upper-case Snowflake user name", DEFAULTS.firehoseUser),
    firehoseSecretArn: r.match("firehoseSecretArn", /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/, "a Secrets Manager secret ARN"),
    firehosePublicKey: rsaPublicKey(r.str("firehosePublicKey"), "firehosePublicKey"),
    firehoseVpceId: r.match("firehoseVpceId", /^(vpce-[a-z0-9]+)?$/, "vpce-<id>, or empty", ""),
    privateLinkServiceName: r.match("privateLinkServiceName", /^com\.amazonaws\.vpce\.[a-z0-9-]+\.vpce-svc-[a-z0-9]+$/, "com.amazonaws.vpce.<region>.vpce-svc-<id>"),
    vpcId: r.match("vpcId", /^vpc-[a-f0-9]{8,17}$/, "vpc-<hex>"),
    vpcCidr: r.match("vpcCidr", /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, "an IPv4 CIDR such as 10.0.0.0/16"),
    subnetIds,
    archiveIaDays,
    archiveGlacierDays,
    archiveExpirationDays,
    logRetentionDays: r.int("logRetentionDays", DEFAULTS.logRetentionDays, 1, 3653),
    noteModelId: r.match("noteModelId", NOTE_MODEL_ID_PATTERN, noteModelIdProblem(null)!, DEFAULTS.noteModelId),
    noteLambdaConcurrency: r.int("noteLambdaConcurrency", DEFAULTS.noteLambdaConcurrency, 1, 100),
    portal: parsePortalConfig(raw, (k, v, e) => {
      throw new ConfigError(k, v, e);
    }, subnetIds, rsaPublicKey),
  };
}

function parseTenant(r: Reader, common: CommonConfig, stack: string, platformStack: string): Omit<TenantConfig, "alerting"> {
  const tenantId = r.match("tenantId", TENANT_ID_PATTERN, `match ${TENANT_ID_PATTERN} (lower-case letters, digits, dashes)`, stack);
  const tier = r.oneOf("tier", TIERS, DEFAULTS.tier);
  const classes = r.list("workloadClasses", DEFAULTS.workloadClasses[tier], (x): x is string => isString(x) && WORKLOAD_CLASS.test(x), "workload class names (lower-case, e.g. bi, ml)");
  if (classes.length === 0) throw new ConfigError(key("workloadClasses"), classes, "at least one workload class");
  if (new Set(classes).size !== classes.length) throw new ConfigError(key("workloadClasses"), classes, "distinct names");
  const autoSuspendSeconds = r.int("autoSuspendSeconds", DEFAULTS.autoSuspendSeconds, 60, 86_400);
  if (autoSuspendSeconds > common.maxAutoSuspendSeconds) {
    throw new ConfigError(key("autoSuspendSeconds"), autoSuspendSeconds, `at most hub:maxAutoSuspendSeconds (${common.maxAutoSuspendSeconds})`);
  }
  const notifyAt = r.list("notifyAt", DEFAULTS.notifyAt, isPercent, "percentages");
  const suspendAt = r.int("suspendAt", DEFAULTS.suspendAt, 1, 999);
  const suspendImmediateAt = r.int("suspendImmediateAt", DEFAULTS.suspendImmediateAt, 1, 999);
  const badNotify = notifyAt.find((p) => p >= suspendAt);
  if (badNotify !== undefined) throw new ConfigError(key("notifyAt"), notifyAt, `every percentage below hub:suspendAt (${suspendAt})`);
  if (suspendImmediateAt <= suspendAt) throw new ConfigError(key("suspendImmediateAt"), suspendImmediateAt, `more than hub:suspendAt (${suspendAt})`);
  const base = {
    size: r.oneOf("warehouseSize", WAREHOUSE_SIZES, DEFAULTS.warehouseSize[tier]),
    autoSuspendSeconds,
    creditQuota: r.int("creditQuota", DEFAULTS.creditQuota[tier], 1, 1_000_000),
    frequency: r.oneOf("monitorFrequency", MONITOR_FREQUENCIES, DEFAULTS.monitorFrequency),
    notifyAt,
    suspendAt,
    suspendImmediateAt,
  };
  const publicKey = r.str("servicePublicKey");
  if (!/^(-----BEGIN PUBLIC KEY-----)?[A-Za-z0-9+/=\s]{64,}(-----END PUBLIC KEY-----\s*)?$/.test(publicKey)) {
    // The value is secret-adjacent: name the key, never echo it.
    throw new ConfigError(key("servicePublicKey"), "(hidden)", "an RSA public key (PEM body, base64)");
  }
  const models = r.list("models", DEFAULTS.models, (x): x is string => isString(x) && MODEL_NAME.test(x), "model names (lower-case, dashes)");
  // A group no trainer registers into is a typo that only shows when retraining fails later.
  const untrained = models.filter((m) => !(MODEL_KINDS as readonly string[]).includes(m));
  if (untrained.length) throw new ConfigError(key("models"), models, `models the hub trains (${MODEL_KINDS.join(", ")}); ${untrained.join(", ")} is not`);
  const served = r.list("servedModels", DEFAULTS.servedModels, (x): x is string => isString(x) && MODEL_NAME.test(x), "model names (lower-case, dashes)");
  const unknown = served.filter((m) => !models.includes(m));
  if (unknown.length) throw new ConfigError(key("servedModels"), served, `models listed in hub:models (${models.join(", ") || "none"}); ${unknown.join(", ")} is not`);
  const memorySizeInMb = r.int("servingMemoryMb", DEFAULTS.servingMemoryMb, 1024, 6144);
  // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariantServerlessConfig.html
  if (memorySizeInMb % 1024 !== 0) throw new ConfigError(key("servingMemoryMb"), memorySizeInMb, "a multiple of 1024 between 1024 and 6144");
  return {
    ...common,
    kind: "tenant",
    tenantId,
    tier,
    platformStack: r.match("platformStack", /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, "org/project/stack", platformStack),
    servicePublicKey: publicKey,
    piiAccess: r.bool("piiAccess", DEFAULTS.piiAccess),
    portalAccess: r.bool("portalAccess", DEFAULTS.portalAccess),
    warehouses: classes.map((workloadClass) => ({ workloadClass, ...base })),
    models,
    notifyUsers: r.list("notifyUsers", [], (x): x is string => isString(x), "Snowflake user names"),
    serving: { models: served, memorySizeInMb, maxConcurrency: r.int("servingMaxConcurrency", DEFAULTS.servingMaxConcurrency, 1, 200) },
  };
}

/** One `hub:*` key as Pulumi.yaml documents it. */
export interface ConfigKeyDoc {
  readonly key: string;
  readonly stacks: "all" | "platform" | "tenant";
  readonly description: string;
  /**
   * The default. A key required for one stack kind defaults to "" (unset): Pulumi itself would
   * demand a key without a default in every stack, so the program checks it, per kind.
   */
  readonly default: string | number | boolean | readonly (string | number)[];
  readonly type: "string" | "integer" | "boolean" | "array";
  readonly secret?: boolean;
}

/** Every key the program reads; the entry file reads exactly these, and a test holds Pulumi.yaml to them. */
export const CONFIG_KEYS: readonly ConfigKeyDoc[] = [
  { key: "database", stacks: "all", type: "string", default: DEFAULTS.database, description: "Snowflake database of the hub (upper-case identifier)." },
  { key: "costCenter", stacks: "all", type: "string", default: DEFAULTS.costCenter, description: "Value of the cost-centre tag (AWS `cost-center`, Snowflake GOVERNANCE.COST_CENTER) on everything the stack creates." },
  { key: "maxAutoSuspendSeconds", stacks: "all", type: "integer", default: DEFAULTS.maxAutoSuspendSeconds, description: "Longest warehouse auto-suspend allowed, in seconds (60..86400); the policy pack enforces the same bound." },
  { key: "monitorStartTimestamp", stacks: "all", type: "string", default: DEFAULTS.monitorStartTimestamp, description: "When resource monitors start counting credits (YYYY-MM-DD HH:MI, UTC); empty: when each monitor is created." },
  { key: "snowflakeAccountUrl", stacks: "platform", type: "string", default: "", description: "Required. Snowflake account URL Firehose delivers to, https://<account>[.<region>][.privatelink].snowflakecomputing.com." },
  { key: "firehoseUser", stacks: "platform", type: "string", default: DEFAULTS.firehoseUser, description: "Snowflake user Firehose connects as." },
  { key: "firehoseSecretArn", stacks: "platform", type: "string", default: "", description: "Required. Secrets Manager secret ARN holding the Firehose user's private key as Firehose reads it: {\"user\": \"<firehoseUser>\", \"private_key\": \"<PEM body, one line>\"} (docs/deploy.md, first deploy)." },
  { key: "firehosePublicKey", stacks: "platform", type: "string", default: "", description: "Required. The public half of that key pair (PEM body): set on the Firehose user the program creates." },
  { key: "firehoseVpceId", stacks: "platform", type: "string", default: "", description: "Snowflake's VPCE id for Amazon Data Firehose in the region (privatelink-vpce-id of SYSTEM$GET_PRIVATELINK_CONFIG); empty delivers over the public endpoint." },
  { key: "privateLinkServiceName", stacks: "platform", type: "string", default: "", description: "Required. Snowflake's VPC endpoint service name (SYSTEM$GET_PRIVATELINK_CONFIG), com.amazonaws.vpce.<region>.vpce-svc-<id>." },
  { key: "vpcId", stacks: "platform", type: "string", default: "", description: "Required. VPC of the PrivateLink endpoint and the private hosted zone." },
  { key: "vpcCidr", stacks: "platform", type: "string", default: "", description: "Required. CIDR of that VPC: the only source the endpoint's security group admits (443)." },
  { key: "subnetIds", stacks: "platform", type: "array", default: [], description: "Subnets of the PrivateLink endpoint (at least one)." },
  { key: "archiveIaDays", stacks: "platform", type: "integer", default: DEFAULTS.archiveIaDays, description: "Days until archive objects move to STANDARD_IA (at least 30)." },
  { key: "archiveGlacierDays", stacks: "platform", type: "integer", default: DEFAULTS.archiveGlacierDays, description: "Days until archive objects move to GLACIER (more than archiveIaDays)." },
  { key: "archiveExpirationDays", stacks: "platform", type: "integer", default: DEFAULTS.archiveExpirationDays, description: "Days until archive objects expire (at least archiveGlacierDays + 90)." },
  { key: "logRetentionDays", stacks: "platform", type: "integer", default: DEFAULTS.logRetentionDays, description: "Retention of the CloudWatch log groups, in days." },
  { key: "noteModelId", stacks: "platform", type: "string", default: DEFAULTS.noteModelId, description: "Bedrock model the operator-note Lambda invokes: an Anthropic Claude foundation-model id (anthropic.claude-...-v<n>[:<n>]); its role may invoke this model only." },
  { key: "noteLambdaConcurrency", stacks: "platform", type: "integer", default: DEFAULTS.noteLambdaConcurrency, description: "Reserved concurrency of the operator-note Lambda (1..100): at most this many batches, 4 notes each, in flight to Bedrock." },
  ...PORTAL_CONFIG_KEYS,
  { key: "tenantId", stacks: "tenant", type: "string", default: "", description: "Tenant id (lower-case letters, digits, dashes). Default: the stack name." },
  { key: "tier", stacks: "tenant", type: "string", default: DEFAULTS.tier, description: "standard or premium (premium: own schema, bigger warehouses, own KMS key)." },
  { key: "platformStack", stacks: "tenant", type: "string", default: "", description: "Fully qualified platform stack the tenant reads outputs from. Default: <organization>/<project>/platform." },
  { key: "servicePublicKey", stacks: "tenant", type: "string", default: "", secret: true, description: "Required, secret (`pulumi config set --secret`). RSA public key (PEM body) of the tenant's Snowflake service user." },
  { key: "piiAccess", stacks: "tenant", type: "boolean", default: DEFAULTS.piiAccess, description: "May the tenant role read unmasked personal data (TENANT_MAP.pii_access)." },
  { key: "portalAccess", stacks: "tenant", type: "boolean", default: DEFAULTS.portalAccess, description: "Grant the tenant's role to the operator portal's Snowflake user (HUB_PORTAL_SVC, made by the platform stack with the portal), so the portal shows this tenant." },
  { key: "workloadClasses", stacks: "tenant", type: "array", default: DEFAULTS.workloadClasses.standard, description: "Workload classes, one dedicated warehouse and monitor each. Default: [bi] (standard), [bi, ml] (premium)." },
  { key: "warehouseSize", stacks: "tenant", type: "string", default: DEFAULTS.warehouseSize.standard, description: "Size of the tenant's warehouses. Default: XSMALL (standard), MEDIUM (premium)." },
  { key: "autoSuspendSeconds", stacks: "tenant", type: "integer", default: DEFAULTS.autoSuspendSeconds, description: "Auto-suspend of the tenant's warehouses, in seconds (at most maxAutoSuspendSeconds)." },
  { key: "creditQuota", stacks: "tenant", type: "integer", default: DEFAULTS.creditQuota.standard, description: "Credit quota of each tenant monitor per interval. Default: 50 (standard), 300 (premium)." },
  { key: "monitorFrequency", stacks: "tenant", type: "string", default: DEFAULTS.monitorFrequency, description: "Monitor interval: DAILY, WEEKLY, MONTHLY, YEARLY or NEVER." },
  { key: "notifyAt", stacks: "tenant", type: "array", default: DEFAULTS.notifyAt, description: "Percentages of the quota that NOTIFY." },
  { key: "suspendAt", stacks: "tenant", type: "integer", default: DEFAULTS.suspendAt, description: "Percentage of the quota that SUSPENDs (running queries finish)." },
  { key: "suspendImmediateAt", stacks: "tenant", type: "integer", default: DEFAULTS.suspendImmediateAt, description: "Percentage of the quota that does SUSPEND_IMMEDIATE (above suspendAt)." },
  { key: "models", stacks: "tenant", type: "array", default: DEFAULTS.models, description: "Models of the tenant: one SageMaker model package group each." },
  { key: "notifyUsers", stacks: "tenant", type: "array", default: [], description: "Snowflake users the tenant's monitors notify." },
  { key: "servedModels", stacks: "tenant", type: "array", default: DEFAULTS.servedModels, description: "Models (of `models`) whose latest Approved model package is deployed to a SageMaker serverless endpoint `hub-<tenant>-<model>`; empty: no endpoint." },
  { key: "servingMemoryMb", stacks: "tenant", type: "integer", default: DEFAULTS.servingMemoryMb, description: "Memory of each serverless endpoint, MB: 1024, 2048, ... 6144." },
  { key: "servingMaxConcurrency", stacks: "tenant", type: "integer", default: DEFAULTS.servingMaxConcurrency, description: "Concurrent invocations each serverless endpoint serves (1..200)." },
];
