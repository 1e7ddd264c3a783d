/**
 * Portal sessions across a restart of `serve` (pipelines/portal/sessionFile.ts, portalSessions.ts):
 * what the file holds (hashes, never tokens), who comes back signed in and who does not, and what
 * becomes of a file that is not the portal's.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PortalSessions, SESSION_COOKIE, csrfMatches, csrfOf, sessionId, type PortalSession, type SessionPersistence } from "../../pipelines/portal/portalSessions.ts";
import { SessionFileCorrupt, readSessionFile, sessionFilePath } from "../../pipelines/portal/sessionFile.ts";

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function home(): string {
  const d = mkdtempSync(join(tmpdir(), "portal-sessions-"));
  dirs.push(d);
  return d;
}

const cookie = (s: PortalSession) => `${SESSION_COOKIE}=${s.token}`;
const ACME = ["ALICE", "acme", "TENANT_ACME_ROLE"] as const;
const GLOBEX = ["GINA", "globex", "TENANT_GLOBEX_ROLE"] as const;

/** A portal's sessions on `path`, with a wall clock the test moves, and what it logged. */
function open(path: string, clock: { now: number }, extra: Partial<SessionPersistence> = {}) {
  const logs: string[] = [];
  const sessions = new PortalSessions({}, () => clock.now, { path, log: (level, msg, fields) => logs.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`), ...extra });
  return { sessions, logs };
}

describe("sessions survive a restart", () => {
  it("a signed-in person is still signed in, as the same user and tenant, with the same CSRF token", () => {
    const path = sessionFilePath(home());
    const clock = { now: Date.UTC(2026, 0, 5, 8) };
    const a = open(path, clock).sessions.create(...ACME);
    clock.now += 60_000;
    const again = open(path, clock).sessions.fromCookie(cookie(a));
    assert.ok(again);
    assert.deepEqual([again.user, again.tenant, again.role, again.createdAt], [a.user, a.tenant, a.role, a.createdAt]);
    assert.ok(csrfMatches(again, a.csrf), "the page's CSRF token still works");
  });

  it("the file holds hashes of the tokens: neither a cookie token nor a CSRF token is in it; mode 0600", () => {
    const path = sessionFilePath(home());
    const p = open(path, { now: Date.now() }).sessions;
    const a = p.create(...ACME);
    const text = readFileSync(path, "utf8");
    assert.ok(!text.includes(a.token) && !text.includes(a.csrf));
    assert.ok(text.includes(sessionId(a.token)));
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  it("a sign-out is on disk before it is answered: the session does not come back", () => {
    const path = sessionFilePath(home());
    const clock = { now: Date.now() };
    const p = open(path, clock).sessions;
    const a = p.create(...ACME);
    const g = p.create(...GLOBEX);
    p.end(a);
    const q = open(path, clock).sessions;
    assert.equal(q.fromCookie(cookie(a)), null);
    assert.ok(q.fromCookie(cookie(g)));
    q.endUser("GINA");
    assert.equal(open(path, clock).sessions.fromCookie(cookie(g)), null, "a user signed out everywhere stays out");
  });

  it("expiry counts across the restart: idle and absolute limits from the stored times; expired ones are pruned at start", () => {
    const path = sessionFilePath(home());
    const clock = { now: Date.now() };
    const p = open(path, clock).sessions;
    const idle = p.create(...ACME);
    const busy = p.create(...GLOBEX);
    // busy is used every 20 minutes, idle never; the last use is written within the flush interval.
    for (let i = 0; i < 3; i++) {
      clock.now += 20 * 60_000;
      assert.ok(p.fromCookie(cookie(busy)));
    }
    const q = open(path, clock);
    assert.equal(q.sessions.fromCookie(cookie(idle)), null, "unused for an hour: over the 30-minute idle limit");
    assert.ok(q.sessions.fromCookie(cookie(busy)));
    assert.equal(readSessionFile(path, 10).length, 1, "the expired one is gone from the file");
    clock.now = busy.createdAt + 12 * 3_600_000 + 1;
    assert.equal(open(path, clock).sessions.fromCookie(cookie(busy)), null, "12 hours after sign-in, used or not");
  });

  it("a last use not yet written ends a session early, never late (at most the flush interval)", () => {
    const path = sessionFilePath(home());
    const clock = { now: Date.now() };
    const p = open(path, clock, { touchFlushMs: 60_000 }).sessions;
    const a = p.create(...ACME);
    clock.now += 29 * 60_000;
    assert.ok(p.fromCookie(cookie(a))); // written: more than a minute since the last write
    clock.now += 30_000;
    assert.ok(p.fromCookie(cookie(a))); // not written: within the minute
    clock.now += 29 * 60_000 + 45_000; // 30 min 15 s after the written use, 29 min 45 s after the last one
    assert.equal(open(path, clock).sessions.fromCookie(cookie(a)), null);
    p.flush();
    assert.ok(open(path, clock).sessions.fromCookie(cookie(a)), "after a flush (serve's stop) the last use counts");
  });

  it("tampered and foreign tokens name no session: one character changed, another form, a stored hash offered as the token", () => {
    const path = sessionFilePath(home());
    const clock = { now: Date.now() };
    const a = open(path, clock).sessions.create(...ACME);
    const q = open(path, clock).sessions;
    const flipped = a.token.slice(0, -1) + (a.token.endsWith("0") ? "1" : "0");
    for (const t of [flipped, a.token.toUpperCase(), `${a.token}00`, sessionId(a.token), csrfOf(a.token), ""]) {
      assert.equal(q.fromCookie(`${SESSION_COOKIE}=${t}`), null, t);
    }
    assert.ok(q.fromCookie(cookie(a)));
  });

  it("sessions of a tenant the hub no longer serves are dropped at start", () => {
    const path = sessionFilePath(home());
    const clock = { now: Date.now() };
    const p = open(path, clock).sessions;
    const a = p.create(...ACME);
    const g = p.create(...GLOBEX);
    const q = open(path, clock, { accept: (s) => s.tenant === "acme" }).sessions;
    assert.ok(q.fromCookie(cookie(a)));
    assert.equal(q.fromCookie(cookie(g)), null);
  });

  it("at most `total` sessions are kept, in memory and on disk", () => {
    const path = sessionFilePath(home());
    const clock = { now: Date.now() };
    const p = new PortalSessions({ total: 3, perUser: 10 }, () => clock.now, { path });
    for (let i = 0; i < 5; i++) p.create(`U${i}`, "acme", "TENANT_ACME_ROLE");
    assert.equal(p.size, 3);
    assert.equal(readSessionFile(path, 3).length, 3);
  });
});

describe("a session file that is not the portal's", () => {
  const stored = (over: Record<string, unknown> = {}) => ({ id: "a".repeat(64), user: "ALICE", tenant: "acme", role: "TENANT_ACME_ROLE", createdAt: 1, lastSeenAt: 2, ...over });
  const cases: [string, string, RegExp][] = [
    ["truncated", '{"version":1,"sessions":[{"id":"', /not JSON/],
    ["another version", JSON.stringify({ version: 2, sessions: [] }), /version 2, expected 1/],
    ["a list", "[]", /not a JSON object/],
    ["a session another tenant's role", JSON.stringify({ version: 1, sessions: [stored({ role: "TENANT_GLOBEX_ROLE" })] }), /session 0: role "TENANT_GLOBEX_ROLE" is not valid/],
    ["a raw token, not a hash", JSON.stringify({ version: 1, sessions: [stored({ id: "short" })] }), /session 0: id "short"/],
    ["the same id twice", JSON.stringify({ version: 1, sessions: [stored(), stored()] }), /session 1: id/],
    ["a user name the users file cannot hold", JSON.stringify({ version: 1, sessions: [stored({ user: "alice'; --" })] }), /session 0: user/],
    ["last use before sign-in", JSON.stringify({ version: 1, sessions: [stored({ createdAt: 5, lastSeenAt: 4 })] }), /session 0: lastSeenAt 4/],
    ["a tenant id that is not one", JSON.stringify({ version: 1, sessions: [stored({ tenant: "../acme" })] }), /session 0: tenant "\.\.\/acme"/],
  ];
  for (const [what, body, why] of cases) {
    it(`is refused by name and fault: ${what}`, () => {
      const path = sessionFilePath(home());
      writeFileSync(path, body);
      assert.throws(() => readSessionFile(path, 10), (e: unknown) => e instanceof SessionFileCorrupt && e.message.includes(path) && why.test(e.message));
    });
  }

  it("a file beyond the bound is refused without reading it whole", () => {
    const path = sessionFilePath(home());
    writeFileSync(path, JSON.stringify({ version: 1, sessions: Array.from({ length: 4 }, (_, i) => stored({ id: String(i).padStart(64, "0") })) }));
    assert.throws(() => readSessionFile(path, 3), /4 sessions, more than the 3 allowed/);
  });

  it("the portal starts with nobody signed in, keeps the bad file as .corrupt and says so; new sign-ins are kept again", () => {
    const path = sessionFilePath(home());
    writeFileSync(path, "{not json");
    const clock = { now: Date.now() };
    const { sessions, logs } = open(path, clock);
    assert.equal(sessions.size, 0);
    assert.equal(readFileSync(`${path}.corrupt`, "utf8"), "{not json");
    assert.match(logs.join("\n"), /^warn portal sessions not restored: the session file is refused.*not JSON/m);
    const a = sessions.create(...ACME);
    assert.ok(open(path, clock).sessions.fromCookie(cookie(a)));
  });

  it("no file: nobody signed in, and one is written (0600)", () => {
    const path = sessionFilePath(home());
    assert.equal(open(path, { now: Date.now() }).sessions.size, 0);
    assert.ok(existsSync(path));
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });
});
