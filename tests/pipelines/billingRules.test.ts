/**
 * The billing twin's rules on their own (pipelines/engine/billingTwin.ts, resourceMonitors.ts),
 * without an engine: each value worked out by hand from Snowflake's documentation. Compute:
 * https://docs.snowflake.com/en/user-guide/cost-understanding-compute (credits per hour by size,
 * billed per second with a 60-second minimum each time a warehouse resumes). Monitors:
 * https://docs.snowflake.com/en/user-guide/resource-monitors (a quota per interval, triggers at a
 * percentage, intervals from the start day). tests/pipelines/billingTwin.test.ts runs the same
 * rules through the engine: warehouses, sessions, restarts and the ACCOUNT_USAGE views.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DuckDBInstance } from "@duckdb/node-api";
import { CONTROL_TABLES_DDL } from "../../pipelines/engine/controlTables.ts";
import { BillingTwin, creditsPerHour, periodCredits } from "../../pipelines/engine/billingTwin.ts";
import { dueTriggers, monitorInterval, monitorTriggers, type MonitorSpec } from "../../pipelines/engine/resourceMonitors.ts";

const close = (a: number, b: number, msg = "") => assert.ok(Math.abs(a - b) < 1e-9, `${msg} expected ${b}, got ${a}`);
const d = (iso: string) => new Date(`2026-01-05T${iso}Z`);

describe("billing rules, by hand", () => {
  it("credits per hour are Snowflake's table for every size, in any case; an unknown size names the sizes", () => {
    const table = { XSMALL: 1, SMALL: 2, MEDIUM: 4, LARGE: 8, XLARGE: 16, XXLARGE: 32, XXXLARGE: 64, X4LARGE: 128, X5LARGE: 256, X6LARGE: 512 };
    for (const [size, rate] of Object.entries(table)) {
      assert.equal(creditsPerHour(size), rate, size);
      assert.equal(creditsPerHour(size.toLowerCase()), rate, size.toLowerCase());
    }
    assert.throws(() => creditsPerHour("HUGE"), /^Error: warehouse size "HUGE" is not one of XSMALL, SMALL, MEDIUM, LARGE, XLARGE, XXLARGE, XXXLARGE, X4LARGE, X5LARGE, X6LARGE$/);
  });

  it("a period: started seconds billed while closed, accrued to the millisecond while open, 60 s at least either way", () => {
    const at = (ms: number) => new Date(d("08:00:00").getTime() + ms);
    const shape = (ps: ReturnType<typeof periodCredits>) => ps.map((p) => [p.hour.toISOString().slice(11, 19), p.seconds, Number((p.credits * 3600).toFixed(9))]);
    assert.deepEqual(shape(periodCredits(d("08:00:00"), at(60_001), 1)), [["08:00:00", 61, 61]], "60.001 s: 61 started seconds");
    assert.deepEqual(shape(periodCredits(d("08:00:00"), at(60_001), 1, false)), [["08:00:00", 60.001, 60.001]], "open: no rounding");
    assert.deepEqual(shape(periodCredits(d("08:00:00"), at(60_000), 2)), [["08:00:00", 60, 120]], "exactly the minimum");
    assert.deepEqual(shape(periodCredits(d("08:00:00"), d("08:00:00"), 1)), [["08:00:00", 60, 60]], "a resume with no time still bills the minimum");
    assert.deepEqual(shape(periodCredits(d("08:00:00"), d("07:00:00"), 1)), [["08:00:00", 60, 60]], "an end before the start is no time");
    // 08:59:50–09:00:10: 20 s, topped up to 60 in the hour it resumed.
    assert.deepEqual(shape(periodCredits(d("08:59:50"), d("09:00:10"), 1)), [["08:00:00", 50, 50], ["09:00:00", 10, 10]]);
    // Three hours spanned: 07:30:00–09:15:00 on MEDIUM (4 credits/h).
    assert.deepEqual(shape(periodCredits(d("07:30:00"), d("09:15:00"), 4)), [["07:00:00", 1800, 7200], ["08:00:00", 3600, 14400], ["09:00:00", 900, 3600]]);
  });

  it("triggers sort by percent; a monitor's intervals start at its first day's UTC midnight, an end belongs to the next", () => {
    assert.deepEqual(monitorTriggers([90, 50], 100, 110), [
      { percent: 50, action: "NOTIFY" }, { percent: 90, action: "NOTIFY" }, { percent: 100, action: "SUSPEND" }, { percent: 110, action: "SUSPEND_IMMEDIATE" },
    ]);
    assert.deepEqual(monitorTriggers([], null, null), []);
    const started = new Date("2026-01-15T13:45:00Z");
    const iv = (frequency: MonitorSpec["frequency"], at: string) => {
      const r = monitorInterval({ frequency, startedAt: started }, new Date(at));
      return [r.start.toISOString(), r.end.toISOString()];
    };
    assert.deepEqual(iv("DAILY", "2026-01-15T14:00:00Z"), ["2026-01-15T00:00:00.000Z", "2026-01-16T00:00:00.000Z"]);
    assert.deepEqual(iv("DAILY", "2026-01-16T00:00:00Z"), ["2026-01-16T00:00:00.000Z", "2026-01-17T00:00:00.000Z"], "the end instant starts the next");
    assert.deepEqual(iv("WEEKLY", "2026-01-30T00:00:00Z"), ["2026-01-29T00:00:00.000Z", "2026-02-05T00:00:00.000Z"]);
    assert.deepEqual(iv("MONTHLY", "2026-03-20T00:00:00Z"), ["2026-03-15T00:00:00.000Z", "2026-04-15T00:00:00.000Z"]);
    assert.deepEqual(iv("YEARLY", "2027-02-01T00:00:00Z"), ["2027-01-15T00:00:00.000Z", "2028-01-15T00:00:00.000Z"]);
    const never = monitorInterval({ frequency: "NEVER", startedAt: started }, new Date("2030-01-01T00:00:00Z"));
    assert.deepEqual([never.start.toISOString(), never.end.getTime()], ["2026-01-15T00:00:00.000Z", 8.64e15]);
  });

  it("a trigger fires at the millisecond the credits reach its threshold, once, and not before it is reached", () => {
    // 1 credit per hour from 08:00: 50 % of a 10-credit quota (5 credits) is reached at 13:00:00.000.
    const t0 = d("08:00:00").getTime();
    const usedAt = (t: Date) => Math.max(0, t.getTime() - t0) / 3_600_000;
    const spec: MonitorSpec = { name: "M", creditQuota: 10, frequency: "DAILY", startedAt: d("00:00:00"), triggers: monitorTriggers([50, 70], null, 100) };
    const due = (fired: number[], since: string, now: string) =>
      dueTriggers(spec, d("00:00:00"), new Set(fired), d(since), d(now), usedAt).map((e) => [e.percent, e.action, e.at.toISOString().slice(11, 23), Number(e.usedCredits.toFixed(6)), e.quota, e.monitor]);
    assert.deepEqual(due([], "08:00:00", "16:00:00"), [[50, "NOTIFY", "13:00:00.000", 8, 10, "M"], [70, "NOTIFY", "15:00:00.000", 8, 10, "M"]]);
    assert.deepEqual(due([50], "08:00:00", "16:00:00"), [[70, "NOTIFY", "15:00:00.000", 8, 10, "M"]], "a fired trigger does not fire again");
    assert.deepEqual(due([], "08:00:00", "12:59:59"), [], "4.9997 credits: nothing reached yet");
    // Reached before the last look (since): it fires at `since`, the earliest instant this look covers.
    assert.deepEqual(due([], "14:00:00", "14:30:00"), [[50, "NOTIFY", "14:00:00.000", 6.5, 10, "M"]]);
    assert.deepEqual(due([], "17:59:59", "18:00:00"), [[50, "NOTIFY", "17:59:59.000", 10, 10, "M"], [70, "NOTIFY", "17:59:59.000", 10, 10, "M"], [100, "SUSPEND_IMMEDIATE", "18:00:00.000", 10, 10, "M"]]);
  });

  it("the twin's meter: loaded hours, this session's periods and open ones, per warehouse; one upsert of what changed", () => {
    const twin = new BillingTwin();
    twin.closePeriod("A", "XSMALL", d("08:00:00"), d("08:30:00")); // 0.5 credit in 08:00
    twin.closePeriod("B", "SMALL", d("08:00:00"), d("08:15:00")); // 0.5 credit in 08:00, another warehouse
    twin.chargeQuery("A", d("08:10:00"));
    twin.chargeQuery("A", d("09:10:00"), 0.25);
    const open = new Map([["A", { start: d("09:00:00"), size: "MEDIUM" }]]);
    close(twin.used(["A"], d("08:00:00"), d("09:00:00"), new Map()), 0.5);
    close(twin.used(["A", "B"], d("08:00:00"), d("09:00:00"), new Map()), 1);
    close(twin.used(["A"], d("08:00:00"), d("09:30:00"), open), 0.5 + 2, "open on MEDIUM for 30 min: 2 credits");
    close(twin.used(["A"], d("09:00:00"), d("10:00:00"), new Map()), 0, "the period is before `from`");
    close(twin.used(["A"], d("08:00:00"), d("08:10:00"), new Map()), 10 / 60, "cut at `to`: accrued so far");
    const [sql, ...rest] = twin.takePersistSql();
    assert.equal(rest.length, 0);
    assert.match(sql!, /^INSERT INTO HUB_LOCAL\.WAREHOUSE_METERING \(warehouse_name, start_time, credits_used_compute, credits_used_cloud_services\) VALUES /);
    assert.match(sql!, /ON CONFLICT \(warehouse_name, start_time\) DO UPDATE SET credits_used_compute = excluded\.credits_used_compute, credits_used_cloud_services = excluded\.credits_used_cloud_services$/);
    const rows = [...sql!.matchAll(/\('([^']*)', TIMESTAMP '([^']*)', ([^,]+), ([^)]+)\)/g)].map((m) => [m[1], m[2], Number(m[3]), Number(m[4])]).sort();
    assert.deepEqual(rows, [["A", "2026-01-05 08:00:00.000", 0.5, 0.00001], ["A", "2026-01-05 09:00:00.000", 0, 0.25], ["B", "2026-01-05 08:00:00.000", 0.5, 0]]);
    assert.deepEqual(twin.takePersistSql(), [], "nothing changed since");
    twin.chargeQuery("O'Brien", d("08:00:00"));
    assert.match(twin.takePersistSql()[0]!, /\('O''Brien', TIMESTAMP '2026-01-05 08:00:00\.000', 0, 0\.00001\)/, "a quote in a name is doubled");
  });

  // Each case below sits exactly on a rule's edge; the values come from Snowflake's documents, not
  // from the code: WAREHOUSE_METERING_HISTORY has a row per hour "in which the warehouse usage took
  // place" (https://docs.snowflake.com/en/sql-reference/account-usage/warehouse_metering_history);
  // the minimum is one minute at the warehouse's own rate; a monitor's action fires when usage
  // "reaches" its threshold (https://docs.snowflake.com/en/sql-reference/sql/create-resource-monitor).
  it("a period ending on the hour leaves no row for the next hour, and the 60-second minimum is billed at the warehouse's size", () => {
    const shape = (ps: ReturnType<typeof periodCredits>) => ps.map((p) => [p.hour.toISOString().slice(11, 19), p.seconds, Number((p.credits * 3600).toFixed(9))]);
    assert.deepEqual(shape(periodCredits(d("08:00:00"), d("09:00:00"), 1)), [["08:00:00", 3600, 3600]], "08:00–09:00: one hour, nothing at 09:00");
    assert.deepEqual(shape(periodCredits(d("08:59:00"), d("09:00:00"), 2)), [["08:00:00", 60, 120]], "the last minute before the hour");
    const twin = new BillingTwin();
    twin.closePeriod("A", "XSMALL", d("08:30:00"), d("09:00:00"));
    const hours = [...twin.takePersistSql()[0]!.matchAll(/TIMESTAMP '([^']*)'/g)].map((m) => m[1]);
    assert.deepEqual(hours, ["2026-01-05 08:00:00.000"], "the metering has no 09:00 row for a warehouse suspended at 09:00");
    // 10 s on MEDIUM (4 credits/h) is billed as 60 s at 4 credits/h: 240 credit-seconds, 1/15 credit.
    assert.deepEqual(shape(periodCredits(d("08:00:00"), d("08:00:10"), 4)), [["08:00:00", 60, 240]]);
    // 20 s on LARGE (8 credits/h) across the hour: 40 s of top-up in the hour it resumed.
    assert.deepEqual(shape(periodCredits(d("08:59:50"), d("09:00:10"), 8)), [["08:00:00", 50, 400], ["09:00:00", 10, 80]]);
  });

  it("the meter over [from, to): a resume at `to` belongs to the next interval, a suspend at `to` is billed whole, a running warehouse to the millisecond", () => {
    const twin = new BillingTwin();
    twin.closePeriod("A", "XSMALL", d("08:00:00"), new Date(d("08:01:30").getTime() + 500)); // 90.5 s: 91 started seconds
    const none = new Map<string, { start: Date; size: string }>();
    close(twin.used(["A"], d("07:00:00"), d("08:00:00"), none), 0, "resumed exactly at `to`: not in [07:00, 08:00), not even its minimum");
    close(twin.used(["A"], d("07:00:00"), d("07:30:00"), none), 0, "resumed after `to`");
    close(twin.used(["A"], d("08:00:00"), new Date(d("08:01:30").getTime() + 500), none), 91 / 3600, "suspended exactly at `to`: billed as Snowflake bills it, 91 s");
    const open = new Map([["A", { start: d("09:00:00"), size: "XSMALL" }]]);
    close(twin.used(["A"], d("09:00:00"), new Date(d("09:01:30").getTime() + 500), open), 90.5 / 3600, "still running at `to`: 90.5 s accrued, not rounded");
    close(twin.used(["A"], d("09:00:00"), d("09:00:00"), open), 0, "resumed at `to`: nothing yet");
  });

  it("a monitor's threshold is reached by credits summed in floating point: within 1e-12 counts, 2e-12 short does not", () => {
    // Ten periods of 0.1 credit sum to 0.9999999999999999 in doubles: 100 % of a 1-credit quota is reached.
    let tenTenths = 0;
    for (let i = 0; i < 10; i++) tenTenths += 0.1;
    assert.ok(tenTenths < 1);
    const spec: MonitorSpec = { name: "M", creditQuota: 1, frequency: "DAILY", startedAt: d("00:00:00"), triggers: monitorTriggers([], 100, null) };
    // A meter that steps at 09:00 (as an hour row loaded from an earlier session does).
    const fire = (usedFrom9: number, since: string) =>
      dueTriggers(spec, d("00:00:00"), new Set(), d(since), d("09:30:00"), (t) => (t >= d("09:00:00") ? usedFrom9 : 0)).map((e) => e.at.toISOString().slice(11, 23));
    assert.deepEqual(fire(tenTenths, "08:30:00"), ["09:00:00.000"], "reached at the step");
    assert.deepEqual(fire(tenTenths, "09:00:00"), ["09:00:00.000"], "reached already at `since`: fires at `since`, not a millisecond later");
    // The tolerance's own edge: 1 - 1e-12 (plus 1e-12 is exactly 1 in doubles) has reached it.
    assert.equal(1 - 1e-12 + 1e-12, 1);
    assert.deepEqual(fire(1 - 1e-12, "08:30:00"), ["09:00:00.000"], "1e-12 short: reached, at the step");
    assert.deepEqual(fire(1 - 1e-12, "09:00:00"), ["09:00:00.000"], "1e-12 short at `since`: fires at `since`");
    assert.deepEqual(fire(1 - 2e-12, "08:30:00"), [], "2e-12 short: not reached");
  });
});

describe("the meter across sessions, on DuckDB without an engine", () => {
  it("adds this session's compute to an hour an earlier session persisted, in the meter and in what it writes back", async () => {
    const db = await DuckDBInstance.create(":memory:");
    const c = await db.connect();
    try {
      for (const ddl of CONTROL_TABLES_DDL) await c.run(ddl);
      // An earlier session: warehouse A ran 08:00–08:30 on XSMALL (0.5 credit) and 07:00–07:06 (0.1).
      await c.run(`INSERT INTO HUB_LOCAL.WAREHOUSE_METERING VALUES ('A', TIMESTAMP '2026-01-05 08:00:00', 0.5, 0.001), ('A', TIMESTAMP '2026-01-05 07:00:00', 0.1, 0), ('B', TIMESTAMP '2026-01-05 08:00:00', 3, 0)`);
      const twin = new BillingTwin();
      await twin.load(c);
      close(twin.used(["A"], d("08:00:00"), d("09:00:00"), new Map()), 0.5, "the persisted hour alone");
      close(twin.used(["A"], d("07:00:00"), d("09:00:00"), new Map()), 0.6, "both persisted hours");
      close(twin.used(["A"], d("07:00:00"), d("08:00:00"), new Map()), 0.1, "an hour at `to` is outside [from, to)");
      close(twin.used(["A", "B"], d("08:00:00"), d("09:00:00"), new Map()), 3.5);
      // This session: A resumes 08:40–08:46 on SMALL, 6 minutes at 2 credits/h = 0.2 credit, in the same hour.
      twin.closePeriod("A", "SMALL", d("08:40:00"), d("08:46:00"));
      twin.chargeQuery("A", d("08:41:00"), 0.002);
      twin.chargeQuery("B", d("09:05:00"), 0.004); // a second hour in the same upsert
      close(twin.used(["A"], d("08:00:00"), d("09:00:00"), new Map()), 0.7, "persisted 0.5 + this session's 0.2");
      await twin.persist(c);
      const rows = (await c.runAndReadAll("SELECT warehouse_name, strftime(start_time, '%H:%M'), credits_used_compute, credits_used_cloud_services FROM HUB_LOCAL.WAREHOUSE_METERING ORDER BY 1, 2")).getRowsJS();
      assert.deepEqual(rows.map(([w, h, compute, cloud]) => [w, h, Number((compute as number).toFixed(9)), Number((cloud as number).toFixed(9))]), [
        ["A", "07:00", 0.1, 0],
        ["A", "08:00", 0.7, 0.003],
        ["B", "08:00", 3, 0],
        ["B", "09:00", 0, 0.004],
      ]);
      // A third session sees the hour as the second left it.
      const next = new BillingTwin();
      await next.load(c);
      close(next.used(["A"], d("08:00:00"), d("09:00:00"), new Map()), 0.7);
      await next.persist(c);
      assert.equal((await c.runAndReadAll("SELECT count(*) FROM HUB_LOCAL.WAREHOUSE_METERING")).getRowsJS()[0]![0], 4n, "nothing to write, nothing written");
    } finally {
      c.closeSync();
      db.closeSync();
    }
  });
});
