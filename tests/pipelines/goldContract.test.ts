/**
 * The contract suite: the hand-built fixture (fixture.ts) through the whole embedded pipeline,
 * against gold results worked out by hand. The arithmetic is spelled out next to each figure.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { adminQuery, reading, testEngine } from "../helpers/engine.ts";
import { loadFixture } from "./fixture.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";

const close = (a: unknown, b: number, msg?: string) => assert.ok(Math.abs(Number(a) - b) < 1e-9, `${msg ?? ""} expected ${b}, got ${String(a)}`);

describe("gold results on the hand-computed fixture (DuckDB)", () => {
  let engine: EmbeddedEngine;
  before(async () => {
    const t = await testEngine();
    engine = t.engine;
    await loadFixture(engine, t.clock);
  });
  after(() => engine.close());

  it("computes machine utilisation and OEE for the hour", async () => {
    const [m] = await adminQuery(engine, "SELECT * FROM ANALYTICS.MACHINE_UTILIZATION_HOURLY WHERE machine_id = 'm1'");
    assert.ok(m, "no row for m1");
    // Six 600 s readings: RUNNING ×3, SETUP, IDLE, DOWN; the duplicate DOWN reading is dropped.
    assert.equal(m.run_s, 1800);
    assert.equal(m.idle_s, 600);
    assert.equal(m.setup_s, 600);
    assert.equal(m.down_s, 600);
    assert.equal(m.observed_s, 3600);
    close(m.utilization, 1800 / 3600, "utilisation");
    assert.equal(m.cycles, 33); // 10 + 12 + 11
    assert.equal(m.good_parts, 31); // 9 + 12 + 10
    close(m.availability, 1800 / (1800 + 600 + 600), "availability"); // idle is not a loss: 0.6
    close(m.performance, (45 * 33) / 1800, "performance"); // 0.825
    close(m.quality, 31 / 33, "quality");
    close(m.oee, 0.465, "OEE"); // 0.6 × 0.825 × 31/33
    close(m.avg_spindle_load_pct, 65, "spindle load"); // (60 + 70) / 2; the 500 % reading is quarantined
    assert.equal(m.readings, 6);
  });

  it("computes energy, peak demand and mean power factor for the hour", async () => {
    const [e] = await adminQuery(engine, "SELECT * FROM ANALYTICS.ENERGY_HOURLY WHERE meter_id = 'e1'");
    close(e!.kwh, 100, "kWh"); // 25 + 30 + 20 + 25
    close(e!.peak_kw, 120, "peak kW");
    close(e!.mean_power_factor, 0.875, "power factor"); // (0.9 + 0.8 + 0.85 + 0.95) / 4
    assert.equal(e!.readings, 4);
  });

  it("keeps the latest air reading per location with its EPA AQI category and CO2 band", async () => {
    const rows = await adminQuery(engine, "SELECT * FROM ANALYTICS.AIR_QUALITY_CURRENT WHERE tenant_id = 'acme' ORDER BY location_id");
    assert.deepEqual(rows.map((r) => r.location_id), ["aq1", "aq2"]); // aq3's only reading was refused
    const [aq1, aq2] = rows;
    assert.equal((aq1!.ts as Date).toISOString(), "2026-01-05T08:01:00.000Z");
    close(aq1!.pm25_ugm3, 35.5);
    assert.equal(aq1!.aqi_pm25, 101); // bottom of the 35.5–55.4 band → 101
    assert.equal(aq1!.aqi_category, "UNHEALTHY_FOR_SENSITIVE_GROUPS");
    assert.equal(aq1!.co2_band, "POOR"); // 1200 ppm: 1000 < x ≤ 1500
    assert.equal(aq2!.aqi_pm25, 49); // 8.95 truncates to 8.9; 50 / 9.0 × 8.9 = 49.4 → 49
    assert.equal(aq2!.aqi_category, "GOOD");
    assert.equal(aq2!.co2_band, "GOOD");
  });

  it("derives station visits, paths, cycle times and the bottleneck station per job", async () => {
    const flow = await adminQuery(engine, "SELECT * FROM ANALYTICS.PRODUCTION_FLOW WHERE tenant_id = 'acme' ORDER BY job_id");
    assert.deepEqual(flow.map((f) => f.job_id), ["J1", "J2", "J3"]); // J4's scan had no station
    const [j1, j2, j3] = flow;
    assert.equal(j1!.flow_path, "cut > weld > paint > inspect");
    assert.equal(j1!.cycle_time_s, 3900); // 08:00 → 09:05
    assert.deepEqual(j1!.station_seconds, { cut: 600, weld: 1680, paint: 900, inspect: 300 }); // paint ends at inspect's first scan
    assert.equal(j1!.bottleneck_station, "weld");
    assert.equal(j1!.bottleneck_s, 1680);
    assert.equal(j1!.visits, 4);
    assert.equal(j2!.flow_path, "cut > weld");
    assert.equal(j2!.cycle_time_s, 3000); // 08:30 → 09:20
    assert.equal(j2!.bottleneck_station, "weld");
    assert.equal(j3!.flow_path, "cut > weld > cut"); // rework goes back to cut
    assert.deepEqual(j3!.station_seconds, { cut: 900, weld: 240 }); // 300 + 600 at cut
    assert.equal(j3!.bottleneck_station, "cut");
    assert.equal(j3!.visits, 3);
    const [paint] = await adminQuery(engine, "SELECT * FROM CORE.JOB_STATION_VISITS WHERE job_id = 'J1' AND station = 'paint'");
    assert.equal((paint!.leave_ts as Date).toISOString(), "2026-01-05T09:00:00.000Z");
    assert.equal(paint!.duration_s, 900);
  });

  it("raises one alert per device, rule and hour from the threshold rules", async () => {
    const alerts = await adminQuery(engine, "SELECT tenant_id, device_id, rule_id FROM OPS.ALERT_NOTIFICATIONS ORDER BY ALL");
    assert.deepEqual(alerts, [
      { tenant_id: "acme", device_id: "aq1", rule_id: "PM25_SENSITIVE" }, // 35.5 > 35.4
      // m1's one DOWN reading is a breach but no alert: MACHINE_DOWN must last 10 minutes (tests/pipelines/alertDuration.test.ts).
      { tenant_id: "globex", device_id: "g-aq1", rule_id: "CO2_HIGH" }, // 2000 > 1500
      { tenant_id: "globex", device_id: "g-aq1", rule_id: "PM25_SENSITIVE" },
      { tenant_id: "globex", device_id: "g-aq1", rule_id: "PM25_UNHEALTHY" }, // 60 > 55.4
    ]);
    const breaches = await adminQuery(engine, "SELECT rule_id, COUNT(*) AS n FROM CORE.RULE_BREACHES WHERE device_id = 'm1' GROUP BY rule_id");
    assert.deepEqual(breaches, [{ rule_id: "MACHINE_DOWN", n: 1 }]); // the duplicate DOWN is not counted twice
  });
});

describe("a machine hour's mean spindle load", () => {
  it("weighs each reading by its seconds: an hourly history row counts for its state's seconds, not as one reading", async () => {
    const { engine, clock } = await testEngine();
    try {
      clock.set(new Date("2026-01-05T09:30:00Z"));
      // Two history-style rows (edge/fleetHistory.ts: one row per state, the state's mean load).
      await engine.land({
        readings: [
          reading("acme", "m8", "MACHINE", 1, "2026-01-05T08:00:00", { state: "RUNNING", period_s: 3000, spindle_load_pct: 70 }),
          reading("acme", "m8", "MACHINE", 2, "2026-01-05T08:50:00", { state: "IDLE", period_s: 600, spindle_load_pct: 10 }),
        ],
      });
      await engine.tick();
      const [m] = await adminQuery(engine, "SELECT * FROM ANALYTICS.MACHINE_UTILIZATION_HOURLY WHERE machine_id = 'm8'");
      close(m!.avg_spindle_load_pct, (70 * 3000 + 10 * 600) / 3600, "spindle load"); // 60, not (70 + 10) / 2
      assert.equal(m!.spindle_load_n, 3600);
    } finally {
      await engine.close();
    }
  });
});

describe("a machine hour in which no cycle completes", () => {
  it("has 0 cycles, good parts and ideal run time, not NULL, and no quality or OEE to divide by", async () => {
    const { engine, clock } = await testEngine();
    try {
      clock.set(new Date("2026-01-05T09:30:00Z"));
      // Readings that complete no cycle carry no cycle counts at all (METRIC_GROUPS).
      await engine.land({
        readings: [
          reading("acme", "m9", "MACHINE", 1, "2026-01-05T08:00:00", { state: "RUNNING", period_s: 1200, spindle_load_pct: 50 }),
          reading("acme", "m9", "MACHINE", 2, "2026-01-05T08:20:00", { state: "DOWN", period_s: 2400 }),
        ],
      });
      await engine.tick();
      const [m] = await adminQuery(engine, "SELECT * FROM ANALYTICS.MACHINE_UTILIZATION_HOURLY WHERE machine_id = 'm9'");
      assert.equal(m!.run_s, 1200);
      assert.equal(m!.down_s, 2400);
      assert.equal(m!.cycles, 0);
      assert.equal(m!.good_parts, 0);
      assert.equal(m!.ideal_run_s, 0);
      assert.equal(m!.performance, 0); // ran 20 minutes and finished nothing
      assert.equal(m!.quality, null);
      assert.equal(m!.oee, null);
      assert.equal(m!.readings, 2);
    } finally {
      await engine.close();
    }
  });
});
