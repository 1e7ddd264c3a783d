/**
 * The dialect layer, function by function: the exact SQL each dialect writes (SQL in, SQL out); the
 * Snowflake form parsed inside a query with node-sql-parser's snowflake grammar; and the DuckDB form
 * run on a real in-memory DuckDB, so it does what the Dialect interface documents.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { DuckDBInstance } from "@duckdb/node-api";
import { DUCKDB_VARIABLES, duckdbDialect as duck, snowflakeDialect as snow, type Dialect } from "../../pipelines/dialect/index.ts";
import { assertParses, forGrammar } from "../helpers/snowflakeGrammar.ts";

// `materialize` and `externalCall` return statements, not a fragment: they have their own tests below.
type DialectFunction = Exclude<keyof Dialect, "name" | "materialize" | "externalCall">;
type Case<F extends DialectFunction> = {
  readonly args: Parameters<Dialect[F]>;
  readonly snowflake: string;
  readonly duckdb: string;
};

const JSON_NUMBER_TYPES = "('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT')";

// Every Dialect function has cases: the mapped type makes tsc refuse a new function without one.
const TRANSLATIONS: { readonly [F in DialectFunction]: ReadonlyArray<Case<F>> } = {
  type: [
    { args: ["varchar"], snowflake: "VARCHAR", duckdb: "VARCHAR" },
    { args: ["bigint"], snowflake: "NUMBER(38,0)", duckdb: "BIGINT" },
    { args: ["double"], snowflake: "FLOAT", duckdb: "DOUBLE" },
    { args: ["boolean"], snowflake: "BOOLEAN", duckdb: "BOOLEAN" },
    { args: ["timestamp"], snowflake: "TIMESTAMP_NTZ", duckdb: "TIMESTAMP" },
    { args: ["date"], snowflake: "DATE", duckdb: "DATE" },
    { args: ["json"], snowflake: "VARIANT", duckdb: "JSON" },
  ],
  jsonGet: [
    { args: ["payload", "metrics.load"], snowflake: `payload:"metrics"."load"`, duckdb: `(payload -> '$."metrics"."load"')` },
    { args: ["r.payload", "metrics"], snowflake: `r.payload:"metrics"`, duckdb: `(r.payload -> '$."metrics"')` },
    // A double quote in a key: doubled inside a Snowflake quoted key, backslash-escaped in DuckDB's JSONPath.
    { args: ["payload", 'm.a"b'], snowflake: `payload:"m"."a""b"`, duckdb: `(payload -> '$."m"."a\\"b"')` },
  ],
  jsonGetText: [
    { args: ["payload", "metrics.state"], snowflake: `payload:"metrics"."state"::VARCHAR`, duckdb: `(payload ->> '$."metrics"."state"')` },
  ],
  jsonGetNumber: [
    {
      args: ["p", "m"],
      snowflake: `IFF(IS_INTEGER(p:"m") OR IS_DECIMAL(p:"m") OR IS_DOUBLE(p:"m"), p:"m"::FLOAT, NULL)`,
      duckdb: `(CASE WHEN json_type(p -> '$."m"') IN ${JSON_NUMBER_TYPES} THEN TRY_CAST(p ->> '$."m"' AS DOUBLE) END)`,
    },
  ],
  jsonToText: [{ args: ["f.value"], snowflake: "f.value::VARCHAR", duckdb: "(f.value ->> '$')" }],
  jsonIsNumber: [
    { args: ["v"], snowflake: "(IS_INTEGER(v) OR IS_DECIMAL(v) OR IS_DOUBLE(v))", duckdb: `(json_type(v) IN ${JSON_NUMBER_TYPES})` },
  ],
  jsonIsString: [{ args: ["v"], snowflake: "IS_VARCHAR(v)", duckdb: "(json_type(v) = 'VARCHAR')" }],
  parsedValueText: [
    { args: ["v"], snowflake: "v::VARCHAR", duckdb: "(CASE WHEN ascii(CAST(v AS VARCHAR)) = 34 THEN v ->> '$' ELSE CAST(v AS VARCHAR) END)" },
  ],
  parsedValueIsNumber: [
    { args: ["v"], snowflake: "(IS_INTEGER(v) OR IS_DECIMAL(v) OR IS_DOUBLE(v))", duckdb: "(ascii(CAST(v AS VARCHAR)) NOT IN (34, 91, 123, 116, 102))" },
  ],
  parsedValueIsString: [{ args: ["v"], snowflake: "IS_VARCHAR(v)", duckdb: "(ascii(CAST(v AS VARCHAR)) = 34)" }],
  parseJson: [{ args: ["txt"], snowflake: "PARSE_JSON(txt)", duckdb: "json(txt)" }],
  jsonObject: [
    {
      args: [[["metric", "m.metric"], ["value", "f.value"]]],
      snowflake: "OBJECT_CONSTRUCT('metric', m.metric, 'value', f.value)",
      duckdb: "json_object('metric', m.metric, 'value', f.value)",
    },
  ],
  parseObject: [
    {
      args: ["p"],
      snowflake: "IFF(IS_OBJECT(p), p, NULL)",
      duckdb: "json_transform(CASE WHEN json_type(p) = 'OBJECT' THEN p END, '\"MAP(VARCHAR, JSON)\"')",
    },
  ],
  parsedHasAnyKey: [
    {
      args: ["m", ["a", "b"]],
      snowflake: "COALESCE(ARRAYS_OVERLAP(OBJECT_KEYS(m::OBJECT), ARRAY_CONSTRUCT('a', 'b')), FALSE)",
      duckdb: "COALESCE(map_contains(m, 'a') OR map_contains(m, 'b'), FALSE)",
    },
  ],
  flattenParsedRows: [
    {
      args: ["r", ["id", "ts"], "m"],
      snowflake: "SELECT x.id, x.ts, f.KEY AS key, f.VALUE AS value FROM r x, LATERAL FLATTEN(input => x.m) f",
      duckdb: "SELECT id, ts, e.key AS key, e.value AS value FROM (SELECT id, ts, unnest(map_entries(m)) AS e FROM r)",
    },
  ],
  jsonObjectAgg: [{ args: ["station", "station_s"], snowflake: "OBJECT_AGG(station, station_s::VARIANT)", duckdb: "json_group_object(station, station_s)" }],
  flattenArray: [
    {
      args: ["m.readings", "r"],
      snowflake: "LATERAL FLATTEN(input => IFF(IS_ARRAY(m.readings), m.readings, NULL)) r",
      duckdb: "LATERAL (SELECT unnest(CAST(CASE WHEN json_type(m.readings) = 'ARRAY' THEN m.readings END AS JSON[])) AS value) AS r",
    },
  ],
  tryToTimestamp: [{ args: ["t.s"], snowflake: "TRY_TO_TIMESTAMP_NTZ(t.s)", duckdb: "TRY_CAST(t.s AS TIMESTAMP)" }],
  flattenValue: [{ args: ["f"], snowflake: "f.VALUE", duckdb: "f.value" }],
  listAgg: [
    {
      args: ["station", "' > '", "visit_no"],
      snowflake: "LISTAGG(station, ' > ') WITHIN GROUP (ORDER BY visit_no)",
      duckdb: "string_agg(station, ' > ' ORDER BY visit_no)",
    },
  ],
  endsWith: [{ args: ["series_id", "':' || device_id"], snowflake: "ENDSWITH(series_id, ':' || device_id)", duckdb: "ends_with(series_id, ':' || device_id)" }],
  secondsBetween: [{ args: ["a", "b"], snowflake: "(TIMESTAMPDIFF('millisecond', a, b) / 1000.0)", duckdb: "((epoch_ms(b) - epoch_ms(a)) / 1000.0)" }],
  addTime: [
    { args: ["minute", "5", "ts"], snowflake: "DATEADD('minute', 5, ts)", duckdb: "(ts + to_minutes(CAST(5 AS BIGINT)))" },
    { args: ["day", "-1", "ts"], snowflake: "DATEADD('day', -1, ts)", duckdb: "(ts + to_days(CAST(-1 AS BIGINT)))" },
  ],
  now: [{ args: [], snowflake: "SYSDATE()", duckdb: `CAST(getvariable('${DUCKDB_VARIABLES.now}') AS TIMESTAMP)` }],
  currentRole: [{ args: [], snowflake: "CURRENT_ROLE()", duckdb: `CAST(getvariable('${DUCKDB_VARIABLES.role}') AS VARCHAR)` }],
  isFinite: [{ args: ["x"], snowflake: "(x NOT IN ('NaN'::FLOAT, 'inf'::FLOAT, '-inf'::FLOAT))", duckdb: "isfinite(x)" }],
  isNaN: [{ args: ["x"], snowflake: "(x = 'NaN'::FLOAT)", duckdb: "isnan(x)" }],
  doubleText: [{ args: ["x"], snowflake: "TO_VARCHAR(x)", duckdb: "CAST(x AS VARCHAR)" }],
  bindText: [
    {
      args: [["a", "b"], ([x, y]) => `${x} || ${y} || ${x}`],
      snowflake: "(a) || (b) || (a)",
      duckdb: "list_transform([[CAST(a AS VARCHAR), CAST(b AS VARCHAR)]], lambda hub_bound0: hub_bound0[1] || hub_bound0[2] || hub_bound0[1])[1]",
    },
  ],
  tryToDouble: [{ args: ["t"], snowflake: "TRY_TO_DOUBLE(t)", duckdb: "TRY_CAST(t AS DOUBLE)" }],
  literal: [{ args: ["it's"], snowflake: "'it''s'", duckdb: "'it''s'" }],
  timestampLiteral: [
    { args: ["2024-01-02T03:04:05.250Z"], snowflake: "'2024-01-02 03:04:05.250'::TIMESTAMP_NTZ", duckdb: "TIMESTAMP '2024-01-02 03:04:05.250'" },
  ],
  iff: [{ args: ["c", "a", "b"], snowflake: "IFF(c, a, b)", duckdb: "(CASE WHEN c THEN a ELSE b END)" }],
};

test("materialize: both compute the result once into a temporary table; Snowflake makes it before the transaction and fills it inside (DDL would commit the transaction, a CTAS from a stream would consume it)", () => {
  const cols = [{ name: "x", type: "bigint" as const }, { name: "j", type: "json" as const }];
  const m = snow.materialize({ schema: "OPS", name: "B" }, cols, "SELECT 1 AS x, PARSE_JSON('{}') AS j");
  assert.deepEqual(m, {
    setup: ["CREATE OR REPLACE TEMPORARY TABLE OPS.B (x NUMBER(38,0), j VARIANT)"],
    create: ["INSERT INTO OPS.B (x, j)\nSELECT 1 AS x, PARSE_JSON('{}') AS j"],
    ref: "OPS.B",
    drop: [],
  });
  assert.deepEqual(duck.materialize({ schema: "OPS", name: "B" }, cols, "SELECT 1 AS x"), { setup: [], create: ["CREATE OR REPLACE TEMP TABLE B AS\nSELECT 1 AS x"], ref: "B", drop: ["DROP TABLE B"] });
  for (const sql of [...m.setup, ...m.create, `SELECT x FROM ${m.ref}`]) for (const u of forGrammar("Snowflake materialize", sql)) assertParses(u.label, u.sql);
});

test("externalCall: Snowflake calls the external function in SQL into a scratch table made before the transaction; DuckDB leaves the filling to the task runner and drops the table after", () => {
  const m = snow.externalCall({ schema: "OPS", name: "ANSWERS" }, "ML.ANALYSE_NOTE", ["kind", "text"], "SELECT note_id AS call_key, kind, text FROM RAW.OPERATOR_NOTES");
  assert.deepEqual(m, {
    setup: ["CREATE OR REPLACE TEMPORARY TABLE OPS.ANSWERS (call_key VARCHAR, answer VARIANT)"],
    create: ["INSERT INTO OPS.ANSWERS (call_key, answer)\nSELECT x.call_key, ML.ANALYSE_NOTE(x.kind, x.text) FROM (SELECT note_id AS call_key, kind, text FROM RAW.OPERATOR_NOTES) x"],
    ref: "OPS.ANSWERS",
    drop: [],
  });
  assert.deepEqual(duck.externalCall({ schema: "OPS", name: "ANSWERS" }, "ML.ANALYSE_NOTE", ["kind"], "SELECT 1"), { setup: [], create: [], ref: "ANSWERS", drop: ["DROP TABLE IF EXISTS ANSWERS"] });
  for (const sql of [...m.setup, ...m.create]) for (const u of forGrammar("Snowflake externalCall", sql)) assertParses(u.label, u.sql);
});

function render(d: Dialect, fn: DialectFunction, args: readonly unknown[]): string {
  return (d[fn] as (...a: readonly unknown[]) => string)(...args);
}

const callText = (fn: string, args: readonly unknown[]) => `${fn}(${args.map((a) => JSON.stringify(a)).join(", ")})`;

/** A Snowflake fragment placed where it belongs in a query, so the grammar can judge it. */
function inQuery(fn: DialectFunction, sql: string): string {
  if (fn === "type") return `SELECT CAST(NULL AS ${sql})`;
  if (fn === "flattenArray") return `SELECT 1 FROM r, ${sql}`;
  if (fn === "flattenParsedRows") return sql;
  return `SELECT ${sql} FROM t`;
}

