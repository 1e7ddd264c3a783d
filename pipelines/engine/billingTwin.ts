/**
 * The local billing twin: warehouse credits as Snowflake meters them
 * (https://docs.snowflake.com/en/user-guide/cost-understanding-compute#virtual-warehouse-credit-usage):
 * credits per hour by size, billed per second while running, with a 60-second minimum each time a
 * warehouse resumes; cloud-services credits per query, of which the part up to 10 % of the day's
 * compute is not billed. Credits are kept per warehouse and UTC hour, the grain of
 * WAREHOUSE_METERING_HISTORY.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { CONTROL_SCHEMA } from "./controlTables.ts";
import { sqlTimestamp } from "./clock.ts";
import type { WarehouseSize } from "../definitions/types.ts";

export const CREDITS_PER_HOUR: Readonly<Record<WarehouseSize, number>> = {
  XSMALL: 1,
  SMALL: 2,
  MEDIUM: 4,
  LARGE: 8,
  XLARGE: 16,
  XXLARGE: 32,
  XXXLARGE: 64,
  X4LARGE: 128,
  X5LARGE: 256,
  X6LARGE: 512,
};

export const MINIMUM_BILLED_SECONDS = 60;

/**
 * Cloud-services credits a query uses in this model (compilation, metadata). Snowflake does not
 * publish a per-query figure; this keeps them small beside compute, as they are in practice, so
 * the daily 10 % adjustment has something to adjust.
 */
export const CLOUD_SERVICES_CREDITS_PER_QUERY = 0.00001;

/** The share of a day's compute credits up to which cloud services are not billed. */
export const CLOUD_SERVICES_FREE_SHARE = 0.1;

export function creditsPerHour(size: string): number {
  const rate = CREDITS_PER_HOUR[size.toUpperCase() as WarehouseSize];
  if (rate === undefined) throw new Error(`warehouse size ${JSON.stringify(size)} is not one of ${Object.keys(CREDITS_PER_HOUR).join(", ")}`);
  return rate;
}

const HOUR_MS = 3_600_000;

