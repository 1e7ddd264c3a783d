/**
 * Tasks on the simulated clock, with Snowflake's semantics
 * (https://docs.snowflake.com/en/user-guide/tasks-intro):
 * - a root task runs on its SCHEDULE; missed slots are not caught up (one run, then the next slot);
 * - WHEN SYSTEM$STREAM_HAS_DATA(...) false → the run is SKIPPED and uses no warehouse;
 * - a child runs after all its predecessors SUCCEEDED in the same graph run;
 * - a task's statements run in one transaction; the streams it consumes advance only on commit.
 */
import { duckdbDialect as d } from "../dialect/index.ts";
import { qualifiedName, type TaskDef } from "../definitions/types.ts";
import { CONTROL_SCHEMA } from "./controlTables.ts";
import { pipelineNowSql, runPipelineStatement, scalar, type PipelineContext } from "./pipelineContext.ts";
import { STREAMS } from "../definitions/catalog.ts";
import { HubSqlError } from "../warehouse/errors.ts";
import { fillExternalAnswers } from "./externalCalls.ts";

export type TaskRunState = "SUCCEEDED" | "FAILED" | "SKIPPED";

export interface TaskRunResult {
  readonly name: string;
  readonly state: TaskRunState;
  readonly error?: string;
  readonly elapsedMs: number;
}

/** `'1 MINUTE'`, `'30 SECONDS'`, `'2 HOURS'` → milliseconds. */
export function scheduleIntervalMs(schedule: string): number {
  const m = /^\s*(\d+)\s*(SECOND|MINUTE|HOUR)S?\s*$/i.exec(schedule);
  if (!m) {
    throw new Error(
      `task schedule ${JSON.stringify(schedule)} is not "<n> SECONDS|MINUTES|HOURS"; the embedded engine runs interval schedules only`,
    );
  }
  return Number(m[1]) * { SECOND: 1000, MINUTE: 60_000, HOUR: 3_600_000 }[m[2]!.toUpperCase() as "SECOND"];
}

function streamTable(stream: string): string {
  const s = STREAMS.find((x) => qualifiedName(x) === stream);
  if (!s) throw new Error(`task consumes unknown stream ${stream}`);
  return s.on;
}

/** SYSTEM$STREAM_HAS_DATA(a) OR SYSTEM$STREAM_HAS_DATA(b) ...: a WHEN as one boolean expression. */
function hasDataSql(streams: readonly string[]): string {
  return streams.map((s) => `EXISTS (SELECT 1 FROM ${s})`).join(" OR ");
}

/** One round trip for the whole WHEN. */
export async function anyStreamHasData(ctx: PipelineContext, streams: readonly string[]): Promise<boolean> {
  return Boolean(await scalar(ctx.conn, `SELECT ${hasDataSql(streams)}`));
}

/**
 * The WHEN of several roots due at the same slot, in one round trip: root name → its streams have
 * data. Only roots with a WHEN are in the map.
 */
export async function whenConditions(ctx: PipelineContext, roots: readonly TaskDef[]): Promise<Map<string, boolean>> {
  const withWhen = roots.filter((r) => r.whenStreamHasData?.length);
  if (withWhen.length === 0) return new Map();
  const r = await ctx.conn.runAndReadAll(
    `SELECT ${withWhen.map((t) => `(${hasDataSql(t.whenStreamHasData!)})`).join(", ")}`,
  );
  const row = r.getRowsJS()[0] ?? [];
  return new Map(withWhen.map((t, i) => [qualifiedName(t), Boolean(row[i])]));
}

export async function streamHasData(ctx: PipelineContext, stream: string): Promise<boolean> {
  return Boolean(await scalar(ctx.conn, `SELECT EXISTS (SELECT 1 FROM ${stream})`));
}

