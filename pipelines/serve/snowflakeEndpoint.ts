/**
 * The hub's SQL endpoint speaking Snowflake's REST protocol, the one snowflake-sdk (and the tools
 * built on it) speak, so a tool connects to the local hub as a tenant's service user connects to
 * Snowflake: login (key-pair JWT, or a password), one statement per request through the same
 * SnowflakeSession as `scripts/sql.ts` (Snowflake SQL translated, the role's grants, the tenant
 * guard), results in Snowflake's JSON format, heartbeat and logout. The protocol as the driver
 * uses it: tests/pipelines/fakeSnowflakeServer.ts and snowflake-sdk's dist/lib/services/sf.js.
 *
 * Everything a client sends is bounded and checked before it reaches the engine: bodies up to
 * 1 MB (gzip included, never inflated past that), JSON only, a session token on every call after
 * login, a role the user holds, the hub's database.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { gunzipSync } from "node:zlib";
import type { EmbeddedEngine } from "../engine/embeddedEngine.ts";
import { HubSqlError } from "../warehouse/errors.ts";
import { HUB_DATABASE, SnowflakeSession } from "../sql/snowflakeSession.ts";
import { bindPlaceholders } from "../sql/sqlText.ts";
import { jwtRefusal } from "./snowflakeJwt.ts";
import { snowflakeResultData } from "./snowflakeResults.ts";
import { passwordMatches } from "./passwordHash.ts";
import type { SignInLimiter } from "../portal/signInLimiter.ts";
import type { AdmissionGate } from "../sql/admissionGate.ts";

/** Who may log in: a service user (key pairs) or a person (a password), and the roles granted to them. */
export interface EndpointUser {
  readonly name: string;
  /** PEM public keys set on the user (RSA_PUBLIC_KEY and RSA_PUBLIC_KEY_2). */
  readonly publicKeys?: readonly string[];
  /** scrypt hash of the password: `scrypt$<salt hex>$<hash hex>` (see hashPassword). */
  readonly passwordHash?: string;
  readonly roles: readonly string[];
  readonly defaultRole: string;
  readonly defaultWarehouse?: string | null;
}

export interface EndpointOptions {
  readonly engine: EmbeddedEngine;
  /** The users, or where to read them at each login (serve: the users file, changed while it runs). */
  readonly users: readonly EndpointUser[] | (() => readonly EndpointUser[]);
  /** The account name clients connect to (`account` in the driver's options); default HUB. */
  readonly account?: string;
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Where refusals are told (why a JWT was refused); never tokens, keys or passwords. */
  readonly log?: (line: string) => void;
  /**
   * Failed password logins allowed per user name and per client address (serve: the one limiter
   * the portal and the HTTP APIs share, so a guesser gains nothing by moving between them). A
   * name or address over its failures is refused before its password is hashed. Default none.
   */
  readonly signInLimiter?: SignInLimiter;
  /** Wall clock for sessions' idle time (tests move it); default Date.now. */
  readonly now?: () => number;
  /**
   * Seconds any statement may run, whatever its session sets (serve's --statement-timeout): the
   * ceiling Snowflake's warehouse-level STATEMENT_TIMEOUT_IN_SECONDS is (statementTimeout.ts).
   * Default 0: the sessions' own values only.
   */
  readonly statementTimeoutCeiling?: number;
  /**
   * Where tenants' queries wait for a place on their warehouse (serve's --max-concurrency,
   * admissionGate.ts). Default none: every query runs at once.
   */
  readonly admission?: AdmissionGate;
}

const MAX_BODY = 1_048_576;
const PROTOCOL_PATHS = new Set(["/session/v1/login-request", "/telemetry/send", "/queries/v1/query-request", "/session", "/session/heartbeat", "/session/token-request"]);
const DRAIN_LIMIT = 16 * MAX_BODY;
/** Sessions the endpoint holds at once, all users together. */
export const MAX_SESSIONS = 256;
/** Sessions one user may hold: a quarter of the pool, so no one user (or tool that never logs out) locks the others out. */
export const MAX_SESSIONS_PER_USER = MAX_SESSIONS / 4;
/**
 * A session unused this long is ended: Snowflake's, without CLIENT_SESSION_KEEP_ALIVE, expires
 * after four hours of inactivity (https://docs.snowflake.com/en/sql-reference/parameters#client-session-keep-alive).
 */
