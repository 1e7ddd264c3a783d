/**
 * Sign-out behind the load balancer, as AWS documents it for ALB authentication
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-authenticate-users.html,
 * "Authentication logout"): the application expires the load balancer's authentication session
 * cookies and sends the browser to the identity provider's logout endpoint. Ending only the
 * portal's own session would leave the ALB's cookie valid for its 12 hours: the next request would
 * be signed in again without a password.
 *
 * - The cookies: `AWSELBAuthSessionCookie-0`, `-1`, ... (the ALB splits a large session into
 *   shards); every shard the browser sent is expired, and -0 and -1 always.
 * - Cognito's logout endpoint: `https://<domain>/logout?client_id=<app client>&logout_uri=<url>`,
 *   where the URL must be one of the app client's sign-out URLs
 *   (https://docs.aws.amazon.com/cognito/latest/developerguide/logout-endpoint.html); it ends the
 *   hosted sign-in's own session, so the next visit asks for the password and MFA again.
 */

/** The ALB's default session cookie name (AuthenticateCognitoActionConfig.SessionCookieName). */
export const ALB_SESSION_COOKIE = "AWSELBAuthSessionCookie";

export interface AlbSignOutOptions {
  /** Cognito's hosted domain: `<prefix>.auth.<region>.amazoncognito.com`, or a custom domain. */
  readonly cognitoDomain: string;
  /** The app client the load balancer signs in with. */
  readonly clientId: string;
  /** Where Cognito sends people after sign-out: one of the client's sign-out URLs (https). */
  readonly logoutUri: string;
}

const DOMAIN = /^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const CLIENT_ID = /^[\w+]{1,128}$/;

/** Checks the options; errors name the field and the value. */
export function checkAlbSignOut(o: AlbSignOutOptions): AlbSignOutOptions {
  if (!DOMAIN.test(o.cognitoDomain)) throw new Error(`Cognito domain ${JSON.stringify(o.cognitoDomain)} must be a host name such as hub-portal.auth.eu-west-1.amazoncognito.com`);
  if (!CLIENT_ID.test(o.clientId)) throw new Error(`app client id ${JSON.stringify(o.clientId)} must be letters, digits, _ or +`);
  let u: URL | null = null;
  try {
    u = new URL(o.logoutUri);
  } catch {
    u = null;
  }
  if (!u || u.protocol !== "https:" || u.username || u.password || u.hash) throw new Error(`logout URI ${JSON.stringify(o.logoutUri)} must be an https URL without credentials or fragment`);
  return o;
}

/** Where the browser goes after the portal's sign-out: Cognito's logout endpoint. */
export function cognitoLogoutUrl(o: AlbSignOutOptions): string {
  const u = new URL(`https://${o.cognitoDomain}/logout`);
  u.searchParams.set("client_id", o.clientId);
  u.searchParams.set("logout_uri", o.logoutUri);
  return u.toString();
}

/** Set-Cookie values that expire the load balancer's session cookies the request carried (and -0, -1). */
export function expiredAlbCookies(cookieHeader: string | undefined): string[] {
  const shards = new Set([0, 1]);
  for (const part of (cookieHeader ?? "").split(";")) {
    const m = new RegExp(`^\\s*${ALB_SESSION_COOKIE}-(\\d{1,2})=`).exec(part);
    if (m) shards.add(Number(m[1]));
  }
  // Max-Age=-1 is AWS's "expiration time -1"; Expires in the past for browsers that read only it.
  return [...shards].sort((a, b) => a - b).map((n) => `${ALB_SESSION_COOKIE}-${n}=; Path=/; Max-Age=-1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Secure; HttpOnly`);
}
