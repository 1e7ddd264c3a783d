/**
 * Every Snowflake function the twin claims, run through a SnowflakeSession as the admin role and as a
 * tenant role (the translated SQL must also pass the tenant guard), against Snowflake's documented
 * value; and the errors a user meets, in Snowflake's codes and words, never DuckDB's.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fixtureEngineWithAcme } from "./fixture.ts";
import { SAMPLES } from "./snowflakeFunctionSamples.ts";
import { SnowflakeSession } from "../../pipelines/sql/snowflakeSession.ts";
import { SNOWFLAKE_FUNCTIONS } from "../../pipelines/sql/snowflakeFunctions.ts";
import { HubSqlError } from "../../pipelines/warehouse/errors.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";

const norm = (v: unknown): unknown => {
  const x = typeof v === "bigint" ? Number(v) : typeof v === "object" && v !== null && "toDouble" in v ? (v as { toDouble(): number }).toDouble() : v;
  return typeof x === "number" ? Number(x.toPrecision(12)) : x;
};

/** [statement, Snowflake's error code, what its message says] */
const ERRORS: Array<[string, string, RegExp]> = [
  ["SELECT TO_BOOLEAN('maybe')", "100037", /^Boolean value 'maybe' is not recognized$/],
  ["SELECT TO_NUMBER('12x')", "100038", /^Numeric value '12x' is not recognized$/],
  ["SELECT 'abc'::INT", "100038", /^Numeric value 'abc' is not recognized$/],
  ["SELECT '2026-13-45'::DATE", "100040", /^Date '2026-13-45' is not recognized$/],
  ["SELECT TO_DATE('not a date')", "100040", /^Date 'not a date' is not recognized$/],
  ["SELECT '2026-01-01 99:00'::TIMESTAMP_NTZ", "100035", /^Timestamp '2026-01-01 99:00' is not recognized$/],
  ["SELECT PARSE_JSON('{bad')", "100069", /^Error parsing JSON: .*, pos \d+$/],
  ["SELECT 99999999999::NUMBER(38,0) * 99999999999 * 99999999999 * 99999999999", "100046", /^Number out of representable range/],
  ["SELECT 1 / 0", "100051", /^Division by zero$/],
  ["SELECT x / y FROM (SELECT 1 AS x, 0 AS y)", "100051", /^Division by zero$/],
  ["SELECT CONVERT_TIMEZONE('Mars/Base', CURRENT_TIMESTAMP())", "100094", /Mars\/Base/],
  ["SELECT ABS('x')", "001044", /^SQL compilation error: error line 1 at position 7\nInvalid argument types for function 'ABS': \(VARCHAR\)$/],
  ["SELECT site_id, COUNT(*) FROM ANALYTICS.ALERTS", "000979", /\[SITE_ID\] is not a valid group by expression/],
  ["SELECT site_id, COUNT(*) FROM ANALYTICS.ALERTS GROUP BY tenant_id", "000979", /error line 1 at position 7\n'SITE_ID' in select clause is neither an aggregate nor in the group by clause/],
  ["SELECT site_id,\n  no_such_column FROM ANALYTICS.ALERTS", "000904", /^SQL compilation error: error line 2 at position 2\ninvalid identifier 'NO_SUCH_COLUMN'$/],
  ["SELECT a.x FROM (SELECT 1 AS x) a JOIN (SELECT 2 AS y) b USING (z)", "000904", /invalid identifier 'Z'/],
  ["SELECT NOSUCHFN(1)", "002140", /Unknown function NOSUCHFN/],
  ["SELECT UPPER(1, 2)", "001003", /syntax error line 1/],
  // What the twin deliberately does not run names itself as the twin's limit.
  ["INSERT INTO RAW.QUARANTINE VALUES (1)", "000002", /^Unsupported feature 'INSERT'\.$/],
  ["SELECT DATEADD(nanosecond, 1, CURRENT_TIMESTAMP())", "000002", /^Unsupported feature 'DATEADD by nanosecond'\.$/],
  ["SELECT COUNT(*) FROM TABLE(FLATTEN(input => PARSE_JSON('[1]'), outer => TRUE))", "000002", /^Unsupported feature 'FLATTEN with OUTER'\.$/],
  ["SELECT TO_NUMBER('1,000', '9,999')", "000002", /^Unsupported feature 'TO_NUMBER with a format model'\.$/],
];