export const SESSION_IDLE_MS = 4 * 3_600_000;
const SESSION_VALIDITY_S = 3600;

export { hashPassword, passwordMatches } from "./passwordHash.ts";

/** Snowflake's login refusals (codes as Snowflake returns them). */
const LOGIN = {
  badCredentials: { code: "390100", sqlState: "08004", message: "Incorrect username or password was specified." },
  badJwt: { code: "390144", sqlState: "08004", message: "JWT token is invalid." },
  roleNotGranted: (role: string) => ({ code: "390189", sqlState: "08004", message: `Role '${role}' specified in the connect string is not granted to this user. Contact your local system administrator, or attempt to login with another role, e.g. PUBLIC.` }),
  database: (db: string) => ({ code: "390201", sqlState: "08004", message: `The requested database '${db}' does not exist or not authorized.` }),
  tooMany: { code: "390102", sqlState: "08004", message: "Too many sessions: log out of one first." },
  tooManyOfUser: (user: string, held: number) => ({ code: "390102", sqlState: "08004", message: `Too many sessions: user ${user} holds ${held} sessions, the most one user may; log out of one first.` }),
  // The code of a wrong password, so a driver treats it as one (no retry); the message says why.
  // Snowflake locks a user for 15 minutes after 5 failures (password policy defaults
  // PASSWORD_MAX_RETRIES 5, PASSWORD_LOCKOUT_TIME_MINS 15), the portal's limits.
  tooManyFailures: (waitS: number) => ({ code: "390100", sqlState: "08004", message: `Incorrect username or password was specified. Too many failed logins for this user or from this address: try again in ${waitS} s.` }),
};

interface Session {
  readonly sql: SnowflakeSession;
  readonly user: string;
  /** Statements of one session run one at a time, in the order they came. */
  queue: Promise<unknown>;
  /** When a request last named it (ms, the endpoint's clock). */
  lastUsed: number;
}

export class SnowflakeEndpoint {
  private readonly sessions = new Map<string, Session>();
  private queryIds = 0;
  private sessionIds = 0;

  private constructor(
    private readonly server: http.Server | null,
    private readonly o: EndpointOptions,
  ) {}

  /**
   * The endpoint without a server of its own: `serve` routes the protocol's paths of its one HTTP
   * port here (`handle`), beside its other APIs.
   */
  static attached(o: Omit<EndpointOptions, "host" | "port">): SnowflakeEndpoint {
    return new SnowflakeEndpoint(null, o);
  }

  /** The paths of Snowflake's REST protocol that this endpoint answers. */
  static owns(pathname: string): boolean {
    return PROTOCOL_PATHS.has(pathname);
  }

