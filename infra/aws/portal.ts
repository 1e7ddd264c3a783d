/**
 * The operator portal in production (issue 23 §3, seed 004): the hub's container on ECS Fargate in
 * private subnets, behind an internet-facing Application Load Balancer that serves HTTPS only and
 * signs people in with a Cognito user pool before any request reaches a task.
 *
 * - One portal for every tenant, in the platform stack: a person's tenant is a user attribute
 *   (`custom:tenant_id`) the ALB forwards signed; the portal maps it to the tenant's role
 *   (pipelines/portal/albIdentity.ts). docs/portal.md, "Production", says why one and not one per tenant.
 * - No listener on port 80: nothing is served or redirected in clear text (docs/portal.md).
 * - Security groups: the internet reaches the ALB on 443 only; the ALB reaches the tasks on the
 *   portal's port only, and Cognito's endpoints on 443 (it completes the sign-in); the tasks reach
 *   only HTTPS (443) out: ECR, CloudWatch Logs, Secrets Manager, the ALB's key endpoint, Snowflake
 *   over the PrivateLink endpoint.
 * - The task role reads the tenants' model registry (ListModelPackages and DescribeModelPackage on
 *   the hub's model package groups, portalRegistryAccess.ts) for the models page, and nothing else.
 *   The execution role pulls the image from its one repository, writes its one log group and reads
 *   its one secret.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { policyJson } from "./platform.ts";
import { ECR_IMAGE, PORTAL_DEFAULTS, type PortalConfig } from "../portalConfig.ts";
import { TENANT_ATTRIBUTE, TENANT_CLAIM } from "../../pipelines/portal/tenantClaim.ts";
import { AlbAccessLogBucket, PORTAL_ALB_LOG_PREFIX } from "./albAccessLogs.ts";
import { PortalWaf } from "./portalWaf.ts";
import { portalRegistryStatement } from "./portalRegistryAccess.ts";
import { CostPublishSchedule } from "./costPublishSchedule.ts";

/** The port `serve` listens on in the task (its default HTTP port). */
export const PORTAL_PORT = 8089;
/** Where the image holds the repository (the image's contract, docs/deploy.md, and the Dockerfile's). */
export const IMAGE_WORKDIR = "/app";
/** The image's user (not root), the owner of HUB_HOME_DIR. */
export const CONTAINER_USER = "node";
/** The hub's home in the task: task storage, writable; the image creates it owned by CONTAINER_USER. */
export const HUB_HOME_DIR = "/var/hub";
/** How the task starts serve: TypeScript through tsx, a production dependency. */
export const PORTAL_ENTRYPOINT = ["node", "--import", "tsx", "scripts/serve.ts"] as const;
/** The path the target group checks and the image's HEALTHCHECK asks. */
export const HEALTH_PATH = "/healthz";
/** A TLS 1.3 / 1.2 policy with forward-secret AEAD ciphers only (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html). */
export const TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";
/** How long the ALB's sign-in lasts before Cognito is asked again (the portal's own sessions end after 12 h too). */
export const SIGN_IN_SESSION_S = 12 * 3600;

/** The stack's portal keys (infra/portalConfig.ts documents each) that have defaults, here optional. */
type PortalSizing = keyof typeof PORTAL_DEFAULTS;

export interface PortalServiceArgs extends Omit<PortalConfig, PortalSizing | "snowflakePublicKey" | "reporting">, Partial<Pick<PortalConfig, PortalSizing>> {
  /** Tags on every taggable resource; required. */
  readonly tags: Record<string, string>;
  /** VPC of the load balancer and the tasks; required. */
  readonly vpcId: string;
  /** Where the portal reads: the account's URL (PrivateLink), the hub's database and the portal's user; required. */
  readonly snowflake: { readonly accountUrl: string; readonly database: string; readonly user: string };
  /** KMS key of the log group (its key policy admits CloudWatch Logs); required. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** Log retention in days (the task's logs, the WAF's, and the ALB's access logs); required. */
  readonly logRetentionDays: number;
  /** Requests per client address per 5 minutes before the WAF blocks it; default PORTAL_RATE_LIMIT (portalWaf.ts says why). */
  readonly rateLimit?: number;
  /**
   * The hourly cost publish (costPublishSchedule.ts): HUB_REPORTING's Snowflake user and the secret
   * with its private key. Default none: nothing is scheduled and the cost page shows what was last
   * published by hand.
   */
  readonly reporting?: { readonly keySecretArn: string; readonly user: string };
}

