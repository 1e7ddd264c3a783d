import { prng } from "../../edge/fleetRandom.ts";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { MACHINE_STATES, METRIC_RULES, SENSOR_TYPES, TIMESTAMP_LIMITS, groupsFor, rulesFor, type SensorType } from "../../pipelines/quality/metricRules.ts";
import { MAX_MESSAGE_BYTES, validateReadingMetrics } from "../../pipelines/quality/payloadSchemas.ts";
import { parseMessage, type ParseResult } from "../../pipelines/quality/messageParser.ts";
import { acceptReading } from "../../pipelines/quality/compiledReadingCheck.ts";
import { readingSpans } from "../../pipelines/quality/readingSpans.ts";

const receivedAt = new Date("2026-01-05T08:05:00.000Z");
const at = (secondsFromReceipt: number) => new Date(receivedAt.getTime() + secondsFromReceipt * 1000).toISOString();

/** Every known metric of the type at the middle of its soft range: derived, so new rules need no edits here. */
function goodMetrics(t: SensorType): Record<string, unknown> {
  return Object.fromEntries(rulesFor(t).map((r) => [r.metric, r.kind === "text" ? r.allowed[0] : (r.softMin + r.softMax) / 2]));
}
function reading(t: SensorType, i: number): Record<string, unknown> {
  return { ts: at(-60 + i), seq: 1000 + i, metrics: goodMetrics(t) };
}
function message(t: SensorType, readings: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { v: 1, tenant_id: "acme", site_id: "plant-1", device_id: "dev-001", sensor_type: t, message_id: "msg-1", seq: 42, readings, ...extra };
}
/** JSON text with `"@TOKEN@"` replaced by a bare token, as firmware printing a float writes it. */
const withToken = (m: unknown, token: string) => JSON.stringify(m).replace('"@TOKEN@"', token);
const parse = (m: unknown) => parseMessage(typeof m === "string" ? m : JSON.stringify(m), { receivedAt, expectedTenant: "acme" });

function assertReconciles(result: ParseResult, readingsInMessage: number): void {
  assert.equal(result.total, readingsInMessage);
  assert.equal(result.accepted.length + result.rejected.reduce((n, r) => n + r.count, 0), readingsInMessage);
}

for (const t of SENSOR_TYPES) {
  test(`a good ${t} message is accepted whole and keeps its unknown fields`, () => {
    const readings = [0, 1, 2].map((i) => reading(t, i));
    (readings[1]!.metrics as Record<string, unknown>).vibration_mm_s = 1.25;
    readings[1]!.firmware = { build: "2.1.0" };
    const result = parse(message(t, readings, { gateway: "gw-7" }));
    assert.equal(result.kind, "readings");
    assert.deepEqual(result.rejected, []);
    assertReconciles(result, 3);
    const r = result.kind === "readings" ? result.accepted[1]! : assert.fail("not readings");
    assert.equal(r.tenantId, "acme");
    assert.equal(r.sensorType, t);
    assert.equal(r.seq, 1001);
    assert.equal(r.messageId, "msg-1");
    assert.equal(r.ts.toISOString(), readings[1]!.ts);
    assert.deepEqual((r.payload.metrics as Record<string, unknown>).vibration_mm_s, 1.25);
    assert.deepEqual(r.payload.firmware, { build: "2.1.0" });
    assert.deepEqual(r.payload.message, { seq: 42, gateway: "gw-7" });
  });
}

const rangeRule = METRIC_RULES.find((r) => r.sensorType === "MACHINE" && r.metric === "spindle_load_pct");
const tooBig = rangeRule?.kind === "number" ? rangeRule.max * 25 : NaN;
const [requiredEnergy] = rulesFor("ENERGY").filter((r) => r.required).map((r) => r.metric);

