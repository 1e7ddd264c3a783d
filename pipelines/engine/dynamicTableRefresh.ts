/**
 * Dynamic table refresh on DuckDB. A refresh with an `IncrementalSpec` recomputes only the groups
 * touched by source rows appended since the last refresh (rowid > the stored position): the keys
 * of those rows go to a temp table, their groups are deleted and re-inserted from a query scoped
 * to those keys and, when the groups are time-bucketed, to source rows from the oldest touched
 * bucket on. Its cost grows with the new rows, not with the table.
 * A table declared REFRESH_MODE = FULL is recomputed whole on every refresh that has new source rows.
 * Snowflake's own behaviour: https://docs.snowflake.com/en/user-guide/dynamic-tables-refresh
 */
import { duckdbDialect as d } from "../dialect/index.ts";
import { FULL_SCOPE, qualifiedName, type DynamicTableDef, type MergeRule, type QueryScope } from "../definitions/types.ts";
import { CONTROL_SCHEMA } from "./controlTables.ts";
import { runPipelineStatement, scalar, type PipelineContext } from "./pipelineContext.ts";
import { sqlTimestamp } from "./clock.ts";
import { HubSqlError } from "../warehouse/errors.ts";

export type RefreshAction = "FULL" | "INCREMENTAL" | "NO_DATA" | "FAILED";

export interface RefreshResult {
  readonly name: string;
  readonly action: RefreshAction;
  readonly sourceRows: number;
  readonly rowsDeleted: number;
  readonly rowsInserted: number;
  readonly elapsedMs: number;
  readonly error?: string;
}

const KEYS_TABLE = "_hub_dt_keys";
const DELTA_TABLE = "_hub_dt_delta";
const MERGED_TABLE = "_hub_dt_merged";

function columnNames(t: DynamicTableDef): string {
  return t.columns.map((c) => `"${c.name}"`).join(", ");
}

export async function refreshDynamicTable(
  ctx: PipelineContext,
  t: DynamicTableDef,
  opts: { force?: "FULL"; trigger?: "SCHEDULED" | "MANUAL" } = {},
): Promise<RefreshResult> {
  const name = qualifiedName(t);
  const c = ctx.conn;
  const started = ctx.clock.now();
  const t0 = performance.now();
  const tag = { job: `refresh:${name}` };
  let result: RefreshResult | undefined;
  try {
    // Opened and closed in one round trip each (see runTaskBody).
    const state = (
      await c.runAndReadAll(`BEGIN TRANSACTION; SELECT source_rowid, last_refresh_at FROM ${CONTROL_SCHEMA}.DYNAMIC_TABLES WHERE name = '${name}'`)
    ).getRowsJS()[0];
    const lo = Number(state?.[0] ?? -1);
    const neverRefreshed = state?.[1] === null || state?.[1] === undefined;
    const inc = t.incremental;
    // One look at the rows past the last position: the new end, and the oldest time among them.
    // Only those rows can raise the maximum; the filter lets DuckDB skip the rest.
    const tb = inc?.timeBound;
    const edge = inc
      ? (await c.runAndReadAll(
          `SELECT COALESCE(MAX(rowid), ${lo}), ${tb ? `DATE_TRUNC('${tb.bucket}', MIN("${tb.timeColumn}"))` : "NULL"} FROM ${inc.source} WHERE rowid > ${lo}`,
        )).getRowsJS()[0]
      : undefined;
    const hi = inc ? Number(edge![0]) : -1;
    const lower = edge?.[1] instanceof Date ? sqlTimestamp(edge[1]) : null;
    // The first refresh initialises the table in full (Snowflake's INITIALIZE), later ones go
    // incremental, unless the table is declared FULL: then every refresh recomputes it all, as
    // Snowflake's will, so the time billed here is the time Snowflake would bill.
    const declaredFull = t.refreshMode.mode === "FULL";
    const full = !inc || neverRefreshed || opts.force === "FULL" || declaredFull;
    // No new source rows: nothing to do in either mode (Snowflake skips a refresh whose sources
    // did not change, full or not: action NO_DATA).
    if (inc && !neverRefreshed && opts.force !== "FULL" && hi <= lo) {
      result = { name, action: "NO_DATA", sourceRows: 0, rowsDeleted: 0, rowsInserted: 0, elapsedMs: performance.now() - t0 };
    } else {
      ctx.warehouses.ensureRunning(t.warehouse);
      let deleted = 0;
      let inserted = 0;
      let sourceRows = 0;
      if (full) {
        deleted = (await runPipelineStatement(ctx, `DELETE FROM ${name}`, t.warehouse, tag)).rowsChanged;
        inserted = (await runPipelineStatement(ctx, `INSERT INTO ${name} (${columnNames(t)}) ${t.query(d, FULL_SCOPE)}`, t.warehouse, tag))
          .rowsChanged;
        sourceRows = Math.max(0, hi + 1);
      } else if (inc!.merge) {
        const merged = await mergeNewRows(ctx, t, { lo, hi, lower }, tag);
        deleted = merged.deleted;
        inserted = merged.inserted;
        sourceRows = hi - lo;
      } else {
        const scoped = await incrementalScope(ctx, t, { lo, hi, lower }, tag);
        sourceRows = scoped.sourceRows;
        const keyCols = inc!.keys.map((k) => `"${k.column}"`).join(", ");
        deleted = (
          await runPipelineStatement(ctx, `DELETE FROM ${name} WHERE (${keyCols}) IN (SELECT * FROM ${KEYS_TABLE})`, t.warehouse, tag)
        ).rowsChanged;
        inserted = (
          await runPipelineStatement(ctx, `INSERT INTO ${name} (${columnNames(t)}) ${t.query(d, scoped.scope)}`, t.warehouse, tag)
        ).rowsChanged;
        await c.run(`DROP TABLE IF EXISTS ${KEYS_TABLE}`);
      }
      result = { name, action: full ? "FULL" : "INCREMENTAL", sourceRows, rowsDeleted: deleted, rowsInserted: inserted, elapsedMs: performance.now() - t0 };
    }
    await c.run(
      `UPDATE ${CONTROL_SCHEMA}.DYNAMIC_TABLES SET source_rowid = ${inc ? hi : -1}, last_refresh_at = TIMESTAMP '${sqlTimestamp(started)}', ` +
        `data_timestamp = TIMESTAMP '${sqlTimestamp(started)}' WHERE name = '${name}'; COMMIT`,
    );
  } catch (e) {
    await c.run("ROLLBACK").catch(() => undefined);
    for (const tmp of [KEYS_TABLE, DELTA_TABLE, MERGED_TABLE]) await c.run(`DROP TABLE IF EXISTS ${tmp}`).catch(() => undefined);
    const msg = e instanceof Error ? e.message : String(e);
    ctx.history.add("DYNAMIC_TABLE_REFRESH_HISTORY", [
      name, started, new Date(started.getTime() + (performance.now() - t0)), "FAILED", null, opts.trigger ?? "SCHEDULED", 0, 0, 0, t.warehouse, msg,
    ]);
    throw e instanceof HubSqlError ? e : new Error(`refresh of ${name} failed: ${msg}`, { cause: e });
  }
  ctx.history.add("DYNAMIC_TABLE_REFRESH_HISTORY", [
    name, started, new Date(started.getTime() + result.elapsedMs), "SUCCEEDED", result.action, opts.trigger ?? "SCHEDULED",
    result.sourceRows, result.rowsInserted, result.rowsDeleted, result.action === "NO_DATA" ? null : t.warehouse, null,
  ]);
  return result;
}

