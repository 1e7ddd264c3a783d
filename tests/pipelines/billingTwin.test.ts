/**
 * The billing twin: per-second billing with a 60 s minimum at each resume at the size's credits
 * per hour, auto-suspend, resource monitor triggers at their exact thresholds and their reset at
 * a new interval, and the ACCOUNT_USAGE-shaped views over it.
 */
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { testEngine, adminQuery } from "../helpers/engine.ts";
import { periodCredits } from "../../pipelines/engine/billingTwin.ts";
import { HubSqlError } from "../../pipelines/warehouse/errors.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import type { SimulatedClock } from "../../pipelines/engine/clock.ts";
import type { TriggerEvent } from "../../pipelines/engine/resourceMonitors.ts";

const close = (a: number, b: number, msg = "") => assert.ok(Math.abs(a - b) < 1e-9, `${msg} expected ${b}, got ${a}`);
const d = (iso: string) => new Date(`2026-01-05T${iso}Z`);

describe("credits of a running period", () => {
  it("bills at least 60 seconds per resume", () => {
    const [p] = periodCredits(d("08:00:00"), d("08:00:10"), 1);
    close(p!.credits, 60 / 3600);
  });
  it("bills per started second beyond the minimum", () => {
    const ps = periodCredits(d("08:00:00"), new Date(d("08:01:30").getTime() + 200), 2); // 90.2 s on SMALL
    close(ps.reduce((s, p) => s + p.credits, 0), (91 * 2) / 3600);
  });
  it("splits a period over the UTC hours it spans", () => {
    const ps = periodCredits(d("07:59:30"), d("08:00:45"), 4);
    assert.deepEqual(ps.map((p) => [p.hour.toISOString(), p.seconds]), [["2026-01-05T07:00:00.000Z", 30], ["2026-01-05T08:00:00.000Z", 45]]);
  });
});

