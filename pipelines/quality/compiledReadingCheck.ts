/**
 * The fast way to ACCEPT a reading: a check compiled once per sensor type from METRIC_RULES (the
 * catalogue the zod schemas in payloadSchemas.ts are derived from), as straight-line JavaScript
 * with the metric names and bounds written in, so a good reading costs a few property reads and
 * comparisons instead of zod parses: parseMessage of gateway messages takes about a fifth of the
 * CPU time it took with zod for every reading (issue 3, section 8; measured side by side).
 *
 * It never refuses anything itself. When it cannot vouch for a reading (a problem, or anything
 * unusual, such as nesting deeper than it looks), it answers
 * "unsure" and parseMessage judges that reading with the zod schemas, which write the reasons. So
 * reasons come from one place, and the only thing this module decides is "certainly accepted",
 * which must imply what zod decides: tests/pipelines/payloadSchemas.test.ts checks the two agree on
 * a seeded corpus of good and spoiled readings.
 */
import { TIMESTAMP_LIMITS, groupsFor, rulesFor, type MetricGroup, type MetricRule, type SensorType } from "./metricRules.ts";
import { timestampSchema } from "./payloadSchemas.ts";

/**
 * The pattern zod's `z.iso.datetime({ offset: true })` tests (timestampSchema): read from the schema,
 * not copied, so the fast path accepts exactly the timestamp texts zod accepts.
 */
const TIMESTAMP_PATTERN: RegExp = (() => {
  const pattern = (timestampSchema as unknown as { _zod?: { pattern?: unknown } })._zod?.pattern;
  if (!(pattern instanceof RegExp) || pattern.global || pattern.sticky) {
    throw new Error("zod's ISO datetime schema no longer exposes its pattern: compiledReadingCheck.ts needs updating");
  }
  return pattern;
})();

const MAX_DEPTH = 32;

/**
 * No NaN / ±Infinity anywhere inside `value` (what nonFiniteIssues reports). Deeper than
 * MAX_DEPTH it gives up (false: unsure), so a deeply nested payload cannot overflow the stack here.
 */
export function allFinite(value: unknown, depth = 0): boolean {
  if (typeof value === "number") return value - value === 0;
  if (typeof value !== "object" || value === null) return true;
  if (depth >= MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!allFinite(value[i], depth + 1)) return false;
    return true;
  }
  for (const k in value) if (!allFinite((value as Record<string, unknown>)[k], depth + 1)) return false;
  return true;
}

export type MetricsCheck = (metrics: unknown) => boolean;

/** JavaScript source judging one metric held in `v`: `return false` when it is absent (and required) or not acceptable. */
function ruleSource(rule: MetricRule): string {
  const bad = rule.kind === "text"
    ? rule.allowed.map((a) => `v !== ${JSON.stringify(a)}`).join(" && ")
    // Inclusive bounds, as zod's min/max and the SQL half's `value < min_value OR value > max_value`;
    // `v - v !== 0` refuses NaN and ±Infinity whatever the bounds.
    : `typeof v !== "number" || v - v !== 0 || !(v >= ${rule.min} && v <= ${rule.max})`;
  const read = `v = m[${JSON.stringify(rule.metric)}];`;
  return rule.required ? `${read} if (${bad}) return false;` : `${read} if (v !== undefined && (${bad})) return false;`;
}

/**
 * The metrics check of one sensor type, compiled from its rules: the metrics object is a plain
 * object, every rule holds, each metric group is whole or absent, and no value anywhere in it
 * (unknown metrics included) is NaN / ±Infinity. The rules and groups default to the catalogue's;
 * they are parameters so a test can hand it the rules it must refuse to compile.
 */
export function compileMetricsCheck(sensorType: SensorType, rules: readonly MetricRule[] = rulesFor(sensorType), groups: readonly MetricGroup[] = groupsFor(sensorType)): MetricsCheck {
  for (const r of rules) {
    // A rule named like an Object.prototype member would read the prototype where zod reads the key.
    if (r.metric in Object.prototype) throw new Error(`metric name ${r.metric} cannot be compiled`);
    if (r.kind === "number" && !(Number.isFinite(r.min) && Number.isFinite(r.max))) throw new Error(`metric ${r.metric} needs finite bounds`);
  }
  for (const g of groups) {
    if (g.metrics.length < 2) throw new Error(`metric group ${g.metrics.join(", ")} of ${sensorType} needs two metrics or more`);
    for (const m of g.metrics) if (m in Object.prototype) throw new Error(`metric name ${m} cannot be compiled`);
  }
  const body = [
    `if (typeof m !== "object" || m === null || Array.isArray(m)) return false;`,
    "let v;",
    ...rules.map(ruleSource),
    // Each group all present or all absent (METRIC_GROUPS).
    ...groups.map((g) => {
      const present = g.metrics.map((k) => `(m[${JSON.stringify(k)}] !== undefined)`);
      return `if (${present.slice(1).map((p) => `${p} !== ${present[0]}`).join(" || ")}) return false;`;
    }),
    `for (const k in m) { v = m[k]; if (typeof v === "number" ? v - v !== 0 : typeof v === "object" && v !== null && !allFinite(v)) return false; }`,
    "return true;",
  ].join("\n");
  return new Function("allFinite", `return function metricsOf${sensorType}(m) {\n${body}\n};`)(allFinite) as MetricsCheck;
}

const METRICS_CHECKS: Readonly<Record<SensorType, MetricsCheck>> = {
  MACHINE: compileMetricsCheck("MACHINE"),
  ENERGY: compileMetricsCheck("ENERGY"),
  AIR_QUALITY: compileMetricsCheck("AIR_QUALITY"),
};

const MAX_FUTURE_S = TIMESTAMP_LIMITS.maxFutureSeconds;
const MAX_AGE_S = TIMESTAMP_LIMITS.maxAgeSeconds;

/**
 * The reading's time when it is certainly accepted (shape, sequence number, timestamp, metrics and
 * no non-finite number anywhere), else null: then the zod path judges it.
 */
export function acceptReading(reading: unknown, sensorType: SensorType, receivedMs: number): Date | null {
  if (typeof reading !== "object" || reading === null || Array.isArray(reading)) return null;
  const r = reading as Record<string, unknown>;
  const seq = r.seq;
  if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 0) return null;
  const text = r.ts;
  if (typeof text !== "string" || !TIMESTAMP_PATTERN.test(text)) return null;
  const ts = new Date(text);
  const ms = ts.getTime();
  if (ms !== ms) return null;
  // The same arithmetic as checkTimestamp, so the limits cut at the same millisecond.
  const ahead = (ms - receivedMs) / 1000;
  if (ahead > MAX_FUTURE_S || -ahead > MAX_AGE_S) return null;
  if (!METRICS_CHECKS[sensorType](r.metrics)) return null;
  for (const k in r) {
    if (k === "ts" || k === "seq" || k === "metrics") continue;
    if (!allFinite(r[k])) return null;
  }
  return ts;
}
