import { tenantApi } from "../api.ts";
import { useLive } from "../live.ts";
import { LineChart, StateTimeline, type Point } from "../charts.tsx";
import { num, pct, time, words } from "../format.ts";
import { PageState } from "./PageState.tsx";

type Row = Record<string, unknown>;
interface MachineData {
  data: { machine: string; site: Row[]; states: Row[]; hourly: Row[]; anomalies: Row[]; forecasts: Row[]; alerts: Row[] };
}

const t = (v: unknown) => Date.parse(String(v));
const n = (v: unknown) => (typeof v === "number" ? v : null);

function bySeries(rows: Row[]): Map<string, Row[]> {
  const m = new Map<string, Row[]>();
  for (const r of rows) {
    const k = String(r.series_id);
    m.set(k, [...(m.get(k) ?? []), r]);
  }
  return m;
}

export function Machine(p: { tenant: string; id: string }) {
  const live = useLive<MachineData>(tenantApi(p.tenant, `machines/${encodeURIComponent(p.id)}`));
  const d = live.data?.data;
  const hourly: Point[] = (d?.hourly ?? []).map((h) => ({ t: t(h.hour), y: n(h.utilization) }));
  const oee: Point[] = (d?.hourly ?? []).map((h) => ({ t: t(h.hour), y: n(h.oee) }));
  const states = (d?.states ?? []).map((s) => ({ t: t(s.ts), state: String(s.state) }));
  const until = states.length ? states[states.length - 1]!.t + 600_000 : 0;
  return (
    <>
      <h1>Machine {p.id}</h1>
      <PageState live={live} />
      {d && (
        <>
          <p>Plant {String(d.site[0]?.site_id ?? "–")}</p>
          <h2>State</h2>
          <StateTimeline label="State over the last 4 hours" states={states} until={until} />
          <h2>Utilisation and OEE per hour</h2>
          <LineChart label="Utilisation" points={hourly} yMin={0} yMax={1} />
          <LineChart label="OEE" points={oee} yMin={0} yMax={1} />
          <h2>Anomalies</h2>
          {[...bySeries(d.anomalies)].map(([series, rows]) => (
            <LineChart
              key={series}
              label={`${series}: observed, expected interval, anomalies`}
              points={rows.map((r) => ({ t: t(r.ts), y: n(r.y), lo: n(r.lower_bound), hi: n(r.upper_bound), mark: r.is_anomaly === true }))}
            />
          ))}
          {d.anomalies.length === 0 && <p className="empty">No scored points for this machine yet (the retraining flow scores them).</p>}
          <h2>Forecast</h2>
          {[...bySeries(d.forecasts)].map(([series, rows]) => (
            <LineChart key={series} label={`${series}: forecast with its interval`} points={rows.map((r) => ({ t: t(r.ts), y: n(r.forecast), lo: n(r.lower_bound), hi: n(r.upper_bound) }))} />
          ))}
          {d.forecasts.length === 0 && <p className="empty">No forecast for this machine yet.</p>}
          <h2>Hours</h2>
          <table>
            <caption>Per hour</caption>
            <thead><tr><th scope="col">Hour</th><th scope="col">Utilisation</th><th scope="col">OEE</th><th scope="col">Availability</th><th scope="col">Performance</th><th scope="col">Quality</th></tr></thead>
            <tbody>
              {d.hourly.map((h) => (
                <tr key={String(h.hour)}><td>{time(h.hour)}</td><td>{pct(h.utilization)}</td><td>{pct(h.oee)}</td><td>{pct(h.availability)}</td><td>{pct(h.performance)}</td><td>{pct(h.quality)}</td></tr>
              ))}
            </tbody>
          </table>
          <h2>Alerts</h2>
          <table>
            <caption>Alert windows of this machine</caption>
            <thead><tr><th scope="col">Window</th><th scope="col">Rule</th><th scope="col">Severity</th><th scope="col">Breaches</th></tr></thead>
            <tbody>
              {d.alerts.map((a) => (
                <tr key={`${String(a.rule_id)}${String(a.window_start)}`}><td>{time(a.window_start)}</td><td>{String(a.rule_id)}</td><td>{words(a.severity)}</td><td>{num(a.breaches, 0)}</td></tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </>
  );
}
