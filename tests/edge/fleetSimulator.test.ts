/** The fleet simulator: determinism, seasonality, faults with their labels, and the bottleneck through the engine. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { EXAMPLE_FLEET, SyntheticFleet, type TenantFleetSpec } from "../../edge/syntheticFleet.ts";
import { labelsText } from "../../edge/faultInjection.ts";
import { groupsFor, rulesFor, type SensorType } from "../../pipelines/quality/metricRules.ts";
import type { RawReading } from "../../pipelines/ingest/rawRecords.ts";
import { adminQuery, testEngine } from "../helpers/engine.ts";

const MONDAY = new Date("2026-01-05T00:00:00Z");
const H = 3_600_000;
const metrics = (r: RawReading) => (r.payload as { metrics: Record<string, number | string> }).metrics;
const sha = (v: unknown) => createHash("sha256").update(JSON.stringify(v)).digest("hex");

function run(specs: readonly TenantFleetSpec[], seed: number, hours: number, windowMs = 600_000, opts = {}) {
  const fleet = new SyntheticFleet(specs, seed, MONDAY, opts);
  const readings: RawReading[] = [];
  const scans = [];
  for (let t = MONDAY.getTime(); t < MONDAY.getTime() + hours * H; ) {
    t = Math.min(MONDAY.getTime() + hours * H, t + windowMs);
    for (const r of fleet.readingsUntil(new Date(t))) readings.push(r);
    scans.push(...fleet.scansUntil(new Date(t)));
  }
  return { fleet, readings, scans, labels: fleet.faultLabels() };
}

/** A small fleet with frequent faults, so a few hours show every kind. */
const FAULTY: TenantFleetSpec[] = [{
  tenantId: "acme",
  sites: [
    { siteId: "p1", machines: 4, energyMeters: 1, airSensors: 1, stations: ["a", "b"], jobsPerHour: 20, bottleneck: "b" },
    // No machines: its meters measure base load only, so a surge is the only thing that changes them.
    { siteId: "p2", machines: 0, energyMeters: 2, airSensors: 3, stations: [], jobsPerHour: 0 },
  ],
  faults: { breakdown: 2, drift: 1.5, stuck: 1.5, pm25_spike: 4, energy_surge: 4 },
}];