/** Per-reading cases: reading 3 of 5 is spoiled; [name, type, spoil, JSON token, expected reason]. */
const readingCases: Array<[string, SensorType, (r: Record<string, unknown>) => void, string | null, string]> = [
  ["a metric outside its hard range", "MACHINE", (r) => ((r.metrics as Record<string, unknown>).spindle_load_pct = tooBig), null,
    rangeRule?.kind === "number" ? `readings[3].metrics.spindle_load_pct = ${tooBig} is outside [${rangeRule.min}, ${rangeRule.max}]` : ""],
  ["a number metric sent as a string", "AIR_QUALITY", (r) => ((r.metrics as Record<string, unknown>).co2_ppm = "600"), null,
    "readings[3].metrics.co2_ppm = '600' is not a number"],
  ["a text metric outside its allowed values", "MACHINE", (r) => ((r.metrics as Record<string, unknown>).state = "FLYING"), null,
    `readings[3].metrics.state = 'FLYING' is not one of ${MACHINE_STATES.join("|")}`],
  ["a required metric missing", "ENERGY", (r) => delete (r.metrics as Record<string, unknown>)[requiredEnergy!], null,
    `readings[3].metrics.${requiredEnergy} is missing`],
  ["one of a completed cycle's counts without the others", "MACHINE", (r) => delete (r.metrics as Record<string, unknown>).ideal_cycle_s, null,
    "readings[3].metrics.ideal_cycle_s is missing: cycles, good_parts and ideal_cycle_s are reported together"],
  ["a bare NaN token", "AIR_QUALITY", (r) => ((r.metrics as Record<string, unknown>).pm25_ugm3 = "@TOKEN@"), "NaN",
    "readings[3].metrics.pm25_ugm3 = NaN is not finite"],
  ["a bare Infinity token", "ENERGY", (r) => ((r.metrics as Record<string, unknown>).kwh = "@TOKEN@"), "Infinity",
    "readings[3].metrics.kwh = Infinity is not finite"],
  ["a bare -Infinity token in an unknown metric", "MACHINE", (r) => ((r.metrics as Record<string, unknown>).vib = "@TOKEN@"), "-Infinity",
    "readings[3].metrics.vib = -Infinity is not finite"],
  ["a timestamp too far ahead of receipt", "ENERGY", (r) => (r.ts = at(TIMESTAMP_LIMITS.maxFutureSeconds + 1)), null,
    `readings[3].ts = '${at(TIMESTAMP_LIMITS.maxFutureSeconds + 1)}' is more than ${TIMESTAMP_LIMITS.maxFutureSeconds} s ahead of received_at ${receivedAt.toISOString()}`],
  ["a timestamp too old", "AIR_QUALITY", (r) => (r.ts = at(-TIMESTAMP_LIMITS.maxAgeSeconds - 1)), null,
    `readings[3].ts = '${at(-TIMESTAMP_LIMITS.maxAgeSeconds - 1)}' is more than ${TIMESTAMP_LIMITS.maxAgeSeconds} s older than received_at ${receivedAt.toISOString()}`],
  ["an unparseable timestamp", "MACHINE", (r) => (r.ts = "yesterday"), null,
    "readings[3].ts = 'yesterday' is not an ISO 8601 timestamp with a zone (e.g. 2026-01-05T08:00:00.000Z)"],
  ["a timestamp without a zone", "MACHINE", (r) => (r.ts = "2026-01-05T08:00:00"), null,
    "readings[3].ts = '2026-01-05T08:00:00' is not an ISO 8601 timestamp with a zone (e.g. 2026-01-05T08:00:00.000Z)"],
];

for (const [name, t, spoil, token, reason] of readingCases) {
  test(`${name} refuses only that reading, naming the field and the value; the rest of the message is accepted`, () => {
    const readings = [0, 1, 2, 3, 4].map((i) => reading(t, i));
    spoil(readings[3]!);
    const result = parse(token ? withToken(message(t, readings), token) : message(t, readings));
    assert.equal(result.rejected.length, 1);
    const [rejection] = result.rejected;
    assert.equal(rejection!.reason, reason);
    assert.equal(rejection!.tenantId, "acme");
    assert.equal(rejection!.deviceId, "dev-001");
    // The raw reading is kept; a non-finite number as its name, since JSON would turn it into null.
    assert.deepEqual(rejection!.raw, token ? JSON.parse(JSON.stringify(readings[3]).replace('"@TOKEN@"', JSON.stringify(token))) : readings[3]);
    assert.deepEqual(result.kind === "readings" && result.accepted.map((r) => r.seq), [1000, 1001, 1002, 1004]);
    assertReconciles(result, 5);
  });
}

