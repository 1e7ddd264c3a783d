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

export type Caller = { readonly user: EndpointUser } | { readonly refused: string };

export function authenticateRequest(req: IncomingMessage, users: readonly EndpointUser[], account: string): Caller {
  const header = String(req.headers.authorization ?? "");
  const basic = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header);
  if (basic) {
    const text = Buffer.from(basic[1]!, "base64").toString("utf8");
    const colon = text.indexOf(":");
    const name = text.slice(0, Math.max(colon, 0)).toUpperCase();
    const user = users.find((u) => u.name.toUpperCase() === name);
    // One answer for an unknown user and a wrong password, as at the SQL login.
    if (colon < 0 || !user?.passwordHash || !passwordMatches(text.slice(colon + 1), user.passwordHash)) return { refused: "incorrect user name or password" };
    return { user };
  }
  const bearer = /^Bearer ([A-Za-z0-9_.-]+)$/.exec(header);
  if (bearer) {
    let sub: unknown;
    try {
      sub = JSON.parse(Buffer.from(bearer[1]!.split(".")[1] ?? "", "base64url").toString("utf8")).sub;
    } catch {
      return { refused: "the bearer token is not a JWT" };
    }
    const prefix = `${account.toUpperCase()}.`;
    const name = typeof sub === "string" && sub.startsWith(prefix) ? sub.slice(prefix.length) : "";
    const user = users.find((u) => u.name.toUpperCase() === name);
    if (!user || jwtRefusal(bearer[1]!, { account: account.toUpperCase(), user: user.name.toUpperCase() }, user.publicKeys ?? [])) {
      return { refused: "the bearer token is invalid" };
    }
    return { user };
  }
  return { refused: "credentials are required: Authorization: Basic (user and password) or Bearer (a key-pair JWT)" };
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
