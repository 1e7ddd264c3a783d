/**
 * Buffered writes to the engine's history tables (query, task, refresh, warehouse events).
 * Rows are collected while the pipeline works and appended in one go, so keeping history adds
 * one insert per table per tick rather than one per statement.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { CONTROL_SCHEMA } from "./controlTables.ts";
import { sqlTimestamp } from "./clock.ts";

type Value = string | number | boolean | Date | null | undefined;

export class HistoryBuffer {
  private readonly rows = new Map<string, Value[][]>();

  add(table: "QUERY_HISTORY" | "TASK_HISTORY" | "DYNAMIC_TABLE_REFRESH_HISTORY" | "WAREHOUSE_EVENTS_HISTORY", row: Value[]): void {
    const list = this.rows.get(table) ?? [];
    list.push(row);
    this.rows.set(table, list);
  }

  get pending(): number {
    let n = 0;
    for (const r of this.rows.values()) n += r.length;
    return n;
  }

  /** The buffered rows as INSERT statements (the buffer is emptied). */
  takeSql(): string[] {
    const inserts: string[] = [];
    for (const [table, rows] of this.rows) {
      if (rows.length === 0) continue;
      inserts.push(`INSERT INTO ${CONTROL_SCHEMA}.${table} VALUES ${rows.map((r) => `(${r.map(literal).join(", ")})`).join(",\n")}`);
    }
    this.rows.clear();
    return inserts;
  }

  async flush(c: DuckDBConnection): Promise<void> {
    await runInOneTransaction(c, this.takeSql());
  }
}

/** One round trip and one commit for a batch of control-plane writes. */
export async function runInOneTransaction(c: DuckDBConnection, statements: readonly string[]): Promise<void> {
  if (statements.length) await c.run(`BEGIN TRANSACTION; ${statements.join(";\n")}; COMMIT`);
}

function literal(v: Value): string {
  if (v === null || v === undefined) return "NULL";
  if (v instanceof Date) return `TIMESTAMP '${sqlTimestamp(v)}'`;
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "NULL";
  if (typeof v === "boolean") return v ? "TRUE" : "FALSE";
  return `'${v.replaceAll("'", "''")}'`;
}