test("a machine reading that completes no cycle carries none of the cycle counts, and is accepted on both paths", () => {
  const readings = [0, 1, 2].map((i) => reading("MACHINE", i));
  for (const r of readings.slice(1)) for (const k of ["cycles", "good_parts", "ideal_cycle_s", "cycle_count"]) delete (r.metrics as Record<string, unknown>)[k];
  const result = parse(message("MACHINE", readings));
  assert.deepEqual(result.rejected, []);
  assert.equal(result.accepted.length, 3);
  assert.deepEqual(validateReadingMetrics("MACHINE", readings[1]!.metrics), { ok: true, metrics: readings[1]!.metrics });
  assert.ok(acceptReading(readings[1], "MACHINE", receivedAt.getTime()), "the compiled check vouches for it");
  // With some counts but not all, neither path accepts it.
  const partial = { ...readings[2]!, metrics: { ...(readings[2]!.metrics as object), cycles: 1 } };
  assert.equal(acceptReading(partial, "MACHINE", receivedAt.getTime()), null);
  assert.equal(validateReadingMetrics("MACHINE", partial.metrics).ok, false);
});

test("a timestamp exactly at the future and age limits is accepted (late readings are kept)", () => {
  const readings = [reading("MACHINE", 0), reading("MACHINE", 1)];
  readings[0]!.ts = at(TIMESTAMP_LIMITS.maxFutureSeconds);
  readings[1]!.ts = at(-TIMESTAMP_LIMITS.maxAgeSeconds);
  const result = parse(message("MACHINE", readings));
  assert.deepEqual(result.rejected, []);
  assert.equal(result.accepted.length, 2);
});

test("a reading with several problems is one rejection that names each of them", () => {
  const bad = { ts: "soon", seq: -1, metrics: { ...goodMetrics("MACHINE"), state: 3 } };
  const result = parse(message("MACHINE", [bad, reading("MACHINE", 1)]));
  assert.equal(result.rejected.length, 1);
  assert.match(result.rejected[0]!.reason, /readings\[0\]\.seq = -1 is negative; readings\[0\]\.ts = 'soon' .*; readings\[0\]\.metrics\.state = 3 is not one of/);
  assertReconciles(result, 2);
});

/** Whole-message cases over a 3-reading message: [name, text, expected reason, readings counted]. */
const good = (extra: Record<string, unknown> = {}) => message("MACHINE", [0, 1, 2].map((i) => reading("MACHINE", i)), extra);
const noColon = JSON.stringify(good()).replace('"tenant_id":', '"tenant_id" ');
// A message over 128 KB is refused whole too, but quarantine keeps a prefix of it (the test after these).
const wholeCases: Array<[string, string, string, number]> = [
  ["malformed JSON", noColon, `message is not valid JSON: expected ':' after the property name at position ${noColon.indexOf(' "acme"') + 1} (line 1, column ${noColon.indexOf(' "acme"') + 2})`, 1],
  ["JSON that is not an object", "[1,2,3]", "message = [1,2,3] is not a JSON object", 1],
  ["an unknown sensor_type", JSON.stringify(good({ sensor_type: "LASER" })), "sensor_type 'LASER' is not one of MACHINE|ENERGY|AIR_QUALITY", 3],
  ["a tenant other than the topic's", JSON.stringify(good({ tenant_id: "globex" })), "tenant_id 'globex' does not match the topic's tenant 'acme'", 3],
  ["an unsupported schema version", JSON.stringify(good({ v: 7 })), "v = 7 is not a supported schema version (1)", 3],
  ["a missing device_id", JSON.stringify({ ...good(), device_id: undefined }), "device_id is missing", 3],
];

for (const [name, text, reason, counted] of wholeCases) {
  test(`${name} is refused whole, once, keeping the message text and saying what is wrong`, () => {
    const result = parse(text);
    assert.equal(result.accepted.length, 0);
    assert.equal(result.rejected.length, 1);
    assert.equal(result.rejected[0]!.reason, reason);
    assert.equal(result.rejected[0]!.raw, text);
    assert.equal(result.rejected[0]!.tenantId, "acme");
    assertReconciles(result, counted);
  });
}

