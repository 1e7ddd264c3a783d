/** The platform stack under mocks: what it declares, with which inputs, and that it passes the policy pack. */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ALL_OBJECTS, DYNAMIC_TABLES, EXTERNAL_FUNCTIONS, POLICIES, STREAMS, TABLES, TAGS, TASKS } from "../../pipelines/definitions/catalog.ts";
import { SHARED_MONITORS, SHARED_WAREHOUSES } from "../../pipelines/definitions/warehouses.ts";
import { FULL_SCOPE, SCHEMAS, qualifiedName } from "../../pipelines/definitions/types.ts";
import { snowflakeDialect } from "../../pipelines/dialect/index.ts";
import { qualifiedStatements, taskBody } from "../../pipelines/render/snowflakeDdl.ts";
import { qualifyNames } from "../../pipelines/render/qualify.ts";
import { PLATFORM_GRANTS, REPORTING_DATABASE_ROLES } from "../../pipelines/definitions/grants.ts";
import { LAKE_TABLES } from "../../pipelines/archive/lakeCatalog.ts";
import { evaluatePolicies, T } from "../../infra/policy/rules.ts";
import type { OfflineRun } from "../../infra/offline.ts";
import { inventory, offlineStack, ofType, policyStatements } from "./offlineStack.ts";

let run: OfflineRun;
before(async () => {
  ({ run } = await offlineStack("platform"));
});

const isPortal = (r: { name: string }) => r.name.startsWith("hub-portal-");
const sf = (name: string) => `snowflake:index/${name.charAt(0).toLowerCase()}${name.slice(1)}:${name}`;
const bySchemaName = (type: string, schema: string, name: string) => ofType(run, type).filter((r) => r.props["schema"] === schema && r.props["name"] === name);

