/** A standard tenant stack (acme) under mocks: inventory, key inputs, the device policy against sample topics. */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { TENANT_GRANTS, TENANT_SCHEMAS } from "../../pipelines/definitions/grants.ts";
import { iotPolicyAllows, tenantDevicePolicy, type IotPolicyDocument } from "../../edge/topicRules.ts";
import { evaluatePolicies, T } from "../../infra/policy/rules.ts";
import { MOCK_ACCOUNT, MOCK_REGION, type OfflineRun } from "../../infra/offline.ts";
import { inventory, offlineStack, ofType, policyStatements, TEST_PUBLIC_KEY } from "./offlineStack.ts";

let run: OfflineRun;
before(async () => {
  ({ run } = await offlineStack("acme"));
});
// The alert topic's resources (a role, a key, a role policy of their own) are checked in
// tests/infra/alertTopic.test.ts; `one` looks at the rest of the tenant's.
const one = (type: string) => {
  const rs = ofType(run, type).filter((r) => !r.name.startsWith("acme-alerts-"));
  assert.equal(rs.length, 1, type);
  return rs[0]!.props;
};
const ARN = `arn:aws:iot:${MOCK_REGION}:${MOCK_ACCOUNT}`;

describe("tenant stack (standard): inventory", () => {
  it("declares a Snowflake and an AWS tenant component and reads the platform stack", () => {
    const inv = inventory(run);
    assert.equal(inv["hub:snowflake:Tenant"], 1);
    assert.equal(inv["hub:aws:Tenant"], 1);
    assert.equal(inv["pulumi:pulumi:StackReference"], 1);
    assert.equal(one("pulumi:pulumi:StackReference")["name"], "organization/hub/platform");
  });

  it("grants the tenant's role to the portal's Snowflake user only, with hub:portalAccess", () => {
    const toUsers = ofType(run, "snowflake:index/grantAccountRole:GrantAccountRole").map((r) => [r.props["roleName"], r.props["userName"]]);
    assert.deepEqual(toUsers.filter(([, u]) => u === "HUB_PORTAL_SVC"), [["TENANT_ACME_ROLE", "HUB_PORTAL_SVC"]]);
  });

  it("declares exactly the tenant's resources, none of the platform's", () => {
    const granted = TENANT_GRANTS.length + TENANT_SCHEMAS.length;
    const counts = Object.fromEntries(Object.entries(inventory(run)).filter(([t]) => t.startsWith("snowflake:") || t.startsWith("aws:")));
    assert.deepEqual(counts, {
      "snowflake:index/accountRole:AccountRole": 1,
      "snowflake:index/serviceUser:ServiceUser": 1,
      // to its service user, and to the portal's user (hub:portalAccess in the example)
      "snowflake:index/grantAccountRole:GrantAccountRole": 2,
      // the database, each granted schema and object, the warehouse; MONITOR on the warehouse and
      // its monitor for the platform's reporting role
      "snowflake:index/grantPrivilegesToAccountRole:GrantPrivilegesToAccountRole": 1 + granted + 1 + 2,
      "snowflake:index/resourceMonitor:ResourceMonitor": 1,
      "snowflake:index/warehouse:Warehouse": 1,
      "snowflake:index/execute:Execute": 1,
      "snowflake:index/tagAssociation:TagAssociation": 6,
      "aws:iot/thingGroup:ThingGroup": 1,
      "aws:iot/policy:Policy": 1,
      "aws:iot/policyAttachment:PolicyAttachment": 1,
      "aws:sagemaker/modelPackageGroup:ModelPackageGroup": 3,
      "aws:athena/workgroup:Workgroup": 1,
      "aws:iam/policy:Policy": 1,
      "aws:iam/role:Role": 2,
      "aws:iam/rolePolicy:RolePolicy": 2,
      // alert delivery (infra/aws/alertTopic.ts): topic, its policy and key, the critical-events rule and its target
      "aws:sns/topic:Topic": 1,
      "aws:sns/topicPolicy:TopicPolicy": 1,
      "aws:kms/key:Key": 1,
      "aws:cloudwatch/eventRule:EventRule": 1,
      "aws:cloudwatch/eventTarget:EventTarget": 1,
    });
  });

  it("passes every mandatory rule of the policy pack", () => assert.deepEqual(evaluatePolicies(run.resources), []));
});

