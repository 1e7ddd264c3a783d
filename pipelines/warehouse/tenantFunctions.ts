/**
 * The functions a tenant statement may call on the embedded engine: an allowlist by family. Each is
 * a pure function of its arguments (or the time); none reads the catalog, a setting, a variable, a
 * sequence or a file, or plans other SQL. DuckDB's other functions — `current_setting`,
 * `getvariable`, `current_database`, `version`, `json_serialize_plan`, `nextval`, `sleep_ms`,
 * `pg_*` macros, every `duckdb_*`, `read_*` and `pragma_*` function — answer as Snowflake answers a
 * function it does not have: "Unknown function" (002140).
 *
 * Operators reach the parser as functions named by their symbol, so they are listed too.
 */

const OPERATORS = [
  "+", "-", "*", "/", "//", "%", "**", "^", "||", "&", "|", "<<", ">>", "~", "!__postfix",
  // LIKE, NOT LIKE, ILIKE, NOT ILIKE, GLOB, NOT GLOB, starts-with, JSON arrows, null-safe equality
  "~~", "!~~", "~~*", "!~~*", "~~~", "!~~~", "^@", "->>", "->", "<=>", "@",
];

const NUMERIC = [
  "abs", "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "cbrt", "ceil", "ceiling", "cos", "cosh", "cot", "degrees",
  "even", "exp", "factorial", "floor", "gamma", "gcd", "lcm", "greatest", "least", "isfinite", "isinf", "isnan", "ln", "log",
  "log10", "log2", "mod", "pi", "pow", "power", "radians", "random", "round", "round_even", "sign", "signbit", "sin", "sinh",
  "sqrt", "tan", "tanh", "trunc", "bit_count", "xor", "add", "subtract", "multiply", "divide", "fdiv", "fmod", "nextafter",
];

const TEXT = [
  "concat", "concat_ws", "contains", "ends_with", "suffix", "starts_with", "prefix", "left", "right", "length", "len",
  "char_length", "character_length", "strlen", "lower", "upper", "lcase", "ucase", "lpad", "rpad", "ltrim", "rtrim", "trim",
  "replace", "repeat", "reverse", "split_part", "string_split", "str_split", "string_to_array", "strpos", "instr", "position",
  "substring", "substr", "overlay", "translate", "ascii", "chr", "unicode", "ord", "format", "printf", "bit_length",
  "octet_length", "to_base64", "from_base64", "base64", "decode", "encode", "like_escape", "ilike_escape", "nfc_normalize", "strip_accents",
  "levenshtein", "damerau_levenshtein", "hamming", "jaccard", "jaro_similarity", "jaro_winkler_similarity", "editdist3",
  "mismatches", "md5", "sha1", "sha256", "hash", "array_to_string", "list_to_string",
  "regexp_matches", "regexp_full_match", "regexp_replace", "regexp_extract", "regexp_extract_all", "regexp_split_to_array",
  "regexp_escape", "string_split_regex", "str_split_regex",
];

const DATE_TIME = [
  "age", "century", "current_date", "current_time", "current_timestamp", "get_current_time", "get_current_timestamp", "now",
  "today", "transaction_timestamp", "current_localtime", "current_localtimestamp", "date_add", "date_diff", "datediff",
  "date_part", "datepart", "date_sub", "datesub", "date_trunc", "datetrunc", "day", "dayname", "dayofmonth", "dayofweek",
  "dayofyear", "decade", "epoch", "epoch_ms", "epoch_us", "epoch_ns", "era", "hour", "isodow", "isoyear", "julian", "last_day",
  "make_date", "make_time", "make_timestamp", "make_timestamptz", "make_timestamp_ms", "make_timestamp_ns", "microsecond",
  "millennium", "millisecond", "minute", "month", "monthname", "nanosecond", "quarter", "second", "strftime", "strptime",
  "try_strptime", "time_bucket", "timezone", "timezone_hour", "timezone_minute", "to_timestamp", "to_centuries", "to_decades",
  "to_days", "to_hours", "to_minutes", "to_seconds", "to_milliseconds", "to_microseconds", "to_weeks", "to_months",
  "to_quarters", "to_years", "to_millennia", "week", "weekday", "weekofyear", "year", "yearweek", "normalized_interval",
];

