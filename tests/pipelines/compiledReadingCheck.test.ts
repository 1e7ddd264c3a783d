/**
 * The ingest's compiled reading check on its own (pipelines/quality/compiledReadingCheck.ts): the
 * fast path that vouches for a reading without zod. It may only ever say "certainly accepted" or
 * "unsure", so it is held to two things: it vouches for no reading zod refuses (safety), and for
 * every good reading (else each pays for zod, the cost it exists to avoid). The oracles are zod's
 * own verdict (payloadSchemas.ts, a separate implementation of the same rules) and readings written
 * out by hand from the rules' documented bounds (metricRules.ts) and the timestamp limits.
 *
 * tests/pipelines/payloadSchemas.test.ts runs both paths through parseMessage on a seeded corpus.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { METRIC_RULES, SENSOR_TYPES, TIMESTAMP_LIMITS, groupsFor, rulesFor, type MetricRule, type SensorType } from "../../pipelines/quality/metricRules.ts";
import { validateReadingMetrics } from "../../pipelines/quality/payloadSchemas.ts";
import { acceptReading, allFinite, compileMetricsCheck } from "../../pipelines/quality/compiledReadingCheck.ts";

const RECEIVED = Date.parse("2026-01-05T08:00:00.000Z");
/** Good readings written out by hand, one per sensor type, inside every rule's bounds. */
const MACHINE = { state: "RUNNING", period_s: 1, spindle_load_pct: 42, temperature_c: 35.5 };
const ENERGY = { period_s: 15, voltage_v: 400, current_a: 12, power_factor: 0.9, power_kw: 7.5, kwh: 0.03 };
const AIR = { period_s: 60, co2_ppm: 600, pm25_ugm3: 8 };
const at = (ts: string, metrics: unknown, seq: unknown = 7) => ({ ts, seq, metrics });
const ok = (r: unknown, t: SensorType) => acceptReading(r, t, RECEIVED)?.toISOString() ?? null;

test("vouches for a good reading of each sensor type written by hand, and returns its time", () => {
  assert.equal(ok(at("2026-01-05T07:59:00.000Z", MACHINE), "MACHINE"), "2026-01-05T07:59:00.000Z");
  assert.equal(ok(at("2026-01-05T07:59:00Z", ENERGY), "ENERGY"), "2026-01-05T07:59:00.000Z");
  assert.equal(ok(at("2026-01-05T08:59:00+01:00", AIR), "AIR_QUALITY"), "2026-01-05T07:59:00.000Z", "an offset is read as the instant it names");
  // The MACHINE rules' optional metrics at their documented hard bounds: cycles [0, 10000],
  // ideal_cycle_s [0.01, 86400], temperature_c [-40, 250], spindle_speed_rpm [0, 60000].
  assert.ok(ok(at("2026-01-05T07:59:00Z", { ...MACHINE, cycles: 10_000, good_parts: 0, ideal_cycle_s: 0.01, temperature_c: -40, spindle_speed_rpm: 60_000 }), "MACHINE"));
  assert.ok(ok(at("2026-01-05T07:59:00Z", { ...MACHINE, cycles: 0, good_parts: 10_000, ideal_cycle_s: 86_400, temperature_c: 250 }), "MACHINE"));
  for (const state of ["RUNNING", "IDLE", "SETUP", "DOWN"]) assert.ok(ok(at("2026-01-05T07:59:00Z", { ...MACHINE, state }), "MACHINE"), state);
  assert.ok(ok(at("2026-01-05T07:59:00Z", { ...ENERGY, power_factor: 1, voltage_v: 0 }), "ENERGY"));
  assert.ok(ok(at("2026-01-05T07:59:00Z", { ...AIR, pressure_hpa: 300, humidity_pct: 100, voc_ppb: 60_000 }), "AIR_QUALITY"));
  // Unknown metrics and fields beside the metrics are kept, finite or nested.
  assert.ok(ok({ ...at("2026-01-05T07:59:00Z", { ...AIR, vibration_mm_s: 1.5, tags: ["a", 1, { b: null }] }), firmware: { build: "2.1.0", n: [1, 2] } }, "AIR_QUALITY"));
});

