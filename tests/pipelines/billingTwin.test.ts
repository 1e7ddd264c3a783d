/**
 * The billing twin: per-second billing with a 60 s minimum at each resume at the size's credits
 * per hour, auto-suspend, resource monitor triggers at their exact thresholds and their reset at
 * a new interval, and the ACCOUNT_USAGE-shaped views over it.
 */
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testEngine, adminQuery, accountAdminQuery } from "../helpers/engine.ts";
import { periodCredits } from "../../pipelines/engine/billingTwin.ts";
import { HubSqlError } from "../../pipelines/warehouse/errors.ts";
import { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import { SimulatedClock } from "../../pipelines/engine/clock.ts";
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
    const [mon] = await accountAdminQuery<{ used: number; remaining: number }>(
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
});

describe("cloud services and the daily adjustment", () => {
  /**
   * One XSMALL period of exactly 60 s (resumed by the first query at 08:00:00, suspended at
   * 08:01:00, as ALTER WAREHOUSE ... SUSPEND would) and `queries` statements, each 0.00001
   * cloud-services credits in this model; then the day's METERING_DAILY_HISTORY row, read from
   * the hub file reopened (closing persists the meter without a tick, whose first dynamic-table
   * refreshes would add the shared warehouses' own statements to the day).
   */
  async function dayWithQueries(queries: number) {
    const dir = mkdtempSync(join(tmpdir(), "hub-cloud-"));
    const path = join(dir, "hub.duckdb");
    try {
      const clock = new SimulatedClock("2026-01-05T08:00:00Z");
      const engine = await EmbeddedEngine.open({ path, clock });
      await engine.defineWarehouse({ kind: "warehouse", name: "T_CS_WH", comment: "test", size: "XSMALL", autoSuspendSeconds: 0, autoResume: true, initiallySuspended: true, resourceMonitor: "NONE" });
      const s = await engine.session({ role: "HUB_ADMIN", warehouse: "T_CS_WH" });
      for (let i = 0; i < queries; i++) await s.query("SELECT 1");
      await s.close();
      clock.set(d("08:01:00"));
      engine.warehouses.suspend("T_CS_WH", "WAREHOUSE_SUSPEND");
      await engine.close();
      const reopened = await EmbeddedEngine.open({ path, clock: new SimulatedClock("2026-01-05T08:10:00Z") });
      try {
        const days = await adminQuery<{ compute: number; cloud: number; used: number; adj: number; billed: number }>(
          reopened,
          `SELECT CREDITS_USED_COMPUTE AS compute, CREDITS_USED_CLOUD_SERVICES AS cloud, CREDITS_USED AS used,
             CREDITS_ADJUSTMENT_CLOUD_SERVICES AS adj, CREDITS_BILLED AS billed FROM SNOWFLAKE.ACCOUNT_USAGE.METERING_DAILY_HISTORY`,
        );
        assert.equal(days.length, 1, "one day of usage");
        return days[0]!;
      } finally {
        await reopened.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  // Snowflake's rule (https://docs.snowflake.com/en/sql-reference/account-usage/metering_daily_history):
  // cloud services are billed only above 10 % of the day's compute; CREDITS_BILLED = compute + cloud +
  // CREDITS_ADJUSTMENT_CLOUD_SERVICES, the adjustment being negative.
  it("forgives cloud services entirely while they stay under 10 % of the day's compute", async () => {
    const day = await dayWithQueries(5);
    // compute = 60 s × 1 credit/h = 1/60 = 0.0166667; cloud = 5 × 0.00001 = 0.00005, under
    // 10 % of compute (0.0016667): adjustment = -0.00005, billed = compute = 1/60.
    close(day.compute, 1 / 60);
    close(day.cloud, 0.00005);
    close(day.used, 1 / 60 + 0.00005);
    close(day.adj, -0.00005);
    close(day.billed, 1 / 60);
  });

  it("bills the cloud services above 10 % of the day's compute when many queries meet little compute", async () => {
    const day = await dayWithQueries(500);
    // compute = 1/60 = 0.0166667; cloud = 500 × 0.00001 = 0.005, above 10 % of compute (1/600 =
    // 0.0016667): the adjustment is capped at -1/600, and billed = 1/60 + 0.005 - 1/600 = 0.02.
    close(day.compute, 1 / 60);
    close(day.cloud, 0.005);
    close(day.adj, -1 / 600);
    close(day.billed, 0.02);
    assert.ok(day.adj > -day.cloud, "the cap bites: less than the whole cloud-services use is forgiven");
  });
});

describe("billing across engine restarts", () => {
  /**
   * Two engine sessions on one hub file in the same UTC hour. A LARGE warehouse (8 credits/h)
   * under a DAILY monitor of 3 credits (NOTIFY at 50 %, SUSPEND_IMMEDIATE at 100 %):
   * - session 1 runs it 08:00:00–08:07:30: 450 s × 8/3600 = 1 credit, persisted in the 08:00 hour;
   * - session 2 reopens the file at 08:30:00 and resumes it. 50 % = 1.5 credits is reached when
   *   session 2 has added 0.5 credit: 0.5 × 3600 / 8 = 225 s, at 08:33:45; 100 % = 3 credits when
   *   it has added 2: 900 s, at 08:45:00, where billing stops.
   * A twin that forgot session 1's hour would fire NOTIFY at 08:41:15 and not suspend by 08:50.
   */
  it("counts the hour persisted by an earlier session in the meter and in the monitor", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hub-billing-"));
    const path = join(dir, "hub.duckdb");
    const events: TriggerEvent[] = [];
    const notifications = (e: TriggerEvent) => events.push(e);
    try {
      const clock1 = new SimulatedClock("2026-01-05T08:00:00Z");
      const first = await EmbeddedEngine.open({ path, clock: clock1, notifications });
      await first.defineResourceMonitor({ kind: "resource_monitor", name: "T_MON", creditQuota: 3, frequency: "DAILY", notifyAt: [50], suspendAt: 200, suspendImmediateAt: 100 });
      await first.defineWarehouse({ kind: "warehouse", name: "T_WH", comment: "test", size: "LARGE", autoSuspendSeconds: 0, autoResume: true, initiallySuspended: true, resourceMonitor: "T_MON" });
      const s1 = await first.session({ role: "HUB_ADMIN", warehouse: "T_WH" });
      await s1.query("SELECT 1"); // resumes at 08:00:00
      await s1.close();
      clock1.set(d("08:07:30"));
      first.warehouses.suspend("T_WH", "WAREHOUSE_SUSPEND");
      await first.close();
      assert.equal(events.length, 0, "1 credit of 3: below every trigger");

      const clock2 = new SimulatedClock("2026-01-05T08:30:00Z");
      const second = await EmbeddedEngine.open({ path, clock: clock2, notifications });
      try {
        const s2 = await second.session({ role: "HUB_ADMIN", warehouse: "T_WH" });
        await s2.query("SELECT 1"); // resumes at 08:30:00
        clock2.set(d("08:50:00"));
        await second.tick();
        assert.deepEqual(events.map((e) => [e.action, e.at.toISOString()]), [
          ["NOTIFY", "2026-01-05T08:33:45.000Z"],
          ["SUSPEND_IMMEDIATE", "2026-01-05T08:45:00.000Z"],
        ]);
        await assert.rejects(s2.query("SELECT 1"), (e: unknown) => e instanceof HubSqlError && e.code === "000606");
        await s2.close();
        const hours = await adminQuery<{ start: Date; compute: number; cloud: number }>(
          second,
          `SELECT START_TIME AS start, CREDITS_USED_COMPUTE AS compute, CREDITS_USED_CLOUD_SERVICES AS cloud
           FROM SNOWFLAKE.ACCOUNT_USAGE.WAREHOUSE_METERING_HISTORY WHERE WAREHOUSE_NAME = 'T_WH'`,
        );
        assert.deepEqual(hours.map((h) => h.start.toISOString()), ["2026-01-05T08:00:00.000Z"]);
        close(hours[0]!.compute, 3, "1 credit from session 1 + 2 from session 2");
        // One statement ran in each session (the refused one never reached the warehouse).
        close(hours[0]!.cloud, 2 * 0.00001, "cloud services of both sessions");
        const [mon] = await accountAdminQuery<{ used: number }>(second, "SELECT USED_CREDITS AS used FROM SNOWFLAKE.ACCOUNT_USAGE.RESOURCE_MONITORS WHERE NAME = 'T_MON'");
        close(mon!.used, 3, "the monitor's used credits include both sessions");
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
