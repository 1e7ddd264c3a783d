/**
 * A rule with a minimum duration (MACHINE_DOWN: 10 minutes) raises an alert only once the breach
 * has lasted that long: a machine's short stops raise none, a long one raises one, also when it
 * spans ticks, and a stop interrupted by another state starts counting again.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { adminQuery, reading, testEngine } from "../helpers/engine.ts";
import { DEFAULT_ALERT_RULES, MAX_RULE_DURATION_S } from "../../pipelines/definitions/alerting.ts";

const START = Date.parse("2026-01-05T08:00:00Z");

/** One machine's 1-minute state readings from `fromMin`, one state per minute. */
function states(device: string, fromMin: number, seq0: number, list: string[]) {
  return list.map((state, i) =>
    reading("acme", device, "MACHINE", seq0 + i, new Date(START + (fromMin + i) * 60_000).toISOString(), { state, period_s: 60, cycles: 0, good_parts: 0, ideal_cycle_s: 45 }),
  );
}

const rep = (state: string, n: number) => Array.from({ length: n }, () => state);

async function machineDownAlerts(engine: Awaited<ReturnType<typeof testEngine>>["engine"]) {
  return adminQuery<{ device_id: string; first_ts: Date; message: string }>(
    engine, "SELECT device_id, first_ts, message FROM OPS.ALERT_NOTIFICATIONS WHERE rule_id = 'MACHINE_DOWN' ORDER BY device_id, first_ts",
  );
}

describe("alert rules with a minimum duration", () => {
  it("every rule's duration is within the look-back the alert task bounds", () => {
    for (const r of DEFAULT_ALERT_RULES) assert.ok(r.min_duration_s === null || (r.min_duration_s > 0 && r.min_duration_s <= MAX_RULE_DURATION_S), r.rule_id);
    assert.equal(DEFAULT_ALERT_RULES.find((r) => r.rule_id === "MACHINE_DOWN")!.min_duration_s, 600);
  });

  it("short stops raise no alert, a stop of 10 minutes raises one, an interrupted stop counts again", async () => {
    const { engine, clock } = await testEngine("2026-01-05T08:00:00Z");
    try {
      const readings = [
        // m-short: DOWN for 5 minutes twice.
        ...states("m-short", 0, 1, [...rep("RUNNING", 3), ...rep("DOWN", 5), ...rep("RUNNING", 3), ...rep("DOWN", 5), ...rep("RUNNING", 4)]),
        // m-long: DOWN from minute 2 to minute 16 (15 readings).
        ...states("m-long", 0, 1, [...rep("RUNNING", 2), ...rep("DOWN", 15), ...rep("RUNNING", 3)]),
        // m-broken: DOWN 8 minutes, one RUNNING reading, DOWN 8 minutes: never 10 in a row.
        ...states("m-broken", 0, 1, [...rep("DOWN", 8), "RUNNING", ...rep("DOWN", 8), ...rep("RUNNING", 3)]),
      ];
      clock.set(new Date(START + 20 * 60_000));
      await engine.land({ readings });
      await engine.runUntil(new Date(START + 22 * 60_000));
      const alerts = await machineDownAlerts(engine);
      assert.deepEqual(alerts.map((a) => a.device_id), ["m-long"]);
      // First reading at which it had lasted 10 minutes: DOWN since 08:02, so 08:12 (within the minute of grace).
      const first = alerts[0]!.first_ts.getTime();
      assert.ok(first >= START + 12 * 60_000 && first <= START + 13 * 60_000, alerts[0]!.first_ts.toISOString());
      assert.match(alerts[0]!.message, /lasting at least 600 s/);
      // Every DOWN reading is still a breach (the breach windows in ANALYTICS.ALERTS keep them all).
      const [row] = await adminQuery<{ n: bigint | number }>(engine, "SELECT COUNT(*) AS n FROM CORE.RULE_BREACHES WHERE rule_id = 'MACHINE_DOWN'");
      assert.equal(Number(row?.n), 10 + 15 + 16);
    } finally {
      await engine.close();
    }
  });

  it("a stop that spans ticks raises its alert once it has lasted 10 minutes", async () => {
    const { engine, clock } = await testEngine("2026-01-05T08:00:00Z");
    try {
      // Minutes 0–6 land and tick: DOWN since minute 1, 5 minutes so far.
      clock.set(new Date(START + 6 * 60_000));
      await engine.land({ readings: states("m-1", 0, 1, ["RUNNING", ...rep("DOWN", 5)]) });
      await engine.runUntil(new Date(START + 7 * 60_000));
      assert.deepEqual(await machineDownAlerts(engine), []);
      // Minutes 6–20: still DOWN until minute 14.
      clock.set(new Date(START + 20 * 60_000));
      await engine.land({ readings: states("m-1", 6, 7, [...rep("DOWN", 9), ...rep("RUNNING", 5)]) });
      await engine.runUntil(new Date(START + 22 * 60_000));
      const alerts = await machineDownAlerts(engine);
      assert.equal(alerts.length, 1);
      assert.ok(alerts[0]!.first_ts.getTime() >= START + 11 * 60_000 && alerts[0]!.first_ts.getTime() <= START + 12 * 60_000, alerts[0]!.first_ts.toISOString());
    } finally {
      await engine.close();
    }
  });
});
