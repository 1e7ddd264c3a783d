/**
 * Guessing a person's password. The portal refuses a name after 5 failures in 15 minutes
 * (signInLimiter.ts), but the same users' passwords open the SQL endpoint's login and Basic auth on
 * serve's HTTP APIs (upload, notes, model invocations, admin, /metrics), which counted nothing: a
 * guesser refused by the portal went on there without limit, each guess costing the hub an scrypt
 * hash. Now one limiter counts every door (serve wires the same instance into all three), and a
 * name or address over its failures is refused before its password is checked, even the right one.
 * Key-pair (JWT) logins are not counted: a key cannot be guessed.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { SnowflakeEndpoint, hashPassword } from "../../pipelines/serve/snowflakeEndpoint.ts";
import { authenticateRequest } from "../../pipelines/serve/httpAuth.ts";
import { SignInLimiter } from "../../pipelines/portal/signInLimiter.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import type { EndpointUser } from "../../pipelines/serve/snowflakeEndpoint.ts";
import { testEngine } from "../helpers/engine.ts";

const PASSWORD = "correct horse";

describe("password guesses across the hub's doors", () => {
  let engine: EmbeddedEngine;
  let endpoint: SnowflakeEndpoint;
  let api: http.Server;
  let apiUrl: string;
  let limiter: SignInLimiter;
  let users: EndpointUser[];

  before(async () => {
    ({ engine } = await testEngine());
    await engine.grantTenantRole("acme");
    const hash = hashPassword(PASSWORD);
    users = ["ana", "bo", "cy"].map((name) => ({ name, passwordHash: hash, roles: ["TENANT_ACME_ROLE"], defaultRole: "TENANT_ACME_ROLE" }));
    limiter = new SignInLimiter({ perUser: 3, perAddress: 8 });
    endpoint = await SnowflakeEndpoint.start({ engine, users, signInLimiter: limiter });
    // Basic auth as serve's HTTP APIs do it: 401 or 429.
    api = http.createServer((req, res) => {
      const c = authenticateRequest(req, users, "HUB", limiter);
      if ("refused" in c) res.writeHead(c.status, c.retryAfterS ? { "retry-after": String(c.retryAfterS) } : {}).end(c.refused);
      else res.writeHead(200).end(c.user.name);
    });
    await new Promise<void>((r) => api.listen(0, "127.0.0.1", r));
    apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((r) => api.close(r));
    await endpoint.close();
    await engine.close();
  });

  const sqlLogin = async (user: string, password: string) => {
    const r = await fetch(`${endpoint.url}/session/v1/login-request`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ data: { ACCOUNT_NAME: "HUB", LOGIN_NAME: user, PASSWORD: password } }),
    });
    const b = (await r.json()) as { success: boolean; code: string | null; message: string | null; data: { token?: string } | null };
    if (b.success) {
      await fetch(`${endpoint.url}/session?delete=true`, { method: "POST", headers: { authorization: `Snowflake Token="${b.data!.token}"` } });
    }
    return b;
  };
  const basic = async (user: string, password: string) => {
    const r = await fetch(apiUrl, { headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` } });
    return { status: r.status, retryAfter: r.headers.get("retry-after"), text: await r.text() };
  };

  it("failures at the SQL login and at Basic auth count together; past the limit the right password is refused at both", async () => {
    assert.equal((await sqlLogin("ana", "guess-1")).code, "390100");
    assert.equal((await basic("ana", "guess-2")).status, 401);
    assert.equal((await sqlLogin("ANA", "guess-3")).code, "390100", "the name in any case is the same name");
    const locked = await sqlLogin("ana", PASSWORD);
    assert.equal(locked.success, false, "the right password, after 3 failures");
    assert.equal(locked.code, "390100");
    assert.match(locked.message ?? "", /Too many failed logins for this user or from this address: try again in \d+ s/);
    const b = await basic("ana", PASSWORD);
    assert.equal(b.status, 429);
    assert.ok(Number(b.retryAfter) > 0, "Retry-After");
    // Another user is not locked by ana's failures.
    assert.equal((await sqlLogin("bo", PASSWORD)).success, true);
    assert.equal((await basic("bo", PASSWORD)).status, 200);
  });

  it("an address guessing many names is refused once over its limit, unknown names counted like known ones", async () => {
    for (const name of ["nobody1", "nobody2", "cy", "nobody3"]) {
      assert.equal((await basic(name, "x")).status, 401, name);
    }
    // ana's 3 and these 4 failures from this address make 7 of 8: one more, then the address is refused.
    assert.equal((await sqlLogin("nobody4", "x")).code, "390100");
    assert.equal((await basic("cy", PASSWORD)).status, 429, "the address is over its limit, whatever the name");
    assert.match((await sqlLogin("cy", PASSWORD)).message ?? "", /Too many failed logins/);
  });
});
