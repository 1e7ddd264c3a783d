/**
 * When the sign-in behind the page is gone, the page reloads so the person signs in again, rather
 * than showing failed data calls until someone reloads by hand.
 *
 * - Behind the load balancer (docs/portal.md, "Production"), once the ALB's session ends its answer
 *   to a data call is a redirect to Cognito's sign-in page, on another origin. A fetch with
 *   `redirect: "manual"` does not follow it: a browser gives an "opaqueredirect" response of status
 *   0 (Fetch standard, "opaque-redirect filtered response"); other fetch implementations give the
 *   3xx itself. A reload is a navigation, which the ALB sends to Cognito and back.
 * - The portal answers 401 when its own session has ended (idle, signed out elsewhere, a restart of
 *   the container). A reload of a page then lands on the sign-in page (the server redirects there).
 *
 * A reload that comes back to the same answer (the ALB signs the person in, but the portal refuses
 * their claims for good) must not loop: at most one reload a minute; beyond that the page shows the
 * error. Pure, no DOM types: the page passes in its storage, clock and reload.
 */

/** The parts of a fetch Response this looks at. */
export interface Answer {
  readonly type: string;
  readonly status: number;
}

/** Does this answer to a data call mean the person is no longer signed in? */
export function signInLost(a: Answer): boolean {
  return a.type === "opaqueredirect" || (a.status >= 300 && a.status < 400) || a.status === 401;
}

/** Where the time of the last such reload is kept (sessionStorage: this tab only, gone with it). */
export const RELOAD_KEY = "hub-portal-reloaded-for-sign-in";
/** The least time between two reloads for a lost sign-in. */
export const MIN_RELOAD_GAP_MS = 60_000;

export interface ReloadDeps {
  readonly storage: { getItem(k: string): string | null; setItem(k: string, v: string): void };
  readonly now: number;
  readonly reload: () => void;
}

/** Reload to sign in again, unless this tab did so less than a minute ago; whether it reloaded. */
export function reloadToSignIn(d: ReloadDeps): boolean {
  const last = Number(d.storage.getItem(RELOAD_KEY) ?? NaN);
  if (Number.isFinite(last) && d.now - last >= 0 && d.now - last < MIN_RELOAD_GAP_MS) return false;
  d.storage.setItem(RELOAD_KEY, String(d.now));
  d.reload();
  return true;
}
