/**
 * The Snowflake driver: a `Warehouse` session over one snowflake-sdk connection, logged in with
 * key-pair auth (SNOWFLAKE_JWT). Each statement carries its QUERY_TAG; the session gets a statement
 * timeout. Rows come back the way the DuckDB driver returns them: lower-case keys, parsed JSON,
 * plain `Date`s, numbers (bigint only where a NUMBER would lose digits).
 */
import { snowflakeDriver } from "./snowflakeDriver.ts";
import { createPrivateKey } from "node:crypto";
import type { Column, Connection, ConnectionOptions, RowStatement } from "snowflake-sdk";
import { snowflakeDialect } from "../dialect/index.ts";
import { formatQueryTag, type QueryOptions, type QueryTag, type Row, type SqlValue, type Warehouse } from "./warehouse.ts";
import { HubSqlError } from "./errors.ts";
import { fromSnowflakeError, loginError, redact, SnowflakeConfigError, SQLSTATE_NO_CONNECTION, type SnowflakeTarget } from "./snowflakeErrors.ts";

export { SnowflakeConfigError };

/** Login retries after the first attempt: one rides out a blip, and a dead host is reported in seconds. */
const LOGIN_RETRIES = 1;

export interface SnowflakeConfig {
  /** Account identifier: `orgname-accountname` or the legacy `xy12345.eu-central-1`. */
  readonly account: string;
  readonly username: string;
  readonly role: string;
  readonly warehouse: string;
  readonly database: string;
  readonly schema?: string;
  /** PEM private key (PKCS#8 or PKCS#1, RSA) whose public key is set on the user. */
  readonly privateKey: string;
  readonly privateKeyPassphrase?: string;
  /** Bounds the whole login, retries included. Default 20. */
  readonly loginTimeoutSeconds?: number;
  /** Session STATEMENT_TIMEOUT_IN_SECONDS. Default 3600; 0 means Snowflake's maximum. */
  readonly statementTimeoutSeconds?: number;
  /** Overrides `https://<account>.snowflakecomputing.com` (PrivateLink, tests). */
  readonly accessUrl?: string;
  /** QUERY_TAG for statements that do not pass their own. */
  readonly defaultTag?: QueryTag;
}

type ValidConfig = Required<Pick<SnowflakeConfig, "account" | "username" | "role" | "warehouse" | "database">> &
  Pick<SnowflakeConfig, "schema" | "accessUrl" | "defaultTag"> & {
    readonly privateKeyPkcs8: string;
    readonly loginTimeoutSeconds: number;
    readonly statementTimeoutSeconds: number;
    readonly target: SnowflakeTarget;
  };

// The SDK's own account check; an identifier is unquoted (letters, digits, _ and $) or double-quoted.
const ACCOUNT = /^\w+([.-]\w+)*$/;
const IDENTIFIER = /^([A-Za-z_][A-Za-z0-9_$]*|"([^"]|"")+")$/;
const show = (v: unknown): string => (typeof v === "string" ? JSON.stringify(v) : String(v));

function requireMatch(field: string, value: unknown, re: RegExp, what: string): string {
  if (typeof value !== "string" || !re.test(value)) throw new SnowflakeConfigError(field, `must be ${what}; got ${show(value)}`);
  return value;
}

