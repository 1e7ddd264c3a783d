/**
 * The warehouse half's way of showing a value (pipelines/quality/valueTextSql.ts) against oracles
 * it does not share: ECMAScript's Number::toString (JavaScript's own String(x), the specification
 * the SQL lays out) on doubles of every magnitude, and the ingest's formatValue on JSON values of
 * every kind. Run on a plain in-memory DuckDB.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { duckdbDialect as d } from "../../pipelines/dialect/duckdb.ts";
import { numberTextSql, valueTextSql } from "../../pipelines/quality/valueTextSql.ts";
import { formatValue } from "../../pipelines/quality/payloadSchemas.ts";
import { prng } from "../../edge/fleetRandom.ts";

let instance: DuckDBInstance;
let c: DuckDBConnection;

/** The SQL's text for each double, in one statement (doubles as exact hex-free literals: JSON round-trips). */
async function numberTexts(xs: readonly number[]): Promise<string[]> {
  const lit = (x: number) => (Number.isNaN(x) ? "'NaN'::DOUBLE" : x === Infinity ? "'Infinity'::DOUBLE" : x === -Infinity ? "'-Infinity'::DOUBLE" : `${JSON.stringify(x)}::DOUBLE`);
  const rows = (await c.runAndReadAll(`SELECT ${numberTextSql(d, "x")} FROM (SELECT UNNEST([${xs.map(lit).join(", ")}]) AS x, generate_subscripts([${xs.map(lit).join(", ")}], 1) AS i) ORDER BY i`)).getRowsJS();
  return rows.map((r) => r[0] as string);
}

describe("how the warehouse shows a value, against JavaScript's own", () => {
  before(async () => {
    instance = await DuckDBInstance.create(":memory:");
    c = await instance.connect();
  });
  after(() => {
    c.closeSync();
    instance.closeSync();
  });

  it("lays out doubles as Number::toString does, at the notation's edges (1e21, 1e-7) and beyond", async () => {
    const xs = [
      0, -0, 1, -1, 0.1, 0.5, 1.5, 3600, 3600.0000000000005, 1e15, 1e16, 2 ** 53, 2 ** 53 + 2, 123456789012345680000, 999999999999999900000, 1e21, 1.5e21, 1e22,
      1e-6, 1.5e-6, 1e-7, 1.5e-7, 0.000001, 0.0000012345, 5e-324, -5e-324, 1.7976931348623157e308, -1.7976931348623157e308, 0.001, 0.01, 86400, -40, 1 / 3, 2 / 3, 100,
      NaN, Infinity, -Infinity,
    ];
    assert.deepEqual(await numberTexts(xs), xs.map((x) => String(x)));
  });

  it("lays out 2,000 random doubles of every magnitude as JavaScript does", async () => {
    const rand = prng(26);
    const xs = Array.from({ length: 2000 }, () => {
      const mantissa = rand() * 10;
      const exponent = Math.floor(rand() * 80) - 40;
      const x = Number((mantissa * 10 ** exponent).toPrecision(1 + Math.floor(rand() * 17)));
      return rand() < 0.3 ? -x : x;
    });
    const got = await numberTexts(xs);
    const differ = xs.map((x, i) => [String(x), got[i]] as const).filter(([a, b]) => a !== b);
    assert.deepEqual(differ.slice(0, 10), [], `${differ.length} of ${xs.length} differ`);
  });

  it("shows JSON values as the ingest's formatValue shows them: strings quoted and cut at 80, JSON as JSON, null", async () => {
    const values: unknown[] = ["RUNNING", "", "it's", "x".repeat(80), "y".repeat(81), "é".repeat(90), true, false, null, [1, 2], { v: 1 }, { a: "b".repeat(100) }, 42, -0.5, 1e21];
    const json = (v: unknown) => `'${JSON.stringify(v).replaceAll("'", "''")}'::JSON`;
    const v = "v";
    const shown = valueTextSql(d, { text: d.jsonToText(v), isString: d.jsonIsString(v), isNumber: d.jsonIsNumber(v), number: d.tryToDouble(d.jsonToText(v)) });
    const rows = (await c.runAndReadAll(`SELECT ${shown} FROM (SELECT UNNEST([${values.map(json).join(", ")}]) AS v, generate_subscripts([${values.map(json).join(", ")}], 1) AS i) ORDER BY i`)).getRowsJS();
    assert.deepEqual(rows.map((r) => r[0]), values.map(formatValue));
  });
});
