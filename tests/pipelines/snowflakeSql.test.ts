/**
 * Snowflake SQL on the twin, statement by statement, against what Snowflake's documentation says
 * each returns (the page cited beside each case; values hand-derived from the documented rule
 * where the page gives none). Every case runs through a SnowflakeSession as the admin role and as a
 * tenant role: the translated SQL must also pass the tenant guard.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { fixtureEngineWithAcme } from "./fixture.ts";
import { SnowflakeSession } from "../../pipelines/sql/snowflakeSession.ts";
import { HubSqlError } from "../../pipelines/warehouse/errors.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";

const D = "https://docs.snowflake.com/en/sql-reference/functions/";

/** [statement, the first row's values, the documentation page] */
const CASES: Array<[string, unknown[], string]> = [
  // conditional
  ["SELECT IFF(TRUE, 'true', 'false'), IFF(NULL, 'a', 'b')", ["true", "b"], `${D}iff`],
  ["SELECT NVL(NULL, 'x'), NVL('y', 'x'), IFNULL(NULL, 3)", ["x", "y", 3], `${D}nvl`],
  ["SELECT NVL2(NULL, 2, 1), NVL2(0, 2, 1)", [1, 2], `${D}nvl2`],
  ["SELECT ZEROIFNULL(NULL), ZEROIFNULL(5)", [0, 5], `${D}zeroifnull`],
  ["SELECT DIV0(1, 0), DIV0(6, 3)", [0, 2], `${D}div0`],
  ["SELECT DECODE(2, 1, 'one', 2, 'two', 'other'), DECODE(9, 1, 'one', 'other'), DECODE(NULL, NULL, 'null matches')", ["two", "other", "null matches"], `${D}decode`],
  // date and time: DATEDIFF counts the boundaries of the part between the two values
  ["SELECT DATEDIFF(year, '2010-04-09 14:39:20'::TIMESTAMP, '2013-05-08 23:39:20'::TIMESTAMP)", [3], `${D}datediff`],
  ["SELECT DATEDIFF('second', '2026-01-05 00:00:00'::TIMESTAMP, '2026-01-06 00:00:01'::TIMESTAMP), DATEDIFF(minute, '2026-01-05 10:59:59'::TIMESTAMP, '2026-01-05 11:00:00'::TIMESTAMP)", [86401, 1], `${D}datediff`],
  ["SELECT DATEDIFF(hour, '2013-05-08 23:39:20'::TIMESTAMP, DATEADD(year, 2, '2013-05-08 23:39:20'::TIMESTAMP))", [17520], `${D}datediff`],
  ["SELECT TIMESTAMPDIFF(days, '2026-01-01'::DATE, '2026-03-01'::DATE), DATEDIFF(mon, '2026-01-31'::DATE, '2026-02-01'::DATE)", [59, 1], `${D}timestampdiff`],
  ["SELECT DATEADD(hour, -3, '2026-01-05 02:00:00'::TIMESTAMP), DATEADD('day', 1, '2026-02-28 08:00:00'::TIMESTAMP), DATEADD(mm, 1, '2026-01-31 00:00:00'::TIMESTAMP)",
    ["2026-01-04T23:00:00.000Z", "2026-03-01T08:00:00.000Z", "2026-02-28T00:00:00.000Z"], `${D}dateadd`],
  ["SELECT TIME_SLICE('2019-02-28 12:34:56'::TIMESTAMP_NTZ, 4, 'HOUR'), TIME_SLICE('2019-02-28 12:34:56'::TIMESTAMP_NTZ, 4, 'HOUR', 'END')",
    ["2019-02-28T12:00:00.000Z", "2019-02-28T16:00:00.000Z"], `${D}time_slice`],
  // slices align to 1970-01-01 (a Thursday): a week slice starts on a Thursday, a 5-day slice on a multiple of 5 days since then
  ["SELECT TIME_SLICE('2026-01-05 10:00:00'::TIMESTAMP_NTZ, 1, 'WEEK'), TIME_SLICE('2026-01-05 10:00:00'::TIMESTAMP_NTZ, 5, 'DAY')",
    ["2026-01-01T00:00:00.000Z", "2026-01-02T00:00:00.000Z"], `${D}time_slice`],
  ["SELECT DATE_TRUNC('hour', '2026-01-05 10:42:07'::TIMESTAMP), DAYNAME('2026-01-05'::DATE)", ["2026-01-05T10:00:00.000Z", "Mon"], `${D}date_trunc`],
  ["SELECT TO_TIMESTAMP_NTZ('2026-01-05 08:00:00'), TO_DATE('2026-01-05')", ["2026-01-05T08:00:00.000Z", "2026-01-05T00:00:00.000Z"], `${D}to_timestamp`],
  // conversion: NUMBER(38, 0) by default, rounded half away from zero
  ["SELECT TRY_TO_NUMBER('12'), TRY_TO_NUMBER('abc'), TO_NUMBER('1.5'), TO_NUMBER('12.3456', 10, 1)", [12, null, 2, 12.3], `${D}to_decimal`],
  ["SELECT TRY_CAST('7' AS INT), '3.5'::FLOAT", [7, 3.5], "https://docs.snowflake.com/en/sql-reference/functions/try_cast"],
  // semi-structured: a path cast to a scalar reads the value, not its JSON
  [`SELECT PARSE_JSON('{"a": {"b": [10, "x"]}}'):a.b[0]::FLOAT, PARSE_JSON('{"a": {"b": [10, "x"]}}'):a.b[1]::STRING, PARSE_JSON('{"s": "hi"}'):s::VARCHAR`, [10, "x", "hi"], "https://docs.snowflake.com/en/user-guide/querying-semistructured"],
  [`SELECT ARRAY_SIZE(PARSE_JSON('[1, 2, 3]')), ARRAY_SIZE(PARSE_JSON('{"a": 1}')), ARRAY_SIZE(ARRAY_CONSTRUCT(1, 2))`, [3, null, 2], `${D}array_size`],
  [`SELECT COUNT(*), SUM(f.value::INT) FROM TABLE(FLATTEN(input => PARSE_JSON('[1, 2, 3]'))) f`, [3, 6], `${D}flatten`],
  [`SELECT f.key, f.value::STRING, f.index FROM TABLE(FLATTEN(input => PARSE_JSON('{"a": "one"}'))) f`, ["a", "one", null], `${D}flatten`],
  [`SELECT f.index, f.value::INT, f.path FROM TABLE(FLATTEN(input => PARSE_JSON('{"a": [5, 6]}'), path => 'a')) f ORDER BY f.index DESC`, [1, 6, "[1]"], `${D}flatten`],
  // aggregates
  ["SELECT LISTAGG(x, ',') WITHIN GROUP (ORDER BY x) FROM (VALUES ('b'), ('a'), ('c')) t(x)", ["a,b,c"], `${D}listagg`],
  ["SELECT MAX_BY(k, v), MIN_BY(k, v), MEDIAN(v) FROM (VALUES ('a', 1), ('b', 3), ('c', 2)) t(k, v)", ["b", "a", 2], `${D}max_by`],
  // strings and regex
  ["SELECT SPLIT_PART('a-b-c', '-', 2), REGEXP_SUBSTR('machine-042', '[0-9]+'), STARTSWITH('acme', 'ac'), ENDSWITH('acme', 'ac'), 'Paint' ILIKE 'p%'", ["b", "042", true, false, true], `${D}split_part`],
  // NULLs sort as the highest values: first under DESC, in a window as in ORDER BY
  ["SELECT k, v FROM (VALUES ('a', 1), ('a', NULL), ('b', 2)) t(k, v) QUALIFY ROW_NUMBER() OVER (PARTITION BY k ORDER BY v DESC) = 1 ORDER BY k", ["a", null], "https://docs.snowflake.com/en/sql-reference/constructs/order-by"],
  ["SELECT k, v FROM (VALUES ('a', 1), ('a', NULL), ('b', 2)) t(k, v) QUALIFY ROW_NUMBER() OVER (PARTITION BY k ORDER BY v ASC NULLS FIRST) = 2 ORDER BY k", ["a", 1], "https://docs.snowflake.com/en/sql-reference/constructs/order-by"],
  // session and clock
  ["SELECT CURRENT_DATABASE(), CURRENT_TIMESTAMP() = SYSDATE()", ["HUB", true], `${D}current_database`],
];