  static async start(o: EndpointOptions): Promise<SnowflakeEndpoint> {
    const server = http.createServer();
    const endpoint = new SnowflakeEndpoint(server, o);
    server.on("request", (req, res) => void endpoint.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(o.port ?? 0, o.host ?? "127.0.0.1", () => resolve());
    });
    return endpoint;
  }

  get url(): string {
    if (!this.server) throw new Error("the endpoint is attached to another server");
    const a = this.server.address() as AddressInfo;
    return `http://${a.address}:${a.port}`;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Tenant statements waiting for a place, and running, per warehouse (empty without a gate). */
  admissionCounts(): { queued: Map<string, number>; running: Map<string, number> } {
    return { queued: this.o.admission?.queued() ?? new Map(), running: this.o.admission?.runningNow() ?? new Map() };
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  /** No request has named it for SESSION_IDLE_MS (ending it waits for a statement in flight). */
  private idle(s: Session): boolean {
    return this.now() - s.lastUsed > SESSION_IDLE_MS;
  }

  private async end(token: string, s: Session): Promise<void> {
    this.sessions.delete(token);
    await s.queue.catch(() => undefined);
    await s.sql.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    for (const s of this.sessions.values()) await s.sql.close().catch(() => undefined);
    this.sessions.clear();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const send = (status: number, payload: unknown) => {
      if (res.headersSent) return;
      res.statusCode = status;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(payload));
    };
    const url = new URL(req.url ?? "/", "http://endpoint");
    let body: Record<string, unknown>;
    try {
      body = await readJson(req);
    } catch (e) {
      return send((e as { status?: number }).status ?? 400, { success: false, code: "000400", message: (e as Error).message, data: null });
    }
    try {
      if (req.method !== "POST") return send(405, { success: false, code: "000405", message: `${req.method} is not a method of this endpoint`, data: null });
      if (url.pathname === "/session/v1/login-request") return send(200, await this.login(url.searchParams, (body.data ?? {}) as Record<string, unknown>, req.socket.remoteAddress ?? "unknown"));
      if (url.pathname === "/telemetry/send") return send(200, ok(null));
      const token = /^Snowflake Token="([^"]+)"$/.exec(String(req.headers.authorization ?? ""))?.[1];
      let session = token ? this.sessions.get(token) : undefined;
      if (session && this.idle(session)) {
        await this.end(token!, session);
        session = undefined;
      }
      if (!session) return send(401, { success: false, code: "390104", message: "User must login again to access the service.", data: null });
      session.lastUsed = this.now();
      if (url.pathname === "/queries/v1/query-request") {
        // A client that goes away gives up its statement's place in the warehouse's queue.
        const gone = new AbortController();
        res.once("close", () => {
          if (!res.writableFinished) gone.abort();
        });
        return send(200, await this.query(session, body, gone.signal));
      }
      if (url.pathname === "/session" && url.searchParams.get("delete") === "true") {
        this.sessions.delete(token!);
        await session.sql.close();
        return send(200, ok(null));
      }
      if (url.pathname === "/session/heartbeat") return send(200, ok(null));
      if (url.pathname === "/session/token-request") return send(200, ok({ sessionToken: token, validityInSecondsST: SESSION_VALIDITY_S, masterToken: token, validityInSecondsMT: SESSION_VALIDITY_S }));
      return send(404, { success: false, code: "000404", message: `${url.pathname} is not a path of this endpoint`, data: null });
    } catch (e) {
      // A fault of ours: the client hears that it happened, never its stack.
      this.o.log?.(`endpoint: ${req.method} ${url.pathname} failed: ${(e as Error).message}`);
      return send(500, { success: false, code: "000603", message: "SQL execution internal error.", data: null });
    }
  }

  private async login(params: URLSearchParams, data: Record<string, unknown>, address: string): Promise<unknown> {
    const account = (this.o.account ?? HUB_DATABASE).toUpperCase();
    const name = String(data.LOGIN_NAME ?? "").toUpperCase();
    const limiter = data.AUTHENTICATOR === "SNOWFLAKE_JWT" ? undefined : this.o.signInLimiter;
    const limitKey = name.slice(0, 255);
    const wait = limiter?.waitS(limitKey, address) ?? 0;
    if (wait > 0) {
      this.o.log?.(`endpoint: login of ${name.slice(0, 64)} refused: too many failed password logins`);
      return failure(LOGIN.tooManyFailures(wait));
    }
    const answer = this.passwordOrKeyLogin(params, data, account, name);
    const result = await answer;
    if (limiter && (result as { code?: unknown }).code === LOGIN.badCredentials.code) limiter.failed(limitKey, address);
    else if (limiter && (result as { success?: unknown }).success === true) limiter.succeeded(limitKey);
    return result;
  }

  private async passwordOrKeyLogin(params: URLSearchParams, data: Record<string, unknown>, account: string, name: string): Promise<unknown> {
    const users = typeof this.o.users === "function" ? this.o.users() : this.o.users;
    const user = users.find((u) => u.name.toUpperCase() === name);
    // One answer for an unknown user, another account and a wrong secret: the client learns nothing more.
    if (!user || String(data.ACCOUNT_NAME ?? "").toUpperCase() !== account) return failure(LOGIN.badCredentials);
    if (data.AUTHENTICATOR === "SNOWFLAKE_JWT") {
      const why = jwtRefusal(String(data.TOKEN ?? ""), { account, user: name }, user.publicKeys ?? []);
      if (why) {
        this.o.log?.(`endpoint: login of ${name} refused: ${why}`);
        return failure(LOGIN.badJwt);
      }
    } else if (!user.passwordHash || typeof data.PASSWORD !== "string" || !passwordMatches(data.PASSWORD, user.passwordHash)) {
      return failure(LOGIN.badCredentials);
    }
    const role = (params.get("roleName") || user.defaultRole).toUpperCase();
    if (!user.roles.map((r) => r.toUpperCase()).includes(role)) return failure(LOGIN.roleNotGranted(role));
    const database = params.get("databaseName");
    if (database && database.toUpperCase() !== HUB_DATABASE) return failure(LOGIN.database(database.toUpperCase()));
    // Sessions left idle past Snowflake's limit are ended first: they hold places and connections.
    for (const [t, s] of this.sessions) if (this.idle(s)) await this.end(t, s);
    if (this.sessions.size >= MAX_SESSIONS) return failure(LOGIN.tooMany);
    const held = [...this.sessions.values()].filter((s) => s.user === name).length;
    if (held >= MAX_SESSIONS_PER_USER) return failure(LOGIN.tooManyOfUser(name, held));
    let sql: SnowflakeSession;
    try {
      sql = await SnowflakeSession.open(this.o.engine, {
        user: name,
        role,
        // USE ROLE within the session is held to the user's grants, as the login's role is.
        grantedRoles: user.roles,
        warehouse: params.get("warehouse") || user.defaultWarehouse,
        schema: params.get("schemaName") || null,
        statementTimeoutCeiling: this.o.statementTimeoutCeiling ?? 0,
        ...(this.o.admission ? { admission: this.o.admission } : {}),
      });
    } catch (e) {
      if (e instanceof HubSqlError) return failure({ code: e.code, sqlState: e.sqlState, message: e.message });
      throw e;
    }
    const token = randomBytes(32).toString("hex");
    this.sessions.set(token, { sql, user: name, queue: Promise.resolve(), lastUsed: this.now() });
    const state = sql.state();
    return ok({
      token,
      masterToken: token,
      validityInSeconds: SESSION_VALIDITY_S,
      masterValidityInSeconds: SESSION_VALIDITY_S,
      sessionId: ++this.sessionIds,
      parameters: [],
      sessionInfo: { databaseName: HUB_DATABASE, schemaName: state.schema, warehouseName: state.warehouse, roleName: state.role },
    });
  }

  private async query(session: Session, body: Record<string, unknown>, signal?: AbortSignal): Promise<unknown> {
    const queryId = `01hub-${process.pid}-${++this.queryIds}`;
    const sqlText = body.sqlText;
    if (typeof sqlText !== "string" || sqlText.trim() === "") return failure({ code: "000900", sqlState: "42601", message: "SQL compilation error:\nEmpty SQL statement." }, queryId);
    let statement = sqlText;
    if (body.bindings && typeof body.bindings === "object" && Object.keys(body.bindings).length > 0) {
      const bound = bindValues(sqlText, body.bindings as Record<string, unknown>);
      if ("refused" in bound) return failure({ code: "002049", sqlState: "22000", message: `SQL compilation error: ${bound.refused}` }, queryId);
      statement = bound.sql;
    }
    const run = session.queue.then(async () => {
      try {
        // Snowflake runs one statement per request unless MULTI_STATEMENT_COUNT says more, and
        // counts them before running any: a refused request has changed nothing.
        const results = await session.sql.execute(statement, { statements: 1, signal });
        return ok(snowflakeResultData(results[0]!, queryId));
      } catch (e) {
        if (e instanceof HubSqlError) return failure({ code: e.code, sqlState: e.sqlState, message: e.message }, queryId);
        throw e;
      }
    });
    session.queue = run.catch(() => undefined);
    return run;
  }
}

