/**
 * Writing scores to the ML tables (pipelines/definitions/ml.ts) through the `Warehouse`
 * interface: bound multi-row INSERTs in chunks, the same SQL on DuckDB and Snowflake.
 */
import type { SqlValue, Warehouse } from "../pipelines/warehouse/warehouse.ts";

const CHUNK = 500;

function value(v: unknown): SqlValue {
  if (v === undefined || v === null) return null;
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  if (typeof v === "string" || typeof v === "boolean" || typeof v === "bigint" || v instanceof Date) return v;
  return JSON.stringify(v);
}

/**
 * Append `rows` (objects keyed by column) to `table`; returns the rows written. JSON columns are
 * bound as text and parsed in SQL (Snowflake takes VARIANT only from an expression, hence
 * INSERT ... SELECT over VALUES rather than INSERT ... VALUES).
 */
export async function insertRows(
  wh: Warehouse,
  table: string,
  columns: readonly string[],
  rows: ReadonlyArray<Readonly<Record<string, unknown>>>,
  tenantId: string,
  jsonColumns: readonly string[] = [],
): Promise<number> {
  let n = 0;
  const select = columns.map((c) => (jsonColumns.includes(c) ? `${wh.dialect.parseJson(`v.${c}`)}` : `v.${c}`)).join(", ");
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    const tuple = `(${columns.map(() => "?").join(", ")})`;
    const binds = chunk.flatMap((r) => columns.map((c) => value(r[c])));
    await wh.execute(
      `INSERT INTO ${table} (${columns.join(", ")}) SELECT ${select} FROM (VALUES ${chunk.map(() => tuple).join(", ")}) AS v(${columns.join(", ")})`,
      { binds, tag: { tenant: tenantId, job: `ml:write:${table}` } },
    );
    n += chunk.length;
  }
  return n;
}

/** Remove a tenant's rows for these series (FORECASTS and SEGMENTS are replaced on each scoring run). */
export async function deleteSeries(wh: Warehouse, table: string, tenantId: string, seriesIds: readonly string[]): Promise<void> {
  for (let i = 0; i < seriesIds.length; i += CHUNK) {
    const ids = seriesIds.slice(i, i + CHUNK);
    await wh.execute(`DELETE FROM ${table} WHERE tenant_id = ? AND series_id IN (${ids.map(() => "?").join(", ")})`, {
      binds: [tenantId, ...ids], tag: { tenant: tenantId, job: `ml:write:${table}` },
    });
  }
}
