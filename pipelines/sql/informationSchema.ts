/**
 * The database's INFORMATION_SCHEMA on the twin: the views users query (TABLES, COLUMNS, SCHEMATA)
 * and the table functions (TASK_HISTORY, DYNAMIC_TABLE_REFRESH_HISTORY), each a DuckDB subquery the
 * translator puts where the user named it. Rows come from the definitions (what exists) and the
 * engine's history tables (what ran), filtered by the session's role as Snowflake filters them: a
 * role sees the objects it holds a privilege on, and the history of the tasks and dynamic tables it
 * owns or monitors. Tenant roles hold SELECT only, so their task and refresh history is empty.
 * https://docs.snowflake.com/en/sql-reference/info-schema
 */
import { CONTROL_SCHEMA } from "../engine/controlTables.ts";
import { DYNAMIC_TABLES, TABLES } from "../definitions/catalog.ts";
import { ALL_TENANT_ROLES } from "../definitions/governance.ts";
import { TENANT_READABLE, TENANT_SCHEMAS, hubReach } from "../definitions/grants.ts";
import { SCHEMAS, qualifiedName, type DynamicTableDef, type TableDef } from "../definitions/types.ts";
import { snowflakeDialect } from "../dialect/index.ts";
import { SQL_ERRORS } from "../warehouse/errors.ts";

const DATABASE = "HUB";

type Column = readonly [name: string, duckdbType: string];

function literal(v: unknown): string {
  if (v === null || v === undefined) return "NULL";
  if (typeof v === "number") return String(v);
  if (typeof v === "boolean") return v ? "TRUE" : "FALSE";
  return `'${String(v).replaceAll("'", "''")}'`;
}

/** Rows as a typed DuckDB subquery with upper-case column names (an empty one keeps its types). */
function valuesTable(columns: readonly Column[], rows: readonly (readonly unknown[])[]): string {
  const select = columns.map(([name, type], i) => `CAST(${rows.length ? `c${i}` : "NULL"} AS ${type}) AS "${name}"`).join(", ");
  if (rows.length === 0) return `(SELECT ${select} WHERE FALSE)`;
  const values = rows.map((r) => `(${r.map(literal).join(", ")})`).join(", ");
  return `(SELECT ${select} FROM (VALUES ${values}) AS v(${columns.map((_, i) => `c${i}`).join(", ")}))`;
}

const seesAll = (role: string) => (ALL_TENANT_ROLES as readonly string[]).includes(role);

function visibleObjects(role: string): (TableDef | DynamicTableDef)[] {
  return [...TABLES, ...DYNAMIC_TABLES].filter((o) => seesAll(role) || (hubReach(role) === "tenant grants" && TENANT_READABLE.has(qualifiedName(o))));
}

/** INFORMATION_SCHEMA.COLUMNS' DATA_TYPE: the type's name without its parameters, VARCHAR as TEXT. */
function dataType(o: TableDef | DynamicTableDef, i: number): { type: string; precision: number | null; scale: number | null } {
  const full = snowflakeDialect.type(o.columns[i]!.type);
  const m = /^(\w+)(?:\((\d+),(\d+)\))?$/.exec(full)!;
  return { type: m[1] === "VARCHAR" ? "TEXT" : m[1]!, precision: m[2] ? Number(m[2]) : null, scale: m[3] ? Number(m[3]) : null };
}