describe("platform stack: inventory", () => {
  it("declares the components, one per concern", () => {
    const inv = inventory(run);
    assert.equal(inv["hub:snowflake:Platform"], 1);
    assert.equal(inv["hub:aws:Platform"], 1);
    assert.equal(inv["hub:snowflake:MonitoredWarehouse"], SHARED_WAREHOUSES.length);
    assert.equal(inv["pulumi:pulumi:StackReference"], undefined, "the platform reads no other stack");
  });

  it("declares the expected number of each resource type", () => {
    const transient = TABLES.filter((t) => t.transient).length;
    // A table column's mask is the Table's own maskingPolicy; a dynamic table's is an Execute.
    const executes =
      ALL_OBJECTS.flatMap((o) => qualifiedStatements(o, "HUB").filter((s) => s.kind === "seed" || (s.kind === "attach" && !(o.kind === "table" && !o.transient && s.sql.includes("MASKING POLICY"))))).length + transient;
    assert.deepEqual(
      Object.fromEntries(Object.entries(inventory(run)).filter(([t]) => t.startsWith("snowflake:"))),
      {
        [sf("Database")]: 1,
        [sf("Schema")]: SCHEMAS.length,
        [sf("Tag")]: TAGS.length,
        [sf("RowAccessPolicy")]: 1,
        [sf("MaskingPolicy")]: 1,
        [sf("ResourceMonitor")]: SHARED_MONITORS.length,
        [sf("Warehouse")]: SHARED_WAREHOUSES.length,
        // shared warehouses, the five platform roles, the Firehose user and the portal's user: tenant and cost centre each
        [sf("TagAssociation")]: 2 * (SHARED_WAREHOUSES.length + 5 + 2),
        [sf("AccountRole")]: 5,
        // HUB_ADMIN to SYSADMIN, HUB_PIPELINE, HUB_REPORTING and HUB_PORTAL to HUB_ADMIN, HUB_INGEST to
        // Firehose's user, HUB_PORTAL to the portal's user (the example stack names a portal)
        [sf("GrantAccountRole")]: 6,
        // SNOWFLAKE.USAGE_VIEWER and SNOWFLAKE.GOVERNANCE_VIEWER to HUB_REPORTING
        [sf("GrantDatabaseRole")]: REPORTING_DATABASE_ROLES.length,
        [sf("ServiceUser")]: 2,
        // plus USAGE on each external function for the pipeline role (infra/aws/noteInsights.ts)
        [sf("GrantPrivilegesToAccountRole")]: PLATFORM_GRANTS.length + EXTERNAL_FUNCTIONS.length,
        // the operator-note path: one API integration, and the external function it serves
        [sf("ApiIntegration")]: 1,
        [sf("ExternalFunction")]: EXTERNAL_FUNCTIONS.length,
        [sf("Table")]: TABLES.length - transient,
        [sf("Execute")]: executes,
        [sf("StreamOnTable")]: STREAMS.length,
        [sf("DynamicTable")]: DYNAMIC_TABLES.length,
        [sf("Task")]: TASKS.length,
      },
    );
    // The portal's resources are tests/infra/portalService.test.ts's.
    const aws = Object.fromEntries(Object.entries(inventory({ ...run, resources: run.resources.filter((r) => !isPortal(r)) })).filter(([t]) => t.startsWith("aws:")));
    assert.equal(inventory(run)["hub:aws:Portal"], 1, "the example platform stack names a portal image");
    assert.deepEqual(aws, {
      "aws:kms/key:Key": 1,
      "aws:kms/alias:Alias": 1,
      "aws:s3/bucket:Bucket": 2,
      "aws:s3/bucketVersioning:BucketVersioning": 2,
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": 2,
      "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": 2,
      "aws:s3/bucketPolicy:BucketPolicy": 2,
      "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": 2,
      "aws:s3/bucketLogging:BucketLogging": 1,
      // Firehose's, the IoT rule's, SageMaker training's, and the note-insight Lambda's
      "aws:cloudwatch/logGroup:LogGroup": 4,
      "aws:cloudwatch/logStream:LogStream": 1,
      "aws:ec2/securityGroup:SecurityGroup": 1,
      "aws:ec2/vpcEndpoint:VpcEndpoint": 1,
      "aws:route53/zone:Zone": 1,
      "aws:route53/record:Record": 2,
      // Firehose's and the IoT rule's: no platform SageMaker role (training runs as each tenant's);
      // the note-insight Lambda's and the one Snowflake's API integration assumes (infra/aws/noteInsights.ts).
      "aws:iam/role:Role": 4,
      "aws:iam/rolePolicy:RolePolicy": 4,
      "aws:lambda/function:Function": 1,
      "aws:lambda/permission:Permission": 1,
      "aws:apigateway/restApi:RestApi": 1,
      "aws:apigateway/resource:Resource": 1,
      "aws:apigateway/method:Method": 1,
      "aws:apigateway/integration:Integration": 1,
      "aws:apigateway/deployment:Deployment": 1,
      "aws:apigateway/stage:Stage": 1,
      "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": 1,
      "aws:iot/topicRule:TopicRule": 1,
      "aws:glue/catalogDatabase:CatalogDatabase": 1,
      "aws:glue/catalogTable:CatalogTable": LAKE_TABLES.length,
    });
  });

  it("grants each of the definitions' platform grants once: its role, its privileges, on what it names", () => {
    // Written from the definitions, not from the program's own grant code: a grant the program
    // skipped (say, one on an object it declares later) or aimed elsewhere shows here.
    const q = (...parts: string[]) => parts.map((p) => `"${p}"`).join(".");
    const target = (g: (typeof PLATFORM_GRANTS)[number]): string => {
      const on = g.on;
      switch (on.kind) {
        case "account": return "account";
        case "database": return "DATABASE HUB";
        case "warehouse": return `WAREHOUSE ${on.name}`;
        case "resource monitor": return `RESOURCE MONITOR ${on.name}`;
        case "schema": return `SCHEMA ${q("HUB", on.schema)}`;
        default: return `${on.objectType} ${q("HUB", ...on.name.split("."))}`;
      }
    };
    const declared = (p: Record<string, unknown>): string => {
      const o = p["onAccountObject"] as { objectType: string; objectName: string } | undefined;
      const sc = p["onSchema"] as { schemaName: string } | undefined;
      const so = p["onSchemaObject"] as { objectType: string; objectName: string } | undefined;
      return p["onAccount"] ? "account" : o ? `${o.objectType} ${o.objectName}` : sc ? `SCHEMA ${sc.schemaName}` : `${so!.objectType} ${so!.objectName}`;
    };
    const line = (role: string, privileges: readonly string[], on: string) => `${role}: ${[...privileges].sort().join(", ")} on ${on}`;
    const expected = PLATFORM_GRANTS.map((g) => line(g.role, g.privileges, target(g))).sort();
    const got = ofType(run, sf("GrantPrivilegesToAccountRole"))
      .filter((r) => !(r.props["onSchemaObject"] as { objectType?: string } | undefined)?.objectType?.startsWith("FUNCTION"))
      .map((r) => line(String(r.props["accountRoleName"]), r.props["privileges"] as string[], declared(r.props)))
      .sort();
    assert.deepEqual(got, expected);
  });

  it("passes every mandatory rule of the policy pack", () => {
    assert.deepEqual(evaluatePolicies(run.resources), []);
  });
});