for (const fn of Object.keys(TRANSLATIONS) as DialectFunction[]) {
  for (const c of TRANSLATIONS[fn] as ReadonlyArray<Case<DialectFunction>>) {
    const call = callText(fn, c.args);
    test(`translation: ${call} renders the expected Snowflake and DuckDB SQL`, () => {
      assert.equal(render(snow, fn, c.args), c.snowflake, "Snowflake");
      assert.equal(render(duck, fn, c.args), c.duckdb, "DuckDB");
    });
    const units = forGrammar(`Snowflake ${call}`, inQuery(fn, c.snowflake));
    const rewrites = [...new Set(units.flatMap((u) => u.rewrites))];
    test(`grammar: Snowflake ${call} parses inside a query${rewrites.length ? ` [rewrites: ${rewrites.join(", ")}]` : ""}`, () => {
      for (const u of units) assertParses(u.label, u.sql);
    });
  }
}

// DuckDB behaviour: each rendering run on a real engine.
const db = await DuckDBInstance.create(":memory:");
const conn = await db.connect();
after(() => {
  conn.closeSync();
  db.closeSync();
});

async function rows(sql: string): Promise<unknown[][]> {
  return (await conn.runAndReadAll(sql)).getRowsJS();
}
async function value(sql: string): Promise<unknown> {
  return (await rows(sql))[0]![0];
}
const json = (text: string) => `${duck.literal(text)}::JSON`;
const DOC = json(`{"metrics":{"load":1.5,"i":3,"n":"12","state":"RUNNING","o":{"a":1},"q\\"k":4}}`);

