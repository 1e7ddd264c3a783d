/**
 * One grant definition, two targets (ARCHITECTURE.md, "Fidelity: grants"): what each role may read
 * is defined once in pipelines/definitions/grants.ts. Here the Snowflake side is asked: the grants a
 * platform deploy and a tenant deploy create (scripts/plan.ts's SQL, replayed on a model of the
 * account: tests/helpers/deployReplay.ts) let each role read exactly what the twin lets its
 * sessions read. The twin's side is held to the same definition by tests/security/tenantReach.test.ts
 * (a tenant session reaches exactly TENANT_GRANTS) and by the engine seeing the whole catalog for
 * ALL_TENANT_ROLES.
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { Account, replay } from "../helpers/deployReplay.ts";
import type { DeployStep } from "../../infra/snowflake/providerSql.ts";
import { ALL_TENANT_ROLES, tenantRoleName } from "../../pipelines/definitions/governance.ts";
import { REPORTING_ROLE, REPORTING_WAREHOUSE, TENANT_GRANTS, accountUsageReadableBy } from "../../pipelines/definitions/grants.ts";
import { ACCOUNT_USAGE_VIEW_NAMES } from "../../pipelines/definitions/accountUsageViews.ts";
import { DYNAMIC_TABLES, STREAMS, TABLES } from "../../pipelines/definitions/catalog.ts";
import { qualifiedName } from "../../pipelines/definitions/types.ts";

const steps = (stack: string) =>
  (JSON.parse(execFileSync(process.execPath, ["--import", "tsx", "scripts/plan.ts", "--stack", stack, "--json"], { encoding: "utf8", maxBuffer: 64 << 20 })) as { steps: DeployStep[] }).steps;

let account: Account;
before(() => {
  account = replay(new Account(), steps("platform"));
  replay(account, steps("acme"));
  assert.deepEqual(account.errors, []);
});

const EVERYTHING = [...TABLES, ...DYNAMIC_TABLES, ...STREAMS].map((o) => `HUB.${qualifiedName(o)}`);

describe("one grant definition for Snowflake and the twin", () => {
  it("the roles the twin lets see every tenant (the row access policy's) read every table, dynamic table and stream on Snowflake", () => {
    assert.deepEqual([...ALL_TENANT_ROLES].sort(), ["HUB_ADMIN", "HUB_PIPELINE"]);
    for (const role of ALL_TENANT_ROLES) {
      assert.deepEqual(EVERYTHING.filter((n) => !account.canRead(role, n)), [], `${role} reads everything`);
    }
  });

  it("a tenant role reads on Snowflake exactly what its twin session reaches: TENANT_GRANTS", () => {
    const role = tenantRoleName("acme");
    assert.deepEqual(EVERYTHING.filter((n) => account.canRead(role, n)).sort(), TENANT_GRANTS.map((g) => `HUB.${g.name}`).sort());
  });

  it("the Firehose role reads nothing", () => {
    assert.deepEqual(EVERYTHING.filter((n) => account.canRead("HUB_INGEST", n)), []);
  });

  it("the reporting role reads nothing in the hub's database", () => {
    assert.deepEqual(EVERYTHING.filter((n) => account.canRead(REPORTING_ROLE, n)), []);
  });

  // The twin's side of the same definition: tests/pipelines/accountUsageAccess.test.ts.
  it("each role reads on Snowflake exactly the ACCOUNT_USAGE views the definition gives its twin session", () => {
    for (const role of [REPORTING_ROLE, "HUB_ADMIN", "HUB_PIPELINE", "HUB_INGEST", tenantRoleName("acme"), "PUBLIC", "SYSADMIN"]) {
      const onSnowflake = ACCOUNT_USAGE_VIEW_NAMES.filter((v) => account.canReadAccountUsage(role, v));
      assert.deepEqual(onSnowflake, [...accountUsageReadableBy(role)], role);
    }
    // What the cost report reads (pipelines/cost/costQueries.ts), and no more: RESOURCE_MONITORS
    // needs OBJECT_VIEWER, and the report lists monitors with SHOW instead. A database role is
    // all or nothing: USAGE_VIEWER, granted for the meter, opens the task and refresh histories
    // too, on Snowflake as on the twin.
    assert.deepEqual([...accountUsageReadableBy(REPORTING_ROLE)].sort(), [
      "DYNAMIC_TABLE_REFRESH_HISTORY", "METERING_DAILY_HISTORY", "QUERY_HISTORY", "TASK_HISTORY", "WAREHOUSE_EVENTS_HISTORY", "WAREHOUSE_METERING_HISTORY",
    ]);
  });

  it("the reporting role sees every warehouse and monitor of the platform and tenant stacks in SHOW, and runs on one warehouse", () => {
    assert.ok(account.warehouses.size >= 3 && account.monitors.size >= 3, "the platform's and acme's warehouses and monitors were deployed");
    assert.deepEqual([...account.warehouses].filter((w) => !account.shows(REPORTING_ROLE, "WAREHOUSE", w)), []);
    assert.deepEqual([...account.monitors].filter((m) => !account.shows(REPORTING_ROLE, "RESOURCE MONITOR", m)), []);
    assert.deepEqual([...account.warehouses].filter((w) => account.holds(REPORTING_ROLE, "USAGE", "WAREHOUSE", w)), [REPORTING_WAREHOUSE]);
    // A tenant role sees its own warehouses only, never the reporting role's view of them all.
    assert.ok([...account.monitors].some((m) => !account.shows(tenantRoleName("acme"), "RESOURCE MONITOR", m)));
  });
});
