/**
 * The benchmark harness: each benchmark returns named figures, each with its unit and the
 * reference it is compared with, measured in the same run (so a figure is a ratio that holds on
 * another machine, not a number of seconds that does not). Other issues add benchmarks to
 * `registry.ts`.
 */
export interface Figure {
  /** Stable dotted name, e.g. `warehouse.normalize_refresh_throughput`. */
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly description: string;
  /** What the value is compared with, measured in the same run. */
  readonly reference?: { readonly name: string; readonly value: number; readonly unit: string };
  /** value / reference.value (or the inverse, as `ratioMeaning` says). */
  readonly ratio?: number;
  readonly ratioMeaning?: string;
  /** The issue's target, on the ratio (default) or on the value itself (e.g. seconds). */
  readonly target?: { readonly op: "<=" | ">=" | "<"; readonly value: number; readonly on?: "ratio" | "value" };
}

export interface BenchOptions {
  /** Scale factor for data sizes; 1 is the issue's size. */
  readonly scale: number;
  readonly progress: (msg: string) => void;
}

export interface Benchmark {
  readonly name: string;
  readonly description: string;
  run(opts: BenchOptions): Promise<Figure[]>;
}

export function meetsTarget(f: Figure): boolean | null {
  if (!f.target) return null;
  const x = f.target.on === "value" ? f.value : f.ratio;
  if (x === undefined) return null;
  const { op, value } = f.target;
  return op === "<=" ? x <= value : op === ">=" ? x >= value : x < value;
}

/** The middle value (the upper middle for an even count): what a bench reports of repeated rounds. */
export function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const t0 = performance.now();
  const result = await fn();
  return { result, ms: performance.now() - t0 };
}

function fmt(v: number): string {
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString("en");
  return Number(v.toPrecision(3)).toString();
}

export function formatFigures(figures: readonly Figure[]): string {
  const rows = figures.map((f) => {
    const ok = meetsTarget(f);
    return [
      f.name,
      `${fmt(f.value)} ${f.unit}`,
      f.reference ? `${fmt(f.reference.value)} ${f.reference.unit} (${f.reference.name})` : "",
      f.ratio !== undefined ? fmt(f.ratio) : "",
      f.target ? `${f.target.on === "value" ? `value ${f.target.op} ${f.target.value} ${f.unit}` : `${f.target.op} ${f.target.value}`}` : "",
      ok === null ? "" : ok ? "ok" : "MISSED",
    ];
  });
  const head = ["figure", "value", "reference (same run)", "ratio", "target", ""];
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(width[i]!)).join("  ").trimEnd();
  return [line(head), width.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}
