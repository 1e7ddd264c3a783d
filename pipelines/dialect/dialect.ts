/**
 * The SQL dialect interface. Every place where Snowflake and DuckDB disagree is one small, named
 * function here; the object definitions in `pipelines/definitions` call these and never spell an
 * engine-specific construct themselves. `index.ts` lists them all, so it doubles as the list of
 * what the embedded engine supports.
 */

/**
 * What `materialize` gives: statements to run before the task's transaction opens (DDL, which on
 * Snowflake commits an open transaction), statements to run first inside it, the relation to read,
 * statements to run last.
 */
export interface Materialized {
  readonly setup: readonly string[];
  readonly create: readonly string[];
  readonly ref: string;
  readonly drop: readonly string[];
}

export type DialectName = "snowflake" | "duckdb";

/** Logical column types used by the definitions; each dialect maps them to its own type names. */
export type ColumnType =
  | "varchar"
  | "bigint"
  | "double"
  | "boolean"
  | "timestamp"
  | "date"
  | "json";

export type TimeUnit = "second" | "minute" | "hour" | "day";

export interface Dialect {
  readonly name: DialectName;

  /** The engine's type name for a logical column type. */
  type(t: ColumnType): string;

  /** Read a JSON path (dot-separated keys) from a JSON/VARIANT value; the result is JSON/VARIANT. */
  jsonGet(expr: string, path: string): string;
  /** Read a JSON path as text (strings unquoted). */
  jsonGetText(expr: string, path: string): string;
  /** Read a JSON path as a number, NULL when it is not a number. */
  jsonGetNumber(expr: string, path: string): string;
  /** A JSON/VARIANT value rendered as text (strings unquoted). */
  jsonToText(expr: string): string;
  /** TRUE when a JSON/VARIANT value is a JSON number. */
  jsonIsNumber(expr: string): string;
  /** TRUE when a JSON/VARIANT value is a JSON string. */
  jsonIsString(expr: string): string;
  /**
   * The same three questions of a value read out of a `parseObject` object (flattenParsedRows'
   * `value`), which may use how that form writes its values: the value as text (strings
   * unquoted), whether it is a JSON number, whether it is a JSON string.
   */
  parsedValueText(expr: string): string;
  parsedValueIsNumber(expr: string): string;
  parsedValueIsString(expr: string): string;
  /** Text parsed to JSON/VARIANT. */
  parseJson(expr: string): string;
  /** A JSON object built from alternating key/value expressions. */
  jsonObject(pairs: ReadonlyArray<readonly [string, string]>): string;
  /** An aggregate that builds a JSON object from key and value columns. */
  jsonObjectAgg(key: string, value: string): string;

  /**
   * A FROM-clause item that expands a JSON array into rows with a `value` column (read it with
   * flattenValue); a non-array gives no rows.
   */
  flattenArray(expr: string, alias: string): string;
  /**
   * A JSON object parsed once per row, in the form `flattenParsedRows` and `parsedHasAnyKey` read
   * cheapest (DuckDB: a MAP of JSON values, so the text is parsed once, not by every function that
   * reads it; Snowflake: the VARIANT itself); NULL when `expr` is not an object.
   */
  parseObject(expr: string): string;
  /** True when the parsed object has one of `keys`; FALSE, never NULL, for a NULL object. */
  parsedHasAnyKey(parsed: string, keys: readonly string[]): string;
  /**
   * `SELECT <columns>, key, value` over `from`: one row per entry of its parsed-object column
   * `parsed` (see parseObject); a row whose object is NULL gives none. A whole query rather than a
   * FROM item because DuckDB unnests a column in the select list for a fraction of what a LATERAL
   * join costs (it decorrelates that by hashing the correlated column).
   */
  flattenParsedRows(from: string, columns: readonly string[], parsed: string): string;
  /** Text to a timestamp, NULL when it does not parse. */
  tryToTimestamp(expr: string): string;
  /** The value column of a flattened row (JSON/VARIANT). */
  flattenValue(alias: string): string;

  /** TRUE when text `a` ends with text `b` (no pattern characters: `_` and `%` are themselves). */
  endsWith(a: string, b: string): string;

  /** Ordered string aggregation. */
  listAgg(expr: string, separator: string, orderBy: string): string;

  /** Seconds (fractional) from `a` to `b`. */
  secondsBetween(a: string, b: string): string;
  /** Timestamp plus a number of units (may be negative). */
  addTime(unit: TimeUnit, amount: string, ts: string): string;
  /** Current time as a UTC timestamp without zone. Locally, the engine's simulated clock. */
  now(): string;
  /** The role of the current session, as the row access and masking policies see it. */
  currentRole(): string;
  /** TRUE when a double is neither NaN nor infinite. */
  isFinite(expr: string): string;
  /** TRUE when a double is NaN (which neither engine orders like a number). */
  isNaN(expr: string): string;
  /**
   * A finite DOUBLE as the engine writes it: the fewest significant digits that read back as the
   * same double, in plain (`1500.0`) or scientific (`1.5e+21`) form. The form varies; the digits
   * are what callers rely on (pipelines/quality/valueTextSql.ts lays them out as ECMAScript does).
   */
  doubleText(expr: string): string;
  /**
   * `body` with each of `values` (VARCHAR expressions) computed once per row and read through the
   * references it is given, however often the body reads them. DuckDB computes every copy of a
   * repeated subexpression (a number laid out as text read its digits ~90 times: ~21 µs a value);
   * Snowflake gets the values substituted as they are.
   */
  bindText(values: readonly string[], body: (refs: readonly string[]) => string): string;
  /** Cast text to a double, NULL when it does not parse. */
  tryToDouble(expr: string): string;
  /** A string literal. */
  literal(value: string): string;
  /** A timestamp literal from an ISO string. */
  timestampLiteral(iso: string): string;
  /** Boolean OR that the engine may short-circuit; the same in both, kept for clarity. */
  iff(cond: string, a: string, b: string): string;
  /**
   * A task run's intermediate result that several of its statements read, computed once. DuckDB:
   * a temporary table made from the query inside the transaction (DuckDB's DDL is transactional).
   * Snowflake: any DDL, a temporary table's too, commits the open transaction
   * (https://docs.snowflake.com/en/sql-reference/transactions#ddl), and a CTAS that reads a stream
   * advances its offset on its own (https://docs.snowflake.com/en/user-guide/streams-intro): so the
   * empty temporary table is made (with its columns) before the transaction opens, and filled by
   * an INSERT inside it, whose commit is the one that consumes the streams. `table.schema` is where
   * Snowflake keeps it (creating it needs CREATE TABLE there); DuckDB keeps temporary tables apart.
   */
  materialize(table: { readonly schema: string; readonly name: string }, columns: ReadonlyArray<{ readonly name: string; readonly type: ColumnType }>, query: string): Materialized;
  /**
   * A scratch table `(call_key VARCHAR, answer JSON)` of an external function's answers for the rows
   * of `input` (first column `call_key`, then the function's arguments in order). Snowflake calls the
   * EXTERNAL FUNCTION in SQL; the twin has no remote service in SQL, so its task runner fills the
   * table from the function's configured resolver (TaskDef.external) and `create` is empty.
   */
  externalCall(table: { readonly schema: string; readonly name: string }, fn: string, args: readonly string[], input: string): Materialized;
}

/** Escape a string for use inside single quotes (both engines use SQL-standard doubling). */
export function quoteString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
