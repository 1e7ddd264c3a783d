/**
 * Reading files (Parquet, CSV, JSON) back in tests, as an outside reader would: a plain DuckDB instance of its
 * own (the hub's warehouse instance reads no files, and the hub's file instance is the code under
 * test).
 */
import { DuckDBInstance } from "@duckdb/node-api";

let reader: Promise<DuckDBInstance> | null = null;

/** Rows of `sql` (which reads files with read_parquet and the like), bigints as numbers. */
export async function readFiles<T = Record<string, unknown>>(sql: string): Promise<T[]> {
  reader ??= DuckDBInstance.create(":memory:");
  const conn = await (await reader).connect();
  try {
    const rows = (await conn.runAndReadAll(sql)).getRowObjectsJS();
    return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "bigint" ? Number(v) : v]))) as T[];
  } finally {
    conn.closeSync();
  }
}
