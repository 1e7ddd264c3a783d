import { quoteString, type ColumnType, type Dialect, type TimeUnit } from "./dialect.ts";

const TYPES: Record<ColumnType, string> = {
  varchar: "VARCHAR",
  bigint: "BIGINT",
  double: "DOUBLE",
  boolean: "BOOLEAN",
  timestamp: "TIMESTAMP",
  date: "DATE",
  json: "JSON",
};

/** `$.metrics."load"`: DuckDB's JSONPath; keys quoted so odd names survive. */
function jsonPath(path: string): string {
  return quoteString(`$.${path.split(".").map((k) => `"${k.replaceAll('"', '\\"')}"`).join(".")}`);
}

/**
 * Engine variables the embedded engine sets on every connection it runs pipeline SQL on:
 * `hub_now` is the simulated clock, `hub_role` the session's role. A connection where they are
 * unset sees NULL, which the policies treat as "no access".
 */
/**
 * Session variables: the pipeline's now, the session's role, and the twin's now for the usage views'
 * simulated latency (set only when it is simulated: pipelines/engine/accountUsage.ts).
 */
export const DUCKDB_VARIABLES = { now: "hub_now", role: "hub_role", usageNow: "hub_usage_now" } as const;

const NUMERIC_JSON_TYPES = "('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT')";

/** Nesting depth of bindText, so that nested lambdas get distinct, deterministic parameter names. */
let bindDepth = 0;

/** DuckDB SQL (https://duckdb.org/docs/sql/introduction). */
export const duckdbDialect: Dialect = {
  name: "duckdb",
  type: (t) => TYPES[t],
  jsonGet: (expr, path) => `(${expr} -> ${jsonPath(path)})`,
  jsonGetText: (expr, path) => `(${expr} ->> ${jsonPath(path)})`,
  jsonGetNumber: (expr, path) =>
    `(CASE WHEN json_type(${expr} -> ${jsonPath(path)}) IN ${NUMERIC_JSON_TYPES} THEN TRY_CAST(${expr} ->> ${jsonPath(path)} AS DOUBLE) END)`,
  jsonToText: (expr) => `(${expr} ->> '$')`,
  jsonIsNumber: (expr) => `(json_type(${expr}) IN ${NUMERIC_JSON_TYPES})`,
  jsonIsString: (expr) => `(json_type(${expr}) = 'VARCHAR')`,
  // A parseObject value is JSON text as yyjson writes it: no leading space, a JSON null already SQL
  // NULL. Its first character tells its type: '"' a string, '[' '{' 't' 'f' an array, object or
  // boolean, anything else a number (NaN, inf and -Infinity too, which DuckDB's reader takes). One
  // look at a byte instead of json_type and ->> parses per metric (245k metrics a step: 80 -> 32 ms).
  parsedValueText: (expr) => `(CASE WHEN ascii(CAST(${expr} AS VARCHAR)) = 34 THEN ${expr} ->> '$' ELSE CAST(${expr} AS VARCHAR) END)`,
  parsedValueIsNumber: (expr) => `(ascii(CAST(${expr} AS VARCHAR)) NOT IN (34, 91, 123, 116, 102))`,
  parsedValueIsString: (expr) => `(ascii(CAST(${expr} AS VARCHAR)) = 34)`,
  parseJson: (expr) => `json(${expr})`,
  jsonObject: (pairs) => `json_object(${pairs.map(([k, v]) => `${quoteString(k)}, ${v}`).join(", ")})`,
  jsonObjectAgg: (key, value) => `json_group_object(${key}, ${value})`,
  // json_each is ~4× slower here than unnesting the object read as a MAP
  // (https://duckdb.org/docs/data/json/json_functions#transforming-json-to-nested-types); a
  // non-object (array, scalar, NULL) is NULL, so it flattens to no rows, as Snowflake's FLATTEN does.
  parseObject: (expr) => `json_transform(CASE WHEN json_type(${expr}) = 'OBJECT' THEN ${expr} END, '"MAP(VARCHAR, JSON)"')`,
  // map_contains per key: half the cost of list_has_any(map_keys(...)), which builds a list per row.
  parsedHasAnyKey: (parsed, keys) =>
    keys.length === 0 ? "FALSE" : `COALESCE(${keys.map((k) => `map_contains(${parsed}, ${quoteString(k)})`).join(" OR ")}, FALSE)`,
  flattenParsedRows: (from, columns, parsed) =>
    `SELECT ${columns.join(", ")}, e.key AS key, e.value AS value FROM (SELECT ${columns.join(", ")}, unnest(map_entries(${parsed})) AS e FROM ${from})`,
  flattenArray: (expr, alias) =>
    `LATERAL (SELECT unnest(CAST(CASE WHEN json_type(${expr}) = 'ARRAY' THEN ${expr} END AS JSON[])) AS value) AS ${alias}`,
  tryToTimestamp: (expr) => `TRY_CAST(${expr} AS TIMESTAMP)`,
  flattenValue: (alias) => `${alias}.value`,
  listAgg: (expr, separator, orderBy) => `string_agg(${expr}, ${separator} ORDER BY ${orderBy})`,
  // https://duckdb.org/docs/sql/functions/char#ends_withstring-search_string
  endsWith: (a, b) => `ends_with(${a}, ${b})`,
  secondsBetween: (a, b) => `((epoch_ms(${b}) - epoch_ms(${a})) / 1000.0)`,
  addTime: (unit: TimeUnit, amount, ts) => `(${ts} + to_${unit}s(CAST(${amount} AS BIGINT)))`,
  now: () => `CAST(getvariable('${DUCKDB_VARIABLES.now}') AS TIMESTAMP)`,
  currentRole: () => `CAST(getvariable('${DUCKDB_VARIABLES.role}') AS VARCHAR)`,
  isFinite: (expr) => `isfinite(${expr})`,
  isNaN: (expr) => `isnan(${expr})`,
  // The shortest round-trip digits (checked against JavaScript's on random doubles: tests/pipelines/valueText.test.ts).
  doubleText: (expr) => `CAST(${expr} AS VARCHAR)`,
  // A one-element list mapped through a lambda (https://duckdb.org/docs/stable/sql/functions/lambda):
  // the list's values are computed once, the body reads them as the lambda's parameter.
  bindText: (values, body) => {
    const name = `hub_bound${bindDepth}`;
    bindDepth++;
    try {
      return `list_transform([[${values.map((v) => `CAST(${v} AS VARCHAR)`).join(", ")}]], lambda ${name}: ${body(values.map((_, i) => `${name}[${i + 1}]`))})[1]`;
    } finally {
      bindDepth--;
    }
  },
  tryToDouble: (expr) => `TRY_CAST(${expr} AS DOUBLE)`,
  literal: quoteString,
  timestampLiteral: (iso) => `TIMESTAMP ${quoteString(iso.replace("T", " ").replace("Z", ""))}`,
  iff: (cond, a, b) => `(CASE WHEN ${cond} THEN ${a} ELSE ${b} END)`,
  materialize: ({ name }, _columns, query) => ({ setup: [], create: [`CREATE OR REPLACE TEMP TABLE ${name} AS\n${query}`], ref: name, drop: [`DROP TABLE ${name}`] }),
  // The task runner creates and fills the table before the body (pipelines/engine/externalCalls.ts).
  externalCall: ({ name }) => ({ setup: [], create: [], ref: name, drop: [`DROP TABLE IF EXISTS ${name}`] }),
};
