/**
 * The portal over HTTP, as a hostile client meets it: no cookie, a forged or expired one, another
 * tenant's URLs and ids on every route, writes without the CSRF token or from another origin,
 * SQL-ish text in every parameter, oversized and mistyped bodies. And what its users rely on: each
 * tenant sees its own plants, an acknowledgement is recorded with who and when, the live stream
 * pushes when the pipeline commits.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import http from "node:http";
import { PortalBundle } from "../../pipelines/portal/portalBundle.ts";
import { MAX_BODY_BYTES, PortalServer } from "../../pipelines/portal/portalServer.ts";
import { adminQuery, reading } from "../helpers/engine.ts";
import { PASSWORDS, startPortal, type PortalFixture } from "./portalFixture.ts";

/** A bundle of two files, so these tests need no build. */
function tinyBundle(): PortalBundle {
  const dir = mkdtempSync(join(tmpdir(), "portal-bundle-"));
  mkdirSync(join(dir, "assets"));
  writeFileSync(join(dir, "index.html"), "<!doctype html><title>portal</title>");
  writeFileSync(join(dir, "assets", "app-1.js"), "console.log(1)");
  return PortalBundle.load(dir);
}

const REGISTRY_FAILURE = "ENOENT: no such file or directory, open '/srv/hub/models/globex/registry.json' (arn:aws:sagemaker:eu-west-1:123456789012:model-package-group/hub-globex-forecast)";

let f: PortalFixture;
before(async () => {
  // globex's registry fails, with the kind of cause a registry gives: a server path, an AWS account and ARN.
  f = await startPortal({ bundle: tinyBundle(), models: async (t) => (t === "globex" ? Promise.reject(new Error(REGISTRY_FAILURE)) : { versions: [] }) });
});
after(async () => {
  await f.close();
});

interface Signed {
  readonly cookie: string;
  readonly csrf: string;
}

