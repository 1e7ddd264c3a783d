/**
 * The portal's calls to its server (pipelines/portal/portalServer.ts): same origin, the session
 * cookie sent by the browser, the CSRF token (from sign-in or /session) on every POST. A data call
 * that finds the sign-in gone reloads the page to sign in again (signInLost.ts).
 */
import { reloadToSignIn, signInLost } from "./signInLost.ts";

export interface Me {
  readonly user: string;
  readonly tenant: string;
  readonly csrf: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The sign-in behind the page is gone (signInLost.ts): reload, once a minute at most, to sign in again. */
function lost(): ApiError {
  reloadToSignIn({ storage: sessionStorage, now: Date.now(), reload: () => location.reload() });
  return new ApiError(401, "signed out: signing in again (reload the page if nothing happens)");
}

async function answer<T>(r: Response, reloadWhenSignedOut = true): Promise<T> {
  if (reloadWhenSignedOut && signInLost(r)) throw lost();
  const body = r.status === 204 ? null : await r.json().catch(() => null);
  if (!r.ok) throw new ApiError(r.status, (body as { error?: string } | null)?.error ?? `${r.status} ${r.statusText}`);
  return body as T;
}

// `redirect: "manual"`: a redirect to Cognito (the ALB's session ended) is seen, not followed into a CORS failure.
export async function getJson<T>(path: string): Promise<T> {
  return answer<T>(await fetch(path, { credentials: "same-origin", redirect: "manual", headers: { accept: "application/json" } }));
}

/** The signed-in person, without reloading when there is none (the sign-in page asks this). */
export async function currentSession(): Promise<Me> {
  const r = await fetch("/api/portal/session", { credentials: "same-origin", redirect: "manual", headers: { accept: "application/json" } });
  if (!r.ok) throw new ApiError(r.status === 0 ? 401 : r.status, `${r.status} ${r.statusText}`);
  return (await r.json()) as Me;
}

/** After the live stream broke: is the sign-in gone? Then reload (signInLost.ts). */
export async function checkSignIn(): Promise<void> {
  const r = await fetch("/api/portal/session", { credentials: "same-origin", redirect: "manual", headers: { accept: "application/json" } }).catch(() => null);
  if (r && signInLost(r)) lost();
}

/** `reloadWhenSignedOut` false for the sign-in itself, where a 401 is a wrong password. */
export async function postJson<T>(path: string, body: unknown, csrf?: string, reloadWhenSignedOut = true): Promise<T> {
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
  if (csrf) headers["x-csrf-token"] = csrf;
  return answer<T>(await fetch(path, { method: "POST", credentials: "same-origin", redirect: "manual", headers, body: JSON.stringify(body) }), reloadWhenSignedOut);
}

export const session = currentSession;
export const signIn = (user: string, password: string) => postJson<Me>("/api/portal/login", { user, password }, undefined, false);
/** Behind the load balancer the answer names Cognito's logout URL, where the page must go next (albSignOut.ts). */
export const signOut = (csrf: string) => postJson<{ signOutUrl?: string } | null>("/api/portal/logout", {}, csrf);
export const tenantApi = (tenant: string, rest: string) => `/api/portal/tenants/${encodeURIComponent(tenant)}/${rest}`;
