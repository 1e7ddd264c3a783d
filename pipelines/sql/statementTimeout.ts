/**
 * STATEMENT_TIMEOUT_IN_SECONDS as Snowflake applies it
 * (https://docs.snowflake.com/en/sql-reference/parameters#statement-timeout-in-seconds):
 * a whole number of seconds from 0 to 604800 (7 days), set on the session and on the warehouse;
 * a statement is canceled after the smaller non-zero of the two, and 0 means the maximum. Both
 * default to the account's 172800 (2 days). On the twin the host (serve's --statement-timeout)
 * stands where the warehouse's value stands on Snowflake: a ceiling a session cannot raise.
 */
import { HubSqlError } from "../warehouse/errors.ts";

export const STATEMENT_TIMEOUT_PARAMETER = "STATEMENT_TIMEOUT_IN_SECONDS";
/** The largest value Snowflake takes, and what 0 means. */
export const MAX_STATEMENT_TIMEOUT_S = 604_800;
/** The account's default, which a session has until it sets its own (and after UNSET). */
export const DEFAULT_STATEMENT_TIMEOUT_S = 172_800;

/**
 * Snowflake's refusal of a parameter value out of its domain, e.g. `invalid value [10] for
 * parameter 'DATA_RETENTION_TIME_IN_DAYS'` (001008, 22023, as Snowflake answers it; seen in the
 * Snowflake Terraform provider's integration tests).
 */
export function invalidParameterValue(parameter: string, value: string, sql?: string): HubSqlError {
  return new HubSqlError("001008", "22023", `SQL compilation error:\ninvalid value [${value}] for parameter '${parameter}'`, sql);
}

/** The session's value from ALTER SESSION SET's text: digits only, 0..604800; anything else refused naming it. */
export function sessionTimeoutValue(value: string, sql?: string): number {
  // Digits only: "1e3", "1.5", "-1", "" and words are not whole numbers of seconds. Leading zeros
  // are still a number; the length cap keeps Number() exact before the range check.
  const n = /^\d{1,7}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 0 && n <= MAX_STATEMENT_TIMEOUT_S)) throw invalidParameterValue(STATEMENT_TIMEOUT_PARAMETER, value, sql);
  return n;
}

/** The timeout a statement runs under: the smaller non-zero of the session's and the ceiling; 0 on both is the maximum. */
export function effectiveTimeout(session: number, ceiling: number): number {
  const set = [session, ceiling].filter((s) => s > 0);
  return set.length ? Math.min(...set) : MAX_STATEMENT_TIMEOUT_S;
}