test("is unsure of a reading outside a rule written by hand: one past a bound, a state not listed, a required metric missing, a part of a group", () => {
  const unsure: Array<[string, SensorType, Record<string, unknown>]> = [
    ["spindle_load_pct above 200", "MACHINE", { ...MACHINE, spindle_load_pct: 200.0000001 }],
    ["temperature_c below -40", "MACHINE", { ...MACHINE, temperature_c: -40.5 }],
    ["ideal_cycle_s below 0.01 (with its group)", "MACHINE", { ...MACHINE, cycles: 1, good_parts: 1, ideal_cycle_s: 0.009 }],
    ["a state in lower case", "MACHINE", { ...MACHINE, state: "running" }],
    ["a state not listed", "MACHINE", { ...MACHINE, state: "OFF" }],
    ["a state that is a number", "MACHINE", { ...MACHINE, state: 1 }],
    ["the state missing", "MACHINE", { period_s: 1 }],
    ["cycles without good_parts and ideal_cycle_s", "MACHINE", { ...MACHINE, cycles: 1 }],
    ["good_parts and ideal_cycle_s without cycles", "MACHINE", { ...MACHINE, good_parts: 1, ideal_cycle_s: 30 }],
    ["cycles and good_parts without ideal_cycle_s", "MACHINE", { ...MACHINE, cycles: 1, good_parts: 1 }],
    ["voltage_v missing", "ENERGY", { period_s: 15, current_a: 12, power_factor: 0.9, power_kw: 7.5, kwh: 0.03 }],
    ["power_factor above 1", "ENERGY", { ...ENERGY, power_factor: 1.01 }],
    ["voltage_v negative", "ENERGY", { ...ENERGY, voltage_v: -1 }],
    ["period_s as text", "ENERGY", { ...ENERGY, period_s: "15" }],
    ["co2_ppm null", "AIR_QUALITY", { ...AIR, co2_ppm: null }],
    ["an optional metric out of bounds", "AIR_QUALITY", { ...AIR, pressure_hpa: 299 }],
    ["an optional metric as text", "AIR_QUALITY", { ...AIR, humidity_pct: "50" }],
    ["NaN in a metric", "AIR_QUALITY", { ...AIR, co2_ppm: NaN }],
    ["Infinity in an unknown metric", "AIR_QUALITY", { ...AIR, extra: Infinity }],
    ["-Infinity inside an unknown metric", "AIR_QUALITY", { ...AIR, extra: { a: [1, -Infinity] } }],
  ];
  for (const [why, t, metrics] of unsure) {
    assert.equal(ok(at("2026-01-05T07:59:00Z", metrics), t), null, why);
    assert.equal(validateReadingMetrics(t, metrics).ok, false, `${why}: zod refuses it too`);
  }
  for (const metrics of [null, [MACHINE], "RUNNING", 5, undefined]) assert.equal(ok(at("2026-01-05T07:59:00Z", metrics), "MACHINE"), null, String(metrics));
});

test("the timestamp limits cut at the same millisecond as documented: 300 s ahead, 7 days old, in any offset", () => {
  // Received 2026-01-05T08:00:00Z: 300 s ahead is 08:05:00, 7 days old is 2025-12-29T08:00:00.
  assert.ok(ok(at("2026-01-05T08:05:00.000Z", ENERGY), "ENERGY"));
  assert.equal(ok(at("2026-01-05T08:05:00.001Z", ENERGY), "ENERGY"), null);
  assert.ok(ok(at("2026-01-05T10:05:00+02:00", ENERGY), "ENERGY"));
  assert.equal(ok(at("2026-01-05T10:05:01+02:00", ENERGY), "ENERGY"), null);
  assert.ok(ok(at("2025-12-29T08:00:00.000Z", ENERGY), "ENERGY"));
  assert.equal(ok(at("2025-12-29T07:59:59.999Z", ENERGY), "ENERGY"), null);
  assert.ok(ok(at("2026-01-05T08:00:00Z", ENERGY), "ENERGY"), "received now");
  assert.equal(TIMESTAMP_LIMITS.maxFutureSeconds, 300);
  assert.equal(TIMESTAMP_LIMITS.maxAgeSeconds, 7 * 24 * 3600);
  for (const ts of ["2026-01-05 07:59:00Z", "2026-01-05T07:59:00", "05/01/2026 07:59", "2026-01-05T07:59:00Zjunk", " 2026-01-05T07:59:00Z", "2026-13-05T07:59:00Z", ""]) {
    assert.equal(ok(at(ts, ENERGY), "ENERGY"), null, JSON.stringify(ts));
  }
  // Text only: an array holding a good timestamp reads as that text to a RegExp and to Date, and zod refuses it.
  for (const ts of [["2026-01-05T07:59:00Z"], { toString: () => "2026-01-05T07:59:00Z" }, 1767599940000]) {
    assert.equal(ok({ ts, seq: 7, metrics: ENERGY }, "ENERGY"), null, JSON.stringify(ts));
  }
});

