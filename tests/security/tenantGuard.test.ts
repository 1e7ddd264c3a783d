/**
 * The tenant guard on its own (pipelines/warehouse/tenantGuard.ts): statements parsed by DuckDB's
 * own parser (`json_serialize_sql`, as the warehouse session does) and judged against a role's grants
 * written out by hand, without a hub. Each verdict below is the rule as Snowflake states it for a
 * role with SELECT on a few views: a granted view, in any spelling DuckDB resolves to it, runs; any
 * other object "does not exist or not authorized" (002003) and names the object as written; a
 * statement that is not a SELECT lacks privileges (003001); a function the role may not call is
 * unknown (002140). Where DuckDB's parser has no statement that reaches a branch (a node kind it may
 * add later), the tree is written by hand: the guard is an allowlist, so an unknown kind is refused.
 *
 * tests/security/tenantSql.test.ts runs a hostile corpus through a whole hub, where the engine's
 * file-access settings stand behind this check; this file holds the check alone to its rules.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { checkTenantStatement, type GuardContext } from "../../pipelines/warehouse/tenantGuard.ts";
import { HubSqlError } from "../../pipelines/warehouse/errors.ts";

/** The role of these tests: SELECT on three views, nothing in SNOWFLAKE.ACCOUNT_USAGE. */
const ROLE: GuardContext = {
  secureCatalog: "hub_secure",
  granted: new Set(["ANALYTICS.ALERTS", "CORE.METRIC_RULES", "CORE.SENSOR_READINGS_NORMALIZED"]),
};
/** The same role after `USE SCHEMA ANALYTICS`, reading one usage view. */
const IN_ANALYTICS: GuardContext = { ...ROLE, currentSchema: "ANALYTICS", accountUsage: new Set(["QUERY_HISTORY"]) };

let db: DuckDBInstance;
let c: DuckDBConnection;

async function parse(sql: string): Promise<string> {
  const r = await c.runAndReadAll("SELECT json_serialize_sql(CAST(? AS VARCHAR)) AS j", [sql]);
  return String(r.getRows()[0]![0]);
}

/** "ok", or the refusal's code and message (its first line dropped when it is Snowflake's prefix). */
async function verdict(sql: string, ctx: GuardContext = ROLE): Promise<string> {
  return judge(await parse(sql), sql, ctx);
}

function judge(parsed: string, sql: string, ctx: GuardContext = ROLE): string {
  try {
    checkTenantStatement(parsed, sql, ctx);
    return "ok";
  } catch (e) {
    if (!(e instanceof HubSqlError)) throw e;
    assert.equal(e.sql, sql, "the refusal carries the statement it refused");
    return `${e.code} ${e.message.replace(/^SQL (compilation|access control) error:\n/, "")}`;
  }
}

/** A parsed SELECT whose select list is `expr`, as json_serialize_sql writes it. */
function selectOf(expr: unknown, fromTable: unknown = { type: "EMPTY" }): string {
  return JSON.stringify({ error: false, statements: [{ node: { type: "SELECT_NODE", modifiers: [], cte_map: { map: [] }, select_list: [expr], from_table: fromTable } }] });
}

const missing = (name: string) => `002003 Object '${name}' does not exist or not authorized.`;
const unknownFn = (name: string) => `002140 Unknown function ${name}`;

