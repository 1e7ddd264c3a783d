/**
 * A tenant's alert topic under Pulumi's mocks (acme's stack file plus alerts:* keys): resource types
 * and properties as @pulumi/aws 7 defines them, least privilege on the topic, the key and the
 * publisher role, the rule's pattern against the events the worker sends, and the policy pack's
 * SNS rules on good and bad resources.
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseStackConfig } from "../../infra/config.ts";
import { OFFLINE_PACKAGE_LOOKUP, runOffline, type OfflineRun } from "../../infra/offline.ts";
import { readStackConfig } from "../../infra/stackFiles.ts";
import { evaluatePolicies, snsTopicPolicyNotPublic, snsTopicsEncrypted } from "../../infra/policy/rules.ts";
import { criticalEventPattern } from "../../infra/aws/alertTopic.ts";
import { EventBridgeSender } from "../../pipelines/alerts/awsSenders.ts";
import type { EventBridgeChannel } from "../../pipelines/alerts/alertChannels.ts";
import { ofType, policyStatements, TEST_PUBLIC_KEY } from "./offlineStack.ts";

let run: OfflineRun;
before(async () => {
  const { raw } = readStackConfig(process.cwd(), "acme", { "hub:servicePublicKey": TEST_PUBLIC_KEY });
  const cfg = parseStackConfig("acme", {
    ...raw,
    "alerts:channels": JSON.stringify([{ name: "bus", kind: "eventbridge", busName: "hub-alerts" }]),
    "alerts:topicSubscribers": JSON.stringify(["oncall@acme.example", "plant@acme.example"]),
  });
  run = await runOffline(cfg, { packageLookup: OFFLINE_PACKAGE_LOOKUP });
});

// ARNs as the offline mocks make them (infra/offline.ts): arn:aws:<service>:<region>:<account>:<resource name>.
// (the mocks name every aws:cloudwatch/* ARN with the service `logs`, the rule too)
const RULE_ARN = "arn:aws:logs:eu-west-1:123456789012:acme-alerts-critical";
const PUBLISHER_ARN = "arn:aws:iam:eu-west-1:123456789012:acme-alerts-publisher";
const KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:acme-alerts-key";
const mine = (type: string) => ofType(run, type).filter((r) => r.name.startsWith("acme-alerts-"));
const one = (type: string) => {
  const rs = mine(type);
  assert.equal(rs.length, 1, type);
  return rs[0]!;
};

describe("tenant alert topic (production)", () => {
  it("an SNS topic encrypted with its own rotating customer managed key, with the stack file's email subscribers", () => {
    const topic = one("aws:sns/topic:Topic").props;
    assert.equal(topic["name"], "hub-acme-alerts");
    const key = one("aws:kms/key:Key");
    assert.equal(key.props["enableKeyRotation"], true);
    assert.ok(String(topic["kmsMasterKeyId"]).startsWith("arn:aws:kms:"), String(topic["kmsMasterKeyId"]));
    assert.deepEqual(mine("aws:sns/topicSubscription:TopicSubscription").map((s) => [s.props["protocol"], s.props["endpoint"], s.props["topic"]]), [
      ["email", "oncall@acme.example", one("aws:sns/topicPolicy:TopicPolicy").props["arn"]],
      ["email", "plant@acme.example", one("aws:sns/topicPolicy:TopicPolicy").props["arn"]],
    ]);
    assert.deepEqual([topic["tags"].tenant, topic["tags"]["cost-center"]], ["acme", "acme-manufacturing"]);
  });

  it("a rule on the configured bus matching the tenant's CRITICAL events, targeting the topic", () => {
    const rule = one("aws:cloudwatch/eventRule:EventRule").props;
    assert.equal(rule["eventBusName"], "hub-alerts");
    assert.deepEqual(JSON.parse(rule["eventPattern"]), { source: ["hub.alerts"], detail: { tenant_id: ["acme"], severity: ["CRITICAL"] } });
    const target = one("aws:cloudwatch/eventTarget:EventTarget").props;
    assert.equal(target["eventBusName"], "hub-alerts");
    assert.equal(target["arn"], one("aws:sns/topicPolicy:TopicPolicy").props["arn"]);
    assert.equal(target["roleArn"], undefined, "SNS targets use the topic's resource policy, not a role");
  });

  it("the topic policy: EventBridge only for this rule, the publisher role, and nothing over plain HTTP", () => {
    const policy = one("aws:sns/topicPolicy:TopicPolicy").props;
    const st = policyStatements(policy["policy"]) as Array<{ Effect: string; Principal: unknown; Action: string; Resource: string; Condition?: unknown }>;
    assert.deepEqual(st.filter((s) => s.Effect === "Allow").map((s) => [s.Principal, s.Action, s.Resource, s.Condition]), [
      [{ Service: "events.amazonaws.com" }, "sns:Publish", policy["arn"], { ArnEquals: { "aws:SourceArn": RULE_ARN } }],
      [{ AWS: PUBLISHER_ARN }, "sns:Publish", policy["arn"], undefined],
    ]);
    const deny = st.find((s) => s.Effect === "Deny")!;
    assert.deepEqual([deny.Principal, deny.Condition], [{ AWS: "*" }, { Bool: { "aws:SecureTransport": "false" } }]);
  });

  it("the publisher role: Publish on this topic, PutEvents on this bus, this key; no wildcard resource", () => {
    const rp = one("aws:iam/rolePolicy:RolePolicy").props;
    const st = policyStatements(rp["policy"]);
    const topicArn = one("aws:sns/topicPolicy:TopicPolicy").props["arn"];
    assert.deepEqual(st.map((s) => [s.Action, s.Resource]), [
      [["sns:Publish"], topicArn],
      [["events:PutEvents"], "arn:aws:events:eu-west-1:123456789012:event-bus/hub-alerts"],
      [["kms:GenerateDataKey", "kms:Decrypt"], KEY_ARN],
    ]);
    for (const s of st) for (const r of [s.Resource].flat()) assert.ok(!r.includes("*"), r);
    const trust = policyStatements(one("aws:iam/role:Role").props["assumeRolePolicy"]);
    assert.deepEqual(trust.map((s) => (s as { Principal?: unknown }).Principal), [{ Service: "ecs-tasks.amazonaws.com" }]);
  });

  it("the key lets EventBridge use it only for this rule", () => {
    const st = policyStatements(one("aws:kms/key:Key").props["policy"]) as unknown as Array<{ Sid: string; Principal: unknown; Condition?: unknown }>;
    const events = st.find((s) => s.Sid === "EventBridgePublishesForTheRule")!;
    assert.deepEqual(events.Principal, { Service: "events.amazonaws.com" });
    assert.deepEqual(events.Condition, { ArnEquals: { "aws:SourceArn": RULE_ARN } });
  });

  it("exports the topic and the publisher role; passes every rule of the policy pack", () => {
    assert.equal(run.outputs["alertTopicArn"], one("aws:sns/topicPolicy:TopicPolicy").props["arn"]);
    assert.equal(run.outputs["alertPublisherRoleArn"], PUBLISHER_ARN);
    assert.deepEqual(evaluatePolicies(run.resources), []);
  });

  it("the rule's pattern matches what the worker's EventBridge channel sends for the tenant's CRITICAL notifications only", () => {
    const sender = new EventBridgeSender({ name: "bus", kind: "eventbridge", busName: "hub-alerts", region: "eu-west-1", minSeverity: "INFO" } satisfies EventBridgeChannel);
    const entry = (tenantId: string, severity: "CRITICAL" | "WARNING") =>
      sender.entry({ tenantId, severity, source: "ALERT", key: `alert/${tenantId}/m1/MACHINE_DOWN/2026-01-05T09`, raisedAt: new Date(), title: "t", message: "m", fields: {} });
    // EventBridge's exact-value matching: each field's value is one of the pattern's list.
    const matches = (e: ReturnType<typeof entry>) => {
      const p = criticalEventPattern("acme");
      const d = JSON.parse(e.Detail!) as Record<string, string>;
      return p.source.includes(e.Source!) && p.detail.tenant_id.includes(d["tenant_id"]!) && p.detail.severity.includes(d["severity"]!);
    };
    assert.deepEqual([matches(entry("acme", "CRITICAL")), matches(entry("acme", "WARNING")), matches(entry("globex", "CRITICAL"))], [true, false, false]);
    sender.close();
  });
});

describe("policy pack: SNS rules", () => {
  const r = (type: string, props: Record<string, unknown>) => ({ type, name: "t", urn: "urn:t", props });
  it("an unencrypted topic, or one on the AWS managed key, is refused", () => {
    assert.equal(snsTopicsEncrypted.check(r("aws:sns/topic:Topic", { name: "x" }), { maxAutoSuspendSeconds: 300 }).length, 1);
    assert.equal(snsTopicsEncrypted.check(r("aws:sns/topic:Topic", { name: "x", kmsMasterKeyId: "alias/aws/sns" }), { maxAutoSuspendSeconds: 300 }).length, 1);
    assert.equal(snsTopicsEncrypted.check(r("aws:sns/topic:Topic", { name: "x", kmsMasterKeyId: "arn:aws:kms:eu-west-1:123456789012:alias/aws/sns" }), { maxAutoSuspendSeconds: 300 }).length, 1);
    assert.deepEqual(snsTopicsEncrypted.check(r("aws:sns/topic:Topic", { name: "x", kmsMasterKeyId: "arn:aws:kms:eu-west-1:123456789012:key/abc" }), { maxAutoSuspendSeconds: 300 }), []);
  });

  it("a topic policy that lets anyone publish is refused; a service pinned to a source, or a Deny for anyone, is not", () => {
    const doc = (statements: object[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
    const check = (statements: object[]) => snsTopicPolicyNotPublic.check(r("aws:sns/topicPolicy:TopicPolicy", { policy: doc(statements) }), { maxAutoSuspendSeconds: 300 });
    assert.equal(check([{ Effect: "Allow", Principal: "*", Action: "sns:Publish", Resource: "arn:aws:sns:eu-west-1:123456789012:t" }]).length, 1);
    assert.equal(check([{ Effect: "Allow", Principal: { AWS: ["*"] }, Action: "sns:Subscribe", Resource: "arn:aws:sns:eu-west-1:123456789012:t" }]).length, 1);
    assert.equal(check([{ Effect: "Allow", Principal: { AWS: "*" }, Action: "sns:Publish", Resource: "x", Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } } }]).length, 0);
    assert.equal(check([{ Effect: "Deny", Principal: { AWS: "*" }, Action: "sns:Publish", Resource: "x", Condition: { Bool: { "aws:SecureTransport": "false" } } }]).length, 0);
  });
});