function hourStart(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

/**
 * Credits of one running period, split over the UTC hours it spans. Whole seconds are billed
 * (a started second counts); a period shorter than the minimum is billed as the minimum, the
 * difference falling in the hour it resumed.
 */
export function periodCredits(
  start: Date,
  end: Date,
  rate: number,
  /** false while the period is still running: credits accrue continuously up to `end`. */
  closed = true,
): Array<{ hour: Date; credits: number; seconds: number }> {
  const s = start.getTime();
  const elapsed = Math.max(0, end.getTime() - s);
  const billedEnd = s + (closed ? Math.ceil(elapsed / 1000) * 1000 : elapsed);
  const out: Array<{ hour: Date; credits: number; seconds: number }> = [];
  for (let h = hourStart(s); h < billedEnd; h += HOUR_MS) {
    const from = Math.max(s, h);
    const to = Math.min(billedEnd, h + HOUR_MS);
    const seconds = (to - from) / 1000;
    out.push({ hour: new Date(h), credits: (seconds * rate) / 3600, seconds });
  }
  const billed = (billedEnd - s) / 1000;
  if (billed < MINIMUM_BILLED_SECONDS) {
    const topUp = MINIMUM_BILLED_SECONDS - billed;
    if (out.length === 0) out.push({ hour: new Date(hourStart(s)), credits: 0, seconds: 0 });
    out[0]!.credits += (topUp * rate) / 3600;
    out[0]!.seconds += topUp;
  }
  return out;
}

interface HourRow {
  warehouse: string;
  hour: number;
  compute: number;
  cloud: number;
}

interface Period {
  readonly warehouse: string;
  readonly size: string;
  readonly start: Date;
  readonly end: Date;
}

/**
 * Per-warehouse, per-hour credits. Periods closed since the engine opened are kept exactly, so a
 * monitor can ask what was used at any instant; earlier ones come back as the hour rows persisted.
 */
export class BillingTwin {
  /** Hour rows as loaded (earlier sessions). */
  private readonly loaded = new Map<string, HourRow>();
  private readonly periods: Period[] = [];
  private readonly cloud = new Map<string, number>();
  private dirtyHours = new Set<string>();

  closePeriod(warehouse: string, size: string, start: Date, end: Date): void {
    this.periods.push({ warehouse, size, start, end });
    for (const p of periodCredits(start, end, creditsPerHour(size))) this.dirtyHours.add(`${warehouse}|${p.hour.getTime()}`);
  }

  chargeQuery(warehouse: string, at: Date, credits = CLOUD_SERVICES_CREDITS_PER_QUERY): void {
    const key = `${warehouse}|${hourStart(at.getTime())}`;
    this.cloud.set(key, (this.cloud.get(key) ?? 0) + credits);
    this.dirtyHours.add(key);
  }

  /**
   * Compute credits of these warehouses in [from, to), `from` an hour boundary: earlier sessions
   * by hour, this session's periods exactly, open periods (start, size) billed up to `to`.
   */
  used(warehouses: readonly string[], from: Date, to: Date, open: ReadonlyMap<string, { start: Date; size: string }>): number {
    // A period seen whole is billed whole; one cut at `to` has accrued continuously so far.
    const clip = (p: { start: Date; end: Date; size: string }, closed: boolean) => {
      if (p.start >= to) return 0;
      const whole = closed && p.end <= to;
      let c = 0;
      for (const x of periodCredits(p.start, whole ? p.end : to, creditsPerHour(p.size), whole)) if (x.hour >= from) c += x.credits;
      return c;
    };
    let total = 0;
    for (const r of this.loaded.values()) {
      if (warehouses.includes(r.warehouse) && r.hour >= from.getTime() && r.hour < to.getTime()) total += r.compute;
    }
    for (const p of this.periods) if (warehouses.includes(p.warehouse)) total += clip(p, true);
    for (const w of warehouses) {
      const o = open.get(w);
      if (o) total += clip({ start: o.start, end: to, size: o.size }, false);
    }
    return total;
  }

  /** Hour rows to write: loaded values plus this session's periods and queries. */
  private hourRows(keys: Iterable<string>): HourRow[] {
    const out: HourRow[] = [];
    for (const key of keys) {
      const [warehouse, h] = key.split("|") as [string, string];
      const hour = Number(h);
      const base = this.loaded.get(key);
      let compute = base?.compute ?? 0;
      for (const p of this.periods) {
        if (p.warehouse !== warehouse) continue;
        for (const x of periodCredits(p.start, p.end, creditsPerHour(p.size))) if (x.hour.getTime() === hour) compute += x.credits;
      }
      out.push({ warehouse, hour, compute, cloud: (base?.cloud ?? 0) + (this.cloud.get(key) ?? 0) });
    }
    return out;
  }

  async load(c: DuckDBConnection): Promise<void> {
    const r = await c.runAndReadAll(
      `SELECT warehouse_name, start_time, credits_used_compute, credits_used_cloud_services FROM ${CONTROL_SCHEMA}.WAREHOUSE_METERING`,
    );
    this.loaded.clear();
    for (const [w, h, compute, cloud] of r.getRowsJS()) {
      const hour = (h as Date).getTime();
      this.loaded.set(`${String(w)}|${hour}`, { warehouse: String(w), hour, compute: Number(compute), cloud: Number(cloud) });
    }
  }

  /** The metering rows changed since the last call, as one upsert (or none). */
  takePersistSql(): string[] {
    if (this.dirtyHours.size === 0) return [];
    const rows = this.hourRows(this.dirtyHours);
    this.dirtyHours = new Set();
    const values = rows
      .map((r) => `('${r.warehouse.replaceAll("'", "''")}', TIMESTAMP '${sqlTimestamp(new Date(r.hour))}', ${r.compute}, ${r.cloud})`)
      .join(", ");
    return [
      `INSERT INTO ${CONTROL_SCHEMA}.WAREHOUSE_METERING (warehouse_name, start_time, credits_used_compute, credits_used_cloud_services) ` +
        `VALUES ${values} ON CONFLICT (warehouse_name, start_time) DO UPDATE SET credits_used_compute = excluded.credits_used_compute, ` +
        `credits_used_cloud_services = excluded.credits_used_cloud_services`,
    ];
  }

  async persist(c: DuckDBConnection): Promise<void> {
    for (const sql of this.takePersistSql()) await c.run(sql);
  }
}