async function signIn(user: keyof typeof PASSWORDS): Promise<Signed> {
  const r = await fetch(`${f.url}/api/portal/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user: user.toLowerCase(), password: PASSWORDS[user] }) });
  assert.equal(r.status, 200, `sign-in of ${user}`);
  const setCookie = r.headers.get("set-cookie")!;
  return { cookie: setCookie.split(";")[0]!, csrf: ((await r.json()) as { csrf: string }).csrf };
}

function get(path: string, s?: Signed): Promise<Response> {
  return fetch(`${f.url}${path}`, { headers: s ? { cookie: s.cookie } : {}, redirect: "manual" });
}

function post(path: string, body: unknown, s?: Signed, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${f.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(s ? { cookie: s.cookie, "x-csrf-token": s.csrf } : {}), ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

const READ_ROUTES = ["overview", "air", "flow", "alerts", "cost", "models", "machines/m1"];
const ACME_ALERT = { device_id: "m1", rule_id: "MACHINE_DOWN", window_start: "2026-01-05T08:00:00.000Z" };
const GLOBEX_ALERT = { device_id: "g-aq1", rule_id: "PM25_UNHEALTHY", window_start: "2026-01-05T08:00:00.000Z" };

describe("sign-in", () => {
  test("a tenant's person signs in with the users file's password: an HttpOnly, SameSite=Strict session cookie and a CSRF token", async () => {
    const r = await post("/api/portal/login", { user: "alice", password: PASSWORDS.ALICE });
    assert.equal(r.status, 200);
    const cookie = r.headers.get("set-cookie")!;
    assert.match(cookie, /^hub_portal=[0-9a-f]{64}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    const body = (await r.json()) as { user: string; tenant: string; csrf: string };
    assert.deepEqual({ user: body.user, tenant: body.tenant }, { user: "ALICE", tenant: "acme" });
    assert.match(body.csrf, /^[0-9a-f]{64}$/);
    assert.ok(!cookie.includes(body.csrf), "the CSRF token is not the cookie");
  });

  test("a wrong password, an unknown user and an operator without a tenant role get one and the same refusal", async () => {
    const answers = await Promise.all([
      post("/api/portal/login", { user: "alice", password: "wrong" }),
      post("/api/portal/login", { user: "nobody", password: PASSWORDS.ALICE }),
      post("/api/portal/login", { user: "ops", password: PASSWORDS.OPS }),
      post("/api/portal/login", { user: "alice" }),
    ]);
    for (const r of answers) {
      assert.equal(r.status, 401);
      assert.equal(r.headers.get("set-cookie"), null);
      assert.deepEqual(await r.json(), { error: "incorrect user name or password" });
    }
  });

  test("no log line carries a password, a session token or a CSRF token", async () => {
    const s = await signIn("ALICE");
    await post("/api/portal/login", { user: "alice", password: "a-wrong-secret-password" });
    const all = f.logs.join("\n");
    for (const secret of [PASSWORDS.ALICE, "a-wrong-secret-password", s.cookie.split("=")[1]!, s.csrf]) assert.ok(!all.includes(secret), "a secret reached the log");
  });

  test("sign-in takes JSON only, and at most the body limit", async () => {
    const form = await post("/api/portal/login", `user=alice&password=${PASSWORDS.ALICE}`, undefined, { "content-type": "application/x-www-form-urlencoded" });
    assert.equal(form.status, 415);
    const big = await post("/api/portal/login", { user: "alice", password: "x".repeat(MAX_BODY_BYTES) });
    assert.equal(big.status, 413);
    const notJson = await post("/api/portal/login", "{user:", undefined);
    assert.equal(notJson.status, 400);
    const array = await post("/api/portal/login", [1, 2]);
    assert.equal(array.status, 400);
    const get = await fetch(`${f.url}/api/portal/login`);
    assert.equal(get.status, 405);
  });

  test("sign-out ends the session: the same cookie is refused afterwards", async () => {
    const s = await signIn("ALICE");
    assert.equal((await get("/api/portal/tenants/acme/overview", s)).status, 200);
    const r = await post("/api/portal/logout", {}, s);
    assert.equal(r.status, 204);
    assert.match(r.headers.get("set-cookie")!, /^hub_portal=; .*Max-Age=0/);
    assert.equal((await get("/api/portal/tenants/acme/overview", s)).status, 401);
  });
});

describe("sessions a client cannot make up", () => {
  test("without a cookie every API route is 401 and a tenant page sends the browser to sign in", async () => {
    for (const r of READ_ROUTES) assert.equal((await get(`/api/portal/tenants/acme/${r}`)).status, 401, r);
    assert.equal((await get("/api/portal/session")).status, 401);
    assert.equal((await get("/api/portal/events")).status, 401);
    assert.equal((await post("/api/portal/tenants/acme/alerts/ack", ACME_ALERT)).status, 401);
    const page = await get("/portal/t/acme/alerts");
    assert.equal(page.status, 303);
    assert.equal(page.headers.get("location"), "/portal/login?next=%2Fportal%2Ft%2Facme%2Falerts");
  });

  test("a forged, malformed or foreign cookie is no session", async () => {
    const forged = [`hub_portal=${"a".repeat(64)}`, "hub_portal=../../etc/passwd", "hub_portal=", `hub_portal=${"A".repeat(64)}`, "other=1"];
    for (const cookie of forged) {
      const r = await fetch(`${f.url}/api/portal/tenants/acme/overview`, { headers: { cookie } });
      assert.equal(r.status, 401, cookie);
    }
  });

  test("a session unused for longer than the idle limit has expired", async () => {
    const s = await signIn("ALICE");
    assert.equal((await get("/api/portal/session", s)).status, 200);
    f.wallClock.now += 31 * 60_000;
    try {
      assert.equal((await get("/api/portal/session", s)).status, 401);
    } finally {
      f.wallClock.now = Date.now();
    }
  });

  test("a user removed from the users file is signed out at the next request", async () => {
    const s = await signIn("GINA");
    assert.equal((await get("/api/portal/tenants/globex/overview", s)).status, 200);
    const before = f.users;
    f.users = before.filter((u) => u.name !== "GINA");
    try {
      assert.equal((await get("/api/portal/tenants/globex/overview", s)).status, 401);
    } finally {
      f.users = before;
    }
  });
});

describe("tenancy", () => {
  test("each tenant's overview holds only its own plants", async () => {
    const acme = (await (await get("/api/portal/tenants/acme/overview", await signIn("ALICE"))).json()) as { data: { plants: Array<{ site_id: string }>; machines: Array<{ machine_id: string }> } };
    const globex = (await (await get("/api/portal/tenants/globex/overview", await signIn("GINA"))).json()) as typeof acme;
    assert.deepEqual(acme.data.plants.map((p) => p.site_id), ["s1"]);
    assert.deepEqual(acme.data.machines.map((m) => m.machine_id), ["m1"]);
    assert.deepEqual(globex.data.plants.map((p) => p.site_id), ["g1"]);
    assert.deepEqual(globex.data.machines.map((m) => m.machine_id), ["g-m1"]);
  });

  test("the cost page holds the tenant's own warehouses against their quota in money, from OPS.TENANT_COSTS, and none of another tenant's", async () => {
    type CostBody = { cost: { currency: string; warehouses: Array<{ warehouse: string; quotaMoney: number | null; triggers: Array<{ percent: number }> }> } | null };
    const acme = (await (await get("/api/portal/tenants/acme/cost", await signIn("ALICE"))).json()) as CostBody;
    assert.equal(acme.cost?.currency, "EUR");
    assert.deepEqual(acme.cost?.warehouses.map((w) => [w.warehouse, w.quotaMoney, w.triggers.map((t) => t.percent)]), [["TENANT_ACME_ANALYTICS_WH", 30, [75, 90, 100, 110]]]);
    // The snapshot holds acme's rows only (globex was charged nothing in the fixture), and globex's role sees none of them.
    const rows = await adminQuery<{ tenant_id: string }>(f.engine, "SELECT DISTINCT tenant_id FROM OPS.TENANT_COSTS");
    assert.deepEqual(rows.map((r) => r.tenant_id), ["acme"]);
    const globex = (await (await get("/api/portal/tenants/globex/cost", await signIn("GINA"))).json()) as CostBody;
    assert.equal(globex.cost, null);
  });

  test("every portal read runs as the tenant's role on the tenant's own warehouse, never as an admin", async () => {
    const s = await signIn("ALICE");
    for (const r of ["overview", "air", "flow", "alerts", "machines/m1"]) assert.equal((await get(`/api/portal/tenants/acme/${r}`, s)).status, 200, r);
    // The engine writes its query history when it settles, at the end of a tick.
    await f.engine.tick();
    const rows = await adminQuery<{ role_name: string; warehouse_name: string; n: number }>(
      f.engine, `SELECT role_name, warehouse_name, COUNT(*) AS n FROM HUB_LOCAL.QUERY_HISTORY WHERE query_tag LIKE '%"job":"portal"%' GROUP BY ALL`,
    );
    assert.deepEqual(rows.map((r) => [r.role_name, r.warehouse_name]), [["TENANT_ACME_ROLE", "TENANT_ACME_ANALYTICS_WH"]]);
    assert.ok(Number(rows[0]!.n) >= 5);
  });

  test("another tenant's URL is 403 on every API route and on its pages, and an unknown tenant likewise", async () => {
    const s = await signIn("ALICE");
    for (const tenant of ["globex", "GLOBEX", "acme%2F..%2Fglobex", "nobody"]) {
      for (const r of READ_ROUTES) assert.equal((await get(`/api/portal/tenants/${tenant}/${r}`, s)).status, 403, `${tenant} ${r}`);
      assert.equal((await post(`/api/portal/tenants/${tenant}/alerts/ack`, GLOBEX_ALERT, s)).status, 403, `${tenant} ack`);
    }
    const page = await get("/portal/t/globex/", s);
    assert.equal(page.status, 403);
    assert.match(await page.text(), /not yours to see/);
    assert.equal((await get("/portal/t/acme/", s)).status, 200);
  });

  test("a source that fails tells the tenant's person it is unavailable, and the hub's log why: no server path, account or ARN on the page", async () => {
    const gina = await signIn("GINA");
    const r = await get("/api/portal/tenants/globex/models", gina);
    assert.equal(r.status, 200);
    const body = (await r.json()) as { models: { error: string } };
    assert.match(body.models.error, /could not read the model registry/);
    for (const detail of ["/srv/hub", "registry.json", "arn:aws", "123456789012", "ENOENT"]) assert.ok(!JSON.stringify(body).includes(detail), `${detail} reached the page`);
    assert.ok(f.logs.some((l) => l.startsWith("error portal models source failed") && l.includes('"tenant":"globex"') && l.includes("123456789012")), "the cause is in the hub's log");
  });

  test("another tenant's ids under one's own tenant are not found: its machine, its alert", async () => {
    const s = await signIn("ALICE");
    assert.equal((await get("/api/portal/tenants/acme/machines/g-m1", s)).status, 404);
    const ack = await post("/api/portal/tenants/acme/alerts/ack", GLOBEX_ALERT, s);
    assert.equal(ack.status, 404);
    const rows = await adminQuery(f.engine, "SELECT * FROM OPS.ALERT_ACKNOWLEDGEMENTS WHERE device_id = 'g-aq1'");
    assert.equal(rows.length, 0, "nothing was written for globex's alert");
  });

  test("a machine's page holds its state timeline and hours, and a machine id with LIKE wildcards matches nothing", async () => {
    const s = await signIn("ALICE");
    const r = (await (await get("/api/portal/tenants/acme/machines/m1", s)).json()) as { data: { states: Array<{ state: string }>; hourly: unknown[] } };
    assert.deepEqual(r.data.states.map((x) => x.state), ["RUNNING", "RUNNING", "SETUP", "IDLE", "RUNNING", "DOWN"]);
    assert.equal(r.data.hourly.length, 1);
    assert.equal((await get("/api/portal/tenants/acme/machines/m_", s)).status, 404);
  });
});

describe("writes", () => {
  test("acknowledging an alert records the user, the time and the tenant from the session, and shows it on the alerts page", async () => {
    const s = await signIn("ALICE");
    const r = await post("/api/portal/tenants/acme/alerts/ack", { ...ACME_ALERT, note: "maintenance called", tenant_id: "globex", acknowledged_by: "MALLORY" }, s);
    assert.equal(r.status, 200);
    const rows = await adminQuery<{ tenant_id: string; acknowledged_by: string; acknowledged_at: Date; note: string }>(
      f.engine, "SELECT tenant_id, acknowledged_by, acknowledged_at, note FROM OPS.ALERT_ACKNOWLEDGEMENTS WHERE device_id = 'm1'",
    );
    assert.equal(rows.length, 1);
    assert.deepEqual({ ...rows[0]!, acknowledged_at: rows[0]!.acknowledged_at.toISOString() }, {
      tenant_id: "acme", acknowledged_by: "ALICE", acknowledged_at: f.clock.now().toISOString(), note: "maintenance called",
    });
    const alerts = (await (await get("/api/portal/tenants/acme/alerts", s)).json()) as { data: { alerts: Array<{ device_id: string; acknowledged_by: string | null }> } };
    assert.equal(alerts.data.alerts.find((a) => a.device_id === "m1")?.acknowledged_by, "ALICE");
    const globex = (await (await get("/api/portal/tenants/globex/alerts", await signIn("GINA"))).json()) as typeof alerts;
    assert.ok(globex.data.alerts.every((a) => a.acknowledged_by === null), "globex sees none of acme's acknowledgements");
  });

  test("a write without the CSRF token, with another session's token, or from another origin is refused and writes nothing", async () => {
    const s = await signIn("ALICE");
    const other = await signIn("ALICE");
    const before = (await adminQuery(f.engine, "SELECT COUNT(*) AS n FROM OPS.ALERT_ACKNOWLEDGEMENTS"))[0]!.n;
    const noToken = await fetch(`${f.url}/api/portal/tenants/acme/alerts/ack`, { method: "POST", headers: { "content-type": "application/json", cookie: s.cookie }, body: JSON.stringify(ACME_ALERT) });
    assert.equal(noToken.status, 403);
    assert.match(((await noToken.json()) as { error: string }).error, /x-csrf-token/);
    assert.equal((await post("/api/portal/tenants/acme/alerts/ack", ACME_ALERT, { cookie: s.cookie, csrf: other.csrf })).status, 403);
    assert.equal((await post("/api/portal/tenants/acme/alerts/ack", ACME_ALERT, s, { origin: "https://evil.example" })).status, 403);
    assert.equal((await post("/api/portal/tenants/acme/alerts/ack", ACME_ALERT, s, { origin: "null" })).status, 403);
    assert.equal((await post("/api/portal/logout", {}, { cookie: s.cookie, csrf: "" })).status, 403);
    assert.equal((await get("/api/portal/tenants/acme/alerts/ack", s)).status, 405);
    const afterN = (await adminQuery(f.engine, "SELECT COUNT(*) AS n FROM OPS.ALERT_ACKNOWLEDGEMENTS"))[0]!.n;
    assert.equal(afterN, before);
  });

  test("SQL-ish text in every parameter is refused by name before any query, and the tables are intact", async () => {
    const s = await signIn("ALICE");
    const machineIds = ["m1' OR '1'='1", "m1;DROP TABLE x", "m1%27%20OR%201%3D1", "%E0%A4%A", "..%2F..%2Fetc", "x".repeat(200)];
    for (const id of machineIds) {
      const r = await get(`/api/portal/tenants/acme/machines/${encodeURIComponent(id)}`, s);
      assert.equal(r.status, 400, id);
      assert.match(((await r.json()) as { error: string }).error, /machine id .* is not a device id/);
    }
    const bad: Array<[string, Record<string, unknown>]> = [
      ["device_id", { ...ACME_ALERT, device_id: "m1' OR 1=1 --" }],
      ["rule_id", { ...ACME_ALERT, rule_id: "MACHINE_DOWN'; DELETE FROM OPS.ALERT_ACKNOWLEDGEMENTS; --" }],
      ["window_start", { ...ACME_ALERT, window_start: "2026-01-05' OR TRUE --" }],
      ["window_start", { ...ACME_ALERT, window_start: 1 }],
      ["note", { ...ACME_ALERT, note: "x".repeat(501) }],
      ["note", { ...ACME_ALERT, note: { $ne: null } }],
    ];
    for (const [name, body] of bad) {
      const r = await post("/api/portal/tenants/acme/alerts/ack", body, s);
      assert.equal(r.status, 400, name);
      assert.match(((await r.json()) as { error: string }).error, new RegExp(`^${name}`));
    }
    const big = await post("/api/portal/tenants/acme/alerts/ack", { ...ACME_ALERT, note: "x".repeat(MAX_BODY_BYTES) }, s);
    assert.equal(big.status, 413);
    const left = await adminQuery<{ n: number }>(f.engine, "SELECT COUNT(*) AS n FROM ANALYTICS.ALERTS WHERE tenant_id = 'acme'");
    assert.equal(Number(left[0]!.n), 2, "acme's alerts are all still there");
  });

  test("a body far past the limit is answered 413, not read to its end", async () => {
    const s = await signIn("ALICE");
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${f.url}/api/portal/tenants/acme/alerts/ack`, {
        method: "POST",
        headers: { "content-type": "application/json", cookie: s.cookie, "x-csrf-token": s.csrf, "transfer-encoding": "chunked" },
      });
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on("error", reject);
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const pump = () => {
        while (sent < 4 * 1024 * 1024) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once("drain", pump);
        }
        req.end();
      };
      pump();
    }).catch((e: NodeJS.ErrnoException) => (e.code === "ECONNRESET" || e.code === "EPIPE" ? 413 : Promise.reject(e)));
    assert.equal(status, 413);
  });
});