describe("the tenant guard, statement by statement", () => {
  before(async () => {
    db = await DuckDBInstance.create(":memory:");
    c = await db.connect();
  });
  after(() => {
    c.closeSync();
    db.closeSync();
  });

  it("runs one SELECT, and refuses none, several, anything else and text that does not parse", async () => {
    assert.equal(await verdict("SELECT 1"), "ok");
    assert.equal(await verdict("SELECT 1; SELECT 2"), "000008 Actual statement count 2 did not match the desired statement count 1.");
    assert.equal(await verdict(""), "000008 Actual statement count 0 did not match the desired statement count 1.");
    assert.equal(await verdict(";"), "000008 Actual statement count 0 did not match the desired statement count 1.");
    const readOnly = "003001 Insufficient privileges to operate on a non-SELECT statement (tenant roles are read-only)";
    for (const sql of ["INSERT INTO ANALYTICS.ALERTS VALUES (1)", "SET enable_external_access = true", "COPY ANALYTICS.ALERTS TO 'x.csv'", "ATTACH 'x.db'", "PRAGMA show_tables", "CALL duckdb_tables()"]) {
      assert.equal(await verdict(sql), readOnly, sql);
    }
    assert.equal(await verdict("SELEC 1"), '001003 syntax error syntax error at or near "SELEC"');
    // The parser's own wording without its "Parser Error: " prefix, whichever way DuckDB words it.
    assert.equal(judge(JSON.stringify({ error: true, error_message: "Parser Error: syntax error at end of input" }), "SELECT ("), "001003 syntax error syntax error at end of input");
    assert.equal(judge(JSON.stringify({ error: true }), "?"), "001003 syntax error ");
    assert.equal(judge(JSON.stringify({ error: false }), "?"), "000008 Actual statement count 0 did not match the desired statement count 1.", "no statements listed");
  });

  it("gives each refusal Snowflake's SQLSTATE for its code, which drivers report", async () => {
    const state = async (sql: string, ctx: GuardContext = ROLE) => {
      try {
        checkTenantStatement(await parse(sql), sql, ctx);
        return "ok";
      } catch (e) {
        return `${(e as HubSqlError).code} ${(e as HubSqlError).sqlState}`;
      }
    };
    assert.equal(await state("SELECT 1; SELECT 2"), "000008 0A000");
    assert.equal(await state("SELECT version()"), "002140 42601");
    assert.equal(await state("SHOW TABLES"), "000002 0A000");
    assert.equal(await state("SELECT * FROM RAW.DEVICE_MESSAGES"), "002003 42S02");
    assert.equal(await state("SELECT * FROM read_csv('x')"), "003001 42501");
    assert.equal(await state("DELETE FROM RAW.X"), "003001 42501");
    assert.equal(await state("SELEC 1"), "001003 42000");
  });

  it("reads a granted view by any name DuckDB resolves to it, and nothing else, naming what was asked for", async () => {
    for (const sql of [
      "SELECT * FROM ANALYTICS.ALERTS",
      "select * from analytics.alerts",
      'SELECT * FROM "ANALYTICS"."ALERTS"',
      "SELECT * FROM hub_secure.ANALYTICS.ALERTS",
      "SELECT * FROM HUB_SECURE.analytics.alerts",
    ]) {
      assert.equal(await verdict(sql), "ok", sql);
    }
    assert.equal(await verdict("SELECT * FROM RAW.DEVICE_MESSAGES"), missing("RAW.DEVICE_MESSAGES"));
    assert.equal(await verdict("SELECT * FROM raw.device_messages"), missing("RAW.DEVICE_MESSAGES"));
    assert.equal(await verdict("SELECT * FROM hub.ANALYTICS.ALERTS"), missing("HUB.ANALYTICS.ALERTS"), "the data catalog behind the views");
    assert.equal(await verdict("SELECT * FROM memory.main.t"), missing("MEMORY.MAIN.T"));
    assert.equal(await verdict("SELECT * FROM hub_secure.ALERTS"), missing("HUB_SECURE.ALERTS"), "a catalog-qualified name is schema.name in DuckDB: hub_secure is a schema here");
    // Unqualified: no schema in use, so no view of that name.
    assert.equal(await verdict("SELECT * FROM ALERTS"), missing("ALERTS"));
    assert.equal(await verdict(`SELECT * FROM '/etc/passwd'`), missing("/ETC/PASSWD"), "a path is a replacement scan: an object");
  });

  it("resolves an unqualified name in the schema in use, and only to a view granted there", async () => {
    assert.equal(await verdict("SELECT * FROM ALERTS", IN_ANALYTICS), "ok");
    assert.equal(await verdict("SELECT * FROM alerts", IN_ANALYTICS), "ok");
    assert.equal(await verdict("SELECT * FROM METRIC_RULES", IN_ANALYTICS), missing("METRIC_RULES"), "granted in CORE, not in the schema in use");
    assert.equal(await verdict("SELECT * FROM CORE.METRIC_RULES", IN_ANALYTICS), "ok");
    assert.equal(await verdict("SELECT * FROM ALERTS", { ...ROLE, currentSchema: "CORE" }), missing("ALERTS"));
    // A qualified name is looked up as written, whatever schema is in use.
    assert.equal(await verdict("SELECT * FROM RAW.ALERTS", IN_ANALYTICS), missing("RAW.ALERTS"));
    assert.equal(await verdict("SELECT * FROM hub.RAW.ALERTS", IN_ANALYTICS), missing("HUB.RAW.ALERTS"));
  });

  it("reads SNOWFLAKE.ACCOUNT_USAGE as the role's database roles allow", async () => {
    assert.equal(await verdict("SELECT * FROM snowflake.account_usage.query_history", IN_ANALYTICS), "ok");
    assert.equal(await verdict("SELECT * FROM SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY", IN_ANALYTICS), "ok");
    assert.equal(await verdict("SELECT * FROM snowflake.account_usage.warehouse_metering_history", IN_ANALYTICS), missing("SNOWFLAKE.ACCOUNT_USAGE.WAREHOUSE_METERING_HISTORY"));
    const noSchema = "002003 Schema 'SNOWFLAKE.ACCOUNT_USAGE' does not exist or not authorized.";
    assert.equal(await verdict("SELECT * FROM snowflake.account_usage.query_history"), noSchema, "a role with no usage view");
    // DuckDB reads `snowflake.x` as schema.table: the usage catalog needs all three parts.
    assert.equal(await verdict("SELECT * FROM snowflake.query_history", IN_ANALYTICS), missing("SNOWFLAKE.QUERY_HISTORY"));
  });

  it("lets a CTE shadow a name only where DuckDB binds it, recursion included", async () => {
    assert.equal(await verdict("WITH a AS (SELECT * FROM ANALYTICS.ALERTS) SELECT * FROM a"), "ok");
    assert.equal(await verdict("WITH A AS (SELECT 1) SELECT * FROM a"), "ok", "CTE names are case-insensitive");
    assert.equal(await verdict("WITH a AS (SELECT 1), b AS (SELECT * FROM a) SELECT * FROM b"), "ok", "a later CTE sees an earlier one");
    assert.equal(await verdict("WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r"), "ok");
    // An earlier body cannot see a later sibling: the name falls through to the catalog.
    assert.equal(await verdict("WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a"), missing("B"));
    // A CTE named like a view shadows only the bare name, never a qualified one.
    assert.equal(await verdict("WITH DEVICE_MESSAGES AS (SELECT 1) SELECT * FROM RAW.DEVICE_MESSAGES"), missing("RAW.DEVICE_MESSAGES"));
    assert.equal(await verdict(`WITH "RAW.DEVICE_MESSAGES" AS (SELECT 1) SELECT * FROM RAW.DEVICE_MESSAGES`), missing("RAW.DEVICE_MESSAGES"));
    // A CTE of a subquery is out of scope outside it.
    assert.equal(await verdict("SELECT * FROM (WITH y AS (SELECT 1) SELECT * FROM y), y"), missing("Y"));
    // The body of a CTE is walked like any query.
    assert.equal(await verdict("WITH a AS (SELECT * FROM RAW.DEVICE_MESSAGES) SELECT 1"), missing("RAW.DEVICE_MESSAGES"), "an unused CTE still reads");
    assert.equal(await verdict("WITH a AS (SELECT version()) SELECT * FROM a"), unknownFn("VERSION"));
  });

  it("calls built-in functions on the allowlist only, in any case, unqualified or in system.main", async () => {
    for (const sql of [
      "SELECT upper('a'), lower('B'), UPPER('c')",
      "SELECT main.upper('a')",
      "SELECT system.main.upper('a')",
      "SELECT SYSTEM.MAIN.upper('a')",
      "SELECT row_number() OVER (ORDER BY 1), sum(1) OVER ()",
      "SELECT [x * 2 FOR x IN [1, 2]]",
    ]) {
      assert.equal(await verdict(sql), "ok", sql);
    }
    assert.equal(await verdict("SELECT current_setting('threads')"), unknownFn("CURRENT_SETTING"));
    assert.equal(await verdict("SELECT version()"), unknownFn("VERSION"));
    assert.equal(await verdict("SELECT nextval('s') OVER ()"), unknownFn("NEXTVAL"), "a window over a function not allowed");
    assert.equal(await verdict("SELECT hub_secure.main.upper('a')"), unknownFn("HUB_SECURE.MAIN.UPPER"), "a function of the data's catalog may be a macro");
    assert.equal(await verdict("SELECT GOVERNANCE.TENANT_ISOLATION('globex')"), unknownFn("GOVERNANCE.TENANT_ISOLATION"));
    assert.equal(await verdict("SELECT system.pg_catalog.upper('a')"), unknownFn("SYSTEM.PG_CATALOG.UPPER"));
    assert.equal(await verdict("SELECT memory.main.upper('a')"), unknownFn("MEMORY.MAIN.UPPER"));
    assert.equal(await verdict("SELECT sum(1) FILTER (WHERE getvariable('r') = 1)"), unknownFn("GETVARIABLE"), "inside a filter");
    assert.equal(await verdict("SELECT * FROM ANALYTICS.ALERTS ORDER BY current_database()"), unknownFn("CURRENT_DATABASE"), "inside ORDER BY");
  });

  it("allows every expression kind of everyday SQL", async () => {
    const v = "CORE.SENSOR_READINGS_NORMALIZED";
    // One statement per expression class the guard allows (the class in the comment).
    for (const sql of [
      "SELECT 1", // CONSTANT
      `SELECT device_id FROM ${v}`, // COLUMN_REF
      "SELECT abs(-1)", // FUNCTION
      `SELECT lag(value) OVER (ORDER BY ts) FROM ${v}`, // WINDOW
      "SELECT CAST(1 AS VARCHAR), 1::DOUBLE", // CAST
      "SELECT CASE WHEN 1 = 1 THEN 'a' ELSE 'b' END", // CASE, COMPARISON
      "SELECT 1 = 1 AND 2 > 1 OR false", // CONJUNCTION
      "SELECT NOT true, 1 IS NULL, 1 IN (1, 2)", // OPERATOR
      `SELECT (SELECT max(value) FROM ${v}), EXISTS (SELECT 1)`, // SUBQUERY
      `SELECT * FROM ${v}`, // STAR
      "SELECT ?", // PARAMETER
      "SELECT 'a' COLLATE nocase", // COLLATE
      "SELECT list_transform([1], x -> x + 1)", // LAMBDA
      "SELECT list_filter([1, 2], lambda x: x > 1)", // LAMBDA
      "SELECT 2 BETWEEN 1 AND 3", // BETWEEN
      `SELECT #1 FROM ${v}`, // POSITIONAL_REFERENCE
      `SELECT device_id FROM ${v} ORDER BY ts, value ASC, device_id DESC LIMIT 3 OFFSET 1`, // ORDER_DEFAULT, ASCENDING, DESCENDING, modifiers
      `SELECT DISTINCT device_id FROM ${v}`, // DISTINCT_MODIFIER
      "SELECT CAST(1 AS DECIMAL(10, 2)), CAST('a' AS VARCHAR(3))", // *_TYPE_INFO
    ]) {
      assert.equal(await verdict(sql), "ok", sql);
    }
  });

  it("walks every kind of FROM: joins, subqueries, VALUES, set operations, PIVOT, DESCRIBE", async () => {
    const v = "CORE.SENSOR_READINGS_NORMALIZED";
    for (const sql of [
      `SELECT * FROM ${v} a JOIN ANALYTICS.ALERTS b ON a.tenant_id = b.tenant_id`,
      `SELECT * FROM (SELECT * FROM ${v}) x`,
      "SELECT * FROM (VALUES (1, 'a')) t(n, s)",
      `SELECT metric FROM ${v} UNION SELECT metric FROM CORE.METRIC_RULES`,
      `SELECT * FROM ${v} PIVOT (sum(value) FOR metric IN ('a'))`,
      "DESCRIBE ANALYTICS.ALERTS",
      "SUMMARIZE SELECT * FROM ANALYTICS.ALERTS",
    ]) {
      assert.equal(await verdict(sql), "ok", sql);
    }
    // The same shapes around an object not granted: each is walked to it.
    for (const sql of [
      `SELECT * FROM ${v} a JOIN RAW.DEVICE_MESSAGES b ON true`,
      `SELECT * FROM ${v} a, LATERAL (SELECT * FROM RAW.DEVICE_MESSAGES)`,
      "SELECT * FROM (SELECT * FROM (SELECT * FROM RAW.DEVICE_MESSAGES))",
      "SELECT * FROM (VALUES ((SELECT 1 FROM RAW.DEVICE_MESSAGES)))",
      `SELECT metric FROM ${v} EXCEPT SELECT metric FROM RAW.DEVICE_MESSAGES`,
      "SELECT * FROM RAW.DEVICE_MESSAGES PIVOT (sum(v) FOR k IN ('a'))",
      "DESCRIBE RAW.DEVICE_MESSAGES",
      "SUMMARIZE SELECT * FROM RAW.DEVICE_MESSAGES",
      `SELECT * FROM ${v} WHERE value > (SELECT 1 FROM RAW.DEVICE_MESSAGES)`,
    ]) {
      assert.equal(await verdict(sql), missing("RAW.DEVICE_MESSAGES"), sql);
    }
    for (const sql of ["SHOW TABLES", "SHOW DATABASES", "SHOW ALL TABLES"]) {
      assert.match(await verdict(sql), /^000002 Unsupported feature 'SHOW [A-Z_ ]+'\.$/, sql);
    }
    assert.equal(await verdict("SHOW TABLES"), "000002 Unsupported feature 'SHOW TABLES'.");
  });

  it("runs the table functions that read nothing, with arguments that are themselves checked", async () => {
    for (const sql of [
      "SELECT * FROM range(3)",
      "SELECT * FROM generate_series(1, 3)",
      "SELECT * FROM unnest([1, 2])",
      "SELECT * FROM RANGE(3)",
      "SELECT * FROM system.main.range(3)",
      "SELECT j.value FROM CORE.SENSOR_READINGS_NORMALIZED r, json_each(r.source) j",
    ]) {
      assert.equal(await verdict(sql), "ok", sql);
    }
    const tableFn = (name: string) => `003001 Insufficient privileges to operate on table function ${name} (tenant roles read granted views only)`;
    assert.equal(await verdict("SELECT * FROM read_csv('x.csv')"), tableFn("READ_CSV"));
    assert.equal(await verdict("SELECT * FROM query('SELECT 1')"), tableFn("QUERY"));
    assert.equal(await verdict("SELECT * FROM duckdb_tables()"), tableFn("DUCKDB_TABLES"));
    assert.equal(await verdict("SELECT * FROM hub_secure.main.range(3)"), tableFn("RANGE"), "a table function of the data's catalog");
    assert.equal(await verdict("SELECT * FROM x.range(3)"), tableFn("RANGE"));
    assert.equal(await verdict("SELECT * FROM range((SELECT count(*) FROM RAW.DEVICE_MESSAGES))"), missing("RAW.DEVICE_MESSAGES"));
    assert.equal(await verdict("SELECT * FROM unnest([current_setting('threads')])"), unknownFn("CURRENT_SETTING"));
  });

  it("refuses a node kind it does not know, so a feature DuckDB adds later stays refused until allowed", () => {
    const col = { class: "COLUMN_REF", type: "COLUMN_REF", column_names: ["x"] };
    assert.equal(judge(selectOf(col), "q"), "ok", "the hand-written tree is one the guard accepts");
    assert.equal(judge(selectOf({ class: "DEFAULT", type: "VALUE_DEFAULT" }), "q"), "000002 Unsupported feature 'DEFAULT expressions'.");
    assert.equal(judge(selectOf({ class: "FUTURE", type: "FUTURE", child: col }), "q"), "000002 Unsupported feature 'FUTURE expressions'.");
    assert.equal(judge(selectOf(col, { type: "COLUMN_DATA", alias: "" }), "q"), "000002 Unsupported feature 'COLUMN_DATA'.", "a table reference it does not know");
    assert.equal(judge(selectOf(col, { type: "BASE_TABLE" }), "q"), missing(""), "a table without a name");
    assert.equal(judge(selectOf({ class: "FUNCTION", type: "FUNCTION", children: [] }), "q"), unknownFn(""), "a function without a name");
    // A parse tree that leaves out an empty catalog and schema names a built-in all the same.
    assert.equal(judge(selectOf({ class: "FUNCTION", type: "FUNCTION", function_name: "upper", children: [col] }), "q"), "ok");
    assert.equal(judge(selectOf(col, { type: "TABLE_FUNCTION", function: { class: "FUNCTION", type: "FUNCTION", function_name: "range", children: [] } }), "q"), "ok");
    assert.equal(judge(selectOf(col, { type: "BASE_TABLE", schema_name: "ANALYTICS", table_name: "ALERTS" }), "q"), "ok");
    // A name missing from the tree is refused as no name, never as some default.
    assert.equal(judge(selectOf(col, { type: "TABLE_FUNCTION", function: { class: "FUNCTION", type: "FUNCTION", children: [] } }), "q"), "003001 Insufficient privileges to operate on table function  (tenant roles read granted views only)");
    assert.equal(judge(selectOf(col, { type: "SHOW_REF", query: null }), "q"), "000002 Unsupported feature 'SHOW '.");
    // A node kind shaped like the ones allowed, but not one of them.
    for (const type of ["LIMIT_MODIFIER_EXTRA", "X_ORDER_DEFAULT", "ASCENDING_NULLS", "DESCENDING_X", "DECIMAL_TYPE_INFO_V2"]) {
      assert.equal(judge(selectOf(col, { type: "EMPTY", extra: { type } }), "q"), `000002 Unsupported feature '${type}'.`, type);
    }
    // A query node nested where a value would be is walked for its relations.
    assert.equal(judge(selectOf(col, { type: "EMPTY", extra: { type: "SELECT_NODE", from_table: { type: "BASE_TABLE", schema_name: "RAW", table_name: "X" } } }), "q"), missing("RAW.X"));
  });
});
