/**
 * Who is calling one of `serve`'s HTTP APIs (file upload, model invocations): the same users as
 * the SQL endpoint, with the same proofs. A person sends `Authorization: Basic` (user and
 * password, as at the Snowflake login); a tool sends `Authorization: Bearer <JWT>`, the key-pair
 * token Snowflake's SQL API takes, signed with the key it logs in to SQL with. A caller may act for
 * a tenant when it holds that tenant's role, or the hub's admin role.
 */
import type { IncomingMessage } from "node:http";
import { ADMIN_ROLE, TENANT_ID_PATTERN, tenantRoleName } from "../definitions/governance.ts";
import { passwordMatches, type EndpointUser } from "./snowflakeEndpoint.ts";
import { jwtRefusal } from "./snowflakeJwt.ts";
import type { SignInLimiter } from "../portal/signInLimiter.ts";

/**
 * The caller, or why not: `status` 401 (no or wrong credentials) or 429 (too many failed
 * passwords for the name or from the address; `retryAfterS` says how long to wait).
 */
export type Caller = { readonly user: EndpointUser } | { readonly refused: string; readonly status: 401 | 429; readonly retryAfterS?: number };

/**
 * `limiter`: failed passwords allowed per user name and client address (serve: the limiter the
 * SQL login and the portal share, so a guesser cannot move to Basic auth to go on guessing). A name
 * or address over its failures is refused before the password is hashed. Default none.
 */
export function authenticateRequest(req: IncomingMessage, users: readonly EndpointUser[], account: string, limiter?: SignInLimiter): Caller {
  const header = String(req.headers.authorization ?? "");
  const basic = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header);
  if (basic) {
    const text = Buffer.from(basic[1]!, "base64").toString("utf8");
    const colon = text.indexOf(":");
    const name = text.slice(0, Math.max(colon, 0)).toUpperCase();
    const limitKey = name.slice(0, 255);
    const address = req.socket?.remoteAddress ?? "unknown";
    const wait = limiter?.waitS(limitKey, address) ?? 0;
    if (wait > 0) return { refused: `too many failed sign-ins for this user or from this address: try again in ${wait} s`, status: 429, retryAfterS: wait };
    const user = users.find((u) => u.name.toUpperCase() === name);
    // One answer for an unknown user and a wrong password, as at the SQL login.
    if (colon < 0 || !user?.passwordHash || !passwordMatches(text.slice(colon + 1), user.passwordHash)) {
      limiter?.failed(limitKey, address);
      return { refused: "incorrect user name or password", status: 401 };
    }
    limiter?.succeeded(limitKey);
    return { user };
  }
  const bearer = /^Bearer ([A-Za-z0-9_.-]+)$/.exec(header);
  if (bearer) {
    let sub: unknown;
    try {
      sub = JSON.parse(Buffer.from(bearer[1]!.split(".")[1] ?? "", "base64url").toString("utf8")).sub;
    } catch {
      return { refused: "the bearer token is not a JWT", status: 401 };
    }
    const prefix = `${account.toUpperCase()}.`;
    const name = typeof sub === "string" && sub.startsWith(prefix) ? sub.slice(prefix.length) : "";
    const user = users.find((u) => u.name.toUpperCase() === name);
    if (!user || jwtRefusal(bearer[1]!, { account: account.toUpperCase(), user: user.name.toUpperCase() }, user.publicKeys ?? [])) {
      return { refused: "the bearer token is invalid", status: 401 };
    }
    return { user };
  }
  return { refused: "credentials are required: Authorization: Basic (user and password) or Bearer (a key-pair JWT)", status: 401 };
}

/**
 * Whether `user` may act for `tenant`: its role, or the hub's admin role. `tenant` is a path
 * segment the client wrote: one that is no tenant id (ACME, ../x, a look-alike) names no tenant
 * anyone may act for, and is answered "no" here rather than thrown (which serve answered with 500).
 */
export function mayActFor(user: EndpointUser, tenant: string): boolean {
  if (!TENANT_ID_PATTERN.test(tenant)) return false;
  const roles = user.roles.map((r) => r.toUpperCase());
  return roles.includes(tenantRoleName(tenant)) || roles.includes(ADMIN_ROLE);
}