test("duckdb: type() gives the DuckDB type each logical column type is created as", async () => {
  const types = ["varchar", "bigint", "double", "boolean", "timestamp", "date", "json"] as const;
  await conn.run(`CREATE TABLE typed (${types.map((t) => `c_${t} ${duck.type(t)}`).join(", ")})`);
  const got = await rows(`SELECT data_type FROM information_schema.columns WHERE table_name = 'typed' ORDER BY ordinal_position`);
  assert.deepEqual(got.map((r) => r[0]), ["VARCHAR", "BIGINT", "DOUBLE", "BOOLEAN", "TIMESTAMP", "DATE", "JSON"]);
});

test("duckdb: jsonGet reads nested keys as JSON, a quoted key, and NULL for a missing key", async () => {
  assert.deepEqual(await rows(`SELECT ${duck.jsonGet(DOC, "metrics.load")}, typeof(${duck.jsonGet(DOC, "metrics.load")})`), [["1.5", "JSON"]]);
  assert.equal(await value(`SELECT ${duck.jsonGet(DOC, 'metrics.q"k')}`), "4");
  assert.equal(await value(`SELECT ${duck.jsonGet(DOC, "metrics.missing")}`), null);
});

test("duckdb: jsonGetText returns strings unquoted and numbers as text", async () => {
  assert.deepEqual(await rows(`SELECT ${duck.jsonGetText(DOC, "metrics.state")}, ${duck.jsonGetText(DOC, "metrics.load")}`), [["RUNNING", "1.5"]]);
});