/** Checks every field before any network: errors name the field and the value, never the key. */
export function validateSnowflakeConfig(c: SnowflakeConfig): ValidConfig {
  const account = requireMatch("account", c.account, ACCOUNT, "an account identifier such as myorg-myaccount");
  const username = requireMatch("username", c.username, /^\S(.*\S)?$/, "a non-empty user name");
  const identifier = "an identifier (letters, digits, _ or $, or a double-quoted name)";
  const role = requireMatch("role", c.role, IDENTIFIER, identifier);
  const warehouse = requireMatch("warehouse", c.warehouse, IDENTIFIER, identifier);
  const database = requireMatch("database", c.database, IDENTIFIER, identifier);
  const schema = c.schema === undefined ? undefined : requireMatch("schema", c.schema, IDENTIFIER, identifier);

  let accessUrl: string | undefined;
  if (c.accessUrl !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(String(c.accessUrl));
    } catch {
      url = undefined;
    }
    const bare = url && (url.protocol === "https:" || url.protocol === "http:") && !url.username && url.pathname === "/" && !url.search;
    if (!bare) throw new SnowflakeConfigError("accessUrl", `must be an http(s) URL with no path or credentials; got ${show(c.accessUrl)}`);
    accessUrl = url!.origin;
  }

  const loginTimeoutSeconds = c.loginTimeoutSeconds ?? 20;
  if (typeof loginTimeoutSeconds !== "number" || !(loginTimeoutSeconds > 0 && loginTimeoutSeconds <= 600)) {
    throw new SnowflakeConfigError("loginTimeoutSeconds", `must be a number of seconds in (0, 600]; got ${show(loginTimeoutSeconds)}`);
  }
  const statementTimeoutSeconds = c.statementTimeoutSeconds ?? 3600;
  // Snowflake's limit is 604800 (7 days); the value is written into ALTER SESSION, so an integer only.
  if (!Number.isInteger(statementTimeoutSeconds) || statementTimeoutSeconds < 0 || statementTimeoutSeconds > 604800) {
    throw new SnowflakeConfigError("statementTimeoutSeconds", `must be an integer in [0, 604800]; got ${show(statementTimeoutSeconds)}`);
  }
  if (c.defaultTag !== undefined && (typeof c.defaultTag.job !== "string" || c.defaultTag.job === "")) {
    throw new SnowflakeConfigError("defaultTag.job", `must be a non-empty string; got ${show(c.defaultTag.job)}`);
  }

  const secrets = [c.privateKey, c.privateKeyPassphrase].filter((s): s is string => typeof s === "string" && s !== "");
  const privateKeyPkcs8 = decryptKey(c, secrets);
  secrets.push(privateKeyPkcs8);
  const target: SnowflakeTarget = { account, accessUrl: accessUrl ?? defaultAccessUrl(account), username, role, secrets };
  return {
    account, username, role, warehouse, database, schema, accessUrl, privateKeyPkcs8,
    loginTimeoutSeconds, statementTimeoutSeconds, defaultTag: c.defaultTag, target,
  };
}

/** Parses (and decrypts) the key; messages describe the problem but never quote the key or passphrase. */
function decryptKey(c: SnowflakeConfig, secrets: readonly string[]): string {
  if (typeof c.privateKey !== "string" || !c.privateKey.includes("PRIVATE KEY-----")) {
    throw new SnowflakeConfigError("privateKey", `must be a PEM private key ("-----BEGIN ... PRIVATE KEY-----"); got ${describeSecret(c.privateKey)}`);
  }
  if (c.privateKeyPassphrase !== undefined && typeof c.privateKeyPassphrase !== "string") {
    throw new SnowflakeConfigError("privateKeyPassphrase", `must be a string; got ${typeof c.privateKeyPassphrase}`);
  }
  // OpenSSL 3 reports a missing passphrase as "interrupted or cancelled": look at the PEM instead.
  const encrypted = c.privateKey.includes("ENCRYPTED PRIVATE KEY-----") || c.privateKey.includes("Proc-Type: 4,ENCRYPTED");
  if (encrypted && !c.privateKeyPassphrase) throw new SnowflakeConfigError("privateKeyPassphrase", "is required: the private key is encrypted");
  try {
    const key = createPrivateKey({ key: c.privateKey, format: "pem", ...(c.privateKeyPassphrase ? { passphrase: c.privateKeyPassphrase } : {}) });
    if (key.asymmetricKeyType !== "rsa") {
      throw new SnowflakeConfigError("privateKey", `must be an RSA key (Snowflake key-pair auth); got a ${key.asymmetricKeyType} key`);
    }
    return key.export({ format: "pem", type: "pkcs8" }).toString();
  } catch (e) {
    if (e instanceof SnowflakeConfigError) throw e;
    const field = c.privateKeyPassphrase ? "privateKey/privateKeyPassphrase" : "privateKey";
    const reason = redact(e instanceof Error ? e.message : String(e), secrets);
    throw new SnowflakeConfigError(field, `could not be read as a PEM private key${c.privateKeyPassphrase ? " with the given passphrase" : ""} (${reason}); got ${describeSecret(c.privateKey)}`);
  }
}

/** What a secret looks like, without showing it. */
function describeSecret(v: unknown): string {
  return typeof v === "string" ? `a string of ${v.length} characters` : show(v);
}

/** The URL the SDK derives from the account, for error messages. */
function defaultAccessUrl(account: string): string {
  const region = account.includes(".") ? account.slice(account.indexOf(".") + 1) : "";
  return `https://${account}.snowflakecomputing.${/^cn-/i.test(region) ? "cn" : "com"}`;
}

