/**
 * The front end's check for a lost sign-in (portal/src/signInLost.ts): which answers to a data call
 * mean "sign in again", against a real redirect on 127.0.0.1 as the ALB gives it, and the guard that
 * keeps a refused person from reloading in a loop.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { MIN_RELOAD_GAP_MS, RELOAD_KEY, reloadToSignIn, signInLost } from "../../portal/src/signInLost.ts";

let server: http.Server;
let url = "";
before(async () => {
  // What the ALB answers once its session has ended: 302 to Cognito's authorize endpoint, elsewhere.
  server = http.createServer((req, res) => {
    if (req.url === "/api/portal/tenants/acme/overview") res.writeHead(302, { location: "https://hub-portal.auth.eu-west-1.amazoncognito.com/oauth2/authorize?client_id=x" }).end();
    else if (req.url === "/api/portal/session") res.writeHead(401, { "content-type": "application/json" }).end('{"error":"sign in first"}');
    else res.writeHead(Number(req.url!.slice(1)), { "content-type": "application/json" }).end("{}");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise((r) => server.close(r)));

describe("which answers mean the sign-in is gone", () => {
  it("the ALB's redirect to Cognito, seen and not followed (redirect: manual)", async () => {
    const r = await fetch(`${url}/api/portal/tenants/acme/overview`, { redirect: "manual" });
    assert.equal(r.status, 302, "Node's fetch shows the 3xx itself");
    assert.equal(signInLost(r), true);
    // A browser hands a page the same answer filtered: type opaqueredirect, status 0 (Fetch standard).
    assert.equal(signInLost({ type: "opaqueredirect", status: 0 }), true);
  });

  it("the portal's own 401", async () => {
    assert.equal(signInLost(await fetch(`${url}/api/portal/session`, { redirect: "manual" })), true);
  });

  it("not a refusal, a missing page, a server error or a network failure (those are the page's errors to show)", async () => {
    for (const status of [200, 204, 400, 403, 404, 429, 500, 503]) assert.equal(signInLost(await fetch(`${url}/${status}`, { redirect: "manual" })), false, String(status));
    assert.equal(signInLost({ type: "error", status: 0 }), false);
  });
});

describe("reloading to sign in again", () => {
  const store = () => {
    const m = new Map<string, string>();
    return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), m };
  };

  it("reloads once, then not again within a minute (the portal may refuse the claims for good), then again after", () => {
    const storage = store();
    let reloads = 0;
    const at = (now: number) => reloadToSignIn({ storage, now, reload: () => reloads++ });
    assert.equal(at(1_000_000), true);
    assert.equal(at(1_000_000 + MIN_RELOAD_GAP_MS - 1), false);
    assert.equal(reloads, 1);
    assert.equal(at(1_000_000 + MIN_RELOAD_GAP_MS), true);
    assert.equal(reloads, 2);
  });

  it("a stored time that is not a time, or in the future (a clock set back), does not block the reload", () => {
    for (const v of ["not a number", String(5_000_000)]) {
      const storage = store();
      storage.m.set(RELOAD_KEY, v);
      let reloaded = false;
      assert.equal(reloadToSignIn({ storage, now: 1_000_000, reload: () => (reloaded = true) }), true, v);
      assert.ok(reloaded);
    }
  });
});