test("duckdb: jsonGetNumber gives numbers, NULL for a numeric string, an object or a missing key", async () => {
  const paths = ["metrics.load", "metrics.i", "metrics.n", "metrics.o", "metrics.missing"];
  assert.deepEqual(await rows(`SELECT ${paths.map((p) => duck.jsonGetNumber(DOC, p)).join(", ")}`), [[1.5, 3, null, null, null]]);
});

test("duckdb: jsonToText unquotes a JSON string and prints a number", async () => {
  assert.deepEqual(await rows(`SELECT ${duck.jsonToText(json('"x"'))}, ${duck.jsonToText(json("1.5"))}`), [["x", "1.5"]]);
});

test("duckdb: jsonIsNumber is true for 1.5, 3 and a UBIGINT, false for \"x\", null, true and an object", async () => {
  const values = ["1.5", "3", "18446744073709551615", '"x"', "null", "true", '{"a":1}'];
  assert.deepEqual(await rows(`SELECT ${values.map((v) => duck.jsonIsNumber(json(v))).join(", ")}`), [[true, true, true, false, false, false, false]]);
});

test("duckdb: the parsedValue tests of a parseObject value agree with jsonToText / jsonIsNumber / jsonIsString on every kind of JSON value", async () => {
  // Written with spaces, escapes and forms yyjson rewrites, as a device may send them.
  const doc = json('{"s":"x","e":"","q":"a\\u00e9\\"b","i": 7 ,"n":-1.5e3,"f":1.0,"u":18446744073709551616,"z":null,"t":true,"a":[1, 2],"o":{"k" : 1},' +
    '"x1":NaN,"x2":Infinity,"x3":-Infinity,"x4":nan,"x5":inf,"x6":1e999,"b":false}');
  const src = `(SELECT e.key AS k, e.value AS v FROM (SELECT unnest(map_entries(${duck.parseObject(doc)})) AS e))`;
  const both = await rows(
    `SELECT k, ${duck.parsedValueText("v")}, ${duck.jsonToText("v")}, ${duck.parsedValueIsNumber("v")}, ${duck.jsonIsNumber("v")}, ` +
      `${duck.parsedValueIsString("v")}, ${duck.jsonIsString("v")} FROM ${src} ORDER BY k`,
  );
  assert.equal(both.length, 18);
  for (const [k, text, jsonText, isNumber, jsonNumber, isString, jsonString] of both) {
    assert.deepEqual([text, isNumber, isString], [jsonText, jsonNumber, jsonString], `value ${String(k)}`);
  }
  assert.deepEqual(both.map((r) => [r[0], r[1], r[3], r[5]]), [
    ["a", "[1,2]", false, false], ["b", "false", false, false], ["e", "", false, true], ["f", "1.0", true, false], ["i", "7", true, false], ["n", "-1500.0", true, false],
    ["o", '{"k":1}', false, false], ["q", 'aé"b', false, true], ["s", "x", false, true], ["t", "true", false, false],
    ["u", "18446744073709551616", true, false], ["x1", "NaN", true, false], ["x2", "Infinity", true, false], ["x3", "-Infinity", true, false],
    ["x4", "nan", true, false], ["x5", "inf", true, false], ["x6", "1e999", true, false], ["z", null, null, null],
  ]);
});