describe("fleet simulator", () => {
  it("gives the same readings, scans and labels for the same spec and seed, byte for byte, and others for another seed", () => {
    const a = run(EXAMPLE_FLEET, 42, 2);
    const b = run(EXAMPLE_FLEET, 42, 2);
    assert.ok(a.readings.length > 90_000 && a.scans.length > 0, `${a.readings.length} readings, ${a.scans.length} scans`);
    assert.equal(sha(a.readings), sha(b.readings));
    assert.equal(sha(a.scans), sha(b.scans));
    assert.equal(labelsText(a.labels), labelsText(b.labels));
    const c = run(EXAMPLE_FLEET, 43, 2);
    assert.notEqual(sha(c.readings), sha(a.readings));
    assert.notEqual(sha(c.scans), sha(a.scans));
  });

  it("gives the same data however the run is cut into windows", () => {
    const whole = run(FAULTY, 5, 3, 3 * H);
    const cut = run(FAULTY, 5, 3, 37_123); // windows that end mid-second
    const order = (rs: RawReading[]) => [...rs].sort((x, y) => x.deviceId.localeCompare(y.deviceId) || x.seq - y.seq);
    assert.equal(sha(order(cut.readings)), sha(order(whole.readings)));
    assert.equal(sha(cut.scans), sha(whole.scans));
    assert.equal(labelsText(cut.labels), labelsText(whole.labels));
    const visited: RawReading[] = [];
    const fleet = new SyntheticFleet(FAULTY, 5, MONDAY);
    const n = fleet.eachReadingUntil(new Date(MONDAY.getTime() + 3 * H), (r) => visited.push(r));
    assert.equal(n, whole.readings.length);
    assert.equal(sha(visited), sha(whole.readings), "eachReadingUntil hands out the readings readingsUntil returns");
  });

  it("makes readings every sensor contract accepts: required metrics, hard ranges, and soft ranges too", () => {
    const { readings } = run(FAULTY, 9, 6);
    const seen = new Set<string>();
    for (const r of readings) {
      const m = metrics(r);
      for (const rule of rulesFor(r.sensorType as SensorType)) {
        const v = m[rule.metric];
        if (v === undefined) {
          assert.ok(!rule.required, `${r.deviceId} misses ${rule.metric}`);
          continue;
        }
        seen.add(`${r.sensorType}.${rule.metric}`);
        if (rule.kind === "text") assert.ok(rule.allowed.includes(String(v)), `${rule.metric} ${v}`);
        else assert.ok(typeof v === "number" && v >= rule.softMin && v <= rule.softMax, `${r.deviceId} ${rule.metric} ${v} outside [${rule.softMin}, ${rule.softMax}]`);
      }
    }
    assert.equal(seen.size, rulesFor("MACHINE").length + rulesFor("ENERGY").length + rulesFor("AIR_QUALITY").length, "every metric is reported");
  });

  it("puts a machine's cycle counts only in the reading that completes a cycle, and the counter adds up", () => {
    const { readings } = run(FAULTY, 9, 6);
    const counter = new Map<string, number>();
    let withCounts = 0;
    let machineReadings = 0;
    for (const r of readings.filter((x) => x.sensorType === "MACHINE")) {
      machineReadings++;
      const m = metrics(r);
      const group = groupsFor("MACHINE")[0]!.metrics;
      assert.ok(group.every((k) => m[k] === undefined) || group.every((k) => m[k] !== undefined), `${r.deviceId} ${r.seq}: the cycle counts come together`);
      if (m.cycles === undefined) {
        assert.equal(m.cycle_count, undefined, `${r.deviceId} ${r.seq}: the counter comes with the cycle that moves it`);
        continue;
      }
      withCounts++;
      assert.ok(Number(m.cycles) > 0 && m.state === "RUNNING", `${r.deviceId} ${r.seq}: a cycle completes while RUNNING`);
      // Readings come in time order per device: each counter moves on by the cycles of its reading.
      const before = counter.get(r.deviceId);
      if (before !== undefined) assert.equal(m.cycle_count, before + Number(m.cycles), `${r.deviceId} ${r.seq}: counter`);
      counter.set(r.deviceId, Number(m.cycle_count));
    }
    // Cycles take 21–74 s on these machines: a few per cent of the 1 Hz readings complete one.
    assert.ok(withCounts > 0 && withCounts < machineReadings * 0.1, `${withCounts} of ${machineReadings} machine readings carry counts`);
  });

  it("has a daily and a weekly season: busier on the early shift than at night, on weekdays than on Sunday", () => {
    const spec: TenantFleetSpec[] = [{ tenantId: "acme", sites: [{ siteId: "p1", machines: 2, energyMeters: 1, airSensors: 1, stations: [], jobsPerHour: 0 }] }];
    const { readings } = run(spec, 3, 7 * 24, 6 * H, { faults: false });
    const buckets = new Map<string, number[]>();
    const add = (k: string, v: number) => (buckets.get(k) ?? buckets.set(k, []).get(k)!).push(v);
    for (const r of readings) {
      const t = r.ts.getTime() - MONDAY.getTime();
      const day = Math.floor(t / (24 * H));
      const hour = Math.floor(t / H) % 24;
      const part = day === 6 ? "sunday" : hour >= 6 && hour < 14 ? "early" : hour >= 22 || hour < 6 ? "night" : "late";
      if (day === 5) continue; // Saturday is in between
      const m = metrics(r);
      if (r.sensorType === "MACHINE") add(`util.${part}`, m.state === "RUNNING" ? 1 : 0);
      if (r.sensorType === "ENERGY") add(`kw.${part}`, Number(m.power_kw));
      if (r.sensorType === "AIR_QUALITY") add(`co2.${part}`, Number(m.co2_ppm));
    }
    const mean = (k: string) => buckets.get(k)!.reduce((a, b) => a + b, 0) / buckets.get(k)!.length;
    for (const metric of ["util", "kw", "co2"]) {
      assert.ok(mean(`${metric}.early`) > 1.3 * mean(`${metric}.night`), `${metric}: early ${mean(`${metric}.early`)} vs night ${mean(`${metric}.night`)}`);
      assert.ok(mean(`${metric}.night`) > mean(`${metric}.sunday`), `${metric}: night ${mean(`${metric}.night`)} vs sunday ${mean(`${metric}.sunday`)}`);
    }
    assert.ok(mean("util.early") > 0.6 && mean("util.sunday") < 0.35, `utilisation early ${mean("util.early")}, sunday ${mean("util.sunday")}`);
  });

  it("injects faults where its labels say: breakdowns are DOWN, and other faults change their metric only inside the window", () => {
    const faulty = run(FAULTY, 11, 8);
    const clean = run(FAULTY, 11, 8, 600_000, { faults: false });
    assert.equal(clean.labels.length, 0);
    assert.deepEqual([...new Set(faulty.labels.map((l) => l.fault))].sort(), ["breakdown", "drift", "energy_surge", "pm25_spike", "stuck"]);
    const key = (r: RawReading) => `${r.deviceId}/${r.seq}`;
    const before = new Map(clean.readings.map((r) => [key(r), r]));
    const labelled = new Set(faulty.labels.map((l) => l.deviceId));
    // A breakdown changes the machine's future and the power its site's meters see.
    const brokenSites = new Set(faulty.labels.filter((l) => l.fault === "breakdown").map((l) => l.deviceId.split("-")[0]));
    const coupled = (deviceId: string) => deviceId.includes("-e-") && brokenSites.has(deviceId.split("-")[0]);
    for (const r of faulty.readings) {
      if (!labelled.has(r.deviceId) && !coupled(r.deviceId)) assert.equal(JSON.stringify(r), JSON.stringify(before.get(key(r))), `${r.deviceId} has no fault and is untouched`);
    }
    const checked = new Set<string>();
    for (const l of faulty.labels.filter((x) => !coupled(x.deviceId))) {
      checked.add(l.fault);
      const of = faulty.readings.filter((r) => r.deviceId === l.deviceId);
      const inside = (r: RawReading) => r.ts >= l.start && r.ts < l.end;
      const changed = (r: RawReading) => metrics(r)[l.metric] !== metrics(before.get(key(r))!)[l.metric];
      assert.ok(of.some(inside), `${l.fault} on ${l.deviceId} has readings in its window`);
      if (l.fault === "breakdown") {
        assert.ok(of.filter(inside).every((r) => metrics(r).state === "DOWN" && metrics(r).cycles === undefined), "DOWN throughout the window, completing no cycle");
        // Before its first breakdown, the machine ran as it would have without faults.
        const first = faulty.labels.filter((x) => x.deviceId === l.deviceId)[0]!;
        assert.ok(of.filter((r) => r.ts < first.start).every((r) => !changed(r)));
        continue;
      }
      const sameKind = faulty.labels.filter((x) => x.deviceId === l.deviceId && x.metric === l.metric);
      const outsideAll = of.filter((r) => !sameKind.some((x) => r.ts >= x.start && r.ts < x.end));
      assert.ok(outsideAll.every((r) => !changed(r)), `${l.fault} on ${l.deviceId}: ${l.metric} unchanged outside its windows`);
      const ins = of.filter(inside);
      if (l.fault === "stuck") {
        assert.equal(new Set(ins.map((r) => metrics(r)[l.metric])).size, 1, "a stuck sensor repeats one value");
      } else {
        // A drift starts from nothing: its first minutes round away.
        assert.ok(ins.filter(changed).length >= 0.9 * ins.length, `${l.fault} on ${l.deviceId}: ${l.metric} changed inside the window`);
      }
      const delta = (r: RawReading) => Number(metrics(r)[l.metric]) - Number(metrics(before.get(key(r))!)[l.metric]);
      const peak = Math.max(...ins.map(delta));
      if (l.fault === "pm25_spike") assert.ok(peak >= 60, `a dust event adds at least 60 µg/m³ at its peak (${peak})`);
      if (l.fault === "energy_surge") assert.ok(ins.every((r) => Number(metrics(r).power_kw) >= 1.7 * Number(metrics(before.get(key(r))!).power_kw)), "a surge at least 1.7× the power");
      if (l.fault === "drift") assert.ok(delta(ins.at(-1)!) > 0.8 * peak && peak >= 30, `drift climbs to the end of its window (${peak} ppm)`);
    }
    assert.equal(checked.size, 5, "every kind was checked");
  });

  it("through the embedded engine: the bottleneck station has the longest station times, and a breakdown shows as down time", async () => {
    const spec: TenantFleetSpec[] = [{
      tenantId: "acme",
      sites: [{ siteId: "p1", machines: 2, energyMeters: 1, airSensors: 1, stations: ["cut", "weld", "paint", "pack"], jobsPerHour: 14, bottleneck: "weld" }],
      faults: { breakdown: 3, drift: 0, stuck: 0, pm25_spike: 0, energy_surge: 0 },
    }];
    const { engine, clock } = await testEngine("2026-01-05T06:00:00Z");
    try {
      const fleet = new SyntheticFleet(spec, 21, clock.now());
      const hours = 6;
      for (let i = 0; i < hours; i++) {
        const to = new Date(clock.now().getTime() + H);
        const batch = { readings: fleet.readingsUntil(to), scans: fleet.scansUntil(to) };
        clock.set(to);
        await engine.land(batch);
      }
      await engine.runUntil(new Date(clock.now().getTime() + 10 * 60_000));
      const stations = await adminQuery<{ station: string; mean_s: number; jobs: number }>(engine, `
        SELECT station, AVG(duration_s) AS mean_s, COUNT(*) AS jobs FROM CORE.JOB_STATION_VISITS
        WHERE duration_s IS NOT NULL GROUP BY station ORDER BY mean_s DESC`);
      assert.equal(stations[0]!.station, "weld", JSON.stringify(stations));
      assert.ok(stations[0]!.mean_s > 1.5 * stations[1]!.mean_s, JSON.stringify(stations));
      const [top] = await adminQuery<{ station: string }>(engine, `
        SELECT bottleneck_station AS station FROM ANALYTICS.PRODUCTION_FLOW GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1`);
      assert.equal(top!.station, "weld");

      const landedUntil = new Date(Date.parse("2026-01-05T06:00:00Z") + hours * H);
      const labels = fleet.faultLabels(landedUntil).filter((l) => l.fault === "breakdown");
      assert.ok(labels.length > 0);
      for (const l of labels) {
        const rows = await adminQuery<{ down_s: number }>(engine, `
          SELECT SUM(down_s) AS down_s FROM ANALYTICS.MACHINE_UTILIZATION_HOURLY
          WHERE machine_id = '${l.deviceId}' AND hour >= DATE_TRUNC('hour', TIMESTAMP '${l.start.toISOString().slice(0, 19)}')
            AND hour < TIMESTAMP '${l.end.toISOString().slice(0, 19)}'`);
        const windowS = (l.end.getTime() - l.start.getTime()) / 1000;
        assert.ok(Number(rows[0]!.down_s) >= windowS - 1, `${l.deviceId}: ${rows[0]!.down_s} s down in hours holding a ${windowS} s breakdown`);
      }
    } finally {
      await engine.close();
    }
  });
});
