/**
 * The warehouses and resource monitors a cost report is about, read the way Snowflake offers them:
 * `SHOW WAREHOUSES` and `SHOW RESOURCE MONITORS` (the usage view ACCOUNT_USAGE.RESOURCE_MONITORS has
 * one number per trigger kind and neither frequency nor start, so the trigger lists and intervals
 * come from SHOW). The same parser reads Snowflake's output and the twin's (pipelines/sql/
 * snowflakeMetadata.ts prints SHOW with Snowflake's columns), so the report sees one shape.
 * Columns as the Terraform provider reads them (pkg/sdk/resource_monitors.go resourceMonitorRow,
 * pkg/sdk/warehouses.go ToWarehouseSize); snowflake-sdk returns SHOW's lower-case names as they are.
 */
import type { MonitorFrequency, WarehouseSize } from "../definitions/types.ts";
import { SHARED_WAREHOUSES } from "../definitions/warehouses.ts";
import { monitorInterval } from "../engine/resourceMonitors.ts";

export interface WarehouseInfo {
  readonly name: string;
  /** The billing size key (XSMALL … X6LARGE), or null for a size the report does not know. */
  readonly size: WarehouseSize | null;
  /** The size as SHOW printed it, for a report to show. */
  readonly sizeShown: string;
  readonly resourceMonitor: string | null;
}

export interface MonitorInfo {
  readonly name: string;
  readonly creditQuota: number | null;
  /** Credits used in the current interval, as the monitor counts them (no usage-view latency). */
  readonly usedCredits: number;
  readonly frequency: MonitorFrequency;
  /** START_TIMESTAMP: intervals count from this instant's UTC midnight. */
  readonly startedAt: Date | null;
  /** END_TIMESTAMP, or null: the monitor runs on. */
  readonly endsAt: Date | null;
  readonly notifyAt: readonly number[];
  readonly suspendAt: readonly number[];
  readonly suspendImmediateAt: readonly number[];
}

/** SHOW WAREHOUSES' size names (X-Small, 2X-Large) and the CREATE WAREHOUSE spellings, to billing keys. */
const SIZES: Readonly<Record<string, WarehouseSize>> = {
  XSMALL: "XSMALL", "X-SMALL": "XSMALL", SMALL: "SMALL", MEDIUM: "MEDIUM", LARGE: "LARGE", XLARGE: "XLARGE", "X-LARGE": "XLARGE",
  XXLARGE: "XXLARGE", X2LARGE: "XXLARGE", "2X-LARGE": "XXLARGE", XXXLARGE: "XXXLARGE", X3LARGE: "XXXLARGE", "3X-LARGE": "XXXLARGE",
  X4LARGE: "X4LARGE", "4X-LARGE": "X4LARGE", X5LARGE: "X5LARGE", "5X-LARGE": "X5LARGE", X6LARGE: "X6LARGE", "6X-LARGE": "X6LARGE",
};

export function warehouseSize(shown: string): WarehouseSize | null {
  return SIZES[shown.trim().toUpperCase()] ?? null;
}

const FREQUENCIES: readonly MonitorFrequency[] = ["DAILY", "WEEKLY", "MONTHLY", "YEARLY", "NEVER"];

/** A value SHOW may print as text ("null", "") or give as a value. */
function text(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  const s = String(v).trim();
  return s === "" || s.toLowerCase() === "null" ? null : s;
}

function number(v: unknown): number | null {
  const s = text(v);
  if (s === null) return null;
  const n = Number(s);
  if (!Number.isFinite(n)) throw new Error(`SHOW printed ${JSON.stringify(s)} where a number belongs`);
  return n;
}

/** "75%,90%" (Snowflake) → [75, 90]. */
function percents(v: unknown): number[] {
  const s = text(v);
  if (s === null) return [];
  return s.split(",").map((p) => {
    const n = Number(p.trim().replace(/%$/, ""));
    if (!Number.isFinite(n)) throw new Error(`SHOW RESOURCE MONITORS printed the trigger ${JSON.stringify(p)}, not a percentage`);
    return n;
  });
}

/**
 * A SHOW timestamp: a Date from a driver that typed it, or Snowflake's text form
 * ("2026-01-01 00:00:00.000 -0800", the offset optional: UTC then).
 */
export function showTimestamp(v: unknown): Date | null {
  if (v instanceof Date) return v;
  const s = text(v);
  if (s === null) return null;
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|[+-]\d{2}:?\d{2})?$/.exec(s);
  if (!m) throw new Error(`SHOW printed the time ${JSON.stringify(s)} in a form the report does not read`);
  const offset = !m[3] || m[3] === "Z" ? "Z" : `${m[3].slice(0, 3)}:${m[3].slice(-2)}`;
  const d = new Date(`${m[1]}T${m[2]}${offset}`);
  if (Number.isNaN(d.getTime())) throw new Error(`SHOW printed the time ${JSON.stringify(s)}, which is not a time`);
  return d;
}

export function warehousesFromShow(rows: ReadonlyArray<Record<string, unknown>>): WarehouseInfo[] {
  return rows.map((r) => {
    const sizeShown = text(r.size) ?? "";
    return { name: String(r.name), size: warehouseSize(sizeShown), sizeShown, resourceMonitor: text(r.resource_monitor) };
  });
}

export function monitorsFromShow(rows: ReadonlyArray<Record<string, unknown>>): MonitorInfo[] {
  return rows.map((r) => {
    const frequency = (text(r.frequency) ?? "MONTHLY").toUpperCase() as MonitorFrequency;
    if (!FREQUENCIES.includes(frequency)) throw new Error(`resource monitor ${String(r.name)}: frequency ${JSON.stringify(r.frequency)} is not one of ${FREQUENCIES.join(", ")}`);
    return {
      name: String(r.name),
      creditQuota: number(r.credit_quota),
      usedCredits: number(r.used_credits) ?? 0,
      frequency,
      startedAt: showTimestamp(r.start_time),
      endsAt: showTimestamp(r.end_time),
      notifyAt: percents(r.notify_at),
      suspendAt: percents(r.suspend_at),
      suspendImmediateAt: percents(r.suspend_immediately_at),
    };
  });
}

/**
 * The monitor's current interval at `now`, [start, end): counted from its start as the monitor
 * counts (the twin's own rule, engine/resourceMonitors.ts), ended early by its END_TIMESTAMP; open
 * (end null) when it never resets and has no end. A monitor without a start counts from the first
 * of the month (Snowflake's behaviour for a monitor created without a frequency).
 */
export function currentInterval(m: MonitorInfo, now: Date): { start: Date; end: Date | null } {
  const startedAt = m.startedAt ?? new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const i = monitorInterval({ frequency: m.startedAt ? m.frequency : "MONTHLY", startedAt }, now);
  const open = i.end.getTime() > 8e15;
  const end = m.endsAt && (open || m.endsAt < i.end) ? m.endsAt : open ? null : i.end;
  return { start: i.start, end };
}

/** The hub's warehouses: the platform's shared ones and every tenant's (TENANT_<ID>_...). */
export function isHubWarehouse(name: string): boolean {
  return SHARED_WAREHOUSES.some((w) => w.name === name.toUpperCase()) || /^TENANT_[A-Z0-9_]+_/.test(name.toUpperCase());
}

/** SHOW output as objects keyed by its column names: what snowflake-sdk gives, and the twin's tables turned so. */
export function showRows(t: { columns: readonly string[]; rows: readonly (readonly unknown[])[] }): Array<Record<string, unknown>> {
  return t.rows.map((r) => Object.fromEntries(t.columns.map((c, i) => [c, r[i]])));
}
