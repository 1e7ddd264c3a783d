/**
 * snowflake-sdk errors → `HubSqlError`. Server errors already carry Snowflake's code, SQLSTATE and
 * message and pass through unchanged; the SDK's own errors (network, login, bad arguments) get a
 * SQLSTATE from the connection-exception class (08xxx) so callers can tell "retry later" from
 * "fix the SQL". Every message is scrubbed of the key material before it leaves this module.
 */
import { HubSqlError } from "./errors.ts";

/** SQLSTATE 08001: the client could not establish the connection (login failed or host unreachable). */
export const SQLSTATE_CANNOT_CONNECT = "08001";
/** SQLSTATE 08003: the connection does not exist (used after `close()`). */
export const SQLSTATE_NO_CONNECTION = "08003";
/** SQLSTATE 08006: the connection failed while a statement was running. */
export const SQLSTATE_CONNECTION_FAILURE = "08006";

/** A config field that failed validation; `field` names it, the message names the bad value. */
export class SnowflakeConfigError extends Error {
  override readonly name = "SnowflakeConfigError";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`Snowflake config: ${field} ${message}`);
  }
}

/** Where a session was going, for error messages (never the key). */
export interface SnowflakeTarget {
  readonly account: string;
  readonly accessUrl: string;
  readonly username: string;
  readonly role: string;
  /** Strings that must never appear in a message: the PEM key as given and as re-exported, the passphrase. */
  readonly secrets: readonly string[];
}

const PEM_BLOCK = /-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(-----END [A-Z0-9 ]+-----|$)/g;

/** Removes the secrets, and any PEM block at all, from a message. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text.replace(PEM_BLOCK, "[redacted key]");
  for (const s of secrets) if (s.length >= 8) out = out.split(s).join("[redacted]");
  return out;
}

interface SdkErrorLike {
  name?: unknown;
  code?: unknown;
  sqlState?: unknown;
  message?: unknown;
}

function sdkFields(err: unknown): { name: string; code: string; sqlState?: string; message: string } {
  const e = (typeof err === "object" && err !== null ? err : {}) as SdkErrorLike;
  return {
    name: typeof e.name === "string" ? e.name : "Error",
    code: e.code === undefined || e.code === null ? "" : String(e.code),
    sqlState: typeof e.sqlState === "string" && e.sqlState !== "" ? e.sqlState : undefined,
    message: typeof e.message === "string" ? e.message : String(err),
  };
}

/** Server error codes are six digits ("002003"); the SDK's own are numbers from 400000 up. */
const isServerCode = (code: string): boolean => /^\d{6}$/.test(code) && !/^4\d{5}$/.test(code);

/** The SDK's network-level failures: the server was not reached or did not answer properly. */
const NETWORK_CODES = new Set(["401001", "401002", "401003"]);

/** A statement's failure. */
export function fromSnowflakeError(err: unknown, sql: string | undefined, secrets: readonly string[]): HubSqlError {
  if (err instanceof HubSqlError) return err;
  const f = sdkFields(err);
  const message = redact(f.message, secrets);
  if (isServerCode(f.code)) {
    // 39xxxx are session/authentication codes (e.g. 390114 token expired): the connection is gone.
    const sqlState = f.sqlState ?? (f.code.startsWith("39") ? SQLSTATE_CONNECTION_FAILURE : "XX000");
    return new HubSqlError(f.code, sqlState, message, sql, { cause: err });
  }
  if (NETWORK_CODES.has(f.code)) {
    return new HubSqlError(f.code, SQLSTATE_CONNECTION_FAILURE, `Lost contact with Snowflake: ${message}`, sql, { cause: err });
  }
  if (f.code === "407002") return new HubSqlError(f.code, SQLSTATE_NO_CONNECTION, message, sql, { cause: err });
  return new HubSqlError(f.code || "000603", "XX000", `SQL execution internal error:\n${f.name}: ${message}`, sql, { cause: err });
}

/** A login that did not succeed: names the account, URL, user and role so the operator can check them. */
export function loginError(err: unknown, target: SnowflakeTarget): HubSqlError {
  const f = sdkFields(err);
  const reason = redact(f.message, target.secrets);
  const code = f.code || "000000";
  const message =
    `Cannot log in to Snowflake account "${target.account}" at ${target.accessUrl} ` +
    `as user "${target.username}" with role "${target.role}" (key-pair auth): ${reason}` +
    (f.code ? ` [${f.code}]` : "");
  return new HubSqlError(code, SQLSTATE_CANNOT_CONNECT, message, undefined, { cause: err });
}
