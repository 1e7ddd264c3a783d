/**
 * The fleet a tenant runs, as the simulator needs it: sites with their machines, energy meters,
 * air-quality sensors and RFID stations, the job mix, the shift calendar and the fault rates.
 * One schema (zod) checks a spec wherever it comes from — a tenant's stack file (`fleet:*` keys,
 * see `fleetStackFile.ts`) or a spec built in code — and an error names the field and the value.
 * `resolveFleet` fills the defaults and derives what the simulator uses per site: the hourly load
 * table, the products' cumulative weights and the mean time of each product at each station.
 */
import { z } from "zod";
import { FAULT_KINDS, DEFAULT_FAULT_RATES, type FaultKind } from "./faultInjection.ts";
import { weeklyLoadTable, WEEKDAYS } from "./fleetCalendar.ts";
import { ID_PATTERN, PRODUCT_PATTERN } from "../pipelines/ingest/idGrammar.ts";

// The ids the simulator writes are the ids `scripts/load.ts` accepts: one grammar (idGrammar.ts).
const id = (what: string) => z.string().regex(ID_PATTERN, `${what}: lower-case letters, digits, '-' or '_' (at most 64)`);
const productName = (what: string, max: number) =>
  z.string().max(max).regex(PRODUCT_PATTERN, `${what}: letters, digits, '-', '_' or '.', starting with a letter or digit`);
const weight = z.number().positive().finite();
const fraction = z.number().min(0).max(1);

const shiftSchema = z.strictObject({
  name: id("shift name"),
  /** Hour the shift starts (0–23), local time of the site. */
  start: z.number().int().min(0).max(23),
  /** Hour it ends (1–24); smaller than `start` for a shift across midnight. */
  end: z.number().int().min(1).max(24),
  /** Share of the full workforce on shift, 0–1: drives machine use, job releases, energy and air. */
  staffing: fraction,
});

const calendarSchema = z.strictObject({
  shifts: z.array(shiftSchema).min(1),
  /** Factor on staffing per weekday (mon … sun), default 1; e.g. `{ sat: 0.45, sun: 0.1 }`. */
  dayFactors: z.partialRecord(z.enum(WEEKDAYS), fraction).optional(),
  /** The site's offset from UTC in whole hours (shifts are local time). */
  utcOffsetHours: z.number().int().min(-12).max(14).optional(),
});

const productSchema = z.strictObject({
  product: productName("product", 64),
  /** Relative share of jobs. */
  weight,
  /** Variants and their relative shares (default: one variant, STD). */
  variants: z.record(productName("variant", 32), weight).optional(),
  /** Mean seconds a job of this product spends being worked at each station (default: derived). */
  stationMeanS: z.record(z.string(), z.number().min(1).max(86_400)).optional(),
});

const siteSchema = z.strictObject({
  siteId: id("site id"),
  machines: z.number().int().min(0).max(10_000),
  energyMeters: z.number().int().min(0).max(1_000),
  airSensors: z.number().int().min(0).max(1_000),
  /** RFID stations in the order jobs visit them (empty: no jobs). */
  stations: z.array(id("station")).max(50),
  /** Jobs released per hour at full staffing. */
  jobsPerHour: z.number().min(0).max(3_600),
  /** The station jobs queue at: its times are scaled so that its load at full staffing is `bottleneckLoad`. */
  bottleneck: z.string().optional(),
  /** Load (utilisation) of the bottleneck station at full staffing, below 1 so its queue stays finite. Default 0.9. */
  bottleneckLoad: z.number().min(0.05).max(0.97).optional(),
  /** Parallel workplaces per station (default 1). */
  stationCapacity: z.record(z.string(), z.number().int().min(1).max(100)).optional(),
  jobMix: z.array(productSchema).min(1).optional(),
  calendar: calendarSchema.optional(),
});

const faultRatesSchema = z.partialRecord(z.enum(FAULT_KINDS), z.number().min(0).max(24));

export const tenantFleetSchema = z.strictObject({
  tenantId: id("tenant id"),
  sites: z.array(siteSchema).min(1),
  /** Default calendar of the tenant's sites. */
  calendar: calendarSchema.optional(),
  /** Expected faults per device per day, by kind (a missing kind: its default; 0: none). */
  faults: faultRatesSchema.optional(),
});

