/**
 * The portal's cost page in production (docs/portal.md, "Production"): an EventBridge Scheduler
 * schedule that runs `cost-report --target snowflake --publish-tenant-costs` every hour as a one-off
 * Fargate task from the portal's image, in the portal's cluster, so OPS.TENANT_COSTS stays current.
 *
 * Least privilege, each identity for one thing:
 * - The task signs in to Snowflake as HUB_REPORTING_SVC (role HUB_REPORTING: the usage views and an
 *   INSERT into OPS.TENANT_COSTS) with its own key, never the portal's: the portal's key reads the
 *   tenants' data, this one reads usage.
 * - Its execution role pulls the image from its one repository, writes its one log group and reads
 *   its one secret. No task role: the script calls no AWS API.
 * - The scheduler's role may run exactly this task definition family, in exactly this cluster, and
 *   pass exactly the execution role, to ECS tasks only
 *   (https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role,
 *   https://docs.aws.amazon.com/AmazonECS/latest/developerguide/CWE_IAM_role.html).
 * - Its own security group: no ingress at all, HTTPS out (ECR, Logs, Secrets Manager, Snowflake
 *   over PrivateLink); private subnets, no public IP.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { policyJson } from "./platform.ts";
import { REPORTING_ROLE, REPORTING_WAREHOUSE } from "../../pipelines/definitions/grants.ts";

/** The task definition's family: the scheduler's role may run this family alone. */
export const COST_PUBLISH_FAMILY = "hub-cost-publish";
/** How the task starts cost-report: as the portal starts serve (TypeScript through tsx), another script. */
export const COST_PUBLISH_ENTRYPOINT = ["node", "--import", "tsx", "scripts/cost-report.ts"] as const;
/** What it runs: every tenant's month to date into OPS.TENANT_COSTS, read from Snowflake's usage views. */
export const COST_PUBLISH_COMMAND = ["--target", "snowflake", "--publish-tenant-costs"] as const;
/** Every hour: the portal's cost page is at most an hour behind (beyond the usage views' own lag). */
export const COST_PUBLISH_SCHEDULE = "rate(1 hour)";
/**
 * Scheduler retries a failed RunTask (throttling, no Fargate capacity) this many times, within
 * COST_PUBLISH_MAX_EVENT_AGE_S: well inside the hour, so a late run never overlaps the next one.
 */
export const COST_PUBLISH_RETRIES = 3;
export const COST_PUBLISH_MAX_EVENT_AGE_S = 30 * 60;
/** The smallest Fargate size that holds tsx, snowflake-sdk and one report comfortably. */
export const COST_PUBLISH_CPU = 256;
export const COST_PUBLISH_MEMORY_MB = 1024;

export interface CostPublishScheduleArgs {
  /** Tags on every taggable resource; required. */
  readonly tags: Record<string, string>;
  /** The ECS cluster the task runs in (the portal's); required. */
  readonly clusterArn: pulumi.Input<string>;
  /** The hub's image (the portal's) and its ECR repository's ARN; required. */
  readonly image: string;
  readonly repositoryArn: string;
  /** The encrypted log group the task writes to (the portal's), by name and ARN; required. */
  readonly logGroupName: pulumi.Input<string>;
  readonly logGroupArn: pulumi.Input<string>;
  /** The VPC and its private subnets the task runs in; required. */
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  /** Secrets Manager secret with HUB_REPORTING_SVC's private key; required. */
  readonly keySecretArn: string;
  /** The task's Snowflake environment but the key (account, URL, database, user); required. */
  readonly snowflakeEnvironment: ReadonlyArray<{ name: string; value: string }>;
  /** The image's working directory, user and writable paths, as the portal's task sets them; required. */
  readonly container: { readonly workingDirectory: string; readonly user: string };
}

export class CostPublishSchedule extends pulumi.ComponentResource {
  readonly scheduleName: pulumi.Output<string>;
  readonly taskDefinitionArn: pulumi.Output<string>;