describe("platform stack: every pipelines/ definition is provisioned exactly once", () => {
  it("tables: a Table with the definition's columns, or the rendered CREATE for a TRANSIENT one", () => {
    for (const t of TABLES) {
      const create = qualifiedStatements(t, "HUB").find((s) => s.kind === "create")!;
      const tables = bySchemaName(T.table, t.schema, t.name);
      const executed = ofType(run, T.execute).filter((r) => r.props["execute"] === create.sql);
      assert.equal(tables.length + executed.length, 1, `${qualifiedName(t)} once`);
      if (t.transient) assert.equal(executed[0]!.props["revert"], create.revert);
      // Upper case: the provider quotes column names as given (pkg/resources/table.go).
      else assert.deepEqual(tables[0]!.props["columns"].map((c: { name: string; type: string }) => `${c.name} ${c.type}`), t.columns.map((c) => `${c.name.toUpperCase()} ${snowflakeDialect.type(c.type)}`));
    }
  });

  it("streams on the right tables, append-only", () => {
    for (const s of STREAMS) {
      const found = bySchemaName(sf("StreamOnTable"), s.schema, s.name);
      assert.equal(found.length, 1, qualifiedName(s));
      assert.equal(found[0]!.props["table"], `"HUB".${s.on.split(".").map((p) => `"${p}"`).join(".")}`);
      assert.equal(found[0]!.props["appendOnly"], "true");
    }
  });

  it("dynamic tables with the definition's query, lag, warehouse and declared refresh mode (never AUTO)", () => {
    for (const t of DYNAMIC_TABLES) {
      const found = bySchemaName(T.dynamicTable, t.schema, t.name);
      assert.equal(found.length, 1, qualifiedName(t));
      assert.equal(found[0]!.props["query"], qualifyNames(t.query(snowflakeDialect, FULL_SCOPE), "HUB"));
      assert.equal(found[0]!.props["warehouse"], t.warehouse);
      assert.deepEqual(found[0]!.props["targetLag"], { maximumDuration: t.targetLag });
      assert.equal(found[0]!.props["refreshMode"], t.refreshMode.mode, `${qualifiedName(t)}: AUTO would fall back to FULL in silence`);
    }
  });

  it("tasks started, with the rendered body, schedule or predecessors, and stream condition", () => {
    for (const t of TASKS) {
      const found = bySchemaName(sf("Task"), t.schema, t.name);
      assert.equal(found.length, 1, qualifiedName(t));
      const p = found[0]!.props;
      assert.equal(p["sqlStatement"], taskBody(t, "HUB"));
      assert.equal(p["started"], true);
      assert.equal(p["warehouse"], t.warehouse);
      if (t.schedule) assert.deepEqual(p["schedule"], { minutes: Number.parseInt(t.schedule, 10) });
      assert.deepEqual(p["afters"] ?? [], (t.after ?? []).map((a) => `"HUB".${a.split(".").map((x) => `"${x}"`).join(".")}`));
      if (t.whenStreamHasData?.length) for (const s of t.whenStreamHasData) assert.ok(String(p["when"]).includes(`SYSTEM$STREAM_HAS_DATA('HUB.${s}')`));
    }
  });

  it("the row access and masking policies with the definitions' bodies, and the tags", () => {
    for (const p of POLICIES) {
      const type = p.kind === "row_access_policy" ? sf("RowAccessPolicy") : sf("MaskingPolicy");
      const found = bySchemaName(type, p.schema, p.name);
      assert.equal(found.length, 1, qualifiedName(p));
      // The provider quotes argument names: declared and referred to in upper case.
      assert.deepEqual(found[0]!.props["arguments"].map((a: { name: string }) => a.name), [p.argument.name.toUpperCase()]);
      assert.equal(found[0]!.props["body"], qualifyNames(p.body(snowflakeDialect, p.argument.name.toUpperCase()), "HUB"));
    }
    for (const t of TAGS) assert.equal(bySchemaName(sf("Tag"), t.schema, t.name).length, 1, qualifiedName(t));
  });

  it("every rendered attachment and seed runs once through Execute, fully qualified, with its revert", () => {
    const executes = ofType(run, T.execute);
    const wanted = ALL_OBJECTS.flatMap((o) => qualifiedStatements(o, "HUB").filter((s) => s.kind === "seed" || (s.kind === "attach" && !(o.kind === "table" && !o.transient && s.sql.includes("MASKING POLICY")))));
    assert.ok(wanted.some((s) => /ADD ROW ACCESS POLICY/.test(s.sql)));
    for (const s of wanted) {
      const found = executes.filter((e) => e.props["execute"] === s.sql);
      assert.equal(found.length, 1, `${s.kind} ${s.object}`);
      if (s.revert) assert.equal(found[0]!.props["revert"], s.revert);
      else assert.match(found[0]!.props["revert"], new RegExp(`^DELETE FROM HUB\\.${s.object.replace(".", "\\.")}$`));
    }
  });

  it("a table column's PII mask is the Table's own maskingPolicy, so a refresh reads it back and the next update keeps it", () => {
    for (const t of TABLES.filter((t) => !t.transient && t.columns.some((c) => c.pii))) {
      const [table] = bySchemaName(T.table, t.schema, t.name);
      for (const c of t.columns) {
        const col = table!.props["columns"].find((x: { name: string }) => x.name === c.name.toUpperCase());
        assert.equal(col.maskingPolicy, c.pii ? '"HUB"."GOVERNANCE"."PII_MASK"' : undefined, `${qualifiedName(t)}.${c.name}`);
      }
    }
  });

  it("shared warehouses with their monitors, from warehouses.ts", () => {
    for (const w of SHARED_WAREHOUSES) {
      const [wh] = ofType(run, T.warehouse).filter((r) => r.props["name"] === w.name);
      assert.ok(wh, w.name);
      assert.equal(wh.props["resourceMonitor"], w.resourceMonitor);
      assert.equal(wh.props["autoSuspend"], w.autoSuspendSeconds);
      assert.equal(wh.props["warehouseSize"], w.size);
      const m = SHARED_MONITORS.find((x) => x.name === w.resourceMonitor)!;
      const [mon] = ofType(run, sf("ResourceMonitor")).filter((r) => r.props["name"] === m.name);
      assert.deepEqual([mon!.props["creditQuota"], mon!.props["frequency"], mon!.props["notifyTriggers"], mon!.props["suspendTrigger"], mon!.props["suspendImmediateTrigger"]], [m.creditQuota, m.frequency, m.notifyAt, m.suspendAt, m.suspendImmediateAt]);
    }
  });

  it("both providers enable the preview features Table and DynamicTable need, and set no session database", () => {
    const providers = ofType(run, "pulumi:providers:snowflake");
    assert.equal(providers.length, 2, "the stack's and the pipeline's (role HUB_PIPELINE)");
    for (const p of providers) {
      const features = p.props["previewFeaturesEnabled"];
      const list = typeof features === "string" ? JSON.parse(features) : features;
      assert.deepEqual([...list].sort(), ["snowflake_dynamic_table_resource", "snowflake_table_resource"]);
      assert.equal(p.props["params"], undefined, "params are session parameters, not the session's database");
    }
    assert.deepEqual(providers.map((p) => p.props["role"] ?? null), [null, "HUB_PIPELINE"]);
  });
});