export type ShiftSpec = z.infer<typeof shiftSchema>;
export type CalendarSpec = z.infer<typeof calendarSchema>;
export type ProductSpec = z.infer<typeof productSchema>;
export type SiteSpec = Readonly<z.infer<typeof siteSchema>>;
export type TenantFleetSpec = Readonly<z.infer<typeof tenantFleetSchema>>;

export class FleetSpecError extends Error {
  override readonly name = "FleetSpecError";
}

/** The default week: early 06–14, late 14–22, a small night crew; Saturday reduced, Sunday nearly idle. */
export const DEFAULT_CALENDAR: CalendarSpec = {
  shifts: [
    { name: "early", start: 6, end: 14, staffing: 1 },
    { name: "late", start: 14, end: 22, staffing: 0.85 },
    { name: "night", start: 22, end: 6, staffing: 0.2 },
  ],
  dayFactors: { sat: 0.45, sun: 0.1 },
};

/** Products when a site names none: shares and how much slower or faster than the station's base time. */
const DEFAULT_PRODUCTS = [
  { product: "P-100", weight: 5, factor: 1, variants: { STD: 6, PRO: 3, XL: 1 } },
  { product: "P-200", weight: 3, factor: 1.25, variants: { STD: 5, PRO: 5 } },
  { product: "P-300", weight: 2, factor: 0.7, variants: { STD: 1 } },
];
/** Load of a non-bottleneck station at full staffing when the site gives no times. */
const DEFAULT_STATION_LOAD = 0.5;

export interface ResolvedProduct {
  readonly product: string;
  readonly variants: readonly string[];
  /** Cumulative variant shares, last = 1. */
  readonly variantCdf: Float64Array;
  /** Mean work seconds per station, in `stations` order. */
  readonly meanS: Float64Array;
}

export interface ResolvedSite {
  readonly spec: SiteSpec;
  /** Load (0–1) by hour of the week, UTC, Monday 00:00 UTC first: see `fleetCalendar.ts`. */
  readonly load: Float64Array;
  readonly products: readonly ResolvedProduct[];
  readonly productCdf: Float64Array;
  readonly capacity: Int32Array;
  /** Load of each station at full staffing (for the summary and the checks). */
  readonly stationLoad: readonly number[];
  /** Shift name by local hour of day, for operator pools. */
  readonly shiftByHour: readonly number[];
  readonly utcOffsetHours: number;
}

export interface ResolvedTenant {
  readonly tenantId: string;
  readonly sites: readonly ResolvedSite[];
  readonly faultRates: Readonly<Record<FaultKind, number>>;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const k of path) v = v && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

function fieldName(path: readonly PropertyKey[]): string {
  return path.map((k, i) => (typeof k === "number" ? `[${k}]` : `${i ? "." : ""}${String(k)}`)).join("");
}

/** Check a tenant's spec; the error names the tenant, the field path and the value. */
export function parseTenantFleet(input: unknown, where = "fleet", keyPrefix = ""): TenantFleetSpec {
  const r = tenantFleetSchema.safeParse(input);
  if (!r.success) {
    const lines = r.error.issues.slice(0, 5).map((i) => {
      const field = i.path.length ? (i.path[0] === "tenantId" && keyPrefix ? "hub:tenantId" : `${keyPrefix}${fieldName(i.path)}`) : "";
      const v = valueAt(input, i.path);
      return `${where}${field ? ` ${field}` : ""}: ${v === undefined ? "missing" : JSON.stringify(v)} is not valid: ${i.message}`;
    });
    throw new FleetSpecError(lines.join("\n"));
  }
  return r.data;
}

function cdf(weights: readonly number[]): Float64Array {
  const total = weights.reduce((a, b) => a + b, 0);
  const out = new Float64Array(weights.length);
  let acc = 0;
  weights.forEach((w, i) => (out[i] = acc += w / total));
  out[out.length - 1] = 1;
  return out;
}

