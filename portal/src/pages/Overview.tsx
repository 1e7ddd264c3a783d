import { useEffect, useState } from "react";
import { tenantApi } from "../api.ts";
import { useLive } from "../live.ts";
import { aqiBand, money, num, pct, time, words } from "../format.ts";
import { Link } from "../router.tsx";
import { PageState } from "./PageState.tsx";

type Row = Record<string, unknown>;
interface CostSummary {
  currency: string;
  money: number;
  warehouses: Array<{ warehouse: string; money: number; quotaMoney: number | null; pctOfQuota: number | null }>;
}
interface OverviewData {
  data: { plants: Row[]; machines: Row[] };
  now: string;
  cost: CostSummary | { error: string } | null;
}

/** Seconds since `last`, counted on from the hub's `now` at fetch time. */
function useSince(last: unknown, now: string | undefined): number | null {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => setTick((x) => x + 1), 1000);
    return () => clearInterval(t);
  }, [now]);
  if (typeof last !== "string" || !now) return null;
  return Math.max(0, Math.round((Date.parse(now) - Date.parse(last)) / 1000) + tick);
}

function Since(p: { last: unknown; now: string | undefined }) {
  const s = useSince(p.last, p.now);
  if (s === null) return <>no data yet</>;
  return <span className={s > 300 ? "stale" : undefined}>{s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`}</span>;
}

function Aqi(p: { value: unknown; category: unknown }) {
  const band = aqiBand(p.value);
  if (!band) return <>–</>;
  return (
    <span className="badge" style={{ background: band.color, color: band.text }}>
      {num(p.value, 0)} {words(p.category ?? band.name)}
    </span>
  );
}

function CostTile(p: { cost: OverviewData["cost"] }) {
  if (!p.cost) return <p>Cost: not reported by this hub.</p>;
  if ("error" in p.cost) return <p role="status">Cost: unavailable ({p.cost.error}).</p>;
  const c = p.cost;
  const quota = c.warehouses.reduce((s, w) => s + (w.quotaMoney ?? 0), 0);
  const own = c.warehouses.reduce((s, w) => s + w.money, 0);
  return (
    <p className="cost-tile">
      Cost this month: <strong>{money(c.money, c.currency)}</strong>
      {quota > 0 && <> · own warehouses {money(own, c.currency)} of a {money(quota, c.currency)} quota ({pct(own / quota)})</>}
    </p>
  );
}

export function Overview(p: { tenant: string }) {
  const live = useLive<OverviewData>(tenantApi(p.tenant, "overview"));
  const d = live.data;
  return (
    <>
      <h1>Fleet overview</h1>
      <PageState live={live} />
      {d && (
        <>
          <CostTile cost={d.cost} />
          <p className="hint">The last 24 hours to {time(d.now)}; open alerts are those nobody acknowledged.</p>
          <div className="plants">
            {d.data.plants.map((s) => (
              <section key={String(s.site_id)} className="plant" aria-labelledby={`plant-${String(s.site_id)}`}>
                <h2 id={`plant-${String(s.site_id)}`}>Plant {String(s.site_id)}</h2>
                <dl>
                  <dt>Utilisation</dt><dd>{pct(s.utilization)}</dd>
                  <dt>OEE</dt><dd>{pct(s.oee)}</dd>
                  <dt>Energy</dt><dd>{num(s.kwh)} kWh{typeof s.peak_kw === "number" ? `, peak ${num(s.peak_kw)} kW` : ""}</dd>
                  <dt>AQI now</dt><dd data-testid={`aqi-now-${String(s.site_id)}`}><Aqi value={s.aqi_now} category={s.aqi_now_category} /></dd>
                  <dt>AQI, worst hourly mean</dt><dd><Aqi value={s.aqi_worst} category={s.aqi_worst_category} /></dd>
                  <dt>Open alerts</dt>
                  <dd>
                    <Link to={`/portal/t/${p.tenant}/alerts`}>{num(s.open_alerts, 0)}</Link>
                    {Number(s.open_critical) > 0 && <span className="critical"> ({num(s.open_critical, 0)} critical)</span>}
                  </dd>
                  <dt>Last data</dt><dd data-testid={`last-data-${String(s.site_id)}`}><Since last={s.last_ingested} now={d.now} /> ago</dd>
                </dl>
              </section>
            ))}
          </div>
          {d.data.plants.length === 0 && <p className="empty">No plant has sent data yet.</p>}
          <h2>Machines</h2>
          <table>
            <caption>Machines, the last 24 hours</caption>
            <thead>
              <tr><th scope="col">Plant</th><th scope="col">Machine</th><th scope="col">State</th><th scope="col">Utilisation</th><th scope="col">OEE</th></tr>
            </thead>
            <tbody>
              {d.data.machines.map((m) => (
                <tr key={String(m.machine_id)}>
                  <td>{String(m.site_id)}</td>
                  <td><Link to={`/portal/t/${p.tenant}/machines/${encodeURIComponent(String(m.machine_id))}`}>{String(m.machine_id)}</Link></td>
                  <td>{words(m.state)}</td>
                  <td>{pct(m.utilization)}</td>
                  <td>{pct(m.oee)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </>
  );
}
