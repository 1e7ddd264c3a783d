/** How the twin refuses Snowflake SQL it does not run, in Snowflake's words and codes. */
import { HubSqlError } from "../warehouse/errors.ts";

/** A feature Snowflake has and the twin deliberately does not: named, so the user knows it is the twin. */
export const UNSUPPORTED = (what: string, sql: string) => new HubSqlError("000002", "0A000", `Unsupported feature '${what}'.`, sql);

/** Snowflake's answer to a function it does not have. */
export const UNKNOWN_FUNCTION = (name: string, sql: string) => new HubSqlError("002140", "42601", `SQL compilation error:\nUnknown function ${name.toUpperCase()}`, sql);

/** Snowflake's answer to a call with the wrong number of arguments (`takes` as it words it: "3", "1 or 2"). */
export function WRONG_ARGUMENT_COUNT(name: string, got: number, takes: string, sql: string): HubSqlError {
  const most = Math.max(...takes.split(/\D+/).filter(Boolean).map(Number));
  const which = got > most ? "too many" : "not enough";
  return new HubSqlError("000938", "42601", `SQL compilation error:\n${which} arguments for function [${name.toUpperCase()}], expected ${takes}, got ${got}`, sql);
}
