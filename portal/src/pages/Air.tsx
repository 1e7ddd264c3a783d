import { tenantApi } from "../api.ts";
import { useLive } from "../live.ts";
import { LineChart } from "../charts.tsx";
import { AQI_BANDS, aqiBand, num, time, words } from "../format.ts";
import { PageState } from "./PageState.tsx";

type Row = Record<string, unknown>;

const BANDS = AQI_BANDS.map((b, i) => ({ from: i === 0 ? 0 : AQI_BANDS[i - 1]!.max, to: b.max, color: b.color }));

export function Air(p: { tenant: string }) {
  const live = useLive<{ data: { current: Row[]; hourly: Row[] } }>(tenantApi(p.tenant, "air"));
  const d = live.data?.data;
  const locations = [...new Set((d?.hourly ?? []).map((h) => String(h.location_id)))];
  return (
    <>
      <h1>Air quality</h1>
      <PageState live={live} />
      {d && (
        <>
          <table>
            <caption>Each location now (its latest reading)</caption>
            <thead><tr><th scope="col">Plant</th><th scope="col">Location</th><th scope="col">Reading at</th><th scope="col">PM2.5 µg/m³</th><th scope="col">AQI</th><th scope="col">CO₂ ppm</th><th scope="col">CO₂ band</th></tr></thead>
            <tbody>
              {d.current.map((c) => {
                const band = aqiBand(c.aqi_pm25);
                return (
                  <tr key={String(c.location_id)}>
                    <td>{String(c.site_id)}</td><td>{String(c.location_id)}</td><td>{time(c.ts)}</td><td>{num(c.pm25_ugm3)}</td>
                    <td><span className="badge" style={band ? { background: band.color, color: band.text } : undefined}>{num(c.aqi_pm25, 0)} {words(c.aqi_category)}</span></td>
                    <td>{num(c.co2_ppm, 0)}</td><td>{words(c.co2_band)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <h2>AQI per hour against the EPA bands</h2>
          <p className="hint">The AQI of each hour's mean PM2.5; the shading is the band (green good, yellow moderate, orange unhealthy for sensitive groups, red unhealthy).</p>
          {locations.map((loc) => (
            <LineChart
              key={loc}
              label={`Location ${loc}: AQI per hour`}
              points={d.hourly.filter((h) => String(h.location_id) === loc).map((h) => ({ t: Date.parse(String(h.hour)), y: typeof h.aqi === "number" ? h.aqi : null }))}
              yMin={0}
              yMax={Math.max(100, ...d.hourly.filter((h) => String(h.location_id) === loc).map((h) => Number(h.aqi ?? 0) + 20))}
              bands={BANDS}
            />
          ))}
        </>
      )}
    </>
  );
}
