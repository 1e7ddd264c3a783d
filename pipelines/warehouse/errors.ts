/**
 * Errors shaped like Snowflake's (error code, SQLSTATE, message), raised by both drivers so callers
 * handle one kind of error. Codes: https://docs.snowflake.com/en/developer-guide/sql-api/reference
 * and the messages Snowflake prints for the same failures.
 */
export class HubSqlError extends Error {
  override readonly name = "HubSqlError";
  constructor(
    /** Snowflake error code, e.g. `002003`. */
    readonly code: string,
    /** SQLSTATE, e.g. `42S02`. */
    readonly sqlState: string,
    message: string,
    readonly sql?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  override toString(): string {
    return `${this.code} (${this.sqlState}): ${this.message}`;
  }
}

/**
 * Snowflake's "error line L at position P" for the first place `name` appears in the statement as
 * typed (line from 1, position from 0, as Snowflake counts them); line 1 position 0 when it is not there.
 */
export function where(name: string, sql?: string): string {
  const bare = name.replace(/^.*\./, "");
  const escaped = bare.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const at = sql ? new RegExp(`(?<![\\w$])${escaped}(?![\\w$])`, "i").exec(sql)?.index : undefined;
  if (at === undefined || !sql) return "error line 1 at position 0";
  const before = sql.slice(0, at).split("\n");
  return `error line ${before.length} at position ${before[before.length - 1]!.length}`;
}

export const SQL_ERRORS = {
  /**
   * A schema the role may not use, as Snowflake words it: SNOWFLAKE.ACCOUNT_USAGE to a role without
   * a SNOWFLAKE database role (the database itself is visible to every role:
   * https://docs.snowflake.com/en/sql-reference/account-usage, "Enabling other roles ...").
   */
  schemaDoesNotExist: (name: string, sql?: string) =>
    new HubSqlError("002003", "02000", `SQL compilation error:\nSchema '${name}' does not exist or not authorized.`, sql),
  objectDoesNotExist: (name: string, sql?: string) =>
    new HubSqlError("002003", "42S02", `SQL compilation error:\nObject '${name}' does not exist or not authorized.`, sql),
  invalidIdentifier: (name: string, sql?: string) =>
    new HubSqlError("000904", "42000", `SQL compilation error: ${where(name, sql)}\ninvalid identifier '${name}'`, sql),
  invalidArgumentTypes: (fn: string, types: string, sql?: string) =>
    new HubSqlError("001044", "42P13", `SQL compilation error: ${where(fn, sql)}\nInvalid argument types for function '${fn}': (${types})`, sql),
  /** A column neither grouped nor aggregated: Snowflake words it by where the query groups. */
  notGrouped: (name: string, sql?: string) =>
    new HubSqlError(
      "000979",
      "42601",
      sql && /\bGROUP\s+BY\b/i.test(sql)
        ? `SQL compilation error: ${where(name, sql)}\n'${name}' in select clause is neither an aggregate nor in the group by clause.`
        : `SQL compilation error:\n[${name}] is not a valid group by expression`,
      sql,
    ),
  booleanNotRecognized: (value: string, sql?: string) => new HubSqlError("100037", "22018", `Boolean value '${value}' is not recognized`, sql),
  dateNotRecognized: (value: string, sql?: string) => new HubSqlError("100040", "22007", `Date '${value}' is not recognized`, sql),
  timestampNotRecognized: (value: string, sql?: string) => new HubSqlError("100035", "22007", `Timestamp '${value}' is not recognized`, sql),
  jsonNotParsed: (detail: string, sql?: string) => new HubSqlError("100069", "22P02", `Error parsing JSON: ${detail}`, sql),
  outOfRange: (detail: string, sql?: string) => new HubSqlError("100046", "22003", `Number out of representable range: ${detail}`, sql),
  divisionByZero: (sql?: string) => new HubSqlError("100051", "22012", "Division by zero", sql),
  unknownTimezone: (zone: string, sql?: string) => new HubSqlError("100094", "22023", `Unknown timezone: '${zone}'`, sql),
  /**
   * The twin's catch-alls, for a DuckDB error no pattern above names: compilation (the statement
   * could not be bound) and execution (it failed on the data). Snowflake has no single code for
   * either; these say which it was, in DuckDB's own words without its class name.
   */
  compilation: (detail: string, sql?: string) => new HubSqlError("002000", "42000", `SQL compilation error:\n${detail}`, sql),
  execution: (detail: string, sql?: string) => new HubSqlError("100000", "22000", `SQL execution error:\n${detail}`, sql),
  syntaxError: (detail: string, sql?: string) =>
    new HubSqlError("001003", "42000", `SQL compilation error:\nsyntax error ${detail}`, sql),
  notAuthorized: (detail: string, sql?: string) =>
    new HubSqlError("003001", "42501", `SQL access control error:\nInsufficient privileges to operate on ${detail}`, sql),
  numericValueNotRecognized: (detail: string, sql?: string) =>
    new HubSqlError("100038", "22018", `Numeric value '${detail}' is not recognized`, sql),
  constraintViolation: (detail: string, sql?: string) =>
    new HubSqlError("100072", "22000", detail, sql),
  warehouseSuspended: (warehouse: string, sql?: string) =>
    new HubSqlError(
      "000606",
      "57P03",
      `No active warehouse selected in the current session. Warehouse '${warehouse}' is suspended and cannot be resumed.`,
      sql,
    ),
  statementTimeout: (seconds: number, sql?: string) =>
    new HubSqlError("000630", "57014", `Statement reached its statement or warehouse timeout of ${seconds} second(s) and was canceled.`, sql),
  // Snowflake's answer to a canceled statement (snowflake-connector-nodejs test/unit/mock/mock_http_client.js).
  canceled: (sql?: string) => new HubSqlError("000604", "57014", "SQL execution canceled", sql),
  internal: (detail: string, sql?: string, cause?: unknown) => new HubSqlError("000603", "XX000", `SQL execution internal error:\n${detail}`, sql, { cause }),
} as const;

export const ROLE_ERRORS = {
  /**
   * Snowflake's answer to `USE ROLE` (or a connection's role) that does not exist or is not granted
   * to the user. It names no other role: a tenant must not learn which other tenants exist.
   */
  doesNotExist: (role: string) => new HubSqlError("002003", "02000", `SQL compilation error:\nRole '${role}' does not exist or not authorized.`),
} as const;
