/**
 * SNOWFLAKE.ACCOUNT_USAGE.TASK_HISTORY and DYNAMIC_TABLE_REFRESH_HISTORY on the twin, as an engineer
 * uses them: the failing tasks are one query away, through the same Snowflake SQL session
 * `scripts/sql.ts` opens; only completed runs are in the view; rows arrive after the documented
 * latency (45 minutes, 3 hours: https://docs.snowflake.com/en/sql-reference/account-usage); no
 * tenant reads them. Their columns against the pages: accountUsageContract.test.ts; every role ×
 * view: accountUsageAccess.test.ts.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import { SimulatedClock } from "../../pipelines/engine/clock.ts";
import { loadFixture, FIXTURE_READINGS } from "./fixture.ts";
import { accountAdminQuery } from "../helpers/engine.ts";
import { ACCOUNT_USAGE_VIEWS } from "../../pipelines/definitions/accountUsageViews.ts";
import { ADMIN_ROLE, PIPELINE_ROLE, tenantRoleName } from "../../pipelines/definitions/governance.ts";
import { SnowflakeSession } from "../../pipelines/sql/snowflakeSession.ts";
import { HubSqlError } from "../../pipelines/warehouse/errors.ts";

const MINUTE = 60_000;
const FAILING = "SELECT name, state, error_message FROM SNOWFLAKE.ACCOUNT_USAGE.TASK_HISTORY WHERE state = 'FAILED'";
const SCHEMA_REFUSED = /^SQL compilation error:\nSchema 'SNOWFLAKE\.ACCOUNT_USAGE' does not exist or not authorized\.$/;
const sqlTime = (d: Date) => `TIMESTAMP '${d.toISOString().replace("T", " ").replace("Z", "")}'`;

describe("the twin's ACCOUNT_USAGE.TASK_HISTORY and DYNAMIC_TABLE_REFRESH_HISTORY", () => {
  let engine: EmbeddedEngine;
  let clock: SimulatedClock;
  before(async () => {
    clock = new SimulatedClock("2026-01-05T08:00:00Z");
    engine = await EmbeddedEngine.open({ clock, simulateUsageLatency: true });
    // 09:30: the fixture's run (every dynamic table's first refresh, the task graphs).
    await loadFixture(engine, clock);
    await engine.grantTenantRole("acme");
    // Past both latencies, then a run whose VALIDATE_READINGS fails (its rules table is away, as
    // scheduler.test.ts breaks it), so each view has rows on both sides of its cut-off.
    clock.advance(3 * 60 * MINUTE + 10 * MINUTE);
    await engine.tick();
    const admin = await engine.admin();
    try {
      await admin.execute("ALTER TABLE CORE.METRIC_RULES RENAME TO METRIC_RULES_AWAY");
      await engine.land({ readings: [{ ...FIXTURE_READINGS[0]!, seq: 100, messageId: "m1-100", channelOffset: 100 }] });
      clock.advance(MINUTE);
      const run = await engine.tick();
      assert.equal(run.tasks.find((t) => t.name === "OPS.VALIDATE_READINGS")?.state, "FAILED", "the broken run fails");
    } finally {
      await admin.execute("ALTER TABLE CORE.METRIC_RULES_AWAY RENAME TO METRIC_RULES");
      await admin.close();
    }
  });
  after(() => engine.close());

  /** As HUB_ADMIN, with or without the simulated latency. */
  const asAdmin = async <T>(usageLatency: boolean, sql: string): Promise<T[]> => {
    const s = await engine.session({ role: ADMIN_ROLE, usageLatency });
    try {
      return (await s.query(sql)) as T[];
    } finally {
      await s.close();
    }
  };

  it("lists every run the engine recorded, the failing one with its error, under Snowflake's names", async () => {
    // Through a role's session rows come keyed by lower-case column name.
    type Row = { name: string; schema_name: string; database_name: string; state: string; error_code: string | null; error_message: string | null; scheduled_time: Date; run_id: number; attempt_number: number };
    const view = await asAdmin<Row>(false, "SELECT * FROM SNOWFLAKE.ACCOUNT_USAGE.TASK_HISTORY ORDER BY SCHEDULED_TIME, SCHEMA_NAME, NAME");
    const recorded = await asAdmin<{ name: string; state: string; error_code: string | null; error_message: string | null }>(false,
      "SELECT name, state, error_code, error_message FROM HUB_LOCAL.TASK_HISTORY ORDER BY scheduled_time, name");
    assert.deepEqual(
      view.map((r) => [`${r.schema_name}.${r.name}`, r.state, r.error_code, r.error_message]),
      recorded.map((r) => [r.name, r.state, r.error_code, r.error_message]),
    );
    const states = new Set(view.map((r) => r.state));
    assert.ok(states.has("SUCCEEDED") && states.has("FAILED") && states.has("SKIPPED"), [...states].join());
    const failed = view.filter((r) => r.state === "FAILED");
    assert.deepEqual(failed.map((r) => [r.schema_name, r.name, r.error_code]), [["OPS", "VALIDATE_READINGS", "002003"]]);
    assert.match(failed[0]!.error_message ?? "", /METRIC_RULES/);
    // The database as a Snowflake session names it; RUN_ID the root's scheduled time in epoch ms.
    const s = await SnowflakeSession.open(engine, { user: "engineer", role: ADMIN_ROLE });
    const [current] = await s.execute("SELECT CURRENT_DATABASE()").finally(() => s.close());
    const db = current!.rows[0]![0];
    for (const r of view) {
      assert.equal(r.database_name, db);
      assert.equal(Number(r.run_id), r.scheduled_time.getTime(), `${r.name} RUN_ID`);
      assert.equal(Number(r.attempt_number), 1);
    }
  });

  it("shows only completed runs: a scheduled or executing one is in INFORMATION_SCHEMA.TASK_HISTORY(), not in the view", async () => {
    const c = await engine.rawConnection();
    try {
      await c.run(`INSERT INTO HUB_LOCAL.TASK_HISTORY VALUES
        (9001, 'OPS.IN_FLIGHT', ${sqlTime(clock.now())}, NULL, NULL, 'SCHEDULED', NULL, NULL, 'HUB_TRANSFORM_WH'),
        (9002, 'OPS.IN_FLIGHT', ${sqlTime(clock.now())}, ${sqlTime(clock.now())}, NULL, 'EXECUTING', NULL, NULL, 'HUB_TRANSFORM_WH')`);
      const view = await asAdmin<{ n: number }>(false, "SELECT COUNT(*) AS n FROM SNOWFLAKE.ACCOUNT_USAGE.TASK_HISTORY WHERE NAME = 'IN_FLIGHT'");
      assert.equal(Number(view[0]!.n), 0);
      const s = await SnowflakeSession.open(engine, { user: "engineer", role: ADMIN_ROLE });
      try {
        const [fn] = await s.execute("SELECT state FROM TABLE(INFORMATION_SCHEMA.TASK_HISTORY(TASK_NAME => 'IN_FLIGHT')) ORDER BY state");
        assert.deepEqual(fn!.rows, [["EXECUTING"], ["SCHEDULED"]]);
      } finally {
        await s.close();
      }
    } finally {
      await c.run("DELETE FROM HUB_LOCAL.TASK_HISTORY WHERE name = 'OPS.IN_FLIGHT'");
      c.closeSync();
    }
  });

  it("each view hides the runs and refreshes younger than its documented latency, and only those", async () => {
    // As documented: the account-usage index's Latency column and the database-role table
    // (https://docs.snowflake.com/en/sql-reference/snowflake-db-roles).
    assert.deepEqual(
      ["TASK_HISTORY", "DYNAMIC_TABLE_REFRESH_HISTORY"].map((v) => [v, ACCOUNT_USAGE_VIEWS[v]!.latencyMs / MINUTE, ACCOUNT_USAGE_VIEWS[v]!.databaseRoles.join()]),
      [["TASK_HISTORY", 45, "USAGE_VIEWER"], ["DYNAMIC_TABLE_REFRESH_HISTORY", 180, "USAGE_VIEWER"]],
    );
    const now = clock.now();
    for (const [view, column] of [["TASK_HISTORY", "COMPLETED_TIME"], ["DYNAMIC_TABLE_REFRESH_HISTORY", "REFRESH_END_TIME"]] as const) {
      assert.equal(ACCOUNT_USAGE_VIEWS[view]!.completedAt, column);
      const cutoff = new Date(now.getTime() - ACCOUNT_USAGE_VIEWS[view]!.latencyMs);
      const [all] = await accountAdminQuery<{ n: number; older: number }>(engine,
        `SELECT COUNT(*) AS n, COUNT(*) FILTER (WHERE ${column} <= ${sqlTime(cutoff)}) AS older FROM SNOWFLAKE.ACCOUNT_USAGE.${view}`);
      assert.ok(all!.older > 0 && all!.n > all!.older, `${view}: rows on both sides of the cut-off (${all!.older} of ${all!.n})`);
      const [lagged] = await asAdmin<{ n: number; newest: Date }>(true, `SELECT COUNT(*) AS n, MAX(${column}) AS newest FROM SNOWFLAKE.ACCOUNT_USAGE.${view}`);
      assert.equal(Number(lagged!.n), all!.older, `${view} shows exactly the rows older than its latency`);
      assert.ok(lagged!.newest <= cutoff, view);
    }
  });

  it("tenant roles and the pipeline's role are refused both views with Snowflake's error", async () => {
    for (const role of [tenantRoleName("acme"), PIPELINE_ROLE]) {
      const s = await SnowflakeSession.open(engine, { user: "someone", role });
      try {
        for (const sql of [FAILING, "SELECT * FROM snowflake.account_usage.dynamic_table_refresh_history", 'SELECT COUNT(*) FROM "SNOWFLAKE"."ACCOUNT_USAGE"."TASK_HISTORY"']) {
          await assert.rejects(s.execute(sql), (e: unknown) => e instanceof HubSqlError && e.code === "002003" && SCHEMA_REFUSED.test(e.message), `${role}: ${sql}`);
        }
      } finally {
        await s.close();
      }
    }
  });

  // Last: it moves the clock.
  it("the query an engineer types for failing tasks runs unchanged through the Snowflake SQL session, once the run is 45 minutes old", async () => {
    const [failed] = await accountAdminQuery<{ completed: Date }>(engine, "SELECT completed_time AS completed FROM HUB_LOCAL.TASK_HISTORY WHERE state = 'FAILED'");
    const completed = failed!.completed;
    const s = await SnowflakeSession.open(engine, { user: "engineer", role: ADMIN_ROLE });
    try {
      clock.set(new Date(completed.getTime() + 44 * MINUTE));
      const [young] = await s.execute(FAILING);
      assert.deepEqual(young!.columns, ["NAME", "STATE", "ERROR_MESSAGE"]);
      assert.deepEqual(young!.rows, [], "a run younger than the latency is not there yet");
      clock.set(new Date(completed.getTime() + 45 * MINUTE));
      const [old] = await s.execute(FAILING);
      assert.equal(old!.rows.length, 1);
      assert.deepEqual(old!.rows[0]!.slice(0, 2), ["VALIDATE_READINGS", "FAILED"]);
      assert.match(String(old!.rows[0]![2]), /METRIC_RULES/);
      // And the refreshes, as Snowflake's own example asks for them.
      const [refreshes] = await s.execute(
        "SELECT name, state, refresh_action FROM snowflake.account_usage.dynamic_table_refresh_history WHERE state = 'SUCCEEDED' AND data_timestamp >= DATEADD(week, -1, CURRENT_DATE()) ORDER BY data_timestamp DESC LIMIT 10",
      );
      assert.ok(refreshes!.rows.length > 0 && refreshes!.rows.some((r) => r[2] === "FULL"), JSON.stringify(refreshes!.rows));
    } finally {
      await s.close();
    }
  });
});
