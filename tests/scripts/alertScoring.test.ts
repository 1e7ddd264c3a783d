/** The hub's alerts scored against injected faults: a hand-built case with every way an alert or a fault can go. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { FaultLabel } from "../../edge/faultInjection.ts";
import { DEFAULT_ALERT_RULES } from "../../pipelines/definitions/alerting.ts";
import { alertInFault, scoreAlerts, type TenantAlert } from "../../scripts/lib/hub/alertScoring.ts";

const at = (hhmm: string) => new Date(`2026-01-05T${hhmm}:00Z`);
const fault = (deviceId: string, kind: FaultLabel["fault"], metric: string, from: string, to: string): FaultLabel =>
  ({ tenantId: "acme", deviceId, fault: kind, metric, start: at(from), end: at(to) });
const alert = (deviceId: string, ruleId: string, ts: string): TenantAlert => ({ deviceId, ruleId, firstTs: at(ts) });
const RULES = DEFAULT_ALERT_RULES.map((r) => ({ ruleId: r.rule_id, sensorType: r.sensor_type, metric: r.metric }));

describe("alerts against injected faults", () => {
  const faults = [
    fault("m-001", "breakdown", "state", "02:00", "03:30"), // alerted inside its window
    fault("aq-001", "pm25_spike", "pm25_ugm3", "10:40", "11:05"), // alerted by a notification whose first breach came earlier that hour
    fault("aq-002", "stuck", "temperature_c", "06:00", "12:00"), // never alerted
    fault("e-001", "energy_surge", "power_kw", "14:00", "14:30"), // only another device alerts at that time
  ];
  const alerts = [
    alert("m-001", "MACHINE_DOWN", "02:01"),
    alert("m-001", "MACHINE_DOWN", "03:00"), // the same fault's next hour: not a second find, not false
    alert("aq-001", "PM25_SENSITIVE", "10:05"),
    alert("m-002", "MACHINE_DOWN", "14:10"), // inside e-001's window, but another device
    alert("m-001", "MACHINE_DOWN", "20:00"), // outside any fault
  ];

  it("counts a fault found when an alert of its device falls in its window, and every other alert as false", () => {
    const s = scoreAlerts(alerts, faults, RULES);
    assert.equal(s.injected, 4);
    assert.equal(s.found, 2, "the breakdown and the dust event");
    assert.equal(s.alerts, 5);
    assert.equal(s.falseAlerts, 2, "the other device's alert and the one at 20:00");
    assert.equal(s.precision, 2 / 4);
    assert.equal(s.recall, 2 / 4);
    assert.equal(s.f1, 0.5);
  });

  it("gives an alert the hour's tolerance before a window, as the model's hourly flags get, and no more", () => {
    assert.equal(alertInFault(alert("aq-001", "PM25_SENSITIVE", "09:41"), faults), true);
    assert.equal(alertInFault(alert("aq-001", "PM25_SENSITIVE", "09:40"), faults), false, "an hour before the start is outside");
    assert.equal(alertInFault(alert("aq-001", "PM25_SENSITIVE", "11:05"), faults), false, "the window's end is outside");
    assert.equal(alertInFault(alert("m-002", "MACHINE_DOWN", "14:10"), faults), false);
  });

  it("says per fault kind what was found, and which kinds no threshold rule watches", () => {
    const s = scoreAlerts(alerts, faults, RULES);
    const kind = Object.fromEntries(s.byKind.map((k) => [k.kind, k]));
    assert.deepEqual(s.byKind.map((k) => k.kind), ["breakdown", "drift", "stuck", "pm25_spike", "energy_surge"], "every kind, injected or not");
    assert.deepEqual([kind.breakdown!.injected, kind.breakdown!.found], [1, 1]);
    assert.deepEqual([kind.pm25_spike!.injected, kind.pm25_spike!.found], [1, 1]);
    assert.deepEqual([kind.stuck!.injected, kind.stuck!.found], [1, 0]);
    assert.deepEqual([kind.energy_surge!.injected, kind.energy_surge!.found], [1, 0]);
    assert.deepEqual([kind.drift!.injected, kind.drift!.found], [0, 0]);
    assert.deepEqual(kind.breakdown!.rules, ["MACHINE_DOWN"]);
    assert.deepEqual(kind.pm25_spike!.rules, ["PM25_SENSITIVE", "PM25_UNHEALTHY"]);
    assert.deepEqual(kind.drift!.rules, ["CO2_HIGH"]);
    assert.deepEqual(kind.stuck!.rules, [], "no rule watches an air sensor's temperature");
    assert.deepEqual(kind.energy_surge!.rules, [], "no rule watches a meter's power");
    assert.equal(s.byKind.reduce((n, k) => n + k.found, 0), s.found);
  });

  it("says per rule how many of its alerts fell outside every fault", () => {
    const s = scoreAlerts(alerts, faults, RULES);
    assert.deepEqual(s.byRule, [
      { ruleId: "MACHINE_DOWN", alerts: 4, outsideFaults: 2 },
      { ruleId: "PM25_SENSITIVE", alerts: 1, outsideFaults: 0 },
    ]);
  });

  it("scores no faults and no alerts as nothing missed and nothing wrong, and alerts without faults as all false", () => {
    const none = scoreAlerts([], [], RULES);
    assert.deepEqual([none.injected, none.found, none.alerts, none.f1], [0, 0, 0, 1]);
    const noise = scoreAlerts([alert("m-001", "MACHINE_DOWN", "20:00")], [], RULES);
    assert.deepEqual([noise.falseAlerts, noise.precision, noise.recall], [1, 0, 1]);
  });
});
