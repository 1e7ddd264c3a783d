/**
 * The operator portal (issue 23 §1), as a part `serve` mounts on its HTTP port: `handle` answers
 * every path under `/portal/` (the front end) and `/api/portal/` (its data) and returns false for
 * any other path.
 *
 * - Sign-in: a tenant's user from the same users as the SQL endpoint (HOME/users.json, scrypt
 *   hashes), checked as the SQL login checks them; a session cookie (portalSessions.ts), a CSRF
 *   token on every state-changing call, sign-out.
 * - Tenancy: a session belongs to one tenant and every page's data is read through that tenant's
 *   role (tenantReader.ts); a URL or API call naming another tenant is 403, an id of another
 *   tenant's device is 404 (its rows are invisible to the role, as in SQL).
 * - The one write, acknowledging an alert, is checked as the tenant first (the alert must be visible
 *   to its role) and then appended to OPS.ALERT_ACKNOWLEDGEMENTS with the session's tenant and user,
 *   by HUB_PORTAL, which may insert there and nothing else: a tenant role reads and never writes
 *   (pipelines/definitions/grants.ts), and the row's tenant comes from the session, never from the request.
 * - Data: the embedded engine or the tenant's Snowflake account (`data`, portalData.ts).
 * - Live: `/api/portal/events` (portalEvents.ts).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createHash } from "node:crypto";
import type { EmbeddedEngine } from "../engine/embeddedEngine.ts";
import type { Row, Warehouse } from "../warehouse/warehouse.ts";
import { tenantRoleName } from "../definitions/governance.ts";
import { qualifiedName } from "../definitions/types.ts";
import { ALERT_ACKNOWLEDGEMENTS } from "../definitions/alerting.ts";
import { passwordMatches, type EndpointUser } from "../serve/snowflakeEndpoint.ts";
import { PortalSessions, clearedCookie, csrfMatches, sessionCookie, CSRF_HEADER, type PortalSession, type SessionLimits } from "./portalSessions.ts";
import { PortalEvents } from "./portalEvents.ts";
import { PortalBundle } from "./portalBundle.ts";
import { TenantReader } from "./tenantReader.ts";
import { twinPortalData, type PortalData } from "./portalData.ts";
import { gatedWatermark, pipelineSignal, PIPELINE_SIGNAL_SQL, type GatedWatermark } from "./liveSignal.ts";
import type { TenantCost, TenantModels } from "./portalSources.ts";
import { drainThen, readBoundedBody, safeDecode } from "../serve/httpBodies.ts";
import { IdentityRefused, type AlbPrincipal } from "./albIdentity.ts";
import { ALB_CLAIMS_HEADER } from "./tenantClaim.ts";
import { SignInLimiter, type SignInLimits } from "./signInLimiter.ts";
import { cognitoLogoutUrl, expiredAlbCookies, type AlbSignOutOptions } from "./albSignOut.ts";

export type PortalLog = (level: "debug" | "info" | "warn" | "error", msg: string, fields?: Record<string, unknown>) => void;

export interface PortalOptions {
  /** The hub's engine: its clock is the portal's now, and by default its data is the portal's. */
  readonly engine: EmbeddedEngine;
  /** Where pages read and acknowledgements are written; default the engine (twinPortalData). */
  readonly data?: PortalData;
  /** The users (serve: the users file, read again when it changes). */
  readonly users: () => readonly EndpointUser[];
  /** The tenants this hub serves. */
  readonly tenants: readonly string[];
  readonly log: PortalLog;
  /**
   * The tenant's credits and money against its quota; default: the newest snapshot of
   * OPS.TENANT_COSTS read through the tenant's role (TenantReader.cost), on either target.
   */
  readonly cost?: (tenant: string) => Promise<TenantCost | null>;
  /** The tenant's model registry (serve: what `scripts/retrain.ts list` shows). */
  readonly models?: (tenant: string) => Promise<TenantModels>;
  /** The built front end; default portal/dist. */
  readonly bundle?: PortalBundle;
  readonly sessions?: SessionLimits;
  /**
   * Keep password sign-in sessions in this file (sessionFile.ts; serve: HOME/portal-sessions.json)
   * so a restart signs nobody out; sessions of tenants no longer served are dropped at start.
   * Default: in memory only. Not used with `identity`: the claims sign people in on every request.
   */
  readonly sessionFile?: string;
  /** Failed password sign-ins allowed per user name and per client address (signInLimiter.ts); defaults 5 and 20 per 15 minutes. */
  readonly signInLimits?: SignInLimits;
  /**
   * The limiter to count failures in, shared with the hub's other password doors (serve: the SQL
   * login and Basic auth), so a guesser cannot move between them; default one of the portal's own
   * with `signInLimits`.
   */
  readonly signInLimiter?: SignInLimiter;
  /**
   * Production sign-in: people arrive signed in to Cognito by the load balancer, which forwards
   * their signed claims (albIdentity.ts); every request's claims are checked and name the session's
   * user and tenant. Password sign-in and the users file are then off. Default: the users file.
   */
  readonly identity?: { verify(header: string | string[] | undefined): Promise<AlbPrincipal> };
  /**
   * With `identity`: sign-out also ends the load balancer's session and Cognito's (albSignOut.ts):
   * the logout answer expires the ALB's cookies and names Cognito's logout URL, where the page goes.
   * Default none: only the portal's session ends.
   */
  readonly signOut?: AlbSignOutOptions;
  /** Mark the cookie Secure: on when the portal is reached over HTTPS (production, behind the ALB). */
  readonly secureCookies?: boolean;
  /** How often a tenant's watermark is read while it has live pages; default 1000 ms. */
  readonly pollMs?: number;
  /** Wall clock for sessions (tests move it); default Date.now. */
  readonly now?: () => number;
}

