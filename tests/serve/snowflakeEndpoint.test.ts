/**
 * The SQL endpoint as a tool sees it: the real snowflake-sdk (through the hub's own Snowflake
 * driver, connectSnowflake, and the SDK directly) logs in with a key pair or a password, runs
 * Snowflake SQL as its role, reads typed results and Snowflake's errors; and a hostile client tries
 * the protocol's edges: no or stale token, another user's key, a role not granted, another
 * database, oversized and malformed bodies, a gzip bomb.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { gzipSync } from "node:zlib";
import snowflake from "snowflake-sdk";
import { fixtureEngineWithAcme } from "../pipelines/fixture.ts";
import { SnowflakeEndpoint, hashPassword } from "../../pipelines/serve/snowflakeEndpoint.ts";
import { connectSnowflake, type SnowflakeConfig } from "../../pipelines/warehouse/snowflakeWarehouse.ts";
import { HubSqlError } from "../../pipelines/warehouse/errors.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";

const rsa = () => generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
const ACME_KEY = rsa();
const ADMIN_KEY = rsa();

describe("the Snowflake-protocol SQL endpoint", () => {
  let engine: EmbeddedEngine;
  let endpoint: SnowflakeEndpoint;
  const config = (over: Partial<SnowflakeConfig> = {}): SnowflakeConfig => ({
    account: "hub", username: "svc_acme", role: "TENANT_ACME_ROLE", warehouse: "TENANT_ACME_BI_WH", database: "HUB", privateKey: ACME_KEY.privateKey, accessUrl: endpoint.url, ...over,
  });
  before(async () => {
    engine = await fixtureEngineWithAcme();
    await engine.defineResourceMonitor({ kind: "resource_monitor", name: "TENANT_ACME_BI_MONITOR", creditQuota: 50, frequency: "MONTHLY", notifyAt: [75], suspendAt: 100, suspendImmediateAt: 110 });
    await engine.defineWarehouse({ kind: "warehouse", name: "TENANT_ACME_BI_WH", comment: "", size: "XSMALL", autoSuspendSeconds: 60, autoResume: true, initiallySuspended: true, resourceMonitor: "TENANT_ACME_BI_MONITOR" });
    endpoint = await SnowflakeEndpoint.start({
      engine,
      users: [
        { name: "svc_acme", publicKeys: [ACME_KEY.publicKey], roles: ["TENANT_ACME_ROLE"], defaultRole: "TENANT_ACME_ROLE" },
        { name: "svc_admin", publicKeys: [ADMIN_KEY.publicKey], roles: ["HUB_ADMIN"], defaultRole: "HUB_ADMIN" },
        { name: "ana", passwordHash: hashPassword("correct horse"), roles: ["TENANT_ACME_ROLE"], defaultRole: "TENANT_ACME_ROLE" },
      ],
    });
  });
  after(async () => {
    await endpoint.close();
    await engine.close();
  });

  it("serves the hub's own Snowflake driver: key-pair login, Snowflake SQL as the tenant's role, typed values", async () => {
    const wh = await connectSnowflake(config());
    const rows = await wh.query(
      "SELECT CURRENT_ROLE() AS role, COUNT(*) AS n, MAX(ts) AS latest, IFF(COUNT(*) > 0, TRUE, FALSE) AS any_rows, PARSE_JSON('{\"a\": 1}') AS v FROM CORE.SENSOR_READINGS_NORMALIZED WHERE ts >= DATEADD(hour, -2, CURRENT_TIMESTAMP())",
    );
    await wh.close();
    const [r] = rows as Array<Record<string, unknown>>;
    assert.equal(r!.role, "TENANT_ACME_ROLE");
    assert.equal(typeof r!.n, "number");
    assert.ok((r!.n as number) > 0);
    assert.ok(r!.latest instanceof Date, "a TIMESTAMP arrives as a Date");
    assert.equal(r!.any_rows, true);
    assert.deepEqual(r!.v, { a: 1 }, "a VARIANT arrives parsed");
    assert.equal(endpoint.sessionCount, 0, "the driver's close logged the session out");
  });

  it("keeps a tenant to its grants and answers with Snowflake's errors", async () => {
    const wh = await connectSnowflake(config());
    const tenants = (await wh.query("SELECT DISTINCT tenant_id FROM ANALYTICS.ALERTS")) as Array<Record<string, unknown>>;
    assert.ok(tenants.every((t) => t.tenant_id === "acme"));
    await assert.rejects(wh.query("SELECT * FROM RAW.DEVICE_MESSAGES"), (e: unknown) => e instanceof HubSqlError && e.code === "002003");
    await assert.rejects(wh.query("SELECT IFFF(1)"), (e: unknown) => e instanceof HubSqlError && e.code === "002140");
    await assert.rejects(wh.query("SELECT 1; SELECT 2"), (e: unknown) => e instanceof HubSqlError && e.code === "000008");
    await assert.rejects(wh.query("SELECT * FROM 'hub.duckdb'"), (e: unknown) => e instanceof HubSqlError);
    await wh.close();
  });

  it("lets a person in with a password, and refuses a wrong one as Snowflake does", async () => {
    const connect = (password: string) =>
      new Promise<snowflake.Connection>((resolve, reject) => {
        const c = snowflake.createConnection({ account: "hub", username: "ana", password, accessUrl: endpoint.url, database: "HUB" });
        c.connect((err, conn) => (err ? reject(err) : resolve(conn)));
      });
    const c = await connect("correct horse");
    const rows = await new Promise<unknown[]>((resolve, reject) => c.execute({ sqlText: "SELECT CURRENT_USER() AS u", complete: (err, _s, rs) => (err ? reject(err) : resolve(rs ?? [])) }));
    assert.deepEqual(rows, [{ U: "ANA" }]);
    await new Promise<void>((resolve) => c.destroy(() => resolve()));
    await assert.rejects(connect("wrong"), (e: { code?: unknown }) => String(e.code) === "390100");
  });

  it("refuses a login with another user's key, a role not granted, another database or another account", async () => {
    const refused = (over: Partial<SnowflakeConfig>, code: string) =>
      assert.rejects(connectSnowflake(config(over)), (e: unknown) => e instanceof HubSqlError && e.message.includes(`[${code}]`), JSON.stringify(Object.keys(over)));
    await refused({ privateKey: ADMIN_KEY.privateKey }, "390144");
    await refused({ username: "svc_admin", privateKey: ACME_KEY.privateKey }, "390144");
    await refused({ role: "HUB_ADMIN" }, "390189");
    await refused({ warehouse: "HUB_TRANSFORM_WH" }, "002003");
    await refused({ role: "TENANT_GLOBEX_ROLE" }, "390189");
    await refused({ database: "OTHER" }, "390201");
    await refused({ account: "elsewhere" }, "390100");
    await refused({ username: "nobody" }, "390100");
    assert.equal(endpoint.sessionCount, 0);
  });

  it("answers a hostile client plainly: no token, a made-up token, oversized, malformed or compressed-bomb bodies", async () => {
    const post = (path: string, body: Buffer | string, headers: Record<string, string> = {}) =>
      fetch(`${endpoint.url}${path}`, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
    const query = JSON.stringify({ sqlText: "SELECT 1" });
    // Compressed before the first request: gzipping 50 MB blocks the event loop for seconds on a
    // loaded machine, and between two requests that let the server's keep-alive timeout (5 s) close
    // the pooled connection just as fetch sent the next request on it: "fetch failed", ECONNRESET
    // (seen under load; a 6 s busy wait in its place fails the same way every time).
    const bomb = gzipSync(Buffer.alloc(50_000_000, 32));
    let r = await post("/queries/v1/query-request", query);
    assert.equal(r.status, 401);
    assert.equal(((await r.json()) as { code: string }).code, "390104");
    r = await post("/queries/v1/query-request", query, { authorization: 'Snowflake Token="0000"' });
    assert.equal(r.status, 401);
    r = await post("/session/v1/login-request", Buffer.alloc(1_048_577, 32));
    assert.equal(r.status, 413);
    r = await post("/session/v1/login-request", "{not json");
    assert.equal(r.status, 400);
    r = await post("/session/v1/login-request", "[1, 2]");
    assert.equal(r.status, 400);
    r = await post("/session/v1/login-request", bomb, { "content-encoding": "gzip" });
    assert.equal(r.status, 413, "a small gzip body that inflates past the limit is refused, not inflated");
    r = await fetch(`${endpoint.url}/session/v1/login-request`);
    assert.equal(r.status, 405);
    r = await post("/no/such/path", "{}", { authorization: 'Snowflake Token="0000"' });
    assert.equal(r.status, 401, "paths behind the login say nothing before it");
    const body = (await r.json()) as Record<string, unknown>;
    assert.doesNotMatch(JSON.stringify(body), /at .*\.ts:\d+/, "no stack");
  });

  it("takes the driver's binds as values, never as SQL: text with quotes, backslashes and SQL in it, numbers, booleans, NULL, :N", async () => {
    const wh = await connectSnowflake(config({ username: "svc_admin", role: "HUB_ADMIN", privateKey: ADMIN_KEY.privateKey, warehouse: "TENANT_ACME_BI_WH" }));
    const hostile = "it's \\ a \"test\"'); DROP TABLE RAW.SENSOR_READINGS; --";
    const [r] = (await wh.query("SELECT ? AS t, ? AS n, ? AS x, ? AS b, ? AS z", { binds: [hostile, 42, 1.5, true, null] })) as Array<Record<string, unknown>>;
    assert.deepEqual(r, { t: hostile, n: 42, x: 1.5, b: true, z: null });
    const [c] = (await wh.query("SELECT COUNT(*) AS n FROM RAW.SENSOR_READINGS WHERE tenant_id = ?", { binds: ["acme' OR '1'='1"] })) as Array<Record<string, unknown>>;
    assert.equal(c!.n, 0, "a quote in a bind cannot widen the filter");
    const [d] = (await wh.query("SELECT COUNT(*) AS n FROM RAW.SENSOR_READINGS WHERE tenant_id = ? AND ts >= ?", { binds: ["acme", new Date(0)] })) as Array<Record<string, unknown>>;
    assert.ok((d!.n as number) > 0, "a Date bind compares as a timestamp");
    await wh.close();
  });

  it("refuses binds that are not what the driver sends: a FIXED that is not a number, an unknown type, array binds, a missing or surplus bind", async () => {
    const login = await fetch(`${endpoint.url}/session/v1/login-request?roleName=HUB_ADMIN`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ data: { ACCOUNT_NAME: "HUB", LOGIN_NAME: "ana", PASSWORD: "correct horse" } }),
    });
    const token = ((await login.json()) as { data: { token: string } | null }).data?.token;
    // ana holds only the tenant role: log in as it (binds are checked before any grant).
    const anaLogin = await fetch(`${endpoint.url}/session/v1/login-request`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ data: { ACCOUNT_NAME: "HUB", LOGIN_NAME: "ana", PASSWORD: "correct horse" } }),
    });
    const anaToken = ((await anaLogin.json()) as { data: { token: string } }).data.token;
    assert.equal(token, undefined, "HUB_ADMIN is not granted to ana");
    const run = async (sqlText: string, bindings: unknown) => {
      const r = await fetch(`${endpoint.url}/queries/v1/query-request`, {
        method: "POST", headers: { "content-type": "application/json", authorization: `Snowflake Token="${anaToken}"` },
        body: JSON.stringify({ sqlText, bindings }),
      });
      return (await r.json()) as { success: boolean; message: string | null; data: { rowset?: unknown[][] } | null };
    };
    const refused = [
      ["SELECT ?", { 1: { type: "FIXED", value: "1; DROP TABLE x" } }, /not a FIXED number/],
      ["SELECT ?", { 1: { type: "REAL", value: "1e5 OR 1=1" } }, /not a REAL number/],
      ["SELECT ?", { 1: { type: "BOOLEAN", value: "yes" } }, /not a BOOLEAN/],
      ["SELECT ?", { 1: { type: "SQL", value: "1" } }, /not a bind type/],
      ["SELECT ?", { 1: { type: "TEXT", value: ["a", "b"] } }, /array binds/],
      ["SELECT ?, ?", { 1: { type: "TEXT", value: "a" } }, /Bind variable 2 not set/],
      ["SELECT 1", { 1: { type: "TEXT", value: "a" } }, /no placeholder/],
      ["SELECT ?", { 1: { type: "TEXT", value: 5 } }, /must be text/],
    ] as const;
    for (const [sqlText, bindings, message] of refused) {
      const r = await run(sqlText, bindings);
      assert.equal(r.success, false, `${sqlText} ${JSON.stringify(bindings)} is refused`);
      assert.match(r.message ?? "", message);
    }
    const ok = await run("SELECT :2 AS b, :1 AS a, '?' AS q -- ?\n", { 1: { type: "TEXT", value: "x" }, 2: { type: "FIXED", value: "-7" } });
    assert.equal(ok.success, true, ok.message ?? "");
    assert.deepEqual(ok.data!.rowset, [["-7", "x", "?"]], ":N binds by number; a ? in a string or comment is not a placeholder");
  });
});
