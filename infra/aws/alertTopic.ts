/**
 * A tenant's alert delivery in production (docs/alerts.md, "Production"): an SNS topic with the
 * tenant's email subscribers, and an EventBridge rule that matches the tenant's CRITICAL events
 * (PutEvents by the hub's delivery worker, source `hub.alerts`) and targets the topic.
 *
 * - Encryption: a customer managed KMS key of the topic's own. EventBridge can publish to an
 *   encrypted topic only when the key policy lets it use the key, and an AWS managed key's
 *   (alias/aws/sns) policy cannot be changed
 *   (https://repost.aws/knowledge-center/sns-not-getting-eventbridge-notification). The key lets
 *   events.amazonaws.com use it only for this rule (aws:SourceArn).
 * - Who may publish (the topic policy): events.amazonaws.com with aws:SourceArn = this rule, and the
 *   hub's publisher role; no one else, no wildcard principal, TLS only.
 * - The publisher role (assumed by the hub's delivery worker, default: an ECS task) may
 *   sns:Publish on this topic, events:PutEvents on this bus, and use this key: nothing else.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { tenantRoleName } from "../../pipelines/definitions/governance.ts";
import { EVENT_SOURCE } from "../../pipelines/alerts/awsSenders.ts";
import { policyJson } from "./platform.ts";

/** The event pattern of a tenant's rule: the hub's events for this tenant at CRITICAL. */
export function criticalEventPattern(tenantId: string): { source: string[]; detail: { tenant_id: string[]; severity: string[] } } {
  return { source: [EVENT_SOURCE], detail: { tenant_id: [tenantId], severity: ["CRITICAL"] } };
}

export function alertTopicName(tenantId: string): string {
  return `hub-${tenantId}-alerts`;
}

export interface AlertTopicArgs {
  /** Tenant id (TENANT_ID_PATTERN); required. */
  readonly tenantId: string;
  /** Tags on every taggable resource; required. */
  readonly tags: Record<string, string>;
  /** Region and account of the ARNs the policies name; required. */
  readonly region: pulumi.Input<string>;
  readonly accountId: pulumi.Input<string>;
  /** Email addresses subscribed to the topic (each confirms by email); default none. */
  readonly subscribers?: readonly string[];
  /** Event bus the rule listens on; default `default`. */
  readonly busName?: string;
  /** Service principal that assumes the publisher role; default `ecs-tasks.amazonaws.com`. */
  readonly publisherService?: string;
}

export class AlertTopic extends pulumi.ComponentResource {
  readonly topicArn: pulumi.Output<string>;
  readonly ruleArn: pulumi.Output<string>;
  readonly keyArn: pulumi.Output<string>;
  readonly publisherRoleArn: pulumi.Output<string>;

  constructor(name: string, args: AlertTopicArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hub:aws:AlertTopic", name, {}, opts);
    try {
      tenantRoleName(args.tenantId);
    } catch (e) {
      throw new pulumi.ResourceError(`\`tenantId\`: ${(e as Error).message}`, this);
    }
    const bus = args.busName ?? "default";
    const child = { parent: this };
    const tags = args.tags;

    const rule = new aws.cloudwatch.EventRule(
      `${name}-critical`,
      {
        name: `hub-${args.tenantId}-critical-alerts`,
        description: `Tenant ${args.tenantId}: the hub's CRITICAL alerts and monitor suspensions, to its SNS topic.`,
        eventBusName: bus,
        eventPattern: JSON.stringify(criticalEventPattern(args.tenantId)),
        tags,
      },
      child,
    );
    const publisher = new aws.iam.Role(
      `${name}-publisher`,
      { assumeRolePolicy: policyJson([{ Effect: "Allow", Principal: { Service: args.publisherService ?? "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }]), tags },
      child,
    );
    const key = new aws.kms.Key(
      `${name}-key`,
      {
        description: `Tenant ${args.tenantId}: its alert topic.`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: pulumi.all([args.accountId, rule.arn]).apply(([account, ruleArn]) =>
          policyJson([
            { Sid: "AccountAdministersThroughIam", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: "kms:*", Resource: "*" },
            {
              Sid: "EventBridgePublishesForTheRule",
              Effect: "Allow",
              Principal: { Service: "events.amazonaws.com" },
              Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
              Resource: "*",
              Condition: { ArnEquals: { "aws:SourceArn": ruleArn } },
            },
          ]),
        ),
        tags,
      },
      child,
    );
    const topic = new aws.sns.Topic(`${name}-topic`, { name: alertTopicName(args.tenantId), kmsMasterKeyId: key.arn, tags }, child);
    new aws.sns.TopicPolicy(
      `${name}-topic-policy`,
      {
        arn: topic.arn,
        policy: pulumi.all([topic.arn, rule.arn, publisher.arn]).apply(([topicArn, ruleArn, publisherArn]) =>
          policyJson([
            { Sid: "EventBridgeRulePublishes", Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sns:Publish", Resource: topicArn, Condition: { ArnEquals: { "aws:SourceArn": ruleArn } } },
            { Sid: "HubPublisherPublishes", Effect: "Allow", Principal: { AWS: publisherArn }, Action: "sns:Publish", Resource: topicArn },
            { Sid: "TlsOnly", Effect: "Deny", Principal: { AWS: "*" }, Action: "sns:Publish", Resource: topicArn, Condition: { Bool: { "aws:SecureTransport": "false" } } },
          ]),
        ),
      },
      child,
    );
    new aws.cloudwatch.EventTarget(`${name}-critical-target`, { rule: rule.name, eventBusName: bus, arn: topic.arn }, child);
    (args.subscribers ?? []).forEach((email, i) => {
      new aws.sns.TopicSubscription(`${name}-subscriber-${i}`, { topic: topic.arn, protocol: "email", endpoint: email }, child);
    });
    new aws.iam.RolePolicy(
      `${name}-publisher-policy`,
      {
        role: publisher.id,
        policy: pulumi.all([topic.arn, key.arn, args.region, args.accountId]).apply(([topicArn, keyArn, region, account]) =>
          policyJson([
            { Effect: "Allow", Action: ["sns:Publish"], Resource: topicArn },
            { Effect: "Allow", Action: ["events:PutEvents"], Resource: bus.startsWith("arn:") ? bus : `arn:aws:events:${region}:${account}:event-bus/${bus}` },
            { Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: keyArn },
          ]),
        ),
      },
      child,
    );

    this.topicArn = topic.arn;
    this.ruleArn = rule.arn;
    this.keyArn = key.arn;
    this.publisherRoleArn = publisher.arn;
    this.registerOutputs({ topicArn: this.topicArn, ruleArn: this.ruleArn, keyArn: this.keyArn, publisherRoleArn: this.publisherRoleArn });
  }
}