test("the sequence number is a non-negative safe integer", () => {
  for (const seq of [0, 1, 2 ** 53 - 1]) assert.ok(ok(at("2026-01-05T07:59:00Z", ENERGY, seq), "ENERGY"), String(seq));
  for (const seq of [-1, 1.5, 2 ** 53, NaN, Infinity, "7", null, 7n]) assert.equal(ok(at("2026-01-05T07:59:00Z", ENERGY, seq), "ENERGY"), null, String(seq));
  assert.equal(ok({ ts: "2026-01-05T07:59:00Z", metrics: ENERGY }, "ENERGY"), null, "no seq");
});

test("allFinite looks through arrays and objects, 32 levels deep, for NaN and ±Infinity", () => {
  for (const v of [0, -0, 1.5, -1e308, Number.MAX_VALUE, "NaN", "Infinity", null, undefined, true, [], {}, [1, [2, { a: 3 }]], { a: { b: [null, "x"] } }]) {
    assert.equal(allFinite(v), true, JSON.stringify(v));
  }
  for (const v of [NaN, Infinity, -Infinity, [NaN], [1, [2, [Infinity]]], { a: -Infinity }, { a: { b: [1, NaN] } }]) {
    assert.equal(allFinite(v), false, String(v));
  }
  const nest = (levels: number, inner: unknown) => {
    let v = inner;
    for (let i = 0; i < levels; i++) v = [v];
    return v;
  };
  // 32 arrays deep the innermost is looked into; at 33 the check gives up (unsure), so that a
  // payload nested to any depth cannot exhaust the stack here.
  assert.equal(allFinite(nest(32, 1)), true);
  assert.equal(allFinite(nest(32, NaN)), false);
  assert.equal(allFinite(nest(33, 1)), false);
  assert.equal(allFinite({ a: nest(31, 1) }), true);
  assert.equal(allFinite({ a: nest(32, 1) }), false);
  assert.equal(allFinite(nest(100_000, 1)), false, "a very deep payload is no stack overflow");
  // In a reading, the depth counts from each metric's value and each field's value: 32 levels below
  // a metric are looked through (vouched for), 33 are left to zod.
  assert.ok(ok(at("2026-01-05T07:59:00Z", { ...ENERGY, trace: nest(32, 1) }), "ENERGY"));
  assert.equal(ok(at("2026-01-05T07:59:00Z", { ...ENERGY, trace: nest(33, 1) }), "ENERGY"), null);
  assert.ok(ok({ ...at("2026-01-05T07:59:00Z", ENERGY), trace: nest(32, 1) }, "ENERGY"));
});