test("duckdb: jsonIsString tells strings from other JSON", async () => {
  assert.deepEqual(await rows(`SELECT ${duck.jsonIsString(json('"x"'))}, ${duck.jsonIsString(json("1"))}`), [[true, false]]);
});

test("duckdb: parseJson turns text into JSON that jsonGet can read", async () => {
  const parsed = duck.parseJson(duck.literal('{"a":{"b":2}}'));
  assert.deepEqual(await rows(`SELECT typeof(${parsed}), ${duck.jsonGet(parsed, "a.b")}`), [["JSON", "2"]]);
});

test("duckdb: jsonObject builds an object from key/value pairs", async () => {
  const obj = await value(`SELECT ${duck.jsonObject([["metric", "'load'"], ["value", "1.5"]])}`);
  assert.deepEqual(JSON.parse(String(obj)), { metric: "load", value: 1.5 });
});

test("duckdb: jsonObjectAgg aggregates key and value columns into one object", async () => {
  const obj = await value(`SELECT ${duck.jsonObjectAgg("k", "v")} FROM (VALUES ('a', 1.5), ('b', 2.0)) t(k, v)`);
  assert.deepEqual(JSON.parse(String(obj)), { a: 1.5, b: 2 });
});

test("duckdb: parseObject keeps objects only; parsedHasAnyKey and flattenParsedRows read it", async () => {
  const src = `(SELECT id, ${duck.parseObject("p")} AS m FROM (VALUES (1, ${json('{"a":1,"b":"x"}')}), (2, ${json('{"c":true}')}), ` +
    `(3, ${json("[1]")}), (4, ${json('"a"')}), (5, NULL::JSON)) t(id, p))`;
  assert.deepEqual(await rows(`SELECT id, m IS NULL, ${duck.parsedHasAnyKey("m", ["a", "z"])} FROM ${src} ORDER BY id`), [
    [1, false, true], [2, false, false], [3, true, false], [4, true, false], [5, true, false],
  ]);
  assert.deepEqual(await rows(`SELECT * FROM (${duck.flattenParsedRows(src, ["id"], "m")}) ORDER BY 1, 2`), [[1, "a", "1"], [1, "b", '"x"'], [2, "c", "true"]]);
});

