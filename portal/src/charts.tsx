/**
 * Small SVG charts drawn by React: a line with an optional interval band and marked points, a state
 * timeline and a bar list. Hand-made rather than vega-lite because vega compiles its expressions
 * with `new Function`, which the portal's Content-Security-Policy (no eval) refuses; each chart is
 * an image with a text alternative, and every page shows the same numbers in a table as well.
 */
export interface Point {
  readonly t: number;
  readonly y: number | null;
  readonly lo?: number | null;
  readonly hi?: number | null;
  readonly mark?: boolean;
}

const W = 640;
const H = 180;
const PAD = { l: 44, r: 12, t: 10, b: 24 };

function scale(d0: number, d1: number, r0: number, r1: number) {
  const span = d1 - d0 || 1;
  return (v: number) => r0 + ((v - d0) / span) * (r1 - r0);
}

function hourLabel(t: number): string {
  return new Date(t).toISOString().slice(11, 16);
}

export function LineChart(p: { label: string; points: readonly Point[]; unit?: string; yMin?: number; yMax?: number; bands?: ReadonlyArray<{ from: number; to: number; color: string }> }) {
  const ts = p.points.map((x) => x.t);
  const ys = p.points.flatMap((x) => [x.y, x.lo ?? null, x.hi ?? null]).filter((v): v is number => typeof v === "number");
  if (ts.length === 0 || ys.length === 0) return <p className="empty">{p.label}: no data in the period.</p>;
  const y0 = p.yMin ?? Math.min(0, ...ys);
  const y1 = p.yMax ?? Math.max(...ys) * 1.05;
  const x = scale(Math.min(...ts), Math.max(...ts), PAD.l, W - PAD.r);
  const y = scale(y0, y1, H - PAD.b, PAD.t);
  const line = p.points.filter((q) => q.y !== null).map((q, i) => `${i ? "L" : "M"}${x(q.t).toFixed(1)},${y(q.y!).toFixed(1)}`).join("");
  const banded = p.points.filter((q) => typeof q.lo === "number" && typeof q.hi === "number");
  const band = banded.length
    ? `M${banded.map((q) => `${x(q.t).toFixed(1)},${y(q.hi!).toFixed(1)}`).join("L")}L${[...banded].reverse().map((q) => `${x(q.t).toFixed(1)},${y(q.lo!).toFixed(1)}`).join("L")}Z`
    : null;
  const marks = p.points.filter((q) => q.mark && q.y !== null);
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${p.label}${marks.length ? `, ${marks.length} anomalies marked` : ""}`}>
        {p.bands?.map((b) => {
          const top = y(Math.min(b.to, y1));
          const bottom = y(Math.max(b.from, y0));
          return bottom > top ? <rect key={b.from} x={PAD.l} width={W - PAD.l - PAD.r} y={top} height={bottom - top} fill={b.color} opacity={0.25} /> : null;
        })}
        <line x1={PAD.l} x2={W - PAD.r} y1={H - PAD.b} y2={H - PAD.b} stroke="#555" />
        <line x1={PAD.l} x2={PAD.l} y1={PAD.t} y2={H - PAD.b} stroke="#555" />
        <text x={PAD.l - 4} y={PAD.t + 8} textAnchor="end" className="tick">{fmt(y1)}</text>
        <text x={PAD.l - 4} y={H - PAD.b} textAnchor="end" className="tick">{fmt(y0)}</text>
        <text x={PAD.l} y={H - 6} className="tick">{hourLabel(Math.min(...ts))}</text>
        <text x={W - PAD.r} y={H - 6} textAnchor="end" className="tick">{hourLabel(Math.max(...ts))}</text>
        {band && <path d={band} fill="#1f6fb2" opacity={0.18} />}
        <path d={line} fill="none" stroke="#1f4e79" strokeWidth={2} />
        {/* Points as dots too while there are few: one hour alone draws no line. */}
        {p.points.length <= 48 && p.points.filter((q) => q.y !== null && !q.mark).map((q) => <circle key={`p${q.t}`} cx={x(q.t)} cy={y(q.y!)} r={3} fill="#1f4e79" />)}
        {marks.map((q) => (
          <circle key={q.t} cx={x(q.t)} cy={y(q.y!)} r={5} fill="#b00020" stroke="#fff" strokeWidth={1.5}>
            <title>anomaly at {new Date(q.t).toISOString()}: {fmt(q.y!)}</title>
          </circle>
        ))}
      </svg>
      <figcaption>{p.label}{p.unit ? ` (${p.unit})` : ""}{band ? "; shaded: the interval" : ""}{marks.length ? "; red: anomalies" : ""}</figcaption>
    </figure>
  );
}

const STATE_COLORS: Record<string, string> = { RUNNING: "#2e7d32", IDLE: "#9e9e9e", SETUP: "#f9a825", DOWN: "#c62828" };

export function StateTimeline(p: { label: string; states: ReadonlyArray<{ t: number; state: string }>; until: number }) {
  if (p.states.length === 0) return <p className="empty">{p.label}: no state readings in the period.</p>;
  const t0 = p.states[0]!.t;
  const x = scale(t0, Math.max(p.until, t0 + 1), 0, W);
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} 40`} role="img" aria-label={`${p.label}: ${p.states.length} state changes, last ${p.states[p.states.length - 1]!.state}`}>
        {p.states.map((s, i) => {
          const end = p.states[i + 1]?.t ?? p.until;
          return (
            <rect key={s.t} x={x(s.t)} y={4} width={Math.max(1, x(end) - x(s.t))} height={24} fill={STATE_COLORS[s.state] ?? "#444"}>
              <title>{s.state} from {new Date(s.t).toISOString()}</title>
            </rect>
          );
        })}
      </svg>
      <figcaption>
        {p.label}:{" "}
        {Object.entries(STATE_COLORS).map(([k, c]) => (
          <span key={k} className="legend"><span className="swatch" style={{ background: c }} aria-hidden="true" /> {k.toLowerCase()}</span>
        ))}
      </figcaption>
    </figure>
  );
}

export function Bars(p: { label: string; rows: ReadonlyArray<{ name: string; value: number; text: string }> }) {
  if (p.rows.length === 0) return <p className="empty">{p.label}: nothing yet.</p>;
  const max = Math.max(...p.rows.map((r) => r.value), 1);
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${p.rows.length * 26 + 4}`} role="img" aria-label={`${p.label}: ${p.rows.map((r) => `${r.name} ${r.text}`).join(", ")}`}>
        {p.rows.map((r, i) => (
          <g key={r.name} transform={`translate(0, ${i * 26 + 2})`}>
            <text x={0} y={16} className="tick">{r.name}</text>
            <rect x={180} y={3} height={18} width={Math.max(1, (r.value / max) * (W - 300))} fill="#1f4e79" />
            <text x={188 + (r.value / max) * (W - 300)} y={16} className="tick">{r.text}</text>
          </g>
        ))}
      </svg>
      <figcaption>{p.label}</figcaption>
    </figure>
  );
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2);
}