test("a message of exactly 128 KB passes and one byte more is refused", () => {
  // Padded with a 2-byte character: the limit counts UTF-8 bytes, not characters.
  const need = MAX_MESSAGE_BYTES - Buffer.byteLength(JSON.stringify(good({ note: "" })));
  const exact = JSON.stringify(good({ note: "é".repeat(Math.floor(need / 2)) + "x".repeat(need % 2) }));
  assert.equal(Buffer.byteLength(exact), MAX_MESSAGE_BYTES);
  for (const input of [exact, Buffer.from(exact)]) assert.equal(parseMessage(input, { receivedAt }).accepted.length, 3);
  const over = exact.replace('"note":"', '"note":"x');
  const result = parseMessage(Buffer.from(over), { receivedAt });
  const sha256 = createHash("sha256").update(over).digest("hex");
  // The prefix ends on a character boundary: 4096 bytes, or 4095 when a 2-byte 'é' straddles it.
  const kept = Buffer.from(over).subarray(4095, 4097).toString() === "é" ? 4095 : 4096;
  assert.deepEqual(result.rejected.map((r) => r.reason), [
    `message is ${MAX_MESSAGE_BYTES + 1} bytes; the limit is ${MAX_MESSAGE_BYTES} (quarantine keeps its first ${kept} bytes, its size and its SHA-256 ${sha256})`,
  ]);
  const prefix = Buffer.from(over).subarray(0, kept).toString();
  assert.deepEqual(result.rejected[0]!.raw, { bytes: MAX_MESSAGE_BYTES + 1, sha256, prefix_bytes: kept, prefix }, "a bounded prefix, not the whole");
});

test('"NaN" inside a string is a string, not the NaN token', () => {
  const tricky = reading("MACHINE", 0);
  tricky.note = 'says "NaN", Infinity, -Infinity';
  (tricky.metrics as Record<string, unknown>).NaN = "Infinity";
  const stateAsText = reading("MACHINE", 1);
  (stateAsText.metrics as Record<string, unknown>).state = "NaN";
  const result = parse(message("MACHINE", [tricky, stateAsText]));
  assert.deepEqual(result.rejected.map((r) => r.reason), [`readings[1].metrics.state = 'NaN' is not one of ${MACHINE_STATES.join("|")}`]);
  assert.equal(result.kind === "readings" && result.accepted[0]!.payload.note, 'says "NaN", Infinity, -Infinity');
  assertReconciles(result, 2);
});

test("an RFID scan message is accepted with unknown fields kept in metadata; a bad scan is refused by job id", () => {
  const scans = [
    { job_id: "J-1", product_id: "P-9", station: "weld-2", scan_ts: at(-10), metadata: { rssi: -40 }, antenna: 2 },
    { job_id: "J-2", station: " ", scan_ts: at(-5) },
  ];
  const result = parse({ v: 1, tenant_id: "acme", site_id: "plant-1", scans });
  assert.equal(result.kind, "scans");
  const accepted = result.kind === "scans" ? result.accepted : [];
  assert.deepEqual(accepted.map((s) => [s.jobId, s.productId, s.operatorId, s.metadata]), [["J-1", "P-9", null, { rssi: -40, unknown_fields: { antenna: 2 } }]]);
  assert.deepEqual(result.rejected.map((r) => [r.reason, r.deviceId]), [["scans[1].station = ' ' is empty", "J-2"]]);
  assertReconciles(result, 2);
});

/** The adjacent double in the given direction, so "just outside" is as close as a double gets. */
function nextAfter(x: number, direction: 1 | -1): number {
  if (x === 0) return direction * Number.MIN_VALUE;
  const f = new Float64Array([x]);
  const bits = new BigInt64Array(f.buffer);
  bits[0] = bits[0]! + ((x > 0) === (direction > 0) ? 1n : -1n);
  return f[0]!;
}

