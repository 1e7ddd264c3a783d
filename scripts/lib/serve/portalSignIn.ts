/**
 * `serve --portal-sign-in`: how people sign in to the portal. `users` (the default) checks the
 * users file's passwords; `cognito-alb` trusts nothing but the load balancer's signed Cognito
 * claims (pipelines/portal/albIdentity.ts), as the production task runs it (infra/aws/portal.ts).
 */
import { UserError } from "../command.ts";
import { AlbIdentity } from "../../../pipelines/portal/albIdentity.ts";
import { checkAlbSignOut, type AlbSignOutOptions } from "../../../pipelines/portal/albSignOut.ts";

export const PORTAL_SIGN_IN = ["users", "cognito-alb"] as const;

export interface PortalSignInFlags {
  readonly mode?: string;
  readonly albArn?: string;
  readonly userPoolId?: string;
  readonly clientId?: string;
  /** Cognito's hosted domain and the sign-out URL it returns people to (sign-out ends the ALB's session too). */
  readonly cognitoDomain?: string;
  readonly logoutUri?: string;
}

/**
 * The sign-out settings for `cognito-alb` (both or neither flag; undefined without them, when only
 * the portal's session ends), undefined for `users`; a bad flag is a UserError naming it.
 */
export function portalSignOut(f: PortalSignInFlags): AlbSignOutOptions | undefined {
  const given = [["--portal-cognito-domain", f.cognitoDomain], ["--portal-logout-uri", f.logoutUri]] as const;
  const set = given.filter(([, v]) => v !== undefined);
  if (set.length === 0) return undefined;
  if ((f.mode ?? "users") !== "cognito-alb") throw new UserError(`${set.map(([k]) => k).join(", ")} only go with --portal-sign-in cognito-alb`);
  if (set.length !== 2) throw new UserError(`${given.filter(([, v]) => v === undefined).map(([k]) => k).join(", ")} must be given with ${set.map(([k]) => k).join(", ")}`);
  try {
    return checkAlbSignOut({ cognitoDomain: f.cognitoDomain!, clientId: f.clientId ?? "", logoutUri: f.logoutUri! });
  } catch (e) {
    throw new UserError(`--portal-sign-in cognito-alb: ${(e as Error).message}`);
  }
}

/** The portal's identity for `cognito-alb`, undefined for `users`; a missing or bad flag is a UserError naming it. */
export function portalIdentity(f: PortalSignInFlags): AlbIdentity | undefined {
  const mode = f.mode ?? "users";
  if (!(PORTAL_SIGN_IN as readonly string[]).includes(mode)) throw new UserError(`--portal-sign-in ${JSON.stringify(mode)} is not one of ${PORTAL_SIGN_IN.join(", ")}`);
  const given = [["--portal-alb-arn", f.albArn], ["--portal-user-pool-id", f.userPoolId], ["--portal-client-id", f.clientId]] as const;
  if (mode === "users") {
    const stray = given.filter(([, v]) => v !== undefined).map(([k]) => k);
    if (stray.length) throw new UserError(`${stray.join(", ")} only go with --portal-sign-in cognito-alb`);
    return undefined;
  }
  const missing = given.filter(([, v]) => !v).map(([k]) => k);
  if (missing.length) throw new UserError(`--portal-sign-in cognito-alb needs ${missing.join(", ")}`);
  try {
    return new AlbIdentity({ albArn: f.albArn!, userPoolId: f.userPoolId!, clientId: f.clientId! });
  } catch (e) {
    throw new UserError(`--portal-sign-in cognito-alb: ${(e as Error).message}`);
  }
}
