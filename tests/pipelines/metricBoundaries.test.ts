/**
 * The two halves of data quality judge a reading alike at the boundaries of every metric rule: the
 * ingest half (messageParser → compiledReadingCheck / the zod schemas of payloadSchemas) and the
 * warehouse half (validationSql, run by the VALIDATE_READINGS task on a real DuckDB). One table of
 * cases, built from METRIC_RULES and METRIC_GROUPS: each bound, the double just inside and just
 * outside it (nextafter), NaN / ±Infinity / an overflowing number as the JSON text the warehouse
 * sees, values of the wrong type, a missing required metric, a partial metric group, and metrics
 * that are missing or not an object. Every case goes through both halves; the verdict (accepted or
 * refused) and the reasons must be the same.
 *
 * Reasons are compared as sets of "<field> = <value> <problem>" texts: the ingest joins a reading's
 * problems with "; " in one quarantine row, the warehouse quarantines each metric unit of a refused
 * reading with its own problem plus the reading's (a missing required metric), joined the same way.
 * The ingest names the field from the message (`readings[0].metrics.x`), the warehouse from the
 * landed payload (`payload.metrics.x`); the test maps the one prefix onto the other.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { METRIC_GROUPS, METRIC_RULES, SENSOR_TYPES, rulesFor, type MetricRule, type SensorType } from "../../pipelines/quality/metricRules.ts";
import { parseMessage } from "../../pipelines/quality/messageParser.ts";
import { adminQuery, scan, testEngine } from "../helpers/engine.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import type { SimulatedClock } from "../../pipelines/engine/clock.ts";
import type { RawReading } from "../../pipelines/ingest/rawRecords.ts";

/** The adjacent double in the given direction: "just inside" and "just outside" as close as a double gets. */
export function nextAfter(x: number, direction: 1 | -1): number {
  if (x === 0) return direction * Number.MIN_VALUE;
  const f = new Float64Array([x]);
  const bits = new BigInt64Array(f.buffer);
  bits[0] = bits[0]! + ((x > 0) === (direction > 0) ? 1n : -1n);
  return f[0]!;
}

interface Case {
  readonly label: string;
  readonly sensorType: SensorType;
  /** The reading's `metrics` as JSON text (bare NaN / Infinity tokens included), or undefined: no `metrics` key. */
  readonly metrics: string | undefined;
}

/** Every known metric of the type inside its soft range: a reading both halves accept. */
function goodMetrics(t: SensorType): Record<string, unknown> {
  return Object.fromEntries(rulesFor(t).map((r) => [r.metric, r.kind === "text" ? r.allowed[0] : (r.softMin + r.softMax) / 2]));
}

/** The good metrics with `metric` set to the raw JSON token `token` (or removed when undefined). */
function withToken(t: SensorType, metric: string, token: string | undefined): string {
  const m = goodMetrics(t);
  if (token === undefined) {
    delete m[metric];
    return JSON.stringify(m);
  }
  m[metric] = "@TOKEN@";
  return JSON.stringify(m).replace('"@TOKEN@"', token);
}

/** JSON text of a double that reads back as the same double (JavaScript's shortest round-trip form). */
const json = (v: number) => JSON.stringify(v);

function casesOf(rule: MetricRule): Case[] {
  const c = (label: string, token: string | undefined): Case => ({ label: `${rule.sensorType}.${rule.metric} ${label}`, sensorType: rule.sensorType, metrics: withToken(rule.sensorType, rule.metric, token) });
  const out: Case[] = [];
  if (rule.kind === "number") {
    out.push(
      c("= min", json(rule.min)), c("= max", json(rule.max)),
      c("just above min", json(nextAfter(rule.min, 1))), c("just below max", json(nextAfter(rule.max, -1))),
      c("just below min", json(nextAfter(rule.min, -1))), c("just above max", json(nextAfter(rule.max, 1))),
      c("far above max", json(rule.max * 1024)),
      c("NaN", "NaN"), c("Infinity", "Infinity"), c("-Infinity", "-Infinity"), c("overflowing 1e400", "1e400"),
      c("as a string", JSON.stringify(String(rule.max))), c("as a boolean", "true"), c("as null", "null"), c("as an array", "[1]"), c("as an object", '{"v":1}'),
    );
  } else {
    for (const a of rule.allowed) out.push(c(`= ${a}`, JSON.stringify(a)), c(`= ${a.toLowerCase()}`, JSON.stringify(a.toLowerCase())));
    out.push(
      c("empty", '""'), c("as a number", "1"), c("NaN", "NaN"), c("as null", "null"), c("as an array", JSON.stringify([rule.allowed[0]])),
      // Two allowed values in one: the warehouse's |-separated list must not take it for either.
      c("spanning two allowed values", JSON.stringify(rule.allowed.slice(0, 2).join("|"))),
    );
  }
  if (rule.required) out.push(c("missing (required)", undefined));
  return out;
}