/** The ECR repository an image is pulled from, as an ARN (the execution role may pull from it alone). */
export function ecrRepositoryArn(image: string): string {
  const m = ECR_IMAGE.exec(image);
  if (!m) throw new Error(`image ${JSON.stringify(image)} is not an ECR image`);
  const partition = image.includes(".amazonaws.com.cn/") ? "aws-cn" : "aws";
  return `arn:${partition}:ecr:${m[2]}:${m[1]}:repository/${m[3]}`;
}

/** Where Cognito returns people after sign-out: the app client's one sign-out URL. */
export function signOutUrl(host: string): string {
  return `https://${host}/portal/`;
}

/**
 * The account identifier of a Snowflake URL, as snowflake-sdk takes it beside that URL
 * (SNOWFLAKE_ACCOUNT, SNOWFLAKE_ACCESS_URL): `https://xy12345.eu-west-1.privatelink.snowflakecomputing.com`
 * is `xy12345.eu-west-1`; the driver signs its JWT for the part before the first dot.
 */
export function snowflakeAccountOfUrl(url: string): string {
  const m = /^https:\/\/([a-z0-9][a-z0-9.-]*?)(?:\.privatelink)?\.snowflakecomputing\.(?:com|cn)\/?$/i.exec(url);
  if (!m) throw new Error(`Snowflake account URL ${JSON.stringify(url)} is not https://<account>[.<region>][.privatelink].snowflakecomputing.com`);
  return m[1]!;
}

/** The task's environment for `--portal-data snowflake` (pipelines/portal/snowflakePortalData.ts); the key comes as a secret. */
export function snowflakeEnvironment(o: PortalServiceArgs["snowflake"]): Array<{ name: string; value: string }> {
  return [
    { name: "SNOWFLAKE_ACCOUNT", value: snowflakeAccountOfUrl(o.accountUrl) },
    { name: "SNOWFLAKE_ACCESS_URL", value: o.accountUrl },
    { name: "SNOWFLAKE_DATABASE", value: o.database },
    { name: "SNOWFLAKE_USER", value: o.user },
  ];
}

/** What the task runs: `serve` on all interfaces of the task's own address, signed in by the ALB, reading Snowflake. */
export function serveCommand(o: { albArn: string; userPoolId: string; clientId: string; cognitoDomain: string; logoutUri: string }): string[] {
  return [
    "--bind", "0.0.0.0",
    "--http-port", String(PORTAL_PORT),
    // MQTT is not the portal's: free ports nobody can reach (the security group admits PORTAL_PORT only).
    "--mqtt-port", "0",
    "--mqtts-port", "0",
    "--home", HUB_HOME_DIR,
    "--log-format", "json",
    "--portal-sign-in", "cognito-alb",
    "--portal-alb-arn", o.albArn,
    "--portal-user-pool-id", o.userPoolId,
    "--portal-client-id", o.clientId,
    // Sign-out ends the ALB's and Cognito's sessions too (pipelines/portal/albSignOut.ts).
    "--portal-cognito-domain", o.cognitoDomain,
    "--portal-logout-uri", o.logoutUri,
    // The tenants' account, not the container's own engine (docs/portal.md, "Production").
    "--portal-data", "snowflake",
  ];
}

export class PortalService extends pulumi.ComponentResource {
  readonly loadBalancerArn: pulumi.Output<string>;
  readonly loadBalancerDnsName: pulumi.Output<string>;
  readonly userPoolId: pulumi.Output<string>;
  readonly userPoolClientId: pulumi.Output<string>;
  readonly signInDomain: pulumi.Output<string>;
  readonly serviceName: pulumi.Output<string>;
  readonly logGroupName: pulumi.Output<string>;
  readonly url: string;
  /** The hourly cost publish's schedule, or null when `reporting` is not given. */
  readonly costPublishSchedule: pulumi.Output<string> | null;