describe("pages and the bundle", () => {
  test("the bundle's files are served by exact name only, with a strict Content-Security-Policy on the page", async () => {
    assert.equal((await get("/portal/assets/app-1.js")).status, 200);
    for (const p of ["/portal/assets/..%2Findex.html", "/portal/assets/nope.js", "/portal/../package.json", "/portal/t"]) assert.equal((await get(p)).status, 404, p);
    const page = await get("/portal/login");
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-security-policy")!, /script-src 'self';/);
    assert.doesNotMatch(page.headers.get("content-security-policy")!, /unsafe-(inline|eval)/);
    assert.equal(page.headers.get("x-frame-options"), "DENY");
  });

  test("paths that are not the portal's are left to serve", async () => {
    const r = await get("/healthz");
    assert.equal(await r.text(), "not the portal");
  });
});

describe("live updates", () => {
  test("the event stream pushes a new watermark when a reading lands, and a user holds at most four streams", async () => {
    const s = await signIn("ALICE");
    const controller = new AbortController();
    const r = await fetch(`${f.url}/api/portal/events`, { headers: { cookie: s.cookie }, signal: controller.signal });
    assert.equal(r.status, 200);
    assert.match(r.headers.get("content-type")!, /^text\/event-stream/);
    const reader = r.body!.getReader();
    const seen: string[] = [];
    // Bounded: a stream that never pushes fails the test instead of hanging it.
    const next = () => Promise.race([nextUpdate(), new Promise<never>((_r, reject) => setTimeout(() => reject(new Error("no update event within 20 s")), 20_000).unref())]);
    const nextUpdate = async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) throw new Error("stream ended");
        const text = new TextDecoder().decode(value);
        const m = [...text.matchAll(/event: update\ndata: (.+)\n/g)].map((x) => (JSON.parse(x[1]!) as { watermark: string }).watermark);
        if (m.length) return m[m.length - 1]!;
      }
    };
    seen.push(await next());
    // The ingest stamps rows with the hub's clock, which moves on between commits.
    f.clock.set(new Date("2026-01-05T09:31:00Z"));
    await f.engine.land({ readings: [reading("acme", "aq2", "AIR_QUALITY", 2, "2026-01-05T09:29:00", { period_s: 60, co2_ppm: 460, pm25_ugm3: 9 })] });
    seen.push(await next());
    assert.notEqual(seen[1], seen[0], "a new watermark after the commit");
    const extra = [];
    for (let i = 0; i < 3; i++) extra.push(await fetch(`${f.url}/api/portal/events`, { headers: { cookie: s.cookie }, signal: controller.signal }));
    const fifth = await fetch(`${f.url}/api/portal/events`, { headers: { cookie: s.cookie } });
    assert.equal(fifth.status, 429);
    controller.abort();
  });
});

