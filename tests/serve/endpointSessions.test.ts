/**
 * The SQL endpoint's sessions are a shared, bounded pool (256). A tenant's user that logs in and
 * never logs out (a tool that crashes, a loop, on purpose) kept every session it opened for as
 * long as serve ran: sessions never expired, and nothing stopped one user from taking all 256,
 * after which nobody could log in, the hub's own scripts (sql.ts, cost-report, retrain) included.
 * Now a session left idle past Snowflake's four hours is ended (a session without keep-alive
 * expires after 4 hours of inactivity), and one user holds at most a quarter of the pool.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { SnowflakeEndpoint, hashPassword, MAX_SESSIONS, MAX_SESSIONS_PER_USER, SESSION_IDLE_MS } from "../../pipelines/serve/snowflakeEndpoint.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import { testEngine } from "../helpers/engine.ts";

const PASSWORD = "correct horse";

describe("the SQL endpoint's session pool", () => {
  let engine: EmbeddedEngine;
  let endpoint: SnowflakeEndpoint;
  let now = Date.parse("2026-01-05T08:00:00Z");

  before(async () => {
    ({ engine } = await testEngine());
    await engine.grantTenantRole("acme");
    await engine.grantTenantRole("globex");
    const hash = hashPassword(PASSWORD);
    endpoint = await SnowflakeEndpoint.start({
      engine, now: () => now,
      users: [
        { name: "hog", passwordHash: hash, roles: ["TENANT_ACME_ROLE"], defaultRole: "TENANT_ACME_ROLE" },
        { name: "gina", passwordHash: hash, roles: ["TENANT_GLOBEX_ROLE"], defaultRole: "TENANT_GLOBEX_ROLE" },
      ],
    });
  });
  after(async () => {
    await endpoint.close();
    await engine.close();
  });

  const login = async (user: string) => {
    const r = await fetch(`${endpoint.url}/session/v1/login-request`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ data: { ACCOUNT_NAME: "HUB", LOGIN_NAME: user, PASSWORD } }),
    });
    return (await r.json()) as { success: boolean; code: string | null; message: string | null; data: { token: string } | null };
  };
  const query = async (token: string) => {
    const r = await fetch(`${endpoint.url}/queries/v1/query-request`, {
      method: "POST", headers: { "content-type": "application/json", authorization: `Snowflake Token="${token}"` }, body: JSON.stringify({ sqlText: "SELECT 1 AS x" }),
    });
    return { status: r.status, body: (await r.json()) as { success: boolean; code: string | null } };
  };

  it("one user cannot take the pool: past its share it is refused by name, and another tenant's user still logs in", async () => {
    assert.ok(MAX_SESSIONS_PER_USER < MAX_SESSIONS);
    const tokens: string[] = [];
    for (let i = 0; i < MAX_SESSIONS_PER_USER; i++) {
      const r = await login("hog");
      assert.equal(r.success, true, `login ${i + 1}: ${r.message}`);
      tokens.push(r.data!.token);
    }
    const over = await login("hog");
    assert.equal(over.success, false);
    assert.equal(over.code, "390102");
    assert.match(over.message ?? "", new RegExp(`HOG holds ${MAX_SESSIONS_PER_USER} sessions`));
    assert.equal((await login("gina")).success, true, "another user is not locked out");
    // The sessions it holds still work.
    assert.equal((await query(tokens[0]!)).body.success, true);
  });

  it("a session idle past four hours is ended, and frees its place; one in use is kept", async () => {
    assert.equal(SESSION_IDLE_MS, 4 * 3_600_000);
    const before = endpoint.sessionCount;
    const busy = (await login("gina")).data!.token;
    now += SESSION_IDLE_MS - 60_000;
    assert.equal((await query(busy)).body.success, true, "used a minute before its idle limit");
    now += 120_000;
    // The hog's sessions have now been idle past the limit: the next login ends them.
    const fresh = await login("hog");
    assert.equal(fresh.success, true, fresh.message ?? "");
    assert.ok(endpoint.sessionCount <= 3, `${endpoint.sessionCount} sessions left of ${before + 2}`);
    assert.equal((await query(busy)).body.success, true, "the session in use is kept");
    now += SESSION_IDLE_MS + 1;
    const gone = await query(fresh.data!.token);
    assert.equal(gone.status, 401);
    assert.equal(gone.body.code, "390104", "an expired session must log in again");
  });
});
