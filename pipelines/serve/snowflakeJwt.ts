/**
 * Key-pair authentication as Snowflake checks it
 * (https://docs.snowflake.com/en/user-guide/key-pair-auth, "Using key-pair authentication" in
 * https://docs.snowflake.com/en/developer-guide/sql-api/authenticating): an RS256 JWT whose `sub`
 * is ACCOUNT.USER, whose `iss` is ACCOUNT.USER.SHA256:<base64 SHA-256 of the public key's DER>,
 * signed by a key set on the user, not expired, living at most an hour. snowflake-sdk 3.x writes
 * `iat` and `exp` in milliseconds (dist/lib/authentication/auth_keypair.js) and Snowflake accepts
 * that: both units are read.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify } from "node:crypto";

/** SHA256:<base64>, as Snowflake shows RSA_PUBLIC_KEY_FP and the driver puts in `iss`. */
export function publicKeyFingerprint(publicKeyPem: string): string {
  return "SHA256:" + createHash("sha256").update(createPublicKey(publicKeyPem).export({ type: "spki", format: "der" })).digest("base64");
}

export interface JwtClaims {
  readonly account: string;
  readonly user: string;
}

/**
 * Why the token would be refused for `expected` (account and user, upper-cased), or null when a key
 * of `publicKeys` signed a valid one. The reason is for logs and tests: the client only hears
 * "JWT token is invalid", as from Snowflake.
 */
export function jwtRefusal(token: string, expected: JwtClaims, publicKeys: readonly string[], now = Date.now()): string | null {
  const parts = token.split(".");
  if (parts.length !== 3) return "the token is not a JWT";
  const [h, p, sig] = parts as [string, string, string];
  let header: { alg?: unknown };
  let payload: { iss?: unknown; sub?: unknown; iat?: unknown; exp?: unknown };
  try {
    header = JSON.parse(Buffer.from(h, "base64url").toString("utf8"));
    payload = JSON.parse(Buffer.from(p, "base64url").toString("utf8"));
  } catch {
    return "the token's header or payload is not JSON";
  }
  if (header.alg !== "RS256") return `alg ${String(header.alg)}, not RS256`;
  const sub = `${expected.account}.${expected.user}`.toUpperCase();
  if (payload.sub !== sub) return `sub ${String(payload.sub)}, not ${sub}`;
  const key = publicKeys.find((k) => verify("RSA-SHA256", Buffer.from(`${h}.${p}`), k, Buffer.from(sig, "base64url")));
  if (!key) return "the signature does not verify with a key set on the user";
  if (payload.iss !== `${sub}.${publicKeyFingerprint(key)}`) return `iss ${String(payload.iss)}, not ${sub}.${publicKeyFingerprint(key)}`;
  const seconds = (t: unknown) => (typeof t === "number" ? (t > 1e11 ? t / 1000 : t) : NaN);
  const [iat, exp] = [seconds(payload.iat), seconds(payload.exp)];
  if (!(exp > now / 1000)) return "expired";
  if (!(exp - iat <= 3600)) return "lives longer than an hour";
  return null;
}

/**
 * A token as the driver writes one (iat now, exp in `lifetimeS`), signed with `privateKeyPem`: how
 * the hub's own tools prove to `serve`'s HTTP APIs who they are, with the key they log in to SQL with.
 */
export function signJwt(claims: JwtClaims, privateKeyPem: string, now = Date.now(), lifetimeS = 60): string {
  const sub = `${claims.account}.${claims.user}`.toUpperCase();
  const key = createPrivateKey(privateKeyPem);
  const iss = `${sub}.${publicKeyFingerprint(createPublicKey(key).export({ type: "spki", format: "pem" }).toString())}`;
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const body = `${b64({ alg: "RS256", typ: "JWT" })}.${b64({ iss, sub, iat: Math.floor(now / 1000), exp: Math.floor(now / 1000) + lifetimeS })}`;
  return `${body}.${sign("RSA-SHA256", Buffer.from(body), key).toString("base64url")}`;
}
