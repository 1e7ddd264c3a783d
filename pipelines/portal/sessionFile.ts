/**
 * Where the portal's password sign-in sessions outlive a restart of `serve`: `HOME/portal-sessions.json`
 * (mode 0600), written whole to a temporary file and renamed over the old one, so a crash leaves
 * either the old file or the new one.
 *
 * It holds no secret: each session is named by the SHA-256 of its cookie token (a 256-bit random
 * value, so the hash cannot be reversed or guessed), and its CSRF token is derived from the cookie
 * token (portalSessions.ts), never stored. Whoever reads the file learns who is signed in and since
 * when, and cannot act as them.
 *
 * A file that is not this format (truncated, edited, another program's) is not trusted in part:
 * `readSessionFile` throws SessionFileCorrupt naming the file and the first fault, and the portal
 * then starts with no sessions, keeps the bad file beside as `.corrupt` and says so in its log
 * (docs/portal.md, "Sessions across restarts"). Losing sessions only asks people to sign in again.
 */
import { chmodSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TENANT_ID_PATTERN, tenantRoleName } from "../definitions/governance.ts";

export const SESSION_FILE_VERSION = 1;

/** One session as the file holds it: the token's hash, never the token. */
export interface StoredSession {
  /** SHA-256 of the cookie token, hex. */
  readonly id: string;
  readonly user: string;
  readonly tenant: string;
  readonly role: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
}

export class SessionFileCorrupt extends Error {
  constructor(
    readonly path: string,
    why: string,
  ) {
    super(`portal session file ${path} is not a session file (${why})`);
  }
}

export function sessionFilePath(home: string): string {
  return join(home, "portal-sessions.json");
}

const ID = /^[0-9a-f]{64}$/;
// A user name as the users file allows it, upper-cased as sessions hold it (pipelines/serve/users.ts).
const USER = /^[A-Z_][A-Z0-9_$]{0,254}$/;

/**
 * The sessions in `path`, or none when there is no file. At most `max` are read (a file grown
 * beyond the bound is refused rather than read into memory whole).
 */
export function readSessionFile(path: string, max: number): StoredSession[] {
  if (!existsSync(path)) return [];
  const st = statSync(path);
  if (!st.isFile()) throw new SessionFileCorrupt(path, "not a regular file");
  // ~200 bytes a session; far beyond that is not a file this portal wrote.
  if (st.size > 1024 + max * 512) throw new SessionFileCorrupt(path, `${st.size} bytes, more than ${max} sessions can take`);
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new SessionFileCorrupt(path, `not JSON: ${(e as Error).message}`);
  }
  const d = doc as { version?: unknown; sessions?: unknown };
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new SessionFileCorrupt(path, "not a JSON object");
  if (d.version !== SESSION_FILE_VERSION) throw new SessionFileCorrupt(path, `version ${JSON.stringify(d.version ?? null)}, expected ${SESSION_FILE_VERSION}`);
  if (!Array.isArray(d.sessions)) throw new SessionFileCorrupt(path, "no sessions list");
  if (d.sessions.length > max) throw new SessionFileCorrupt(path, `${d.sessions.length} sessions, more than the ${max} allowed`);
  const seen = new Set<string>();
  return d.sessions.map((raw, i) => {
    const s = raw as Record<string, unknown>;
    const bad = (field: string) => new SessionFileCorrupt(path, `session ${i}: ${field} ${JSON.stringify(s?.[field] ?? null).slice(0, 80)} is not valid`);
    if (typeof s !== "object" || s === null) throw new SessionFileCorrupt(path, `session ${i} is not an object`);
    if (typeof s.id !== "string" || !ID.test(s.id) || seen.has(s.id)) throw bad("id");
    seen.add(s.id);
    if (typeof s.user !== "string" || !USER.test(s.user)) throw bad("user");
    if (typeof s.tenant !== "string" || !TENANT_ID_PATTERN.test(s.tenant)) throw bad("tenant");
    // A session runs as its tenant's role and no other.
    if (s.role !== tenantRoleName(s.tenant)) throw bad("role");
    if (typeof s.createdAt !== "number" || !Number.isSafeInteger(s.createdAt) || s.createdAt < 0) throw bad("createdAt");
    if (typeof s.lastSeenAt !== "number" || !Number.isSafeInteger(s.lastSeenAt) || s.lastSeenAt < s.createdAt) throw bad("lastSeenAt");
    return { id: s.id, user: s.user, tenant: s.tenant, role: s.role, createdAt: s.createdAt, lastSeenAt: s.lastSeenAt };
  });
}

/** Replace `path` with these sessions: a 0600 temporary file beside it, renamed over it. */
export function writeSessionFile(path: string, sessions: readonly StoredSession[]): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const body = JSON.stringify({ version: SESSION_FILE_VERSION, sessions: sessions.map(({ id, user, tenant, role, createdAt, lastSeenAt }) => ({ id, user, tenant, role, createdAt, lastSeenAt })) });
  writeFileSync(tmp, body, { mode: 0o600 });
  // The mode a file is created with passes through the umask; say it again.
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** Keep a refused file for a person to look at, out of the portal's way. */
export function setAsideCorrupt(path: string): string {
  const aside = `${path}.corrupt`;
  renameSync(path, aside);
  return aside;
}
