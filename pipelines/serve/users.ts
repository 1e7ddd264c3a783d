/**
 * The people and service users who may log in to a served hub (`HOME/users.json`, mode 0600), as
 * Snowflake users hold a password or RSA public keys and are granted roles. A tenant's user holds
 * only that tenant's role, so every statement it runs goes through the tenant's row access.
 * Passwords are kept as scrypt hashes and public keys as PEM; nothing here is a secret in clear.
 *
 * `serve` reads the file again when it changes, so `scripts/users.ts add` takes effect at the
 * next login without a restart.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { createPublicKey } from "node:crypto";
import { dirname, join } from "node:path";
import { tenantRoleName } from "../definitions/governance.ts";
import type { EndpointUser } from "./snowflakeEndpoint.ts";

export interface UserRecord extends EndpointUser {
  /** The tenant a person or tool belongs to; null for the hub's own operators. */
  readonly tenant: string | null;
  readonly createdAt: string;
}

interface UsersFile {
  readonly version: 1;
  readonly users: readonly UserRecord[];
}

/** Snowflake's unquoted identifiers, which is how the driver sends LOGIN_NAME: letters, digits, _ and $. */
const USER_NAME = /^[A-Za-z_][A-Za-z0-9_$]{0,254}$/;

export function usersPath(home: string): string {
  return join(home, "users.json");
}

export function checkUserName(name: string): string {
  if (!USER_NAME.test(name)) {
    throw new Error(`user name ${JSON.stringify(name)} is not a Snowflake identifier: a letter or _, then letters, digits, _ or $ (at most 255)`);
  }
  return name.toUpperCase();
}

export function readUsers(path: string): UserRecord[] {
  if (!existsSync(path)) return [];
  let data: UsersFile;
  try {
    data = JSON.parse(readFileSync(path, "utf8")) as UsersFile;
  } catch (e) {
    throw new Error(`${path} is not a users file (${(e as Error).message})`);
  }
  if (data?.version !== 1 || !Array.isArray(data.users)) throw new Error(`${path}: users file version ${JSON.stringify(data?.version)} is not supported (1)`);
  return [...data.users];
}

function writeUsers(path: string, users: readonly UserRecord[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify({ version: 1, users } satisfies UsersFile, null, 2), { mode: 0o600 });
  renameSync(tmp, path);
}

export interface NewUser {
  readonly name: string;
  /** A tenant id: the user gets that tenant's role only. Absent: `roles` must say which hub roles. */
  readonly tenant?: string;
  readonly roles?: readonly string[];
  readonly passwordHash?: string;
  readonly publicKeys?: readonly string[];
}

/** Add a user, or replace its credentials if it exists with the same tenant. */
export function addUser(path: string, u: NewUser, now = new Date()): UserRecord {
  const name = checkUserName(u.name);
  if (!u.passwordHash && !u.publicKeys?.length) throw new Error(`user ${name}: give a password or a public key`);
  for (const k of u.publicKeys ?? []) {
    try {
      if (createPublicKey(k).asymmetricKeyType !== "rsa") throw new Error("not an RSA key");
    } catch (e) {
      throw new Error(`user ${name}: the public key is not an RSA public key in PEM (${(e as Error).message})`);
    }
  }
  const roles = u.tenant ? [tenantRoleName(u.tenant)] : (u.roles ?? []).map((r) => r.toUpperCase());
  if (roles.length === 0) throw new Error(`user ${name}: give a tenant, or the roles it is granted`);
  const users = readUsers(path);
  const existing = users.find((x) => x.name === name);
  if (existing && existing.tenant !== (u.tenant ?? null)) {
    throw new Error(`user ${name} belongs to ${existing.tenant ? `tenant ${existing.tenant}` : "the hub's operators"}; remove it first to move it`);
  }
  const record: UserRecord = {
    name, tenant: u.tenant ?? null, roles, defaultRole: roles[0]!,
    ...(u.passwordHash ? { passwordHash: u.passwordHash } : {}),
    ...(u.publicKeys?.length ? { publicKeys: [...u.publicKeys] } : {}),
    createdAt: existing?.createdAt ?? now.toISOString(),
  };
  writeUsers(path, [...users.filter((x) => x.name !== name), record]);
  return record;
}

/** Remove a user; false when there was none of that name. */
export function removeUser(path: string, name: string, tenant?: string): boolean {
  const upper = checkUserName(name);
  const users = readUsers(path);
  const existing = users.find((x) => x.name === upper);
  if (!existing) return false;
  if (tenant !== undefined && existing.tenant !== tenant) throw new Error(`user ${upper} is not a user of tenant ${tenant}`);
  writeUsers(path, users.filter((x) => x.name !== upper));
  return true;
}

/**
 * The users file as the endpoint reads it at each login: parsed again only when the file changed.
 * A file that cannot be read keeps the last good list (and says why once), so a half-edited file
 * never logs everyone out.
 */
export function usersSource(path: string, extra: readonly EndpointUser[], log: (msg: string) => void): () => readonly EndpointUser[] {
  let stamp = "";
  let cached: readonly EndpointUser[] = extra;
  return () => {
    const st = existsSync(path) ? statSync(path) : null;
    const now = st ? `${st.mtimeMs}:${st.size}` : "none";
    if (now === stamp) return cached;
    // Read once per change of the file; a bad one is said once and read again when it changes.
    stamp = now;
    try {
      cached = [...extra, ...readUsers(path).filter((u) => !extra.some((e) => e.name === u.name))];
    } catch (e) {
      log((e as Error).message);
    }
    return cached;
  };
}
