/**
 * The platform stack's `hub:portal*` keys: the operator portal in production (infra/aws/portal.ts).
 * Pure, like config.ts, which calls it; `hub:portalImage` left empty deploys no portal, and every
 * other portal key is then ignored. Errors name the key and the value (through `fail`).
 */
import type { ConfigKeyDoc, RawConfig } from "./config.ts";

export interface PortalConfig {
  /** The hub's container image in ECR, by digest or tag. */
  readonly image: string;
  /** ACM certificate of `host`, in the stack's region. */
  readonly certificateArn: string;
  /** The portal's DNS name (the certificate's); Cognito returns people to https://<host>/oauth2/idpresponse. */
  readonly host: string;
  /** Prefix of the Cognito hosted sign-in domain, <prefix>.auth.<region>.amazoncognito.com. */
  readonly cognitoDomain: string;
  /** Public subnets of the internet-facing load balancer (two or more zones). */
  readonly publicSubnetIds: readonly string[];
  /** Private subnets of the tasks (default: the stack's subnetIds). */
  readonly subnetIds: readonly string[];
  /** Secrets Manager secret with the portal's Snowflake private key. */
  readonly snowflakeKeySecretArn: string;
  /** The public half of that key (PEM body), set on the portal's Snowflake user. */
  readonly snowflakePublicKey: string;
  readonly desiredCount: number;
  readonly cpu: number;
  readonly memoryMb: number;
  /** Cognito MFA: ON (every person, TOTP) or OPTIONAL. */
  readonly mfa: "ON" | "OPTIONAL";
  /**
   * The hourly `cost-report --publish-tenant-costs` task's own key pair (HUB_REPORTING_SVC's, never
   * the portal's): the secret holding the private key and the public half (PEM body). Both or
   * neither; unset, nothing is scheduled (infra/aws/costPublishSchedule.ts).
   */
  readonly reporting?: { readonly keySecretArn: string; readonly publicKey: string };
}

export type Fail = (key: string, value: unknown, expected: string) => never;

export const PORTAL_DEFAULTS = { desiredCount: 2, cpu: 512, memoryMb: 1024, mfa: "ON" as const };

/** Fargate's task sizes: CPU units → the memory (MB) each allows (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size). */
export const FARGATE_SIZES: Readonly<Record<number, { min: number; max: number; step: number }>> = {
  256: { min: 512, max: 2048, step: 512 },
  512: { min: 1024, max: 4096, step: 1024 },
  1024: { min: 2048, max: 8192, step: 1024 },
  2048: { min: 4096, max: 16384, step: 1024 },
  4096: { min: 8192, max: 30720, step: 1024 },
};

