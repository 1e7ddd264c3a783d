import { quoteString, type ColumnType, type Dialect, type TimeUnit } from "./dialect.ts";

const TYPES: Record<ColumnType, string> = {
  varchar: "VARCHAR",
  bigint: "NUMBER(38,0)",
  double: "FLOAT",
  boolean: "BOOLEAN",
  // Snowflake's TIMESTAMP_NTZ: we store UTC wall time, as the seed's tables do.
  timestamp: "TIMESTAMP_NTZ",
  date: "DATE",
  json: "VARIANT",
};

/** `payload:metrics.load` path syntax; keys are double-quoted so case and odd names survive. */
function variantPath(expr: string, path: string): string {
  const keys = path.split(".").map((k) => `"${k.replaceAll('"', '""')}"`);
  return `${expr}:${keys.join(".")}`;
}

/** Snowflake SQL, as documented at https://docs.snowflake.com/en/sql-reference. */
export const snowflakeDialect: Dialect = {
  name: "snowflake",
  type: (t) => TYPES[t],
  // https://docs.snowflake.com/en/user-guide/querying-semistructured#traversing-semi-structured-data
  jsonGet: (expr, path) => variantPath(expr, path),
  jsonGetText: (expr, path) => `${variantPath(expr, path)}::VARCHAR`,
  // TRY_TO_DOUBLE takes text; a JSON string "12" is refused by the IS_* check first.
  jsonGetNumber: (expr, path) =>
    `IFF(IS_INTEGER(${variantPath(expr, path)}) OR IS_DECIMAL(${variantPath(expr, path)}) OR IS_DOUBLE(${variantPath(expr, path)}), ${variantPath(expr, path)}::FLOAT, NULL)`,
  jsonToText: (expr) => `${expr}::VARCHAR`,
  // https://docs.snowflake.com/en/sql-reference/functions/is_decimal
  jsonIsNumber: (expr) => `(IS_INTEGER(${expr}) OR IS_DECIMAL(${expr}) OR IS_DOUBLE(${expr}))`,
  jsonIsString: (expr) => `IS_VARCHAR(${expr})`,
  // A flattened value is a VARIANT like any other: the same tests.
  parsedValueText: (expr) => snowflakeDialect.jsonToText(expr),
  parsedValueIsNumber: (expr) => snowflakeDialect.jsonIsNumber(expr),
  parsedValueIsString: (expr) => snowflakeDialect.jsonIsString(expr),
  parseJson: (expr) => `PARSE_JSON(${expr})`,
  jsonObject: (pairs) => `OBJECT_CONSTRUCT(${pairs.map(([k, v]) => `${quoteString(k)}, ${v}`).join(", ")})`,
  jsonObjectAgg: (key, value) => `OBJECT_AGG(${key}, ${value}::VARIANT)`,
  parseObject: (expr) => `IFF(IS_OBJECT(${expr}), ${expr}, NULL)`,
  // https://docs.snowflake.com/en/sql-reference/functions/arrays_overlap
  parsedHasAnyKey: (parsed, keys) =>
    `COALESCE(ARRAYS_OVERLAP(OBJECT_KEYS(${parsed}::OBJECT), ARRAY_CONSTRUCT(${keys.map(quoteString).join(", ")})), FALSE)`,
  // https://docs.snowflake.com/en/sql-reference/functions/flatten
  flattenParsedRows: (from, columns, parsed) =>
    `SELECT ${columns.map((c) => `x.${c}`).join(", ")}, f.KEY AS key, f.VALUE AS value FROM ${from} x, LATERAL FLATTEN(input => x.${parsed}) f`,
  flattenArray: (expr, alias) => `LATERAL FLATTEN(input => IFF(IS_ARRAY(${expr}), ${expr}, NULL)) ${alias}`,
  // https://docs.snowflake.com/en/sql-reference/functions/try_to_timestamp
  tryToTimestamp: (expr) => `TRY_TO_TIMESTAMP_NTZ(${expr})`,
  flattenValue: (alias) => `${alias}.VALUE`,
  // https://docs.snowflake.com/en/sql-reference/functions/listagg
  listAgg: (expr, separator, orderBy) => `LISTAGG(${expr}, ${separator}) WITHIN GROUP (ORDER BY ${orderBy})`,
  // https://docs.snowflake.com/en/sql-reference/functions/endswith
  endsWith: (a, b) => `ENDSWITH(${a}, ${b})`,
  secondsBetween: (a, b) => `(TIMESTAMPDIFF('millisecond', ${a}, ${b}) / 1000.0)`,
  addTime: (unit: TimeUnit, amount, ts) => `DATEADD('${unit}', ${amount}, ${ts})`,
  // SYSDATE() is the current UTC time as TIMESTAMP_NTZ, matching how timestamps are stored.
  now: () => "SYSDATE()",
  currentRole: () => "CURRENT_ROLE()",
  isFinite: (expr) => `(${expr} NOT IN ('NaN'::FLOAT, 'inf'::FLOAT, '-inf'::FLOAT))`,
  // Snowflake's NaN equals itself (https://docs.snowflake.com/en/sql-reference/data-types-numeric#special-values).
  isNaN: (expr) => `(${expr} = 'NaN'::FLOAT)`,
  // TO_VARCHAR of a FLOAT (https://docs.snowflake.com/en/sql-reference/functions/to_char); not run
  // against an account here, so whether its digits are always the shortest round-trip ones is not
  // checked: the layout on top takes any plain or scientific form.
  doubleText: (expr) => `TO_VARCHAR(${expr})`,
  bindText: (values, body) => body(values.map((v) => `(${v})`)),
  tryToDouble: (expr) => `TRY_TO_DOUBLE(${expr})`,
  literal: quoteString,
  timestampLiteral: (iso) => `${quoteString(iso.replace("T", " ").replace("Z", ""))}::TIMESTAMP_NTZ`,
  iff: (cond, a, b) => `IFF(${cond}, ${a}, ${b})`,
  // CREATE OR REPLACE: a task's session may be reused, and the table must start empty each run.
  materialize: ({ schema, name }, columns, query) => ({
    setup: [`CREATE OR REPLACE TEMPORARY TABLE ${schema}.${name} (${columns.map((c) => `${c.name} ${snowflakeDialect.type(c.type)}`).join(", ")})`],
    create: [`INSERT INTO ${schema}.${name} (${columns.map((c) => c.name).join(", ")})\n${query}`],
    ref: `${schema}.${name}`,
    drop: [],
  }),
  // https://docs.snowflake.com/en/sql-reference/external-functions-introduction: Snowflake batches
  // the rows, sends them to the proxy service and gives each row its answer.
  externalCall: ({ schema, name }, fn, args, input) => ({
    setup: [`CREATE OR REPLACE TEMPORARY TABLE ${schema}.${name} (call_key VARCHAR, answer VARIANT)`],
    create: [`INSERT INTO ${schema}.${name} (call_key, answer)\nSELECT x.call_key, ${fn}(${args.map((a) => `x.${a}`).join(", ")}) FROM (${input}) x`],
    ref: `${schema}.${name}`,
    drop: [],
  }),
};
