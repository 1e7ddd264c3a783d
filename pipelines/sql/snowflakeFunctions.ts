/**
 * The Snowflake functions a user may call on the local twin, and how each reaches DuckDB. This is
 * the support matrix (docs/warehouse.md renders it): a function not listed is refused as Snowflake
 * refuses a function it does not have, `002140 Unknown function NAME`, rather than reaching DuckDB
 * and failing there in DuckDB's words, or running a DuckDB function Snowflake does not have.
 *
 * - `transpiled`: @polyglot-sql/sdk rewrites it into DuckDB's form (IFF → CASE, DATEADD → + INTERVAL,
 *   LISTAGG … WITHIN GROUP → LISTAGG(… ORDER BY …), MAX_BY → ARG_MAX, TIME_SLICE → TIME_BUCKET, ...).
 * - `same`: DuckDB has it under the same name with Snowflake's meaning for the arguments users pass.
 * - `emulated`: the twin's own rewrite (snowflakeTranslator.ts), because the transpiler has none or
 *   gets it wrong: session functions, the hub's clock, DATEDIFF, TO_NUMBER, FLATTEN, VARIANT casts.
 *
 * Names only: a function the parser types on its own (COUNT, CAST, MEDIAN, ...) is a parsed node,
 * not a call by name, and the transpiler translates it.
 */

export type Support = "transpiled" | "same" | "emulated";

export interface FunctionSupport {
  readonly family: string;
  readonly how: Support;
  readonly names: readonly string[];
  /** Where Snowflake documents the family. */
  readonly doc: string;
}

