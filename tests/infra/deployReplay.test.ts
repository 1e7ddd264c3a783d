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

  describe("the note path's API integration, external function, its grant and the task that calls it", () => {
    const find = (what: string, test: (s: DeployStep) => boolean) => {
      const i = platform.findIndex(test);
      assert.ok(i >= 0, `the platform deploy has ${what}`);
      return i;
    };
    const at = () => ({
      integration: find("the API integration", (s) => s.effect.kind === "integration"),
      fn: find("the external function", (s) => s.effect.kind === "function"),
      grant: find("the USAGE grant on the function", (s) => s.effect.kind === "grant" && s.effect.on.type === "FUNCTION"),
      task: find("the note task", (s) => s.effect.kind === "object" && s.effect.fqn.join(".") === "HUB.OPS.ANALYSE_NOTES"),
    });
    const errorsOf = (steps: DeployStep[]) => replay(new Account(), steps).errors;
    const expectError = (what: string, steps: DeployStep[], error: RegExp) => {
      const errors = errorsOf(steps);
      assert.ok(errors.some((e) => error.test(e)), `${what}: ${errors.join("\n") || "no error"}`);
    };

    it("sends the statements the provider sends, the grant naming the function with its argument types", () => {
      const { integration, fn, grant, task } = at();
      assert.match(platform[integration]!.sql[0]!, /^CREATE API INTEGRATION "HUB_NOTES_NOTES_API" API_PROVIDER = aws_api_gateway API_AWS_ROLE_ARN = 'arn:aws:iam::\d+:role\/hub-notes-snowflake-notes' API_ALLOWED_PREFIXES = \('https:\/\/[^']+\/v1\/analyse-note'\) ENABLED = true COMMENT = /);
      assert.match(platform[fn]!.sql[0]!, /^CREATE EXTERNAL FUNCTION "HUB"."ML"."ANALYSE_NOTE" \(kind VARCHAR, text VARCHAR\) RETURNS VARIANT NULL RETURNS NULL ON NULL INPUT VOLATILE COMMENT = '[^']+' API_INTEGRATION = "HUB_NOTES_NOTES_API" MAX_BATCH_ROWS = 10 AS 'https:\/\/[^']+\/v1\/analyse-note'$/);
      assert.equal(platform[grant]!.sql[0], 'GRANT USAGE ON FUNCTION "HUB"."ML"."ANALYSE_NOTE"(VARCHAR, VARCHAR) TO ROLE "HUB_PIPELINE"');
      // The deploy runs them in this order, and the task waits for the function and its grant.
      assert.ok(integration < fn && fn < grant && grant < task, `order: integration ${integration}, function ${fn}, grant ${grant}, task ${task}`);
      assert.ok(["hub-notes-external-function", "hub-notes-function-usage"].every((d) => platform[task]!.dependsOn.includes(d)), platform[task]!.dependsOn.join(", "));
    });

    it("a grant names the function by signature: synonyms of its types match, other types or none do not", () => {
      const { grant } = at();
      const g = platform[grant]!;
      const granting = (name: string): DeployStep => ({ ...g, urn: "x::other-grant", effect: { ...(g.effect as any), on: { type: "FUNCTION", name } } });
      assert.deepEqual(errorsOf([...platform, granting("HUB.ML.ANALYSE_NOTE(STRING, varchar(200))")]), []);
      expectError("types of another signature", [...platform, granting("HUB.ML.ANALYSE_NOTE(NUMBER, VARCHAR)")], /function HUB\.ML\.ANALYSE_NOTE\(NUMBER, VARCHAR\) does not exist \(HUB\.ML\.ANALYSE_NOTE exists as HUB\.ML\.ANALYSE_NOTE\(VARCHAR, VARCHAR\)\)/);
      expectError("no argument list", [...platform, granting("HUB.ML.ANALYSE_NOTE")], /granted without its argument types/);
    });

    it("refuses the task without USAGE on the function, or made before it, and a function made before its integration", () => {
      const { integration, fn, grant, task } = at();
      expectError("no USAGE grant", platform.filter((_, i) => i !== grant), /HUB_PIPELINE lacks USAGE on FUNCTION HUB\.ML\.ANALYSE_NOTE\(VARCHAR, VARCHAR\) \(task calls it\)/);
      const taskFirst = [...platform.slice(0, fn), platform[task]!, ...platform.slice(fn).filter((s) => s !== platform[task])];
      expectError("the task before the function", taskFirst, /function HUB\.ML\.ANALYSE_NOTE with 2 arguments does not exist/);
      const fnFirst = [...platform.slice(0, integration), platform[fn]!, ...platform.slice(integration).filter((s) => s !== platform[fn])];
      expectError("the function before its integration", fnFirst, /API integration HUB_NOTES_NOTES_API does not exist/);
    });

    it("refuses a call without the database, with the wrong number of arguments, and a function made by a role without USAGE on the integration", () => {
      const { fn, task } = at();
      const t = platform[task]!;
      const withBody = (from: string, to: string): DeployStep[] => platform.map((s) => (s === t ? { ...t, bodies: t.bodies.map((b) => (b.kind === "task" ? { ...b, sql: b.sql.replace(from, to) } : b)) } : s));
      expectError("schema-qualified only", withBody("HUB.ML.ANALYSE_NOTE(", "ML.ANALYSE_NOTE("), /function ML\.ANALYSE_NOTE is not DATABASE\.SCHEMA\.NAME \(no current database\)/);
      expectError("unqualified", withBody("HUB.ML.ANALYSE_NOTE(", "ANALYSE_NOTE("), /function ANALYSE_NOTE is not DATABASE\.SCHEMA\.NAME/);
      expectError("one argument", withBody("HUB.ML.ANALYSE_NOTE(x.kind, x.text)", "HUB.ML.ANALYSE_NOTE(x.text)"), /function HUB\.ML\.ANALYSE_NOTE with 1 argument does not exist/);
      const asPipeline = platform.map((s, i) => (i === fn ? { ...s, role: PIPELINE_ROLE } : s));
      expectError("author without USAGE on the integration", asPipeline, /HUB_PIPELINE lacks USAGE on INTEGRATION HUB_NOTES_NOTES_API/);
    });
  });
});
