/**
 * The tenants' cost snapshot (pipelines/cost/tenantCostSnapshot.ts): the step appends, as
 * HUB_REPORTING, what the cost report allocates to each tenant, and a tenant's role reads back its
 * own figures and nobody else's. The meter and query log are written by the test, so the expected
 * credits are known: acme's own warehouse 1.0 credit, and the shared HUB_ANALYTICS_WH's metered
 * hour (1.0) split 1:3 between acme and globex by query time.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { testEngine } from "../helpers/engine.ts";
import { CONTROL_SCHEMA } from "../../pipelines/engine/controlTables.ts";
import { publishTwinTenantCosts } from "../../pipelines/portal/portalSources.ts";
import { LATEST_TENANT_COST_SQL, tenantCostFromRows, tenantCostOf } from "../../pipelines/cost/tenantCostSnapshot.ts";
import { buildCostReport } from "../../pipelines/cost/costReport.ts";
import { twinAccountObjects } from "../../pipelines/cost/readAccountObjects.ts";
import { REPORTING_ROLE } from "../../pipelines/definitions/grants.ts";
import { tenantRoleName } from "../../pipelines/definitions/governance.ts";
import { HubSqlError } from "../../pipelines/warehouse/errors.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import type { SimulatedClock } from "../../pipelines/engine/clock.ts";

let engine: EmbeddedEngine;
let clock: SimulatedClock;
const ts = (iso: string) => `TIMESTAMP '${iso.replace("T", " ").replace("Z", "")}'`;

before(async () => {
  ({ engine, clock } = await testEngine("2026-01-05T10:00:00Z"));
  await engine.grantTenantRole("acme");
  await engine.grantTenantRole("globex");
  await engine.defineResourceMonitor({ kind: "resource_monitor", name: "TENANT_ACME_BI_MONITOR", creditQuota: 10, frequency: "MONTHLY", notifyAt: [75, 90], suspendAt: 100, suspendImmediateAt: 110 });
  await engine.defineWarehouse({ kind: "warehouse", name: "TENANT_ACME_BI_WH", comment: "", size: "XSMALL", autoSuspendSeconds: 60, autoResume: true, initiallySuspended: true, resourceMonitor: "TENANT_ACME_BI_MONITOR" });
  const admin = await engine.admin();
  try {
    await admin.execute(`INSERT INTO ${CONTROL_SCHEMA}.WAREHOUSE_METERING VALUES
      ('TENANT_ACME_BI_WH', ${ts("2026-01-05T08:00:00Z")}, 0.5, 0), ('TENANT_ACME_BI_WH', ${ts("2026-01-05T09:00:00Z")}, 0.5, 0),
      ('HUB_ANALYTICS_WH', ${ts("2026-01-05T08:00:00Z")}, 1.0, 0)`);
    const q = (id: string, wh: string, tag: string, start: string, ms: number) =>
      `('${id}', 'SELECT 1', '${wh}', 'R', '${tag}', ${ts(start)}, ${ts(new Date(Date.parse(start) + ms).toISOString())}, ${ms}, 'SUCCESS', NULL, NULL, 1)`;
    await admin.execute(`INSERT INTO ${CONTROL_SCHEMA}.QUERY_HISTORY VALUES
      ${q("q1", "TENANT_ACME_BI_WH", '{"tenant":"acme","job":"portal"}', "2026-01-05T08:10:00Z", 5000)},
      ${q("q2", "TENANT_ACME_BI_WH", '{"tenant":"acme","job":"portal"}', "2026-01-05T09:10:00Z", 5000)},
      ${q("q3", "HUB_ANALYTICS_WH", '{"tenant":"acme","job":"ad hoc"}', "2026-01-05T08:20:00Z", 30_000)},
      ${q("q4", "HUB_ANALYTICS_WH", '{"tenant":"globex","job":"ad hoc"}', "2026-01-05T08:30:00Z", 90_000)}`);
  } finally {
    await admin.close();
  }
});
after(() => engine.close());

async function asTenant(tenant: string) {
  const s = await engine.session({ role: tenantRoleName(tenant) });
  try {
    return tenantCostFromRows(await s.query(LATEST_TENANT_COST_SQL));
  } finally {
    await s.close();
  }
}

const near = (a: number | null | undefined, b: number) => assert.ok(a !== null && a !== undefined && Math.abs(a - b) < 1e-9, `${a} vs ${b}`);

describe("the tenants' cost snapshot", () => {
  it("each tenant reads its own allocation back through its role: its warehouse against its quota, its share of the shared one", async () => {
    const written = await publishTwinTenantCosts(engine, { pricePerCredit: 2, currency: "EUR", tenants: ["acme", "globex"] });
    assert.deepEqual([...written], [["acme", 2], ["globex", 1]]);
    const acme = (await asTenant("acme"))!;
    near(acme.credits, 1.25);
    near(acme.money, 2.5);
    assert.equal(acme.currency, "EUR");
    assert.deepEqual(acme.warehouses.map((w) => [w.warehouse, w.monitor, w.quotaCredits, w.quotaMoney, w.triggers.map((t) => `${t.action}@${t.percent}`)]), [
      ["TENANT_ACME_BI_WH", "TENANT_ACME_BI_MONITOR", 10, 20, ["NOTIFY@75", "NOTIFY@90", "SUSPEND@100", "SUSPEND_IMMEDIATE@110"]],
    ]);
    near(acme.warehouses[0]!.credits, 1.0);
    near(acme.warehouses[0]!.pctOfQuota, 10);
    // Burning 1 credit in the period's 10 hours: 75 % of 10 credits is 6.5 more credits away.
    assert.ok(acme.warehouses[0]!.triggers.every((t) => t.firedAt === null && t.projectedAt !== null && t.projectedAt > "2026-01-05T10:00:00"), "projected, not fired");
    assert.deepEqual(acme.shared.map((s) => s.warehouse), ["HUB_ANALYTICS_WH"]);
    near(acme.shared[0]!.credits, 0.25);
    const globex = (await asTenant("globex"))!;
    near(globex.credits, 0.75);
    assert.deepEqual(globex.warehouses, [], "acme's warehouse is not globex's");
    assert.deepEqual(globex.shared.map((s) => s.warehouse), ["HUB_ANALYTICS_WH"]);
  });

  it("the rows carry the cost report's own figures: read back, they equal the report cut for the tenant", async () => {
    const admin = await engine.admin();
    try {
      const now = clock.now();
      const report = await buildCostReport(admin, { from: new Date("2026-01-01T00:00:00Z"), to: new Date(now.getTime() + 1), now, pricePerCredit: 2, currency: "EUR", tenant: "acme", ...(await twinAccountObjects(engine)) });
      const direct = tenantCostOf(report, "acme", now);
      assert.deepEqual(await asTenant("acme"), { ...direct, to: "2026-01-05T10:00:00.000Z" }, "the period's end to the second, the rest as the report has it");
    } finally {
      await admin.close();
    }
  });

  it("append-only: a later run adds a snapshot, readers take the newest, the older stays", async () => {
    clock.advance(3_600_000);
    await publishTwinTenantCosts(engine, { pricePerCredit: 3, currency: "EUR", tenants: ["acme", "globex"] });
    assert.equal((await asTenant("acme"))!.pricePerCredit, 3);
    assert.equal((await asTenant("acme"))!.computedAt, "2026-01-05T11:00:00.000Z");
    const s = await engine.session({ role: tenantRoleName("acme") });
    try {
      const rows = await s.query<{ n: bigint; t: bigint }>("SELECT COUNT(DISTINCT computed_at) AS n, COUNT(DISTINCT tenant_id) AS t FROM OPS.TENANT_COSTS");
      assert.deepEqual(rows.map((r) => [Number(r.n), Number(r.t)]), [[2, 1]], "two snapshots, acme's rows only");
    } finally {
      await s.close();
    }
  });

  it("HUB_REPORTING appends snapshots and does nothing else in the hub: no read of the table, no other write", async () => {
    const s = await engine.session({ role: REPORTING_ROLE });
    try {
      for (const sql of [
        "SELECT * FROM OPS.TENANT_COSTS",
        "DELETE FROM OPS.TENANT_COSTS",
        "UPDATE OPS.TENANT_COSTS SET credits = 0",
        "INSERT INTO OPS.ALERT_ACKNOWLEDGEMENTS (tenant_id) VALUES ('acme')",
        "INSERT INTO OPS.TENANT_COSTS (tenant_id, warehouse) SELECT tenant_id, 'X' FROM ANALYTICS.ALERTS",
        "SELECT * FROM RAW.SENSOR_READINGS",
      ]) {
        await assert.rejects(s.query(sql), (e: unknown) => e instanceof HubSqlError && ["003001", "002003"].includes(e.code), sql);
      }
    } finally {
      await s.close();
    }
  });
});