export const SNOWFLAKE_FUNCTIONS: readonly FunctionSupport[] = [
  { family: "session", how: "emulated", names: ["CURRENT_ROLE", "CURRENT_USER", "CURRENT_DATABASE", "CURRENT_SCHEMA", "CURRENT_WAREHOUSE", "CURRENT_ACCOUNT", "CURRENT_REGION", "CURRENT_SESSION", "CURRENT_VERSION"], doc: "https://docs.snowflake.com/en/sql-reference/functions-context" },
  { family: "the hub's clock", how: "emulated", names: ["CURRENT_TIMESTAMP", "LOCALTIMESTAMP", "SYSDATE", "GETDATE", "SYSTIMESTAMP", "CURRENT_DATE", "CURRENT_TIME", "LOCALTIME"], doc: "https://docs.snowflake.com/en/sql-reference/functions/current_timestamp" },
  { family: "conditional", how: "transpiled", names: ["IFF", "NVL", "NVL2", "ZEROIFNULL", "NULLIFZERO", "DIV0", "DIV0NULL", "DECODE", "IFNULL", "EQUAL_NULL", "BOOLAND", "BOOLOR"], doc: "https://docs.snowflake.com/en/sql-reference/functions-conditional" },
  { family: "conditional", how: "same", names: ["COALESCE", "NULLIF", "GREATEST", "LEAST"], doc: "https://docs.snowflake.com/en/sql-reference/functions-conditional" },
  { family: "date and time", how: "transpiled", names: ["DATEADD", "TIMESTAMPADD", "TIME_SLICE", "DATE_TRUNC", "TRUNC", "CONVERT_TIMEZONE", "TO_TIMESTAMP", "TO_TIMESTAMP_NTZ", "TO_TIMESTAMP_LTZ", "TO_TIMESTAMP_TZ", "TO_DATE", "DATE", "TO_TIME", "DAYNAME", "MONTHNAME", "DAYOFWEEK", "DAYOFWEEKISO", "DAYOFMONTH", "DAYOFYEAR", "WEEK", "WEEKOFYEAR", "WEEKISO", "YEAROFWEEK", "YEAROFWEEKISO", "LAST_DAY", "DATE_PART", "DATE_FROM_PARTS", "TIMESTAMP_FROM_PARTS", "TIME_FROM_PARTS", "YEAR", "QUARTER", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND", "ADD_MONTHS"], doc: "https://docs.snowflake.com/en/sql-reference/functions-date-time" },
  { family: "date and time", how: "emulated", names: ["DATEDIFF", "TIMESTAMPDIFF"], doc: "https://docs.snowflake.com/en/sql-reference/functions/datediff" },
  { family: "conversion", how: "transpiled", names: ["TO_VARCHAR", "TO_CHAR", "TO_DOUBLE", "TO_BOOLEAN", "TRY_TO_DOUBLE", "TRY_TO_BOOLEAN", "TRY_TO_DATE", "TRY_TO_TIMESTAMP"], doc: "https://docs.snowflake.com/en/sql-reference/functions-conversion" },
  { family: "conversion", how: "emulated", names: ["TO_NUMBER", "TO_NUMERIC", "TO_DECIMAL", "TRY_TO_NUMBER", "TRY_TO_NUMERIC", "TRY_TO_DECIMAL"], doc: "https://docs.snowflake.com/en/sql-reference/functions/to_decimal" },
  { family: "semi-structured", how: "transpiled", names: ["PARSE_JSON", "TRY_PARSE_JSON", "OBJECT_CONSTRUCT", "OBJECT_CONSTRUCT_KEEP_NULL", "ARRAY_CONSTRUCT", "ARRAY_SIZE", "GET", "GET_PATH", "OBJECT_KEYS", "TO_VARIANT", "TO_JSON", "TYPEOF", "IS_NULL_VALUE", "ARRAY_CONTAINS", "ARRAY_TO_STRING"], doc: "https://docs.snowflake.com/en/sql-reference/functions-semistructured" },
  { family: "semi-structured", how: "emulated", names: ["FLATTEN"], doc: "https://docs.snowflake.com/en/sql-reference/functions/flatten" },
  { family: "aggregate", how: "transpiled", names: ["LISTAGG", "ARRAY_AGG", "OBJECT_AGG", "MAX_BY", "MIN_BY", "APPROX_PERCENTILE", "APPROX_COUNT_DISTINCT", "PERCENTILE_CONT", "PERCENTILE_DISC", "MODE", "ANY_VALUE", "BOOLAND_AGG", "BOOLOR_AGG", "COUNT_IF", "STDDEV", "STDDEV_POP", "STDDEV_SAMP", "VARIANCE", "VAR_POP", "VAR_SAMP", "CORR", "COVAR_POP", "COVAR_SAMP", "KURTOSIS", "SKEW", "REGR_SLOPE", "REGR_INTERCEPT", "REGR_R2"], doc: "https://docs.snowflake.com/en/sql-reference/functions-aggregation" },
  { family: "window", how: "same", names: ["ROW_NUMBER", "RANK", "DENSE_RANK", "PERCENT_RANK", "CUME_DIST", "NTILE", "LAG", "LEAD", "FIRST_VALUE", "LAST_VALUE", "NTH_VALUE", "RATIO_TO_REPORT"], doc: "https://docs.snowflake.com/en/sql-reference/functions-window" },
  { family: "string and regex", how: "transpiled", names: ["SPLIT_PART", "SPLIT", "REGEXP_SUBSTR", "REGEXP_LIKE", "REGEXP_REPLACE", "REGEXP_COUNT", "REGEXP_INSTR", "RLIKE", "STARTSWITH", "ENDSWITH", "CONTAINS", "CHARINDEX", "POSITION", "LEN", "LENGTH", "SUBSTR", "SUBSTRING", "LEFT", "RIGHT", "LPAD", "RPAD", "LTRIM", "RTRIM", "TRIM", "UPPER", "LOWER", "INITCAP", "REPLACE", "REPEAT", "REVERSE", "CONCAT", "CONCAT_WS", "ASCII", "CHR", "TRANSLATE", "EDITDISTANCE", "MD5", "SHA1", "SHA2", "HASH", "UUID_STRING", "BASE64_ENCODE", "BASE64_DECODE_STRING", "STRTOK"], doc: "https://docs.snowflake.com/en/sql-reference/functions-string" },
  { family: "numeric", how: "same", names: ["ABS", "CEIL", "CEILING", "FLOOR", "ROUND", "SIGN", "SQRT", "CBRT", "EXP", "LN", "LOG", "POWER", "POW", "MOD", "PI", "RADIANS", "DEGREES", "SIN", "COS", "TAN", "ASIN", "ACOS", "ATAN", "ATAN2", "FACTORIAL", "RANDOM", "UNIFORM", "TRUNCATE", "WIDTH_BUCKET", "SQUARE"], doc: "https://docs.snowflake.com/en/sql-reference/functions-numeric" },
  { family: "system", how: "emulated", names: ["SYSTEM$STREAM_HAS_DATA"], doc: "https://docs.snowflake.com/en/sql-reference/functions/system_stream_has_data" },
];

const BY_NAME = new Map<string, FunctionSupport>(SNOWFLAKE_FUNCTIONS.flatMap((f) => f.names.map((n) => [n, f] as const)));

/** How the twin supports a function called by name, or undefined: Snowflake has no such function here. */
export function functionSupport(name: string): FunctionSupport | undefined {
  return BY_NAME.get(name.toUpperCase());
}
