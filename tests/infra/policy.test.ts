/** The policy pack's rules, offline: each with a compliant and a violating input (no PolicyPack is built). */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  DEFAULT_POLICY_OPTIONS,
  HUB_RULES,
  T,
  evaluatePolicies,
  kmsRotation,
  logGroupsEncrypted,
  noWildcardIam,
  s3AccessLogged,
  unreadableIamDocuments,
  s3BucketsProtected,
  taggedForCost,
  tenantTablesHaveRowAccessPolicy,
  warehouseCapped,
  type PolicyResourceLike,
} from "../../infra/policy/rules.ts";
import { ecsTasksNoPublicIp, internetFacingAlbsGuarded, webAclsObservable } from "../../infra/policy/portalRules.ts";

let n = 0;
function res(type: string, props: Record<string, unknown>, extra: Partial<PolicyResourceLike> = {}): PolicyResourceLike {
  const name = `r${++n}`;
  return { type, name, urn: `urn:pulumi:test::hub::${type}::${name}`, id: `${name}-id`, props, ...extra };
}
const O = DEFAULT_POLICY_OPTIONS;
const TAGS = { tenant: "acme", "cost-center": "acme-mfg" };

describe("the policy pack", () => {
  it("has the sixteen mandatory rules", () => {
    assert.equal(HUB_RULES.length, 16);
    assert.ok(HUB_RULES.every((r) => r.enforcementLevel === "mandatory"));
    assert.equal(new Set(HUB_RULES.map((r) => r.name)).size, 16);
  });
});

describe("S3 access is logged; log groups are KMS-encrypted", () => {
  it("a bucket without BucketLogging is refused; the bucket the logs go to is exempt", () => {
    const source = res(T.bucket, { bucketPrefix: "hub-archive-" });
    const target = res(T.bucket, { bucketPrefix: "hub-access-logs-" });
    assert.deepEqual(s3AccessLogged.check([source, target], O).map((v) => v.urn), [source.urn, target.urn]);
    const logging = res("aws:s3/bucketLogging:BucketLogging", { bucket: source.id, targetBucket: target.id, targetPrefix: "archive/" });
    assert.deepEqual(s3AccessLogged.check([source, target, logging], O), []);
  });

  it("a log group without kmsKeyId is refused", () => {
    assert.equal(logGroupsEncrypted.check(res("aws:cloudwatch/logGroup:LogGroup", { name: "/hub/x" }), O).length, 1);
    assert.deepEqual(logGroupsEncrypted.check(res("aws:cloudwatch/logGroup:LogGroup", { name: "/hub/x", kmsKeyId: "arn:aws:kms:eu-west-1:1:key/k" }), O), []);
  });
});

describe("an IAM document unknown in a preview is reported as unverified, not passed", () => {
  it("the IAM rule cannot read it, and says so", () => {
    const unknownDoc = res("aws:iam/rolePolicy:RolePolicy", { role: "r", policy: { __pulumiUnknown: true } });
    assert.deepEqual(noWildcardIam.check(unknownDoc, O), [], "the rule itself cannot fail what it cannot read");
    assert.equal(unreadableIamDocuments(unknownDoc).length, 1);
    assert.equal(unreadableIamDocuments(res("aws:iam/rolePolicy:RolePolicy", { role: "r", policy: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" })).length, 1);
    assert.deepEqual(unreadableIamDocuments(res("aws:iam/rolePolicy:RolePolicy", { role: "r", policy: '{"Statement":[]}' })), []);
  });
});

describe("S3 buckets are encrypted, versioned and block public access", () => {
  const bucketAnd = (parts: { versioning?: string; sse?: string; block?: boolean }) => {
    const b = res(T.bucket, { bucketPrefix: "hub-", tags: TAGS });
    const rs: PolicyResourceLike[] = [b];
    if (parts.versioning) rs.push(res(T.versioning, { bucket: b.id, versioningConfiguration: { status: parts.versioning } }));
    if (parts.sse) rs.push(res(T.encryption, { bucket: b.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: parts.sse } }] }));
    if (parts.block !== undefined) {
      rs.push(res(T.publicAccess, { bucket: b.id, blockPublicAcls: true, blockPublicPolicy: parts.block, ignorePublicAcls: true, restrictPublicBuckets: true }));
    }
    return rs;
  };
  it("passes a bucket with all three", () => assert.deepEqual(s3BucketsProtected.check(bucketAnd({ versioning: "Enabled", sse: "aws:kms", block: true }), O), []));
  it("finds the bucket by property dependency when its id is not known yet (preview)", () => {
    const b = res(T.bucket, {}, { id: undefined });
    const dep = { propertyDependencies: { bucket: [b.urn] } };
    const rs = [
      b,
      res(T.versioning, { versioningConfiguration: { status: "Enabled" } }, dep),
      res(T.encryption, { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] }, dep),
      res(T.publicAccess, { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }, dep),
    ];
    assert.deepEqual(s3BucketsProtected.check(rs, O), []);
  });
  it("reports suspended versioning, missing encryption and a partial public access block", () => {
    const msgs = s3BucketsProtected.check(bucketAnd({ versioning: "Suspended", block: false }), O).map((v) => v.message);
    assert.equal(msgs.length, 3);
    assert.match(msgs.join("\n"), /BucketVersioning/);
    assert.match(msgs.join("\n"), /encryption/);
    assert.match(msgs.join("\n"), /public access block/);
  });
});

