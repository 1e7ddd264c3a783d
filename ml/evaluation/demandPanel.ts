/**
 * A generated panel of demand-like hourly series (issue 24, part 2): what a meter's or a line's
 * demand looks like when its daily and weekly pattern is a share of its level, not a fixed amount.
 * Each series: a level (log-uniform, 20–2000 units an hour), an hour-of-day shape (a morning and an
 * evening peak of random size and hour) times a day-of-week factor (weekends 0.4–0.9 of a weekday),
 * one or two level shifts (×0.6–1.6, at a random hour after the first two weeks), and multiplicative
 * AR(1) noise (σ 0.08–0.25 on the log scale, φ 0.5), as counts (rounded, never below 0). Seeded: the
 * same panel every run; no series is tuned to.
 */
import type { Series } from "../contract.ts";
import { makeSeries } from "../series.ts";
import { seededRandom } from "../trainers/random.ts";

export interface DemandPanelOptions {
  readonly series?: number;
  readonly weeks?: number;
  readonly seed?: number;
  /** First hour (a Monday 00:00 UTC keeps the weeks on the calendar). */
  readonly start?: Date;
}

export function demandPanel(o: DemandPanelOptions = {}): Series[] {
  const r = seededRandom(o.seed ?? 20260224).next;
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const start = o.start ?? new Date("2026-01-05T00:00:00Z");
  const hours = (o.weeks ?? 10) * 168;
  const out: Series[] = [];
  for (let k = 0; k < (o.series ?? 24); k++) {
    const level0 = 20 * 100 ** r();
    const morning = { at: 7 + 3 * r(), size: 0.5 + 1.5 * r() };
    const evening = { at: 17 + 3 * r(), size: 0.3 + 1.5 * r() };
    const night = 0.1 + 0.3 * r();
    const weekend = [0.4 + 0.5 * r(), 0.4 + 0.5 * r()];
    const friday = 0.8 + 0.3 * r();
    const shifts = Array.from({ length: 1 + Math.floor(2 * r()) }, () => ({ at: 336 + Math.floor(r() * (hours - 336)), factor: 0.6 + r() }));
    const sigma = 0.08 + 0.17 * r();
    let ar = 0;
    const values: number[] = [];
    for (let t = 0; t < hours; t++) {
      const h = t % 24;
      const dow = Math.floor(t / 24) % 7;
      const bump = (p: { at: number; size: number }) => p.size * Math.exp(-0.5 * ((h - p.at) / 1.5) ** 2);
      const shape = night + bump(morning) + bump(evening) + (h >= 8 && h < 18 ? 0.5 : 0);
      const day = dow === 5 ? weekend[0]! : dow === 6 ? weekend[1]! : dow === 4 ? friday : 1;
      let level = level0;
      for (const s of shifts) if (t >= s.at) level *= s.factor;
      ar = 0.5 * ar + sigma * Math.sqrt(1 - 0.25) * gauss();
      values.push(Math.max(0, Math.round(level * shape * day * Math.exp(ar))));
    }
    out.push(makeSeries(`demand:${k}`, start, 3_600_000, values, "panel"));
  }
  return out;
}