describe("platform stack: AWS key inputs", () => {
  // The archive's, where the access-log bucket has one of the same type.
  const one = (type: string) => {
    const all = ofType(run, type).filter((r) => !isPortal(r));
    const rs = all.length > 1 ? all.filter((r) => r.name.startsWith("hub-archive")) : all;
    assert.equal(rs.length, 1, type);
    return rs[0]!.props;
  };

  it("a rotating KMS key encrypts the archive", () => {
    assert.equal(one("aws:kms/key:Key")["enableKeyRotation"], true);
    const sse = one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration");
    assert.equal(sse["rules"][0].applyServerSideEncryptionByDefault.sseAlgorithm, "aws:kms");
    assert.match(sse["rules"][0].applyServerSideEncryptionByDefault.kmsMasterKeyId, /^arn:aws:kms:/);
  });

  it("the archive's access is logged to a bucket of its own (SSE-S3, as log delivery requires), and every log group is encrypted with the platform key", () => {
    const logging = one("aws:s3/bucketLogging:BucketLogging");
    assert.equal(logging["targetPrefix"], "archive/");
    assert.match(String(logging["targetBucket"]), /access-logs/);
    const [sse] = ofType(run, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").filter((r) => r.name.includes("access-logs"));
    assert.equal(sse!.props["rules"][0].applyServerSideEncryptionByDefault.sseAlgorithm, "AES256");
    const groups = ofType(run, "aws:cloudwatch/logGroup:LogGroup");
    for (const g of groups) assert.match(String(g.props["kmsKeyId"]), /^arn:aws:kms:/, g.name);
    const [key] = ofType(run, "aws:kms/key:Key");
    const logsUse = policyStatements(key!.props["policy"]).find((st) => JSON.stringify(st).includes("logs.eu-west-1.amazonaws.com"));
    assert.ok(logsUse, "the key policy lets CloudWatch Logs use the key");
  });

  it("the lake is catalogued: a Glue table per archived table over its prefix, Parquet, partitions by projection with the tenant injected", () => {
    const tables = ofType(run, "aws:glue/catalogTable:CatalogTable");
    assert.deepEqual(tables.map((t) => t.props["name"]).sort(), LAKE_TABLES.map((t) => t.name).sort());
    const readings = tables.find((t) => t.props["name"] === "bronze_raw_sensor_readings")!.props;
    assert.equal(readings["storageDescriptor"].location, "s3://hub-archive-hub-archive/bronze/raw.sensor_readings/");
    assert.deepEqual(readings["partitionKeys"].map((k: { name: string }) => k.name), ["tenant", "year", "month", "day"]);
    assert.equal(readings["parameters"]["projection.tenant.type"], "injected");
    assert.equal(readings["parameters"]["storage.location.template"], "s3://hub-archive-hub-archive/bronze/raw.sensor_readings/tenant=${tenant}/year=${year}/month=${month}/day=${day}/");
  });

  it("SageMaker's training logs go to its fixed group /aws/sagemaker/TrainingJobs, which the stack declares (retention, key)", () => {
    assert.ok(ofType(run, "aws:cloudwatch/logGroup:LogGroup").some((g) => g.props["name"] === "/aws/sagemaker/TrainingJobs"));
  });

  it("Firehose's log stream exists before Firehose writes to it (its role may put events, not create streams)", () => {
    const stream = one("aws:cloudwatch/logStream:LogStream");
    const fh = one("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream");
    assert.equal(fh["snowflakeConfiguration"].cloudwatchLoggingOptions.logStreamName, stream["name"]);
    assert.equal(fh["snowflakeConfiguration"].snowflakeRoleConfiguration.snowflakeRole, "HUB_INGEST");
  });

  it("the archive is versioned, private, TLS-only, IA at 30 d → Glacier at 90 d → expiry", () => {
    assert.equal(one("aws:s3/bucketVersioning:BucketVersioning")["versioningConfiguration"].status, "Enabled");
    const block = one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock");
    assert.ok(["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"].every((k) => block[k] === true));
    const [deny] = policyStatements(one("aws:s3/bucketPolicy:BucketPolicy")["policy"]);
    assert.deepEqual([deny!.Effect, deny!.Condition], ["Deny", { Bool: { "aws:SecureTransport": "false" } }]);
    const rule = one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")["rules"][0];
    assert.deepEqual(rule.transitions, [
      { days: 30, storageClass: "STANDARD_IA" },
      { days: 90, storageClass: "GLACIER" },
    ]);
    assert.deepEqual(rule.expiration, { days: 730 });
  });

  it("IoT rule on dt/hub/+/+/+/+ → Firehose → Snowflake RAW.DEVICE_MESSAGES, key pair from Secrets Manager, backup to the archive", () => {
    const rule = one("aws:iot/topicRule:TopicRule");
    assert.match(rule["sql"], /FROM 'dt\/hub\/\+\/\+\/\+\/\+'$/);
    assert.equal(rule["firehoses"][0].deliveryStreamName, "hub-telemetry");
    const fh = one("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream");
    assert.equal(fh["destination"], "snowflake");
    const c = fh["snowflakeConfiguration"];
    assert.deepEqual([c.accountUrl, c.database, c.schema, c.table], ["https://xy12345.eu-west-1.privatelink.snowflakecomputing.com", "HUB", "RAW", "DEVICE_MESSAGES"]);
    assert.deepEqual([c.dataLoadingOption, c.contentColumnName, c.metadataColumnName], ["VARIANT_CONTENT_AND_METADATA_MAPPING", "MESSAGE", "METADATA"]);
    assert.equal(c.secretsManagerConfiguration.enabled, true);
    assert.match(c.secretsManagerConfiguration.secretArn, /^arn:aws:secretsmanager:/);
    assert.equal(c.privateKey, undefined, "no key material in the program");
    assert.deepEqual(c.snowflakeVpcConfiguration, { privateLinkVpceId: "vpce-0f1e2d3c4b5a69788" }, "over PrivateLink");
    assert.match(c.s3Configuration.bucketArn, /^arn:aws:s3:::hub-archive-/);
  });

  it("PrivateLink: an interface endpoint to Snowflake's service, 443 from the VPC only, a private zone", () => {
    const ep = one("aws:ec2/vpcEndpoint:VpcEndpoint");
    assert.deepEqual([ep["vpcEndpointType"], ep["serviceName"]], ["Interface", "com.amazonaws.vpce.eu-west-1.vpce-svc-0123456789abcdef0"]);
    const sg = one("aws:ec2/securityGroup:SecurityGroup");
    assert.deepEqual(sg["ingress"].map((i: { protocol: string; fromPort: number; toPort: number; cidrBlocks: string[] }) => [i.protocol, i.fromPort, i.toPort, i.cidrBlocks]), [["tcp", 443, 443, ["10.20.0.0/16"]]]);
    assert.deepEqual(sg["egress"], []);
    assert.equal(one("aws:route53/zone:Zone")["vpcs"][0].vpcId, "vpc-0a1b2c3d4e5f60718");
    const names = ofType(run, "aws:route53/record:Record").map((r) => r.props["name"]).sort();
    assert.deepEqual(names, ["ocsp.xy12345.eu-west-1.privatelink.snowflakecomputing.com", "xy12345.eu-west-1.privatelink.snowflakecomputing.com"]);
  });

  it("no role of the platform reads the whole archive: no SageMaker role here, training runs as each tenant's retraining role", () => {
    assert.deepEqual(ofType(run, "aws:iam/role:Role").filter((r) => String(r.props["assumeRolePolicy"]).includes("sagemaker.amazonaws.com")), []);
    for (const p of ofType(run, "aws:iam/rolePolicy:RolePolicy")) {
      for (const st of policyStatements(p.props["policy"])) assert.ok(!([st.Action].flat().includes("s3:GetObject") && [st.Resource].flat().some((r) => /hub-archive-[^/]*\/\*$/.test(r))), `${p.name} reads every object`);
    }
  });

  it("log groups keep logs for the configured days", () => {
    for (const g of ofType(run, "aws:cloudwatch/logGroup:LogGroup")) assert.equal(g.props["retentionInDays"], 90);
  });

  it("exports what the tenant stacks and scripts need", () => {
    for (const k of ["database", "archiveBucketName", "kmsKeyArn", "privateLinkEndpointId", "sharedWarehouses"]) assert.ok(run.outputs[k], k);
    assert.deepEqual(run.outputs["archivePrefixes"], { firehoseBackup: "firehose-backup/", modelArtifacts: "models/" });
  });
});
