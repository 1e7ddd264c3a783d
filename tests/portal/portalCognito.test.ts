/**
 * The portal signed in by the load balancer (production): the person and tenant come from the
 * ALB's signed claims on every request, checked with a real signature (tests/helpers/albClaims.ts);
 * the claim's tenant maps to that tenant's role, a tenant the hub does not serve is refused, the
 * cookie never outlives a change of person, and password sign-in is off.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AlbIdentity } from "../../pipelines/portal/albIdentity.ts";
import { PortalBundle } from "../../pipelines/portal/portalBundle.ts";
import { TENANT_CLAIM } from "../../pipelines/portal/tenantClaim.ts";
import { ALB, CLIENT, POOL, startAlbKeys, type AlbKeys, type Forge } from "../helpers/albClaims.ts";
import { PASSWORDS, startPortal, type PortalFixture } from "./portalFixture.ts";

function tinyBundle(): PortalBundle {
  const dir = mkdtempSync(join(tmpdir(), "portal-bundle-"));
  mkdirSync(join(dir, "assets"));
  writeFileSync(join(dir, "index.html"), "<!doctype html><title>portal</title>");
  return PortalBundle.load(dir);
}

const SIGN_OUT = { cognitoDomain: "hub-portal.auth.eu-west-1.amazoncognito.com", clientId: CLIENT, logoutUri: "https://portal.example.com/portal/" };

let alb: AlbKeys;
let f: PortalFixture;
before(async () => {
  alb = await startAlbKeys();
  f = await startPortal({
    bundle: tinyBundle(),
    secureCookies: true,
    identity: new AlbIdentity({ albArn: ALB, userPoolId: POOL, clientId: CLIENT, keyBaseUrl: alb.keyBaseUrl, now: () => f.wallClock.now }),
    signOut: SIGN_OUT,
  });
});
after(async () => {
  await f?.close();
  await alb?.close();
});

const claims = (x: Forge = {}) => alb.sign(Math.floor(f.wallClock.now / 1000), x);
const asGina: Forge = { claims: { sub: "77-gina", username: "gina", [TENANT_CLAIM]: "globex" } };

function get(path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${f.url}${path}`, { headers, redirect: "manual" });
}

describe("sign-in by the load balancer (Cognito)", () => {
  test("the claims' tenant is the session's: acme's person reads acme's overview as acme's role, and gets a Secure session cookie", async () => {
    const r = await get("/api/portal/session", { "x-amzn-oidc-data": claims() });
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json().then((b) => ({ user: (b as { user: string }).user, tenant: (b as { tenant: string }).tenant })), { user: "alice", tenant: "acme" });
    assert.match(r.headers.get("set-cookie") ?? "", /^hub_portal=[0-9a-f]{64}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/);
    const cookie = r.headers.get("set-cookie")!.split(";")[0]!;
    const o = await get("/api/portal/tenants/acme/overview", { "x-amzn-oidc-data": claims(), cookie });
    assert.equal(o.status, 200);
    const plants = ((await o.json()) as { data: { plants: { site_id: string }[] } }).data.plants.map((p) => p.site_id);
    assert.deepEqual(plants, ["s1"], "only acme's plant");
    assert.equal(o.headers.get("set-cookie"), null, "the same person keeps the session");
  });

  test("another tenant's data is 403 for a signed-in person, on pages and the API", async () => {
    const h = { "x-amzn-oidc-data": claims(asGina) };
    assert.equal((await get("/api/portal/tenants/acme/overview", h)).status, 403);
    assert.equal((await get("/portal/t/acme/", h)).status, 403);
    assert.equal((await get("/api/portal/tenants/globex/overview", h)).status, 200);
  });

  test("no claims, forged claims, or a tenant the hub does not serve: 401 and the sign-in page, and a cookie alone is not enough", async () => {
    const signedIn = await get("/api/portal/session", { "x-amzn-oidc-data": claims() });
    const cookie = signedIn.headers.get("set-cookie")!.split(";")[0]!;
    const [, , sig] = claims().split(".");
    const [h, p] = claims({ claims: { [TENANT_CLAIM]: "globex" } }).split(".");
    const cases: Record<string, string>[] = [
      {},
      { cookie },
      { "x-amzn-oidc-data": `${h}.${p}.${sig}`, cookie },
      { "x-amzn-oidc-data": claims({ claims: { [TENANT_CLAIM]: "initech" } }) },
      { "x-amzn-oidc-data": claims({ claims: { [TENANT_CLAIM]: undefined } }) },
      { "x-amzn-oidc-data": claims({ claims: { [TENANT_CLAIM]: "acme' OR '1'='1" } }) },
    ];
    for (const headers of cases) {
      assert.equal((await get("/api/portal/tenants/acme/overview", headers)).status, 401, JSON.stringify(Object.keys(headers)));
    }
    const page = await get("/portal/t/acme/");
    assert.equal(page.status, 303);
    assert.ok(f.logs.some((l) => l.includes("tenant claim names no tenant this hub serves") && l.includes("initech")));
    assert.ok(!f.logs.some((l) => l.includes(sig!)), "the log never holds a header");
  });

  test("a cookie of one person is never reused for another: the claims decide, and the old session ends", async () => {
    const a = await get("/api/portal/session", { "x-amzn-oidc-data": claims() });
    const cookie = a.headers.get("set-cookie")!.split(";")[0]!;
    const g = await get("/api/portal/session", { "x-amzn-oidc-data": claims(asGina), cookie });
    assert.equal(g.status, 200);
    assert.equal(((await g.json()) as { tenant: string }).tenant, "globex");
    assert.notEqual(g.headers.get("set-cookie")?.split(";")[0], cookie, "a new session for the new person");
    const again = await get("/api/portal/session", { "x-amzn-oidc-data": claims(), cookie });
    assert.notEqual(again.headers.get("set-cookie"), null, "alice's old session ended when gina's claims came with it");
  });

  test("password sign-in is off", async () => {
    const r = await fetch(`${f.url}/api/portal/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user: "alice", password: PASSWORDS.ALICE }) });
    assert.equal(r.status, 403);
    assert.match(((await r.json()) as { error: string }).error, /Cognito/);
  });

  test("acknowledging an alert records the claims' user, with the session's CSRF token", async () => {
    const s = await get("/api/portal/session", { "x-amzn-oidc-data": claims() });
    const cookie = s.headers.get("set-cookie")!.split(";")[0]!;
    const { csrf } = (await s.json()) as { csrf: string };
    const body = JSON.stringify({ device_id: "m1", rule_id: "MACHINE_DOWN", window_start: "2026-01-05T08:00:00.000Z" });
    const post = (extra: Record<string, string>) =>
      fetch(`${f.url}/api/portal/tenants/acme/alerts/ack`, { method: "POST", headers: { "content-type": "application/json", "x-amzn-oidc-data": claims(), cookie, ...extra }, body });
    assert.equal((await post({})).status, 403, "no CSRF token");
    const r = await post({ "x-csrf-token": csrf });
    assert.equal(r.status, 200);
    assert.equal(((await r.json()) as { acknowledged: { acknowledged_by: string } }).acknowledged.acknowledged_by, "alice");
  });
});

describe("sign-out behind the load balancer", () => {
  test("ends the portal's session, expires every ALB session cookie shard the browser sent, and names Cognito's logout URL", async () => {
    const h = { "x-amzn-oidc-data": claims() };
    const signedIn = await get("/api/portal/session", h);
    const cookie = signedIn.headers.get("set-cookie")!.split(";")[0]!;
    const { csrf } = (await signedIn.json()) as { csrf: string };
    const r = await fetch(`${f.url}/api/portal/logout`, {
      method: "POST",
      headers: { ...h, cookie: `${cookie}; AWSELBAuthSessionCookie-0=aaa; AWSELBAuthSessionCookie-1=bbb; AWSELBAuthSessionCookie-2=ccc; other=1`, "x-csrf-token": csrf, "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(r.status, 200);
    const url = new URL(((await r.json()) as { signOutUrl: string }).signOutUrl);
    assert.equal(`${url.origin}${url.pathname}`, "https://hub-portal.auth.eu-west-1.amazoncognito.com/logout");
    assert.deepEqual(Object.fromEntries(url.searchParams), { client_id: CLIENT, logout_uri: "https://portal.example.com/portal/" });
    const set = r.headers.getSetCookie();
    assert.match(set[0]!, /^hub_portal=; .*Max-Age=0/, "the portal's own cookie is cleared");
    for (const n of [0, 1, 2]) {
      const c = set.find((x) => x.startsWith(`AWSELBAuthSessionCookie-${n}=;`));
      assert.ok(c, `shard ${n} is expired`);
      assert.match(c, /Path=\/; Max-Age=-1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Secure; HttpOnly$/);
    }
    assert.ok(!set.some((x) => x.startsWith("other=")), "no other cookie is touched");
    // The portal's session is over: the old cookie is not reused for the same claims.
    const again = await get("/api/portal/session", { ...h, cookie });
    const fresh = again.headers.get("set-cookie")?.split(";")[0];
    assert.ok(fresh && fresh !== cookie, "a new session, not the ended one");
  });

  test("a sign-out without the session's CSRF token changes nothing and names no logout URL", async () => {
    const h = { "x-amzn-oidc-data": claims() };
    const cookie = (await get("/api/portal/session", h)).headers.get("set-cookie")!.split(";")[0]!;
    const r = await fetch(`${f.url}/api/portal/logout`, { method: "POST", headers: { ...h, cookie, "content-type": "application/json" }, body: "{}" });
    assert.equal(r.status, 403);
    assert.deepEqual(r.headers.getSetCookie().filter((c) => c.startsWith("AWSELBAuthSessionCookie")), []);
  });
});