/** Largest JSON body the portal reads (a sign-in or an acknowledgement). */
export const MAX_BODY_BYTES = 8 * 1024;
/** Ids in paths and bodies: device, machine and location ids as the topics allow them, and rule ids. */
const DEVICE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const RULE_ID = /^[A-Za-z0-9_]{1,64}$/;
const WINDOW_START = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z?$/;
const MAX_NOTE = 500;
/** How long a tenant's watermark is taken as current by page requests (the event poller reads it fresh). */
const FRESH_MS = 1000;
const SOURCE_TTL_MS = 30_000;

const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};
/** The bundle needs nothing but itself: no inline script, no eval, no other origin. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** A tenant's watermark: each part hashed, and the whole (what the event stream and pages compare). */
interface Marks {
  readonly raw: string;
  readonly pipeline: string;
  readonly all: string;
}

interface Cached {
  readonly watermark: string;
  readonly body: Promise<unknown>;
}

export class PortalServer {
  private readonly sessions: PortalSessions;
  private readonly limiter: SignInLimiter;
  private readonly events: PortalEvents;
  private readonly readers = new Map<string, TenantReader>();
  private readonly cache = new Map<string, Cached>();
  private readonly marks = new Map<string, { value: Promise<Marks>; at: number }>();
  private readonly markReads = new Map<string, Promise<Marks>>();
  private readonly sourceCache = new Map<string, { at: number; value: Promise<unknown> }>();
  private writer: Promise<Warehouse> | null = null;
  private readonly live: GatedWatermark | null;
  private closed = false;
  private readonly now: () => number;
  private readonly data: PortalData;
  private bundle: PortalBundle;