test("duckdb: listAgg orders by its ORDER BY expression, not by input order", async () => {
  const got = await value(`SELECT ${duck.listAgg("s", "' > '", "n")} FROM (VALUES ('b', 2), ('c', 3), ('a', 1)) t(s, n)`);
  assert.equal(got, "a > b > c");
});

test("duckdb: endsWith takes `_` and `%` as themselves, not as patterns", async () => {
  assert.equal(await value(`SELECT ${duck.endsWith("'temp:m_1'", "':m_1'")}`), true);
  assert.equal(await value(`SELECT ${duck.endsWith("'temp:mx1'", "':m_1'")}`), false);
  assert.equal(await value(`SELECT ${duck.endsWith("'temp:m1'", "'%'")}`), false);
});

test("duckdb: secondsBetween is fractional and signed (1.5 s forward, -1.5 s back)", async () => {
  const a = duck.timestampLiteral("2024-01-01T00:00:00Z");
  const b = duck.timestampLiteral("2024-01-01T00:00:01.500Z");
  assert.deepEqual(await rows(`SELECT ${duck.secondsBetween(a, b)}, ${duck.secondsBetween(b, a)}`), [[1.5, -1.5]]);
});

test("duckdb: addTime adds seconds, minutes, hours and days, negative amounts included", async () => {
  const ts = duck.timestampLiteral("2024-01-01T00:00:00Z");
  const got = await rows(
    `SELECT ${duck.addTime("second", "90", ts)}, ${duck.addTime("minute", "5", ts)}, ${duck.addTime("hour", "-2", ts)}, ${duck.addTime("day", "1", ts)}`,
  );
  assert.deepEqual((got[0] as Date[]).map((d) => d.toISOString()), [
    "2024-01-01T00:01:30.000Z",
    "2024-01-01T00:05:00.000Z",
    "2023-12-31T22:00:00.000Z",
    "2024-01-02T00:00:00.000Z",
  ]);
});

test("duckdb: now() is the hub_now variable as a TIMESTAMP, NULL when unset", async () => {
  await conn.run(`SET VARIABLE ${DUCKDB_VARIABLES.now} = TIMESTAMP '2024-05-06 07:08:09'`);
  const [[now, type]] = (await rows(`SELECT ${duck.now()}, typeof(${duck.now()})`)) as [[Date, string]];
  assert.deepEqual([now.toISOString(), type], ["2024-05-06T07:08:09.000Z", "TIMESTAMP"]);
  await conn.run(`RESET VARIABLE ${DUCKDB_VARIABLES.now}`);
  assert.equal(await value(`SELECT ${duck.now()}`), null);
});

test("duckdb: currentRole() is the hub_role variable, NULL when unset (policies then deny)", async () => {
  await conn.run(`SET VARIABLE ${DUCKDB_VARIABLES.role} = 'HUB_ADMIN'`);
  assert.equal(await value(`SELECT ${duck.currentRole()}`), "HUB_ADMIN");
  await conn.run(`RESET VARIABLE ${DUCKDB_VARIABLES.role}`);
  assert.equal(await value(`SELECT ${duck.currentRole()}`), null);
});

