/**
 * A hostile tenant's SQL: statements a tenant role might send to read what it is not granted,
 * class by class (paths, URLs, file readers, catalog functions and views, settings, statements that
 * are not SELECTs, several statements, comments, CTE tricks, subqueries, look-alike and case-varied
 * names). Each must be refused with a Snowflake-shaped error, or return only the role's own rows
 * (none of which carry another tenant's name). Positive controls at the end keep the guard from
 * passing by refusing everything.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { HubSqlError } from "../../pipelines/warehouse/errors.ts";
import type { DuckDbWarehouse } from "../../pipelines/warehouse/duckdbWarehouse.ts";
import { tenantHub, type TenantHub } from "./tenantHub.ts";

/** Snowflake's codes for each refusal (pipelines/warehouse/errors.ts, tenantGuard.ts). */
const CODES = {
  missing: "002003", // Object '...' does not exist or not authorized.
  privileges: "003001", // Insufficient privileges (writes, DDL, settings, file table functions)
  unknownFunction: "002140",
  statements: "000008", // Actual statement count N did not match the desired statement count 1.
  unsupported: "000002",
  syntax: "001003",
} as const;
type Code = (typeof CODES)[keyof typeof CODES];

let hub: TenantHub;
let acme: DuckDbWarehouse;