test("validateReadingMetrics accepts exactly what the METRIC_RULES hard ranges accept (parity with the warehouse half)", () => {
  for (const rule of METRIC_RULES) {
    const candidates: unknown[] = rule.kind === "number"
      ? [rule.min, rule.max, nextAfter(rule.min, -1), nextAfter(rule.max, 1), rule.softMin, rule.softMax, rule.min - (rule.max - rule.min), rule.max * 2 + 1]
      : [...rule.allowed, ...rule.allowed.map((a) => a.toLowerCase()), "NaN", ""];
    for (const value of candidates) {
      const metrics = { ...goodMetrics(rule.sensorType), [rule.metric]: value };
      const inRange = rule.kind === "number" ? (value as number) >= rule.min && (value as number) <= rule.max : rule.allowed.includes(value as string);
      const check = validateReadingMetrics(rule.sensorType, metrics);
      assert.equal(check.ok, inRange, `${rule.sensorType}.${rule.metric} = ${String(value)}`);
      if (!check.ok && rule.kind === "number") {
        // The same words as validationSql.ts writes for the same reading.
        assert.deepEqual(check.issues.map((i) => [i.metric, `${i.path} = ${String(i.value)} ${i.problem}`]),
          [[rule.metric, `payload.metrics.${rule.metric} = ${String(value)} is outside [${rule.min}, ${rule.max}]`]]);
      }
    }
  }
});

test("validateReadingMetrics keeps unknown metrics but refuses NaN in them", () => {
  const kept = validateReadingMetrics("ENERGY", { ...goodMetrics("ENERGY"), thd_pct: 3.5 });
  assert.equal(kept.ok && kept.metrics.thd_pct, 3.5);
  const refused = validateReadingMetrics("ENERGY", { ...goodMetrics("ENERGY"), thd_pct: NaN });
  assert.deepEqual(!refused.ok && refused.issues.map((i) => [i.metric, i.path, i.problem]), [["thd_pct", "payload.metrics.thd_pct", "is not finite"]]);
});

// ---- the compiled check against zod: same results on a seeded corpus --------------------------

/** A seeded generator (the simulator's), so a failing case can be replayed from its seed. */
const seeded = prng;

/** The reading's metrics object to spoil (a throwaway one once an earlier spoiler replaced it). */
const metricsOf = (r: Record<string, unknown>): Record<string, unknown> =>
  typeof r.metrics === "object" && r.metrics !== null && !Array.isArray(r.metrics) ? (r.metrics as Record<string, unknown>) : {};

/** Ways to spoil (or merely vary) one reading; `@NaN@`-style strings become bare tokens in the text. */
const spoilers: Array<(r: Record<string, unknown>, t: SensorType, rnd: () => number) => void> = [
  () => undefined,
  () => undefined,
  () => undefined,
  (r, t, rnd) => {
    const rules = rulesFor(t).filter((x) => x.kind === "number");
    const rule = rules[Math.floor(rnd() * rules.length)]!;
    if (rule.kind !== "number") return;
    const edges = [rule.min, rule.max, nextAfter(rule.min, -1), nextAfter(rule.max, 1), rule.softMax + 1, -0, rule.max * 10];
    metricsOf(r)[rule.metric] = edges[Math.floor(rnd() * edges.length)];
  },
  (r, t, rnd) => {
    const rule = rulesFor(t)[Math.floor(rnd() * rulesFor(t).length)]!;
    const odd = ["12", null, true, [1], { v: 1 }, "", "running", "@NaN@", "@Infinity@", "@-Infinity@"];
    metricsOf(r)[rule.metric] = odd[Math.floor(rnd() * odd.length)];
  },
  (r, t, rnd) => {
    const rule = rulesFor(t)[Math.floor(rnd() * rulesFor(t).length)]!;
    delete metricsOf(r)[rule.metric];
  },
  // A reading that completes no cycle: the whole group absent (accepted), unless another spoiler returns one.
  (r, t) => {
    for (const g of groupsFor(t)) for (const m of g.metrics) delete metricsOf(r)[m];
  },
  (r, _t, rnd) => {
    const extras: unknown[] = [1.5, "x", null, { deep: [1, { deeper: "@NaN@" }] }, "@Infinity@", [1, 2, 3], { a: { b: { c: 1 } } }];
    metricsOf(r)[`extra_${Math.floor(rnd() * 3)}`] = extras[Math.floor(rnd() * extras.length)];
  },
  (r, _t, rnd) => {
    const keys = ["firmware", "schema", "message", "5", "__proto__", "note", "constructor"];
    const values: unknown[] = [{ build: "2.1" }, 7, "text", ["@NaN@"], { x: 1 }];
    r[keys[Math.floor(rnd() * keys.length)]!] = values[Math.floor(rnd() * values.length)];
  },
  (r, _t, rnd) => {
    const base = receivedAt.getTime();
    const limitMs = [TIMESTAMP_LIMITS.maxFutureSeconds * 1000, -TIMESTAMP_LIMITS.maxAgeSeconds * 1000];
    const forms = [
      () => new Date(base + limitMs[0]!).toISOString(), () => new Date(base + limitMs[0]! + 1).toISOString(),
      () => new Date(base + limitMs[1]!).toISOString(), () => new Date(base + limitMs[1]! - 1).toISOString(),
      () => "2026-01-05T08:00:00Z", () => "2026-01-05T09:00:00.123456+01:00", () => "2026-01-05T08:00:00",
      () => "2026-02-30T08:00:00.000Z", () => "2026-01-05T24:00:00.000Z", () => "2026-01-05 08:00:00.000Z",
      () => 1767600000000, () => null, () => undefined, () => "2026-01-05T08:04:59.999-00:00",
    ];
    r.ts = forms[Math.floor(rnd() * forms.length)]!();
  },
  (r, _t, rnd) => {
    const seqs: unknown[] = [-1, 1.5, 2 ** 53, 2 ** 53 - 1, "3", null, undefined, -0, 0];
    r.seq = seqs[Math.floor(rnd() * seqs.length)];
  },
  (r, _t, rnd) => {
    const metrics: unknown[] = [[], null, "m", undefined, {}];
    r.metrics = metrics[Math.floor(rnd() * metrics.length)];
  },
];