describe("Snowflake functions on the twin", () => {
  let engine: EmbeddedEngine;
  before(async () => {
    engine = await fixtureEngineWithAcme();
  });
  after(() => engine.close());

  it("has a sample for every function it lists, and lists every function it has a sample for", () => {
    const listed = SNOWFLAKE_FUNCTIONS.flatMap((f) => f.names);
    assert.deepEqual(listed.filter((n) => !SAMPLES[n]), [], "listed without a sample");
    assert.deepEqual(Object.keys(SAMPLES).filter((n) => !listed.includes(n)), [], "a sample for a function not listed");
  });

  it("documents every function it lists in the support matrix (docs/warehouse.md)", () => {
    const doc = readFileSync(new URL("../../docs/warehouse.md", import.meta.url), "utf8");
    const matrix = doc.slice(doc.indexOf("## Snowflake SQL on the twin"));
    const rows = new Map(matrix.split("\n").filter((l) => l.startsWith("| ")).map((l) => l.split("|").map((c) => c.trim())).map((c) => [c[3], c[2]]));
    for (const f of SNOWFLAKE_FUNCTIONS) {
      const names = f.names.map((n) => `\`${n}\``).join(", ");
      assert.equal(rows.get(names), f.how, `${f.family} (${f.how}): ${names} is not a row of the matrix`);
    }
  });

  for (const role of ["HUB_ADMIN", "TENANT_ACME_ROLE"]) {
    it(`gives Snowflake's documented value for every listed function, as ${role}`, async () => {
      const s = await SnowflakeSession.open(engine, { user: "TESTER", role, warehouse: null });
      const wrong: string[] = [];
      for (const [name, [expression, expected]] of Object.entries(SAMPLES)) {
        // A tenant role has no grant on the platform's streams: Snowflake answers 002003 for them.
        const refusedToTenant = role !== "HUB_ADMIN" && name === "SYSTEM$STREAM_HAS_DATA";
        try {
          const [r] = await s.execute(`SELECT ${expression}`);
          const got = norm(r!.rows[0]![0]);
          if (refusedToTenant) wrong.push(`${name}: a tenant read the platform's stream`);
          else if (JSON.stringify(got) !== JSON.stringify(expected)) wrong.push(`${name}: SELECT ${expression} gave ${JSON.stringify(got)}, want ${JSON.stringify(expected)}`);
        } catch (e) {
          if (!(refusedToTenant && e instanceof HubSqlError && e.code === "002003")) wrong.push(`${name}: SELECT ${expression} failed: ${(e as Error).message.replace(/\n/g, " ")}`);
        }
      }
      await s.close();
      assert.deepEqual(wrong, []);
    });
  }

  it("keeps Snowflake's integer range: INT is NUMBER(38, 0), not DuckDB's 32 bits", async () => {
    const s = await SnowflakeSession.open(engine, { user: "TESTER", role: "HUB_ADMIN" });
    const [r] = await s.execute("SELECT 2147483647::INT + 1, '7'::BYTEINT * 3, CAST(2.5 AS INTEGER)");
    assert.deepEqual(r!.rows[0]!.map(norm), [2147483648, 21, 3]);
    await s.close();
  });

  it("names an ordered aggregate's column by its whole text", async () => {
    const s = await SnowflakeSession.open(engine, { user: "TESTER", role: "HUB_ADMIN" });
    const [r] = await s.execute("SELECT ARRAY_AGG(x) WITHIN GROUP (ORDER BY x DESC), COUNT(*) FROM (VALUES (1), (2)) t(x)");
    assert.deepEqual(r!.columns, ["ARRAY_AGG(X) WITHIN GROUP (ORDER BY X DESC)", "COUNT(*)"]);
    await s.close();
  });

  for (const role of ["HUB_ADMIN", "TENANT_ACME_ROLE"]) {
    it(`answers a failing statement with Snowflake's code and words, and no DuckDB text, as ${role}`, async () => {
      const s = await SnowflakeSession.open(engine, { user: "TESTER", role, warehouse: null });
      const wrong: string[] = [];
      for (const [sql, code, message] of ERRORS) {
        try {
          await s.execute(sql);
          wrong.push(`${sql}: ran`);
        } catch (e) {
          if (!(e instanceof HubSqlError)) wrong.push(`${sql}: not a HubSqlError: ${String(e)}`);
          else if (e.code !== code || !message.test(e.message)) wrong.push(`${sql}: ${e.code} ${JSON.stringify(e.message)}, want ${code} ${message}`);
          else if (/(Binder|Conversion|Catalog|Parser|Invalid Input|Out of Range|Not implemented) Error|explicit type casts|DuckDB/i.test(e.message)) wrong.push(`${sql}: DuckDB's words in ${JSON.stringify(e.message)}`);
          else if (e.sql !== sql) wrong.push(`${sql}: the error carries ${JSON.stringify(e.sql)}, not the statement as typed`);
        }
      }
      await s.close();
      assert.deepEqual(wrong, []);
    });
  }
});
