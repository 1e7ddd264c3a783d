import type { Dialect, DialectName } from "./dialect.ts";
import { snowflakeDialect } from "./snowflake.ts";
import { duckdbDialect } from "./duckdb.ts";

export function dialectFor(name: DialectName): Dialect {
  return name === "snowflake" ? snowflakeDialect : duckdbDialect;
}
