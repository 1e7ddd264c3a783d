/**
 * Restore a tenant's archived bronze partitions into a hub: a fresh one (disaster recovery) or the
 * live one (backfill after an outage). Every file is fetched and its sha256 checked first; one
 * corrupt or missing file refuses the whole restore before anything is written.
 *
 * Rows go in as a multiset difference, `archived EXCEPT ALL present`, scoped to the tenant and the
 * days restored: a row already in the hub is not added again, while bronze's own duplicates (a
 * QoS 1 redelivery is landed twice, identically) are kept as often as they were archived. The
 * restored rows keep their `ingested_at`, enter the RAW streams like any landing, and the task
 * graph and dynamic tables rebuild silver and gold from them; silver deduplicates against rows it
 * already has. Silver and gold are not restored directly: they are derived, and inserting them
 * under the streams would score and alert on them a second time.
 *
 * The hub also learns the archive's bookkeeping (runs, watermarks, day fingerprints) where it has
 * none for that archive, so its next export continues the archive instead of writing it again.
 *
 * On Snowflake the same files load from the external stage over the archive bucket
 * (`snowflakeRestoreSql`).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { quoteString } from "../dialect/index.ts";
import type { Warehouse } from "../warehouse/warehouse.ts";
import type { DuckDbWarehouse } from "../warehouse/duckdbWarehouse.ts";
import type { FileIo } from "../engine/fileIo.ts";
import { archivedTable, RESTORABLE_LAYERS, tableFolder, tablesOf, type IncrementalTable, type Layer } from "./archivedTables.ts";
import { checkTenantId, dayParts } from "./archiveKeys.ts";
import type { ArchiveStore } from "./archiveStore.ts";
import { CorruptArchiveError, fetchVerified, readTenantArchive, type TenantArchive } from "./archiveReader.ts";
import { RUNS, WATERMARKS } from "./exportArchive.ts";
import type { CurrentFile } from "./manifest.ts";
import { archiveName } from "./archiveIdentity.ts";

// Beside LAYERS, so the archive command checks --layer without loading the restore.
export { RESTORABLE_LAYERS } from "./archivedTables.ts";

export interface RestoreOptions {
  /** An admin session on the hub. */
  readonly session: DuckDbWarehouse;
  /** The hub's file instance (`engine.files()`), which reads the Parquet files. */
  readonly files: FileIo;
  readonly store: ArchiveStore;
  readonly tenant: string;
  /** First and last day restored (`YYYY-MM-DD`, inclusive), by the partition's event day. */
  readonly from: string;
  readonly to: string;
  readonly progress?: (message: string) => void;
}

export interface TableRestore {
  readonly table: string;
  readonly files: number;
  /** Rows in the archived files. */
  readonly archivedRows: number;
  /** Rows inserted; archivedRows - restoredRows were already in the hub. */
  readonly restoredRows: number;
}

export interface RestoreReport {
  readonly tenant: string;
  readonly from: string;
  readonly to: string;
  readonly tables: readonly TableRestore[];
  readonly learnedRuns: number;
}

function checkDays(from: string, to: string): void {
  dayParts(from);
  dayParts(to);
  if (from > to) throw new Error(`--from ${from} is after --to ${to}`);
}

function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