describe("no IAM statement grants * on *", () => {
  const doc = (Action: unknown, Resource: unknown, Effect = "Allow") => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect, Action, Resource }] });
  it("passes scoped actions and resources", () => assert.deepEqual(noWildcardIam.check(res("aws:iam/rolePolicy:RolePolicy", { policy: doc(["s3:GetObject"], "arn:aws:s3:::b/*") }), O), []));
  it("passes a Deny of * on * (TLS-only bucket policies deny broadly)", () => assert.deepEqual(noWildcardIam.check(res("aws:iam/rolePolicy:RolePolicy", { policy: doc("*", "*", "Deny") }), O), []));
  it("reports Allow * on *", () => assert.equal(noWildcardIam.check(res("aws:iam/rolePolicy:RolePolicy", { policy: doc("*", "*") }), O).length, 1));
  it("reports it inside a list and in a role's inline policies", () => {
    assert.equal(noWildcardIam.check(res("aws:iam/policy:Policy", { policy: doc(["s3:GetObject", "*"], ["*"]) }), O).length, 1);
    assert.equal(noWildcardIam.check(res("aws:iam/role:Role", { assumeRolePolicy: "{}", inlinePolicies: [{ name: "x", policy: doc("*", "*") }] }), O).length, 1);
  });
});

describe("every Snowflake warehouse has a monitor and auto-suspend ≤ 300 s", () => {
  it("passes a monitored warehouse suspending after 60 s", () => assert.deepEqual(warehouseCapped.check(res(T.warehouse, { name: "W", resourceMonitor: "M", autoSuspend: 60 }), O), []));
  it("reports a warehouse without a monitor", () => assert.match(warehouseCapped.check(res(T.warehouse, { name: "W", autoSuspend: 60 }), O)[0]!, /no resource monitor/));
  it("reports auto-suspend above the bound, and honours a configured bound", () => {
    const w = res(T.warehouse, { name: "W", resourceMonitor: "M", autoSuspend: 600 });
    assert.match(warehouseCapped.check(w, O)[0]!, /600 s; at most 300 s/);
    assert.deepEqual(warehouseCapped.check(w, { maxAutoSuspendSeconds: 900 }), []);
  });
  it("reports a warehouse that never suspends", () => assert.equal(warehouseCapped.check(res(T.warehouse, { name: "W", resourceMonitor: "M" }), O).length, 1));
});

describe("every table with tenant_id has the row access policy", () => {
  const table = (name: string, cols: string[], schema = "CORE") => res(T.table, { database: "HUB", schema, name, columns: cols.map((c) => ({ name: c, type: "VARCHAR" })) });
  const attach = (name: string) => res(T.execute, { execute: `ALTER TABLE ${name} ADD ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION ON (tenant_id)`, revert: "x" });
  it("passes a tenant table with the policy attached, and tables without tenant_id", () => {
    assert.deepEqual(tenantTablesHaveRowAccessPolicy.check([table("T1", ["tenant_id", "v"]), attach("CORE.T1"), table("T2", ["v"])], O), []);
  });
  it("exempts the tenant map the policy itself reads", () => assert.deepEqual(tenantTablesHaveRowAccessPolicy.check([table("TENANT_MAP", ["role_name", "tenant_id"], "GOVERNANCE")], O), []));
  it("reports a tenant table without it", () => {
    const v = tenantTablesHaveRowAccessPolicy.check([table("T1", ["tenant_id"]), attach("CORE.OTHER")], O);
    assert.equal(v.length, 1);
    assert.match(v[0]!.message, /CORE\.T1 has tenant_id but no GOVERNANCE\.TENANT_ISOLATION/);
  });
  it("checks dynamic tables and tables created by Execute too", () => {
    const dt = res(T.dynamicTable, { schema: "ANALYTICS", name: "KPI", query: "SELECT tenant_id, count(*) FROM CORE.T1 GROUP BY 1" });
    const transient = res(T.execute, { execute: "CREATE TRANSIENT TABLE IF NOT EXISTS CORE.STAGE (\n  tenant_id VARCHAR NOT NULL,\n  v INT\n)", revert: "DROP TABLE CORE.STAGE" });
    assert.equal(tenantTablesHaveRowAccessPolicy.check([dt, transient], O).length, 2);
    const ok = [dt, transient, res(T.execute, { execute: "ALTER DYNAMIC TABLE ANALYTICS.KPI ADD ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION ON (tenant_id)" }), attach("CORE.STAGE")];
    assert.deepEqual(tenantTablesHaveRowAccessPolicy.check(ok, O), []);
  });
});

