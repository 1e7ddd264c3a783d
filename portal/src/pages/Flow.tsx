import { tenantApi } from "../api.ts";
import { useLive } from "../live.ts";
import { Bars } from "../charts.tsx";
import { num, time } from "../format.ts";
import { PageState } from "./PageState.tsx";

type Row = Record<string, unknown>;

export function Flow(p: { tenant: string }) {
  const live = useLive<{ data: { bottlenecks: Row[]; paths: Row[]; jobs: Row[] } }>(tenantApi(p.tenant, "flow"));
  const d = live.data?.data;
  return (
    <>
      <h1>Production flow</h1>
      <PageState live={live} />
      {d && (
        <>
          <h2>Bottlenecks</h2>
          <Bars label="Jobs whose longest wait was at each station" rows={d.bottlenecks.map((b) => ({ name: `${String(b.site_id)} ${String(b.station)}`, value: Number(b.jobs), text: `${num(b.jobs, 0)} jobs, mean ${num(Number(b.mean_s) / 60)} min` }))} />
          <h2>Job paths</h2>
          <table>
            <caption>Paths jobs took through the stations</caption>
            <thead><tr><th scope="col">Path</th><th scope="col">Jobs</th><th scope="col">Mean cycle (min)</th></tr></thead>
            <tbody>{d.paths.map((x) => <tr key={String(x.flow_path)}><td>{String(x.flow_path)}</td><td>{num(x.jobs, 0)}</td><td>{num(Number(x.mean_cycle_s) / 60)}</td></tr>)}</tbody>
          </table>
          <h2>Latest jobs</h2>
          <table>
            <caption>The 50 latest jobs</caption>
            <thead><tr><th scope="col">Job</th><th scope="col">Plant</th><th scope="col">Product</th><th scope="col">Path</th><th scope="col">Started</th><th scope="col">Cycle (min)</th><th scope="col">Bottleneck</th></tr></thead>
            <tbody>
              {d.jobs.map((j) => (
                <tr key={String(j.job_id)}><td>{String(j.job_id)}</td><td>{String(j.site_id)}</td><td>{String(j.product_id ?? "–")}</td><td>{String(j.flow_path)}</td><td>{time(j.start_ts)}</td><td>{num(Number(j.cycle_time_s) / 60)}</td><td>{String(j.bottleneck_station ?? "–")}</td></tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </>
  );
}
