/** The what-if model: monthly credits from schedules and auto-suspend, trigger days, and warnings. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { whatIf } from "../../pipelines/cost/whatIf.ts";
import { platformWarehouses } from "../../infra/costForecast.ts";
import { DYNAMIC_TABLES } from "../../pipelines/definitions/catalog.ts";
import { qualifiedName } from "../../pipelines/definitions/types.ts";
import { refreshModeOf } from "../../pipelines/cost/costReport.ts";

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `expected ${b}, got ${a}`);

describe("what-if", () => {
  it("keeps an X-Small awake all day under a task every minute and a 10-minute auto-suspend, and says so", () => {
    const r = whatIf({
      name: "TENANT_WH", size: "XSMALL", autoSuspendSeconds: 600,
      workloads: [{ name: "task OPS.VALIDATE_READINGS", everySeconds: 60, runSeconds: 2 }],
      monitor: { name: "M", creditQuota: 300, frequency: "MONTHLY", triggers: [{ percent: 75, action: "NOTIFY" }, { percent: 100, action: "SUSPEND" }] },
    });
    close(r.monthlyCredits, 24 * 30); // 1 credit/h, all day, 30 days
    close(r.awakeShare, 1);
    assert.equal(r.resumesPerDay, 1);
    assert.match(r.warnings[0]!, /never sleeps/);
    close(r.triggers[0]!.firesAfterDays!, 225 / 24); // 75 % of 300 credits at 24 a day
    close(r.triggers[1]!.firesAfterDays!, 300 / 24);
  });

  it("bills each wake-up at least 60 s when runs are further apart than the auto-suspend", () => {
    const r = whatIf({ name: "W", size: "SMALL", autoSuspendSeconds: 60, workloads: [{ name: "refresh X", everySeconds: 3600, runSeconds: 5 }] });
    // 24 wake-ups a day, each 5 s + 60 s idle = 65 s billed at 2 credits/h.
    assert.equal(r.resumesPerDay, 24);
    close(r.monthlyCredits, ((24 * 65 * 2) / 3600) * 30);
    assert.deepEqual(r.warnings, []);
  });

  it("merges workloads that keep each other's warehouse awake", () => {
    const r = whatIf({
      name: "W", size: "XSMALL", autoSuspendSeconds: 60,
      workloads: [{ name: "a", everySeconds: 300, runSeconds: 10 }, { name: "b", everySeconds: 300, runSeconds: 100 }],
    });
    // Both start together every 5 min: one period of 100 s + 60 s idle, 288 times a day.
    assert.equal(r.resumesPerDay, 288);
    close(r.monthlyCredits, ((288 * 160) / 3600) * 30);
  });

  it("warns once per warehouse that never sleeps, naming every workload that keeps it awake", () => {
    const r = whatIf({
      name: "HUB_X_WH", size: "XSMALL", autoSuspendSeconds: 60,
      workloads: [{ name: "task A", everySeconds: 60, runSeconds: 8 }, { name: "refresh B", everySeconds: 60, runSeconds: 2 }, { name: "refresh C", everySeconds: 300, runSeconds: 2 }],
    });
    assert.equal(r.warnings.length, 1);
    // Gaps: A 52 s, B 58 s (both within the 60 s auto-suspend); C's 298 s is not.
    assert.equal(
      r.warnings[0],
      "HUB_X_WH never sleeps (24 credits a day): task A, refresh B run every 60 s and it suspends only after 60 s idle. " +
        "Run them less often than every 68 s, or lower AUTO_SUSPEND below 52 s (each resume still bills at least 60 s).",
    );
  });

  it("warns when a monitor suspends the warehouse before its interval ends, with the quota it would need", () => {
    // 288 wake-ups a day of 5 s + 60 s idle on X-Small: 288 × 65 / 3600 = 5.2 credits a day, 156 a 30-day month.
    const r = whatIf({
      name: "TENANT_ACME_BI_WH", size: "XSMALL", autoSuspendSeconds: 60, workloads: [{ name: "BI queries", everySeconds: 300, runSeconds: 5 }],
      monitor: { name: "TENANT_ACME_BI_MONITOR", creditQuota: 50, frequency: "MONTHLY", triggers: [{ percent: 75, action: "NOTIFY" }, { percent: 100, action: "SUSPEND" }, { percent: 110, action: "SUSPEND_IMMEDIATE" }] },
    });
    close(r.monthlyCredits, 156);
    close(r.triggers[1]!.firesAfterDays!, 50 / 5.2); // day 9.6
    assert.deepEqual(r.warnings, [
      "TENANT_ACME_BI_WH is suspended by TENANT_ACME_BI_MONITOR (SUSPEND at 100%) on day 9.6 of the 30-day month: it needs 156 credits there against a quota of 50. " +
        "Raise the quota above 156 credits, or cut its load (288 resumes a day, awake 22%).",
    ]);
    // With room for the month, no warning; NOTIFY alone never warns.
    const roomy = whatIf({ ...{ name: "W", size: "XSMALL", autoSuspendSeconds: 60, workloads: [{ name: "BI", everySeconds: 300, runSeconds: 5 }] },
      monitor: { name: "M", creditQuota: 200, frequency: "MONTHLY", triggers: [{ percent: 75, action: "NOTIFY" }, { percent: 100, action: "SUSPEND" }] } });
    assert.deepEqual(roomy.warnings, []);
  });

  it("reports a trigger that will not fire within its interval as null", () => {
    const r = whatIf({
      name: "W", size: "XSMALL", autoSuspendSeconds: 60, workloads: [{ name: "a", everySeconds: 86_400, runSeconds: 1 }],
      monitor: { name: "M", creditQuota: 100, frequency: "DAILY", triggers: [{ percent: 50, action: "NOTIFY" }] },
    });
    assert.equal(r.triggers[0]!.firesAfterDays, null);
  });

  it("says which refreshes run in full, whose run time grows with the table, and lists every refresh's mode", () => {
    const r = whatIf({
      name: "W", size: "XSMALL", autoSuspendSeconds: 60,
      workloads: [
        { name: "refresh A.INC", everySeconds: 3600, runSeconds: 2, refreshMode: "INCREMENTAL" },
        { name: "refresh A.ALL", everySeconds: 3600, runSeconds: 4, refreshMode: "FULL" },
        { name: "task B", everySeconds: 3600, runSeconds: 1 },
      ],
    });
    assert.deepEqual(r.refreshes, [{ name: "refresh A.INC", mode: "INCREMENTAL" }, { name: "refresh A.ALL", mode: "FULL" }]);
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0]!, /^refresh A\.ALL is a FULL refresh: every run reprocesses the whole table, so its 4\.0 s a run grows with the data/);
  });

  it("the platform forecast carries each dynamic table's declared refresh mode, and the cost report's refresh drivers too", () => {
    const refreshes = platformWarehouses().flatMap((w) => w.workloads.filter((l) => l.name.startsWith("refresh ")));
    assert.equal(refreshes.length, DYNAMIC_TABLES.length);
    for (const t of DYNAMIC_TABLES) {
      assert.equal(refreshes.find((l) => l.name === `refresh ${qualifiedName(t)}`)?.refreshMode, t.refreshMode.mode, qualifiedName(t));
      assert.equal(refreshModeOf(`refresh:${qualifiedName(t)}`), t.refreshMode.mode);
    }
    assert.equal(refreshModeOf("task:OPS.VALIDATE_READINGS"), null);
    assert.equal(refreshModeOf("refresh:ANALYTICS.NO_SUCH_TABLE"), null);
  });
});
