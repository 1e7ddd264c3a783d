/** The fault plan on its own: deterministic, per device and day, one clean window per fault. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_FAULT_RATES, FAULT_SHAPES, labelsText, planFaults } from "../../edge/faultInjection.ts";

const DEVICES = [
  ...Array.from({ length: 20 }, (_, i) => ({ tenantId: "acme", deviceId: `m-${i}`, sensorType: "MACHINE" })),
  ...Array.from({ length: 10 }, (_, i) => ({ tenantId: "acme", deviceId: `aq-${i}`, sensorType: "AIR_QUALITY" })),
  ...Array.from({ length: 10 }, (_, i) => ({ tenantId: "globex", deviceId: `e-${i}`, sensorType: "ENERGY" })),
];
const FROM = new Date("2026-01-05T00:00:00Z");
const TO = new Date("2026-02-04T00:00:00Z");
const RATES = { breakdown: 0.5, drift: 0.3, stuck: 0.3, pm25_spike: 1, energy_surge: 1 };

describe("fault plan", () => {
  it("is deterministic: the same devices and seed give the same labels file, byte for byte; another seed another", () => {
    const a = labelsText(planFaults(DEVICES, FROM, TO, 7, RATES));
    assert.equal(a, labelsText(planFaults(DEVICES, FROM, TO, 7, RATES)));
    assert.notEqual(a, labelsText(planFaults(DEVICES, FROM, TO, 8, RATES)));
    const first = JSON.parse(a.split("\n")[0]!) as Record<string, unknown>;
    assert.deepEqual(Object.keys(first), ["tenant_id", "device_id", "fault", "metric", "start", "end"]);
  });

  it("fits each fault to its sensor kind and metric, with windows of the documented length that never overlap per kind", () => {
    const labels = planFaults(DEVICES, FROM, TO, 3, RATES);
    const type = new Map(DEVICES.map((d) => [d.deviceId, d.sensorType]));
    for (const l of labels) {
      const shape = FAULT_SHAPES[l.fault];
      assert.equal(type.get(l.deviceId), shape.sensorType, `${l.fault} on ${l.deviceId}`);
      assert.equal(l.metric, shape.metric);
      const minutes = (l.end.getTime() - l.start.getTime()) / 60_000;
      const clipped = l.start.getTime() === FROM.getTime() || l.end.getTime() === TO.getTime();
      assert.ok(minutes <= shape.maxMinutes && (clipped || minutes >= shape.minMinutes), `${l.fault} lasts ${minutes} min`);
    }
    const byKey = new Map<string, typeof labels>();
    for (const l of labels) byKey.set(`${l.deviceId}/${l.fault}`, [...(byKey.get(`${l.deviceId}/${l.fault}`) ?? []), l]);
    for (const [k, ls] of byKey) for (let i = 1; i < ls.length; i++) assert.ok(ls[i]!.start >= ls[i - 1]!.end, `${k} windows overlap`);
  });

  it("happens at the configured rate per device and day, and not at all at rate 0", () => {
    const labels = planFaults(DEVICES, FROM, TO, 5, RATES);
    const count = (f: string) => labels.filter((l) => l.fault === f).length;
    // 20 machines × 30 days × 0.5 = 300 expected; 10 meters × 30 × 1 = 300.
    assert.ok(count("breakdown") > 240 && count("breakdown") < 360, `${count("breakdown")} breakdowns`);
    assert.ok(count("energy_surge") > 240 && count("energy_surge") < 360, `${count("energy_surge")} surges`);
    assert.equal(planFaults(DEVICES, FROM, TO, 5, { ...RATES, breakdown: 0 }).filter((l) => l.fault === "breakdown").length, 0);
    const defaults = planFaults(DEVICES, FROM, TO, 5, DEFAULT_FAULT_RATES);
    assert.ok(defaults.length > 0 && defaults.length < labels.length, "the defaults are rarer");
  });

  it("does not depend on where the plan starts: a later start sees the same faults from there on", () => {
    const late = new Date("2026-01-20T00:00:00Z");
    const whole = planFaults(DEVICES, FROM, TO, 9, RATES).filter((l) => l.start >= late);
    const fromLate = planFaults(DEVICES, late, TO, 9, RATES).filter((l) => l.start > late);
    assert.equal(labelsText(fromLate), labelsText(whole.filter((l) => l.start > late)));
  });
});
