/**
 * The portal's sign-in sessions: a random token in an HttpOnly, SameSite=Strict cookie names a
 * session kept here (server side: the cookie carries no claim a client could forge), with an idle
 * expiry and an absolute one. Each session holds its own CSRF token, which every state-changing
 * call must send back in a header (OWASP's synchronizer-token pattern,
 * https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html).
 * Sessions live in memory: a restart of `serve` signs everyone out, which is the safe direction.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";

export const SESSION_COOKIE = "hub_portal";
export const CSRF_HEADER = "x-csrf-token";

export interface PortalSession {
  readonly token: string;
  readonly csrf: string;
  /** The user's name as the users file holds it (upper case). */
  readonly user: string;
  readonly tenant: string;
  /** The tenant's role: every query of this session runs as it. */
  readonly role: string;
  readonly createdAt: number;
  lastSeenAt: number;
}

export interface SessionLimits {
  /** A session unused this long is gone; default 30 minutes. */
  readonly idleMs?: number;
  /** A session is gone this long after sign-in, used or not; default 12 hours. */
  readonly absoluteMs?: number;
  /** Sessions one user may hold at once (the oldest goes); default 10. */
  readonly perUser?: number;
  /** Sessions in all; beyond it the oldest goes; default 10 000. */
  readonly total?: number;
}

/** A cookie token: 32 random bytes as hex, nothing else. */
const TOKEN = /^[0-9a-f]{64}$/;

export class PortalSessions {
  private readonly sessions = new Map<string, PortalSession>();
  private readonly idleMs: number;
  private readonly absoluteMs: number;
  private readonly perUser: number;
  private readonly total: number;

  constructor(
    limits: SessionLimits = {},
    private readonly now: () => number = Date.now,
  ) {
    this.idleMs = limits.idleMs ?? 30 * 60_000;
    this.absoluteMs = limits.absoluteMs ?? 12 * 3_600_000;
    this.perUser = limits.perUser ?? 10;
    this.total = limits.total ?? 10_000;
  }

  get size(): number {
    return this.sessions.size;
  }

  create(user: string, tenant: string, role: string): PortalSession {
    const t = this.now();
    const mine = [...this.sessions.values()].filter((s) => s.user === user).sort((a, b) => a.createdAt - b.createdAt);
    while (mine.length >= this.perUser) this.sessions.delete(mine.shift()!.token);
    if (this.sessions.size >= this.total) this.sweep();
    while (this.sessions.size >= this.total) this.sessions.delete(this.sessions.keys().next().value!);
    const s: PortalSession = { token: randomBytes(32).toString("hex"), csrf: randomBytes(32).toString("hex"), user, tenant, role, createdAt: t, lastSeenAt: t };
    this.sessions.set(s.token, s);
    return s;
  }

  /** The live session a request's cookie names, touched; null when none, forged or expired. */
  fromCookie(header: string | undefined): PortalSession | null {
    const token = cookieValue(header, SESSION_COOKIE);
    if (!token || !TOKEN.test(token)) return null;
    const s = this.sessions.get(token);
    if (!s) return null;
    const t = this.now();
    if (t - s.lastSeenAt > this.idleMs || t - s.createdAt > this.absoluteMs) {
      this.sessions.delete(token);
      return null;
    }
    s.lastSeenAt = t;
    return s;
  }

  end(s: PortalSession): void {
    this.sessions.delete(s.token);
  }

  /** Sign a user out everywhere (removed from the users file, or moved). */
  endUser(user: string): void {
    for (const s of [...this.sessions.values()]) if (s.user === user) this.sessions.delete(s.token);
  }

  private sweep(): void {
    const t = this.now();
    for (const s of [...this.sessions.values()]) if (t - s.lastSeenAt > this.idleMs || t - s.createdAt > this.absoluteMs) this.sessions.delete(s.token);
  }
}

/** Whether the request's CSRF header is the session's token (compared in constant time). */
export function csrfMatches(s: PortalSession, header: string | string[] | undefined): boolean {
  if (typeof header !== "string" || header.length !== s.csrf.length) return false;
  return timingSafeEqual(Buffer.from(header), Buffer.from(s.csrf));
}

export function sessionCookie(s: PortalSession, o: { secure: boolean; maxAgeS: number }): string {
  return `${SESSION_COOKIE}=${s.token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${o.maxAgeS}${o.secure ? "; Secure" : ""}`;
}

export function clearedCookie(o: { secure: boolean }): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${o.secure ? "; Secure" : ""}`;
}

/** One cookie's value from a Cookie header (RFC 6265 §5.4: `name=value` pairs separated by `; `). */
export function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}