export class SnowflakeWarehouse implements Warehouse {
  readonly dialect = snowflakeDialect;
  readonly role: string;
  private closed = false;

  constructor(
    private readonly connection: Connection,
    private readonly config: ValidConfig,
  ) {
    this.role = config.role;
  }

  async query<T extends Row = Row>(sql: string, options: QueryOptions = {}): Promise<T[]> {
    return (await this.run(sql, options)).rows as T[];
  }

  /** Rows inserted, updated, deleted or merged; 0 for statements that change no rows (DDL, ALTER). */
  async execute(sql: string, options: QueryOptions = {}): Promise<number> {
    return Math.max((await this.run(sql, options)).updated, 0);
  }

  private run(sql: string, options: QueryOptions): Promise<{ rows: Row[]; updated: number }> {
    const secrets = this.config.target.secrets;
    if (this.closed) {
      return Promise.reject(new HubSqlError("407002", SQLSTATE_NO_CONNECTION, "The Snowflake session is closed.", sql));
    }
    const tag = options.tag ?? this.config.defaultTag;
    return new Promise((resolve, reject) => {
      try {
        this.connection.execute({
          sqlText: options.binds ? castDateBinds(sql, options.binds) : sql,
          ...(options.binds ? { binds: options.binds.map(toBind) } : {}),
          // A statement-level parameter, so concurrent statements on one session keep their own tag.
          ...(tag ? { parameters: { QUERY_TAG: formatQueryTag(tag) } } : {}),
          rowMode: "array",
          // NUMBER arrives as text so integers past 2^53 can become bigint instead of losing digits.
          fetchAsString: ["Number"],
          complete: (err, stmt, rows) => {
            if (err) return reject(fromSnowflakeError(err, sql, secrets));
            try {
              // The SDK reports -1 for statements that are not DML.
              const updated = (stmt as RowStatement).getNumUpdatedRows() ?? -1;
              resolve({ rows: toRows(stmt.getColumns() ?? [], (rows ?? []) as unknown[][]), updated });
            } catch (e) {
              reject(fromSnowflakeError(e, sql, secrets));
            }
          },
        });
      } catch (e) {
        reject(fromSnowflakeError(e, sql, secrets));
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await destroy(this.connection);
  }
}

/** Opens a session: validates the config, logs in within `loginTimeoutSeconds`, sets the session up. */
export async function connectSnowflake(input: SnowflakeConfig): Promise<SnowflakeWarehouse> {
  const config = validateSnowflakeConfig(input);
  const { target } = config;
  const snowflake = await snowflakeDriver();
  let connection: Connection;
  try {
    connection = snowflake.createConnection(connectionOptions(config));
  } catch (e) {
    throw loginError(e, target);
  }
  try {
    await withDeadline(login(connection), config.loginTimeoutSeconds, target);
  } catch (e) {
    // If the login is still in flight, the SDK queues the destroy and logs out once it completes.
    void destroy(connection).catch(() => undefined);
    throw e instanceof HubSqlError ? e : loginError(e, target);
  }
  const warehouse = new SnowflakeWarehouse(connection, config);
  try {
    // STRICT_JSON_OUTPUT: VARIANT text is standard JSON (no NaN, Infinity or undefined), see snowflakeDriver.ts.
    // TIMEZONE: timestamps are stored as UTC wall time; LTZ conversions must agree with that.
    await warehouse.execute(
      `ALTER SESSION SET STATEMENT_TIMEOUT_IN_SECONDS = ${config.statementTimeoutSeconds}, STRICT_JSON_OUTPUT = TRUE, TIMEZONE = 'UTC'`,
    );
  } catch (e) {
    await warehouse.close().catch(() => undefined);
    throw e;
  }
  return warehouse;
}

function connectionOptions(config: ValidConfig): ConnectionOptions {
  return {
    account: config.account,
    username: config.username,
    role: config.role,
    warehouse: config.warehouse,
    database: config.database,
    ...(config.schema ? { schema: config.schema } : {}),
    ...(config.accessUrl ? { accessUrl: config.accessUrl } : {}),
    authenticator: "SNOWFLAKE_JWT",
    // Numbers are fetched as strings (exact); with the SDK's default a NULL number's string is
    // "NULL" (data_types.js getNullValue), which became NaN here. A NULL is null.
    representNullAsStringNull: false,
    // Already decrypted by the validation, so the passphrase never reaches the SDK.
    privateKey: config.privateKeyPkcs8,
    // The SDK's default is 7 retries with backoff (~137 s against a dead host); the deadline in
    // connectSnowflake bounds the whole login. The per-request timeout stays at the SDK's 90 s
    // default because long-running statements are long-polled over the same HTTP client.
    sfRetryMaxLoginRetries: LOGIN_RETRIES,
  };
}

function login(connection: Connection): Promise<void> {
  // connect(callback), not connectAsync(): the latter resolves even when the server refuses the login.
  return new Promise((resolve, reject) => {
    connection.connect((err) => (err ? reject(err) : resolve()));
  });
}

function destroy(connection: Connection): Promise<void> {
  return new Promise((resolve, reject) => connection.destroy((err) => (err ? reject(err) : resolve())));
}

function withDeadline<T>(work: Promise<T>, seconds: number, target: SnowflakeTarget): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(loginError(new Error(`no answer within the login timeout of ${seconds} s`), target)), seconds * 1000);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** The SDK binds strings, numbers, booleans and null. */
function toBind(v: SqlValue): string | number | boolean | null {
  // A Date is sent as its UTC wall time, the value a TIMESTAMP_NTZ column holds here (see castDateBinds).
  if (v instanceof Date) return v.toISOString().replace("T", " ").replace("Z", "");
  if (typeof v === "bigint") return v.toString(); // the SDK would JSON.stringify it, which throws
  return v;
}

/**
 * The SDK picks bind types itself and has no TIMESTAMP_NTZ one (a Date goes out as TEXT), so the
 * placeholder of each Date bind is cast: `?` becomes `?::TIMESTAMP_NTZ`, as DuckDB binds a TIMESTAMP.
 * If the placeholders cannot be matched to the binds the SQL is sent as written.
 */
function castDateBinds(sql: string, binds: readonly SqlValue[]): string {
  if (!binds.some((b) => b instanceof Date)) return sql;
  const at = placeholders(sql);
  if (at.length !== binds.length) return sql;
  let out = "";
  let from = 0;
  at.forEach((pos, i) => {
    if (!(binds[i] instanceof Date)) return;
    out += `${sql.slice(from, pos + 1)}::TIMESTAMP_NTZ`;
    from = pos + 1;
  });
  return out + sql.slice(from);
}

/** Offsets of `?` outside string literals, quoted identifiers, comments and $$ blocks. */
function placeholders(sql: string): number[] {
  const out: number[] = [];
  const skipTo = (from: number, end: string): number => {
    const j = sql.indexOf(end, from);
    return j < 0 ? sql.length : j + end.length - 1;
  };
  for (let i = 0; i < sql.length; i++) {
    const two = sql.slice(i, i + 2);
    if (sql[i] === "'" || sql[i] === '"') i = closingQuote(sql, i);
    else if (two === "$$") i = skipTo(i + 2, "$$");
    else if (two === "--" || two === "//") i = skipTo(i + 2, "\n");
    else if (two === "/*") i = skipTo(i + 2, "*/");
    else if (sql[i] === "?") out.push(i);
  }
  return out;
}

/** Index of the quote closing the one at `start` (doubled quotes, and backslashes in strings, escape). */
function closingQuote(sql: string, start: number): number {
  const q = sql[start];
  for (let i = start + 1; i < sql.length; i++) {
    if (q === "'" && sql[i] === "\\") i++;
    else if (sql[i] === q && sql[i + 1] === q) i++;
    else if (sql[i] === q) return i;
  }
  return sql.length;
}

function toRows(columns: readonly Column[], raw: readonly unknown[][]): Row[] {
  const names = columns.map((c) => c.getName().toLowerCase());
  const numeric = columns.map((c) => c.isNumber());
  return raw.map((r) => {
    const o: Row = {};
    r.forEach((v, i) => {
      o[names[i]!] = fromSnowflakeValue(v, numeric[i]!);
    });
    return o;
  });
}

function fromSnowflakeValue(v: unknown, numeric: boolean): unknown {
  if (v === null || v === undefined) return null;
  if (numeric && typeof v === "string") return toNumber(v);
  // The SDK's dates carry extra methods and a toJSON in Snowflake's output format: return plain ones.
  if (v instanceof Date) return new Date(v.getTime());
  return v;
}

function toNumber(text: string): number | bigint {
  if (/^-?\d+$/.test(text)) {
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : BigInt(text);
  }
  if (/^-?inf$/i.test(text)) return text.startsWith("-") ? -Infinity : Infinity;
  return Number(text);
}
