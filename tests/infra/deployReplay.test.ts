/**
 * The deploy replay: every Snowflake statement of a platform deploy and then a tenant deploy, in
 * deploy order, as scripts/plan.ts shows it (the SQL the provider sends, modelled from its source,
 * and the SQL Execute runs verbatim), replayed on a model of an empty account under Snowflake's
 * rules (tests/helpers/deployReplay.ts): no current database, identifier case, every role, user and
 * object created before it is used, and the pipeline's role able to read and write what its tasks
 * and dynamic tables touch, under the row access policy.
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { Account, replay } from "../helpers/deployReplay.ts";
import type { DeployStep } from "../../infra/snowflake/providerSql.ts";
import { PIPELINE_ROLE } from "../../pipelines/definitions/governance.ts";
import { DYNAMIC_TABLES, TASKS } from "../../pipelines/definitions/catalog.ts";
import { qualifiedName } from "../../pipelines/definitions/types.ts";

interface Plan {
  readonly steps: DeployStep[];
  readonly resources: { type: string; name: string; inputs: Record<string, any> }[];
}

function plan(stack: string): Plan {
  const out = execFileSync(process.execPath, ["--import", "tsx", "scripts/plan.ts", "--stack", stack, "--json"], { encoding: "utf8", maxBuffer: 64 << 20 });
  return JSON.parse(out) as Plan;
}

let platformPlan: Plan;
let platform: DeployStep[];
let acme: DeployStep[];
let globex: DeployStep[];
before(() => {
  platformPlan = plan("platform");
  platform = platformPlan.steps;
  acme = plan("acme").steps;
  globex = plan("globex").steps;
});

describe("deploy replay: platform, then tenants, on an empty account", () => {
  it("the platform deploy resolves every name and privilege", () => {
    const account = replay(new Account(), platform);
    assert.deepEqual(account.errors, []);
  });

  it("the pipeline's objects are owned by HUB_PIPELINE, so tasks run and dynamic tables refresh as it", () => {
    const owners = new Map(platform.flatMap((s) => (s.effect.kind === "object" ? [[s.effect.fqn.slice(1).join("."), s.role] as const] : [])));
    for (const o of [...DYNAMIC_TABLES, ...TASKS]) assert.equal(owners.get(qualifiedName(o)), PIPELINE_ROLE, qualifiedName(o));
  });

  it("Firehose writes columns the table has, by their exact names", () => {
    const account = replay(new Account(), platform);
    const firehose = platformPlan.resources.find((r) => r.type === "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")!;
    const c = firehose.inputs["snowflakeConfiguration"];
    const table = account.objects.get([c.database, c.schema, c.table].join("."));
    assert.ok(table, `${c.database}.${c.schema}.${c.table} is created by the deploy`);
    for (const col of [c.contentColumnName, c.metadataColumnName]) assert.ok(table.columns?.includes(col), `${col} is one of ${table.columns}`);
  });

  it("tenant stacks after it resolve every name and privilege", () => {
    for (const [name, steps] of [["acme", acme], ["globex", globex]] as const) {
      const account = replay(new Account(), platform);
      replay(account, steps);
      assert.deepEqual(account.errors, [], name);
    }
  });

  it("the platform grants HUB_REPORTING two SNOWFLAKE database roles, with the statement the provider sends", () => {
    const sql = platform.flatMap((s) => s.sql).filter((x) => x.startsWith("GRANT DATABASE ROLE"));
    assert.deepEqual(sql.sort(), ['GRANT DATABASE ROLE "SNOWFLAKE"."GOVERNANCE_VIEWER" TO ROLE "HUB_REPORTING"', 'GRANT DATABASE ROLE "SNOWFLAKE"."USAGE_VIEWER" TO ROLE "HUB_REPORTING"']);
  });

  it("refuses a database role Snowflake does not have, a grant to a role not created yet, and MONITOR on a monitor that does not exist", () => {
    const grantDb = platform.find((s) => s.effect.kind === "grantDatabaseRole")!;
    const monitorGrant = platform.find((s) => s.effect.kind === "grant" && s.effect.on.type === "RESOURCE MONITOR")!;
    assert.ok(grantDb && monitorGrant, "the platform has both kinds of step");
    const cases: Array<[string, DeployStep[], RegExp]> = [
      ["an unknown database role", [...platform, { ...grantDb, urn: "x::bad-db-role", effect: { kind: "grantDatabaseRole", databaseRole: "SNOWFLAKE.BILLING_VIEWER", toRole: "HUB_REPORTING" } }], /database role SNOWFLAKE\.BILLING_VIEWER does not exist/],
      ["a database role of another database", [...platform, { ...grantDb, urn: "x::other-db", effect: { kind: "grantDatabaseRole", databaseRole: "HUB.USAGE_VIEWER", toRole: "HUB_REPORTING" } }], /database role HUB\.USAGE_VIEWER does not exist/],
      ["a role not created yet", [grantDb, ...platform], /role HUB_REPORTING does not exist/],
      ["a monitor that does not exist", [...platform, { ...monitorGrant, urn: "x::bad-monitor", effect: { ...(monitorGrant.effect as any), on: { type: "RESOURCE MONITOR", name: "NO_SUCH_MONITOR" } } }], /resource monitor NO_SUCH_MONITOR does not exist/],
    ];
    for (const [what, steps, error] of cases) {
      const account = replay(new Account(), steps);
      assert.ok(account.errors.some((e) => error.test(e)), `${what}: ${account.errors.join("\n")}`);
    }
  });
});