/**
 * The statement with each bind placeholder (`?` in order, or `:N`) replaced by the bind's value as
 * a SQL literal of its type, as the driver typed it (statement.js buildBindsMap: TEXT, FIXED, REAL,
 * BOOLEAN, VARIANT; null for NULL). A value is only ever a literal: text is quoted with its quotes
 * and backslashes escaped, numbers must be numbers. Array binds (many rows in one request) are not
 * taken: the driver would have uploaded them to a stage in Snowflake.
 */
export function bindValues(sql: string, bindings: Record<string, unknown>): { sql: string } | { refused: string } {
  const at = bindPlaceholders(sql);
  const literal = (n: number): string | { refused: string } => {
    const b = bindings[String(n)] as { type?: unknown; value?: unknown } | undefined;
    if (!b || typeof b !== "object") return { refused: `Bind variable ${n} not set.` };
    const v = b.value;
    if (v === null || v === undefined) return "NULL";
    if (Array.isArray(v)) return { refused: "array binds (several rows in one request) are not supported: send one row per statement" };
    if (typeof v !== "string") return { refused: `bind ${n}: the value must be text, as the driver sends it` };
    switch (b.type) {
      case "FIXED":
        return /^-?\d{1,38}$/.test(v) ? v : { refused: `bind ${n}: ${JSON.stringify(v.slice(0, 40))} is not a FIXED number` };
      case "REAL":
        return /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v) ? v : { refused: `bind ${n}: ${JSON.stringify(v.slice(0, 40))} is not a REAL number` };
      case "BOOLEAN":
        return v === "true" ? "TRUE" : v === "false" ? "FALSE" : { refused: `bind ${n}: ${JSON.stringify(v.slice(0, 40))} is not a BOOLEAN` };
      case "TEXT":
      case "DATE":
      case "TIME":
      case "TIMESTAMP_NTZ":
      case "TIMESTAMP_LTZ":
      case "TIMESTAMP_TZ":
        return `'${v.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
      case "VARIANT":
        return `PARSE_JSON('${v.replaceAll("\\", "\\\\").replaceAll("'", "''")}')`;
      default:
        return { refused: `bind ${n}: type ${JSON.stringify(b.type)} is not a bind type` };
    }
  };
  let out = "";
  let from = 0;
  for (const p of at) {
    const l = literal(p.bind);
    if (typeof l !== "string") return l;
    out += sql.slice(from, p.start) + l;
    from = p.end;
  }
  if (at.length === 0) return { refused: `${Object.keys(bindings).length} bind(s) given, but the statement has no placeholder` };
  return { sql: out + sql.slice(from) };
}