  constructor(name: string, args: CostPublishScheduleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hub:aws:CostPublishSchedule", name, {}, opts);
    if (args.subnetIds.length === 0) throw new pulumi.ResourceError("`subnetIds` needs at least one private subnet for the task", this);
    const tags = args.tags;
    const child = { parent: this };
    const region = aws.getRegionOutput({}, child).region;
    const account = aws.getCallerIdentityOutput({}, child).accountId;

    const sg = new aws.ec2.SecurityGroup(`${name}-sg`, { vpcId: args.vpcId, description: "Cost publish task: nothing in, HTTPS out.", tags }, child);
    new aws.vpc.SecurityGroupEgressRule(`${name}-out-https`, { securityGroupId: sg.id, ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0", description: "ECR, Logs, Secrets Manager, Snowflake (PrivateLink)", tags }, child);

    const executionRole = new aws.iam.Role(
      `${name}-execution-role`,
      {
        assumeRolePolicy: account.apply((a) => policyJson([{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": a } } }])),
        description: "Cost publish task's execution: pull the image, write the log group, read HUB_REPORTING_SVC's key.",
        tags,
      },
      child,
    );
    new aws.iam.RolePolicy(
      `${name}-execution-policy`,
      {
        role: executionRole.id,
        policy: pulumi.output(args.logGroupArn).apply((l) =>
          policyJson([
            // GetAuthorizationToken has no resource-level permissions (ECR's service authorization reference).
            { Sid: "EcrToken", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
            { Sid: "PullTheImage", Effect: "Allow", Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], Resource: args.repositoryArn },
            { Sid: "WriteTheLogGroup", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${l}:log-stream:*` },
            { Sid: "ReadTheReportingKey", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: args.keySecretArn },
          ]),
        ),
      },
      child,
    );

    const task = new aws.ecs.TaskDefinition(
      `${name}-task`,
      {
        family: COST_PUBLISH_FAMILY,
        requiresCompatibilities: ["FARGATE"],
        networkMode: "awsvpc",
        cpu: String(COST_PUBLISH_CPU),
        memory: String(COST_PUBLISH_MEMORY_MB),
        runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
        executionRoleArn: executionRole.arn,
        // No taskRoleArn: cost-report calls Snowflake, not AWS.
        volumes: [{ name: "tmp" }],
        containerDefinitions: pulumi.all([args.logGroupName, region]).apply(([logGroup, r]) =>
          JSON.stringify([
            {
              name: "cost-publish",
              image: args.image,
              essential: true,
              entryPoint: [...COST_PUBLISH_ENTRYPOINT],
              command: [...COST_PUBLISH_COMMAND],
              workingDirectory: args.container.workingDirectory,
              user: args.container.user,
              readonlyRootFilesystem: true,
              mountPoints: [{ sourceVolume: "tmp", containerPath: "/tmp", readOnly: false }],
              environment: [
                { name: "NODE_ENV", value: "production" },
                ...args.snowflakeEnvironment,
                // cost-report's Snowflake target (pipelines/warehouse/snowflakeEnv.ts) names role and warehouse.
                { name: "SNOWFLAKE_ROLE", value: REPORTING_ROLE },
                { name: "SNOWFLAKE_WAREHOUSE", value: REPORTING_WAREHOUSE },
              ],
              // By ARN: ECS reads the value at start with the execution role; it never sits in the task definition.
              secrets: [{ name: "HUB_SNOWFLAKE_PRIVATE_KEY", valueFrom: args.keySecretArn }],
              linuxParameters: { initProcessEnabled: true, capabilities: { drop: ["ALL"] } },
              logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": logGroup, "awslogs-region": r, "awslogs-stream-prefix": "cost-publish" } },
            },
          ]),
        ),
        tags,
      },
      child,
    );

    const schedulerRole = new aws.iam.Role(
      `${name}-scheduler-role`,
      {
        // The confused-deputy guard Scheduler documents: only schedules of this account assume it.
        assumeRolePolicy: account.apply((a) => policyJson([{ Effect: "Allow", Principal: { Service: "scheduler.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": a } } }])),
        description: "EventBridge Scheduler: run the cost publish task, nothing else.",
        tags,
      },
      child,
    );
    new aws.iam.RolePolicy(
      `${name}-scheduler-policy`,
      {
        role: schedulerRole.id,
        policy: pulumi.all([region, account, args.clusterArn, executionRole.arn]).apply(([r, a, cluster, exec]) => schedulerPolicy({ region: r, account: a, clusterArn: cluster, passRoles: [exec] })),
      },
      child,
    );

    const schedule = new aws.scheduler.Schedule(
      `${name}-schedule`,
      {
        description: "Hourly: cost-report --target snowflake --publish-tenant-costs (the portal's cost page).",
        scheduleExpression: COST_PUBLISH_SCHEDULE,
        scheduleExpressionTimezone: "UTC",
        // On the hour, not somewhere in a window: the page says when it was published.
        flexibleTimeWindow: { mode: "OFF" },
        state: "ENABLED",
        target: {
          arn: args.clusterArn,
          roleArn: schedulerRole.arn,
          ecsParameters: {
            taskDefinitionArn: task.arn,
            launchType: "FARGATE",
            taskCount: 1,
            // The provider's boolean for the API's AssignPublicIp DISABLED.
            networkConfiguration: { subnets: [...args.subnetIds], securityGroups: [sg.id], assignPublicIp: false },
          },
          // No dead-letter queue: a run that fails is replaced by the next one within the hour, and a
          // queue nobody reads tells nobody; the page shows when the figures were published.
          retryPolicy: { maximumRetryAttempts: COST_PUBLISH_RETRIES, maximumEventAgeInSeconds: COST_PUBLISH_MAX_EVENT_AGE_S },
        },
      },
      // IAM is eventually consistent: the policy exists before the first invocation uses the role.
      { parent: this, dependsOn: [schedulerRole] },
    );

    this.scheduleName = schedule.name;
    this.taskDefinitionArn = task.arn;
    this.registerOutputs({ scheduleName: this.scheduleName });
  }
}

/**
 * The scheduler role's policy: RunTask on every revision of COST_PUBLISH_FAMILY (the family ARN
 * pattern, so a new revision needs no new policy) in one cluster, and PassRole on exactly the roles
 * the task uses, to ECS tasks only.
 */
export function schedulerPolicy(o: { region: string; account: string; clusterArn: string; passRoles: readonly string[] }): string {
  const partition = o.region.startsWith("cn-") ? "aws-cn" : "aws";
  return policyJson([
    {
      Sid: "RunTheCostPublishTask",
      Effect: "Allow",
      Action: "ecs:RunTask",
      Resource: `arn:${partition}:ecs:${o.region}:${o.account}:task-definition/${COST_PUBLISH_FAMILY}:*`,
      Condition: { ArnEquals: { "ecs:cluster": o.clusterArn } },
    },
    {
      Sid: "PassItsRoles",
      Effect: "Allow",
      Action: "iam:PassRole",
      Resource: [...o.passRoles],
      Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
    },
  ]);
}
