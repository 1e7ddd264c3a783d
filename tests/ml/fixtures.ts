/** Synthetic hourly series with known structure, shared by the ML tests (seeded: the same every run). */
import type { Series } from "../../ml/contract.ts";
import { makeSeries } from "../../ml/series.ts";
import { seededRandom } from "../../ml/trainers/random.ts";

export const HOUR = 3_600_000;
/** A Monday, so hour-of-week slots start at 0. */
export const MONDAY = new Date("2026-01-05T00:00:00Z");

export function gaussian(seed: number): () => number {
  const r = seededRandom(seed).next;
  return () => {
    let s = 0;
    for (let i = 0; i < 12; i++) s += r();
    return s - 6;
  };
}

/** Two shifts (06–22 busier), quieter weekends, AR(1) noise: what a utilisation or energy series looks like. */
export function shiftSeries(days: number, seed = 1, id = "util:m-001"): { series: Series; values: number[] } {
  const g = gaussian(seed);
  const values: number[] = [];
  let ar = 0;
  for (let i = 0; i < days * 24; i++) {
    const h = i % 24;
    const dow = Math.floor(i / 24) % 7;
    ar = 0.6 * ar + 3 * g();
    values.push(50 + (h >= 6 && h < 22 ? 30 : 0) + (dow >= 5 ? -20 : 0) + ar);
  }
  return { series: makeSeries(id, MONDAY, HOUR, values, "acme"), values };
}
