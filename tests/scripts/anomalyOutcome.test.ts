/**
 * The anomaly model's flags of the run scored against the injected faults (npm start's summary):
 * a fault counts when the model scored the series its kind shows in on its device, the others are
 * counted apart (not as misses), and a flag is false only outside every fault of its device. And the
 * history the model learns from is simulated at the floor's usual fault rates, not the demo's.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_FAULT_RATES, FAULT_KINDS, type FaultLabel } from "../../edge/faultInjection.ts";
import { EXAMPLE_FLEET } from "../../edge/fleetStackFile.ts";
import { resolveTenantFleet } from "../../edge/fleetSpec.ts";
import { FAULT_SERIES_FEATURE, scoreAnomalyFlags } from "../../scripts/lib/hub/modelStage.ts";
import { historyFleet } from "../../scripts/lib/hub/history.ts";
import { ANOMALY_FEATURES } from "../../ml/modelSpecs.ts";

const at = (hhmm: string) => new Date(`2026-01-05T${hhmm}:00Z`);
const fault = (deviceId: string, kind: FaultLabel["fault"], from: string, to: string): FaultLabel =>
  ({ tenantId: "acme", deviceId, fault: kind, metric: "m", start: at(from), end: at(to) });
const flag = (seriesId: string, hhmm: string) => ({ seriesId, ts: at(hhmm) });

describe("the anomaly model's flags against the run's faults", () => {
  const seriesIds = ["utilization:m-1", "down_share:m-1", "down_share:m-2", "co2_ppm:aq-1", "pm25_ugm3:aq-1", "kwh:e-1"];
  const faults = [
    fault("m-1", "breakdown", "14:01", "17:23"), // flagged in its hour by utilisation: found
    fault("m-2", "breakdown", "02:00", "03:00"), // scored, never flagged: a miss
    fault("aq-1", "stuck", "06:00", "12:00"), // no hourly series shows a stuck reading: unscored
    fault("aq-2", "pm25_spike", "10:40", "11:05"), // aq-2 has no PM2.5 series: unscored
    fault("e-1", "energy_surge", "20:10", "20:40"), // found by a flag in the hour before its start
  ];
  const flags = [
    flag("utilization:m-1", "14:00"),
    flag("down_share:m-1", "15:00"), // the same fault's next hour: not a second find, not false
    flag("co2_ppm:aq-1", "09:00"), // during aq-1's stuck fault: not a false alarm, not a find
    flag("kwh:e-1", "20:00"),
    flag("down_share:m-2", "22:00"), // outside any fault
  ];

  it("counts the faults in its series, the others apart, and flags outside every fault of their device as false", () => {
    const s = scoreAnomalyFlags({ flags, seriesIds }, faults);
    assert.deepEqual([s.injected, s.unscored, s.detected, s.flagged, s.falseFlags], [3, 2, 2, 5, 1]);
    assert.equal(s.precision, 2 / 3);
    assert.equal(s.recall, 2 / 3);
    assert.ok(Math.abs(s.f1! - 2 / 3) < 1e-12);
  });

  it("with nothing scored, every fault is unscored and nothing is missed", () => {
    const s = scoreAnomalyFlags({ flags: [], seriesIds: [] }, faults);
    assert.deepEqual([s.injected, s.unscored, s.detected, s.falseFlags, s.f1], [0, 5, 0, 0, 1]);
  });

  it("names for every fault kind a series the model scores, or none", () => {
    for (const kind of FAULT_KINDS) {
      const feature = FAULT_SERIES_FEATURE[kind];
      if (feature !== null) assert.ok((ANOMALY_FEATURES as readonly string[]).includes(feature), `${kind}: ${feature}`);
    }
    assert.equal(FAULT_SERIES_FEATURE.stuck, null, "a stuck reading shows in no hourly mean");
  });
});

describe("the history the models learn from", () => {
  it("is simulated at the floor's usual fault rates, not the rates a stack raises for the live demo", () => {
    for (const spec of EXAMPLE_FLEET) {
      assert.ok(spec.faults && FAULT_KINDS.some((k) => (spec.faults![k] ?? 0) > DEFAULT_FAULT_RATES[k]), `${spec.tenantId}'s stack raises its fault rates for the demo`);
      const history = historyFleet(spec);
      assert.deepEqual(resolveTenantFleet(history).faultRates, DEFAULT_FAULT_RATES, spec.tenantId);
      assert.deepEqual({ ...history, faults: spec.faults }, spec, "nothing else of the fleet changes");
    }
  });
});