function resolveSite(site: SiteSpec, calendar: CalendarSpec, where: string): ResolvedSite {
  const fail = (field: string, value: unknown, why: string) => {
    throw new FleetSpecError(`${where} ${field}: ${JSON.stringify(value)} is not valid: ${why}`);
  };
  const stations = site.stations;
  if (new Set(stations).size !== stations.length) fail("stations", stations, "station names must be distinct");
  if (site.bottleneck !== undefined && !stations.includes(site.bottleneck)) fail("bottleneck", site.bottleneck, `not one of the site's stations (${stations.join(", ") || "none"})`);
  for (const s of Object.keys(site.stationCapacity ?? {})) if (!stations.includes(s)) fail(`stationCapacity.${s}`, s, `not one of the site's stations (${stations.join(", ")})`);
  const capacity = Int32Array.from(stations, (s) => site.stationCapacity?.[s] ?? 1);
  const interarrivalS = site.jobsPerHour > 0 ? 3600 / site.jobsPerHour : 0;

  const mix = site.jobMix ?? DEFAULT_PRODUCTS.map((p) => ({ product: p.product, weight: p.weight, variants: p.variants, stationMeanS: undefined, factor: p.factor }));
  const shares = cdf(mix.map((p) => p.weight));
  const share = (i: number) => shares[i]! - (i ? shares[i - 1]! : 0);
  // Without given times, a station's base time loads it to DEFAULT_STATION_LOAD at full staffing.
  const meanFactor = mix.reduce((a, p, i) => a + share(i) * ("factor" in p ? p.factor : 1), 0);
  const products = mix.map((p, i) => {
    for (const s of Object.keys(p.stationMeanS ?? {})) if (!stations.includes(s)) fail(`jobMix[${i}].stationMeanS.${s}`, s, `not one of the site's stations (${stations.join(", ")})`);
    const factor = "factor" in p ? p.factor / meanFactor : 1;
    const meanS = Float64Array.from(stations, (s, k) => p.stationMeanS?.[s] ?? DEFAULT_STATION_LOAD * interarrivalS * capacity[k]! * factor);
    const variants = Object.keys(p.variants ?? { STD: 1 });
    return { product: p.product, variants, variantCdf: cdf(Object.values(p.variants ?? { STD: 1 })), meanS };
  });
  const loadOf = (k: number) => (site.jobsPerHour / 3600) * products.reduce((a, p, i) => a + share(i) * p.meanS[k]!, 0) / capacity[k]!;
  if (site.bottleneck !== undefined && site.jobsPerHour > 0) {
    const k = stations.indexOf(site.bottleneck);
    const target = site.bottleneckLoad ?? 0.9;
    const scale = target / loadOf(k);
    for (const p of products) p.meanS[k] = p.meanS[k]! * scale;
    for (let j = 0; j < stations.length; j++) {
      if (j !== k && loadOf(j) >= target) fail(`stations`, stations[j], `station ${stations[j]} is loaded ${loadOf(j).toFixed(2)} at full staffing, not below the bottleneck ${site.bottleneck}'s ${target}: shorten its stationMeanS or add stationCapacity`);
    }
  }
  const stationLoad = stations.map((_, k) => loadOf(k));
  stationLoad.forEach((l, k) => {
    // Above 1 the queue grows without bound and scans drift ever further into the future.
    if (l >= 0.98) fail("jobsPerHour", site.jobsPerHour, `station ${stations[k]} would be loaded ${l.toFixed(2)} (jobsPerHour × mean seconds / 3600 / capacity): it must stay below 0.98`);
  });

  let table: ReturnType<typeof weeklyLoadTable>;
  try {
    table = weeklyLoadTable(calendar, where);
  } catch (e) {
    throw new FleetSpecError((e as Error).message);
  }
  const { load, shiftByHour } = table;
  return { spec: site, load, products, productCdf: shares, capacity, stationLoad, shiftByHour, utcOffsetHours: calendar.utcOffsetHours ?? 0 };
}

/** Check a tenant's spec and derive what the simulator runs on. */
export function resolveTenantFleet(input: unknown, where?: string): ResolvedTenant {
  const spec = parseTenantFleet(input, where ?? `fleet of ${JSON.stringify((input as { tenantId?: unknown })?.tenantId ?? "?")}`);
  const name = where ?? `fleet of ${spec.tenantId}`;
  const siteIds = spec.sites.map((s) => s.siteId);
  const dup = siteIds.find((s, i) => siteIds.indexOf(s) !== i);
  if (dup) throw new FleetSpecError(`${name} sites: ${JSON.stringify(dup)} is not valid: site ids must be distinct`);
  return {
    tenantId: spec.tenantId,
    sites: spec.sites.map((s, i) => resolveSite(s, s.calendar ?? spec.calendar ?? DEFAULT_CALENDAR, `${name} sites[${i}]`)),
    faultRates: Object.fromEntries(FAULT_KINDS.map((k) => [k, spec.faults?.[k] ?? DEFAULT_FAULT_RATES[k]])) as Record<FaultKind, number>,
  };
}