test("refuses to compile a rule it could not judge as zod does: a name on Object.prototype, unbounded limits, a group of one", () => {
  const num = (metric: string, min = 0, max = 10): MetricRule => ({ sensorType: "ENERGY", metric, kind: "number", unit: "", min, max, softMin: min, softMax: max, required: true, description: "" });
  for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"]) {
    assert.throws(() => compileMetricsCheck("ENERGY", [num(name)], []), new RegExp(`^Error: metric name ${name} cannot be compiled$`));
    assert.throws(() => compileMetricsCheck("ENERGY", [num("a"), num("b")], [{ sensorType: "ENERGY", metrics: ["a", name] }]), new RegExp(`^Error: metric name ${name} cannot be compiled$`));
  }
  for (const [min, max] of [[NaN, 1], [0, Infinity], [-Infinity, 0], [0, NaN]]) {
    assert.throws(() => compileMetricsCheck("ENERGY", [num("a", min, max)], []), /^Error: metric a needs finite bounds$/, `${min}..${max}`);
  }
  assert.throws(() => compileMetricsCheck("ENERGY", [num("a")], [{ sensorType: "ENERGY", metrics: ["a"] }]), /^Error: metric group a of ENERGY needs two metrics or more$/);
  assert.throws(() => compileMetricsCheck("ENERGY", [], [{ sensorType: "ENERGY", metrics: [] }]), /needs two metrics or more/);
  // A text rule has no bounds to check.
  const text: MetricRule = { sensorType: "ENERGY", metric: "mode", kind: "text", allowed: ["A"], required: false, description: "" };
  assert.equal(compileMetricsCheck("ENERGY", [text], [])({ mode: "A" }), true);
});

test("compiles any metric name and allowed text as data, never as code", () => {
  const name = 'a"]; return true; //';
  const check = compileMetricsCheck("ENERGY", [
    { sensorType: "ENERGY", metric: name, kind: "number", unit: "", min: 0, max: 1, softMin: 0, softMax: 1, required: true, description: "" },
    { sensorType: "ENERGY", metric: "q", kind: "text", allowed: ['x" || true || "', "y\\"], required: true, description: "" },
  ], []);
  assert.equal(check({ [name]: 0.5, q: 'x" || true || "' }), true);
  assert.equal(check({ [name]: 0.5, q: "y\\" }), true);
  assert.equal(check({ [name]: 2, q: "y\\" }), false, "the bound still holds");
  assert.equal(check({ [name]: 0.5, q: "x" }), false, "the allowed text is compared whole");
  assert.equal(check({ q: "y\\" }), false, "the odd name is still required");
  // A group of three: each present or each absent.
  const g = compileMetricsCheck("ENERGY", [], [{ sensorType: "ENERGY", metrics: ["a", "b", "c"] }]);
  assert.deepEqual([{}, { a: 1, b: 2, c: 3 }, { a: 1 }, { b: 1 }, { c: 1 }, { a: 1, b: 1 }, { b: 1, c: 1 }, { a: 1, c: 1 }].map(g), [true, true, false, false, false, false, false, false]);
  // The compiled code keeps its working variable to itself (a sloppy-mode function would otherwise make it a global).
  assert.equal("v" in globalThis, false);
});

/**
 * The compiled check is exact at every rule's boundaries, not only safe: it vouches for each value
 * zod accepts (else a good reading pays for zod, the cost it exists to avoid) and for none it
 * refuses. The values are the bounds, the adjacent doubles on both sides, NaN and ±Infinity, the
 * wrong types, a missing metric, and each partial metric group; what should happen is zod's verdict.
 */
test("the compiled check vouches for exactly the readings zod accepts, at every rule's boundaries", () => {
  const received = Date.parse("2026-01-05T08:00:00.000Z");
  const step = (x: number, dir: 1 | -1) => {
    if (x === 0) return dir * Number.MIN_VALUE;
    const f = new Float64Array([x]);
    const b = new BigInt64Array(f.buffer);
    b[0] = b[0]! + ((x > 0) === (dir > 0) ? 1n : -1n);
    return f[0]!;
  };
  const good = (t: SensorType) => Object.fromEntries(rulesFor(t).map((r) => [r.metric, r.kind === "text" ? r.allowed[0] : (r.softMin + r.softMax) / 2]));
  const cases: Array<[string, SensorType, Record<string, unknown>]> = [];
  for (const r of METRIC_RULES) {
    const values: unknown[] = r.kind === "number"
      ? [r.min, r.max, step(r.min, 1), step(r.max, -1), step(r.min, -1), step(r.max, 1), NaN, Infinity, -Infinity, String(r.max), true, null, [1], { v: 1 }]
      : [...r.allowed, r.allowed[0]!.toLowerCase(), "", 1, NaN, null, [r.allowed[0]], r.allowed.slice(0, 2).join("|")];
    for (const v of values) cases.push([`${r.sensorType}.${r.metric} = ${String(v)}`, r.sensorType, { ...good(r.sensorType), [r.metric]: v }]);
    const { [r.metric]: _gone, ...without } = good(r.sensorType);
    cases.push([`${r.sensorType}.${r.metric} absent`, r.sensorType, without]);
  }
  for (const t of SENSOR_TYPES) {
    for (const g of groupsFor(t)) {
      for (const k of g.metrics) {
        const { [k]: _gone, ...partial } = good(t);
        cases.push([`${t} group without ${k}`, t, partial]);
      }
    }
    cases.push([`${t} with an unknown metric`, t, { ...good(t), vibration_mm_s: 1.5 }]);
    cases.push([`${t} with NaN in an unknown metric`, t, { ...good(t), vibration_mm_s: NaN }]);
    cases.push([`${t} with Infinity deep in an unknown metric`, t, { ...good(t), extra: { a: [1, { b: Infinity }] } }]);
  }
  const differ = cases
    .map(([label, t, metrics]) => [label, acceptReading({ ts: "2026-01-05T08:00:00.000Z", seq: 1, metrics }, t, received) !== null, validateReadingMetrics(t, metrics).ok] as const)
    .filter(([, fast, zod]) => fast !== zod);
  assert.deepEqual(differ, []);
  assert.ok(cases.length > 300, `${cases.length} cases`);
});

