/**
 * A stand-in for the parts of Snowflake's REST protocol that snowflake-sdk 3.x uses, on 127.0.0.1:
 * login (`/session/v1/login-request`), statements (`/queries/v1/query-request`), logout
 * (`/session?delete=true`) and in-band telemetry (`/telemetry/send`). It records every request and
 * notes protocol violations in `problems` (a statement without the session token, an unknown path),
 * which tests assert to be empty. Result sets use Snowflake's JSON result format: every value is
 * text (NUMBER as digits, TIMESTAMP_NTZ as epoch seconds with fraction, VARIANT as JSON text).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import { jwtRefusal } from "../../pipelines/serve/snowflakeJwt.ts";

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: http.IncomingHttpHeaders;
  /** The SDK's JSON (gunzipped when sent compressed); `any` because tests assert it field by field. */
  readonly body: any;
}

export interface FakeColumn {
  readonly name: string;
  /** Snowflake's rowtype names: fixed, real, text, boolean, date, timestamp_ntz, timestamp_ltz, variant, object, array. */
  readonly type: string;
  readonly scale?: number;
}

export interface FakeResult {
  readonly columns: readonly FakeColumn[];
  readonly rows: readonly (readonly (string | null)[])[];
  /** 0x3100 insert, 0x3200 update, 0x3300 delete, 0x3400 merge; anything else is not DML. */
  readonly statementTypeId?: number;
}

export interface FakeError {
  readonly code: string;
  readonly sqlState: string;
  readonly message: string;
}

export type QueryHandler = (sql: string, body: RecordedRequest["body"]) => FakeResult | FakeError | undefined;

/** What Snowflake answers to ALTER SESSION and other statements without a result. */
export const STATEMENT_OK: FakeResult = {
  columns: [{ name: "status", type: "text" }],
  rows: [["Statement executed successfully."]],
  statementTypeId: 0x4000,
};