/**
 * For each incremental table, the last rowid of its source after `after`, or `after` when there
 * is none: one query for all of them, so an idle tick does not cost a round trip per table.
 */
export async function newRowsEnd(
  c: PipelineContext["conn"],
  probes: ReadonlyArray<{ table: DynamicTableDef; after: number }>,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (probes.length === 0) return out;
  const cols = probes.map(({ table, after }) => `(SELECT COALESCE(MAX(rowid), ${after}) FROM ${table.incremental!.source} WHERE rowid > ${after})`);
  const row = (await c.runAndReadAll(`SELECT ${cols.join(", ")}`)).getRowsJS()[0]!;
  probes.forEach(({ table }, i) => out.set(qualifiedName(table), Number(row[i])));
  return out;
}

/** A scheduled refresh that found no new source rows: history only (the caller records the time). */
export function recordNoData(ctx: PipelineContext, t: DynamicTableDef): RefreshResult {
  const at = ctx.clock.now();
  ctx.history.add("DYNAMIC_TABLE_REFRESH_HISTORY", [qualifiedName(t), at, at, "SUCCEEDED", "NO_DATA", "SCHEDULED", 0, 0, 0, null, null]);
  return { name: qualifiedName(t), action: "NO_DATA", sourceRows: 0, rowsDeleted: 0, rowsInserted: 0, elapsedMs: 0 };
}

/** The source rows a refresh has not seen: rowids in (lo, hi], none older than `lower` (a bucket start). */
interface NewRows {
  readonly lo: number;
  readonly hi: number;
  readonly lower: string | null;
}

