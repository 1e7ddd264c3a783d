/**
 * The cost report's lists do not depend on the order the warehouse returns rows in. Neither
 * DuckDB nor Snowflake promises an order without ORDER BY (the usage SQL's UNION has none), so
 * the report is built here from the same rows in two orders through a warehouse that answers
 * each of the report's statements with canned rows: no engine, a few milliseconds.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { buildCostReport } from "../../pipelines/cost/costReport.ts";
import { duckdbDialect } from "../../pipelines/dialect/index.ts";
import type { Row, Warehouse } from "../../pipelines/warehouse/warehouse.ts";

/** Answers the usage statement with `usage` (the other two with nothing), rows in the order given. */
function cannedWarehouse(usage: readonly Row[]): Warehouse {
  return {
    dialect: duckdbDialect,
    role: "HUB_ADMIN",
    async query<T extends Row = Row>(sql: string): Promise<T[]> {
      if (/'alloc' AS kind/.test(sql)) return usage.map((r) => ({ ...r })) as T[];
      if (/WAREHOUSE_METERING_HISTORY|METERING_DAILY_HISTORY/.test(sql)) return [];
      throw new Error(`the report sent a statement this test does not answer: ${sql.slice(0, 80)}`);
    },
    async execute(): Promise<number> {
      return 0;
    },
    async close(): Promise<void> {},
  };
}

const driver = (warehouse: string, tenant: string, job: string, credits: number): Row => ({ kind: "driver", warehouse, tenant, job, credits, queries: 1 });

describe("cost report: the order of the warehouse's rows", () => {
  it("names the same top 15 drivers in the same order whatever order the rows come in, ties broken by warehouse, tenant and job", async () => {
    // Seventeen drivers; six tie at 0.25 credits across the cut at 15 (exact decimal sums make equal
    // credits ordinary: two jobs with the same run time in the same hours).
    const rows = [
      ...Array.from({ length: 11 }, (_, i) => driver("WH_A", "acme", `job-${String(i).padStart(2, "0")}`, 1 + i / 8)),
      driver("WH_B", "globex", "dashboard", 0.25), driver("WH_A", "globex", "export", 0.25), driver("WH_A", "acme", "zeta", 0.25),
      driver("WH_A", "acme", "alpha", 0.25), driver("WH_B", "acme", "dashboard", 0.25), driver("WH_A", "globex", "alpha", 0.25),
    ];
    const build = async (order: readonly Row[]) =>
      (await buildCostReport(cannedWarehouse(order), { from: new Date("2026-01-05T00:00:00Z"), to: new Date("2026-01-06T00:00:00Z"), now: new Date("2026-01-06T00:00:00Z"), pricePerCredit: 3, warehouses: [], monitors: [] })).drivers;
    const forward = await build(rows);
    assert.deepEqual(await build([...rows].reverse()), forward, "rows in reverse");
    assert.deepEqual(await build([...rows.slice(7), ...rows.slice(0, 7)]), forward, "rows rotated");
    assert.equal(forward.length, 15);
    assert.deepEqual(
      forward.slice(11).map((d) => `${d.warehouse}/${d.tenant}/${d.job}`),
      ["WH_A/acme/alpha", "WH_A/acme/zeta", "WH_A/globex/alpha", "WH_A/globex/export"],
      "the tied drivers that make the cut, by name",
    );
  });
});
