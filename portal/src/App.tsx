import { useEffect, useState } from "react";
import { ApiError, session, signOut, type Me } from "./api.ts";
import { startEvents } from "./live.ts";
import { Link, navigate, usePath } from "./router.tsx";
import { Login } from "./pages/Login.tsx";
import { Overview } from "./pages/Overview.tsx";
import { Machine } from "./pages/Machine.tsx";
import { Air } from "./pages/Air.tsx";
import { Flow } from "./pages/Flow.tsx";
import { Alerts } from "./pages/Alerts.tsx";
import { CostPage } from "./pages/Cost.tsx";
import { Models } from "./pages/Models.tsx";

const PAGES = [
  { path: "", name: "Overview" },
  { path: "air", name: "Air quality" },
  { path: "flow", name: "Production flow" },
  { path: "alerts", name: "Alerts" },
  { path: "cost", name: "Cost" },
  { path: "models", name: "Models" },
] as const;

function Shell(p: { me: Me; onSignedOut: () => void }) {
  const path = usePath();
  const [live, setLive] = useState(false);
  useEffect(() => startEvents(setLive), []);
  const base = `/portal/t/${encodeURIComponent(p.me.tenant)}/`;
  const m = /^\/portal\/t\/([^/]+)\/?(.*)$/.exec(path);
  const tenant = m ? decodeURIComponent(m[1]!) : p.me.tenant;
  const rest = m?.[2] ?? "";
  useEffect(() => {
    if (!m) navigate(base);
  }, [m, base]);
  const out = async () => {
    const r = await signOut(p.me.csrf).catch(() => null);
    // Production: on to Cognito's logout, which ends the hosted sign-in and comes back to the portal.
    if (r?.signOutUrl) {
      window.location.assign(r.signOutUrl);
      return;
    }
    p.onSignedOut();
  };
  let page;
  if (tenant !== p.me.tenant) page = <p role="alert" className="error">Refused: you are signed in for {p.me.tenant}, not {tenant}.</p>;
  else if (rest === "" ) page = <Overview tenant={tenant} />;
  else if (rest.startsWith("machines/")) page = <Machine tenant={tenant} id={decodeURIComponent(rest.slice("machines/".length))} />;
  else if (rest === "air") page = <Air tenant={tenant} />;
  else if (rest === "flow") page = <Flow tenant={tenant} />;
  else if (rest === "alerts") page = <Alerts tenant={tenant} csrf={p.me.csrf} />;
  else if (rest === "cost") page = <CostPage tenant={tenant} />;
  else if (rest === "models") page = <Models tenant={tenant} />;
  else page = <p role="alert" className="error">There is no page {path}.</p>;
  return (
    <>
      <a className="skip" href="#main">Skip to the content</a>
      <header>
        <span className="brand">Data Hub · {p.me.tenant}</span>
        <nav aria-label="Pages">
          <ul>
            {PAGES.map((x) => (
              <li key={x.path}><Link to={base + x.path} current={rest === x.path}>{x.name}</Link></li>
            ))}
          </ul>
        </nav>
        <span className="who">
          <span className={live ? "live on" : "live"} title={live ? "updates arrive as the pipeline commits" : "reconnecting"}>{live ? "● live" : "○ offline"}</span>{" "}
          {p.me.user} <button type="button" onClick={out}>Sign out</button>
        </span>
      </header>
      <main id="main" tabIndex={-1}>{page}</main>
    </>
  );
}

export function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  useEffect(() => {
    session().then(setMe, (e: ApiError) => setMe(e.status === 401 ? null : null));
  }, []);
  if (me === undefined) return <p role="status">Loading…</p>;
  if (me === null) {
    return (
      <Login
        onSignedIn={(m) => {
          setMe(m);
          const next = new URLSearchParams(location.search).get("next");
          // Only a path of this portal: never an address elsewhere.
          navigate(next && /^\/portal\/t\/[^/]+\//.test(next) ? next : `/portal/t/${encodeURIComponent(m.tenant)}/`);
        }}
      />
    );
  }
  return (
    <Shell
      me={me}
      onSignedOut={() => {
        setMe(null);
        navigate("/portal/login");
      }}
    />
  );
}
