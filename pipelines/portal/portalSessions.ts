/**
 * The portal's sign-in sessions: a random token in an HttpOnly, SameSite=Strict cookie names a
 * session kept here (server side: the cookie carries no claim a client could forge), with an idle
 * expiry and an absolute one. Each session has its own CSRF token, which every state-changing call
 * must send back in a header (OWASP's synchronizer-token pattern,
 * https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html);
 * it is a one-way function of the cookie token, so only the holder of the cookie can know it and the
 * server need not keep it.
 *
 * Sessions are kept by the SHA-256 of their token, never the token. With `file` they are written to
 * it (sessionFile.ts) at every sign-in and sign-out, and their last use at most once a minute, and
 * read back at start: a restart of `serve` signs nobody out. A sign-out is on disk before it is
 * answered (else a restart could bring the session back); a lost "last used" only ends a session
 * up to a minute early.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { SessionFileCorrupt, readSessionFile, setAsideCorrupt, writeSessionFile, type StoredSession } from "./sessionFile.ts";

export const SESSION_COOKIE = "hub_portal";
export const CSRF_HEADER = "x-csrf-token";

export interface PortalSession {
  /** The cookie's token: held in memory for the request that brought it, never stored. */
  readonly token: string;
  readonly csrf: string;
  /** The user's name as the users file holds it (upper case). */
  readonly user: string;
  readonly tenant: string;
  /** The tenant's role: every query of this session runs as it. */
  readonly role: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
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

export interface SessionPersistence {
  /** The session file (sessionFile.ts: HOME/portal-sessions.json). */
  readonly path: string;
  /** Whether a session read back may stay (serve: its tenant is still served); default all. */
  readonly accept?: (s: StoredSession) => boolean;
  readonly log?: (level: "info" | "warn", msg: string, fields?: Record<string, unknown>) => void;
  /** Longest a session's last use waits to be written; default 60 s. */
  readonly touchFlushMs?: number;
}

/** A cookie token: 32 random bytes as hex, nothing else. */
const TOKEN = /^[0-9a-f]{64}$/;

/** The name a session is kept under: the token's SHA-256 (the token is 256 random bits: no salt or key needed). */
export function sessionId(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** The session's CSRF token, from its cookie token: unknowable without the cookie, and not the stored id. */
export function csrfOf(token: string): string {
  return createHash("sha256").update("hub-portal-csrf\0").update(token).digest("hex");
}

type Entry = { -readonly [K in keyof StoredSession]: StoredSession[K] };

export class PortalSessions {
  private readonly sessions = new Map<string, Entry>();
  private readonly idleMs: number;
  private readonly absoluteMs: number;
  private readonly perUser: number;
  private readonly total: number;
  private savedAt = 0;
  private dirty = false;

  constructor(
    limits: SessionLimits = {},
    private readonly now: () => number = Date.now,
    private readonly file?: SessionPersistence,
  ) {
    this.idleMs = limits.idleMs ?? 30 * 60_000;
    this.absoluteMs = limits.absoluteMs ?? 12 * 3_600_000;
    this.perUser = limits.perUser ?? 10;
    this.total = limits.total ?? 10_000;
    if (file) this.load(file);
  }

  get size(): number {
    return this.sessions.size;
  }

  create(user: string, tenant: string, role: string): PortalSession {
    const t = this.now();
    const mine = [...this.sessions.values()].filter((s) => s.user === user).sort((a, b) => a.createdAt - b.createdAt);
    while (mine.length >= this.perUser) this.sessions.delete(mine.shift()!.id);
    if (this.sessions.size >= this.total) this.sweep();
    while (this.sessions.size >= this.total) this.sessions.delete(this.sessions.keys().next().value!);
    const token = randomBytes(32).toString("hex");
    const e: Entry = { id: sessionId(token), user, tenant, role, createdAt: t, lastSeenAt: t };
    this.sessions.set(e.id, e);
    this.save();
    return view(token, e);
  }

  /** The live session a request's cookie names, touched; null when none, forged or expired. */
  fromCookie(header: string | undefined): PortalSession | null {
    const token = cookieValue(header, SESSION_COOKIE);
    if (!token || !TOKEN.test(token)) return null;
    const id = sessionId(token);
    const e = this.sessions.get(id);
    if (!e) return null;
    const t = this.now();
    if (this.expired(e, t)) {
      // Expired stays expired: the file drops it at its next write.
      this.sessions.delete(id);
      this.dirty = true;
      return null;
    }
    e.lastSeenAt = t;
    this.dirty = true;
    if (this.file && t - this.savedAt >= (this.file.touchFlushMs ?? 60_000)) this.save();
    return view(token, e);
  }

  end(s: PortalSession): void {
    if (this.sessions.delete(sessionId(s.token))) this.save();
  }

  /** Sign a user out everywhere (removed from the users file, or moved). */
  endUser(user: string): void {
    let n = 0;
    for (const e of [...this.sessions.values()]) if (e.user === user && this.sessions.delete(e.id)) n++;
    if (n) this.save();
  }

  /** Write what is not yet on disk (serve's stop). */
  flush(): void {
    if (this.dirty) this.save();
  }

  private expired(e: Entry, t: number): boolean {
    return t - e.lastSeenAt > this.idleMs || t - e.createdAt > this.absoluteMs;
  }

  private sweep(): void {
    const t = this.now();
    for (const e of [...this.sessions.values()]) if (this.expired(e, t)) this.sessions.delete(e.id);
  }

  private save(): void {
    this.dirty = !this.file;
    if (!this.file) return;
    this.sweep();
    writeSessionFile(this.file.path, [...this.sessions.values()]);
    this.savedAt = this.now();
  }

  private load(file: SessionPersistence): void {
    let stored: StoredSession[];
    try {
      stored = readSessionFile(file.path, this.total);
    } catch (e) {
      if (!(e instanceof SessionFileCorrupt)) throw e;
      const aside = setAsideCorrupt(file.path);
      file.log?.("warn", "portal sessions not restored: the session file is refused, everyone signs in again", { reason: e.message, keptAs: aside });
      stored = [];
    }
    const t = this.now();
    let dropped = 0;
    for (const s of stored) {
      if (this.expired(s, t) || !(file.accept?.(s) ?? true)) dropped++;
      else this.sessions.set(s.id, { ...s });
    }
    if (stored.length) file.log?.("info", "portal sessions restored", { restored: this.sessions.size, dropped });
    // Pruned, and the file's mode made 0600 again, at once.
    this.save();
  }
}

function view(token: string, e: Entry): PortalSession {
  return { token, csrf: csrfOf(token), user: e.user, tenant: e.tenant, role: e.role, createdAt: e.createdAt, lastSeenAt: e.lastSeenAt };
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