describe("every taggable resource carries the tenant and cost-centre tags", () => {
  it("passes tagged AWS resources and untaggable ones", () => {
    assert.deepEqual(taggedForCost.check([res("aws:kms/key:Key", { tags: TAGS }), res("aws:kms/alias:Alias", { name: "alias/x" })], O), []);
  });
  it("reports an AWS resource missing the cost-centre tag, and one with no tags at all", () => {
    const v = taggedForCost.check([res("aws:iot/thingGroup:ThingGroup", { tags: { tenant: "acme" } }), res("aws:s3/bucket:Bucket", {})], O);
    assert.equal(v.length, 2);
    assert.match(v[0]!.message, /cost-center/);
  });
  it("requires TENANT and COST_CENTER tag associations on Snowflake warehouses", () => {
    const wh = res(T.warehouse, { name: "TENANT_ACME_BI_WH" });
    const assoc = (tag: string) => res(T.tagAssociation, { objectType: "WAREHOUSE", objectIdentifiers: ['"TENANT_ACME_BI_WH"'], tagId: `"HUB"."GOVERNANCE"."${tag}"`, tagValue: "x" });
    assert.deepEqual(taggedForCost.check([wh, assoc("TENANT"), assoc("COST_CENTER")], O), []);
    const v = taggedForCost.check([wh, assoc("TENANT")], O);
    assert.equal(v.length, 1);
    assert.match(v[0]!.message, /GOVERNANCE\.COST_CENTER/);
  });
});

describe("KMS rotation is on", () => {
  it("passes a rotating key", () => assert.deepEqual(kmsRotation.check(res(T.kmsKey, { enableKeyRotation: true, tags: TAGS }), O), []));
  it("reports a key without rotation", () => assert.equal(kmsRotation.check(res(T.kmsKey, { tags: TAGS }), O).length, 1));
});

describe("evaluatePolicies", () => {
  it("names the rule and the resource of each violation", () => {
    const key = res(T.kmsKey, { enableKeyRotation: false, tags: TAGS });
    assert.deepEqual(evaluatePolicies([key]), [{ policy: "kms-rotation-enabled", urn: key.urn, message: `KMS key ${key.name} has rotation off` }]);
  });
});