/** The DuckDB subquery for `[HUB.]INFORMATION_SCHEMA.<view>` as `role` sees it. */
export function informationSchemaView(view: string, role: string, sql: string): string {
  switch (view.toUpperCase()) {
    // https://docs.snowflake.com/en/sql-reference/info-schema/tables
    case "TABLES":
      return valuesTable(
        [["TABLE_CATALOG", "VARCHAR"], ["TABLE_SCHEMA", "VARCHAR"], ["TABLE_NAME", "VARCHAR"], ["TABLE_OWNER", "VARCHAR"], ["TABLE_TYPE", "VARCHAR"],
          ["IS_TRANSIENT", "VARCHAR"], ["CLUSTERING_KEY", "VARCHAR"], ["ROW_COUNT", "BIGINT"], ["BYTES", "BIGINT"], ["RETENTION_TIME", "BIGINT"],
          ["CREATED", "TIMESTAMP"], ["LAST_ALTERED", "TIMESTAMP"], ["COMMENT", "VARCHAR"], ["IS_DYNAMIC", "VARCHAR"]],
        visibleObjects(role).map((o) => [DATABASE, o.schema, o.name, o.kind === "dynamic_table" ? "HUB_PIPELINE" : "HUB_ADMIN", "BASE TABLE",
          o.kind === "table" && o.transient ? "YES" : "NO", o.kind === "table" && o.clusterBy ? `LINEAR(${o.clusterBy.join(", ")})` : null,
          // Row counts and sizes are every tenant's together on a shared table: not shown (as in SHOW TABLES).
          null, null, 1, null, null, o.comment, o.kind === "dynamic_table" ? "YES" : "NO"]),
      );
    // https://docs.snowflake.com/en/sql-reference/info-schema/columns
    case "COLUMNS":
      return valuesTable(
        [["TABLE_CATALOG", "VARCHAR"], ["TABLE_SCHEMA", "VARCHAR"], ["TABLE_NAME", "VARCHAR"], ["COLUMN_NAME", "VARCHAR"], ["ORDINAL_POSITION", "BIGINT"],
          ["COLUMN_DEFAULT", "VARCHAR"], ["IS_NULLABLE", "VARCHAR"], ["DATA_TYPE", "VARCHAR"], ["NUMERIC_PRECISION", "BIGINT"], ["NUMERIC_SCALE", "BIGINT"], ["COMMENT", "VARCHAR"]],
        visibleObjects(role).flatMap((o) =>
          o.columns.map((c, i) => {
            const t = dataType(o, i);
            return [DATABASE, o.schema, o.name, c.name.toUpperCase(), i + 1, null, c.nullable === false ? "NO" : "YES", t.type, t.precision, t.scale, c.comment];
          }),
        ),
      );
    // https://docs.snowflake.com/en/sql-reference/info-schema/schemata
    case "SCHEMATA":
      return valuesTable(
        [["CATALOG_NAME", "VARCHAR"], ["SCHEMA_NAME", "VARCHAR"], ["SCHEMA_OWNER", "VARCHAR"], ["IS_TRANSIENT", "VARCHAR"], ["RETENTION_TIME", "BIGINT"], ["CREATED", "TIMESTAMP"], ["COMMENT", "VARCHAR"]],
        [...(seesAll(role) ? SCHEMAS : hubReach(role) === "tenant grants" ? TENANT_SCHEMAS : []), "INFORMATION_SCHEMA"].map((s) => [DATABASE, s, "HUB_ADMIN", "NO", 1, null, null]),
      );
    default:
      throw SQL_ERRORS.objectDoesNotExist(`${DATABASE}.INFORMATION_SCHEMA.${view.toUpperCase()}`, sql);
  }
}

/** Named arguments of a table function, as DuckDB expressions (already translated). */
export type NamedArguments = ReadonlyMap<string, string>;

const TASK_HISTORY_ARGUMENTS = new Set(["SCHEDULED_TIME_RANGE_START", "SCHEDULED_TIME_RANGE_END", "RESULT_LIMIT", "TASK_NAME", "ERROR_ONLY"]);
const REFRESH_HISTORY_ARGUMENTS = new Set(["NAME", "NAME_PREFIX", "DATA_TIMESTAMP_START", "DATA_TIMESTAMP_END", "RESULT_LIMIT", "ERROR_ONLY"]);

/** RESULT_LIMIT: 100 by default, 1 to 10,000, as both functions document. */
function resultLimit(args: NamedArguments, fn: string, sql: string): string {
  const raw = args.get("RESULT_LIMIT");
  if (raw === undefined) return "100";
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 10000) {
    throw SQL_ERRORS.compilation(`invalid value [${raw}] for parameter 'RESULT_LIMIT' of ${fn}: an integer from 1 to 10000`, sql);
  }
  return String(n);
}

function checkArguments(args: NamedArguments, allowed: ReadonlySet<string>, fn: string, sql: string): void {
  for (const name of args.keys()) {
    if (!allowed.has(name)) throw SQL_ERRORS.compilation(`invalid argument '${name}' for function ${fn}; it takes ${[...allowed].join(", ")}`, sql);
  }
}

/** The functions' columns, for the empty answer a role without MONITOR or ownership gets. */
const TASK_HISTORY_COLUMNS: readonly Column[] = [["NAME", "VARCHAR"], ["DATABASE_NAME", "VARCHAR"], ["SCHEMA_NAME", "VARCHAR"], ["STATE", "VARCHAR"], ["ERROR_CODE", "VARCHAR"],
  ["ERROR_MESSAGE", "VARCHAR"], ["SCHEDULED_TIME", "TIMESTAMP"], ["QUERY_START_TIME", "TIMESTAMP"], ["COMPLETED_TIME", "TIMESTAMP"], ["RUN_ID", "BIGINT"], ["WAREHOUSE_NAME", "VARCHAR"]];
const REFRESH_HISTORY_COLUMNS: readonly Column[] = [["NAME", "VARCHAR"], ["SCHEMA_NAME", "VARCHAR"], ["DATABASE_NAME", "VARCHAR"], ["QUALIFIED_NAME", "VARCHAR"], ["STATE", "VARCHAR"],
  ["STATE_MESSAGE", "VARCHAR"], ["DATA_TIMESTAMP", "TIMESTAMP"], ["REFRESH_START_TIME", "TIMESTAMP"], ["REFRESH_END_TIME", "TIMESTAMP"], ["REFRESH_ACTION", "VARCHAR"],
  ["REFRESH_TRIGGER", "VARCHAR"], ["STATISTICS", "JSON"], ["WAREHOUSE_NAME", "VARCHAR"]];

