/**
 * DuckDB error messages → Snowflake-shaped errors, one pattern each, the specific before the
 * general. What no pattern names still loses DuckDB's class prefix and its hints (they name DuckDB's
 * types and casts, which a user of Snowflake SQL cannot act on) and is filed as a compilation or an
 * execution error by that class.
 */
import { HubSqlError, SQL_ERRORS } from "./errors.ts";

/** DuckDB names only the last part of a missing table; recover the qualified name from the SQL. */
function qualified(name: string, sql?: string): string {
  const bare = name.replace(/^"|"$/g, "");
  if (!sql || bare.includes(".")) return bare.toUpperCase();
  const escaped = bare.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const m = new RegExp(`((?:[A-Za-z_][\\w$]*\\.){0,2})${escaped}\\b`, "i").exec(sql);
  return (m ? `${m[1] ?? ""}${bare}` : bare).toUpperCase();
}

/** DuckDB's type names (and its literal pseudo-types) as Snowflake prints argument types. */
function snowflakeTypes(duckdb: string): string {
  const names: Record<string, string> = {
    STRING_LITERAL: "VARCHAR", VARCHAR: "VARCHAR", INTEGER_LITERAL: "NUMBER", TINYINT: "NUMBER", SMALLINT: "NUMBER",
    INTEGER: "NUMBER", BIGINT: "NUMBER", HUGEINT: "NUMBER", DOUBLE: "FLOAT", FLOAT: "FLOAT", BOOLEAN: "BOOLEAN",
    DATE: "DATE", TIME: "TIME", TIMESTAMP: "TIMESTAMP_NTZ", "TIMESTAMP WITH TIME ZONE": "TIMESTAMP_TZ", JSON: "VARIANT",
    INTERVAL: "INTERVAL", BLOB: "BINARY",
  };
  return duckdb
    .split(/,\s*/)
    .filter((t) => t !== "")
    .map((t) => names[t] ?? (t.startsWith("DECIMAL") ? t.replace("DECIMAL", "NUMBER") : /\[\]$/.test(t) ? "ARRAY" : /^STRUCT/.test(t) ? "OBJECT" : t))
    .join(", ");
}

/** A message's hints for DuckDB users removed: what is left describes the fault. */
function withoutHints(text: string): string {
  return text
    .replace(/\s*(You might (want|need) to|In order to select one, please|Did you mean|Candidate (functions|bindings)|HINT:|LINE \d+:).*$/s, "")
    .replace(/!$/, "")
    .trim();
}

type Make = (m: RegExpExecArray, sql?: string) => HubSqlError;

const PATTERNS: ReadonlyArray<[RegExp, Make]> = [
  [/Catalog Error: (?:Scalar |Aggregate |Table )?Function with name "?([^"\s!]+)"? does not exist/, (m, sql) =>
    new HubSqlError("002140", "42601", `SQL compilation error:\nUnknown function ${m[1]!.toUpperCase()}`, sql)],
  [/Catalog Error: Table with name "?([^"\s!]+)"?!? does not exist/, (m, sql) => SQL_ERRORS.objectDoesNotExist(qualified(m[1]!, sql), sql)],
  [/Catalog Error: .*?with name "?([^"\s!]+)"? does not exist/, (m, sql) => SQL_ERRORS.objectDoesNotExist(m[1]!.toUpperCase(), sql)],
  [/Binder Error: Referenced column "([^"]+)" not found/, (m, sql) => SQL_ERRORS.invalidIdentifier(m[1]!.toUpperCase(), sql)],
  [/Binder Error: Values list "[^"]*" does not have a column named "([^"]+)"/, (m, sql) => SQL_ERRORS.invalidIdentifier(m[1]!.toUpperCase(), sql)],
  [/Binder Error: Column "([^"]+)" does not exist on (?:left|right) side of join/, (m, sql) => SQL_ERRORS.invalidIdentifier(m[1]!.toUpperCase(), sql)],
  [/Binder Error: column "([^"]+)" must appear in the GROUP BY clause/, (m, sql) => SQL_ERRORS.notGrouped(m[1]!.toUpperCase(), sql)],
  [/Binder Error: Could not choose a best candidate function for the function call "([^"(]+)\((.*)\)"/, (m, sql) =>
    SQL_ERRORS.invalidArgumentTypes(m[1]!.toUpperCase(), snowflakeTypes(m[2]!), sql)],
  [/Binder Error: No function matches the given name and argument types '([^'(]+)\((.*)\)'/, (m, sql) =>
    SQL_ERRORS.invalidArgumentTypes(m[1]!.toUpperCase(), snowflakeTypes(m[2]!), sql)],
  [/Parser Error: syntax error (at or near .*)/, (m, sql) => SQL_ERRORS.syntaxError(m[1]!, sql)],
  [/Conversion Error: Could not convert string ['"](.*)['"] to BOOL/, (m, sql) => SQL_ERRORS.booleanNotRecognized(m[1]!, sql)],
  [/Conversion Error: Could not convert string ['"](.*)['"] to (?:DOUBLE|FLOAT|U?(?:TINY|SMALL|BIG|HUGE)?INT(?:EGER)?\d*|DECIMAL)/, (m, sql) =>
    SQL_ERRORS.numericValueNotRecognized(m[1]!, sql)],
  [/Conversion Error: (?:invalid )?date field (?:value out of range|format): "([^"]*)"/, (m, sql) => SQL_ERRORS.dateNotRecognized(m[1]!, sql)],
  [/Conversion Error: (?:invalid )?timestamp field (?:value out of range|format): "([^"]*)"/, (m, sql) => SQL_ERRORS.timestampNotRecognized(m[1]!, sql)],
  [/Invalid Input Error: Malformed JSON at byte (\d+) of input: ([^.]*)/, (m, sql) => SQL_ERRORS.jsonNotParsed(`${m[2]!}, pos ${m[1]!}`, sql)],
  [/Invalid Input Error: Division by zero/, (_m, sql) => SQL_ERRORS.divisionByZero(sql)],
  [/Out of Range Error: (.*)/, (m, sql) => SQL_ERRORS.outOfRange(withoutHints(m[1]!), sql)],
  [/Unknown TimeZone '([^']*)'/, (m, sql) => SQL_ERRORS.unknownTimezone(m[1]!, sql)],
  [/Constraint Error: (.*)/, (m, sql) => SQL_ERRORS.constraintViolation(m[1]!, sql)],
  [/^(?:Binder|Parser|Catalog|Dependency) Error: (.*)/, (m, sql) => SQL_ERRORS.compilation(withoutHints(m[1]!), sql)],
  [/^(?:Conversion|Invalid Input|Not implemented|Invalid type) Error: (.*)/, (m, sql) => SQL_ERRORS.execution(withoutHints(m[1]!), sql)],
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
