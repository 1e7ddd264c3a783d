/**
 * The hourly cost publish (infra/aws/costPublishSchedule.ts) as the portal declares it when the
 * stack has the reporting key, under Pulumi's mocks (one run): what runs, as whom, where, and the
 * IAM documents exactly. Without the key nothing is declared (portalService.test.ts).
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { declareUnderMocks, type OfflineRun } from "../../infra/offline.ts";
import { PortalService } from "../../infra/aws/portal.ts";
import { COST_PUBLISH_COMMAND, COST_PUBLISH_ENTRYPOINT, COST_PUBLISH_FAMILY, schedulerPolicy } from "../../infra/aws/costPublishSchedule.ts";
import { evaluatePolicies } from "../../infra/policy/rules.ts";
import { ofType, policyStatements } from "./offlineStack.ts";
import { PORTAL_ARGS } from "./portalArgs.ts";

const CLUSTER_ARN = "arn:aws:ecs:eu-west-1:123456789012:hub-portal-cluster";
const REPORTING = { keySecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hub/reporting-key-pair-GhIjKl", user: "HUB_REPORTING_SVC" };

let run: OfflineRun;
before(async () => {
  run = await declareUnderMocks("platform", () => {
    const p = new PortalService("hub-portal", { ...PORTAL_ARGS, reporting: REPORTING });
    return { schedule: p.costPublishSchedule };
  });
});
const byName = (name: string) => {
  const r = run.resources.find((x) => x.name === name);
  assert.ok(r, name);
  return r;
};

describe("the hourly cost publish", () => {
  it("one schedule, every hour in UTC, on the hour (no flexible window), a few retries within half an hour and no dead-letter queue", () => {
    const [s, ...more] = ofType(run, "aws:scheduler/schedule:Schedule");
    assert.equal(more.length, 0);
    assert.deepEqual([s!.props["scheduleExpression"], s!.props["scheduleExpressionTimezone"], s!.props["flexibleTimeWindow"], s!.props["state"]], ["rate(1 hour)", "UTC", { mode: "OFF" }, "ENABLED"]);
    const t = s!.props["target"];
    // The mocks' ARNs (infra/offline.ts): the portal's cluster, the schedule's own role.
    assert.equal(t.arn, CLUSTER_ARN);
    assert.equal(t.roleArn, "arn:aws:iam:eu-west-1:123456789012:hub-portal-cost-publish-scheduler-role");
    assert.equal(t.ecsParameters.taskDefinitionArn, "arn:aws:ecs:eu-west-1:123456789012:hub-portal-cost-publish-task");
    assert.deepEqual(t.retryPolicy, { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 1800 });
    assert.equal(t.deadLetterConfig, undefined);
  });

  it("runs one Fargate task of its own family in the tasks' private subnets, with its own security group and no public IP", () => {
    const e = ofType(run, "aws:scheduler/schedule:Schedule")[0]!.props["target"].ecsParameters;
    assert.deepEqual([e.launchType, e.taskCount], ["FARGATE", 1]);
    assert.deepEqual(e.networkConfiguration, { subnets: PORTAL_ARGS.subnetIds, securityGroups: [byName("hub-portal-cost-publish-sg").id], assignPublicIp: false });
    const td = byName("hub-portal-cost-publish-task").props;
    assert.deepEqual([td["family"], td["networkMode"], td["requiresCompatibilities"]], [COST_PUBLISH_FAMILY, "awsvpc", ["FARGATE"]]);
    assert.equal(td["taskRoleArn"], undefined, "no task role: the script calls no AWS API");
    // Nothing reaches the task; it reaches HTTPS only.
    assert.ok(!ofType(run, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").some((r) => r.props["securityGroupId"] === byName("hub-portal-cost-publish-sg").id));
    const out = ofType(run, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").filter((r) => r.props["securityGroupId"] === byName("hub-portal-cost-publish-sg").id);
    assert.deepEqual(out.map((r) => [r.props["ipProtocol"], r.props["fromPort"], r.props["toPort"]]), [["tcp", 443, 443]]);
  });

  it("the container: the portal's image, cost-report --target snowflake --publish-tenant-costs, as HUB_REPORTING_SVC with its own key, logging to the portal's group under its own prefix", () => {
    const [c] = JSON.parse(byName("hub-portal-cost-publish-task").props["containerDefinitions"]) as any[];
    assert.equal(c.image, PORTAL_ARGS.image);
    assert.deepEqual([...c.entryPoint, ...c.command], ["node", "--import", "tsx", "scripts/cost-report.ts", "--target", "snowflake", "--publish-tenant-costs"]);
    assert.deepEqual([c.entryPoint, c.command], [[...COST_PUBLISH_ENTRYPOINT], [...COST_PUBLISH_COMMAND]]);
    const env = Object.fromEntries((c.environment as { name: string; value: string }[]).map((v) => [v.name, v.value]));
    // What pipelines/warehouse/snowflakeEnv.ts requires, the key aside.
    assert.deepEqual(
      [env.SNOWFLAKE_ACCOUNT, env.SNOWFLAKE_ACCESS_URL, env.SNOWFLAKE_USER, env.SNOWFLAKE_ROLE, env.SNOWFLAKE_WAREHOUSE, env.SNOWFLAKE_DATABASE],
      ["xy12345.eu-west-1", PORTAL_ARGS.snowflake.accountUrl, "HUB_REPORTING_SVC", "HUB_REPORTING", "HUB_ANALYTICS_WH", "HUB"],
    );
    assert.deepEqual(c.secrets, [{ name: "HUB_SNOWFLAKE_PRIVATE_KEY", valueFrom: REPORTING.keySecretArn }]);
    assert.ok(!JSON.stringify(c).includes(PORTAL_ARGS.snowflakeKeySecretArn), "never the portal's key");
    assert.deepEqual([c.readonlyRootFilesystem, c.user], [true, "node"]);
    assert.deepEqual(c.logConfiguration.options, { "awslogs-group": "/hub/portal", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "cost-publish" });
  });

  it("the execution role pulls from the one repository, writes the portal's log group and reads the reporting secret alone", () => {
    const by = Object.fromEntries(policyStatements(byName("hub-portal-cost-publish-execution-policy").props["policy"]).map((s) => [[s.Action].flat().join(","), s.Resource]));
    assert.deepEqual(by, {
      "ecr:GetAuthorizationToken": "*",
      "ecr:BatchGetImage,ecr:GetDownloadUrlForLayer": "arn:aws:ecr:eu-west-1:123456789012:repository/manufacturing-data-hub",
      "logs:CreateLogStream,logs:PutLogEvents": "arn:aws:logs:eu-west-1:123456789012:hub-portal-logs:log-stream:*",
      "secretsmanager:GetSecretValue": REPORTING.keySecretArn,
    });
    const [trust] = policyStatements(byName("hub-portal-cost-publish-execution-role").props["assumeRolePolicy"]) as any[];
    assert.deepEqual([trust.Principal, trust.Condition], [{ Service: "ecs-tasks.amazonaws.com" }, { StringEquals: { "aws:SourceAccount": "123456789012" } }]);
  });

  it("the scheduler's role: RunTask on that family in that cluster, PassRole on the execution role to ECS tasks, trusted by Scheduler of this account only", () => {
    const statements = policyStatements(byName("hub-portal-cost-publish-scheduler-policy").props["policy"]);
    assert.deepEqual(statements, [
      {
        Sid: "RunTheCostPublishTask", Effect: "Allow", Action: "ecs:RunTask",
        Resource: `arn:aws:ecs:eu-west-1:123456789012:task-definition/${COST_PUBLISH_FAMILY}:*`,
        Condition: { ArnEquals: { "ecs:cluster": CLUSTER_ARN } },
      },
      {
        Sid: "PassItsRoles", Effect: "Allow", Action: "iam:PassRole",
        Resource: ["arn:aws:iam:eu-west-1:123456789012:hub-portal-cost-publish-execution-role"],
        Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
      },
    ]);
    const [trust, ...others] = policyStatements(byName("hub-portal-cost-publish-scheduler-role").props["assumeRolePolicy"]) as any[];
    assert.deepEqual(others, []);
    assert.deepEqual([trust.Principal, trust.Action, trust.Condition], [{ Service: "scheduler.amazonaws.com" }, "sts:AssumeRole", { StringEquals: { "aws:SourceAccount": "123456789012" } }]);
  });

  it("the family ARN is in the region's partition", () => {
    const [run1] = (JSON.parse(schedulerPolicy({ region: "cn-north-1", account: "123456789012", clusterArn: "c", passRoles: ["r"] })) as { Statement: any[] }).Statement;
    assert.equal(run1.Resource, `arn:aws-cn:ecs:cn-north-1:123456789012:task-definition/${COST_PUBLISH_FAMILY}:*`);
  });

  it("the policy pack passes everything declared, the schedule included", () => {
    assert.deepEqual(evaluatePolicies(run.resources), []);
  });

  it("refuses the portal's own key for the cost publish", () => {
    assert.throws(() => new PortalService("hub-portal-bad", { ...PORTAL_ARGS, reporting: { ...REPORTING, keySecretArn: PORTAL_ARGS.snowflakeKeySecretArn } }), /`reporting\.keySecretArn` must not be `snowflakeKeySecretArn`/);
  });
});
