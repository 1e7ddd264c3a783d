/**
 * A tick that refreshes the dynamic tables beside the task graphs (the main job's fleet phase)
 * ends, once an ordinary tick has caught up, with exactly the tables an ordinary engine has:
 * nothing lost or doubled by reading silver while the validate task writes it.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { adminQuery, canonicalRows as rows, testEngine } from "../helpers/engine.ts";
import { DYNAMIC_TABLES } from "../../pipelines/definitions/catalog.ts";
import { qualifiedName } from "../../pipelines/definitions/types.ts";
import { SyntheticFleet, type TenantFleetSpec } from "../../edge/syntheticFleet.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import type { SimulatedClock } from "../../pipelines/engine/clock.ts";

const SPEC: TenantFleetSpec[] = [
  { tenantId: "acme", sites: [{ siteId: "p1", machines: 2, energyMeters: 1, airSensors: 1, stations: ["a", "b", "c"], jobsPerHour: 20, bottleneck: "b" }] },
  { tenantId: "globex", sites: [{ siteId: "g1", machines: 1, energyMeters: 1, airSensors: 1, stations: ["x", "y"], jobsPerHour: 10 }] },
];

describe("tick with refreshes beside the task graphs", () => {
  let ordinary: EmbeddedEngine;
  let overlapped: EmbeddedEngine;
  let clockA: SimulatedClock;
  let clockB: SimulatedClock;
  before(async () => {
    const start = "2026-01-05T07:40:00Z";
    ({ engine: ordinary, clock: clockA } = await testEngine(start));
    ({ engine: overlapped, clock: clockB } = await testEngine(start));
  });
  after(async () => {
    await ordinary.close();
    await overlapped.close();
  });

  it("ends with the same dynamic tables as ordinary ticks, with no failed refresh", async () => {
    const fleet = new SyntheticFleet(SPEC, 5, clockA.now());
    let refreshedBeside = 0;
    for (let batch = 0; batch < 6; batch++) {
      const to = new Date(clockA.now().getTime() + 10 * 60_000);
      const readings = fleet.readingsUntil(to);
      const scans = fleet.scansUntil(to);
      // A machine that reports DOWN in every batch, so the alert task and ANALYTICS.ALERTS have rows too.
      const m = readings.find((r) => r.sensorType === "MACHINE")!;
      const payload = m.payload as { metrics: Record<string, unknown> };
      readings.push({ ...m, seq: 2_000_000 + batch, messageId: `down-${batch}`, payload: { ...payload, metrics: { ...payload.metrics, state: "DOWN" } } });
      for (const [engine, clock] of [[ordinary, clockA], [overlapped, clockB]] as const) {
        clock.set(to);
        await engine.land({ readings, scans });
      }
      await ordinary.tick();
      const r = await overlapped.tick({ refreshBesideTasks: true });
      assert.deepEqual(r.refreshes.filter((x) => x.action === "FAILED"), [], `batch ${batch}: no refresh fails`);
      assert.ok(r.tasks.some((t) => t.name === "OPS.VALIDATE_READINGS" && t.state === "SUCCEEDED"), `batch ${batch}: the task graph ran`);
      refreshedBeside += r.refreshes.filter((x) => x.action === "INCREMENTAL" || x.action === "FULL").length;
    }
    assert.ok(refreshedBeside > 0, "the overlapped ticks refreshed tables");
    // Ordinary ticks past every target lag: both engines catch up.
    for (const [engine, clock] of [[ordinary, clockA], [overlapped, clockB]] as const) await engine.runUntil(new Date(clock.now().getTime() + 6 * 60_000));
    assert.deepEqual(await rows(overlapped, "CORE.SENSOR_READINGS_NORMALIZED"), await rows(ordinary, "CORE.SENSOR_READINGS_NORMALIZED"));
    for (const t of DYNAMIC_TABLES) {
      const name = qualifiedName(t);
      const got = await rows(overlapped, name);
      assert.ok(got.length > 0, `${name} has rows`);
      assert.deepEqual(got, await rows(ordinary, name), name);
    }
    const failed = await adminQuery(overlapped, "SELECT name, error_message FROM HUB_LOCAL.DYNAMIC_TABLE_REFRESH_HISTORY WHERE state = 'FAILED'");
    assert.deepEqual(failed, []);
  });
});

describe("tick's onTaskUnderway", () => {
  it("is called once, while the tick still runs, when its first task has opened; not at all when every graph is skipped", async () => {
    const { engine, clock } = await testEngine("2026-01-05T07:40:00Z");
    try {
      const fleet = new SyntheticFleet(SPEC, 5, clock.now());
      const to = new Date(clock.now().getTime() + 10 * 60_000);
      await engine.land({ readings: fleet.readingsUntil(to), scans: fleet.scansUntil(to) });
      clock.set(to);
      const events: string[] = [];
      const tick = engine.tick({ refreshBesideTasks: true, onTaskUnderway: () => events.push("underway") });
      const report = await tick.then((r) => (events.push("tick done"), r));
      assert.deepEqual(events, ["underway", "tick done"]);
      assert.ok(report.tasks.some((t) => t.name === "OPS.VALIDATE_READINGS" && t.state === "SUCCEEDED"));
      // Nothing new at the next slot: every graph is skipped on its WHEN, and no task opens.
      clock.advance(60_000);
      let called = 0;
      const idle = await engine.tick({ refreshBesideTasks: true, onTaskUnderway: () => called++ });
      assert.ok(idle.tasks.every((t) => t.state === "SKIPPED"), JSON.stringify(idle.tasks));
      assert.equal(called, 0);
    } finally {
      await engine.close();
    }
  });
});
