/**
 * A rule with a minimum duration (MACHINE_DOWN: 10 minutes) raises an alert only once the breach
 * has lasted that long: a machine's short stops raise none, a long one raises one, also when it
 * spans ticks, and a stop interrupted by another state or by a gap in the readings starts counting
 * again. A numeric rule given a duration works the same way.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { adminQuery, reading, testEngine } from "../helpers/engine.ts";
import { DEFAULT_ALERT_RULES, MAX_RULE_DURATION_S } from "../../pipelines/definitions/alerting.ts";

const START = Date.parse("2026-01-05T08:00:00Z");

/** One machine's state readings from `fromMin`, one state per `stepS` seconds (a minute by default). */
function states(device: string, fromMin: number, seq0: number, list: string[], stepS = 60) {
  return list.map((state, i) =>
    reading("acme", device, "MACHINE", seq0 + i, new Date(START + fromMin * 60_000 + i * stepS * 1000).toISOString(), { state, period_s: stepS, cycles: 0, good_parts: 0, ideal_cycle_s: 45 }),
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
  it("a gap of more than a minute in the readings starts the count again", async () => {
    const { engine, clock } = await testEngine("2026-01-05T08:00:00Z");
    try {
      // m-gap: DOWN for 7 minutes, no readings for 3 minutes, DOWN for 7 more: 14 minutes of DOWN
      // readings, but never 10 minutes of them without a gap longer than the grace.
      const readings = [
        ...states("m-gap", 0, 1, rep("DOWN", 7)),
        ...states("m-gap", 10, 8, [...rep("DOWN", 7), ...rep("RUNNING", 2)]),
        // m-tight: DOWN read every 20 s, one reading missing at minute 5 (a 40 s gap): it lasts.
        ...states("m-tight", 0, 1, rep("DOWN", 15), 20),
        ...states("m-tight", 5 + 1 / 3, 16, [...rep("DOWN", 18), ...rep("RUNNING", 3)], 20),
      ];
      clock.set(new Date(START + 20 * 60_000));
      await engine.land({ readings });
      await engine.runUntil(new Date(START + 22 * 60_000));
      const alerts = await machineDownAlerts(engine);
      assert.deepEqual(alerts.map((a) => a.device_id), ["m-tight"]);
      assert.equal(alerts[0]!.first_ts.getTime(), START + 10 * 60_000);
    } finally {
      await engine.close();
    }
  });

  it("a numeric rule with a duration alerts once its threshold has been crossed for that long", async () => {
    const { engine, clock } = await testEngine("2026-01-05T08:00:00Z");
    try {
      await adminQuery(engine, "UPDATE OPS.ALERT_RULES SET min_duration_s = 180 WHERE rule_id = 'MACHINE_OVERTEMP'");
      // Above 90 °C for 2 minutes, 85 °C once, then above 90 °C for 4 minutes.
      const temps = [80, 95, 96, 85, 95, 97, 98, 99, 80];
      const readings = temps.map((temperature_c, i) =>
        reading("acme", "m-hot", "MACHINE", i + 1, new Date(START + i * 60_000).toISOString(), { state: "RUNNING", period_s: 60, cycles: 1, good_parts: 1, ideal_cycle_s: 45, temperature_c }),
      );
      clock.set(new Date(START + 10 * 60_000));
      await engine.land({ readings });
      await engine.runUntil(new Date(START + 12 * 60_000));
      const alerts = await adminQuery<{ first_ts: Date; message: string }>(engine, "SELECT first_ts, message FROM OPS.ALERT_NOTIFICATIONS WHERE rule_id = 'MACHINE_OVERTEMP'");
      assert.equal(alerts.length, 1);
      // The second run began at minute 4; it had lasted 180 s at minute 7.
      assert.equal(alerts[0]!.first_ts.getTime(), START + 7 * 60_000);
      assert.match(alerts[0]!.message, /lasting at least 180 s/);
    } finally {
      await engine.close();
    }
  });
});
