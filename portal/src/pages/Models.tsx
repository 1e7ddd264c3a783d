import { tenantApi } from "../api.ts";
import { useLive } from "../live.ts";
import { num, time } from "../format.ts";
import { PageState } from "./PageState.tsx";

interface Version {
  model: string; version: number; algorithm: string; status: string; reason: string | null; createdAt: string | null;
  metrics: Record<string, number | null>; baseline: Record<string, number | null>; champion: boolean; drift: string | null;
}

const metricText = (m: Record<string, number | null>) => Object.entries(m).map(([k, v]) => `${k} ${num(v, 3)}`).join(", ") || "–";

export function Models(p: { tenant: string }) {
  const live = useLive<{ models: { versions: Version[] } | { error: string } | null }>(tenantApi(p.tenant, "models"));
  const m = live.data?.models;
  return (
    <>
      <h1>Models</h1>
      <PageState live={live} />
      {live.data && !m && <p>This hub does not report its model registry.</p>}
      {m && "error" in m && <p role="alert" className="error">The registry is unavailable: {m.error}</p>}
      {m && !("error" in m) && (
        <table>
          <caption>Registered versions and the gate's decision on each</caption>
          <thead><tr><th scope="col">Model</th><th scope="col">Version</th><th scope="col">Algorithm</th><th scope="col">Decision</th><th scope="col">Reason</th><th scope="col">Metrics</th><th scope="col">Baseline</th><th scope="col">Drift</th><th scope="col">Registered</th></tr></thead>
          <tbody>
            {m.versions.map((v) => (
              <tr key={`${v.model}:${v.version}`}>
                <td>{v.model}{v.champion ? " (champion)" : ""}</td><td>{v.version}</td><td>{v.algorithm}</td><td>{v.status}</td><td>{v.reason ?? "–"}</td>
                <td>{metricText(v.metrics)}</td><td>{metricText(v.baseline)}</td><td>{v.drift ?? "–"}</td><td>{time(v.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {m && !("error" in m) && m.versions.length === 0 && <p className="empty">No model registered yet: run <code>scripts/retrain.ts</code>.</p>}
    </>
  );
}