describe("sign-in rate limit", () => {
  // A second portal on the same engine, with small limits and its own clock, so the suite's other
  // sign-ins (all from 127.0.0.1) are not limited by these.
  const clock = { now: Date.now() };
  let url = "";
  let portal: PortalServer;
  let server: http.Server;
  before(async () => {
    portal = PortalServer.create({
      engine: f.engine, users: () => f.users, tenants: ["acme", "globex"], log: () => undefined, bundle: tinyBundle(), now: () => clock.now,
      signInLimits: { perUser: 3, perAddress: 6, windowMs: 60_000 },
    });
    server = http.createServer((req, res) => void portal.handle(req, res));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(async () => {
    await portal.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  const login = (user: string, password: string) => fetch(`${url}/api/portal/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user, password }) });

  test("a guessed user name is refused with 429 and Retry-After after its failures, even with the right password, until the window passes", async () => {
    for (let i = 0; i < 3; i++) assert.equal((await login("gina", `guess-${i}`)).status, 401);
    const limited = await login("GINA", PASSWORDS.GINA);
    assert.equal(limited.status, 429, "the right password does not get past the limit (names compare upper-cased)");
    const retry = Number(limited.headers.get("retry-after"));
    assert.ok(retry > 0 && retry <= 60, `Retry-After ${retry}`);
    assert.match(((await limited.json()) as { error: string }).error, /too many failed sign-ins/);
    clock.now += 61_000;
    assert.equal((await login("gina", PASSWORDS.GINA)).status, 200);
  });

  test("an unknown name is limited like a known one (no telling them apart), and one address guessing many names is limited too", async () => {
    clock.now += 61_000;
    for (let i = 0; i < 3; i++) assert.equal((await login("nobody-at-all", "x")).status, 401);
    assert.equal((await login("nobody-at-all", "x")).status, 429);
    for (let i = 0; i < 3; i++) await login(`spray-${i}`, "Winter2026!");
    const next = await login("alice", PASSWORDS.ALICE);
    assert.equal(next.status, 429, "the address is over its failures, whoever it names");
    assert.ok(Number(next.headers.get("retry-after")) > 0);
  });
});

describe("sessions across a restart of serve (sessionFile)", () => {
  // Two portals in turn on the suite's engine and one session file: the second is serve restarted.
  const clock = { now: Date.now() };
  const file = join(mkdtempSync(join(tmpdir(), "portal-restart-")), "portal-sessions.json");
  const start = async () => {
    const portal = PortalServer.create({ engine: f.engine, users: () => f.users, tenants: ["acme", "globex"], log: () => undefined, bundle: tinyBundle(), now: () => clock.now, sessionFile: file });
    const server = http.createServer((req, res) => void portal.handle(req, res));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    return {
      url,
      stop: async () => {
        await portal.close();
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      },
    };
  };

  test("a person signed in before the restart is still signed in after it, to their own tenant only, and can still write", async () => {
    const before = await start();
    const r = await fetch(`${before.url}/api/portal/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user: "alice", password: PASSWORDS.ALICE }) });
    assert.equal(r.status, 200);
    const alice = { cookie: r.headers.get("set-cookie")!.split(";")[0]!, csrf: ((await r.json()) as { csrf: string }).csrf };
    await before.stop();
    const after = await start();
    try {
      const get = (path: string) => fetch(`${after.url}${path}`, { headers: { cookie: alice.cookie } });
      assert.equal((await get("/api/portal/tenants/acme/alerts")).status, 200);
      assert.equal((await get("/api/portal/tenants/globex/alerts")).status, 403, "another tenant's data stays refused");
      const forged = alice.cookie.slice(0, -1) + (alice.cookie.endsWith("a") ? "b" : "a");
      assert.equal((await fetch(`${after.url}/api/portal/session`, { headers: { cookie: forged } })).status, 401);
      const out = await fetch(`${after.url}/api/portal/logout`, { method: "POST", headers: { cookie: alice.cookie, "x-csrf-token": alice.csrf, "content-type": "application/json" }, body: "{}" });
      assert.equal(out.status, 204, "the page's CSRF token from before the restart still works");
      assert.equal((await get("/api/portal/session")).status, 401);
    } finally {
      await after.stop();
    }
  });
});
