/**
 * The dialect layer: each function of `Dialect` is one difference between Snowflake and DuckDB.
 * Reading `dialect.ts` tells what the embedded engine supports.
 */
export type { ColumnType, Dialect, DialectName, Materialized, TimeUnit } from "./dialect.ts";
export { quoteString } from "./dialect.ts";
export { snowflakeDialect } from "./snowflake.ts";
export { duckdbDialect, DUCKDB_VARIABLES } from "./duckdb.ts";
export { dialectFor } from "./byName.ts";