export class FakeSnowflakeServer {
  readonly requests: RecordedRequest[] = [];
  readonly problems: string[] = [];
  /** Answers statements; `undefined` means "not handled" (a problem, answered with an error). */
  onQuery: QueryHandler = () => undefined;
  /** Set to refuse logins with this error, as Snowflake does for a key it does not know. */
  loginFailure: FakeError | undefined;
  /** Set to leave login requests unanswered (a host that accepts connections and then says nothing). */
  hangLogins = false;
  /**
   * Public keys set on users (`ALTER USER ... SET RSA_PUBLIC_KEY`), by `ACCOUNT.USER` upper-cased.
   * When any is set, a login must carry a JWT Snowflake would accept for that user, or it is refused
   * as Snowflake refuses it (390144 JWT token is invalid): RS256, signed by the user's key, `sub`
   * ACCOUNT.USER, `iss` ACCOUNT.USER.SHA256:<fingerprint of that key>, not expired, at most an hour
   * long (https://docs.snowflake.com/en/developer-guide/sql-api/authenticating, "Using key-pair
   * authentication"; the Node driver's own JWT: lib/authentication/auth_keypair.js).
   */
  readonly userKeys = new Map<string, string>();
  /** Why the last refused JWT was refused (for a test's message; Snowflake says only "invalid"). */
  lastJwtRefusal: string | null = null;
  private sessions = 0;
  private readonly tokens = new Set<string>();

  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<FakeSnowflakeServer> {
    const server = http.createServer();
    const fake = new FakeSnowflakeServer(server);
    server.on("request", (req, res) => fake.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  byPath(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** The SQL texts of the statements received, in order. */
  statements(): string[] {
    return this.byPath("/queries/v1/query-request").map((r) => String(r.body.sqlText));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://fake");
      let raw = Buffer.concat(chunks);
      if (req.headers["content-encoding"] === "gzip") raw = gunzipSync(raw);
      let body: unknown = null;
      try {
        body = raw.length ? JSON.parse(raw.toString("utf8")) : null;
      } catch {
        this.problems.push(`${req.method} ${url.pathname}: body is not JSON`);
      }
      const rec: RecordedRequest = { method: req.method ?? "", path: url.pathname, query: url.searchParams, headers: req.headers, body };
      this.requests.push(rec);
      this.route(rec, res);
    });
  }

  /** Why Snowflake would refuse the login's JWT, or null when it would accept it. */
  private jwtRefusal(data: Record<string, unknown> | undefined): string | null {
    if (data?.AUTHENTICATOR !== "SNOWFLAKE_JWT") return `authenticator ${String(data?.AUTHENTICATOR)}, not SNOWFLAKE_JWT`;
    const account = String(data.ACCOUNT_NAME ?? "").toUpperCase();
    const user = String(data.LOGIN_NAME ?? "").toUpperCase();
    const key = this.userKeys.get(`${account}.${user}`);
    if (!key) return `no public key is set for ${account}.${user}`;
    return jwtRefusal(String(data.TOKEN ?? ""), { account, user }, [key]);
  }

  private route(rec: RecordedRequest, res: http.ServerResponse): void {
    const send = (payload: unknown) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(payload));
    };
    if (rec.method === "POST" && rec.path === "/session/v1/login-request") {
      if (this.hangLogins) return; // never answered; closed by close()
      if (this.loginFailure) return send(failure(this.loginFailure));
      if (this.userKeys.size > 0) {
        this.lastJwtRefusal = this.jwtRefusal(rec.body?.data);
        if (this.lastJwtRefusal) return send(failure({ code: "390144", sqlState: "08004", message: "JWT token is invalid." }));
      }
      const token = `session-token-${++this.sessions}`;
      this.tokens.add(token);
      return send({
        success: true,
        code: null,
        message: null,
        data: { token, masterToken: `master-${token}`, validityInSeconds: 3600, masterValidityInSeconds: 14400, sessionId: this.sessions, parameters: [] },
      });
    }
    // Everything after login must carry the session token the login handed out.
    const auth = /^Snowflake Token="([^"]+)"$/.exec(String(rec.headers.authorization ?? ""));
    if (!auth || !this.tokens.has(auth[1]!)) {
      this.problems.push(`${rec.method} ${rec.path}: missing or unknown session token`);
      res.statusCode = 401;
      return send({ success: false, code: "390104", message: "Invalid session token", data: null });
    }
    if (rec.method === "POST" && rec.path === "/queries/v1/query-request") {
      const sql = String(rec.body?.sqlText ?? "");
      const answer = /^ALTER SESSION /i.test(sql) ? (this.onQuery(sql, rec.body) ?? STATEMENT_OK) : this.onQuery(sql, rec.body);
      if (!answer) {
        this.problems.push(`unexpected statement: ${sql}`);
        return send(failure({ code: "000603", sqlState: "XX000", message: "fake server: no handler" }));
      }
      return send("code" in answer ? failure(answer) : resultSet(answer));
    }
    if (rec.method === "POST" && rec.path === "/session" && rec.query.get("delete") === "true") {
      this.tokens.delete(auth[1]!);
      return send({ success: true, code: null, message: null, data: null });
    }
    if (rec.method === "POST" && rec.path === "/telemetry/send") return send({ success: true, code: null, message: null, data: null });
    this.problems.push(`unexpected request: ${rec.method} ${rec.path}`);
    res.statusCode = 404;
    send({ success: false, code: "000404", message: "not found", data: null });
  }
}

let queryIds = 0;

function failure(e: FakeError): unknown {
  const queryId = `01b0-fake-${++queryIds}`;
  return { success: false, code: e.code, message: e.message, data: { sqlState: e.sqlState, errorCode: e.code, queryId, internalError: false } };
}

function resultSet(r: FakeResult): unknown {
  return {
    success: true,
    code: null,
    message: null,
    data: {
      queryId: `01b0-fake-${++queryIds}`,
      queryResultFormat: "json",
      statementTypeId: r.statementTypeId ?? 0x1000,
      total: r.rows.length,
      returned: r.rows.length,
      parameters: [],
      rowtype: r.columns.map((c) => ({
        name: c.name,
        type: c.type,
        scale: c.scale ?? (c.type === "fixed" ? 0 : c.type.startsWith("timestamp_") ? 9 : null),
        precision: c.type === "fixed" ? 38 : null,
        nullable: true,
        length: c.type === "text" ? 16777216 : null,
        byteLength: c.type === "text" ? 16777216 : null,
      })),
      rowset: r.rows,
    },
  };
}
