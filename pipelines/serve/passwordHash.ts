/**
 * The users' password hashes (scrypt), apart from the SQL endpoint that checks them at login:
 * `scripts/users.ts add` hashes a password without loading the endpoint's session, transpiler and
 * engine (a CPU second of start-up before it reads standard input).
 */
import { randomBytes, scryptSync, timingSafeEqual } from "node:crypto";

/** `scrypt$<salt hex>$<hash hex>`, as HOME/users.json keeps it. */
export function hashPassword(password: string, salt = randomBytes(16)): string {
  return `scrypt$${salt.toString("hex")}$${scryptSync(password, salt, 32).toString("hex")}`;
}

export function passwordMatches(password: string, stored: string): boolean {
  const [kind, salt, hash] = stored.split("$");
  if (kind !== "scrypt" || !salt || !hash) return false;
  const expected = Buffer.from(hash, "hex");
  const got = scryptSync(password, Buffer.from(salt, "hex"), expected.length);
  return got.length === expected.length && timingSafeEqual(got, expected);
}
