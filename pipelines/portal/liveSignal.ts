/**
 * The live stream's poll on Snowflake, without keeping each tenant's warehouse running (issue 23;
 * docs/portal.md, "Live updates in production").
 *
 * On the twin the portal reads each watched tenant's watermark once a second (portalEvents.ts):
 * a handful of MAX/COUNT through the tenant's role. On Snowflake each of those reads runs on the
 * tenant's `bi` warehouse, and one a second keeps it awake (and billed) as long as anyone watches.
 * So on Snowflake the poller asks first what costs no warehouse:
 *
 * - the signal: `SHOW DYNAMIC TABLES` as HUB_PORTAL, which holds MONITOR on the gold tables
 *   (grants.ts). SHOW runs on cloud services and needs no running warehouse
 *   (https://docs.snowflake.com/en/sql-reference/sql/show-dynamic-tables); its `data_timestamp` is
 *   the time each table's contents are current as of. It is the same for every tenant, so one SHOW
 *   per poll serves them all. It moves with every refresh, including one that found nothing new, so
 *   it says "maybe", never a false "no": while it stands still (the pipeline suspended, a monitor
 *   at quota, a stopped DAG) no tenant's warehouse is woken;
 * - the bound: when it moves, a tenant's watermark is read on the warehouse at most once per
 *   `minIntervalMs`. That caps what the live stream costs a tenant (docs/portal.md gives the sum);
 *   a page a person opens or reloads still reads at once.
 */

/** What the poller asks every poll: no warehouse, cloud services only. */
export const PIPELINE_SIGNAL_SQL = "SHOW DYNAMIC TABLES";

/** SHOW DYNAMIC TABLES' rows as one string: each table and its data_timestamp, in a fixed order. */
export function pipelineSignal(rows: ReadonlyArray<Record<string, unknown>>): string {
  const ts = (v: unknown) => (v instanceof Date ? v.toISOString() : v === null || v === undefined ? null : String(v));
  return JSON.stringify(
    rows.map((r) => [`${String(r.schema_name)}.${String(r.name)}`, ts(r.data_timestamp)]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
  );
}

export interface GateOptions {
  /** The tenant's watermark, read on its warehouse. */
  readonly read: (tenant: string) => Promise<string>;
  /** The shared change signal (PIPELINE_SIGNAL_SQL's answer). */
  readonly signal: () => Promise<string>;
  /** The least time between two warehouse reads of one tenant's watermark. */
  readonly minIntervalMs: number;
  /** The wall clock, ms. */
  readonly now: () => number;
  /** Told when the signal cannot be read (then only the bound holds). */
  readonly onSignalError?: (e: Error) => void;
}

export interface GatedWatermark {
  /** The tenant's watermark for the event poller. */
  (tenant: string): Promise<string>;
  /** The next call reads on the warehouse: something the signal cannot see changed (an acknowledgement). */
  forget(tenant: string): void;
}

/**
 * The watermark function for the event poller: the tenant's last watermark while the signal
 * stands still or the bound has not passed; a fresh warehouse read otherwise. The first call per
 * tenant reads (a page just opened). Calls of several tenants at one moment share one signal read.
 */
export function gatedWatermark(o: GateOptions): GatedWatermark {
  const last = new Map<string, { mark: string; signal: string | null; at: number }>();
  let shared: { at: number; value: Promise<string | null> } | null = null;
  const signal = (): Promise<string | null> => {
    const now = o.now();
    // One SHOW per moment, however many tenants poll in it.
    if (shared && now - shared.at < 250) return shared.value;
    const value = o.signal().catch((e: Error) => {
      o.onSignalError?.(e);
      return null;
    });
    shared = { at: now, value };
    return value;
  };
  const gated = async (tenant: string) => {
    const s = await signal();
    const had = last.get(tenant);
    // null: the signal failed, so it cannot vouch for "nothing changed"; the bound still holds.
    if (had && s !== null && s === had.signal) return had.mark;
    if (had && o.now() - had.at < o.minIntervalMs) return had.mark;
    const at = o.now();
    const mark = await o.read(tenant);
    last.set(tenant, { mark, signal: s, at });
    return mark;
  };
  return Object.assign(gated, { forget: (tenant: string) => void last.delete(tenant) });
}
