/**
 * The usage views' documented latency, simulated on the twin (EngineOptions.simulateUsageLatency),
 * and the cost report's answer to it: QUERY_HISTORY lags up to 45 minutes, the meter up to 3 hours
 * (https://docs.snowflake.com/en/sql-reference/account-usage, "ACCOUNT_USAGE views", Latency), so a
 * month to date ending now reads the last hours as idle. The report ends its measured period where
 * every view it reads is complete, and that period holds exactly what the complete data holds.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import { SimulatedClock } from "../../pipelines/engine/clock.ts";
import { loadFixture } from "./fixture.ts";
import { accountAdminQuery } from "../helpers/engine.ts";
import { buildCostReport, type CostReport } from "../../pipelines/cost/costReport.ts";
import { COST_REPORT_VIEWS } from "../../pipelines/cost/costQueries.ts";
import { twinAccountObjects } from "../../pipelines/cost/readAccountObjects.ts";
import { ACCOUNT_USAGE_VIEWS, completeUntil } from "../../pipelines/definitions/accountUsageViews.ts";

const HOUR = 3_600_000;

describe("ACCOUNT_USAGE latency on the twin, and the cost report's complete period", () => {
  let engine: EmbeddedEngine;
  let clock: SimulatedClock;
  let now: Date;
  before(async () => {
    clock = new SimulatedClock("2026-01-05T08:00:00Z");
    engine = await EmbeddedEngine.open({ clock, simulateUsageLatency: true });
    await loadFixture(engine, clock);
    // Six hours of a query every quarter of an hour on the analytics warehouse, each metered (a
    // minute's minimum per resume) and in QUERY_HISTORY; the ticks persist the meter.
    for (let i = 0; i < 24; i++) {
      clock.advance(15 * 60_000);
      const s = await engine.session({ role: "HUB_ADMIN", warehouse: "HUB_ANALYTICS_WH", tag: { tenant: "acme", job: "dashboard" } });
      await s.query("SELECT COUNT(*) FROM ANALYTICS.ENERGY_HOURLY");
      await s.close();
      await engine.tick();
    }
    now = new Date(clock.now().getTime() + 20 * 60_000); // not on the hour
    clock.set(now);
    await engine.tick();
  });
  after(() => engine.close());

  const asSession = async <T>(usageLatency: boolean, sql: string): Promise<T[]> => {
    const s = await engine.session({ role: "HUB_ADMIN", usageLatency });
    try {
      return (await s.query(sql)) as T[];
    } finally {
      await s.close();
    }
  };

  it("each view hides the rows younger than its documented latency, and only those", async () => {
    for (const [view, column] of [["WAREHOUSE_METERING_HISTORY", "END_TIME"], ["QUERY_HISTORY", "END_TIME"], ["WAREHOUSE_EVENTS_HISTORY", '"TIMESTAMP"']] as const) {
      const cutoff = new Date(now.getTime() - ACCOUNT_USAGE_VIEWS[view]!.latencyMs);
      const lagged = await asSession<{ n: number; newest: Date | null }>(true, `SELECT COUNT(*) AS n, MAX(${column}) AS newest FROM SNOWFLAKE.ACCOUNT_USAGE.${view}`);
      // Everything, as ACCOUNTADMIN reads it on a plain connection (no latency variable there).
      const [all] = await accountAdminQuery<{ n: number; older: number }>(engine, `SELECT COUNT(*) AS n, COUNT(*) FILTER (WHERE ${column} <= TIMESTAMP '${cutoff.toISOString().replace("T", " ").replace("Z", "")}') AS older FROM SNOWFLAKE.ACCOUNT_USAGE.${view}`);
      assert.ok(all!.n > all!.older, `${view}: the last ${ACCOUNT_USAGE_VIEWS[view]!.latencyMs / 60_000} minutes have rows to hide`);
      assert.equal(Number(lagged[0]!.n), all!.older, `${view} shows exactly the rows older than its latency`);
      assert.ok(lagged[0]!.newest! <= cutoff, view);
    }
    // The session's own latency off: the same engine shows every row.
    const [full] = await asSession<{ n: number }>(false, "SELECT COUNT(*) AS n FROM SNOWFLAKE.ACCOUNT_USAGE.WAREHOUSE_METERING_HISTORY");
    const [all] = await accountAdminQuery<{ n: number }>(engine, "SELECT COUNT(*) AS n FROM SNOWFLAKE.ACCOUNT_USAGE.WAREHOUSE_METERING_HISTORY");
    assert.equal(Number(full!.n), all!.n);
  });

  it("the report ends its measured period where the data is complete, and holds there what the complete data holds", async () => {
    const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    const until = completeUntil(now, COST_REPORT_VIEWS);
    // The meter's 3 hours, down to the hour: 14:20 → 11:00.
    assert.equal(until.toISOString(), new Date(Math.floor((now.getTime() - 3 * HOUR) / HOUR) * HOUR).toISOString());
    const account = await twinAccountObjects(engine);
    const report = async (usageLatency: boolean, to: Date, complete?: Date): Promise<CostReport> => {
      const s = await engine.session({ role: "HUB_ADMIN", usageLatency });
      try {
        return await buildCostReport(s, { from, to, now, pricePerCredit: 3, ...account, ...(complete ? { completeUntil: complete } : {}) });
      } finally {
        await s.close();
      }
    };
    const lagged = await report(true, new Date(now.getTime() + 1), until);
    assert.equal(lagged.to.toISOString(), until.toISOString(), "the measured period ends where the data is complete");
    assert.equal(lagged.requestedTo.getTime(), now.getTime() + 1);
    assert.ok(lagged.hourly.every((h) => h.hour < until) && lagged.hourly.some((h) => h.hour.getTime() === until.getTime() - HOUR), "every complete hour, up to the last");

    // The same period on complete data: nothing missing, nothing partial. (Not the cloud services
    // and SERVICE_TYPE lines: METERING_DAILY_HISTORY is by day, and today's row grows until midnight
    // on either data.)
    const truth = await report(false, until);
    const strip = (r: CostReport) => ({
      // Rows in a fixed order: the usage SQL's UNION has none.
      credits: r.totals.credits, money: r.totals.money, tenants: r.tenants,
      allocations: r.allocations.map((a) => JSON.stringify(a)).sort(), drivers: r.drivers.map((d) => JSON.stringify(d)).sort(),
      hourly: r.hourly.map((h) => ({ ...h, hour: h.hour.toISOString() })),
      warehouses: r.warehouses.map((w) => ({ ...w, triggers: w.triggers.map((t) => ({ ...t, firedAt: t.firedAt?.toISOString() ?? null, projectedAt: t.projectedAt?.toISOString() ?? null })) })),
    });
    assert.deepEqual(strip(lagged), strip(truth));

    // What ending at now would have done: the lagging hours read as idle, the burn rate too low.
    const naive = await report(true, new Date(now.getTime() + 1));
    const complete = await report(false, new Date(now.getTime() + 1));
    assert.ok(naive.totals.credits < complete.totals.credits, "ending at now under-counts");
    const burn = (r: CostReport) => r.warehouses.reduce((s, w) => s + w.burnPerHour, 0);
    assert.ok(burn(naive) < burn(complete), "and under-states the burn rate the trigger forecasts use");
  });
});