/** The corpus: [class, statement (paths substituted), the codes that count as refused]. */
function corpus(f: TenantHub["files"], dataCatalog: string): Array<[string, string, readonly Code[]]> {
  const m = [CODES.missing];
  const p = [CODES.privileges];
  const fn = [CODES.unknownFunction];
  return [
    // quoted and unquoted paths: DuckDB replacement scans
    ["path", `SELECT * FROM '${f.parquet}'`, m],
    ["path", `SELECT * FROM "${f.parquet}"`, m],
    ["path", `FROM '${f.parquet}'`, m],
    ["path", `SELECT tenant_id, COUNT(*) FROM '${f.glob}' GROUP BY 1`, m],
    ["path", `SELECT * FROM '${f.csv}'`, m],
    ["path", `SELECT * FROM '${f.json}'`, m],
    ["path", `SELECT * FROM '${f.jsonl}'`, m],
    ["path", `SELECT * FROM '${f.devices}'`, m],
    ["path", `SELECT * FROM '/etc/passwd'`, m],
    ["path", `SELECT * FROM globex.csv`, m],
    ["path", `SELECT * FROM ANALYTICS.ALERTS a JOIN '${f.parquet}' p ON a.tenant_id = p.tenant_id`, m],
    ["path", `SELECT * FROM ANALYTICS.ALERTS, LATERAL (SELECT * FROM '${f.parquet}')`, m],
    ["path", `SELECT * FROM ANALYTICS.ALERTS UNION ALL BY NAME SELECT * FROM '${f.parquet}'`, m],
    ["path", `SELECT (SELECT operator_id FROM '${f.parquet}' LIMIT 1) AS x`, m],
    ["path", `SELECT * FROM ANALYTICS.ALERTS WHERE EXISTS (SELECT 1 FROM '${f.parquet}')`, m],
    ["path", `SELECT * FROM ANALYTICS.ALERTS WHERE tenant_id IN (SELECT tenant_id FROM '${f.csv}')`, m],
    ["path", `SELECT * FROM ANALYTICS.ALERTS ORDER BY (SELECT COUNT(*) FROM '${f.csv}')`, m],
    ["path", `SELECT COUNT(*) FROM ANALYTICS.ALERTS GROUP BY tenant_id HAVING COUNT(*) > (SELECT COUNT(*) FROM '${f.csv}')`, m],
    ["path", `SELECT * FROM ANALYTICS.ALERTS QUALIFY row_number() OVER (ORDER BY (SELECT 1 FROM '${f.csv}')) = 1`, m],
    ["path", `SELECT * FROM ANALYTICS.ALERTS LIMIT (SELECT COUNT(*) FROM '${f.csv}')`, m],
    ["path", `SELECT * FROM (SELECT * FROM (SELECT * FROM '${f.parquet}'))`, m],
    // URLs
    ["url", `SELECT * FROM 'http://127.0.0.1:9/globex.csv'`, m],
    ["url", `SELECT * FROM 's3://hub-archive/bronze/x.parquet'`, m],
    ["url", `SELECT * FROM read_csv('https://127.0.0.1:9/x.csv')`, p],
    // every file-reading table function, and the ones that run other SQL
    ...["read_csv", "read_csv_auto", "read_parquet", "parquet_scan", "read_json", "read_json_auto", "read_ndjson", "read_json_objects",
      "read_text", "read_blob", "glob", "parquet_metadata", "parquet_schema", "parquet_file_metadata", "parquet_kv_metadata", "sniff_csv"].map(
      (t): [string, string, readonly Code[]] => ["file function", `SELECT * FROM ${t}('${f.parquet}')`, p],
    ),
    ["file function", `SELECT * FROM query('SELECT * FROM RAW.DEVICE_MESSAGES')`, p],
    ["file function", `SELECT * FROM query_table('RAW.DEVICE_MESSAGES')`, p],
    ["file function", `SELECT * FROM unnest((SELECT list(operator_id) FROM read_parquet('${f.parquet}')))`, p],
    ["file function", `SELECT * FROM range((SELECT COUNT(*) FROM '${f.csv}'))`, m],
    // catalog functions and views, with and without parentheses
    ...["duckdb_tables", "duckdb_views", "duckdb_columns", "duckdb_databases", "duckdb_schemas", "duckdb_settings", "duckdb_functions", "duckdb_extensions",
      "duckdb_secrets", "duckdb_constraints", "duckdb_indexes", "duckdb_dependencies", "duckdb_memory", "duckdb_temporary_files", "pragma_database_list"].flatMap(
      (t): Array<[string, string, readonly Code[]]> => [
        ["catalog", `SELECT * FROM ${t}()`, p],
        ["catalog", `SELECT * FROM ${t}`, m],
      ],
    ),
    ["catalog", "SELECT * FROM pragma_table_info('RAW.DEVICE_MESSAGES')", p],
    ["catalog", "SELECT * FROM information_schema.tables", m],
    ["catalog", "SELECT * FROM information_schema.columns", m],
    ["catalog", "SELECT * FROM pg_catalog.pg_tables", m],
    ["catalog", "SELECT * FROM sqlite_master", m],
    ["catalog", "SELECT * FROM system.main.duckdb_tables", m],
    ["catalog", "SELECT * FROM main.duckdb_views", m],
    ["catalog", "SELECT sql FROM duckdb_views WHERE view_name = 'ALERTS'", m],
    // settings, variables and the session's own state
    ["setting", "SELECT current_setting('temp_directory')", fn],
    ["setting", "SELECT current_setting('enable_external_access')", fn],
    ["setting", "SELECT getvariable('hub_role')", fn],
    ["setting", "SELECT current_database()", fn],
    ["setting", "SELECT current_schemas(true)", fn],
    ["setting", "SELECT version()", fn],
    ["setting", "SELECT json_serialize_plan('SELECT * FROM RAW.DEVICE_MESSAGES')", fn],
    ["setting", "SELECT nextval('x')", fn],
    ["setting", "SELECT sleep_ms(60000)", fn],
    ["setting", "SELECT main.current_setting('threads')", fn],
    ["setting", "SELECT GOVERNANCE.TENANT_ISOLATION('globex')", fn],
    ["setting", "SELECT pg_catalog.pg_get_viewdef(1)", fn],
    // statements that are not a SELECT
    ["statement", "SET enable_external_access = true", p],
    ["statement", "SET VARIABLE hub_role = 'HUB_ADMIN'", p],
    ["statement", "RESET enable_external_access", p],
    ["statement", "PRAGMA database_list", p],
    ["statement", "PRAGMA show_tables", p],
    ["statement", `ATTACH '${f.parquet}' AS x`, p],
    ["statement", "ATTACH ':memory:' AS x", p],
    ["statement", `COPY ANALYTICS.ALERTS TO '${hubFile("out.csv")}'`, p],
    ["statement", `COPY (SELECT 1) TO '${hubFile("out.parquet")}' (FORMAT parquet)`, p],
    ["statement", `COPY ANALYTICS.ALERTS FROM '${f.csv}'`, p],
    ["statement", `EXPORT DATABASE '${hubFile("export")}'`, p],
    ["statement", `IMPORT DATABASE '${hubFile("export")}'`, p],
    ["statement", "INSTALL httpfs", p],
    ["statement", "LOAD httpfs", p],
    ["statement", "CALL duckdb_tables()", p],
    ["statement", "CREATE TABLE x AS SELECT * FROM ANALYTICS.ALERTS", p],
    ["statement", "CREATE TEMP VIEW v AS SELECT * FROM RAW.DEVICE_MESSAGES", p],
    ["statement", "CREATE MACRO m() AS 1", p],
    ["statement", "INSERT INTO RAW.SENSOR_READINGS SELECT * FROM RAW.SENSOR_READINGS", p],
    ["statement", "UPDATE ANALYTICS.ALERTS SET tenant_id = 'acme'", p],
    ["statement", "DELETE FROM RAW.QUARANTINE", p],
    ["statement", "DROP VIEW ANALYTICS.ALERTS", p],
    ["statement", "USE memory", p],
    ["statement", "CHECKPOINT", p],
    ["statement", "EXPLAIN SELECT * FROM RAW.DEVICE_MESSAGES", p],
    ["statement", "SHOW DATABASES", [CODES.unsupported]],
    ["statement", "SHOW TABLES", [CODES.unsupported]],
    ["statement", "SHOW ALL TABLES", [CODES.unsupported]],
    ["statement", `DESCRIBE SELECT * FROM '${f.parquet}'`, m],
    ["statement", `SUMMARIZE SELECT * FROM '${f.parquet}'`, m],
    ["statement", "DESCRIBE RAW.DEVICE_MESSAGES", m],
    // several statements in one request
    ["statements", "SELECT 1; SELECT * FROM RAW.DEVICE_MESSAGES", [CODES.statements]],
    ["statements", "SELECT * FROM ANALYTICS.ALERTS; SELECT * FROM ANALYTICS.ALERTS", [CODES.statements]],
    ["statements", "SELECT 1;\n-- harmless?\nSET enable_external_access = true", [CODES.statements, CODES.privileges]],
    // comments
    ["comment", `SELECT * FROM /* a view */ '${f.parquet}'`, m],
    ["comment", `SELECT * FROM -- the alerts\n'${f.parquet}'`, m],
    ["comment", `SELECT * FROM ANALYTICS.ALERTS /*; */ UNION ALL BY NAME SELECT * FROM RAW.DEVICE_MESSAGES`, m],
    // CTEs named like what they are not
    ["cte", "WITH ANALYTICS AS (SELECT 1 AS x) SELECT * FROM RAW.DEVICE_MESSAGES", m],
    ["cte", `WITH "RAW.DEVICE_MESSAGES" AS (SELECT 1 AS x) SELECT * FROM RAW.DEVICE_MESSAGES`, m],
    ["cte", `WITH DEVICE_MESSAGES AS (SELECT 1 AS x) SELECT * FROM RAW.DEVICE_MESSAGES`, m],
    ["cte", `WITH a AS (SELECT * FROM "${f.parquet}"), "${f.parquet}" AS (SELECT 1 AS x) SELECT * FROM a`, m],
    ["cte", `WITH x AS (SELECT * FROM '${f.csv}') SELECT * FROM x`, m],
    ["cte", `WITH x AS (SELECT 1) SELECT * FROM (WITH y AS (SELECT 2) SELECT * FROM y), y`, m],
    ["cte", `WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r, '${f.csv}' WHERE n < 3) SELECT * FROM r`, m],
    // the data catalog, the engine's own tables, objects not granted, streams
    ["not granted", `SELECT * FROM ${dataCatalog}.CORE.SENSOR_READINGS_NORMALIZED`, m],
    ["not granted", `SELECT * FROM "${dataCatalog.replaceAll('"', "")}"."RAW"."JOB_SCANS"`, m],
    ["not granted", "SELECT * FROM HUB_LOCAL.TASK_HISTORY", m],
    ["not granted", "SELECT * FROM HUB_LOCAL.INGEST_CHANNEL_OFFSETS", m],
    ["not granted", "SELECT * FROM SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY", m],
    ["not granted", "SELECT * FROM GOVERNANCE.TENANT_MAP", m],
    ["not granted", "SELECT * FROM hub_secure.GOVERNANCE.TENANT_MAP", m],
    ["not granted", "SELECT * FROM RAW.DEVICE_MESSAGES", m],
    ["not granted", "SELECT * FROM RAW.SENSOR_READINGS_STREAM", m],
    ["not granted", "SELECT * FROM OPS.ARCHIVE_RUNS", m],
    ["not granted", "SELECT * FROM OPS.ARCHIVE_WATERMARKS", m],
    ["not granted", "SELECT * FROM temp.main.anything", m],
    // look-alike and case-varied names
    ["look-alike", "SELECT * FROM \uFF32AW.DEVICE_MESSAGES", m],
    ["look-alike", "SELECT * FROM \u0410NALYTICS.ALERTS", m],
    ["look-alike", `SELECT * FROM "ANALYTICS "."ALERTS"`, m],
    ["look-alike", `SELECT * FROM "ANALYTICS"."ALERTS\u200B"`, m],
    ["look-alike", `SELECT * FROM "RAW"."DEVICE_MESSAGES"`, m],
    ["look-alike", "SELECT * FROM rAw.dEvIcE_mEsSaGeS", m],
    ["look-alike", `SELECT * FROM "governance"."tenant_map"`, m],
  ];
}

