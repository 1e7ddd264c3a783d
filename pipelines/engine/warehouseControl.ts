/**
 * Named warehouses on the simulated clock: a statement needs its warehouse running; a suspended
 * one auto-resumes (if allowed); a running one suspends itself after `auto_suspend_s` idle.
 * Every transition is a WAREHOUSE_EVENTS_HISTORY row, which the billing twin turns into credits.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { CONTROL_SCHEMA } from "./controlTables.ts";
import type { Clock } from "./clock.ts";
import type { HistoryBuffer } from "./history.ts";
import { SQL_ERRORS } from "../warehouse/errors.ts";
import { BillingTwin } from "./billingTwin.ts";

export type WarehouseState = "SUSPENDED" | "STARTED";

export interface WarehouseStatus {
  name: string;
  size: string;
  autoSuspendSeconds: number;
  autoResume: boolean;
  state: WarehouseState;
  resourceMonitor: string | null;
  /** When the current running period began (null while suspended). */
  resumedAt: Date | null;
  /** End of the last statement that ran on it. */
  lastActiveAt: Date | null;
  /** Set by a resource monitor; a suspended-by-monitor warehouse refuses to resume. */
  suspendedByMonitor: boolean;
}

export class WarehouseControl {
  private readonly warehouses = new Map<string, WarehouseStatus>();
  private dirty = new Set<string>();

  readonly billing = new BillingTwin();

  constructor(
    private readonly clock: Clock,
    private readonly history: HistoryBuffer,
  ) {}

  async load(c: DuckDBConnection): Promise<void> {
    await this.billing.load(c);
    const r = await c.runAndReadAll(
      `SELECT name, size, auto_suspend_s, auto_resume, state, resource_monitor, resumed_at, last_active_at FROM ${CONTROL_SCHEMA}.WAREHOUSES`,
    );
    this.warehouses.clear();
    for (const [name, size, autoSuspend, autoResume, state, monitor, resumedAt, lastActive] of r.getRowsJS()) {
      this.warehouses.set(String(name), {
        name: String(name),
        size: String(size),
        autoSuspendSeconds: Number(autoSuspend),
        autoResume: Boolean(autoResume),
        state: state === "STARTED" ? "STARTED" : "SUSPENDED",
        resourceMonitor: monitor === null ? null : String(monitor),
        resumedAt: (resumedAt as Date | null) ?? null,
        lastActiveAt: (lastActive as Date | null) ?? null,
        suspendedByMonitor: false,
      });
    }
  }

  list(): WarehouseStatus[] {
    return [...this.warehouses.values()].map((w) => ({ ...w }));
  }

  get(name: string): WarehouseStatus {
    const w = this.warehouses.get(name.toUpperCase()) ?? this.warehouses.get(name);
    if (!w) throw SQL_ERRORS.objectDoesNotExist(name.toUpperCase());
    return w;
  }

  /** Called before a statement: resumes a suspended warehouse or refuses. */
  ensureRunning(name: string, sql?: string): void {
    const w = this.get(name);
    this.suspendIfIdle(w, this.clock.now());
    if (w.state === "STARTED") return;
    if (w.suspendedByMonitor || !w.autoResume) {
      throw SQL_ERRORS.warehouseSuspended(w.name, sql);
    }
    const now = this.clock.now();
    w.state = "STARTED";
    w.resumedAt = now;
    w.lastActiveAt = now;
    this.dirty.add(w.name);
    this.history.add("WAREHOUSE_EVENTS_HISTORY", [now, w.name, "RESUME_WAREHOUSE", "WAREHOUSE_AUTORESUME", "COMPLETED"]);
  }

  /** Called after a statement: the warehouse was busy until `end`. */
  markActive(name: string, end: Date): void {
    const w = this.get(name);
    if (!w.lastActiveAt || end > w.lastActiveAt) w.lastActiveAt = end;
    this.dirty.add(w.name);
  }

  /** Suspend every warehouse idle for longer than its auto-suspend, at the moment it would have. */
  suspendIdle(): void {
    const now = this.clock.now();
    for (const w of this.warehouses.values()) this.suspendIfIdle(w, now);
  }

