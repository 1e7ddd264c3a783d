/**
 * Every dynamic table declared REFRESH_MODE = INCREMENTAL has a query Snowflake can refresh
 * incrementally, checked on the parsed query against the constructs Snowflake documents as
 * supported:
 *
 *   "Supported queries for dynamic tables",
 *   https://docs.snowflake.com/en/user-guide/dynamic-tables/supported-queries — read 2026-12-05
 *   (that version lists non-deterministic approximate aggregates as supported since Sep 2026 and
 *   MIN_BY / MAX_BY since Mar 2026, and ANY_VALUE as unsupported).
 *
 * The list grows: when it does, read the page again, widen the allowlist in
 * pipelines/sql/incrementalRefreshSupport.ts and move the date above.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DYNAMIC_TABLES } from "../../pipelines/definitions/catalog.ts";
import { FULL_SCOPE, qualifiedName } from "../../pipelines/definitions/types.ts";
import { snowflakeDialect } from "../../pipelines/dialect/index.ts";
import { snowflakeStatements } from "../../pipelines/render/snowflakeDdl.ts";
import { incrementalRefreshFindings } from "../../pipelines/sql/incrementalRefreshSupport.ts";

const constructs = (sql: string) => incrementalRefreshFindings(sql).map((f) => f.construct);

describe("dynamic tables and Snowflake's incremental refresh", () => {
  for (const t of DYNAMIC_TABLES) {
    const name = qualifiedName(t);
    const sql = t.query(snowflakeDialect, FULL_SCOPE);
    if (t.refreshMode.mode === "INCREMENTAL") {
      it(`${name}: declared INCREMENTAL, and every construct of its query is one the page supports`, () => {
        const findings = incrementalRefreshFindings(sql);
        assert.deepEqual(findings, [], `${name} would fail to deploy with REFRESH_MODE = INCREMENTAL:\n${findings.map((f) => `- ${f.construct} in ${f.clause}: ${f.why}`).join("\n")}`);
      });
    } else {
      it(`${name}: declared FULL with a reason, and its query really cannot be incremental`, () => {
        assert.ok(t.refreshMode.mode === "FULL" && t.refreshMode.reason.trim().length > 0, "a FULL table says why");
        assert.notDeepEqual(constructs(sql), [], `${name} could be INCREMENTAL: declare it so (a full refresh reprocesses every row each time)`);
      });
    }
    it(`${name}: the Snowflake DDL declares REFRESH_MODE = ${t.refreshMode.mode}, never AUTO`, () => {
      const create = snowflakeStatements(t).find((s) => s.kind === "create")!.sql;
      assert.match(create, new RegExp(`\\n  REFRESH_MODE = ${t.refreshMode.mode}\\n`));
      assert.doesNotMatch(create, /REFRESH_MODE = AUTO/);
    });
  }
});

describe("the incremental-refresh allowlist", () => {
  // Each row: SQL with one construct the page lists as unsupported (or leaves out), and the finding.
  const refused: ReadonlyArray<[string, string, string]> = [
    ["ANY_VALUE (non-deterministic)", "SELECT tenant_id, ANY_VALUE(site_id) AS site_id FROM RAW.JOB_SCANS GROUP BY tenant_id", "ANY_VALUE"],
    ["ANY_VALUE as a window function", "SELECT ANY_VALUE(site_id) OVER (PARTITION BY tenant_id) FROM RAW.JOB_SCANS", "ANY_VALUE"],
    ["EXCEPT / MINUS", "SELECT a FROM S.T MINUS SELECT a FROM S.U", "EXCEPT"],
    ["LIMIT", "SELECT a FROM S.T LIMIT 5", "LIMIT"],
    ["a subquery in WHERE", "SELECT a FROM S.T WHERE a IN (SELECT a FROM S.U)", "subquery in WHERE"],
    ["EXISTS in WHERE", "SELECT a FROM S.T t WHERE EXISTS (SELECT 1 FROM S.U u WHERE u.a = t.a)", "subquery in WHERE"],
    ["a scalar subquery in SELECT", "SELECT (SELECT MAX(a) FROM S.U) AS m FROM S.T", "subquery in SELECT"],
    ["an outer join on a non-equality", "SELECT t.a FROM S.T t LEFT JOIN S.U u ON u.a > t.a", "LEFT OUTER JOIN with a non-equality predicate"],
    ["an outer join on an equality and a non-equality", "SELECT t.a FROM S.T t LEFT JOIN S.U u ON u.a = t.a AND u.b < t.b", "LEFT OUTER JOIN with a non-equality predicate"],
    ["GROUP BY ROLLUP", "SELECT a, COUNT(*) FROM S.T GROUP BY ROLLUP (a)", "ROLLUP"],
    ["WITH RECURSIVE", "WITH RECURSIVE r AS (SELECT 1 AS n) SELECT n FROM r", "WITH RECURSIVE"],
    ["RANK with a sliding frame", "SELECT RANK() OVER (PARTITION BY a ORDER BY b ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) FROM S.T", "RANK with a window frame"],
    ["SAMPLE", "SELECT a FROM S.T SAMPLE (10)", "SAMPLE / TABLESAMPLE"],
    ["CONNECT BY", "SELECT a FROM S.T CONNECT BY PRIOR a = b", "CONNECT BY"],
    ["CURRENT_TIMESTAMP in SELECT", "SELECT a, CURRENT_TIMESTAMP() AS at FROM S.T", "CURRENT_TIMESTAMP"],
    ["RANDOM", "SELECT RANDOM() AS r FROM S.T", "RANDOM"],
    ["a sequence function", "SELECT SEQ4() AS n FROM S.T", "SEQ4"],
    ["LISTAGG without an order", "SELECT LISTAGG(a, ',') FROM S.T", "LISTAGG without WITHIN GROUP (ORDER BY ...)"],
    ["LATERAL (not in the allowlist yet)", "SELECT f.value FROM S.T t, LATERAL FLATTEN(input => t.v) f", "LATERAL"],
    ["time travel on a source", "SELECT a FROM S.T AT(OFFSET => -60)", "table when"],
    ["a function nobody checked", "SELECT HASH_AGG(a) FROM S.T", "HASH_AGG"],
    ["an unsupported construct inside a CTE", "WITH c AS (SELECT ANY_VALUE(a) AS a FROM S.T) SELECT a FROM c", "ANY_VALUE"],
    ["an unsupported construct inside a FROM subquery", "SELECT x.a FROM (SELECT a FROM S.T LIMIT 1) x", "LIMIT"],
  ];
  for (const [what, sql, construct] of refused) {
    it(`refuses ${what}, naming it`, () => {
      const found = incrementalRefreshFindings(sql);
      assert.ok(found.some((f) => f.construct === construct), `expected ${construct} among ${JSON.stringify(found)}`);
      assert.ok(found.every((f) => f.why.length > 0 && f.clause.length > 0), "each finding says where and why");
    });
  }

  // Constructs the page documents as supported, which the hub's queries use or may use.
  const accepted: ReadonlyArray<[string, string]> = [
    ["GROUP BY with SUM, MIN, MAX, COUNT", "SELECT a, SUM(b), MIN(c), MAX(c), COUNT(*) FROM S.T GROUP BY a"],
    ["MIN_BY / MAX_BY (since March 2026)", "SELECT a, MAX_BY(b, c), MIN_BY(b, c) FROM S.T GROUP BY a"],
    ["QUALIFY ROW_NUMBER()", "SELECT a, b FROM S.T QUALIFY ROW_NUMBER() OVER (PARTITION BY a ORDER BY b DESC) = 1"],
    ["LAG, LEAD and a running SUM", "SELECT LAG(a) OVER (PARTITION BY b ORDER BY c), LEAD(a) OVER (PARTITION BY b ORDER BY c), SUM(a) OVER (PARTITION BY b ORDER BY c ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM S.T"],
    ["a LEFT JOIN on equalities", "SELECT t.a, u.b FROM S.T t LEFT JOIN S.U u ON u.a = t.a AND u.k = t.k"],
    ["UNION ALL and UNION", "SELECT a FROM S.T UNION ALL SELECT a FROM S.U UNION SELECT a FROM S.V"],
    ["LISTAGG ... WITHIN GROUP (ORDER BY ...)", "SELECT a, LISTAGG(b, ' > ') WITHIN GROUP (ORDER BY c) FROM S.T GROUP BY a"],
    ["CURRENT_TIMESTAMP in WHERE", "SELECT a FROM S.T WHERE ts > CURRENT_TIMESTAMP()"],
    ["a subquery in FROM", "SELECT x.a FROM (SELECT a FROM S.T WHERE a IS NOT NULL) x"],
  ];
  for (const [what, sql] of accepted) {
    it(`accepts ${what}`, () => assert.deepEqual(incrementalRefreshFindings(sql), []));
  }

  it("refuses a request that is not one statement", () => {
    assert.throws(() => incrementalRefreshFindings("SELECT 1; SELECT 2"), /one statement; got 2/);
  });
});