/** A path under the secrets folder (written only if the guard failed). */
let hubFile = (name: string) => name;

describe("a hostile tenant's SQL on the embedded engine", () => {
  before(async () => {
    hub = await tenantHub();
    hubFile = (name) => `${hub.secretsDir}/${name}`;
    acme = await hub.engine.session({ role: "TENANT_ACME_ROLE" });
  });
  after(async () => {
    await acme.close();
    await hub.engine.close();
    rmSync(hub.secretsDir, { recursive: true, force: true });
  });

  it("refuses every statement of the corpus with Snowflake's error for its class, and leaks nothing", async () => {
    const cases = corpus(hub.files, hub.engine.dataCatalog);
    assert.ok(cases.length >= 60, `${cases.length} statements`);
    const wrong: string[] = [];
    for (const [cls, sql, codes] of cases) {
      try {
        const rows = await acme.query(sql);
        // A statement that runs must show acme's rows only: no other tenant's name anywhere.
        const text = JSON.stringify(rows, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
        wrong.push(`${cls}: ran (${rows.length} rows${/globex|initech/.test(text) ? ", ANOTHER TENANT'S DATA" : ""}): ${sql}`);
      } catch (e) {
        if (!(e instanceof HubSqlError)) wrong.push(`${cls}: not a Snowflake-shaped error (${(e as Error).message.split("\n")[0]}): ${sql}`);
        else if (!(codes as readonly string[]).includes(e.code)) wrong.push(`${cls}: ${e.code} instead of ${codes.join("|")} (${e.message.split("\n").join(" ")}): ${sql}`);
        else if (/globex|initech|secret/.test(e.message.replace(sql, ""))) wrong.push(`${cls}: the error shows data: ${e.message}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  /** Runs as acme and returns the rows, which must name no other tenant. */
  const own = async (sql: string) => {
    let rows;
    try {
      rows = await acme.query(sql);
    } catch (e) {
      throw new Error(`refused: ${sql}\n${(e as Error).message}`);
    }
    const text = JSON.stringify(rows, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
    assert.doesNotMatch(text, /globex|initech/, sql);
    return rows;
  };

  it("still runs what a tenant is granted: joins, CTEs, subqueries, DESCRIBE, unnest and range, on its own rows", async () => {
    assert.ok((await own("SELECT * FROM ANALYTICS.ALERTS")).length > 0);
    assert.ok((await own("select tenant_id, count(*) from analytics.alerts group by all")).length > 0, "case-insensitive names");
    assert.ok((await own(`SELECT * FROM "ANALYTICS"."ALERTS"`)).length > 0);
    assert.ok((await own("SELECT * FROM hub_secure.ANALYTICS.ALERTS")).length > 0);
    await own("WITH a AS (SELECT * FROM ANALYTICS.ALERTS), b AS (SELECT * FROM a) SELECT b.*, u.machine_id FROM b LEFT JOIN ANALYTICS.MACHINE_UTILIZATION_HOURLY u USING (tenant_id)");
    await own("WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r");
    await own("SELECT * FROM CORE.SENSOR_READINGS_NORMALIZED WHERE device_id IN (SELECT device_id FROM RAW.SENSOR_READINGS) QUALIFY row_number() OVER (PARTITION BY device_id ORDER BY ts DESC) = 1");
    await own("DESCRIBE ANALYTICS.ALERTS");
    await own("SUMMARIZE SELECT * FROM ANALYTICS.ALERTS");
    await own("SELECT x FROM unnest([1, 2, 3]) t(x)");
    await own("SELECT * FROM range(3)");
    await own("SELECT date_trunc('hour', ts) AS h, avg(value) FILTER (WHERE metric = 'temperature_c'), max_by(value, ts), string_agg(DISTINCT metric, ',' ORDER BY metric) FROM CORE.SENSOR_READINGS_NORMALIZED GROUP BY 1 ORDER BY 1");
    await own("SELECT payload->>'$.metrics.state' AS state, CAST(ts AS DATE) AS d, CASE WHEN seq > 1 THEN 'late' ELSE 'first' END FROM RAW.SENSOR_READINGS WHERE ts BETWEEN TIMESTAMP '2026-01-01' AND now() + INTERVAL 1 DAY");
    await own("SELECT * FROM CORE.METRIC_RULES");
  });

  it("does not refuse everyday analytics SQL: every construct below parses into node kinds the guard allows", async () => {
    const v = "CORE.SENSOR_READINGS_NORMALIZED";
    const statements = [
      `SELECT device_id, value FROM ${v} ORDER BY value DESC NULLS LAST, device_id ASC NULLS FIRST LIMIT 5 OFFSET 1`,
      `SELECT DISTINCT ON (device_id) device_id, ts FROM ${v} ORDER BY device_id, ts DESC`,
      `SELECT device_id, avg(value) OVER (PARTITION BY device_id ORDER BY ts ROWS BETWEEN 3 PRECEDING AND CURRENT ROW) FROM ${v}`,
      `SELECT device_id, sum(value) OVER w, lag(value, 1, 0) OVER w, first_value(value IGNORE NULLS) OVER w FROM ${v} WINDOW w AS (PARTITION BY device_id ORDER BY ts)`,
      `SELECT site_id, device_id, count(*) FROM ${v} GROUP BY ROLLUP (site_id, device_id)`,
      `SELECT site_id, device_id, count(*) FROM ${v} GROUP BY GROUPING SETS ((site_id), (device_id), ())`,
      `SELECT site_id, count(*) FROM ${v} GROUP BY CUBE (site_id)`,
      `SELECT * EXCLUDE (payload) REPLACE (upper(device_id) AS device_id) FROM RAW.SENSOR_READINGS`,
      `SELECT COLUMNS('.*_id') FROM ${v}`,
      `SELECT max(COLUMNS(* EXCLUDE (tenant_id, site_id, device_id, sensor_type, metric, value_text, source))) FROM ${v}`,
      `SELECT * FROM ${v} USING SAMPLE 10 PERCENT (bernoulli)`,
      `SELECT * FROM ${v} TABLESAMPLE 5 ROWS`,
      `SELECT a.device_id FROM ${v} a NATURAL JOIN ${v} b`,
      `SELECT * FROM ${v} a FULL OUTER JOIN ANALYTICS.MACHINE_UTILIZATION_HOURLY m ON a.device_id = m.machine_id`,
      `SELECT * FROM ${v} a CROSS JOIN CORE.METRIC_RULES r`,
      `SELECT * FROM ${v} a SEMI JOIN CORE.METRIC_RULES r ON a.metric = r.metric`,
      `SELECT * FROM ${v} a ANTI JOIN CORE.METRIC_RULES r ON a.metric = r.metric`,
      `SELECT * FROM ${v} a ASOF JOIN ANALYTICS.MACHINE_UTILIZATION_HOURLY m ON a.device_id = m.machine_id AND a.ts >= m.hour`,
      `SELECT * FROM ${v} POSITIONAL JOIN CORE.METRIC_RULES`,
      `SELECT metric FROM ${v} UNION SELECT metric FROM CORE.METRIC_RULES INTERSECT SELECT metric FROM ${v} EXCEPT SELECT 'x'`,
      `SELECT * FROM (VALUES (1, 'a'), (2, 'b')) t(n, s)`,
      `SELECT * FROM ${v} PIVOT (sum(value) FOR metric IN ('temperature_c', 'spindle_load_pct') GROUP BY device_id)`,
      `SELECT * FROM ANALYTICS.MACHINE_UTILIZATION_HOURLY UNPIVOT (v FOR k IN (run_s, idle_s))`,
      `SELECT CAST(value AS DECIMAL(10, 2)), TRY_CAST(value_text AS DOUBLE), value::INTEGER, [value]::DOUBLE[], {'v': value} AS s FROM ${v}`,
      `SELECT list_transform([1, 2], x -> x * 2), list_filter([1, 2], x -> x > 1), [x * 2 FOR x IN [1, 2]]`,
      `SELECT EXTRACT(hour FROM ts), date_part('dow', ts), time_bucket(INTERVAL '15 minutes', ts), ts - INTERVAL 1 HOUR, age(ts, ts), strftime(ts, '%Y-%m') FROM ${v}`,
      `SELECT value IS DISTINCT FROM 1, value_text ILIKE '%run%', device_id SIMILAR TO 'm.*', regexp_matches(device_id, '^m'), device_id ^@ 'm', device_id GLOB 'm*' FROM ${v}`,
      `SELECT CASE metric WHEN 'state' THEN value_text ELSE CAST(value AS VARCHAR) END, COALESCE(value, 0), NULLIF(value, 0), greatest(value, 1), IF(value > 1, 'hi', 'lo') FROM ${v}`,
      `SELECT quantile_cont(value, 0.95), percentile_cont(0.5) WITHIN GROUP (ORDER BY value), mode() WITHIN GROUP (ORDER BY metric), approx_count_distinct(device_id), arg_max(metric, value) FROM ${v}`,
      `SELECT count(*) FILTER (WHERE value > 1), bool_or(value > 1), list(DISTINCT metric ORDER BY metric), histogram(metric) FROM ${v}`,
      `SELECT payload->'$.metrics' AS m, json_extract_string(payload, '$.metrics.state'), json_keys(payload), payload::JSON->>'metrics' FROM RAW.SENSOR_READINGS`,
      `SELECT * FROM ${v} WHERE device_id IN ('m1', 'm2') AND NOT (value < 0) AND value_text IS NULL OR EXISTS (SELECT 1 FROM CORE.METRIC_RULES r WHERE r.metric = ${v}.metric)`,
      `SELECT device_id, count(*) FROM ${v} GROUP BY ALL HAVING count(*) > 0 ORDER BY ALL`,
      `SELECT * FROM ${v} WHERE ts > (SELECT max(ts) - INTERVAL 1 DAY FROM ${v}) AND value = ANY ([1.0, 2.0])`,
      `SELECT x.* FROM (SELECT device_id, row_number() OVER () AS n FROM ${v}) x WHERE n <= 3`,
      `SELECT u.* FROM ANALYTICS.MACHINE_UTILIZATION_HOURLY u, LATERAL (SELECT u.oee * 2 AS twice) l`,
      `SELECT j.value FROM RAW.SENSOR_READINGS r, json_each(r.payload, '$.metrics') j`,
      `SELECT unnest([1, 2]) AS x, unnest({'a': 1, 'b': 2})`,
      `SELECT epoch_ms(ts), to_timestamp(1700000000), make_date(2026, 1, 5), dayname(ts), last_day(ts) FROM ${v}`,
      `FROM ${v} SELECT device_id WHERE value > 0 LIMIT 1`,
      `SELECT $$dollar quoted$$, 'it''s', E'escaped\\n', 1e3, 0x1F, -1.5e-3, TRUE, NULL, DATE '2026-01-05', INTERVAL '2 hours'`,
      `SELECT device_id COLLATE nocase FROM ${v} ORDER BY 1 COLLATE nocase`,
      `SELECT md5(device_id), hash(device_id), concat_ws('-', site_id, device_id), split_part(device_id, '-', 1), lpad(device_id, 8, '0'), device_id || '!' FROM ${v}`,
    ];
    for (const sql of statements) await own(sql);
  });
});