describe("warehouses and resource monitors on the engine", () => {
  let engine: EmbeddedEngine;
  let clock: SimulatedClock;
  let events: TriggerEvent[];
  beforeEach(async () => {
    ({ engine, clock } = await testEngine("2026-01-05T08:00:00Z"));
    events = [];
    (engine.monitors as unknown as { sink: unknown }).sink = (e: TriggerEvent) => events.push(e);
  });
  afterEach(() => engine.close());

  async function meteredCompute(warehouse: string): Promise<number> {
    const [r] = await adminQuery<{ c: number | null }>(
      engine,
      `SELECT SUM(CREDITS_USED_COMPUTE) AS c FROM SNOWFLAKE.ACCOUNT_USAGE.WAREHOUSE_METERING_HISTORY WHERE WAREHOUSE_NAME = '${warehouse}'`,
    );
    return r!.c ?? 0;
  }

  it("auto-suspends after idle and bills a resume that comes after the suspend with its own minimum", async () => {
    await engine.defineWarehouse({ kind: "warehouse", name: "T_WH", comment: "test", size: "SMALL", autoSuspendSeconds: 60, autoResume: true, initiallySuspended: true, resourceMonitor: "NONE" });
    const s = await engine.session({ role: "HUB_ADMIN", warehouse: "T_WH" });
    await s.query("SELECT 1"); // resumes at 08:00:00, idle from ~08:00:00
    clock.set(d("08:01:05"));
    await engine.tick(); // suspended at ~08:01:00: 60 s billed
    await s.query("SELECT 1"); // resumes at 08:01:05
    clock.set(d("08:05:00"));
    await engine.tick();
    const events = await adminQuery<{ event_name: string; ts: Date }>(
      engine,
      `SELECT EVENT_NAME AS event_name, "TIMESTAMP" AS ts FROM SNOWFLAKE.ACCOUNT_USAGE.WAREHOUSE_EVENTS_HISTORY WHERE WAREHOUSE_NAME = 'T_WH' ORDER BY "TIMESTAMP"`,
    );
    assert.deepEqual(events.map((e) => e.event_name), ["RESUME_WAREHOUSE", "SUSPEND_WAREHOUSE", "RESUME_WAREHOUSE", "SUSPEND_WAREHOUSE"]);
    assert.ok(events[1]!.ts.getTime() - d("08:01:00").getTime() < 1000, "suspended 60 s after its last statement");
    // Two periods of 60–61 started seconds on SMALL (2 credits/h).
    const compute = await meteredCompute("T_WH");
    assert.ok(compute >= (120 * 2) / 3600 && compute <= (122 * 2) / 3600, String(compute));
    await s.close();
  });

  it("fires NOTIFY and SUSPEND_IMMEDIATE at their exact thresholds, refuses queries, and resets at a new interval", async () => {
    await engine.defineResourceMonitor({ kind: "resource_monitor", name: "T_MON", creditQuota: 1, frequency: "DAILY", notifyAt: [50], suspendAt: 150, suspendImmediateAt: 100 });
    await engine.defineWarehouse({ kind: "warehouse", name: "T_WH", comment: "test", size: "XSMALL", autoSuspendSeconds: 0, autoResume: true, initiallySuspended: true, resourceMonitor: "T_MON" });
    const s = await engine.session({ role: "HUB_ADMIN", warehouse: "T_WH" });
    await s.query("SELECT 1"); // resumes at 08:00:00 and never auto-suspends
    clock.set(d("08:45:00"));
    await engine.tick();
    assert.deepEqual(events.map((e) => [e.action, e.percent, e.at.toISOString()]), [["NOTIFY", 50, "2026-01-05T08:30:00.000Z"]]); // 1800 s × 1 credit/h
    clock.set(d("09:20:00"));
    await engine.tick();
    assert.deepEqual(events.map((e) => [e.action, e.at.toISOString()]).slice(1), [["SUSPEND_IMMEDIATE", "2026-01-05T09:00:00.000Z"]]);
    close(await meteredCompute("T_WH"), 1, "billing stopped at the quota");
    await assert.rejects(s.query("SELECT 1"), (e: unknown) => e instanceof HubSqlError && e.code === "000606");
    const [mon] = await adminQuery<{ used: number; remaining: number }>(
      engine,
      "SELECT USED_CREDITS AS used, REMAINING_CREDITS AS remaining FROM SNOWFLAKE.ACCOUNT_USAGE.RESOURCE_MONITORS WHERE NAME = 'T_MON'",
    );
    close(mon!.used, 1);
    close(mon!.remaining, 0);
    clock.set(new Date("2026-01-06T00:00:10Z"));
    await engine.tick(); // a new day: the quota starts again
    await s.query("SELECT 1");
    clock.set(new Date("2026-01-06T00:31:00Z"));
    await engine.tick();
    assert.deepEqual(events.slice(2).map((e) => [e.action, e.at.toISOString()]), [["NOTIFY", "2026-01-06T00:30:10.000Z"]]);
    await s.close();
  });

  it("lets running work finish on SUSPEND and suspends the warehouse at the next settle", async () => {
    await engine.defineResourceMonitor({ kind: "resource_monitor", name: "T_MON2", creditQuota: 0.5, frequency: "MONTHLY", notifyAt: [], suspendAt: 100, suspendImmediateAt: 200 });
    await engine.defineWarehouse({ kind: "warehouse", name: "T_WH2", comment: "test", size: "XSMALL", autoSuspendSeconds: 0, autoResume: true, initiallySuspended: true, resourceMonitor: "T_MON2" });
    const s = await engine.session({ role: "HUB_ADMIN", warehouse: "T_WH2" });
    await s.query("SELECT 1");
    clock.set(d("08:40:00"));
    await engine.tick();
    assert.deepEqual(events.map((e) => [e.action, e.at.toISOString()]), [["SUSPEND", "2026-01-05T08:30:00.000Z"]]);
    await assert.rejects(s.query("SELECT 1"), /T_WH2/);
    await s.close();
  });

  it("refuses the next statement once the quota is reached, without waiting for a tick", async () => {
    await engine.defineResourceMonitor({ kind: "resource_monitor", name: "T_MON3", creditQuota: 0.25, frequency: "DAILY", notifyAt: [], suspendAt: 100, suspendImmediateAt: 200 });
    await engine.defineWarehouse({ kind: "warehouse", name: "T_WH3", comment: "test", size: "XSMALL", autoSuspendSeconds: 0, autoResume: true, initiallySuspended: true, resourceMonitor: "T_MON3" });
    const s = await engine.session({ role: "HUB_ADMIN", warehouse: "T_WH3" });
    await s.query("SELECT 1");
    clock.set(d("08:14:00"));
    await s.query("SELECT 1"); // 0.233 credits: still under the quota
    clock.set(d("08:16:00"));
    await assert.rejects(s.query("SELECT 1"), (e: unknown) => e instanceof HubSqlError && e.code === "000606");
    assert.deepEqual(events.map((e) => [e.action, e.at.toISOString()]), [["SUSPEND", "2026-01-05T08:15:00.000Z"]]);
    await s.close();
  });

  it("bills cloud services per query and forgives them up to 10 % of the day's compute", async () => {
    const s = await engine.session({ role: "HUB_ADMIN", warehouse: "HUB_ANALYTICS_WH" });
    for (let i = 0; i < 5; i++) await s.query("SELECT 1");
    clock.set(d("08:10:00"));
    await engine.tick();
    const [day] = await adminQuery<{ compute: number; cloud: number; adj: number; billed: number }>(
      engine,
      `SELECT CREDITS_USED_COMPUTE AS compute, CREDITS_USED_CLOUD_SERVICES AS cloud, CREDITS_ADJUSTMENT_CLOUD_SERVICES AS adj,
         CREDITS_BILLED AS billed FROM SNOWFLAKE.ACCOUNT_USAGE.METERING_DAILY_HISTORY`,
    );
    assert.ok(day!.cloud > 0);
    close(day!.adj, -Math.min(day!.cloud, 0.1 * day!.compute));
    close(day!.billed, day!.compute + day!.cloud + day!.adj);
    const [q] = await adminQuery<{ n: number }>(engine, "SELECT COUNT(*) AS n FROM SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY WHERE WAREHOUSE_NAME = 'HUB_ANALYTICS_WH' AND QUERY_TEXT = 'SELECT 1'");
    assert.equal(q!.n, 5);
    await s.close();
  });
});