function ok(data: unknown): unknown {
  return { success: true, code: null, message: null, data };
}

function failure(e: { code: string; sqlState: string; message: string }, queryId?: string): unknown {
  return { success: false, code: e.code, message: e.message, data: { sqlState: e.sqlState, errorCode: e.code, queryId: queryId ?? null, internalError: false } };
}

/** The request body as JSON, at most MAX_BODY bytes before and after gzip. */
async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Past the limit the rest is read and dropped, so the client gets its 413 rather than a reset
  // connection; a client that keeps sending past DRAIN_LIMIT is cut off.
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > DRAIN_LIMIT) {
      req.destroy();
      break;
    }
    if (size <= MAX_BODY) chunks.push(chunk);
  }
  if (size > MAX_BODY) throw Object.assign(new Error(`the request body is over ${MAX_BODY} bytes`), { status: 413 });
  let raw = Buffer.concat(chunks);
  if (req.headers["content-encoding"] === "gzip") {
    try {
      raw = gunzipSync(raw, { maxOutputLength: MAX_BODY });
    } catch {
      throw Object.assign(new Error(`the request body is not gzip of at most ${MAX_BODY} bytes`), { status: 413 });
    }
  }
  if (raw.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString("utf8"));
  } catch {
    throw new Error("the request body is not JSON");
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("the request body is not a JSON object");
  return parsed as Record<string, unknown>;
}
