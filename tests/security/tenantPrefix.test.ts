/**
 * Two tenants whose ids share a beginning: `acme` and `acme-a`. Their account objects are
 * TENANT_ACME_BI_WH and TENANT_ACME_A_BI_WH: the first tenant's prefix, TENANT_ACME_, begins the
 * second's names too. Wherever the hub tells a tenant's objects by that prefix alone, acme owns
 * acme-a's warehouses and monitors: it could run on (and bill) acme-a's warehouse, list its quota,
 * read its costs in OPS.TENANT_COSTS, and receive its monitor alerts. Snowflake decides by grants
 * (a tenant stack grants USAGE on its own warehouses only), so the twin must decide by exact names.
 * Tenant ids are any of TENANT_ID_PATTERN; no rule keeps one from beginning another.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { testEngine } from "../helpers/engine.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import { tenantObjectOwner, tenantRoleName, tenantWarehouseName, warehouseTenant } from "../../pipelines/definitions/governance.ts";
import { tenantMonitorName, tenantServiceUserName } from "../../infra/naming.ts";
import { SnowflakeSession } from "../../pipelines/sql/snowflakeSession.ts";
import { HubSqlError } from "../../pipelines/warehouse/errors.ts";
import { tenantCostOf } from "../../pipelines/cost/tenantCostSnapshot.ts";
import type { CostReport } from "../../pipelines/cost/costReport.ts";
import { twinPortalData } from "../../pipelines/portal/portalData.ts";
import { DeliveryLedger } from "../../pipelines/alerts/deliveryLedger.ts";
import { CONTROL_SCHEMA } from "../../pipelines/engine/controlTables.ts";

/** Pairs where the first id begins the second's object names; acme-a's sort before acme's. */
const TENANTS = ["acme", "acme-a"] as const;

let engine: EmbeddedEngine;

async function addTenant(tenant: string): Promise<void> {
  const monitor = tenantMonitorName(tenant, "bi");
  await engine.defineResourceMonitor({ kind: "resource_monitor", name: monitor, creditQuota: 10, frequency: "MONTHLY", notifyAt: [75], suspendAt: 100, suspendImmediateAt: 110 });
  await engine.defineWarehouse({ kind: "warehouse", name: tenantWarehouseName(tenant, "bi"), comment: `${tenant} bi`, size: "XSMALL", autoSuspendSeconds: 60, autoResume: true, initiallySuspended: true, resourceMonitor: monitor });
  await engine.grantTenantRole(tenant);
}