test("the compiled check leaves to zod a reading it cannot vouch for: its own shape, seq, timestamp and limits", () => {
  const received = Date.parse("2026-01-05T08:00:00.000Z");
  const metrics = Object.fromEntries(rulesFor("ENERGY").map((r) => [r.metric, r.kind === "text" ? r.allowed[0] : r.softMin]));
  const ok = { ts: "2026-01-05T08:00:00.000Z", seq: 1, metrics };
  assert.equal(acceptReading(ok, "ENERGY", received)?.toISOString(), "2026-01-05T08:00:00.000Z");
  const ahead = new Date(received + TIMESTAMP_LIMITS.maxFutureSeconds * 1000).toISOString();
  const old = new Date(received - TIMESTAMP_LIMITS.maxAgeSeconds * 1000).toISOString();
  assert.ok(acceptReading({ ...ok, ts: ahead }, "ENERGY", received), "exactly at the future limit");
  assert.ok(acceptReading({ ...ok, ts: old }, "ENERGY", received), "exactly at the age limit");
  for (const [why, r] of [
    ["an array", [ok]], ["null", null], ["a string", "x"],
    ["a negative seq", { ...ok, seq: -1 }], ["a fractional seq", { ...ok, seq: 1.5 }], ["a seq past 2^53", { ...ok, seq: 2 ** 53 }], ["a string seq", { ...ok, seq: "1" }],
    ["a timestamp without a zone", { ...ok, ts: "2026-01-05T08:00:00" }], ["a timestamp that is not one", { ...ok, ts: 5 }], ["the 30th of February", { ...ok, ts: "2026-02-30T08:00:00Z" }],
    ["1 ms past the future limit", { ...ok, ts: new Date(received + TIMESTAMP_LIMITS.maxFutureSeconds * 1000 + 1).toISOString() }],
    ["1 ms past the age limit", { ...ok, ts: new Date(received - TIMESTAMP_LIMITS.maxAgeSeconds * 1000 - 1).toISOString() }],
    ["metrics an array", { ...ok, metrics: [metrics] }], ["metrics null", { ...ok, metrics: null }],
    ["NaN beside the metrics", { ...ok, extra: NaN }], ["Infinity deep beside the metrics", { ...ok, extra: [[{ x: -Infinity }]] }],
  ] as const) {
    assert.equal(acceptReading(r, "ENERGY", received), null, why);
  }
  // Nesting deeper than the check looks: it is unsure, whatever is inside.
  let deep: unknown = 1;
  for (let i = 0; i < 40; i++) deep = [deep];
  assert.equal(acceptReading({ ...ok, extra: deep }, "ENERGY", received), null);
  let shallow: unknown = 1;
  for (let i = 0; i < 30; i++) shallow = { x: shallow };
  assert.ok(acceptReading({ ...ok, extra: shallow }, "ENERGY", received), "30 levels: looked through");
});