  private suspendIfIdle(w: WarehouseStatus, now: Date): void {
    if (w.state !== "STARTED" || w.autoSuspendSeconds <= 0) return;
    const idleFrom = w.lastActiveAt ?? w.resumedAt ?? now;
    const suspendAt = new Date(idleFrom.getTime() + w.autoSuspendSeconds * 1000);
    if (suspendAt <= now) this.suspend(w.name, "WAREHOUSE_AUTOSUSPEND", suspendAt);
  }

  /** Explicit suspend (ALTER WAREHOUSE ... SUSPEND, or a resource monitor). */
  suspend(name: string, reason: string, at: Date = this.clock.now(), byMonitor = false): void {
    const w = this.get(name);
    if (byMonitor) w.suspendedByMonitor = true;
    if (w.state === "SUSPENDED") return;
    // Billing stops at the suspension, never before the resume it ends.
    const start = w.resumedAt ?? at;
    this.billing.closePeriod(w.name, w.size, start, at < start ? start : at);
    w.state = "SUSPENDED";
    w.resumedAt = null;
    this.dirty.add(w.name);
    this.history.add("WAREHOUSE_EVENTS_HISTORY", [at, w.name, "SUSPEND_WAREHOUSE", reason, "COMPLETED"]);
  }

  /** CREATE OR ALTER WAREHOUSE: a new warehouse starts suspended; an existing one keeps its state. */
  upsert(def: { name: string; size: string; autoSuspendSeconds: number; autoResume: boolean; resourceMonitor: string | null }): void {
    const w = this.warehouses.get(def.name);
    if (w && w.state === "STARTED" && w.size !== def.size && w.resumedAt) {
      // A resize bills the old size up to now and the new one from now.
      const now = this.clock.now();
      this.billing.closePeriod(w.name, w.size, w.resumedAt, now);
      w.resumedAt = now;
    }
    if (w) Object.assign(w, { size: def.size, autoSuspendSeconds: def.autoSuspendSeconds, autoResume: def.autoResume, resourceMonitor: def.resourceMonitor });
    else {
      this.warehouses.set(def.name, {
        name: def.name, size: def.size, autoSuspendSeconds: def.autoSuspendSeconds, autoResume: def.autoResume, state: "SUSPENDED",
        resourceMonitor: def.resourceMonitor, resumedAt: null, lastActiveAt: null, suspendedByMonitor: false,
      });
    }
    this.dirty.add(def.name);
  }

  /** Cloud-services credits of one statement on this warehouse. */
  chargeQuery(name: string, at: Date): void {
    this.billing.chargeQuery(this.get(name).name, at);
  }

  /** Running periods not yet closed: warehouse → (resumed at, size). */
  openPeriods(): Map<string, { start: Date; size: string }> {
    const out = new Map<string, { start: Date; size: string }>();
    for (const w of this.warehouses.values()) if (w.state === "STARTED" && w.resumedAt) out.set(w.name, { start: w.resumedAt, size: w.size });
    return out;
  }

  /** A new monitor interval lifts a monitor's suspension. */
  releaseMonitorSuspension(name: string): void {
    this.get(name).suspendedByMonitor = false;
  }

  /** Metering and changed warehouse states as SQL, to commit with the rest of a tick's control writes. */
  takePersistSql(): string[] {
    const out = this.billing.takePersistSql();
    for (const name of this.dirty) {
      const w = this.warehouses.get(name)!;
      const ts = (d: Date | null) => (d ? `TIMESTAMP '${d.toISOString().replace("T", " ").replace("Z", "")}'` : "NULL");
      out.push(
        `UPDATE ${CONTROL_SCHEMA}.WAREHOUSES SET state = '${w.state}', resumed_at = ${ts(w.resumedAt)}, last_active_at = ${ts(w.lastActiveAt)} WHERE name = '${name.replaceAll("'", "''")}'`,
      );
    }
    this.dirty = new Set();
    return out;
  }

  async persist(c: DuckDBConnection): Promise<void> {
    for (const sql of this.takePersistSql()) await c.run(sql);
  }

}