export async function restoreTenant(o: RestoreOptions): Promise<RestoreReport> {
  checkTenantId(o.tenant);
  checkDays(o.from, o.to);
  const archive = await readTenantArchive(o.store, o.tenant);
  if (!archive.manifests.length) throw new Error(`unknown tenant ${o.tenant} in the archive at ${o.store.location}: it holds no manifest for it`);
  const wanted = [...archive.files.values()].filter((f) => RESTORABLE_LAYERS.includes(f.layer as Layer) && f.day >= o.from && f.day <= o.to);
  const scratch = mkdtempSync(join(tmpdir(), "hub-restore-"));
  try {
    // Check everything before writing anything.
    o.progress?.(`checking ${wanted.length} archived files of ${o.tenant}, ${o.from} to ${o.to}`);
    const paths = new Map<CurrentFile, string>();
    for (const f of wanted) {
      const r = await fetchVerified(o.store, f, scratch);
      if (!r.ok) throw new CorruptArchiveError(`${r.detail}; nothing was restored`);
      paths.set(f, r.path);
    }
    const s = o.session;
    const tables: TableRestore[] = [];
    await s.execute("BEGIN TRANSACTION");
    try {
      for (const t of tablesOf(RESTORABLE_LAYERS)) {
        const files = wanted.filter((f) => f.table === t.table);
        if (!files.length) {
          tables.push({ table: t.table, files: 0, archivedRows: 0, restoredRows: 0 });
          continue;
        }
        tables.push(await restoreTable(s, t as IncrementalTable, o, files.map((f) => paths.get(f)!)));
        o.progress?.(`${t.table}: ${tables.at(-1)!.restoredRows.toLocaleString("en")} rows restored`);
      }
      const learnedRuns = await learnBookkeeping(s, await archiveName(o.store), archive);
      await s.execute("COMMIT");
      return { tenant: o.tenant, from: o.from, to: o.to, tables, learnedRuns };
    } catch (e) {
      await s.execute("ROLLBACK").catch(() => undefined);
      throw e;
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The temporary table a restore stages one table's archived rows in, on the session. */
const STAGED = "restore_staged";

async function restoreTable(s: DuckDbWarehouse, t: IncrementalTable, o: RestoreOptions, paths: string[]): Promise<TableRestore> {
  const cols = t.columns.map((c) => c.name).join(", ");
  // The warehouse's instance reads no files: the file instance reads them and streams the rows
  // across into a temporary table of this session (fileIo.ts).
  await s.execute(`DROP TABLE IF EXISTS temp.main.${STAGED}`);
  await o.files.read(`SELECT ${cols} FROM read_parquet([${paths.map(quoteString).join(", ")}])`, (result) => s.appendToTemporary(STAGED, result));
  try {
    return await restoreStaged(s, t, o, paths.length, cols);
  } finally {
    await s.execute(`DROP TABLE IF EXISTS temp.main.${STAGED}`);
  }
}

async function restoreStaged(s: DuckDbWarehouse, t: IncrementalTable, o: RestoreOptions, fileCount: number, cols: string): Promise<TableRestore> {
  const files = `temp.main.${STAGED}`;
  const keep = t.where ? ` AND ${t.where}` : "";
  const [stats] = await s.query<{ n: number; other_tenant: number }>(
    `SELECT COUNT(*) FILTER (WHERE TRUE${keep}) AS n, COUNT(*) FILTER (WHERE tenant_id IS DISTINCT FROM ${quoteString(o.tenant)}) AS other_tenant FROM ${files}`,
  );
  if (Number(stats!.other_tenant) > 0) throw new CorruptArchiveError(`archived ${t.table} files of tenant ${o.tenant} hold rows of another tenant; nothing was restored`);
  const range = `${t.dayColumn} >= DATE '${o.from}' AND ${t.dayColumn} < DATE '${nextDay(o.to)}'`;
  const present = `SELECT ${cols} FROM ${t.table} WHERE tenant_id = ${quoteString(o.tenant)} AND ${range}${keep}`;
  // Disaster recovery restores into a hub with none of these rows: a plain insert then. Otherwise
  // only the difference goes in.
  const [held] = await s.query<{ n: number }>(`SELECT COUNT(*) AS n FROM (${present}) x`);
  const source = Number(held!.n) === 0 ? `SELECT ${cols} FROM ${files} WHERE TRUE${keep}` : `SELECT ${cols} FROM ${files} WHERE TRUE${keep} EXCEPT ALL ${present}`;
  const restored = await s.execute(`INSERT INTO ${t.table} (${cols}) SELECT ${cols} FROM (${source}) x`);
  return { table: t.table, files: fileCount, archivedRows: Number(stats!.n), restoredRows: restored };
}

/** Runs, watermarks and day fingerprints the archive records and the hub does not know yet. */
async function learnBookkeeping(s: Warehouse, location: string, archive: TenantArchive): Promise<number> {
  const tenant = archive.tenant;
  const knownRuns = new Set(
    (await s.query<{ layer: string; run_seq: number }>(`SELECT layer, run_seq FROM ${RUNS} WHERE archive = ? AND tenant_id = ?`, { binds: [location, tenant] })).map(
      (r) => `${r.layer}/${Number(r.run_seq)}`,
    ),
  );
  let learned = 0;
  const incrementalTo = new Map<string, { layer: string; to: string; runId: string }>();
  for (const { key, manifest: m } of archive.manifests) {
    for (const t of m.tables) {
      if (t.mode !== "incremental") continue;
      const prev = incrementalTo.get(t.table);
      if (!prev || t.watermark.to > prev.to) incrementalTo.set(t.table, { layer: m.layer, to: t.watermark.to, runId: m.runId });
    }
    if (knownRuns.has(`${m.layer}/${m.runSeq}`)) continue;
    const files = m.tables.reduce((a, t) => a + t.files.length, 0);
    const rows = m.tables.reduce((a, t) => a + t.files.reduce((b, f) => b + f.rows, 0), 0);
    const bytes = m.tables.reduce((a, t) => a + t.files.reduce((b, f) => b + f.bytes, 0), 0);
    await s.execute(`INSERT INTO ${RUNS} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'LEARNED_FROM_ARCHIVE', CAST(? AS TIMESTAMP))`, {
      binds: [location, tenant, m.layer, m.runSeq, m.runId, key, files, rows, bytes, m.createdAt.replace("Z", "")],
    });
    learned++;
  }
  const have = await s.query<{ table_name: string; partition_day: Date | null }>(
    `SELECT table_name, partition_day FROM ${WATERMARKS} WHERE archive = ? AND tenant_id = ?`,
    { binds: [location, tenant] },
  );
  const haveKey = new Set(have.map((h) => `${h.table_name}/${h.partition_day ? h.partition_day.toISOString().slice(0, 10) : ""}`));
  const insert = (table: string, layer: string, day: string | null, watermark: string, rows: number | null, fp: string | null, runId: string) =>
    s.execute(`INSERT INTO ${WATERMARKS} VALUES (?, ?, ?, ?, CAST(? AS DATE), CAST(? AS TIMESTAMP), ?, ?, ?, CAST(? AS TIMESTAMP))`, {
      binds: [location, tenant, table, layer, day, watermark.replace("Z", ""), rows, fp, runId, watermark.replace("Z", "")],
    });
  for (const [table, w] of incrementalTo) {
    if (!haveKey.has(`${table}/`)) await insert(table, w.layer, null, w.to, null, null, w.runId);
  }
  for (const f of archive.files.values()) {
    if (f.mode !== "snapshot" || haveKey.has(`${f.table}/${f.day}`)) continue;
    await insert(f.table, f.layer, f.day, f.watermark.to, f.rows, f.fingerprint ?? null, `${f.layer}-${String(f.runSeq).padStart(6, "0")}`);
  }
  return learned;
}

/**
 * Production: the statements that load the same partitions into Snowflake from an external stage
 * over the archive bucket (`@<stage>/<layer>/<table>/tenant=<t>/year=/month=/day=/`). Snowflake's
 * load metadata skips files it has loaded before, which is its guard against duplicates.
 */
export function snowflakeRestoreSql(stage: string, tenant: string, from: string, to: string): string[] {
  checkTenantId(tenant);
  checkDays(from, to);
  if (!/^@?[A-Za-z_][A-Za-z0-9_.$]*$/.test(stage)) throw new Error(`stage ${JSON.stringify(stage)} is not a stage name`);
  const out: string[] = [];
  for (let d = from; d <= to; d = nextDay(d)) {
    const p = dayParts(d);
    for (const name of ["RAW.SENSOR_READINGS", "RAW.JOB_SCANS", "RAW.QUARANTINE"]) {
      const t = archivedTable(name) as IncrementalTable;
      const path = `${stage.startsWith("@") ? stage : `@${stage}`}/bronze/${tableFolder(t.table)}/tenant=${tenant}/year=${p.year}/month=${p.month}/day=${p.day}/`;
      out.push(`COPY INTO ${t.table} FROM ${path} FILE_FORMAT = (TYPE = PARQUET) MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE PATTERN = '.*part-[0-9]+[.]parquet';`);
    }
  }
  return out;
}