/** An ECR image: <account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>(:tag|@sha256:digest). */
export const ECR_IMAGE = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([a-z0-9][a-z0-9._/-]{0,255})(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})$/;
const CERT = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/;
const SECRET = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;
const HOST = /^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
// Cognito refuses prefixes with aws, amazon or cognito in them (CreateUserPoolDomain).
const COGNITO_PREFIX = /^(?!.*(?:aws|amazon|cognito))[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const SUBNET = /^subnet-[a-f0-9]{8,17}$/;

const k = (name: string) => `hub:${name}`;

/** The portal's settings, or null when `hub:portalImage` is unset (no portal in this stack). */
/**
 * `publicKey` checks an RSA public key and returns its PEM body (config.ts's rsaPublicKey, passed in:
 * config.ts imports this module, so this one does not import it back).
 */
export function parsePortalConfig(raw: RawConfig, fail: Fail, stackSubnetIds: readonly string[], publicKey: (value: string, key: string) => string): PortalConfig | null {
  const get = (name: string) => {
    const v = raw[k(name)];
    return v === undefined || v === "" ? undefined : v;
  };
  const image = get("portalImage");
  if (image === undefined) return null;
  const need = (name: string, re: RegExp, what: string): string => {
    const v = get(name);
    if (v === undefined) return fail(k(name), null, `required when hub:portalImage is set: ${what}`);
    if (!re.test(v)) return fail(k(name), v, what);
    return v;
  };
  const subnets = (name: string, fallback: readonly string[] | null, atLeast: number): readonly string[] => {
    const v = get(name);
    if (v === undefined) {
      if (fallback && fallback.length >= atLeast) return fallback;
      return fail(k(name), null, `required when hub:portalImage is set: at least ${atLeast} subnet-<hex> id(s)`);
    }
    let list: unknown;
    try {
      list = JSON.parse(v);
    } catch {
      return fail(k(name), v, "a list (YAML sequence) of subnet-<hex> ids");
    }
    // Pulumi hands over the project's default ([]) as a value: an empty list is unset.
    if (Array.isArray(list) && list.length === 0 && fallback && fallback.length >= atLeast) return fallback;
    if (!Array.isArray(list) || list.length < atLeast || !list.every((s) => typeof s === "string" && SUBNET.test(s))) return fail(k(name), list, `a list of at least ${atLeast} subnet-<hex> ids`);
    return list as string[];
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const v = get(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) return fail(k(name), v, `an integer from ${min} to ${max}`);
    return n;
  };
  if (!ECR_IMAGE.test(image)) fail(k("portalImage"), image, "an ECR image, <account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:<digest> (or :<tag>)");
  const cpu = int("portalCpu", PORTAL_DEFAULTS.cpu, 256, 4096);
  const size = FARGATE_SIZES[cpu];
  if (!size) fail(k("portalCpu"), cpu, `one of Fargate's CPU sizes: ${Object.keys(FARGATE_SIZES).join(", ")}`);
  const memoryMb = int("portalMemoryMb", PORTAL_DEFAULTS.memoryMb, 512, 30720);
  if (memoryMb < size!.min || memoryMb > size!.max || memoryMb % size!.step !== 0) {
    fail(k("portalMemoryMb"), memoryMb, `for ${cpu} CPU units, ${size!.min} to ${size!.max} MB in steps of ${size!.step} (Fargate)`);
  }
  const mfa = get("portalMfa") ?? PORTAL_DEFAULTS.mfa;
  if (mfa !== "ON" && mfa !== "OPTIONAL") fail(k("portalMfa"), mfa, "ON or OPTIONAL");
  const publicSubnetIds = subnets("portalPublicSubnetIds", null, 2);
  const subnetIds = subnets("portalSubnetIds", stackSubnetIds, 1);
  const shared = subnetIds.filter((s) => publicSubnetIds.includes(s));
  // Tasks in the load balancer's public subnets would be one route away from the internet.
  if (shared.length) fail(k("portalSubnetIds"), subnetIds, `private subnets, none of hub:portalPublicSubnetIds (${shared.join(", ")} is in both)`);
  // The cost page's publisher: its own user and key, so the portal's key cannot read usage and
  // the publisher's cannot read tenants' data (least privilege, docs/portal.md).
  const reportingSecret = get("portalReportingKeySecretArn");
  const reportingKey = get("portalReportingPublicKey");
  if (reportingSecret !== undefined && !SECRET.test(reportingSecret)) fail(k("portalReportingKeySecretArn"), reportingSecret, "a Secrets Manager secret ARN");
  if ((reportingSecret === undefined) !== (reportingKey === undefined)) {
    const [missing, given] = reportingSecret === undefined ? ["portalReportingKeySecretArn", "portalReportingPublicKey"] : ["portalReportingPublicKey", "portalReportingKeySecretArn"];
    fail(k(missing), null, `required when hub:${given} is set: the two halves of HUB_REPORTING_SVC's key pair go together`);
  }
  const portalSecret = get("portalSnowflakeKeySecretArn");
  if (reportingSecret !== undefined && reportingSecret === portalSecret) fail(k("portalReportingKeySecretArn"), reportingSecret, "a secret of its own, not hub:portalSnowflakeKeySecretArn (the portal's key must not publish costs)");
  const reporting = reportingSecret !== undefined ? { keySecretArn: reportingSecret, publicKey: publicKey(reportingKey!, "portalReportingPublicKey") } : undefined;
  return {
    image,
    certificateArn: need("portalCertificateArn", CERT, "an ACM certificate ARN, arn:aws:acm:<region>:<account>:certificate/<id>"),
    host: need("portalHost", HOST, "a lower-case DNS name such as portal.example.com"),
    cognitoDomain: need("portalCognitoDomain", COGNITO_PREFIX, "a domain prefix: lower-case letters, digits and dashes, without aws, amazon or cognito"),
    publicSubnetIds,
    subnetIds,
    snowflakeKeySecretArn: need("portalSnowflakeKeySecretArn", SECRET, "a Secrets Manager secret ARN"),
    snowflakePublicKey: get("portalSnowflakePublicKey") === undefined
      ? fail(k("portalSnowflakePublicKey"), null, "required when hub:portalImage is set: the RSA public key (PEM body) of the portal's Snowflake key pair")
      : publicKey(get("portalSnowflakePublicKey")!, "portalSnowflakePublicKey"),
    desiredCount: int("portalDesiredCount", PORTAL_DEFAULTS.desiredCount, 1, 20),
    cpu,
    memoryMb,
    mfa: mfa as "ON" | "OPTIONAL",
    ...(reporting ? { reporting } : {}),
  };
}

/** The portal's keys as Pulumi.yaml documents them (config.ts lists them with the others). */
export const PORTAL_CONFIG_KEYS: readonly ConfigKeyDoc[] = [
  { key: "portalImage", stacks: "platform", type: "string", default: "", description: "The hub's container image in ECR (by digest: <account>.dkr.ecr.<region>.amazonaws.com/<repo>@sha256:<digest>), built from this repository (docs/deploy.md, \"The portal\"). Empty: no portal." },
  { key: "portalCertificateArn", stacks: "platform", type: "string", default: "", description: "With portalImage. ACM certificate of portalHost, in the stack's region; the load balancer's HTTPS listener serves it." },
  { key: "portalHost", stacks: "platform", type: "string", default: "", description: "With portalImage. The portal's DNS name (a CNAME or alias to the load balancer, made by you)." },
  { key: "portalCognitoDomain", stacks: "platform", type: "string", default: "", description: "With portalImage. Prefix of the Cognito sign-in domain, <prefix>.auth.<region>.amazoncognito.com (unique in the region)." },
  { key: "portalPublicSubnetIds", stacks: "platform", type: "array", default: [], description: "With portalImage. Public subnets (two or more zones) of the internet-facing load balancer." },
  { key: "portalSubnetIds", stacks: "platform", type: "array", default: [], description: "Private subnets of the portal's tasks (no public IPs; a NAT gateway for AWS APIs). Default: subnetIds." },
  { key: "portalSnowflakeKeySecretArn", stacks: "platform", type: "string", default: "", description: "With portalImage. Secrets Manager secret holding the portal's Snowflake private key, injected into the task by ARN." },
  { key: "portalSnowflakePublicKey", stacks: "platform", type: "string", default: "", description: "With portalImage. The public half (PEM body) of the key in portalSnowflakeKeySecretArn: set on the portal's Snowflake user HUB_PORTAL_SVC, which the program creates." },
  { key: "portalDesiredCount", stacks: "platform", type: "integer", default: PORTAL_DEFAULTS.desiredCount, description: "Portal tasks running (1..20)." },
  { key: "portalCpu", stacks: "platform", type: "integer", default: PORTAL_DEFAULTS.cpu, description: "CPU units of a portal task: 256, 512, 1024, 2048 or 4096." },
  { key: "portalMemoryMb", stacks: "platform", type: "integer", default: PORTAL_DEFAULTS.memoryMb, description: "Memory of a portal task, MB, within Fargate's range for portalCpu." },
  { key: "portalReportingKeySecretArn", stacks: "platform", type: "string", default: "", description: "With portalImage. Secrets Manager secret holding HUB_REPORTING_SVC's Snowflake private key (its own, not the portal's): an hourly scheduled task runs cost-report --target snowflake --publish-tenant-costs with it. Empty: nothing scheduled." },
  { key: "portalReportingPublicKey", stacks: "platform", type: "string", default: "", description: "With portalReportingKeySecretArn. The public half (PEM body) of that key: set on the Snowflake user HUB_REPORTING_SVC (role HUB_REPORTING), which the program creates." },
  { key: "portalMfa", stacks: "platform", type: "string", default: PORTAL_DEFAULTS.mfa, description: "Cognito MFA for portal users: ON (every person, authenticator app) or OPTIONAL." },
];