  private constructor(private readonly o: PortalOptions) {
    this.now = o.now ?? Date.now;
    this.data = o.data ?? twinPortalData(o.engine);
    this.sessions = new PortalSessions(
      o.sessions,
      this.now,
      o.sessionFile && !o.identity ? { path: o.sessionFile, accept: (st) => o.tenants.includes(st.tenant), log: (level, msg, fields) => o.log(level, msg, fields) } : undefined,
    );
    this.limiter = o.signInLimiter ?? new SignInLimiter(o.signInLimits, this.now);
    this.bundle = o.bundle ?? PortalBundle.load();
    // On Snowflake the poller asks a metadata signal first and wakes a tenant's warehouse at most
    // once per data.live.minWarehouseMs (liveSignal.ts); on the twin it reads every poll.
    this.live = this.data.live
      ? gatedWatermark({
          read: (t) => this.watermark(t),
          signal: () => this.pipelineSignal(),
          minIntervalMs: this.data.live.minWarehouseMs,
          now: this.now,
          onSignalError: (e) => o.log("warn", "the portal's change signal failed; polling at the bound", { error: e.message }),
        })
      : null;
    this.events = new PortalEvents({
      watermark: (t) => (this.live ? this.live(t) : this.watermark(t)),
      pollMs: o.pollMs,
      log: (level, msg, fields) => o.log(level, msg, fields),
    });
  }

  static create(o: PortalOptions): PortalServer {
    for (const t of o.tenants) tenantRoleName(t); // a bad tenant id fails here, by name
    const p = new PortalServer(o);
    if (!p.bundle.index) o.log("warn", "the portal's front end is not built: run `npm run build:portal`", { dir: p.bundle.dir });
    return p;
  }

  /** Whether `pathname` is the portal's. */
  static owns(pathname: string): boolean {
    return pathname === "/portal" || pathname.startsWith("/portal/") || pathname.startsWith("/api/portal/");
  }

