/**
 * Air quality categories. PM2.5 uses the US EPA AQI breakpoints as revised in February 2024
 * (https://www.epa.gov/system/files/documents/2024-02/pm-naaqs-air-quality-index-fact-sheet.pdf);
 * CO2 uses indoor ventilation bands (about 400 ppm outdoors; ~1000 ppm is the usual guideline).
 * The EPA index is defined on 24-hour means; "current" applies it to the latest reading, as
 * consumer monitors do, and says so in the column comment.
 */
import type { Dialect } from "../dialect/index.ts";

export interface AqiBreakpoint {
  readonly cLow: number;
  readonly cHigh: number;
  readonly iLow: number;
  readonly iHigh: number;
  readonly category: string;
}

export const PM25_BREAKPOINTS: readonly AqiBreakpoint[] = [
  { cLow: 0.0, cHigh: 9.0, iLow: 0, iHigh: 50, category: "GOOD" },
  { cLow: 9.1, cHigh: 35.4, iLow: 51, iHigh: 100, category: "MODERATE" },
  { cLow: 35.5, cHigh: 55.4, iLow: 101, iHigh: 150, category: "UNHEALTHY_FOR_SENSITIVE_GROUPS" },
  { cLow: 55.5, cHigh: 125.4, iLow: 151, iHigh: 200, category: "UNHEALTHY" },
  { cLow: 125.5, cHigh: 225.4, iLow: 201, iHigh: 300, category: "VERY_UNHEALTHY" },
  { cLow: 225.5, cHigh: 325.4, iLow: 301, iHigh: 500, category: "HAZARDOUS" },
];

export const CO2_BANDS: ReadonlyArray<{ readonly upTo: number; readonly band: string }> = [
  { upTo: 800, band: "GOOD" },
  { upTo: 1000, band: "MODERATE" },
  { upTo: 1500, band: "POOR" },
  { upTo: Number.POSITIVE_INFINITY, band: "VERY_POOR" },
];

/** EPA truncates PM2.5 to one decimal before looking up the breakpoint. */
function truncatePm25(pm25: number): number {
  return Math.floor(pm25 * 10) / 10;
}

/** The AQI number for a PM2.5 concentration (µg/m³), 500 above the top breakpoint. */
export function pm25Aqi(pm25: number): number {
  const c = truncatePm25(pm25);
  const bp = PM25_BREAKPOINTS.find((b) => c <= b.cHigh);
  if (!bp) return 500;
  return Math.round(((bp.iHigh - bp.iLow) / (bp.cHigh - bp.cLow)) * (c - bp.cLow) + bp.iLow);
}

export function pm25Category(pm25: number): string {
  const c = truncatePm25(pm25);
  return (PM25_BREAKPOINTS.find((b) => c <= b.cHigh) ?? PM25_BREAKPOINTS[PM25_BREAKPOINTS.length - 1]!).category;
}

export function co2Band(ppm: number): string {
  return CO2_BANDS.find((b) => ppm <= b.upTo)!.band;
}

/** SQL: the AQI number for a PM2.5 expression. */
export function pm25AqiSql(d: Dialect, pm25: string): string {
  const c = `(FLOOR(${pm25} * 10) / 10)`;
  const arms = PM25_BREAKPOINTS.map(
    (b) =>
      `WHEN ${c} <= ${b.cHigh} THEN ROUND((${b.iHigh - b.iLow}.0 / ${(b.cHigh - b.cLow).toFixed(1)}) * (${c} - ${b.cLow}) + ${b.iLow})`,
  );
  return `CASE WHEN ${pm25} IS NULL THEN NULL ${arms.join(" ")} ELSE 500 END`;
}

/** SQL: the category for a PM2.5 expression. */
export function pm25CategorySql(d: Dialect, pm25: string): string {
  const c = `(FLOOR(${pm25} * 10) / 10)`;
  const arms = PM25_BREAKPOINTS.map((b) => `WHEN ${c} <= ${b.cHigh} THEN ${d.literal(b.category)}`);
  return `CASE WHEN ${pm25} IS NULL THEN NULL ${arms.join(" ")} ELSE ${d.literal("HAZARDOUS")} END`;
}

export function co2BandSql(d: Dialect, ppm: string): string {
  const arms = CO2_BANDS.filter((b) => Number.isFinite(b.upTo)).map(
    (b) => `WHEN ${ppm} <= ${b.upTo} THEN ${d.literal(b.band)}`,
  );
  return `CASE WHEN ${ppm} IS NULL THEN NULL ${arms.join(" ")} ELSE ${d.literal("VERY_POOR")} END`;
}