// error(): raises the given message, as a translated TO_BOOLEAN or division by zero does.
const CONDITIONAL = ["nullif", "ifnull", "coalesce", "typeof", "error"];

const AGGREGATE = [
  "any_value", "approx_count_distinct", "approx_quantile", "approx_top_k", "arbitrary", "arg_max", "arg_min", "argmax",
  "argmin", "arg_max_null", "arg_min_null", "max_by", "min_by", "array_agg", "list", "avg", "mean", "bit_and", "bit_or",
  "bit_xor", "bool_and", "bool_or", "count", "count_star", "count_if", "countif", "corr", "covar_pop", "covar_samp", "entropy",
  "first", "last", "fsum", "sum", "sumkahan", "kahan_sum", "favg", "histogram", "kurtosis", "kurtosis_pop", "mad", "max",
  "min", "median", "mode", "product", "quantile", "quantile_cont", "quantile_disc", "reservoir_quantile", "regr_avgx",
  "regr_avgy", "regr_count", "regr_intercept", "regr_r2", "regr_slope", "regr_sxx", "regr_sxy", "regr_syy", "skewness",
  "sem", "stddev", "stddev_pop", "stddev_samp", "string_agg", "group_concat", "listagg", "var_pop", "var_samp", "variance",
];

const WINDOW = ["row_number", "rank", "dense_rank", "rank_dense", "percent_rank", "cume_dist", "ntile", "lag", "lead", "first_value", "last_value", "nth_value", "fill"];

const SEMI_STRUCTURED = [
  "json", "json_extract", "json_extract_string", "json_extract_path", "json_extract_path_text", "json_exists", "json_value",
  "json_type", "json_valid", "json_array_length", "json_keys", "json_structure", "json_object", "json_array",
  "json_merge_patch", "json_contains", "json_quote", "to_json", "from_json", "from_json_strict", "json_transform",
  "json_transform_strict", "array_to_json", "row_to_json", "json_pretty", "json_group_array", "json_group_object",
  "json_group_structure",
  "list_value", "list_pack", "array_value", "list_extract", "list_element", "array_extract", "list_slice", "array_slice",
  "array_length", "list_contains", "list_has", "array_contains", "array_has", "list_position", "list_indexof",
  "array_position", "array_indexof", "list_sort", "array_sort", "list_reverse_sort", "array_reverse_sort", "list_distinct",
  "array_distinct", "list_unique", "array_unique", "list_concat", "list_cat", "array_concat", "array_cat", "list_append",
  "array_append", "list_prepend", "array_prepend", "list_filter", "array_filter", "filter", "list_transform",
  "array_transform", "list_apply", "array_apply", "apply", "list_reduce", "array_reduce", "reduce", "list_sum", "list_min",
  "list_max", "list_avg", "list_count", "list_aggregate", "list_aggr", "array_aggregate", "array_aggr", "list_any_value",
  "list_zip", "list_has_any", "list_has_all", "array_has_any", "array_has_all", "flatten", "unnest", "generate_series",
  "range", "cardinality", "struct_pack", "struct_extract", "struct_insert", "row", "map", "map_extract", "map_keys",
  "map_values", "map_entries", "map_from_entries", "element_at",
];

const IDS = ["uuid", "gen_random_uuid"];

/** Scalar, aggregate and window functions a tenant statement may call (lower case). */
export const TENANT_FUNCTIONS: ReadonlySet<string> = new Set(
  [...OPERATORS, ...NUMERIC, ...TEXT, ...DATE_TIME, ...CONDITIONAL, ...AGGREGATE, ...WINDOW, ...SEMI_STRUCTURED, ...IDS].map((f) => f.toLowerCase()),
);

/**
 * Table functions a tenant statement may use in FROM: each makes rows out of its arguments alone
 * (Snowflake's FLATTEN and GENERATOR are translated to these). Every other table function reads a
 * file, the catalog, a setting or other SQL (`read_csv`, `duckdb_tables`, `query`, ...).
 */
export const TENANT_TABLE_FUNCTIONS: ReadonlySet<string> = new Set(["range", "generate_series", "unnest", "json_each", "json_tree"]);
