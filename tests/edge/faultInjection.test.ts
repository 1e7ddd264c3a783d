import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EXAMPLE_FLEET, SyntheticFleet } from "../../edge/syntheticFleet.ts";
import { applyFaults, labelsText, planFaults } from "../../edge/faultInjection.ts";

function run(seed: number) {
  const from = new Date("2026-01-05T00:00:00Z");
  const to = new Date("2026-01-05T06:00:00Z");
  const readings = new SyntheticFleet(EXAMPLE_FLEET, seed, from).readingsUntil(to);
  const devices = [...new Map(readings.map((r) => [`${r.tenantId}/${r.deviceId}`, r])).values()];
  const labels = planFaults(devices, from, to, seed, 1);
  return { readings, labels, faulty: applyFaults(readings, labels) };
}

describe("fault injection", () => {
  it("is deterministic: the same fleet and seed give the same readings and labels, byte for byte", () => {
    const a = run(7);
    const b = run(7);
    assert.equal(labelsText(a.labels), labelsText(b.labels));
    assert.equal(JSON.stringify(a.faulty), JSON.stringify(b.faulty));
    assert.notEqual(labelsText(run(8).labels), labelsText(a.labels));
  });

  it("writes every fault kind with its window, and the readings show it only inside the window", () => {
    const { readings, labels, faulty } = run(7);
    assert.deepEqual([...new Set(labels.map((l) => l.fault))].sort(), ["breakdown", "drift", "energy_surge", "pm25_spike", "stuck"]);
    const breakdown = labels.find((l) => l.fault === "breakdown")!;
    const inside = faulty.filter((r) => r.deviceId === breakdown.deviceId && r.ts >= breakdown.start && r.ts < breakdown.end);
    assert.ok(inside.length > 0);
    assert.ok(inside.every((r) => (r.payload as { metrics: { state: string } }).metrics.state === "DOWN"));
    const spike = labels.find((l) => l.fault === "pm25_spike")!;
    const i = faulty.findIndex((r) => r.deviceId === spike.deviceId && r.ts >= spike.start && r.ts < spike.end);
    const pm = (r: (typeof readings)[number]) => (r.payload as { metrics: { pm25_ugm3: number } }).metrics.pm25_ugm3;
    assert.ok(pm(faulty[i]!) >= pm(readings[i]!) + 179);
    const untouched = faulty.filter((r, k) => r === readings[k]).length;
    assert.ok(untouched > readings.length / 2, "outside the windows, readings are unchanged");
  });
});