/** Every non-empty proper subset of each metric group removed: a partial group. */
function groupCases(): Case[] {
  const out: Case[] = [];
  for (const g of METRIC_GROUPS) {
    for (let mask = 1; mask < (1 << g.metrics.length) - 1; mask++) {
      const gone = g.metrics.filter((_, i) => mask & (1 << i));
      const m = goodMetrics(g.sensorType);
      for (const k of gone) delete m[k];
      out.push({ label: `${g.sensorType} group without ${gone.join(", ")}`, sensorType: g.sensorType, metrics: JSON.stringify(m) });
    }
    // The whole group absent is a reading in which no cycle completed: accepted.
    const m = goodMetrics(g.sensorType);
    for (const k of g.metrics) delete m[k];
    out.push({ label: `${g.sensorType} group absent`, sensorType: g.sensorType, metrics: JSON.stringify(m) });
  }
  return out;
}

/** The metrics object itself: absent, null, not an object, empty, only unknown metrics. */
function objectCases(): Case[] {
  return SENSOR_TYPES.flatMap((t) => [
    { label: `${t} good`, sensorType: t, metrics: JSON.stringify(goodMetrics(t)) },
    { label: `${t} metrics absent`, sensorType: t, metrics: undefined },
    { label: `${t} metrics null`, sensorType: t, metrics: "null" },
    { label: `${t} metrics an array`, sensorType: t, metrics: "[1,2]" },
    { label: `${t} metrics empty`, sensorType: t, metrics: "{}" },
    { label: `${t} only an unknown metric`, sensorType: t, metrics: '{"vibration_mm_s":1.5}' },
  ]);
}

const CASES: readonly Case[] = [...METRIC_RULES.flatMap(casesOf), ...groupCases(), ...objectCases()];

interface Verdict {
  readonly accepted: boolean;
  readonly reasons: readonly string[];
}

const AT = "2026-01-05T08:00:00.000Z";
const atMs = Date.parse(AT);

/**
 * A good reading stamped at each edge of TIMESTAMP_LIMITS (300 s ahead of landing at most, 7 days
 * old at most), landed at AT: the bound itself is kept, a millisecond past it refused.
 */
const TIMED_TYPE: SensorType = SENSOR_TYPES[0]!;
const TIMED: ReadonlyArray<readonly [string, Date]> = [
  ["ts-ahead-300s", new Date(atMs + 300_000)],
  ["ts-ahead-300.001s", new Date(atMs + 300_001)],
  ["ts-age-7d", new Date(atMs - 7 * 86_400_000)],
  ["ts-age-7d-1ms", new Date(atMs - 7 * 86_400_000 - 1)],
];

/** Scans the validate task judges: [job, station, scan time]. */
const SCANS: ReadonlyArray<readonly [string, string, string]> = [
  ["J-GOOD", "CUT", "2026-01-05T07:59:00"],
  ["J-NO-STATION", " ", "2026-01-05T07:59:00"],
  [" ", "WELD", "2026-01-05T07:59:00"],
  ["J-AHEAD", "WELD", "2026-01-05T08:05:00.001"],
];

/** The device message one case is sent in: one reading, its metrics as the case's JSON text. */
function messageText(c: Case, i: number): string {
  const metrics = c.metrics === undefined ? "" : `,"metrics":${c.metrics}`;
  return `{"v":1,"tenant_id":"acme","site_id":"s1","device_id":"b-${i}","sensor_type":"${c.sensorType}","seq":${i},"readings":[{"ts":"${AT}","seq":${i}${metrics}}]}`;
}