function corpusMessage(seed: number): { text: string; readings: number } {
  const rnd = seeded(seed);
  const t = SENSOR_TYPES[Math.floor(rnd() * SENSOR_TYPES.length)]!;
  const n = 1 + Math.floor(rnd() * 8);
  const readings: unknown[] = [];
  for (let i = 0; i < n; i++) {
    if (rnd() < 0.03) {
      readings.push([null, 5, "r", [1]][Math.floor(rnd() * 4)]);
      continue;
    }
    const r = reading(t, i);
    const metrics = r.metrics as Record<string, unknown>;
    // Vary good values across each rule's hard range, so accepting is not only the mid-soft case.
    for (const rule of rulesFor(t)) {
      if (rule.kind === "number") metrics[rule.metric] = rule.min + rnd() * (rule.max - rule.min);
      else metrics[rule.metric] = rule.allowed[Math.floor(rnd() * rule.allowed.length)];
    }
    const spoils = Math.floor(rnd() * 3);
    for (let k = 0; k < spoils; k++) spoilers[Math.floor(rnd() * spoilers.length)]!(r, t, rnd);
    readings.push(r);
  }
  const extra = rnd() < 0.2 ? { gateway: "gw-1", [rnd() < 0.5 ? "firmware" : "note"]: "@NaN@" } : {};
  // Mostly as the gateway writes it; sometimes pretty-printed, or with a duplicated key, as other firmware may.
  const form = rnd();
  let text = JSON.stringify(message(t, readings, extra), null, form < 0.15 ? 2 : undefined).replace(/"@(-?Infinity|NaN)@"/g, "$1");
  if (form > 0.9) text = text.replace('"metrics":{"', '"metrics":{"state":"DOWN","').replace('"seq":1001,', '"seq":1001,"seq":7,');
  return { text, readings: n };
}

