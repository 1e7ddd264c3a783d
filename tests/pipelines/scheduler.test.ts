/**
 * The local control plane's semantics: dynamic tables refresh when their target lag is due and
 * not before; a child task runs only after its parent succeeded; a stream is consumed exactly
 * once, and not at all by a run that failed; warehouses resume on use and suspend when idle.
 */
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { adminQuery, reading, testEngine } from "../helpers/engine.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import type { SimulatedClock } from "../../pipelines/engine/clock.ts";
import { MACHINE_UTILIZATION_HOURLY } from "../../pipelines/definitions/gold.ts";
import { dueSlot } from "../../pipelines/engine/taskRunner.ts";

const machineReading = (seq: number, ts: string) =>
  reading("acme", "m1", "MACHINE", seq, ts, { state: "RUNNING", period_s: 1, cycles: 0, good_parts: 0, ideal_cycle_s: 30 });

describe("scheduler", () => {
  let engine: EmbeddedEngine;
  let clock: SimulatedClock;
  beforeEach(async () => ({ engine, clock } = await testEngine("2026-01-05T08:00:00Z")));
  afterEach(() => engine.close());

  it("does not refresh a dynamic table before its target lag is due, and does after", async () => {
    const name = "ANALYTICS.MACHINE_UTILIZATION_HOURLY"; // TARGET_LAG 5 minutes
    assert.equal(MACHINE_UTILIZATION_HOURLY.targetLag, "5 minutes");
    const first = await engine.tick(); // never refreshed: due at once
    assert.ok(first.refreshes.some((r) => r.name === name));
    await engine.land({ readings: [machineReading(1, "2026-01-05T08:00:00")] });
    clock.advance(4 * 60_000 + 59_000);
    const early = await engine.tick();
    assert.ok(!early.refreshes.some((r) => r.name === name), "refreshed before its lag was due");
    assert.equal((await adminQuery(engine, `SELECT COUNT(*) AS n FROM ${name}`))[0]!.n, 0);
    clock.advance(1_000);
    const due = await engine.tick();
    const r = due.refreshes.find((x) => x.name === name);
    assert.equal(r?.action, "INCREMENTAL");
    assert.equal((await adminQuery(engine, `SELECT COUNT(*) AS n FROM ${name}`))[0]!.n, 1);
  });

  it("records NO_DATA and uses no warehouse when nothing new arrived", async () => {
    const init = await engine.tick(); // initialises every dynamic table (a FULL refresh each)
    assert.ok(init.refreshes.every((x) => x.action === "FULL"));
    const resumes = async () =>
      (await adminQuery(engine, "SELECT * FROM HUB_LOCAL.WAREHOUSE_EVENTS_HISTORY WHERE event_name = 'RESUME_WAREHOUSE'")).length;
    const before = await resumes();
    clock.advance(10 * 60_000);
    const r = await engine.tick();
    assert.ok(r.refreshes.length > 0 && r.refreshes.every((x) => x.action === "NO_DATA"));
    assert.ok(r.tasks.every((t) => t.state === "SKIPPED"), "the root's WHEN is false without new data");
    assert.equal(await resumes(), before, "no warehouse resumed for a tick with nothing to do");
  });

  it("runs a child task only when its parent succeeded", async () => {
    await engine.land({ readings: [machineReading(1, "2026-01-05T08:00:00")] });
    const admin = await engine.admin();
    await admin.execute("ALTER TABLE CORE.METRIC_RULES RENAME TO METRIC_RULES_AWAY"); // breaks VALIDATE_READINGS
    clock.advance(60_000);
    // The validate graph alone: the other roots (device messages, operator notes) have their own streams.
    const VALIDATE_GRAPH = ["OPS.VALIDATE_READINGS", "OPS.SCORE_READINGS", "OPS.RAISE_ALERTS"];
    const validateGraph = (r: { tasks: Array<{ name: string; state: string }> }) => r.tasks.filter((t) => VALIDATE_GRAPH.includes(t.name));
    const failed = await engine.tick();
    assert.deepEqual(validateGraph(failed).map((t) => [t.name, t.state]), [["OPS.VALIDATE_READINGS", "FAILED"]]);
    const history = await admin.query(`SELECT name, state, error_code FROM HUB_LOCAL.TASK_HISTORY WHERE name IN (${VALIDATE_GRAPH.map((n) => `'${n}'`).join(", ")})`);
    assert.deepEqual(history, [{ name: "OPS.VALIDATE_READINGS", state: "FAILED", error_code: "002003" }]);
    await admin.execute("ALTER TABLE CORE.METRIC_RULES_AWAY RENAME TO METRIC_RULES");
    clock.advance(60_000);
    const ok = await engine.tick();
    assert.deepEqual(validateGraph(ok).map((t) => [t.name, t.state]), [
      ["OPS.VALIDATE_READINGS", "SUCCEEDED"], ["OPS.SCORE_READINGS", "SUCCEEDED"], ["OPS.RAISE_ALERTS", "SUCCEEDED"],
    ]);
    await admin.close();
  });

  it("consumes a stream exactly once, and not at all in a run that failed", async () => {
    await engine.land({ readings: [machineReading(1, "2026-01-05T08:00:00"), machineReading(2, "2026-01-05T08:00:01")] });
    const admin = await engine.admin();
    // The silver insert fails after the quarantine and quality-log statements ran: the whole run rolls back.
    await admin.execute("ALTER TABLE CORE.SENSOR_READINGS_NORMALIZED RENAME TO NORMALIZED_AWAY");
    clock.advance(60_000);
    const failed = await engine.tick();
    assert.equal(failed.tasks.find((t) => t.name === "OPS.VALIDATE_READINGS")?.state, "FAILED");
    await admin.execute("ALTER TABLE CORE.NORMALIZED_AWAY RENAME TO SENSOR_READINGS_NORMALIZED");
    assert.equal((await admin.query("SELECT COUNT(*) AS n FROM RAW.SENSOR_READINGS_STREAM"))[0]!.n, 2, "the stream did not move");
    assert.equal((await admin.query("SELECT COUNT(*) AS n FROM OPS.DATA_QUALITY_LOG"))[0]!.n, 0, "nothing of the failed run was kept");
    await engine.land({ readings: [machineReading(3, "2026-01-05T08:00:02")] });
    for (let i = 0; i < 3; i++) {
      clock.advance(60_000);
      await engine.tick();
    }
    const [n] = await admin.query<{ n: number; d: number }>(
      "SELECT COUNT(*) AS n, COUNT(DISTINCT seq) AS d FROM CORE.SENSOR_READINGS_NORMALIZED",
    );
    assert.deepEqual(n, { n: 15, d: 3 }, "three readings of five metrics, each once");
    const [dups] = await admin.query<{ d: number | null }>("SELECT SUM(duplicates) AS d FROM OPS.DATA_QUALITY_LOG");
    assert.equal(dups!.d, 0);
    await admin.close();
  });

  it("resumes a warehouse on use and suspends it after its auto-suspend idle time", async () => {
    await engine.land({ readings: [machineReading(1, "2026-01-05T08:00:00")] });
    clock.advance(60_000);
    await engine.tick(); // 08:01 tasks and refreshes run
    clock.advance(59_000);
    await engine.tick(); // 60 s auto-suspend not yet reached for work that ended just after 08:01
    let events = await adminQuery(engine, "SELECT warehouse_name, event_name FROM HUB_LOCAL.WAREHOUSE_EVENTS_HISTORY ORDER BY \"timestamp\", warehouse_name");
    assert.deepEqual(events.map((e) => e.event_name), ["RESUME_WAREHOUSE", "RESUME_WAREHOUSE"]);
    clock.advance(10_000);
    await engine.tick();
    events = await adminQuery(engine, "SELECT warehouse_name, event_name, \"timestamp\" AS t FROM HUB_LOCAL.WAREHOUSE_EVENTS_HISTORY WHERE event_name = 'SUSPEND_WAREHOUSE'");
    assert.equal(events.length, 2);
    for (const e of events) {
      const t = (e.t as Date).getTime();
      // Suspended 60 s after its last statement ended, not when the tick noticed.
      assert.ok(t >= Date.parse("2026-01-05T08:02:00Z") && t < Date.parse("2026-01-05T08:02:05Z"), String(e.t));
    }
  });

  it("collapses missed schedule slots into one run, as Snowflake does", () => {
    const last = new Date("2026-01-05T08:00:00Z");
    assert.equal(dueSlot(last, 60_000, new Date("2026-01-05T08:00:59Z")), null);
    assert.equal(dueSlot(last, 60_000, new Date("2026-01-05T08:05:30Z"))?.toISOString(), "2026-01-05T08:05:00.000Z");
    assert.equal(dueSlot(null, 60_000, last)?.toISOString(), last.toISOString());
  });
});