/** How one column of a stored group (`o`) and of the new rows' partial group (`n`) combine. */
function combineSql(column: string, rule: MergeRule): string {
  const o = `o."${column}"`;
  const n = `n."${column}"`;
  if (rule === "sum") return `CASE WHEN ${o} IS NULL THEN ${n} WHEN ${n} IS NULL THEN ${o} ELSE ${o} + ${n} END`;
  if (rule === "max") return `CASE WHEN ${o} IS NULL OR ${n} > ${o} THEN ${n} ELSE ${o} END`;
  if (rule === "min") return `CASE WHEN ${o} IS NULL OR ${n} < ${o} THEN ${n} ELSE ${o} END`;
  if (rule === "any") return `COALESCE(${o}, ${n})`;
  if ("argMaxOf" in rule) return `CASE WHEN o."${rule.argMaxOf}" IS NULL OR n."${rule.argMaxOf}" > o."${rule.argMaxOf}" THEN ${n} ELSE ${o} END`;
  throw new Error(`derived column ${column} is not combined`);
}

/**
 * Merge refresh: the query over the new source rows only gives each touched group's partial row,
 * which is combined with the stored row column by column; derived columns are recomputed last.
 */
async function mergeNewRows(
  ctx: PipelineContext,
  t: DynamicTableDef,
  { lo, hi, lower }: NewRows,
  tag: { job: string },
): Promise<{ deleted: number; inserted: number }> {
  const inc = t.incremental!;
  const rules = inc.merge!.columns;
  const name = qualifiedName(t);
  const keys = inc.keys.map((k) => k.column);
  // The time bound is redundant with the rowid range but lets DuckDB prune by zone maps.
  const bound = (a: string) => (lower ? `${a}."${inc.timeBound!.timeColumn}" >= TIMESTAMP '${lower}' AND ` : "");
  const newRows: QueryScope = { sourcePredicate: (a) => `${bound(a)}${a}.rowid > ${lo} AND ${a}.rowid <= ${hi}` };
  await runPipelineStatement(ctx, `CREATE TEMP TABLE ${DELTA_TABLE} AS ${t.query(d, newRows)}`, t.warehouse, tag);
  const stored = t.columns.filter((c) => !keys.includes(c.name) && !isDerived(rules[c.name]));
  const combined = [...keys.map((k) => `n."${k}"`), ...stored.map((c) => `${combineSql(c.name, rules[c.name]!)} AS "${c.name}"`)];
  const join = keys.map((k) => `o."${k}" = n."${k}"`).join(" AND ");
  await runPipelineStatement(
    ctx,
    `CREATE TEMP TABLE ${MERGED_TABLE} AS SELECT ${combined.join(", ")} FROM ${DELTA_TABLE} n LEFT JOIN ${name} o ON ${join}`,
    t.warehouse,
    tag,
  );
  const keyList = keys.map((k) => `"${k}"`).join(", ");
  const deleted = (
    await runPipelineStatement(ctx, `DELETE FROM ${name} WHERE (${keyList}) IN (SELECT ${keyList} FROM ${DELTA_TABLE})`, t.warehouse, tag)
  ).rowsChanged;
  const select = t.columns.map((c) => {
    const rule = rules[c.name];
    return rule && isDerived(rule) ? `${rule.derive} AS "${c.name}"` : `"${c.name}"`;
  });
  const inserted = (
    await runPipelineStatement(ctx, `INSERT INTO ${name} (${columnNames(t)}) SELECT ${select.join(", ")} FROM ${MERGED_TABLE}`, t.warehouse, tag)
  ).rowsChanged;
  await ctx.conn.run(`DROP TABLE ${DELTA_TABLE}`);
  await ctx.conn.run(`DROP TABLE ${MERGED_TABLE}`);
  return { deleted, inserted };
}

function isDerived(rule: MergeRule | undefined): rule is { derive: string } {
  return typeof rule === "object" && "derive" in rule;
}

/** Build the changed-keys temp table and the scope predicate for an incremental refresh. */
async function incrementalScope(
  ctx: PipelineContext,
  t: DynamicTableDef,
  { lo, hi, lower }: NewRows,
  tag: { job: string },
): Promise<{ scope: QueryScope; sourceRows: number }> {
  const inc = t.incremental!;
  const range = `src.rowid > ${lo} AND src.rowid <= ${hi}`;
  const keyExprs = inc.keys.map((k) => `${k.sourceExpr(d, "src")} AS "${k.column}"`).join(", ");
  await runPipelineStatement(
    ctx,
    `CREATE TEMP TABLE ${KEYS_TABLE} AS SELECT DISTINCT ${keyExprs} FROM ${inc.source} src WHERE ${range}`,
    t.warehouse,
    tag,
  );
  const sourceRows = hi - lo;
  const scope: QueryScope = {
    sourcePredicate: (alias) => {
      const keys = inc.keys.map((k) => k.sourceExpr(d, alias)).join(", ");
      const bound = lower ? `${alias}."${inc.timeBound!.timeColumn}" >= TIMESTAMP '${lower}' AND ` : "";
      return `${bound}(${keys}) IN (SELECT * FROM ${KEYS_TABLE})`;
    },
  };
  return { scope, sourceRows };
}
