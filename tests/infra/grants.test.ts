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
import { TENANT_GRANTS } from "../../pipelines/definitions/grants.ts";
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
});