  /** Answer a request under /portal/ or /api/portal/; false (untouched) for any other path. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? "/", "http://portal");
    if (!PortalServer.owns(url.pathname)) return false;
    try {
      if (url.pathname.startsWith("/api/portal/")) await this.api(req, res, url);
      else await this.page(req, res, url);
    } catch (e) {
      if (e instanceof HttpError) {
        drainThen(req, () => json(res, e.status, { error: e.message }, e.headers));
      } else {
        this.o.log("error", "portal request failed", { path: url.pathname, error: (e as Error).message });
        drainThen(req, () => json(res, 500, { error: "internal error" }));
      }
    }
    return true;
  }

  // ----- pages ------------------------------------------------------------------------------

  private async page(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    req.resume();
    if (req.method !== "GET" && req.method !== "HEAD") throw new HttpError(405, "use GET");
    const path = url.pathname;
    const asset = /^\/portal\/assets\/([A-Za-z0-9_.-]+)$/.exec(path);
    if (asset) {
      const f = this.bundle.asset(asset[1]!);
      if (!f) throw new HttpError(404, `${path} is not a file of the portal`);
      res.writeHead(200, { "content-type": f.type, "cache-control": "public, max-age=31536000, immutable", ...SECURITY_HEADERS }).end(f.body);
      return;
    }
    if (path === "/portal" || path === "/portal/" || path === "/portal/login") return this.index(res, 200);
    const tenantPage = /^\/portal\/t\/([^/]+)(\/.*)?$/.exec(path);
    if (!tenantPage) throw new HttpError(404, `${path} is not a page of the portal`);
    const s = await this.session(req, res);
    if (!s) {
      res.writeHead(303, { location: `/portal/login?next=${encodeURIComponent(path)}`, "cache-control": "no-store", ...SECURITY_HEADERS }).end();
      return;
    }
    if (safeDecode(tenantPage[1]!) !== s.tenant) {
      this.o.log("warn", "portal page of another tenant refused", { user: s.user, tenant: s.tenant, asked: tenantPage[1]!.slice(0, 64) });
      res.writeHead(403, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "content-security-policy": CSP, ...SECURITY_HEADERS });
      res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Refused</title></head><body><main><h1>Refused</h1>` +
        `<p>You are signed in for another tenant; this page is not yours to see.</p><p><a href="/portal/t/${encodeURIComponent(s.tenant)}/">Your overview</a></p></main></body></html>`);
      return;
    }
    this.index(res, 200);
  }

  private index(res: ServerResponse, status: number): void {
    if (!this.bundle.index) {
      res.writeHead(503, { "content-type": "text/plain; charset=utf-8", ...SECURITY_HEADERS }).end("The portal's front end is not built: run `npm run build:portal` and restart.\n");
      return;
    }
    res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "content-security-policy": CSP, ...SECURITY_HEADERS }).end(this.bundle.index);
  }

  // ----- API --------------------------------------------------------------------------------

  private async api(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    if (path === "/api/portal/login") return this.login(req, res);
    if (path === "/api/portal/session") {
      req.resume();
      if (req.method !== "GET") throw new HttpError(405, "use GET");
      const s = await this.requireSession(req, res);
      return json(res, 200, { user: s.user, tenant: s.tenant, csrf: s.csrf });
    }
    if (path === "/api/portal/logout") {
      const s = await this.requireSession(req, res);
      this.checkStateChange(req, s);
      req.resume();
      this.sessions.end(s);
      this.o.log("info", "portal sign-out", { user: s.user, tenant: s.tenant });
      const cleared = clearedCookie({ secure: !!this.o.secureCookies });
      if (this.o.identity && this.o.signOut) {
        // Behind the ALB: its session cookies expire too, and the page goes on to Cognito's logout,
        // else the next request would be signed in again by the ALB's still-valid session.
        const cookies = [cleared, ...expiredAlbCookies(req.headers.cookie)];
        return json(res, 200, { signOutUrl: cognitoLogoutUrl(this.o.signOut) }, { "set-cookie": cookies });
      }
      res.writeHead(204, { "set-cookie": cleared, "cache-control": "no-store", ...SECURITY_HEADERS }).end();
      return;
    }
    if (path === "/api/portal/events") {
      req.resume();
      if (req.method !== "GET") throw new HttpError(405, "use GET");
      const s = await this.requireSession(req, res);
      if (this.events.countFor(s.user) >= this.events.perUser) throw new HttpError(429, `at most ${this.events.perUser} live streams per user: close another tab`);
      this.events.open(s.tenant, s.user, res);
      return;
    }
    const m = /^\/api\/portal\/tenants\/([^/]+)\/(.+)$/.exec(path);
    if (!m) {
      req.resume();
      throw new HttpError(404, `${path} is not an API of the portal (see docs/portal.md)`);
    }
    const s = await this.requireSession(req, res);
    const tenant = safeDecode(m[1]!);
    if (tenant !== s.tenant) {
      this.o.log("warn", "portal API call for another tenant refused", { user: s.user, tenant: s.tenant, asked: m[1]!.slice(0, 64) });
      throw new HttpError(403, "this tenant's data is not yours to see");
    }
    const rest = m[2]!;
    if (rest === "alerts/ack") return this.acknowledge(req, res, s);
    req.resume();
    if (req.method !== "GET") throw new HttpError(405, "use GET");
    const reader = this.reader(s);
    const now = this.o.engine.clock.now();
    if (rest === "overview") {
      const kpis = await this.cached(s.tenant, rest, "pipeline", async () => ({ plants: await reader.plants(now), machines: await reader.machines(now) }));
      const last = await this.cached(s.tenant, "last", "raw", () => reader.lastData(now));
      const bySite = new Map((last.data as Row[]).map((r) => [r.site_id, r]));
      const { plants, machines } = kpis.data as { plants: Row[]; machines: Row[] };
      const data = { plants: plants.map((p) => ({ ...p, last_ingested: bySite.get(p.site_id)?.last_ingested ?? null, last_reading: bySite.get(p.site_id)?.last_reading ?? null })), machines };
      // The hub's time now, for "seconds since last data"; cost has its own cache.
      return json(res, 200, { watermark: last.watermark, data, now: now.toISOString(), cost: await this.source("cost", s.tenant).catch(this.sourceError("cost", s)) });
    }
    if (rest === "air") return json(res, 200, await this.cached(s.tenant, rest, "pipeline", () => reader.air(now)));
    if (rest === "flow") return json(res, 200, await this.cached(s.tenant, rest, "pipeline", () => reader.flow()));
    if (rest === "alerts") return json(res, 200, await this.cached(s.tenant, rest, "pipeline", async () => ({ alerts: await reader.alerts() })));
    if (rest === "cost") return json(res, 200, { cost: await this.source("cost", s.tenant).catch(this.sourceError("cost", s)) });
    if (rest === "models") return json(res, 200, { models: await this.source("models", s.tenant).catch(this.sourceError("models", s)) });
    const machine = /^machines\/([^/]+)$/.exec(rest);
    if (machine) {
      const id = safeDecode(machine[1]!);
      if (id === null || !DEVICE_ID.test(id)) throw new HttpError(400, `machine id ${JSON.stringify(id ?? machine[1]).slice(0, 80)} is not a device id (letters, digits, . _ : -; at most 128)`);
      const body = await this.cached(s.tenant, `machine:${id}`, "pipeline", async () => {
        const page = await reader.machine(id, now);
        return page === null ? null : { machine: id, ...page };
      });
      if ((body as { data: unknown }).data === null) throw new HttpError(404, `machine ${id} is not one of your machines`);
      return json(res, 200, body);
    }
    throw new HttpError(404, `${path} is not an API of the portal (see docs/portal.md)`);
  }

  private async login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "POST") {
      req.resume();
      throw new HttpError(405, "use POST");
    }
    this.checkOrigin(req);
    if (this.o.identity) {
      req.resume();
      throw new HttpError(403, "this portal signs people in with Cognito at the load balancer: password sign-in is off");
    }
    const body = await readJson(req);
    const name = typeof body.user === "string" ? body.user.trim().toUpperCase() : "";
    const password = typeof body.password === "string" ? body.password : "";
    // Before the hash: a name or address over its failures costs no scrypt work. The socket's
    // address, not X-Forwarded-For, which a client writes itself.
    const address = req.socket.remoteAddress ?? "unknown";
    const limitKey = name.slice(0, 255);
    const wait = this.limiter.waitS(limitKey, address);
    if (wait > 0) {
      this.o.log("warn", "portal sign-in refused: too many failures", { user: name.slice(0, 64), address });
      throw new HttpError(429, `too many failed sign-ins: try again in ${wait} s`, { "retry-after": String(wait) });
    }
    const user = name.length <= 255 ? this.o.users().find((u) => u.name.toUpperCase() === name) : undefined;
    // One answer for an unknown user, a wrong password and a user without a tenant, as at the SQL login.
    const refused = new HttpError(401, "incorrect user name or password");
    if (!user?.passwordHash || !passwordMatches(password, user.passwordHash)) {
      this.limiter.failed(limitKey, address);
      this.o.log("info", "portal sign-in refused", { user: name.slice(0, 64) });
      throw refused;
    }
    const tenant = this.tenantOf(user);
    if (!tenant) {
      this.limiter.failed(limitKey, address);
      this.o.log("info", "portal sign-in refused: the user holds no role of a served tenant", { user: name });
      throw refused;
    }
    this.limiter.succeeded(limitKey);
    const s = this.sessions.create(user.name.toUpperCase(), tenant, tenantRoleName(tenant));
    this.o.log("info", "portal sign-in", { user: s.user, tenant });
    const maxAgeS = Math.round((this.o.sessions?.absoluteMs ?? 12 * 3_600_000) / 1000);
    res.writeHead(200, { "content-type": "application/json", "set-cookie": sessionCookie(s, { secure: !!this.o.secureCookies, maxAgeS }), "cache-control": "no-store", ...SECURITY_HEADERS });
    res.end(JSON.stringify({ user: s.user, tenant: s.tenant, csrf: s.csrf }));
  }

  private async acknowledge(req: IncomingMessage, res: ServerResponse, s: PortalSession): Promise<void> {
    if (req.method !== "POST") {
      req.resume();
      throw new HttpError(405, "use POST");
    }
    this.checkStateChange(req, s);
    const body = await readJson(req);
    const deviceId = field(body, "device_id", DEVICE_ID, "a device id");
    const ruleId = field(body, "rule_id", RULE_ID, "a rule id (letters, digits, _)");
    const windowStart = field(body, "window_start", WINDOW_START, "a timestamp such as 2026-01-05T08:00:00Z");
    const note = body.note === undefined || body.note === null ? null : body.note;
    if (note !== null && (typeof note !== "string" || note.length > MAX_NOTE)) throw new HttpError(400, `note must be text of at most ${MAX_NOTE} characters`);
    const ts = windowStart.replace("T", " ").replace("Z", "");
    if (!(await this.reader(s).alertExists(deviceId, ruleId, ts))) {
      throw new HttpError(404, `no alert of yours for device ${deviceId}, rule ${ruleId}, window ${windowStart}`);
    }
    const at = this.o.engine.clock.now();
    if (this.closed) throw new HttpError(503, "the portal is stopping");
    const writer = (this.writer ??= this.data.writerSession());
    writer.catch(() => this.writer === writer && (this.writer = null));
    const w = await writer;
    await w.execute(
      `INSERT INTO ${qualifiedName(ALERT_ACKNOWLEDGEMENTS)} (tenant_id, device_id, rule_id, window_start, acknowledged_by, acknowledged_at, note)
       VALUES (?, ?, ?, CAST(? AS TIMESTAMP), ?, CAST(? AS TIMESTAMP), ?)`,
      { binds: [s.tenant, deviceId, ruleId, ts, s.user, at.toISOString().replace("T", " ").replace("Z", ""), note], tag: { tenant: s.tenant, job: "portal-ack" } },
    );
    // The next read sees the acknowledgement at once, not after the watermark's second (nor the
    // live bound: the signal cannot see an acknowledgement).
    this.marks.delete(s.tenant);
    this.live?.forget(s.tenant);
    this.o.log("info", "alert acknowledged", { user: s.user, tenant: s.tenant, device: deviceId, rule: ruleId, window: windowStart });
    json(res, 200, { acknowledged: { device_id: deviceId, rule_id: ruleId, window_start: windowStart, acknowledged_by: s.user, acknowledged_at: at.toISOString() } });
  }

  // ----- checks -----------------------------------------------------------------------------

  /** The live session of the request, if its user still holds the tenant's role. */
  private async session(req: IncomingMessage, res?: ServerResponse): Promise<PortalSession | null> {
    if (this.o.identity) return this.signedInByLoadBalancer(this.o.identity, req, res);
    const s = this.sessions.fromCookie(req.headers.cookie);
    if (!s) return null;
    // A user removed from the users file, or moved to another tenant, is signed out at once.
    const user = this.o.users().find((u) => u.name.toUpperCase() === s.user);
    if (!user || !user.roles.map((r) => r.toUpperCase()).includes(s.role)) {
      this.sessions.end(s);
      return null;
    }
    return s;
  }