/** The DuckDB subquery for `TABLE(INFORMATION_SCHEMA.<fn>(...))` as `role` sees it. */
export function informationSchemaFunction(fn: string, args: NamedArguments, role: string, sql: string): string {
  const name = fn.toUpperCase();
  // The engine's history names objects SCHEMA.NAME; Snowflake's functions give the parts apart.
  const bare = (col: string) => `split_part(${col}, '.', 2)`;
  const schema = (col: string) => `split_part(${col}, '.', 1)`;
  switch (name) {
    // https://docs.snowflake.com/en/sql-reference/functions/task_history
    case "TASK_HISTORY": {
      checkArguments(args, TASK_HISTORY_ARGUMENTS, name, sql);
      const limit = resultLimit(args, name, sql);
      if (!seesAll(role)) return valuesTable(TASK_HISTORY_COLUMNS, []);
      const where = [
        "TRUE",
        args.has("TASK_NAME") ? `upper(${bare("name")}) = upper(${args.get("TASK_NAME")})` : null,
        args.has("SCHEDULED_TIME_RANGE_START") ? `scheduled_time >= CAST(${args.get("SCHEDULED_TIME_RANGE_START")} AS TIMESTAMP)` : null,
        args.has("SCHEDULED_TIME_RANGE_END") ? `scheduled_time < CAST(${args.get("SCHEDULED_TIME_RANGE_END")} AS TIMESTAMP)` : null,
        args.has("ERROR_ONLY") ? `(NOT (${args.get("ERROR_ONLY")}) OR state IN ('FAILED', 'CANCELLED'))` : null,
      ].filter(Boolean).join(" AND ");
      return `(SELECT ${bare("name")} AS "NAME", '${DATABASE}' AS "DATABASE_NAME", ${schema("name")} AS "SCHEMA_NAME", state AS "STATE", error_code AS "ERROR_CODE",
        error_message AS "ERROR_MESSAGE", scheduled_time AS "SCHEDULED_TIME", query_start_time AS "QUERY_START_TIME", completed_time AS "COMPLETED_TIME",
        run_id AS "RUN_ID", warehouse_name AS "WAREHOUSE_NAME"
        FROM ${CONTROL_SCHEMA}.TASK_HISTORY WHERE ${where} ORDER BY scheduled_time DESC LIMIT ${limit})`;
    }
    // https://docs.snowflake.com/en/sql-reference/functions/dynamic_table_refresh_history
    case "DYNAMIC_TABLE_REFRESH_HISTORY": {
      checkArguments(args, REFRESH_HISTORY_ARGUMENTS, name, sql);
      const limit = resultLimit(args, name, sql);
      if (!seesAll(role)) return valuesTable(REFRESH_HISTORY_COLUMNS, []);
      // NAME is the table's name as the user writes it: bare, SCHEMA.NAME or HUB.SCHEMA.NAME.
      const named = args.get("NAME");
      const where = [
        "TRUE",
        named ? `(upper(name) = upper(${named}) OR upper('${DATABASE}.' || name) = upper(${named}) OR upper(${bare("name")}) = upper(${named}))` : null,
        args.has("NAME_PREFIX") ? `upper('${DATABASE}.' || name) LIKE upper(${args.get("NAME_PREFIX")}) || '%'` : null,
        args.has("DATA_TIMESTAMP_START") ? `refresh_start_time >= CAST(${args.get("DATA_TIMESTAMP_START")} AS TIMESTAMP)` : null,
        args.has("DATA_TIMESTAMP_END") ? `refresh_start_time < CAST(${args.get("DATA_TIMESTAMP_END")} AS TIMESTAMP)` : null,
        args.has("ERROR_ONLY") ? `(NOT (${args.get("ERROR_ONLY")}) OR state IN ('FAILED', 'UPSTREAM_FAILED'))` : null,
      ].filter(Boolean).join(" AND ");
      return `(SELECT ${bare("name")} AS "NAME", ${schema("name")} AS "SCHEMA_NAME", '${DATABASE}' AS "DATABASE_NAME", '${DATABASE}.' || name AS "QUALIFIED_NAME",
        state AS "STATE", error_message AS "STATE_MESSAGE", refresh_start_time AS "DATA_TIMESTAMP", refresh_start_time AS "REFRESH_START_TIME",
        refresh_end_time AS "REFRESH_END_TIME", refresh_action AS "REFRESH_ACTION", refresh_trigger AS "REFRESH_TRIGGER",
        json_object('numInsertedRows', rows_inserted, 'numDeletedRows', rows_deleted, 'numSourceRows', source_rows) AS "STATISTICS", warehouse_name AS "WAREHOUSE_NAME"
        FROM ${CONTROL_SCHEMA}.DYNAMIC_TABLE_REFRESH_HISTORY WHERE ${where} ORDER BY refresh_start_time DESC LIMIT ${limit})`;
    }
    default:
      throw SQL_ERRORS.objectDoesNotExist(`${DATABASE}.INFORMATION_SCHEMA.${name}`, sql);
  }
}
