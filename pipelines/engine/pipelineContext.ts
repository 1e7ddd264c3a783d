/**
 * What the engine's pipeline work (task runs, dynamic table refreshes) shares: the connection it
 * runs on as the pipeline role, the clock, the warehouses and the history buffer.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { randomUUID } from "node:crypto";
import { DUCKDB_VARIABLES } from "../dialect/index.ts";
import { PIPELINE_ROLE } from "../definitions/governance.ts";
import type { Clock } from "./clock.ts";
import { sqlTimestamp } from "./clock.ts";
import type { HistoryBuffer } from "./history.ts";
import type { WarehouseControl } from "./warehouseControl.ts";
import { fromDuckDbError } from "../warehouse/duckdbErrors.ts";
import { formatQueryTag, type QueryTag } from "../warehouse/warehouse.ts";
import type { ExternalFunctionResolver } from "./externalCalls.ts";

export interface PipelineContext {
  readonly conn: DuckDBConnection;
  readonly clock: Clock;
  readonly warehouses: WarehouseControl;
  readonly history: HistoryBuffer;
  /** Called when a task has opened its transaction, before its body runs (see EmbeddedEngine.tick's onTaskUnderway). */
  readonly onTaskOpened?: () => void;
  /** External functions (`SCHEMA.NAME`) → the backend that answers them on the twin (externalCalls.ts). */
  readonly externalFunctions?: ReadonlyMap<string, ExternalFunctionResolver>;
}

/** Longest query text kept in QUERY_HISTORY. */
const QUERY_TEXT_LIMIT = 2000;

/** One QUERY_HISTORY row; the warehouse was busy until the statement's simulated end. */
export function recordQuery(
  ctx: Pick<PipelineContext, "history" | "warehouses">,
  q: { sql: string; warehouse: string; role: string; tag?: QueryTag; start: Date; elapsedMs: number; rows: number; error?: { code?: string; message: string } },
): void {
  const end = new Date(q.start.getTime() + q.elapsedMs);
  ctx.warehouses.markActive(q.warehouse, end);
  ctx.warehouses.chargeQuery(q.warehouse, q.start);
  ctx.history.add("QUERY_HISTORY", [
    randomUUID(), q.sql.slice(0, QUERY_TEXT_LIMIT), q.warehouse, q.role, q.tag ? formatQueryTag(q.tag) : null, q.start, end,
    Math.round(q.elapsedMs), q.error ? "FAIL" : "SUCCESS", q.error?.code ?? null, q.error?.message ?? null, q.rows,
  ]);
}

/** Run one pipeline statement on a warehouse, keeping its QUERY_HISTORY row. */
export async function runPipelineStatement(
  ctx: PipelineContext,
  sql: string,
  warehouse: string,
  tag: QueryTag,
): Promise<{ rowsChanged: number; elapsedMs: number }> {
  const start = ctx.clock.now();
  const t0 = performance.now();
  const base = { sql, warehouse, role: PIPELINE_ROLE, tag, start };
  try {
    const r = await ctx.conn.run(sql);
    const rows = Number(r.rowsChanged);
    const elapsedMs = performance.now() - t0;
    recordQuery(ctx, { ...base, elapsedMs, rows });
    return { rowsChanged: rows, elapsedMs };
  } catch (e) {
    const err = fromDuckDbError(e, sql);
    recordQuery(ctx, { ...base, elapsedMs: performance.now() - t0, rows: 0, error: err });
    throw err;
  }
}

/** Pin the pipeline connection's clock variable to the simulated now. */
export async function setPipelineNow(ctx: PipelineContext): Promise<void> {
  await ctx.conn.run(pipelineNowSql(ctx));
}

/** The statement `setPipelineNow` runs, for callers that send it with others in one round trip. */
export function pipelineNowSql(ctx: PipelineContext): string {
  return `SET VARIABLE ${DUCKDB_VARIABLES.now} = TIMESTAMP '${sqlTimestamp(ctx.clock.now())}'`;
}

export async function scalar(conn: DuckDBConnection, sql: string): Promise<unknown> {
  const r = await conn.runAndReadAll(sql);
  return r.getRowsJS()[0]?.[0] ?? null;
}