  private async requireSession(req: IncomingMessage, res: ServerResponse): Promise<PortalSession> {
    const s = await this.session(req, res);
    if (!s) throw new HttpError(401, "sign in first: no session, or it expired");
    return s;
  }

  /**
   * The session of a request the load balancer signed in: its claims are checked on every request
   * (they name the user and tenant; the cookie only carries the CSRF pairing), and a cookie of
   * another user or tenant than the claims name is ended, never reused. A claim of a tenant this
   * hub does not serve is refused like a bad signature.
   */
  private async signedInByLoadBalancer(identity: NonNullable<PortalOptions["identity"]>, req: IncomingMessage, res?: ServerResponse): Promise<PortalSession | null> {
    let p: AlbPrincipal;
    try {
      p = await identity.verify(req.headers[ALB_CLAIMS_HEADER]);
    } catch (e) {
      if (!(e instanceof IdentityRefused)) throw e;
      this.o.log("warn", "portal sign-in refused", { reason: e.message });
      return null;
    }
    if (!this.o.tenants.includes(p.tenant)) {
      this.o.log("warn", "portal sign-in refused: the tenant claim names no tenant this hub serves", { user: p.user.slice(0, 64), tenant: p.tenant });
      return null;
    }
    const s = this.sessions.fromCookie(req.headers.cookie);
    if (s && s.user === p.user && s.tenant === p.tenant) return s;
    if (s) this.sessions.end(s);
    const created = this.sessions.create(p.user, p.tenant, tenantRoleName(p.tenant));
    const maxAgeS = Math.round((this.o.sessions?.absoluteMs ?? 12 * 3_600_000) / 1000);
    res?.setHeader("set-cookie", sessionCookie(created, { secure: !!this.o.secureCookies, maxAgeS }));
    this.o.log("info", "portal sign-in", { user: created.user, tenant: created.tenant, by: "cognito" });
    return created;
  }

