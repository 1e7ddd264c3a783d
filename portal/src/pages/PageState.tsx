import type { Live } from "../live.ts";

/** Loading, refusal and error lines a page shows above its data; an update is announced politely. */
export function PageState(p: { live: Live<unknown> }) {
  const { data, error, updatedAt } = p.live;
  return (
    <>
      {!data && !error && <p role="status">Loading…</p>}
      {error && (
        <p role="alert" className="error">
          {error.status === 403 ? "Refused: " : error.status === 401 ? "Signed out: " : ""}
          {error.message}
          {error.status === 401 && <> · <a href="/portal/login">Sign in again</a></>}
        </p>
      )}
      {updatedAt && <p className="updated" aria-live="polite">Updated {updatedAt.toLocaleTimeString("en-GB")}</p>}
    </>
  );
}