describe("Snowflake SQL on the twin", () => {
  let engine: EmbeddedEngine;
  before(async () => {
    engine = await fixtureEngineWithAcme();
  });
  after(() => engine.close());

  const norm = (v: unknown) => (v instanceof Date ? v.toISOString() : typeof v === "bigint" ? Number(v) : typeof v === "object" && v !== null && "toDouble" in v ? (v as { toDouble(): number }).toDouble() : v);

  for (const role of ["HUB_ADMIN", "TENANT_ACME_ROLE"]) {
    it(`gives what Snowflake documents for ${CASES.length} statements, as ${role}`, async () => {
      const s = await SnowflakeSession.open(engine, { user: "TESTER", role, warehouse: null });
      const wrong: string[] = [];
      for (const [sql, expected, doc] of CASES) {
        try {
          const [r] = await s.execute(sql);
          const got = r!.rows[0]!.map(norm).map((v) => (typeof v === "number" ? Number(v.toPrecision(12)) : v));
          if (JSON.stringify(got) !== JSON.stringify(expected)) wrong.push(`${sql}\n  got ${JSON.stringify(got)}, ${doc} says ${JSON.stringify(expected)}`);
        } catch (e) {
          wrong.push(`${sql}\n  ${(e as Error).message.replace(/\n/g, " ")} (${doc})`);
        }
      }
      await s.close();
      assert.deepEqual(wrong, []);
    });
  }

  it("reads the hub's clock, names columns as Snowflake does, and runs several statements in order", async () => {
    const s = await SnowflakeSession.open(engine, { user: "TESTER", role: "TENANT_ACME_ROLE" });
    const [role, use, count] = await s.execute(
      "SELECT CURRENT_ROLE(), CURRENT_USER(), CURRENT_TIMESTAMP() AS now; USE SCHEMA core; select count(*), 'x' as \"lower\" from sensor_readings_normalized where ts >= dateadd(hour, -2, current_timestamp())",
    );
    assert.deepEqual(role!.columns, ["CURRENT_ROLE()", "CURRENT_USER()", "NOW"]);
    assert.deepEqual(role!.rows[0]!.slice(0, 2), ["TENANT_ACME_ROLE", "TESTER"]);
    assert.equal((role!.rows[0]![2] as Date).toISOString(), engine.clock.now().toISOString(), "the hub's clock, not the wall clock");
    assert.equal(use!.status, "Statement executed successfully.");
    assert.deepEqual(count!.columns, ["COUNT(*)", "lower"]);
    assert.ok(Number(count!.rows[0]![0]) > 0, "the fixture's readings, within two hours of the hub's clock");
    await s.close();
  });

  it("refuses as Snowflake refuses: an unknown function by name, a syntax error with its line and position, a role or schema the session may not use", async () => {
    const s = await SnowflakeSession.open(engine, { user: "TESTER", role: "TENANT_ACME_ROLE" });
    const refused = async (sql: string, code: string, message: RegExp) =>
      assert.rejects(s.execute(sql), (e: unknown) => e instanceof HubSqlError && e.code === code && message.test(e.message), sql);
    await refused("SELECT IFFF(1, 2, 3)", "002140", /Unknown function IFFF/);
    await refused("SELECT current_setting('threads')", "002140", /Unknown function CURRENT_SETTING/);
    await refused("SELECT * FROM", "001003", /syntax error line 1 at position 13/);
    await refused("USE ROLE TENANT_NOPE_ROLE", "002003", /Role 'TENANT_NOPE_ROLE' does not exist or not authorized/);
    await refused("USE SCHEMA GOVERNANCE", "002003", /HUB\.GOVERNANCE/);
    await refused("USE WAREHOUSE HUB_TRANSFORM_WH", "002003", /HUB_TRANSFORM_WH/);
    await refused("SELECT * FROM RAW.DEVICE_MESSAGES", "002003", /RAW\.DEVICE_MESSAGES/);
    await s.close();
  });

  it("shows a tenant its own objects, warehouses and grants, and describes a table with Snowflake's columns", async () => {
    const s = await SnowflakeSession.open(engine, { user: "TESTER", role: "TENANT_ACME_ROLE" });
    const [tables, grants, desc] = await s.execute("SHOW TABLES IN SCHEMA ANALYTICS; SHOW GRANTS; DESCRIBE TABLE RAW.JOB_SCANS");
    assert.deepEqual(tables!.rows.map((r) => r[1]).sort(), ["AIR_QUALITY_CURRENT", "ALERTS", "ENERGY_HOURLY", "MACHINE_UTILIZATION_HOURLY", "PRODUCTION_FLOW"]);
    assert.ok(tables!.rows.every((r) => r[tables!.columns.indexOf("rows")] === null), "no shared row counts for a tenant");
    assert.ok(grants!.rows.some((r) => r[1] === "SELECT" && r[3] === "HUB.ANALYTICS.ALERTS"));
    assert.ok(!grants!.rows.some((r) => String(r[3]).includes("DEVICE_MESSAGES")));
    assert.deepEqual(desc!.columns.slice(0, 4), ["name", "type", "kind", "null?"]);
    assert.equal(desc!.rows.find((r) => r[0] === "OPERATOR_ID")![10], "GOVERNANCE.PII_MASK");
    await assert.rejects(s.execute("DESCRIBE TABLE RAW.DEVICE_MESSAGES"), (e: unknown) => e instanceof HubSqlError && e.code === "002003");
    await s.close();
  });

  it("lists in INFORMATION_SCHEMA exactly what the role can read, with DESCRIBE's columns, and only the admin's task and refresh history", async () => {
    const admin = await SnowflakeSession.open(engine, { user: "TESTER", role: "HUB_ADMIN" });
    const tenant = await SnowflakeSession.open(engine, { user: "TESTER", role: "TENANT_ACME_ROLE" });
    const listed = async (s: SnowflakeSession) =>
      (await s.execute("SELECT table_schema || '.' || table_name FROM information_schema.tables ORDER BY 1"))[0]!.rows.map((r) => String(r[0]));
    const all = await listed(admin);
    const mine = await listed(tenant);
    assert.ok(mine.length > 0 && mine.length < all.length, `a tenant lists part of the database: ${mine.length} of ${all.length}`);
    // The oracle is the session itself: what the tenant lists it can read, what it does not list it cannot.
    for (const name of all) {
      const readable = await tenant.execute(`SELECT * FROM ${name} LIMIT 0`).then(() => true, (e: unknown) => (e instanceof HubSqlError && e.code === "002003" ? false : Promise.reject(e)));
      assert.equal(readable, mine.includes(name), `${name}: listed ${mine.includes(name)}, readable ${readable}`);
    }
    // COLUMNS agrees with DESCRIBE TABLE, column by column.
    const [cols, desc] = await tenant.execute(
      "SELECT column_name, is_nullable FROM HUB.INFORMATION_SCHEMA.COLUMNS WHERE table_schema = 'ANALYTICS' AND table_name = 'ALERTS' ORDER BY ordinal_position; DESCRIBE TABLE ANALYTICS.ALERTS",
    );
    assert.deepEqual(cols!.rows.map((r) => [r[0], r[1] === "YES" ? "Y" : "N"]), desc!.rows.map((r) => [r[0], r[3]]));
    // Task and refresh history: the admin sees the runs the fixture made; a tenant (SELECT only, no MONITOR) sees none.
    const history = "SELECT COUNT(*) FROM TABLE(INFORMATION_SCHEMA.TASK_HISTORY(RESULT_LIMIT => 10000)); SELECT COUNT(*) FROM TABLE(INFORMATION_SCHEMA.DYNAMIC_TABLE_REFRESH_HISTORY(NAME_PREFIX => 'HUB.ANALYTICS.'))";
    const [tasks, refreshes] = await admin.execute(history);
    const [engineTasks] = await engine.control<{ n: bigint }>("SELECT COUNT(*) AS n FROM HUB_LOCAL.TASK_HISTORY");
    assert.equal(Number(tasks!.rows[0]![0]), Math.min(10000, Number(engineTasks!.n)));
    assert.ok(Number(refreshes!.rows[0]![0]) > 0);
    assert.deepEqual((await tenant.execute(history)).map((r) => Number(r.rows[0]![0])), [0, 0]);
    await assert.rejects(admin.execute("SELECT * FROM TABLE(INFORMATION_SCHEMA.TASK_HISTORY(RESULT_LIMIT => 0))"), /RESULT_LIMIT/);
    await assert.rejects(admin.execute("SELECT * FROM INFORMATION_SCHEMA.NO_SUCH_VIEW"), (e: unknown) => e instanceof HubSqlError && e.code === "002003");
    await admin.close();
    await tenant.close();
  });
});
