/**
 * Reading SHOW WAREHOUSES and SHOW RESOURCE MONITORS as Snowflake prints them (the columns and forms
 * the Terraform provider reads: pkg/sdk/warehouses.go ToWarehouseSize, pkg/sdk/resource_monitors.go
 * resourceMonitorRow and extractTriggerInts), and a monitor's current interval from its frequency
 * and start (https://docs.snowflake.com/en/sql-reference/sql/create-resource-monitor).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { currentInterval, monitorsFromShow, showTimestamp, warehouseSize, warehousesFromShow, type MonitorInfo } from "../../pipelines/cost/accountObjects.ts";

describe("SHOW output for the cost report", () => {
  it("knows every warehouse size SHOW WAREHOUSES prints, and says null for one it does not know", () => {
    const shown = ["X-Small", "Small", "Medium", "Large", "X-Large", "2X-Large", "3X-Large", "4X-Large", "5X-Large", "6X-Large"];
    assert.deepEqual(shown.map(warehouseSize), ["XSMALL", "SMALL", "MEDIUM", "LARGE", "XLARGE", "XXLARGE", "XXXLARGE", "X4LARGE", "X5LARGE", "X6LARGE"]);
    assert.equal(warehouseSize("XXLARGE"), "XXLARGE", "the CREATE WAREHOUSE spelling too");
    assert.equal(warehouseSize("7X-Large"), null);
    const [w] = warehousesFromShow([{ name: "ADHOC_WH", size: "7X-Large", resource_monitor: "null" }]);
    assert.deepEqual(w, { name: "ADHOC_WH", size: null, sizeShown: "7X-Large", resourceMonitor: null });
  });

  it("reads a monitor's triggers, quota and times as SHOW prints them", () => {
    const [m] = monitorsFromShow([{
      name: "BI_MON", credit_quota: "50.00", used_credits: "12.5", frequency: "MONTHLY", start_time: "2026-01-01 00:00:00.000 -0800", end_time: "",
      notify_at: "75%,90%", suspend_at: "100%", suspend_immediately_at: "110%",
    }]);
    assert.deepEqual({ ...m, startedAt: m!.startedAt?.toISOString() }, {
      name: "BI_MON", creditQuota: 50, usedCredits: 12.5, frequency: "MONTHLY", startedAt: "2026-01-01T08:00:00.000Z", endsAt: null,
      notifyAt: [75, 90], suspendAt: [100], suspendImmediateAt: [110],
    });
    assert.equal(showTimestamp("2026-01-05 10:00:00 +0130")?.toISOString(), "2026-01-05T08:30:00.000Z");
    assert.throws(() => showTimestamp("yesterday"), /"yesterday"/);
    assert.throws(() => monitorsFromShow([{ name: "M", frequency: "HOURLY" }]), /HOURLY/);
    assert.throws(() => monitorsFromShow([{ name: "M", notify_at: "lots" }]), /"lots"/);
  });

  const monitor = (over: Partial<MonitorInfo>): MonitorInfo => ({
    name: "M", creditQuota: 10, usedCredits: 0, frequency: "MONTHLY", startedAt: new Date("2026-01-15T10:00:00Z"), endsAt: null,
    notifyAt: [], suspendAt: [], suspendImmediateAt: [], ...over,
  });
  const iso = (i: { start: Date; end: Date | null }) => [i.start.toISOString(), i.end?.toISOString() ?? null];

  it("derives the current interval from the frequency and the start, ends it at END_TIMESTAMP, and leaves a never-resetting one open", () => {
    const now = new Date("2026-03-20T12:00:00Z");
    // Counted from the start's UTC midnight: month by month from the 15th.
    assert.deepEqual(iso(currentInterval(monitor({}), now)), ["2026-03-15T00:00:00.000Z", "2026-04-15T00:00:00.000Z"]);
    assert.deepEqual(iso(currentInterval(monitor({ frequency: "WEEKLY" }), now)), ["2026-03-19T00:00:00.000Z", "2026-03-26T00:00:00.000Z"]);
    assert.deepEqual(iso(currentInterval(monitor({ frequency: "DAILY" }), now)), ["2026-03-20T00:00:00.000Z", "2026-03-21T00:00:00.000Z"]);
    assert.deepEqual(iso(currentInterval(monitor({ endsAt: new Date("2026-04-01T00:00:00Z") }), now)), ["2026-03-15T00:00:00.000Z", "2026-04-01T00:00:00.000Z"]);
    assert.deepEqual(iso(currentInterval(monitor({ frequency: "NEVER" }), now)), ["2026-01-15T00:00:00.000Z", null]);
    assert.deepEqual(iso(currentInterval(monitor({ frequency: "NEVER", endsAt: new Date("2026-06-01T00:00:00Z") }), now)), ["2026-01-15T00:00:00.000Z", "2026-06-01T00:00:00.000Z"]);
    assert.deepEqual(iso(currentInterval(monitor({ startedAt: null }), now)), ["2026-03-01T00:00:00.000Z", "2026-04-01T00:00:00.000Z"]);
  });
});