test("the compiled reading check and zod give the same result on 3,000 seeded messages of good and spoiled readings", () => {
  let fast = 0;
  let accepted = 0;
  let rejected = 0;
  for (let seed = 1; seed <= 3000; seed++) {
    const { text, readings } = corpusMessage(seed);
    const viaZod = parseMessage(text, { receivedAt, expectedTenant: "acme", validator: "zod" });
    const compiled = parseMessage(text, { receivedAt, expectedTenant: "acme" });
    assert.deepEqual(compiled, viaZod, `seed ${seed}: ${text}`);
    assertReconciles(compiled, readings);
    if (compiled.kind !== "readings") continue;
    accepted += compiled.accepted.length;
    rejected += compiled.rejected.length;
    const msg = JSON.parse(text.replace(/(-?Infinity|NaN)(?=\s*[,}\]])/g, "null")) as { sensor_type: SensorType; readings: unknown[] };
    for (const r of compiled.accepted) {
      // RAW keeps the reading's own text: the same value as the payload, byte for byte when the
      // message was written as JSON.stringify writes it.
      assert.deepEqual(JSON.parse(r.payloadJson), JSON.parse(JSON.stringify(r.payload)), `seed ${seed}: payload text`);
      if (!/\n/.test(text)) assert.equal(r.payloadJson, JSON.stringify(r.payload), `seed ${seed}: payload text`);
      const sent = msg.readings.find((x) => (x as { seq?: unknown } | null)?.seq === r.seq);
      if (acceptReading(sent, msg.sensor_type, receivedAt.getTime())) fast++;
    }
  }
  // The corpus exercises both sides, and most good readings take the fast path.
  assert.ok(rejected > 1000, `rejected ${rejected}`);
  assert.ok(accepted > 1000, `accepted ${accepted}`);
  assert.ok(fast > accepted * 0.8, `fast ${fast} of ${accepted}`);
});

test("the compiled check vouches for a good reading of every sensor type and never refuses one itself", () => {
  for (const t of SENSOR_TYPES) {
    const r = reading(t, 0);
    assert.ok(acceptReading(r, t, receivedAt.getTime()) instanceof Date, t);
    // Unsure is not refused: a reading it declines (nesting deeper than it looks) is accepted
    // when zod accepts it.
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = [deep];
    const unusual = { ...r, trace: deep };
    assert.equal(acceptReading(unusual, t, receivedAt.getTime()), null);
    const result = parse(message(t, [unusual]));
    assert.equal(result.accepted.length, 1, t);
  }
});