  /** A state-changing call: its session's CSRF token in the header, and from this origin. */
  private checkStateChange(req: IncomingMessage, s: PortalSession): void {
    if (req.method !== "POST") throw new HttpError(405, "use POST");
    this.checkOrigin(req);
    if (!csrfMatches(s, req.headers[CSRF_HEADER])) throw new HttpError(403, `the ${CSRF_HEADER} header is missing or wrong: reload the page`);
  }

  /** A browser names the page's origin on a POST: it must be this host (a second line behind SameSite and the token). */
  private checkOrigin(req: IncomingMessage): void {
    const origin = req.headers.origin;
    if (origin === undefined) return;
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      throw new HttpError(403, `origin ${JSON.stringify(origin).slice(0, 80)} is not this portal`);
    }
    if (host !== req.headers.host) throw new HttpError(403, `origin ${JSON.stringify(origin).slice(0, 80)} is not this portal`);
  }

  private tenantOf(user: EndpointUser): string | null {
    const roles = user.roles.map((r) => r.toUpperCase());
    return this.o.tenants.find((t) => roles.includes(tenantRoleName(t))) ?? null;
  }

  // ----- data -------------------------------------------------------------------------------

  private reader(s: PortalSession): TenantReader {
    if (this.closed) throw new HttpError(503, "the portal is stopping");
    let r = this.readers.get(s.tenant);
    if (!r) this.readers.set(s.tenant, (r = new TenantReader(this.data, s.tenant, s.role)));
    return r;
  }

  /** The change signal (liveSignal.ts), read as PORTAL_ROLE on the writer's connection: metadata, no warehouse. */
  private async pipelineSignal(): Promise<string> {
    if (this.closed) throw new Error("the portal is closed");
    const writer = (this.writer ??= this.data.writerSession());
    writer.catch(() => this.writer === writer && (this.writer = null));
    return pipelineSignal(await (await writer).query(PIPELINE_SIGNAL_SQL, { tag: { job: "portal-live" } }));
  }

  /** The tenant's reader, as its role (a tenant the portal serves: checked by the caller's session or poller). */
  private readerOf(tenant: string): TenantReader {
    const r = this.readers.get(tenant) ?? new TenantReader(this.data, tenant, tenantRoleName(tenant));
    this.readers.set(tenant, r);
    return r;
  }

  /**
   * The tenant's data watermark, read again when the last reading is older than `maxAgeMs`. The
   * event poller always reads it fresh, so by the time a page hears of a change and refetches, the
   * page's data is checked against the new watermark, never a stale one.
   */
  private async watermark(tenant: string, maxAgeMs = 0): Promise<string> {
    return (await this.marksOf(tenant, maxAgeMs)).all;
  }

  private marksOf(tenant: string, maxAgeMs: number): Promise<Marks> {
    const memo = this.marks.get(tenant);
    if (memo && this.now() - memo.at < maxAgeMs) return memo.value;
    // Callers at the same moment share one read.
    const reading = this.markReads.get(tenant);
    if (reading) return reading;
    if (this.closed) return Promise.reject(new Error("the portal is closed"));
    const r = this.readerOf(tenant);
    const at = this.now();
    const hash = (x: string) => createHash("sha256").update(x).digest("hex").slice(0, 16);
    const read = r.watermark(this.o.engine.clock.now()).then((w) => ({ raw: hash(w.raw), pipeline: hash(w.pipeline), all: hash(w.raw + w.pipeline) }));
    this.markReads.set(tenant, read);
    const value = read.finally(() => this.markReads.delete(tenant));
    this.marks.set(tenant, { value, at });
    value.catch(() => this.marks.delete(tenant));
    return value;
  }

  /**
   * A page's data with the tenant's watermark; read again only when the part of the watermark the
   * page depends on moved (`pipeline` for pages of silver and gold, `raw` for the overview's "last
   * data"), so many users on one page cost one read per commit that changes it. The watermark
   * itself is read at most once a second for page requests.
   */
  private async cached(tenant: string, key: string, dependsOn: "raw" | "pipeline", load: () => Promise<unknown>): Promise<{ watermark: string; data: unknown }> {
    const k = `${tenant}|${key}`;
    const marks = await this.marksOf(tenant, FRESH_MS);
    const w = marks[dependsOn];
    const hit = this.cache.get(k);
    if (hit && hit.watermark === w) return { watermark: marks.all, data: await hit.body };
    // One load per page and watermark, however many users ask for it at once.
    const body = load();
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(k, { watermark: w, body });
    body.catch(() => this.cache.get(k)?.body === body && this.cache.delete(k));
    return { watermark: marks.all, data: await body };
  }

  /**
   * A source that failed: the cause goes to the hub's log, the tenant's person reads that it is
   * unavailable. The cause can name the registry's files, an AWS account and ARN, or the SQL and
   * objects behind the page: the hub's operator's to read, not the tenant's.
   */
  private sourceError(kind: "cost" | "models", s: { user: string; tenant: string }): (e: Error) => { error: string } {
    return (e) => {
      this.o.log("error", `portal ${kind} source failed`, { user: s.user, tenant: s.tenant, error: e.message });
      return { error: `the hub could not read the ${kind === "cost" ? "cost figures" : "model registry"} just now (its log says why)` };
    };
  }

  private source(kind: "cost" | "models", tenant: string): Promise<unknown> {
    const fn = kind === "cost" ? (this.o.cost ?? ((t: string) => this.readerOf(t).cost())) : this.o.models;
    if (!fn) return Promise.resolve(null);
    const k = `${kind}|${tenant}`;
    const hit = this.sourceCache.get(k);
    if (hit && this.now() - hit.at < SOURCE_TTL_MS) return hit.value;
    const value = fn(tenant);
    this.sourceCache.set(k, { at: this.now(), value });
    // An error, or no figures yet (before the first cost snapshot), is asked again next time.
    value.then((v) => v === null && this.sourceCache.get(k)?.value === value && this.sourceCache.delete(k), () => this.sourceCache.delete(k));
    return value;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.sessions.flush();
    this.events.close();
    for (const r of this.readers.values()) await r.close();
    this.readers.clear();
    if (this.writer) await (await this.writer).close().catch(() => undefined);
    this.writer = null;
  }
}