test("duckdb: isFinite is false for NaN, inf and -inf, true for 1.5, NULL for NULL", async () => {
  const xs = ["'NaN'::DOUBLE", "'inf'::DOUBLE", "'-inf'::DOUBLE", "1.5::DOUBLE", "NULL::DOUBLE"];
  assert.deepEqual(await rows(`SELECT ${xs.map((x) => duck.isFinite(x)).join(", ")}`), [[false, false, false, true, null]]);
});

test("duckdb: isNaN is true for NaN only, NULL for NULL", async () => {
  const xs = ["'NaN'::DOUBLE", "'inf'::DOUBLE", "0::DOUBLE", "NULL::DOUBLE"];
  assert.deepEqual(await rows(`SELECT ${xs.map((x) => duck.isNaN(x)).join(", ")}`), [[true, false, false, null]]);
});

test("duckdb: doubleText writes digits that read back as the same double, no more of them than JavaScript needs", async () => {
  const xs = [0.1, 1 / 3, 3600.0000000000005, 5e-324, 1e21, 123456789012345680000, 1.7976931348623157e308];
  const texts = (await rows(`SELECT ${xs.map((x) => duck.doubleText(`${JSON.stringify(x)}::DOUBLE`)).join(", ")}`))[0] as string[];
  texts.forEach((t, i) => {
    assert.equal(Number(t), xs[i], t);
    const significant = (v: string) => v.toLowerCase().split("e")[0]!.replace(".", "").replace(/^0+/, "").replace(/0+$/, "").length;
    assert.equal(significant(t), significant(String(xs[i])), `${t} vs ${String(xs[i])}`);
  });
});

test("duckdb: bindText computes each value once, however often the body reads it, nested too", async () => {
  // Two reads of one random(): equal only if it was computed once.
  const once = duck.bindText(["CAST(random() AS VARCHAR)"], ([r]) => `${r} = ${r}`);
  const nested = duck.bindText(["'a'"], ([a]) => duck.bindText([`${a} || 'b'`], ([ab]) => `${ab} || ${a}`));
  assert.deepEqual(await rows(`SELECT bool_and(${once}), ANY_VALUE(${nested}) FROM range(1000)`), [[true, "aba"]]);
});

test("duckdb: tryToDouble parses '1.5' and gives NULL for 'x' and ''", async () => {
  assert.deepEqual(await rows(`SELECT ${["'1.5'", "'x'", "''"].map((t) => duck.tryToDouble(t)).join(", ")}`), [[1.5, null, null]]);
});

test("duckdb: literal round-trips a string with a quote", async () => {
  assert.equal(await value(`SELECT ${duck.literal("it's")}`), "it's");
});

test("duckdb: timestampLiteral gives a TIMESTAMP with milliseconds from an ISO string", async () => {
  const lit = duck.timestampLiteral("2024-01-02T03:04:05.250Z");
  const [[ts, type]] = (await rows(`SELECT ${lit}, typeof(${lit})`)) as [[Date, string]];
  assert.deepEqual([ts.toISOString(), type], ["2024-01-02T03:04:05.250Z", "TIMESTAMP"]);
});

test("duckdb: iff takes the first branch when true, the second when false or NULL", async () => {
  assert.deepEqual(await rows(`SELECT ${["TRUE", "FALSE", "NULL"].map((c) => duck.iff(c, "'a'", "'b'")).join(", ")}`), [["a", "b", "b"]]);
});

test("duckdb: materialize's temporary table lives in the task's transaction: read by later statements, gone after a rollback", async () => {
  const m = duck.materialize({ schema: "OPS", name: "BATCH_T" }, [{ name: "x", type: "bigint" }], "SELECT 41 + 1 AS x");
  await conn.run("BEGIN TRANSACTION");
  for (const sql of m.create) await conn.run(sql);
  assert.equal(await value(`SELECT x FROM ${m.ref}`), 42);
  await conn.run("ROLLBACK");
  await assert.rejects(rows(`SELECT x FROM ${m.ref}`), /BATCH_T/);
  await conn.run("BEGIN TRANSACTION");
  for (const sql of [...m.create, ...m.drop]) await conn.run(sql);
  await conn.run("COMMIT");
  await assert.rejects(rows(`SELECT x FROM ${m.ref}`), /BATCH_T/);
});