describe("an internet-facing ALB writes access logs and sits behind a WAF web ACL whose metrics are on", () => {
  const LB = "aws:lb/loadBalancer:LoadBalancer";
  const ASSOC = "aws:wafv2/webAclAssociation:WebAclAssociation";
  const logs = { bucket: "hub-alb-logs-x", prefix: "portal-alb", enabled: true };
  const assocOf = (lb: PolicyResourceLike) => res(ASSOC, { resourceArn: lb.id, webAclArn: "arn:aws:wafv2:eu-west-1:1:regional/webacl/hub-portal/x" });

  it("passes a logged ALB with an association naming it, by ARN or by dependency (preview)", () => {
    const lb = res(LB, { loadBalancerType: "application", accessLogs: logs });
    assert.deepEqual(internetFacingAlbsGuarded.check([lb, assocOf(lb)], O), []);
    const lb2 = res("aws:alb/loadBalancer:LoadBalancer", { accessLogs: logs }, { id: undefined });
    const byDep = res(ASSOC, { webAclArn: "w" }, { propertyDependencies: { resourceArn: [lb2.urn] } });
    assert.deepEqual(internetFacingAlbsGuarded.check([lb2, byDep], O), []);
  });

  it("refuses an ALB without access logs, with logs named but not enabled (the provider's default), and without a web ACL", () => {
    const none = res(LB, {});
    const notEnabled = res(LB, { accessLogs: { bucket: "b" } });
    const noBucket = res(LB, { accessLogs: { enabled: true } });
    const v = internetFacingAlbsGuarded.check([none, notEnabled, noBucket, assocOf(none), assocOf(notEnabled), assocOf(noBucket)], O);
    assert.deepEqual(v.map((x) => x.urn), [none.urn, notEnabled.urn, noBucket.urn]);
    assert.match(v[1]!.message, /accessLogs\.enabled must be true/);
    const unguarded = res(LB, { accessLogs: logs });
    const other = res(LB, { accessLogs: logs });
    const w = internetFacingAlbsGuarded.check([unguarded, other, assocOf(other)], O);
    assert.deepEqual(w.map((x) => [x.urn, /no WAF web ACL/.test(x.message)]), [[unguarded.urn, true]], "another ALB's association does not count");
  });

  it("leaves internal load balancers and network load balancers alone", () => {
    assert.deepEqual(internetFacingAlbsGuarded.check([res(LB, { internal: true }), res(LB, { loadBalancerType: "network" })], O), []);
  });

  it("a web ACL, or one of its rules, with metrics or sampled requests off is refused", () => {
    const vis = { cloudwatchMetricsEnabled: true, metricName: "m", sampledRequestsEnabled: true };
    const acl = (top: object, rule: object) => res("aws:wafv2/webAcl:WebAcl", { name: "a", visibilityConfig: top, rules: [{ name: "r", priority: 0, visibilityConfig: rule }] });
    assert.deepEqual(webAclsObservable.check(acl(vis, vis), O), []);
    assert.equal(webAclsObservable.check(acl({ ...vis, cloudwatchMetricsEnabled: false }, vis), O).length, 1);
    assert.match(webAclsObservable.check(acl(vis, { ...vis, sampledRequestsEnabled: false }), O)[0]!, /rule r/);
  });

  it("the bucket an ALB logs to needs no server access logging of its own; any other bucket still does", () => {
    const albLogs = res(T.bucket, { bucketPrefix: "hub-alb-logs-" });
    const other = res(T.bucket, { bucketPrefix: "hub-other-" });
    const lb = res(LB, { accessLogs: { ...logs, bucket: albLogs.id } });
    assert.deepEqual(s3AccessLogged.check([albLogs, other, lb], O).map((v) => v.urn), [other.urn]);
    assert.deepEqual(s3AccessLogged.check([albLogs, other], O).map((v) => v.urn), [albLogs.urn, other.urn], "without the ALB it is an ordinary bucket");
  });
});

describe("tasks started on a schedule get no public IP either", () => {
  const SCHEDULE = "aws:scheduler/schedule:Schedule";
  const ecs = (assignPublicIp: boolean | undefined) => ({
    scheduleExpression: "rate(1 hour)",
    flexibleTimeWindow: { mode: "OFF" },
    target: { arn: "cluster", roleArn: "role", ecsParameters: { taskDefinitionArn: "td", launchType: "FARGATE", networkConfiguration: { subnets: ["subnet-1"], ...(assignPublicIp === undefined ? {} : { assignPublicIp }) } } },
  });

  it("refuses an EventBridge Scheduler ECS target or an EventBridge rule's ECS target that assigns public IPs", () => {
    assert.match(ecsTasksNoPublicIp.check(res(SCHEDULE, ecs(true)), O).join(), /Schedule r\d+ runs tasks with public IPs \(target\.ecsParameters\.networkConfiguration\.assignPublicIp\)/);
    const rule = res("aws:cloudwatch/eventTarget:EventTarget", { arn: "cluster", ecsTarget: { taskDefinitionArn: "td", networkConfiguration: { subnets: ["s"], assignPublicIp: true } } });
    assert.equal(ecsTasksNoPublicIp.check(rule, O).length, 1);
  });

  it("passes one that disables them or leaves them unset (the API's default, DISABLED), and a schedule of another kind", () => {
    assert.deepEqual(ecsTasksNoPublicIp.check(res(SCHEDULE, ecs(false)), O), []);
    assert.deepEqual(ecsTasksNoPublicIp.check(res(SCHEDULE, ecs(undefined)), O), []);
    assert.deepEqual(ecsTasksNoPublicIp.check(res(SCHEDULE, { scheduleExpression: "rate(1 hour)", target: { arn: "arn:aws:sqs:eu-west-1:1:q", roleArn: "r" } }), O), []);
  });
});