  constructor(name: string, args: PortalServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hub:aws:Portal", name, {}, opts);
    if (args.publicSubnetIds.length < 2) throw new pulumi.ResourceError("`publicSubnetIds` needs two subnets or more: an ALB spans at least two zones", this);
    if (args.subnetIds.length === 0) throw new pulumi.ResourceError("`subnetIds` needs at least one private subnet for the tasks", this);
    if (args.subnetIds.some((s) => args.publicSubnetIds.includes(s))) throw new pulumi.ResourceError("`subnetIds` must not share a subnet with `publicSubnetIds`: tasks stay in private subnets", this);
    if (args.reporting && args.reporting.keySecretArn === args.snowflakeKeySecretArn) throw new pulumi.ResourceError("`reporting.keySecretArn` must not be `snowflakeKeySecretArn`: the cost publish signs in with its own key, never the portal's", this);
    const repositoryArn = ecrRepositoryArn(args.image);
    let snowflakeEnv: Array<{ name: string; value: string }>;
    try {
      snowflakeEnv = snowflakeEnvironment(args.snowflake);
    } catch (e) {
      throw new pulumi.ResourceError(`\`snowflake.accountUrl\`: ${(e as Error).message}`, this);
    }
    const tags = args.tags;
    const child = { parent: this };
    const region = aws.getRegionOutput({}, child).region;
    const account = aws.getCallerIdentityOutput({}, child).accountId;

    // --- Cognito: who may sign in, and to which tenant they belong ---
    const pool = new aws.cognito.UserPool(
      `${name}-users`,
      {
        name: "hub-portal",
        // People are invited by the platform team (docs/portal.md, "Add a person"): nobody signs themselves up.
        adminCreateUserConfig: { allowAdminCreateUserOnly: true },
        usernameConfiguration: { caseSensitive: false },
        autoVerifiedAttributes: ["email"],
        // The API's value names (verified_email), whatever the provider's docs spell.
        accountRecoverySetting: { recoveryMechanisms: [{ name: "verified_email", priority: 1 }] },
        passwordPolicy: { minimumLength: 14, requireLowercase: true, requireUppercase: true, requireNumbers: true, requireSymbols: true, temporaryPasswordValidityDays: 3, passwordHistorySize: 5 },
        // MFA ON by default: the portal shows a company's production, costs and alerts, and its
        // people sign in from the factory floor and home; an authenticator app (TOTP) costs nothing
        // per message and needs no SMS role. OPTIONAL is there for a pilot.
        mfaConfiguration: args.mfa ?? PORTAL_DEFAULTS.mfa,
        softwareTokenMfaConfiguration: { enabled: true },
        // Threat protection (compromised credentials, adaptive authentication) needs the Plus plan.
        userPoolTier: "PLUS",
        userPoolAddOns: { advancedSecurityMode: "ENFORCED" },
        deletionProtection: "ACTIVE",
        schemas: [
          {
            name: TENANT_ATTRIBUTE,
            attributeDataType: "String",
            // Mutable so an administrator can move a person; no app client may write it (below).
            mutable: true,
            required: false,
            developerOnlyAttribute: false,
            stringAttributeConstraints: { minLength: "2", maxLength: "31" },
          },
        ],
        tags,
      },
      child,
    );
    const domain = new aws.cognito.UserPoolDomain(`${name}-sign-in-domain`, { domain: args.cognitoDomain, userPoolId: pool.id }, child);
    const client = new aws.cognito.UserPoolClient(
      `${name}-alb-client`,
      {
        name: "hub-portal-alb",
        userPoolId: pool.id,
        // The ALB is a confidential client: it needs a secret and the code grant. The secret stays
        // between Cognito and the ALB (which reads it with DescribeUserPoolClient); the program
        // neither exports nor logs it.
        generateSecret: true,
        allowedOauthFlowsUserPoolClient: true,
        allowedOauthFlows: ["code"],
        // `openid` alone: the user info endpoint then answers every attribute the client may read.
        allowedOauthScopes: ["openid"],
        supportedIdentityProviders: ["COGNITO"],
        callbackUrls: [`https://${args.host}/oauth2/idpresponse`],
        logoutUrls: [signOutUrl(args.host)],
        // No direct sign-in API for this client: people sign in through the hosted pages only.
        explicitAuthFlows: ["ALLOW_REFRESH_TOKEN_AUTH"],
        preventUserExistenceErrors: "ENABLED",
        enableTokenRevocation: true,
        // Short access tokens: the ALB refreshes the claims when one expires, so a disabled person
        // or a changed tenant takes effect within 15 minutes.
        accessTokenValidity: 15,
        idTokenValidity: 15,
        refreshTokenValidity: 12,
        tokenValidityUnits: { accessToken: "minutes", idToken: "minutes", refreshToken: "hours" },
        readAttributes: ["email", "email_verified", "name", TENANT_CLAIM],
        // Never the tenant: left unset, Cognito would let people write every mutable attribute,
        // custom:tenant_id included, and move themselves to another tenant.
        writeAttributes: ["name"],
      },
      child,
    );

    // --- Network: internet → ALB:443 → task:PORTAL_PORT; tasks → HTTPS out ---
    // Rules are separate resources (no inline rules), so the two groups can name each other.
    const albSg = new aws.ec2.SecurityGroup(`${name}-alb-sg`, { vpcId: args.vpcId, description: "Portal load balancer: HTTPS from the internet.", tags }, child);
    const taskSg = new aws.ec2.SecurityGroup(`${name}-task-sg`, { vpcId: args.vpcId, description: "Portal tasks: the portal port from the load balancer only.", tags }, child);
    new aws.vpc.SecurityGroupIngressRule(`${name}-alb-in-https`, { securityGroupId: albSg.id, ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0", description: "HTTPS from anyone (sign-in first)", tags }, child);
    new aws.vpc.SecurityGroupEgressRule(`${name}-alb-out-tasks`, { securityGroupId: albSg.id, ipProtocol: "tcp", fromPort: PORTAL_PORT, toPort: PORTAL_PORT, referencedSecurityGroupId: taskSg.id, description: "to the portal tasks", tags }, child);
    // The ALB completes the sign-in itself: it calls Cognito's token and user info endpoints (public, HTTPS).
    new aws.vpc.SecurityGroupEgressRule(`${name}-alb-out-cognito`, { securityGroupId: albSg.id, ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0", description: "Cognito token and user info endpoints", tags }, child);
    new aws.vpc.SecurityGroupIngressRule(`${name}-task-in-alb`, { securityGroupId: taskSg.id, ipProtocol: "tcp", fromPort: PORTAL_PORT, toPort: PORTAL_PORT, referencedSecurityGroupId: albSg.id, description: "from the load balancer", tags }, child);
    // HTTPS only, to AWS's public endpoints through the VPC's NAT and to Snowflake's PrivateLink endpoint.
    new aws.vpc.SecurityGroupEgressRule(`${name}-task-out-https`, { securityGroupId: taskSg.id, ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0", description: "ECR, Logs, Secrets Manager, ALB keys, Snowflake (PrivateLink)", tags }, child);

    // Every request the ALB answers, to a bucket of its own (SSE-S3: ALB log delivery takes no KMS key).
    const accessLogs = new AlbAccessLogBucket(`${name}-alb-logs`, { tags, prefix: PORTAL_ALB_LOG_PREFIX, retentionDays: args.logRetentionDays }, child);
    const alb = new aws.lb.LoadBalancer(
      `${name}-alb`,
      {
        namePrefix: "hubpt-",
        loadBalancerType: "application",
        internal: false,
        securityGroups: [albSg.id],
        subnets: [...args.publicSubnetIds],
        // Requests with malformed headers are dropped, not passed to the portal.
        dropInvalidHeaderFields: true,
        desyncMitigationMode: "strictest",
        idleTimeout: 120,
        // `enabled` defaults to false even with a bucket named (the provider's docs).
        accessLogs: { bucket: accessLogs.bucketName, prefix: PORTAL_ALB_LOG_PREFIX, enabled: true },
        tags,
      },
      // ELB checks the bucket's policy when logging is turned on: the policy must exist first.
      { parent: this, dependsOn: [accessLogs.deliveryPolicy] },
    );
    // Every request passes the WAF before the ALB's sign-in or a task sees it.
    new PortalWaf(`${name}-waf`, { tags, loadBalancerArn: alb.arn, kmsKeyArn: args.kmsKeyArn, logRetentionDays: args.logRetentionDays, ...(args.rateLimit === undefined ? {} : { rateLimit: args.rateLimit }) }, child);
    const targets = new aws.lb.TargetGroup(
      `${name}-targets`,
      {
        namePrefix: "hubpt-",
        targetType: "ip",
        port: PORTAL_PORT,
        // TLS ends at the ALB; inside the VPC only the ALB's group reaches the port (security groups above).
        protocol: "HTTP",
        vpcId: args.vpcId,
        deregistrationDelay: 35,
        // A person's requests stay on one task: the portal's session (its CSRF token) lives in that
        // task's memory, while the claims come with every request (docs/portal.md, "Several tasks").
        stickiness: { type: "lb_cookie", enabled: true, cookieDuration: SIGN_IN_SESSION_S },
        healthCheck: { path: HEALTH_PATH, matcher: "200", interval: 15, healthyThreshold: 2, unhealthyThreshold: 3, timeout: 5 },
        tags,
      },
      child,
    );
    const listener = new aws.lb.Listener(
      `${name}-https`,
      {
        loadBalancerArn: alb.arn,
        port: 443,
        protocol: "HTTPS",
        sslPolicy: TLS_POLICY,
        certificateArn: args.certificateArn,
        routingHttpResponseStrictTransportSecurityHeaderValue: "max-age=31536000; includeSubDomains",
        defaultActions: [
          {
            type: "authenticate-cognito",
            order: 1,
            authenticateCognito: {
              userPoolArn: pool.arn,
              userPoolClientId: client.id,
              // The resource's output, not the config string: the listener is created after the domain exists.
              userPoolDomain: domain.domain,
              scope: "openid",
              onUnauthenticatedRequest: "authenticate",
              sessionTimeout: SIGN_IN_SESSION_S,
            },
          },
          { type: "forward", order: 2, targetGroupArn: targets.arn },
        ],
        tags,
      },
      child,
    );

    // --- The task ---
    const logs = new aws.cloudwatch.LogGroup(`${name}-logs`, { name: "/hub/portal", retentionInDays: args.logRetentionDays, kmsKeyId: args.kmsKeyArn, tags }, child);
    const ecsTrust = account.apply((a) =>
      policyJson([{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": a } } }]),
    );
    const executionRole = new aws.iam.Role(`${name}-execution-role`, { assumeRolePolicy: ecsTrust, description: "Portal tasks' execution: pull the image, write the log group, read the Snowflake key.", tags }, child);
    new aws.iam.RolePolicy(
      `${name}-execution-policy`,
      {
        role: executionRole.id,
        policy: logs.arn.apply((l) =>
          policyJson([
            // GetAuthorizationToken has no resource-level permissions (ECR's service authorization reference).
            { Sid: "EcrToken", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
            { Sid: "PullTheImage", Effect: "Allow", Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], Resource: repositoryArn },
            { Sid: "WriteTheLogGroup", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${l}:log-stream:*` },
            { Sid: "ReadTheSnowflakeKey", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: args.snowflakeKeySecretArn },
          ]),
        ),
      },
      child,
    );
    // The task's own identity: the models page reads SageMaker's registry (serve's portalRegistry.ts), read-only.
    const taskRole = new aws.iam.Role(`${name}-task-role`, { assumeRolePolicy: ecsTrust, description: "Portal tasks: read the tenants' SageMaker model registry.", tags }, child);
    new aws.iam.RolePolicy(
      `${name}-task-policy`,
      { role: taskRole.id, policy: pulumi.all([region, account]).apply(([r, a]) => policyJson([portalRegistryStatement({ region: r, account: a })])) },
      child,
    );
    const cluster = new aws.ecs.Cluster(`${name}-cluster`, { settings: [{ name: "containerInsights", value: "enabled" }], tags }, child);
    const containerName = "portal";
    const task = new aws.ecs.TaskDefinition(
      `${name}-task`,
      {
        family: "hub-portal",
        requiresCompatibilities: ["FARGATE"],
        networkMode: "awsvpc",
        cpu: String(args.cpu ?? PORTAL_DEFAULTS.cpu),
        memory: String(args.memoryMb ?? PORTAL_DEFAULTS.memoryMb),
        runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
        executionRoleArn: executionRole.arn,
        // The models page's registry reads; its sign-in keys are public and Snowflake uses its key.
        taskRoleArn: taskRole.arn,
        // Task storage for the two writable paths; the image's file system stays read-only.
        volumes: [{ name: "hub-home" }, { name: "tmp" }],
        containerDefinitions: pulumi.all([alb.arn, pool.id, client.id, logs.name, region, domain.domain]).apply(([albArn, userPoolId, clientId, logGroup, r, prefix]) =>
          JSON.stringify([
            {
              name: containerName,
              image: args.image,
              essential: true,
              entryPoint: [...PORTAL_ENTRYPOINT],
              command: serveCommand({ albArn, userPoolId, clientId, cognitoDomain: `${prefix}.auth.${r}.amazoncognito.com`, logoutUri: signOutUrl(args.host) }),
              workingDirectory: IMAGE_WORKDIR,
              user: CONTAINER_USER,
              readonlyRootFilesystem: true,
              mountPoints: [
                { sourceVolume: "hub-home", containerPath: HUB_HOME_DIR, readOnly: false },
                { sourceVolume: "tmp", containerPath: "/tmp", readOnly: false },
              ],
              portMappings: [{ containerPort: PORTAL_PORT, protocol: "tcp" }],
              // AWS_REGION: the SageMaker client's region (the registry is in the stack's region).
              environment: [{ name: "NODE_ENV", value: "production" }, { name: "AWS_REGION", value: r }, ...snowflakeEnv],
              // By ARN: ECS reads the value at start with the execution role; it never sits in the task definition.
              secrets: [{ name: "HUB_SNOWFLAKE_PRIVATE_KEY", valueFrom: args.snowflakeKeySecretArn }],
              linuxParameters: { initProcessEnabled: true, capabilities: { drop: ["ALL"] } },
              // serve drains within 30 s of SIGTERM (scripts/serve.ts).
              stopTimeout: 40,
              logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": logGroup, "awslogs-region": r, "awslogs-stream-prefix": "portal" } },
            },
          ]),
        ),
        tags,
      },
      child,
    );
    const service = new aws.ecs.Service(
      `${name}-service`,
      {
        cluster: cluster.arn,
        taskDefinition: task.arn,
        launchType: "FARGATE",
        // Two by default, one per zone at least, so a deploy or a zone loss keeps the portal up.
        desiredCount: args.desiredCount ?? PORTAL_DEFAULTS.desiredCount,
        networkConfiguration: { subnets: [...args.subnetIds], securityGroups: [taskSg.id], assignPublicIp: false },
        loadBalancers: [{ targetGroupArn: targets.arn, containerName, containerPort: PORTAL_PORT }],
        healthCheckGracePeriodSeconds: 120,
        deploymentCircuitBreaker: { enable: true, rollback: true },
        enableExecuteCommand: false,
        propagateTags: "SERVICE",
        tags,
      },
      // The target group must belong to a load balancer (through the listener) before a service can use it.
      { parent: this, dependsOn: [listener] },
    );

    // The cost page's figures, published hourly into OPS.TENANT_COSTS by a task of its own.
    const costPublish = args.reporting
      ? new CostPublishSchedule(
          `${name}-cost-publish`,
          {
            tags,
            clusterArn: cluster.arn,
            image: args.image,
            repositoryArn,
            logGroupName: logs.name,
            logGroupArn: logs.arn,
            vpcId: args.vpcId,
            subnetIds: args.subnetIds,
            keySecretArn: args.reporting.keySecretArn,
            snowflakeEnvironment: snowflakeEnvironment({ ...args.snowflake, user: args.reporting.user }),
            container: { workingDirectory: IMAGE_WORKDIR, user: CONTAINER_USER },
          },
          child,
        )
      : null;
    this.costPublishSchedule = costPublish ? costPublish.scheduleName : null;

    this.loadBalancerArn = alb.arn;
    this.loadBalancerDnsName = alb.dnsName;
    this.userPoolId = pool.id;
    this.userPoolClientId = client.id;
    this.signInDomain = pulumi.interpolate`${args.cognitoDomain}.auth.${region}.amazoncognito.com`;
    this.serviceName = service.name;
    this.logGroupName = logs.name;
    this.url = `https://${args.host}/portal/`;
    this.registerOutputs({ loadBalancerDnsName: this.loadBalancerDnsName, userPoolId: this.userPoolId, url: this.url });
  }
}
