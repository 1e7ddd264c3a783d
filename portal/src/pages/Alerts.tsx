import { useState } from "react";
import { postJson, tenantApi } from "../api.ts";
import { useLive } from "../live.ts";
import { num, time, words } from "../format.ts";
import { PageState } from "./PageState.tsx";

type Row = Record<string, unknown>;

function AckButton(p: { tenant: string; csrf: string; alert: Row; done: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const label = `Acknowledge ${String(p.alert.rule_id)} on ${String(p.alert.device_id)} at ${time(p.alert.window_start)}`;
  const ack = async () => {
    setBusy(true);
    setError(null);
    try {
      await postJson(tenantApi(p.tenant, "alerts/ack"), { device_id: p.alert.device_id, rule_id: p.alert.rule_id, window_start: p.alert.window_start }, p.csrf);
      p.done();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" onClick={ack} disabled={busy} aria-label={label}>{busy ? "Acknowledging…" : "Acknowledge"}</button>
      {error && <span role="alert" className="error"> {error}</span>}
    </>
  );
}

function AlertTable(p: { caption: string; rows: Row[]; children: (a: Row) => React.ReactNode; last: string }) {
  return (
    <table>
      <caption>{p.caption}</caption>
      <thead>
        <tr><th scope="col">Window</th><th scope="col">Plant</th><th scope="col">Device</th><th scope="col">Rule</th><th scope="col">Severity</th><th scope="col">Breaches</th><th scope="col">{p.last}</th></tr>
      </thead>
      <tbody>
        {p.rows.map((a) => (
          <tr key={`${String(a.device_id)}|${String(a.rule_id)}|${String(a.window_start)}`} className={a.severity === "CRITICAL" ? "critical-row" : undefined}>
            <td>{time(a.window_start)}</td><td>{String(a.site_id)}</td><td>{String(a.device_id)}</td>
            <td title={String(a.description ?? "")}>{String(a.rule_id)}</td><td>{words(a.severity)}</td><td>{num(a.breaches, 0)}</td>
            <td>{p.children(a)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Alerts(p: { tenant: string; csrf: string }) {
  const live = useLive<{ data: { alerts: Row[] } }>(tenantApi(p.tenant, "alerts"));
  const all = live.data?.data.alerts ?? [];
  const open = all.filter((a) => !a.acknowledged_at);
  const acked = all.filter((a) => a.acknowledged_at);
  return (
    <>
      <h1>Alerts</h1>
      <PageState live={live} />
      {live.data && (
        <>
          <h2>Open ({open.length})</h2>
          {open.length === 0 ? <p className="empty">No open alerts.</p> : (
            <AlertTable caption="Open alerts, newest first" rows={open} last="Action">
              {(a) => <AckButton tenant={p.tenant} csrf={p.csrf} alert={a} done={live.reload} />}
            </AlertTable>
          )}
          <h2>Acknowledged ({acked.length})</h2>
          {acked.length === 0 ? <p className="empty">None acknowledged yet.</p> : (
            <AlertTable caption="Acknowledged alerts: who and when" rows={acked} last="Acknowledged">
              {(a) => <>{String(a.acknowledged_by)}, {time(a.acknowledged_at)}</>}
            </AlertTable>
          )}
        </>
      )}
    </>
  );
}
