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

export const SQL_ERRORS = {
  objectDoesNotExist: (name: string, sql?: string) =>
    new HubSqlError("002003", "42S02", `SQL compilation error:\nObject '${name}' does not exist or not authorized.`, sql),
  invalidIdentifier: (name: string, sql?: string) =>
    new HubSqlError("000904", "42000", `SQL compilation error: error line 0 at position 0\ninvalid identifier '${name}'`, sql),
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
  internal: (detail: string, sql?: string, cause?: unknown) => new HubSqlError("000603", "XX000", `SQL execution internal error:\n${detail}`, sql, { cause }),
} as const;

export const ROLE_ERRORS = {
  /**
   * Snowflake's answer to `USE ROLE` (or a connection's role) that does not exist or is not granted
   * to the user. It names no other role: a tenant must not learn which other tenants exist.
   */
  doesNotExist: (role: string) => new HubSqlError("002003", "02000", `SQL compilation error:\nRole '${role}' does not exist or not authorized.`),
} as const;
