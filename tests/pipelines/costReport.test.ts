/**
 * The cost report over the ACCOUNT_USAGE-shaped views: per-hour query-share allocation on a
 * hand-computed fixture, allocations that add up to the metered credits, trigger status and
 * projections, and every output format.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { testEngine } from "../helpers/engine.ts";
import { buildCostReport, type CostReport } from "../../pipelines/cost/costReport.ts";
import { formatCostReport, NO_TENANT } from "../../pipelines/cost/costFormats.ts";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readFiles } from "../helpers/readFiles.ts";
import { CONTROL_SCHEMA } from "../../pipelines/engine/controlTables.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import type { Warehouse } from "../../pipelines/warehouse/warehouse.ts";

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `expected ${b}, got ${a}`);

describe("cost report", () => {
  let engine: EmbeddedEngine;
  let admin: Warehouse;
  let report: CostReport;
  const from = new Date("2026-01-05T00:00:00Z");
  const to = new Date("2026-01-06T00:00:00Z");
  before(async () => {
    ({ engine } = await testEngine("2026-01-05T10:00:00Z"));
    await engine.defineResourceMonitor({ kind: "resource_monitor", name: "SHARED_MON", creditQuota: 4, frequency: "DAILY", notifyAt: [50, 75], suspendAt: 100, suspendImmediateAt: 110 });
    await engine.defineWarehouse({ kind: "warehouse", name: "SHARED_WH", comment: "", size: "XSMALL", autoSuspendSeconds: 60, autoResume: true, initiallySuspended: true, resourceMonitor: "SHARED_MON" });
    admin = await engine.admin();
    // Hand-built meter: hour 08 used 1.0 credit, hour 09 (no queries: idle) 0.5 credit.
    await admin.execute(`INSERT INTO ${CONTROL_SCHEMA}.WAREHOUSE_METERING VALUES
      ('SHARED_WH', TIMESTAMP '2026-01-05 08:00:00', 1.0, 0.001), ('SHARED_WH', TIMESTAMP '2026-01-05 09:00:00', 0.5, 0.0)`);
    // Hour 08: acme ran 30 s, globex 10 s → 75 % / 25 %.
    await admin.execute(`INSERT INTO ${CONTROL_SCHEMA}.QUERY_HISTORY VALUES
      ('q1', 'SELECT 1', 'SHARED_WH', 'R', '{"tenant":"acme","job":"dashboard"}', TIMESTAMP '2026-01-05 08:10:00', TIMESTAMP '2026-01-05 08:10:20', 20000, 'SUCCESS', NULL, NULL, 1),
      ('q2', 'SELECT 2', 'SHARED_WH', 'R', '{"tenant":"acme","job":"export"}', TIMESTAMP '2026-01-05 08:20:00', TIMESTAMP '2026-01-05 08:20:10', 10000, 'SUCCESS', NULL, NULL, 1),
      ('q3', 'SELECT 3', 'SHARED_WH', 'R', '{"tenant":"globex","job":"dashboard"}', TIMESTAMP '2026-01-05 08:30:00', TIMESTAMP '2026-01-05 08:30:10', 10000, 'SUCCESS', NULL, NULL, 1)`);
    await engine.tick(); // the monitor sees 1.5 of 4 credits: nothing fired yet
    report = await buildCostReport(admin, {
      from, to, now: engine.clock.now(), pricePerCredit: 3,
      warehouses: engine.warehouses.list().map((w) => ({ name: w.name, size: w.size, resourceMonitor: w.resourceMonitor })),
    });
  });
  after(async () => {
    await admin.close();
    await engine.close();
  });

  it("allocates each hour by query-time share, and an idle hour by the period's share", () => {
    const wh = report.warehouses.find((w) => w.warehouse === "SHARED_WH")!;
    const acme = wh.tenants.find((t) => t.tenant === "acme")!;
    const globex = wh.tenants.find((t) => t.tenant === "globex")!;
    // Hour 08: 1.0 × 30/40 and 1.0 × 10/40. Hour 09 (idle): 0.5 split by the period share, the same 75/25.
    close(acme.credits, 0.75 + 0.375);
    close(globex.credits, 0.25 + 0.125);
    close(acme.money, (0.75 + 0.375) * 3);
  });

  it("adds the per-tenant and per-hour allocations up to the metered credits", () => {
    const metered = report.hourly.reduce((s, h) => s + h.credits, 0);
    close(report.allocations.reduce((s, a) => s + a.credits, 0), metered, 1e-6);
    close(report.totals.credits, metered, 1e-6);
    close(report.tenants.reduce((s, t) => s + t.credits, 0), metered, 1e-6);
    for (const w of report.warehouses) close(w.tenants.reduce((s, t) => s + t.credits, 0), w.credits, 1e-6);
  });

  it("gives the quota share and when each remaining trigger fires at the current burn rate", () => {
    const wh = report.warehouses.find((w) => w.warehouse === "SHARED_WH")!;
    close(wh.pctOfQuota!, (1.5 / 4) * 100);
    // Burn over the (≤ 24 h) period: 1.5 credits / 24 h; NOTIFY 50 % needs 0.5 more → 8 h after now.
    const notify50 = wh.triggers.find((t) => t.percent === 50)!;
    assert.equal(notify50.firedAt, null);
    assert.equal(notify50.projectedAt?.toISOString(), new Date(engine.clock.now().getTime() + 8 * 3_600_000).toISOString());
    assert.equal(wh.triggers.find((t) => t.percent === 110)!.projectedAt, null, "beyond the interval's end at this rate");
  });

  it("names the top cost drivers by tenant and job", () => {
    assert.deepEqual(report.drivers.slice(0, 2).map((d) => [d.tenant, d.job]), [["acme", "dashboard"], ["acme", "export"]]);
  });

  it("restricts to one tenant's share with a tenant filter", async () => {
    const r = await buildCostReport(admin, {
      from, to, now: engine.clock.now(), pricePerCredit: 3, tenant: "globex",
      warehouses: engine.warehouses.list().map((w) => ({ name: w.name, size: w.size, resourceMonitor: w.resourceMonitor })),
    });
    assert.deepEqual(r.tenants.map((t) => t.tenant), ["globex"]);
    close(r.totals.credits, 0.375);
  });

  it("renders every format", async () => {
    const table = await formatCostReport(report, "table");
    assert.match(table, /SHARED_WH/);
    const md = await formatCostReport(report, "md");
    assert.match(md, /^# Cost report/);
    assert.match(md, /\| acme \|/);
    const json = JSON.parse(await formatCostReport(report, "json"));
    assert.equal(json.pricePerCredit, 3);
    assert.equal(json.currency, "USD");
    const html = await formatCostReport(report, "html");
    assert.match(html, /^<!doctype html>/);
    assert.equal((html.match(/<svg/g) ?? []).length, 3, "three charts, rendered to SVG");
    assert.doesNotMatch(html, /<script/, "self-contained, no scripts");
    // Each warehouse on its own scale, titled with its share of the quota (1.5 of 4 credits).
    assert.match(html, /SHARED_WH/);
    assert.match(html, /1\.5 of 4 credits \(37\.5% of quota\)/);
  });

  it("writes CSV a spreadsheet reads as numbers: no percent signs, money beside its currency, no empty tenant", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hub-cost-csv-"));
    try {
      const file = join(dir, "cost.csv");
      writeFileSync(file, await formatCostReport(report, "csv"));
      // Read back by DuckDB's CSV reader, an independent parser that sniffs each column's type.
      const rows = await readFiles<Record<string, unknown>>(`SELECT * FROM read_csv('${file}')`);
      const types = await readFiles<{ column_name: string; column_type: string }>(`DESCRIBE SELECT * FROM read_csv('${file}')`);
      const type = Object.fromEntries(types.map((t) => [t.column_name, t.column_type]));
      for (const c of ["quota", "quota_used_pct", "credits", "money"]) assert.match(type[c]!, /^(DOUBLE|BIGINT|DECIMAL.*)$/, `${c} is ${type[c]}`);
      assert.equal(type.currency, "VARCHAR");
      const acme = rows.find((r) => r.tenant === "acme" && r.warehouse === "SHARED_WH")!;
      // Hour 08: 1.0 credit × 30/40; hour 09, idle: 0.5 × the period's share 30/40 → 1.125 credits, at 3 per credit.
      close(Number(acme.credits), 1.125, 1e-9);
      close(Number(acme.money), 3.375, 1e-9);
      assert.equal(acme.currency, "USD");
      close(Number(acme.quota_used_pct), 37.5, 1e-9);
      assert.ok(rows.every((r) => typeof r.tenant === "string" && r.tenant !== ""), "every row names its tenant, (none) when no tenant used it");
      assert.ok(rows.some((r) => r.tenant === NO_TENANT), "the warehouses nobody used");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("prints money in the report's currency", async () => {
    const eur = await buildCostReport(admin, {
      from, to, now: engine.clock.now(), pricePerCredit: 2.5, currency: "EUR",
      warehouses: engine.warehouses.list().map((w) => ({ name: w.name, size: w.size, resourceMonitor: w.resourceMonitor })),
    });
    const table = await formatCostReport(eur, "table");
    assert.match(table, /at €2\.50 per credit/);
    assert.match(table, /€3\.75\)/, "1.5 credits at €2.50");
  });
});
