/** DuckDB error messages → Snowflake-shaped errors, one pattern each. */
import { HubSqlError, SQL_ERRORS } from "./errors.ts";

/** DuckDB names only the last part of a missing table; recover the qualified name from the SQL. */
function qualified(name: string, sql?: string): string {
  const bare = name.replace(/^"|"$/g, "");
  if (!sql || bare.includes(".")) return bare.toUpperCase();
  const escaped = bare.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const m = new RegExp(`((?:[A-Za-z_][\\w$]*\\.){0,2})${escaped}\\b`, "i").exec(sql);
  return (m ? `${m[1] ?? ""}${bare}` : bare).toUpperCase();
}

const PATTERNS: ReadonlyArray<[RegExp, (m: RegExpExecArray, sql?: string) => HubSqlError]> = [
  [/Catalog Error: Table with name "?([^"\s!]+)"?!? does not exist/, (m, sql) => SQL_ERRORS.objectDoesNotExist(qualified(m[1]!, sql), sql)],
  [/Catalog Error: .*?with name "?([^"\s!]+)"? does not exist/, (m, sql) => SQL_ERRORS.objectDoesNotExist(m[1]!.toUpperCase(), sql)],
  [/Binder Error: Referenced column "([^"]+)" not found/, (m, sql) => SQL_ERRORS.invalidIdentifier(m[1]!.toUpperCase(), sql)],
  [/Binder Error: Values list "[^"]*" does not have a column named "([^"]+)"/, (m, sql) => SQL_ERRORS.invalidIdentifier(m[1]!.toUpperCase(), sql)],
  [/Parser Error: (syntax error at or near .*)/, (m, sql) => SQL_ERRORS.syntaxError(m[1]!, sql)],
  [/Conversion Error: Could not convert string '([^']*)' to (DOUBLE|FLOAT|INT|BIGINT|DECIMAL)/, (m, sql) => SQL_ERRORS.numericValueNotRecognized(m[1]!, sql)],
  [/Constraint Error: (.*)/, (m, sql) => SQL_ERRORS.constraintViolation(m[1]!, sql)],
];

export function fromDuckDbError(err: unknown, sql?: string): HubSqlError {
  if (err instanceof HubSqlError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const firstLine = message.split("\n")[0] ?? message;
  for (const [re, make] of PATTERNS) {
    const m = re.exec(firstLine);
    if (m) {
      const e = make(m, sql);
      (e as { cause?: unknown }).cause = err;
      return e;
    }
  }
  return SQL_ERRORS.internal(firstLine, sql, err);
}