describe("tenant stack (standard): Snowflake key inputs", () => {
  it("a role and a key-pair service user that defaults to it", () => {
    assert.equal(one("snowflake:index/accountRole:AccountRole")["name"], "TENANT_ACME_ROLE");
    const user = one("snowflake:index/serviceUser:ServiceUser");
    assert.deepEqual([user["name"], user["defaultRole"], user["defaultWarehouse"]], ["TENANT_ACME_SVC", "TENANT_ACME_ROLE", "TENANT_ACME_BI_WH"]);
    // Passed as a Pulumi secret: the engine's secret signature wraps the value.
    assert.equal(user["rsaPublicKey"].value, TEST_PUBLIC_KEY);
    assert.equal(user["rsaPublicKey"]["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270");
    assert.equal(user["password"], undefined);
  });

  it("a dedicated warehouse with a monitor: quota, frequency, NOTIFY 75/90, SUSPEND 100, SUSPEND_IMMEDIATE 110", () => {
    const wh = one(T.warehouse);
    assert.deepEqual([wh["name"], wh["warehouseSize"], wh["autoSuspend"], wh["resourceMonitor"]], ["TENANT_ACME_BI_WH", "XSMALL", 60, "TENANT_ACME_BI_MONITOR"]);
    const m = one("snowflake:index/resourceMonitor:ResourceMonitor");
    assert.deepEqual([m["creditQuota"], m["frequency"], m["notifyTriggers"], m["suspendTrigger"], m["suspendImmediateTrigger"]], [50, "MONTHLY", [75, 90], 100, 110]);
    assert.ok(m["startTimestamp"]);
  });

  it("least-privilege grants: USAGE on the database, the granted schemas and its own warehouse; SELECT on exactly the granted objects", () => {
    const all = ofType(run, "snowflake:index/grantPrivilegesToAccountRole:GrantPrivilegesToAccountRole").map((g) => g.props);
    // The platform's reporting role gets MONITOR on the tenant's warehouse and monitor, and nothing else.
    const reporting = all.filter((g) => g["accountRoleName"] === "HUB_REPORTING");
    assert.deepEqual(
      reporting.map((g) => `${g["privileges"].join()} ON ${g["onAccountObject"].objectType} ${g["onAccountObject"].objectName}`).sort(),
      ["MONITOR ON RESOURCE MONITOR TENANT_ACME_BI_MONITOR", "MONITOR ON WAREHOUSE TENANT_ACME_BI_WH"],
    );
    const grants = all.filter((g) => g["accountRoleName"] !== "HUB_REPORTING");
    for (const g of grants) {
      assert.equal(g["accountRoleName"], "TENANT_ACME_ROLE");
      assert.ok(!g["allPrivileges"] && !g["onAccount"] && !g["withGrantOption"]);
    }
    const usage = grants.filter((g) => g["privileges"].join() === "USAGE");
    assert.deepEqual(
      usage.map((g) => g["onAccountObject"]?.objectName ?? g["onSchema"]?.schemaName).sort(),
      ['"HUB"."ANALYTICS"', '"HUB"."CORE"', '"HUB"."ML"', '"HUB"."OPS"', '"HUB"."RAW"', "HUB", "TENANT_ACME_BI_WH"],
    );
    const selects = grants.filter((g) => g["privileges"].join() === "SELECT").map((g) => `${g["onSchemaObject"].objectType} ${g["onSchemaObject"].objectName}`);
    // The same list the embedded engine's secure catalog is built from (tests/security checks that side).
    assert.deepEqual(selects.sort(), TENANT_GRANTS.map((g) => `${g.objectType} "HUB"."${g.name.split(".").join('"."')}"`).sort());
    // Written out, not derived: what a tenant must never be granted.
    for (const never of ["GOVERNANCE", "RAW.DEVICE_MESSAGES", "_STREAM", "OPS.ARCHIVE_"]) {
      assert.ok(!selects.some((x) => x.replaceAll('"', "").includes(never)), `no grant on ${never}`);
    }
  });

  it("its TENANT_MAP row, removed again on destroy", () => {
    const row = one(T.execute);
    // Fully qualified: the deploy's session has no current database.
    assert.match(row["execute"], /^INSERT INTO HUB\.GOVERNANCE\.TENANT_MAP \(role_name, tenant_id, pii_access, granted_at\) SELECT 'TENANT_ACME_ROLE', 'acme', FALSE, CURRENT_TIMESTAMP\(\)$/);
    assert.equal(row["revert"], "DELETE FROM HUB.GOVERNANCE.TENANT_MAP WHERE role_name = 'TENANT_ACME_ROLE' AND tenant_id = 'acme'");
  });

  it("tags the warehouse, role and user with TENANT=acme and COST_CENTER", () => {
    const tags = ofType(run, T.tagAssociation).map((t) => `${t.props["objectType"]} ${t.props["tagId"]}=${t.props["tagValue"]}`).sort();
    assert.deepEqual(tags, [
      'ROLE "HUB"."GOVERNANCE"."COST_CENTER"=acme-manufacturing',
      'ROLE "HUB"."GOVERNANCE"."TENANT"=acme',
      'USER "HUB"."GOVERNANCE"."COST_CENTER"=acme-manufacturing',
      'USER "HUB"."GOVERNANCE"."TENANT"=acme',
      'WAREHOUSE "HUB"."GOVERNANCE"."COST_CENTER"=acme-manufacturing',
      'WAREHOUSE "HUB"."GOVERNANCE"."TENANT"=acme',
    ]);
  });
});

describe("tenant stack (standard): AWS key inputs", () => {
  let doc: IotPolicyDocument;
  before(() => {
    doc = JSON.parse(one("aws:iot/policy:Policy")["policy"]);
  });

  it("the IoT policy is the one edge/topicRules.ts generates for the tenant", () => {
    assert.deepEqual(doc, tenantDevicePolicy("acme", MOCK_REGION, MOCK_ACCOUNT));
    assert.match(JSON.stringify(doc), /\$\{iot:Connection\.Thing\.ThingName\}/);
    const attachment = one("aws:iot/policyAttachment:PolicyAttachment");
    assert.equal(attachment["policy"], "hub-acme-device");
    assert.match(attachment["target"], /acme-things/);
  });

  it("a device publishes telemetry under its own tenant and thing name", () => {
    for (const type of ["machine", "energy", "air_quality", "rfid"]) {
      assert.ok(iotPolicyAllows(doc, "iot:Publish", `${ARN}:topic/dt/hub/acme/plant-1/${type}/press-07`, "press-07"), type);
    }
    assert.ok(iotPolicyAllows(doc, "iot:Connect", `${ARN}:client/press-07`, "press-07"));
  });

  it("a device cannot publish under another tenant, another device or an unknown sensor type", () => {
    assert.ok(!iotPolicyAllows(doc, "iot:Publish", `${ARN}:topic/dt/hub/globex/plant-1/machine/press-07`, "press-07"), "other tenant");
    assert.ok(!iotPolicyAllows(doc, "iot:Publish", `${ARN}:topic/dt/hub/acme/plant-1/machine/press-08`, "press-07"), "other device");
    assert.ok(!iotPolicyAllows(doc, "iot:Publish", `${ARN}:topic/dt/hub/acme/plant-1/video/press-07`, "press-07"), "unknown type");
    assert.ok(!iotPolicyAllows(doc, "iot:Publish", `${ARN}:topic/cmd/hub/acme/plant-1/press-07`, "press-07"), "onto the command topic");
    assert.ok(!iotPolicyAllows(doc, "iot:Connect", `${ARN}:client/press-08`, "press-07"), "as another client id");
  });

  it("a device subscribes only to its own commands, never to telemetry", () => {
    assert.ok(iotPolicyAllows(doc, "iot:Subscribe", `${ARN}:topicfilter/cmd/hub/acme/plant-1/press-07`, "press-07"));
    assert.ok(!iotPolicyAllows(doc, "iot:Subscribe", `${ARN}:topicfilter/dt/hub/#`, "press-07"));
    assert.ok(!iotPolicyAllows(doc, "iot:Subscribe", `${ARN}:topicfilter/cmd/hub/acme/plant-1/press-08`, "press-07"));
  });

  it("model package groups per model and a retraining role limited to the tenant's archive prefix", () => {
    assert.deepEqual(ofType(run, "aws:sagemaker/modelPackageGroup:ModelPackageGroup").map((g) => g.props["modelPackageGroupName"]).sort(), ["hub-acme-anomaly", "hub-acme-forecast", "hub-acme-segments"]);
    const statements = policyStatements(one("aws:iam/rolePolicy:RolePolicy")["policy"]);
    const s3 = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith("s3:")));
    assert.deepEqual(s3.map((s) => [s.Action, s.Resource]), [
      [["s3:ListBucket"], "arn:aws:s3:::hub-archive-offline"],
      [["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::hub-archive-offline/tenant=acme/*"],
      // The tenant's partitions of the lake, read-only: <layer>/<table>/tenant=acme/...
      [["s3:GetObject"], "arn:aws:s3:::hub-archive-offline/*/*/tenant=acme/*"],
    ]);
    assert.deepEqual(s3[0]!.Condition, { StringLike: { "s3:prefix": ["tenant=acme/*", "*/*/tenant=acme/*"] } });
  });

  it("the retraining role (CreateTrainingJob's RoleArn) may write SageMaker's training logs, pull the algorithm image and put its metrics", () => {
    const statements = policyStatements(one("aws:iam/rolePolicy:RolePolicy")["policy"]);
    const allows = (action: string) => statements.filter((s) => [s.Action].flat().includes(action));
    assert.deepEqual(allows("logs:PutLogEvents").map((s) => s.Resource), ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/sagemaker/TrainingJobs:*"]);
    assert.equal(allows("ecr:GetAuthorizationToken").length, 1);
    assert.deepEqual(allows("ecr:BatchGetImage").map((s) => s.Resource), ["arn:aws:ecr:eu-west-1:*:repository/*"]);
    assert.deepEqual(allows("cloudwatch:PutMetricData").map((s) => s.Condition), [{ StringEquals: { "cloudwatch:namespace": "/aws/sagemaker/TrainingJobs" } }]);
  });

  it("an Athena workgroup whose results stay under the tenant's prefix, and a query policy reading only the tenant's lake partitions", () => {
    const wg = one("aws:athena/workgroup:Workgroup");
    assert.equal(wg["name"], "hub-acme");
    assert.equal(wg["configuration"].enforceWorkgroupConfiguration, true);
    assert.equal(wg["configuration"].resultConfiguration.outputLocation, "s3://hub-archive-offline/tenant=acme/athena-results/");
    const statements = policyStatements(one("aws:iam/policy:Policy")["policy"]);
    const reads = statements.filter((s) => [s.Action].flat().includes("s3:GetObject")).flatMap((s) => [s.Resource].flat());
    for (const r of reads) assert.match(r, /\/tenant=acme\//, r);
  });

  it("tags every taggable AWS resource with tenant=acme and the cost centre", () => {
    for (const type of ["aws:iot/thingGroup:ThingGroup", "aws:iot/policy:Policy", "aws:iam/role:Role"]) {
      assert.deepEqual([one(type)["tags"].tenant, one(type)["tags"]["cost-center"]], ["acme", "acme-manufacturing"], type);
    }
  });

  it("exports bucket, prefix, endpoint, model package groups and warehouse names", () => {
    const o = run.outputs;
    assert.equal(o["archiveBucketName"], "hub-archive-offline");
    assert.equal(o["archivePrefix"], "tenant=acme/");
    assert.equal(o["privateLinkEndpointId"], "vpce-0offline000000000");
    assert.deepEqual(o["modelPackageGroups"], { anomaly: "hub-acme-anomaly", forecast: "hub-acme-forecast", segments: "hub-acme-segments" });
    assert.deepEqual(o["warehouseNames"], { bi: "TENANT_ACME_BI_WH" });
    assert.equal(o["schemaName"], undefined, "a standard tenant has no schema of its own");
  });
});
