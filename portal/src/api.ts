/**
 * The portal's calls to its server (pipelines/portal/portalServer.ts): same origin, the session
 * cookie sent by the browser, the CSRF token (from sign-in or /session) on every POST.
 */
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

async function answer<T>(r: Response): Promise<T> {
  const body = r.status === 204 ? null : await r.json().catch(() => null);
  if (!r.ok) throw new ApiError(r.status, (body as { error?: string } | null)?.error ?? `${r.status} ${r.statusText}`);
  return body as T;
}

export async function getJson<T>(path: string): Promise<T> {
  return answer<T>(await fetch(path, { credentials: "same-origin", headers: { accept: "application/json" } }));
}

export async function postJson<T>(path: string, body: unknown, csrf?: string): Promise<T> {
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
  if (csrf) headers["x-csrf-token"] = csrf;
  return answer<T>(await fetch(path, { method: "POST", credentials: "same-origin", headers, body: JSON.stringify(body) }));
}

export const session = () => getJson<Me>("/api/portal/session");
export const signIn = (user: string, password: string) => postJson<Me>("/api/portal/login", { user, password });
/** Behind the load balancer the answer names Cognito's logout URL, where the page must go next (albSignOut.ts). */
export const signOut = (csrf: string) => postJson<{ signOutUrl?: string } | null>("/api/portal/logout", {}, csrf);
export const tenantApi = (tenant: string, rest: string) => `/api/portal/tenants/${encodeURIComponent(tenant)}/${rest}`;