const split = (reason: string) => reason.split("; ");

function ingestVerdict(c: Case, i: number, validator: "compiled" | "zod"): Verdict {
  const r = parseMessage(messageText(c, i), { receivedAt: new Date(AT), expectedTenant: "acme", validator });
  assert.equal(r.kind, "readings", `${c.label}: the envelope is fine`);
  if (r.accepted.length === 1) return { accepted: true, reasons: [] };
  assert.equal(r.rejected.length, 1, c.label);
  // The field as the warehouse names it: the reading's payload rather than the message's readings[0].
  const reasons = split(r.rejected[0]!.reason).map((s) => s.replace(/^readings\[0\]\.metrics/, "payload.metrics"));
  return { accepted: false, reasons: [...new Set(reasons)].sort() };
}

describe("metric rules at their boundaries: the ingest and the warehouse agree", () => {
  let engine: EmbeddedEngine;
  let clock: SimulatedClock;
  const warehouse = new Map<string, Verdict>();

  before(async () => {
    ({ engine, clock } = await testEngine(AT));
    // Each case lands as the streaming ingest lands a reading (its payload as JSON text), on its
    // own device; the validate task then judges them all in one run.
    const readings: RawReading[] = CASES.map((c, i) => ({
      tenantId: "acme", siteId: "s1", deviceId: `b-${i}`, sensorType: c.sensorType, ts: new Date(AT), seq: i, messageId: null,
      payload: c.metrics === undefined ? '{"schema":1}' : `{"schema":1,"metrics":${c.metrics}}`, channel: "acme/0", channelOffset: i, source: "test",
    }));
    // Readings at the timestamp limits, on devices of their own (see "timestamps at their limits").
    for (const [device, ts] of TIMED) {
      readings.push({ ...readings[0]!, deviceId: device, ts, seq: 0, payload: `{"schema":1,"metrics":${JSON.stringify(goodMetrics(TIMED_TYPE))}}`, sensorType: TIMED_TYPE });
    }
    await engine.land({ readings, scans: SCANS.map(([job, station, ts]) => scan("acme", job, station, ts)) });
    clock.advance(60_000);
    const tick = await engine.tick();
    assert.ok(tick.tasks.some((t) => t.name === "OPS.VALIDATE_READINGS" && t.state === "SUCCEEDED"), JSON.stringify(tick.tasks));
    const refused = await adminQuery<{ device_id: string; reason: string }>(engine, "SELECT device_id, reason FROM RAW.QUARANTINE WHERE source = 'validate'");
    const kept = await adminQuery<{ device_id: string }>(engine, "SELECT DISTINCT device_id FROM CORE.SENSOR_READINGS_NORMALIZED WHERE device_id LIKE 'b-%'");
    CASES.forEach((_, i) => {
      const reasons = refused.filter((r) => r.device_id === `b-${i}`).flatMap((r) => split(r.reason));
      warehouse.set(`b-${i}`, { accepted: reasons.length === 0, reasons: [...new Set(reasons)].sort() });
    });
    for (const k of kept) assert.ok(warehouse.get(k.device_id)?.accepted !== undefined, k.device_id);
  });
  after(() => engine.close());

  it("timestamps at their limits: both halves keep the bound and refuse a millisecond past it, the warehouse naming the column", async () => {
    const refused = await adminQuery<{ device_id: string; reason: string }>(engine, "SELECT DISTINCT device_id, reason FROM RAW.QUARANTINE WHERE source = 'validate' AND device_id LIKE 'ts-%' ORDER BY 1");
    assert.deepEqual(refused.map((r) => [r.device_id, r.reason]), [
      ["ts-age-7d-1ms", "ts 2025-12-29 07:59:59.999 is more than 604800 s older than ingested_at 2026-01-05 08:00:00"],
      ["ts-ahead-300.001s", "ts 2026-01-05 08:05:00.001 is more than 300 s ahead of ingested_at 2026-01-05 08:00:00"],
    ]);
    // The ingest half, on the same times against the same instant (received_at = AT).
    for (const [device, ts] of TIMED) {
      const text = `{"v":1,"tenant_id":"acme","site_id":"s1","device_id":"${device}","sensor_type":"${TIMED_TYPE}","seq":1,"readings":[{"ts":"${ts.toISOString()}","seq":1,"metrics":${JSON.stringify(goodMetrics(TIMED_TYPE))}}]}`;
      const r = parseMessage(text, { receivedAt: new Date(AT), expectedTenant: "acme", validator: "zod" });
      assert.equal(r.kind === "readings" && r.accepted.length === 1, !refused.some((x) => x.device_id === device), device);
    }
  });

  it("a scan is refused for an empty station, an empty job or a time too far ahead, each reason naming the field", async () => {
    const refused = await adminQuery<{ device_id: string; reason: string }>(engine, "SELECT device_id, reason FROM RAW.QUARANTINE WHERE source = 'validate' AND metric IS NULL AND device_id NOT LIKE 'b-%' AND device_id NOT LIKE 'ts-%' ORDER BY reason");
    assert.deepEqual(refused.map((r) => [r.device_id, r.reason]), [
      [" ", "job_id is empty"],
      ["J-AHEAD", "scan_ts 2026-01-05 08:05:00.001 is more than 300 s ahead of ingested_at 2026-01-05 08:00:00"],
      ["J-NO-STATION", "station is empty"],
    ]);
  });

  it("a refused metric's quarantine row keeps the metric's name and its value as landed", async () => {
    const i = CASES.findIndex((c) => c.label.endsWith(" just above max"));
    const rule = METRIC_RULES.find((r) => CASES[i]!.label.startsWith(`${r.sensorType}.${r.metric} `));
    assert.ok(rule?.kind === "number", CASES[i]!.label);
    const [row] = await adminQuery<{ raw: string; metric: string }>(engine, `SELECT CAST(raw AS VARCHAR) AS raw, metric FROM RAW.QUARANTINE WHERE source = 'validate' AND device_id = 'b-${i}'`);
    assert.deepEqual(JSON.parse(row!.raw), { metric: rule.metric, value: nextAfter(rule.max, 1) });
    assert.equal(row!.metric, rule.metric);
  });

  it(`builds its ${CASES.length} cases from every rule and group, with the bounds accepted and the doubles beyond refused`, () => {
    for (const rule of METRIC_RULES) assert.ok(CASES.some((c) => c.label.startsWith(`${rule.sensorType}.${rule.metric} `)), `${rule.sensorType}.${rule.metric}`);
    // The table's own premise, independent of either half: nextafter steps exactly one double.
    assert.equal(nextAfter(1, 1), 1 + Number.EPSILON);
    assert.equal(nextAfter(0, -1), -Number.MIN_VALUE);
    assert.ok(nextAfter(3600, 1) > 3600 && nextAfter(nextAfter(3600, 1), -1) === 3600);
  });

  it("the compiled check and the zod schemas give the same verdict and reasons on every case", () => {
    const differ = CASES.map((c, i) => [c.label, ingestVerdict(c, i, "compiled"), ingestVerdict(c, i, "zod")] as const).filter(([, a, b]) => JSON.stringify(a) !== JSON.stringify(b));
    assert.deepEqual(differ, []);
  });

  it("the warehouse gives the ingest's verdict and reasons on every case", () => {
    const differ: string[] = [];
    CASES.forEach((c, i) => {
      const ingest = ingestVerdict(c, i, "zod");
      const wh = warehouse.get(`b-${i}`)!;
      if (JSON.stringify(ingest) !== JSON.stringify(wh)) differ.push(`${c.label} (${c.metrics ?? "no metrics"}):\n  ingest    ${JSON.stringify(ingest)}\n  warehouse ${JSON.stringify(wh)}`);
    });
    assert.equal(differ.length, 0, `${differ.length} of ${CASES.length} cases differ:\n${differ.join("\n")}`);
  });

  it("accepts exactly the values inside [min, max] (a property of the rules, whatever either half does)", () => {
    CASES.forEach((c, i) => {
      const m = /^(\w+)\.(\w+) (= min|= max|just above min|just below max|just below min|just above max)$/.exec(c.label);
      if (!m) return;
      const inside = !m[3]!.includes("below min") && !m[3]!.includes("above max");
      assert.equal(warehouse.get(`b-${i}`)!.accepted, inside, c.label);
      assert.equal(ingestVerdict(c, i, "compiled").accepted, inside, c.label);
    });
  });
});
