/**
 * Runs the resource monitors against the billing twin at each settle of the engine: finds the
 * triggers whose thresholds were reached since the last look, records them
 * (HUB_LOCAL.RESOURCE_MONITOR_EVENTS), sends NOTIFY to the notification sink, suspends the
 * monitored warehouses on SUSPEND / SUSPEND_IMMEDIATE, and starts each new interval afresh.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { appendFileSync } from "node:fs";
import { CONTROL_SCHEMA } from "./controlTables.ts";
import { sqlTimestamp, type Clock } from "./clock.ts";
import type { WarehouseControl } from "./warehouseControl.ts";
import { dueTriggers, monitorInterval, monitorTriggers, type MonitorSpec, type TriggerEvent } from "./resourceMonitors.ts";
import type { MonitorFrequency } from "../definitions/types.ts";

/** Where NOTIFY goes: stdout, a JSON-lines file, a function, or nowhere but the events table. */
export type NotificationSink = "none" | "stdout" | { readonly jsonl: string } | ((e: TriggerEvent) => void);

interface MonitorState {
  spec: MonitorSpec;
  interval: { start: Date; end: Date };
  fired: Set<number>;
}

export class MonitorControl {
  private monitors: MonitorState[] = [];
  private lastLook: Date;
  private pending: TriggerEvent[] = [];
  /** The last usage row written per monitor, so unchanged monitors are not rewritten each tick. */
  private readonly persisted = new Map<string, string>();

  constructor(
    private readonly clock: Clock,
    private readonly warehouses: WarehouseControl,
    private readonly sink: NotificationSink = "none",
  ) {
    this.lastLook = clock.now();
  }

  async load(c: DuckDBConnection): Promise<void> {
    const now = this.clock.now();
    await c.run(`UPDATE ${CONTROL_SCHEMA}.RESOURCE_MONITORS SET started_at = TIMESTAMP '${sqlTimestamp(now)}' WHERE started_at IS NULL`);
    const rows = (
      await c.runAndReadAll(
        `SELECT name, credit_quota, frequency, notify_at, suspend_at, suspend_immediate_at, started_at FROM ${CONTROL_SCHEMA}.RESOURCE_MONITORS`,
      )
    ).getRowsJS();
    this.monitors = [];
    this.persisted.clear();
    for (const [name, quota, frequency, notifyAt, suspendAt, suspendImmediateAt, startedAt] of rows) {
      const spec: MonitorSpec = {
        name: String(name),
        creditQuota: Number(quota),
        frequency: String(frequency) as MonitorFrequency,
        startedAt: startedAt as Date,
        triggers: monitorTriggers(
          String(notifyAt ?? "").split(",").filter(Boolean).map(Number),
          suspendAt === null ? null : Number(suspendAt),
          suspendImmediateAt === null ? null : Number(suspendImmediateAt),
        ),
      };
      const interval = monitorInterval(spec, now);
      const fired = (
        await c.runAndReadAll(
          `SELECT threshold_pct FROM ${CONTROL_SCHEMA}.RESOURCE_MONITOR_EVENTS WHERE monitor_name = ? AND interval_start = ?::TIMESTAMP`,
          [spec.name, sqlTimestamp(interval.start)],
        )
      ).getRowsJS();
      this.monitors.push({ spec, interval, fired: new Set(fired.map((r) => Number(r[0]))) });
    }
    this.lastLook = now;
  }

  /** The warehouses a monitor watches. */
  private watched(monitor: string): string[] {
    return this.warehouses.list().filter((w) => w.resourceMonitor === monitor).map((w) => w.name);
  }

  /** Credits used in the monitor's current interval, now. */
  used(monitor: string): number {
    const m = this.monitors.find((x) => x.spec.name === monitor);
    if (!m) throw new Error(`unknown resource monitor ${monitor}`);
    return this.warehouses.billing.used(this.watched(monitor), m.interval.start, this.clock.now(), this.warehouses.openPeriods());
  }

  /** Look at every monitor now; returns the triggers that fired. */
  evaluate(): TriggerEvent[] {
    const now = this.clock.now();
    const open = this.warehouses.openPeriods();
    const fired: TriggerEvent[] = [];
    for (const m of this.monitors) {
      const watched = this.watched(m.spec.name);
      if (now >= m.interval.end) {
        // A new interval: the quota starts again and the monitor's suspensions are lifted.
        m.interval = monitorInterval(m.spec, now);
        m.fired.clear();
        for (const w of watched) this.warehouses.releaseMonitorSuspension(w);
      }
      const usedAt = (t: Date) => this.warehouses.billing.used(watched, m.interval.start, t, open);
      for (const e of dueTriggers(m.spec, m.interval.start, m.fired, this.lastLook, now, usedAt)) {
        m.fired.add(e.percent);
        fired.push(e);
        if (e.action === "NOTIFY") this.notify(e);
        else {
          // SUSPEND lets running statements finish: none run while the engine settles, so both
          // suspend now; SUSPEND_IMMEDIATE stops billing at the crossing instant itself.
          const at = e.action === "SUSPEND_IMMEDIATE" ? e.at : now;
          for (const w of watched) this.warehouses.suspend(w, e.action === "SUSPEND" ? "RESOURCE_MONITOR" : "RESOURCE_MONITOR_IMMEDIATE", at, true);
          this.notify(e);
        }
      }
    }
    this.lastLook = now;
    this.pending.push(...fired);
    return fired;
  }

  private notify(e: TriggerEvent): void {
    if (this.sink === "none") return;
    const line = JSON.stringify({ ...e, intervalStart: e.intervalStart.toISOString(), at: e.at.toISOString() });
    if (this.sink === "stdout") process.stdout.write(`resource monitor: ${line}\n`);
    else if (typeof this.sink === "function") this.sink(e);
    else appendFileSync(this.sink.jsonl, `${line}\n`);
  }

  /** Changed usage and fired triggers as SQL, to commit with the rest of a tick's control writes. */
  takePersistSql(): string[] {
    const out: string[] = [];
    const now = this.clock.now();
    const open = this.warehouses.openPeriods();
    for (const m of this.monitors) {
      const used = this.warehouses.billing.used(this.watched(m.spec.name), m.interval.start, now, open);
      const row =
        `used_credits = ${used}, interval_start = TIMESTAMP '${sqlTimestamp(m.interval.start)}', ` +
        `interval_end = TIMESTAMP '${sqlTimestamp(m.interval.end.getTime() > 8e15 ? new Date(Date.UTC(9999, 0, 1)) : m.interval.end)}'`;
      // Most ticks change nothing: skip the write then.
      if (this.persisted.get(m.spec.name) === row) continue;
      this.persisted.set(m.spec.name, row);
      out.push(`UPDATE ${CONTROL_SCHEMA}.RESOURCE_MONITORS SET ${row} WHERE name = '${m.spec.name}'`);
    }
    if (this.pending.length === 0) return out;
    const values = this.pending.map(
      (e) =>
        `('${e.monitor}', TIMESTAMP '${sqlTimestamp(e.intervalStart)}', ${e.percent}, '${e.action}', TIMESTAMP '${sqlTimestamp(e.at)}', ` +
        `${e.usedCredits}, ${e.quota}, '${this.watched(e.monitor).join(",")}')`,
    );
    this.pending = [];
    out.push(`INSERT INTO ${CONTROL_SCHEMA}.RESOURCE_MONITOR_EVENTS VALUES ${values.join(", ")}`);
    return out;
  }

  async persist(c: DuckDBConnection): Promise<void> {
    for (const sql of this.takePersistSql()) await c.run(sql);
  }

}
