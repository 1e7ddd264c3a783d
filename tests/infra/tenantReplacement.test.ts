/**
 * A tenant stack's grant on a platform dynamic table is replaced when the platform replaced that
 * table: replaceWith cannot reach across stacks, so each grant's replacementTrigger is the table's
 * creation time as the platform stack exports it (`dynamicTableVersions`). A new time means a new
 * grant at the tenant stack's next update; grants on tables carry no trigger.
 */
import { before, it } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { declareUnderMocks } from "../../infra/offline.ts";
import { SnowflakeTenant } from "../../infra/snowflake/tenant.ts";
import { TENANT_GRANTS } from "../../pipelines/definitions/grants.ts";
import { TEST_PUBLIC_KEY } from "./offlineStack.ts";

const triggers = new Map<string, unknown>();
const versions = Object.fromEntries(TENANT_GRANTS.filter((g) => g.objectType === "DYNAMIC TABLE").map((g, i) => [g.name, `2026-12-0${i + 1}T00:00:00Z`]));

before(async () => {
  await declareUnderMocks("acme", () => {
    new SnowflakeTenant(
      "acme",
      {
        tenantId: "acme",
        tier: "standard",
        database: "HUB",
        databaseName: "HUB",
        dynamicTableVersions: versions,
        servicePublicKey: TEST_PUBLIC_KEY,
        warehouses: [{ workloadClass: "bi", size: "XSMALL", autoSuspendSeconds: 60, creditQuota: 50, frequency: "MONTHLY", notifyAt: [75], suspendAt: 100, suspendImmediateAt: 110 }],
        monitorStartTimestamp: "2026-12-01 00:00",
        costCenter: "acme",
      },
      { transformations: [(a) => (triggers.set(a.name, a.opts.replacementTrigger), undefined)] },
    );
    return {};
  });
});

const resolved = (v: unknown) => new Promise<unknown>((r) => pulumi.output(v as pulumi.Input<string>).apply((x) => r(x)));

it("each SELECT grant on a dynamic table is replaced when the table's creation time changes; table grants are not", async () => {
  for (const g of TENANT_GRANTS) {
    const name = `acme-grant-select-${g.name.toLowerCase().replaceAll(".", "-").replaceAll("_", "-")}`;
    assert.ok(triggers.has(name), name);
    const t = triggers.get(name);
    if (g.objectType === "DYNAMIC TABLE") assert.equal(await resolved(t), versions[g.name], name);
    else assert.equal(t, undefined, name);
  }
});