test("RAW keeps a reading's own text after the message's part, unless a duplicated key makes it differ from what was judged", () => {
  const readings = [reading("MACHINE", 0), reading("MACHINE", 1)];
  const pretty = JSON.stringify(message("MACHINE", readings), null, 2);
  const result = parse(pretty);
  const [first] = result.kind === "readings" ? result.accepted : [];
  assert.match(first!.payloadJson, /^\{"schema":1,"message":\{"seq":42\},\n\s+"ts"/, "the reading's bytes as sent, whitespace and all");
  assert.deepEqual(JSON.parse(first!.payloadJson), first!.payload);

  // JSON.parse keeps the last of two equal keys: the kept text must not hold the first one too.
  const twice = JSON.stringify(message("MACHINE", readings)).replace('"metrics":{', '"metrics":{"spindle_load_pct":500,');
  const judged = parse(twice);
  assert.equal(judged.accepted.length, 2, "the value judged is the last one, as JSON.parse reads it");
  for (const r of judged.kind === "readings" ? judged.accepted : []) assert.equal(r.payloadJson, JSON.stringify(r.payload));

  // A reading key that the payload's own keys would replace: serialised, as the merged payload is.
  const clash = parse(message("MACHINE", [{ ...reading("MACHINE", 0), schema: "machine/2", message: "hi" }]));
  const [merged] = clash.kind === "readings" ? clash.accepted : [];
  assert.equal(merged!.payloadJson, JSON.stringify(merged!.payload));
  assert.deepEqual(JSON.parse(merged!.payloadJson).message, "hi");
});

test("reading spans skip strings holding quotes, braces and colons, and give up on a key spelt with escapes", () => {
  const tricky = '{"v":1,"note":"a \\\"}]:, b","readings":[{"a":"}\\\\","b":{"c":[1,{"d":2}]}} , 5,"x:y"],"z":null}';
  const spans = readingSpans(tricky);
  assert.deepEqual(spans && spans.start.map((s, i) => tricky.slice(s, spans.end[i])), ['{"a":"}\\\\","b":{"c":[1,{"d":2}]}}', "5", '"x:y"']);
  assert.deepEqual(spans?.keys, [4, 0, 0]);
  assert.equal(readingSpans('{"readi\\u006egs":[{"a":1}]}'), null);
  assert.equal(readingSpans('{"readings":[1],"readings":[2]}'), null);
});

test("the envelope's epoch is optional; when sent it must be a non-negative safe integer, and the refusal names it", () => {
  const ok = parse(message("MACHINE", [reading("MACHINE", 0)], { epoch: 1767225600000123 }));
  assert.deepEqual(ok.rejected, []);
  assert.deepEqual([ok.seq, ok.epoch], [42, 1767225600000123]);
  assert.deepEqual(ok.kind === "readings" && ok.accepted[0]!.payload.message, { seq: 42 }, "the epoch is the channel's (the ingest's), not repeated in each reading");
  const none = parse(message("MACHINE", [reading("MACHINE", 0)]));
  assert.deepEqual([none.seq, none.epoch], [42, null]);
  const cases: Array<[string, string]> = [
    ["-1", "epoch = -1 is negative"],
    ["1.5", "epoch = 1.5 is not an integer"],
    ['"7"', "epoch = '7' is not a number"],
    ["9007199254740993", "epoch = 9007199254740992 is beyond 9007199254740991 (2^53 - 1), above which JSON numbers are not exact"],
    ["null", "epoch = null is not a number"],
  ];
  for (const [text, reason] of cases) {
    const r = parse(JSON.stringify(message("MACHINE", [reading("MACHINE", 0)], { epoch: "@E@" })).replace('"@E@"', text));
    assert.deepEqual(r.rejected.map((x) => x.reason), [reason], text);
    assert.equal(r.accepted.length, 0);
    assert.deepEqual([r.seq, r.epoch], [null, null], `${text}: no channel can be told, so no offset is taken`);
    assertReconciles(r, 1);
  }
});

test("a seq that is not a non-negative safe integer is refused naming the field and the value, and gives no offset", () => {
  const cases: Array<[string, string]> = [
    ["-3", "seq = -3 is negative"],
    ["2.5", "seq = 2.5 is not an integer"],
    ['"300"', "seq = '300' is not a number"],
    ["9007199254740993", "seq = 9007199254740992 is beyond 9007199254740991 (2^53 - 1), above which JSON numbers are not exact"],
    ["1e300", "seq = 1e+300 is beyond 9007199254740991 (2^53 - 1), above which JSON numbers are not exact"],
  ];
  for (const [text, reason] of cases) {
    const r = parse(JSON.stringify(message("MACHINE", [reading("MACHINE", 0)], { seq: "@S@" })).replace('"@S@"', text));
    assert.deepEqual(r.rejected.map((x) => x.reason), [reason], text);
    assert.equal(r.seq, null, text);
  }
  // A message refused for another reason still carries its (valid) seq: its redelivery must be known.
  const wrongTenant = parse(message("MACHINE", [reading("MACHINE", 0)], { tenant_id: "globex", epoch: 3 }));
  assert.equal(wrongTenant.accepted.length, 0);
  assert.deepEqual([wrongTenant.seq, wrongTenant.epoch], [42, 3]);
});

test("a scanner message's seq and epoch are checked when sent and kept with the scan", () => {
  const scan = { job_id: "J-1", station: "weld-2", scan_ts: at(-10) };
  const r = parse({ v: 1, tenant_id: "acme", site_id: "plant-1", seq: 9, epoch: 4, scans: [scan] });
  assert.deepEqual([r.seq, r.epoch], [9, 4]);
  assert.deepEqual(r.kind === "scans" && r.accepted[0]!.metadata, { unknown_fields: { message: { seq: 9, epoch: 4 } } });
  const bad = parse({ v: 1, tenant_id: "acme", site_id: "plant-1", seq: 9, epoch: -4, scans: [scan] });
  assert.deepEqual(bad.rejected.map((x) => x.reason), ["epoch = -4 is negative"]);
  const http = parse({ v: 1, tenant_id: "acme", site_id: "plant-1", scans: [scan] });
  assert.deepEqual([http.seq, http.epoch, http.rejected.length], [null, null, 0], "an HTTP POST has neither");
});