function field(body: Record<string, unknown>, name: string, pattern: RegExp, what: string): string {
  const v = body[name];
  if (typeof v !== "string" || !pattern.test(v)) throw new HttpError(400, `${name} ${JSON.stringify(v ?? null).slice(0, 80)} is not ${what}`);
  return v;
}

/** A JSON object body of at most MAX_BODY_BYTES, sent as application/json. */
async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = String(req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  // A cross-site form can send only form encodings and text/plain: JSON needs a same-origin script.
  if (type !== "application/json") throw new HttpError(415, "send the body as application/json");
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (declared > MAX_BODY_BYTES) throw new HttpError(413, `the body is larger than ${MAX_BODY_BYTES} bytes`);
  const body = await readBoundedBody(req, MAX_BODY_BYTES);
  if (!body) throw new HttpError(413, `the body is larger than ${MAX_BODY_BYTES} bytes`);
  let v: unknown;
  try {
    v = JSON.parse(body.toString("utf8"));
  } catch {
    throw new HttpError(400, "the body is not JSON");
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new HttpError(400, "the body must be a JSON object");
  return v as Record<string, unknown>;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...SECURITY_HEADERS, ...headers });
  res.end(JSON.stringify(body, (_k, v) => (typeof v === "bigint" ? Number(v) : v)));
}