describe("tenants whose ids share a beginning (acme, acme-a)", () => {
  before(async () => {
    ({ engine } = await testEngine());
    for (const t of TENANTS) await addTenant(t);
  });
  after(() => engine.close());

  it("each account object names exactly one owner, for every kind of name and every pair of ids that begin one another", () => {
    const ids = ["acme", "acme-a", "acme-bi", "acme-a-bi", "a1", "a1-x", "ab-c", "ab"];
    for (const owner of ids) {
      for (const name of [tenantWarehouseName(owner, "bi"), tenantWarehouseName(owner, "ml2"), tenantMonitorName(owner, "bi"), tenantServiceUserName(owner)]) {
        assert.equal(tenantObjectOwner(name, ids), owner, name);
        for (const other of ids.filter((x) => x !== owner)) assert.equal(tenantObjectOwner(name, [other]), null, `${name} is not ${other}'s`);
      }
    }
    for (const name of ["HUB_TRANSFORM_WH", "TENANT_ACME_", "TENANT_ACME", "TENANT_ACME_BI", "TENANT_ACME_BI_WH_X", "TENANT_ACME__WH", "tenant_acme_bi_wh"]) {
      assert.equal(tenantObjectOwner(name, ids), null, name);
    }
  });

  it("a warehouse's own tenant read from its name alone (the cost report knows no tenant list): the whole id, never a prefix", () => {
    const ids = ["acme", "acme-a", "acme-bi", "acme-a-bi", "a1", "a1-x", "ab-c", "ab"];
    for (const owner of ids) for (const cls of ["bi", "ml2", "etl"]) assert.equal(warehouseTenant(tenantWarehouseName(owner, cls)), owner, tenantWarehouseName(owner, cls));
    // Not a tenant's warehouse: shared ones, monitors and users, malformed names, ids the pattern refuses.
    for (const name of ["HUB_TRANSFORM_WH", tenantMonitorName("acme", "bi"), tenantServiceUserName("acme"), "TENANT_ACME_WH", "TENANT__BI_WH", "TENANT_ACME_BI_WH_X",
      "tenant_acme_bi_wh", "TENANT_1ACME_BI_WH", "TENANT_A_BI_WH", "TENANT_ACME_B-I_WH", `TENANT_${"A".repeat(40)}_BI_WH`]) {
      assert.equal(warehouseTenant(name), null, name);
    }
  });

  it("acme's SQL session cannot use acme-a's warehouse, and defaults to its own", async () => {
    const s = await SnowflakeSession.open(engine, { user: "ana", role: tenantRoleName("acme") });
    try {
      assert.equal(s.state().warehouse, tenantWarehouseName("acme", "bi"));
      await assert.rejects(s.execute(`USE WAREHOUSE ${tenantWarehouseName("acme-a", "bi")}`), (e: unknown) => e instanceof HubSqlError && e.code === "002003");
      await assert.rejects(
        SnowflakeSession.open(engine, { user: "ana", role: tenantRoleName("acme"), warehouse: tenantWarehouseName("acme-a", "bi") }),
        (e: unknown) => e instanceof HubSqlError && e.code === "002003",
      );
      // acme-a still uses its own.
      const b = await SnowflakeSession.open(engine, { user: "bo", role: tenantRoleName("acme-a") });
      assert.equal(b.state().warehouse, tenantWarehouseName("acme-a", "bi"));
      await b.close();
    } finally {
      await s.close();
    }
  });

  it("SHOW WAREHOUSES and SHOW RESOURCE MONITORS list acme its own objects only", async () => {
    const s = await SnowflakeSession.open(engine, { user: "ana", role: tenantRoleName("acme") });
    try {
      const [w] = await s.execute("SHOW WAREHOUSES");
      assert.deepEqual(w!.rows.map((r) => r[0]), [tenantWarehouseName("acme", "bi")]);
      const [m] = await s.execute("SHOW RESOURCE MONITORS");
      assert.deepEqual(m!.rows.map((r) => r[0]), [tenantMonitorName("acme", "bi")]);
    } finally {
      await s.close();
    }
  });

  it("acme's cost snapshot holds none of acme-a's warehouses, and counts acme-a's warehouse as nobody's share of acme's", () => {
    const wh = (tenant: string) => ({ warehouse: tenantWarehouseName(tenant, "bi"), monitor: tenantMonitorName(tenant, "bi"), credits: 3, money: 6, quota: 10, pctOfQuota: 30, burnPerHour: 0.1, triggers: [] });
    const report = {
      from: new Date("2026-01-01T00:00:00Z"), to: new Date("2026-01-05T00:00:00Z"), currency: "USD", pricePerCredit: 2,
      tenants: [{ tenant: "acme", credits: 3, money: 6, share: 0.5 }],
      warehouses: [wh("acme"), wh("acme-a")],
      allocations: [{ warehouse: tenantWarehouseName("acme", "bi"), tenant: "acme", credits: 3 }, { warehouse: "HUB_TRANSFORM_WH", tenant: "acme", credits: 1 }],
    } as unknown as CostReport;
    const c = tenantCostOf(report, "acme", new Date("2026-01-05T00:00:00Z"));
    assert.deepEqual(c.warehouses.map((w) => w.warehouse), [tenantWarehouseName("acme", "bi")]);
    assert.deepEqual(c.shared.map((w) => w.warehouse), ["HUB_TRANSFORM_WH"]);
  });

  it("the portal's twin session for acme runs on acme's warehouse, not on acme-a's (which sorts first)", async () => {
    assert.ok(tenantWarehouseName("acme-a", "bi") < tenantWarehouseName("acme", "bi"), "the trap: acme-a's warehouse sorts first");
    const s = await twinPortalData(engine).tenantSession("acme", tenantRoleName("acme"));
    try {
      await s.query("SELECT COUNT(*) AS n FROM ANALYTICS.ALERTS");
    } finally {
      await s.close();
    }
    // A statement resumes the session's warehouse (and bills it): acme's, and acme-a's stays asleep.
    const state = (tenant: string) => engine.warehouses.list().find((w) => w.name === tenantWarehouseName(tenant, "bi"))?.state;
    assert.deepEqual([state("acme"), state("acme-a")], ["STARTED", "SUSPENDED"]);
  });

  it("a monitor event of acme-a is acme-a's alert, never acme's, whichever tenant is listed first", async () => {
    await engine.control(
      `INSERT INTO ${CONTROL_SCHEMA}.RESOURCE_MONITOR_EVENTS VALUES ('${tenantMonitorName("acme-a", "bi")}', TIMESTAMP '2026-01-01', 75, 'NOTIFY', TIMESTAMP '2026-01-05 08:00:00', 7.5, 10, '${tenantWarehouseName("acme-a", "bi")}')`,
    );
    const ledger = new DeliveryLedger(engine);
    for (const order of [[...TENANTS], [...TENANTS].reverse()]) {
      const events = await ledger.monitorEvents(order, new Date("2026-01-01T00:00:00Z"));
      assert.deepEqual(events.map((e) => e.tenantId), ["acme-a"], order.join(", "));
    }
  });
});