/** Run one task (no WHEN check): its body in one transaction, consuming its streams on commit. */
export async function runTaskBody(ctx: PipelineContext, t: TaskDef, runId: number, scheduled: Date): Promise<TaskRunResult> {
  const name = qualifiedName(t);
  const started = ctx.clock.now();
  const t0 = performance.now();
  const c = ctx.conn;
  let error: HubSqlError | Error | undefined;
  try {
    ctx.warehouses.ensureRunning(t.warehouse);
    // One round trip to open the run and one to close it: in the main job every round trip waits
    // for an event loop the ingest keeps busy, so each one saved is time off the run.
    // The transaction's snapshot fixes what each stream shows; remember its end to advance to (the
    // look for it starts past the stream's offset, so it reads only the new rows).
    const streams = [...t.consumes];
    const endsSql = streams.length === 0 ? "SELECT 1" : `SELECT ${streams.map((s, i) =>
      `(SELECT COALESCE(MAX(rowid), -1) FROM ${streamTable(s)} WHERE rowid > ` +
      `(SELECT offset_rowid FROM ${CONTROL_SCHEMA}.STREAM_OFFSETS WHERE stream_name = '${s}')) AS e${i}`).join(", ")}`;
    // Setup first, outside the transaction, as on Snowflake (empty on DuckDB today).
    for (const sql of t.setup?.(d) ?? []) await runPipelineStatement(ctx, sql, t.warehouse, { job: `task:${name}` });
    const opened = await c.runAndReadAll(`BEGIN TRANSACTION; ${pipelineNowSql(ctx)}; ${endsSql}`);
    const endRow = opened.getRowsJS()[0] ?? [];
    ctx.onTaskOpened?.();
    // An external function's answers, before the body that reads them (see externalCalls.ts).
    if (t.external) await fillExternalAnswers(ctx, t.external, t.warehouse, `task:${name}`);
    for (const sql of t.body(d)) await runPipelineStatement(ctx, sql, t.warehouse, { job: `task:${name}` });
    const advance = streams.map((s, i) => {
      const end = Number(endRow[i] ?? -1);
      return `UPDATE ${CONTROL_SCHEMA}.STREAM_OFFSETS SET offset_rowid = GREATEST(offset_rowid, ${end}) WHERE stream_name = '${s}'`;
    });
    await c.run([...advance, "COMMIT"].join("; "));
  } catch (e) {
    await c.run("ROLLBACK").catch(() => undefined);
    error = e as Error;
  }
  const elapsedMs = performance.now() - t0;
  const state: TaskRunState = error ? "FAILED" : "SUCCEEDED";
  ctx.history.add("TASK_HISTORY", [
    runId, name, scheduled, started, new Date(started.getTime() + elapsedMs), state,
    error instanceof HubSqlError ? error.code : error ? "000603" : null, error?.message ?? null, t.warehouse,
  ]);
  return { name, state, error: error?.message, elapsedMs };
}

/**
 * Run a task graph from its root at the current time: check WHEN, run the root, then every child
 * whose predecessors all succeeded, in definition order (which is topological). `when`: the WHEN
 * already evaluated at this moment (whenConditions), instead of a query of its own.
 */
export async function runTaskGraph(
  ctx: PipelineContext, tasks: readonly TaskDef[], root: TaskDef, runId: number, scheduled: Date, when?: boolean,
): Promise<TaskRunResult[]> {
  const rootName = qualifiedName(root);
  const results: TaskRunResult[] = [];
  if (root.whenStreamHasData?.length) {
    if (!(when ?? (await anyStreamHasData(ctx, root.whenStreamHasData)))) {
      const now = ctx.clock.now();
      ctx.history.add("TASK_HISTORY", [runId, rootName, scheduled, null, now, "SKIPPED", null, "WHEN condition was false", root.warehouse]);
      return [{ name: rootName, state: "SKIPPED", elapsedMs: 0 }];
    }
  }
  const succeeded = new Set<string>();
  const inGraph = graphOf(tasks, root);
  for (const t of inGraph) {
    const name = qualifiedName(t);
    if (t !== root && !(t.after ?? []).every((p) => succeeded.has(p))) continue;
    const r = await runTaskBody(ctx, t, runId, scheduled);
    results.push(r);
    if (r.state === "SUCCEEDED") succeeded.add(name);
  }
  return results;
}

/** The root and its descendants, parents before children. */
export function graphOf(tasks: readonly TaskDef[], root: TaskDef): TaskDef[] {
  const names = new Set([qualifiedName(root)]);
  const out = [root];
  let grew = true;
  while (grew) {
    grew = false;
    for (const t of tasks) {
      const n = qualifiedName(t);
      if (names.has(n)) continue;
      if ((t.after ?? []).length > 0 && (t.after ?? []).every((p) => names.has(p))) {
        names.add(n);
        out.push(t);
        grew = true;
      }
    }
  }
  return out;
}

/** The schedule slot a root is due for at `now`, or null; missed slots collapse into one run. */
export function dueSlot(lastScheduled: Date | null, intervalMs: number, now: Date): Date | null {
  // A task that never ran is due at once.
  if (!lastScheduled) return now;
  const base = lastScheduled;
  const next = base.getTime() + intervalMs;
  if (next > now.getTime()) return null;
  // Snowflake does not queue missed runs: the run takes the latest slot that has passed.
  const slots = Math.floor((now.getTime() - base.getTime()) / intervalMs);
  return new Date(base.getTime() + slots * intervalMs);
}

