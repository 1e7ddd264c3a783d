/**
 * Air-quality categories: the TypeScript functions at every edge of the EPA PM2.5 table (revised
 * February 2024) and of the CO2 bands, and the SQL versions run on DuckDB agreeing with them over a
 * sweep, so the gold table and any TypeScript caller never disagree.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { DuckDBInstance } from "@duckdb/node-api";
import { duckdbDialect as duck } from "../../pipelines/dialect/index.ts";
import { co2Band, co2BandSql, pm25Aqi, pm25AqiSql, pm25Category, pm25CategorySql } from "../../pipelines/quality/aqi.ts";

// [µg/m³, AQI, category] at both ends of every EPA 2024 breakpoint row, written from the EPA table,
// not from the implementation (https://www.epa.gov/system/files/documents/2024-02/pm-naaqs-air-quality-index-fact-sheet.pdf).
const EPA_EDGES: ReadonlyArray<readonly [number, number, string]> = [
  [0.0, 0, "GOOD"],
  [9.0, 50, "GOOD"],
  [9.1, 51, "MODERATE"],
  [35.4, 100, "MODERATE"],
  [35.5, 101, "UNHEALTHY_FOR_SENSITIVE_GROUPS"],
  [55.4, 150, "UNHEALTHY_FOR_SENSITIVE_GROUPS"],
  [55.5, 151, "UNHEALTHY"],
  [125.4, 200, "UNHEALTHY"],
  [125.5, 201, "VERY_UNHEALTHY"],
  [225.4, 300, "VERY_UNHEALTHY"],
  [225.5, 301, "HAZARDOUS"],
  [325.4, 500, "HAZARDOUS"],
];

for (const [pm25, aqi, category] of EPA_EDGES) {
  test(`pm25Aqi/pm25Category: ${pm25} µg/m³ is AQI ${aqi}, ${category}`, () => {
    assert.equal(pm25Aqi(pm25), aqi);
    assert.equal(pm25Category(pm25), category);
  });
}

test("pm25: a concentration is truncated to one decimal before lookup (9.05 is still GOOD, 35.49 still MODERATE)", () => {
  assert.deepEqual([pm25Aqi(9.05), pm25Category(9.05)], [50, "GOOD"]);
  assert.deepEqual([pm25Aqi(9.09), pm25Category(9.09)], [50, "GOOD"]);
  assert.deepEqual([pm25Aqi(35.49), pm25Category(35.49)], [100, "MODERATE"]);
  assert.deepEqual([pm25Aqi(55.45), pm25Category(55.45)], [150, "UNHEALTHY_FOR_SENSITIVE_GROUPS"]);
});

test("pm25: interpolation inside a row rounds to the nearest integer (5.0 → 28, 12.0 → 56, 100.0 → 182)", () => {
  // (50/9)·5 = 27.8; (49/26.3)·2.9 + 51 = 56.4; (49/69.9)·44.5 + 151 = 182.2
  assert.deepEqual([pm25Aqi(5.0), pm25Aqi(12.0), pm25Aqi(100.0)], [28, 56, 182]);
});

test("pm25: above the top breakpoint (325.4) the AQI stays 500 and HAZARDOUS", () => {
  for (const pm25 of [325.5, 500, 1000]) assert.deepEqual([pm25Aqi(pm25), pm25Category(pm25)], [500, "HAZARDOUS"]);
});

test("co2Band: GOOD up to 800 ppm, MODERATE to 1000, POOR to 1500, VERY_POOR above (edges inclusive)", () => {
  const cases: ReadonlyArray<readonly [number, string]> = [
    [0, "GOOD"],
    [800, "GOOD"],
    [800.1, "MODERATE"],
    [1000, "MODERATE"],
    [1000.1, "POOR"],
    [1500, "POOR"],
    [1500.1, "VERY_POOR"],
    [40000, "VERY_POOR"],
  ];
  for (const [ppm, band] of cases) assert.equal(co2Band(ppm), band, `${ppm} ppm`);
});

const db = await DuckDBInstance.create(":memory:");
const conn = await db.connect();
after(() => {
  conn.closeSync();
  db.closeSync();
});

/** Values from DuckDB itself, so TypeScript is given exactly the double the SQL saw. */
async function sweep(exprs: (v: string) => string[], values: string): Promise<unknown[][]> {
  return (await conn.runAndReadAll(`SELECT v, ${exprs("v").join(", ")} FROM (${values}) s(v) ORDER BY v`)).getRowsJS();
}

test("pm25AqiSql/pm25CategorySql on DuckDB equal pm25Aqi/pm25Category from 0 to 400 µg/m³ in 0.01 steps and at the edges", async () => {
  const values = `SELECT CAST(i AS DOUBLE) / 100 FROM range(0, 40001) t(i) UNION ALL SELECT unnest([${EPA_EDGES.map(([c]) => c).join(", ")}, 9.05, 35.49, 1000]::DOUBLE[])`;
  const got = await sweep((v) => [pm25AqiSql(duck, v), pm25CategorySql(duck, v)], values);
  assert.ok(got.length > 40000);
  const wrong = got.filter(([v, aqi, cat]) => Number(aqi) !== pm25Aqi(v as number) || cat !== pm25Category(v as number));
  assert.deepEqual(wrong.slice(0, 10), [], `${wrong.length} values where SQL and TypeScript disagree ([pm25, sql aqi, sql category])`);
});

test("co2BandSql on DuckDB equals co2Band from 0 to 3000 ppm in 0.5 steps and just past each edge", async () => {
  const values = `SELECT CAST(i AS DOUBLE) / 2 FROM range(0, 6001) t(i) UNION ALL SELECT unnest([800.01, 1000.01, 1500.01, 40000]::DOUBLE[])`;
  const got = await sweep((v) => [co2BandSql(duck, v)], values);
  const wrong = got.filter(([v, band]) => band !== co2Band(v as number));
  assert.deepEqual(wrong.slice(0, 10), [], `${wrong.length} values where SQL and TypeScript disagree ([ppm, sql band])`);
});

test("pm25AqiSql, pm25CategorySql and co2BandSql give NULL for NULL (no reading, no category)", async () => {
  const n = "CAST(NULL AS DOUBLE)";
  const got = (await conn.runAndReadAll(`SELECT ${pm25AqiSql(duck, n)}, ${pm25CategorySql(duck, n)}, ${co2BandSql(duck, n)}`)).getRowsJS();
  assert.deepEqual(got, [[null, null, null]]);
});
