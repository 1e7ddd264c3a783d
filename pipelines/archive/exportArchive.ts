/**
 * Export one tenant's tables to the archive, one run per layer:
 *
 * 1. In one read transaction (one snapshot): for each append-only table, the rows with
 *    `lo <= watermark column < hi` (lo: the stored watermark, hi: `asOf`), one Parquet file per day
 *    partition, named after the run; for each recomputed table, the day partitions whose content
 *    fingerprint differs from the one archived, rewritten whole.
 * 2. The manifest, naming every file with its rows, event-time range and sha256.
 * 3. Only then, in one transaction, the watermarks advance and the run is recorded.
 *
 * A run interrupted before step 3 left the watermarks where they were, so the re-run has the same
 * run number, covers the same rows (plus any that arrived since), writes the same keys and
 * overwrites what the interrupted run left: nothing is archived twice or skipped. The files are
 * written by DuckDB's own Parquet writer (`COPY ... TO ... (FORMAT parquet)`), on the hub's file
 * instance (`fileIo.ts`): the warehouse's own instance has no file access, so each file's rows are
 * streamed across to it first.
 */
import { quoteString } from "../dialect/index.ts";
import { sqlTimestamp } from "../engine/clock.ts";
import { CONTROL_SCHEMA } from "../engine/controlTables.ts";
import { qualifiedName } from "../definitions/types.ts";
import { ARCHIVE_RUNS, ARCHIVE_WATERMARKS } from "../definitions/archive.ts";
import { TENANT_MAP } from "../definitions/governance.ts";
import { STREAMS } from "../definitions/catalog.ts";
import type { Warehouse } from "../warehouse/warehouse.ts";
import type { DuckDbWarehouse } from "../warehouse/duckdbWarehouse.ts";
import type { FileIo, StagedRows } from "../engine/fileIo.ts";
import { ARCHIVED_TABLES, tablesOf, type ArchivedTable, type IncrementalTable, type Layer, type SnapshotTable } from "./archivedTables.ts";
import { assertTenantKey, checkTenantId, dataKey, manifestKey, runSeqText } from "./archiveKeys.ts";
import { sha256File, type ArchiveStore } from "./archiveStore.ts";
import { ensureArchiveId } from "./archiveIdentity.ts";
import { MANIFEST_FORMAT, manifestText, type Manifest, type ManifestFile, type ManifestTable } from "./manifest.ts";
import { statSync } from "node:fs";

export const WATERMARKS = qualifiedName(ARCHIVE_WATERMARKS);
export const RUNS = qualifiedName(ARCHIVE_RUNS);

/** Parquet options for every archive file (and the benchmark's bare COPY). */
export const PARQUET_OPTIONS = "FORMAT parquet, COMPRESSION zstd";

export interface ExportOptions {
  /** An admin (or pipeline) session on the hub. */
  readonly session: DuckDbWarehouse;
  /** The hub's file instance (`engine.files()`), which writes the Parquet files. */
  readonly files: FileIo;
  readonly store: ArchiveStore;
  readonly tenant: string;
  readonly layers: readonly Layer[];
  /** Exclusive upper bound of this export on the commit-time columns. */
  readonly asOf: Date;
  readonly progress?: (message: string) => void;
  /**
   * Called after each data file is published and after the manifest is written (before the
   * watermarks advance). Tests throw from it to interrupt a run at a real boundary.
   */
  readonly checkpoint?: (event: { kind: "file" | "manifest"; key: string }) => void | Promise<void>;
}

export interface TableExport {
  readonly table: string;
  readonly layer: Layer;
  readonly files: number;
  readonly rows: number;
  readonly bytes: number;
  /** Recomputed tables: days the hub no longer has rows for, whose archived file was kept. */
  readonly keptDays?: number;
}

export interface RunExport {
  readonly tenant: string;
  readonly layer: Layer;
  readonly runId: string | null;
  readonly manifestKey: string | null;
  readonly files: number;
  readonly rows: number;
  readonly bytes: number;
  readonly tables: readonly TableExport[];
}

const ts = (d: Date) => `TIMESTAMP '${sqlTimestamp(d)}'`;
const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : v == null ? null : String(v));
const dayOf = (v: unknown) => (v instanceof Date ? v.toISOString().slice(0, 10) : String(v).slice(0, 10));

function columnList(t: ArchivedTable): string {
  return t.columns.map((c) => c.name).join(", ");
}

/** Tenants the hub knows: any with rows in RAW or a role in the tenant map. */
export async function knownTenants(session: Warehouse): Promise<string[]> {
  const rows = await session.query<{ tenant_id: string }>(
    `SELECT DISTINCT tenant_id FROM (SELECT tenant_id FROM RAW.SENSOR_READINGS UNION ALL SELECT tenant_id FROM RAW.JOB_SCANS ` +
      `UNION ALL SELECT tenant_id FROM ${qualifiedName(TENANT_MAP)}) t WHERE tenant_id IS NOT NULL ORDER BY 1`,
  );
  return rows.map((r) => r.tenant_id);
}

/**
 * The hub's "now" for an export from a script: the script holds the database alone, so every
 * commit is done; one millisecond past the newest commit stamp (or the last task run) covers all
 * of them. Writers stamp with a clock that has moved on since (the task runner and `npm start`
 * advance the simulated clock before they land or run anything).
 */
export async function quiescentAsOf(session: Warehouse): Promise<Date> {
  const parts = ARCHIVED_TABLES.filter((t): t is IncrementalTable => t.mode === "incremental").map(
    (t) => `SELECT MAX(${t.watermarkColumn}) AS t FROM ${t.table}`,
  );
  parts.push(`SELECT MAX(last_scheduled_at) AS t FROM ${CONTROL_SCHEMA}.TASKS`);
  const r = await session.query<{ t: Date | null }>(`SELECT MAX(t) AS t FROM (${parts.join(" UNION ALL ")}) x`);
  const t = r[0]?.t;
  return new Date((t ? t.getTime() : 0) + 1);
}

/**
 * For tables the task graph writes from RAW rows: the oldest landing time of a RAW reading some
 * stream on RAW.SENSOR_READINGS has not consumed yet (the task graph has not finished with it).
 * Silver is exported only below it, so a row normalised later, carrying its original
 * `ingested_at`, is not skipped. The streams come from the catalog, so a new consumer counts too.
 */
async function pipelineBound(session: Warehouse, tenant: string): Promise<Date | null> {
  const streams = STREAMS.filter((st) => st.on === "RAW.SENSOR_READINGS").map(qualifiedName);
  if (!streams.length) return null;
  const r = await session.query<{ t: Date | null }>(
    `SELECT MIN(t) AS t FROM (${streams.map((st) => `SELECT MIN(ingested_at) AS t FROM ${st} WHERE tenant_id = ${quoteString(tenant)}`).join(" UNION ALL ")}) x`,
  );
  return r[0]?.t ?? null;
}

async function nextRunSeq(session: Warehouse, archive: string, tenant: string, layer: Layer): Promise<number> {
  const r = await session.query<{ n: number | bigint | null }>(
    `SELECT MAX(run_seq) AS n FROM ${RUNS} WHERE archive = ? AND tenant_id = ? AND layer = ?`,
    { binds: [archive, tenant, layer] },
  );
  return Number(r[0]?.n ?? 0) + 1;
}

interface PlannedWatermark {
  readonly table: string;
  readonly layer: Layer;
  readonly partitionDay: string | null;
  readonly watermark: Date;
  readonly rowCount: number | null;
  readonly fingerprint: string | null;
}

/**
 * The select list of one archive file, over its staged rows. A low-cardinality text column goes out
 * as an ENUM of the file's own values: Parquet's writer then takes each row's dictionary index
 * instead of hashing its text (the text columns were two thirds of a day of silver's export), and
 * a reader gets the same strings back. A column with no values in the file stays as it is.
 */
async function selectList(staged: StagedRows, t: ArchivedTable): Promise<string> {
  const few = t.columns.filter((c) => c.cardinality === "low" && c.type === "varchar");
  if (few.length === 0) return columnList(t);
  const [values] = await staged.query(
    `SELECT ${few.map((c) => `list(DISTINCT ${c.name} ORDER BY ${c.name}) FILTER (WHERE ${c.name} IS NOT NULL) AS ${c.name}`).join(", ")} FROM ${staged.table}`,
  );
  return t.columns.map((c) => {
    const v = few.includes(c) ? values?.[c.name] : undefined;
    if (!Array.isArray(v) || v.length === 0) return c.name;
    return `CAST(${c.name} AS ENUM(${v.map((x) => quoteString(String(x))).join(", ")})) AS ${c.name}`;
  }).join(", ");
}

/** Write one day's rows of `t` (selected by `where`) as a Parquet file under `key`. */
async function writePartition(o: Run, t: ArchivedTable, key: string, where: string): Promise<{ sha256: string; bytes: number }> {
  assertTenantKey(o.tenant, key);
  const path = await o.store.stagingPath(key);
  await o.session.withStream(`SELECT ${columnList(t)} FROM ${t.table} WHERE ${where}`, async (result) => {
    const rows = await o.files.stage(result);
    try {
      await rows.copyTo(await selectList(rows, t), path, PARQUET_OPTIONS);
    } finally {
      await rows.drop();
    }
  });
  const sha256 = await sha256File(path);
  const bytes = statSync(path).size;
  await o.store.commitFile(key, path, sha256);
  await o.checkpoint?.({ kind: "file", key });
  return { sha256, bytes };
}

const dayRange = (t: ArchivedTable, day: string) =>
  `${t.dayColumn} >= DATE '${day}' AND ${t.dayColumn} < DATE '${day}' + INTERVAL 1 DAY`;

async function exportIncremental(o: Run, t: IncrementalTable, seq: number, planned: PlannedWatermark[]): Promise<ManifestTable | null> {
  const tenant = quoteString(o.tenant);
  const wm = await o.session.query<{ watermark: Date }>(
    `SELECT watermark FROM ${WATERMARKS} WHERE archive = ? AND tenant_id = ? AND table_name = ? AND partition_day IS NULL`,
    { binds: [o.archive, o.tenant, t.table] },
  );
  const lo = wm[0]?.watermark ?? null;
  let hi = o.asOf;
  if (t.boundedByPipeline) {
    const b = await pipelineBound(o.session, o.tenant);
    if (b && b < hi) hi = b;
  }
  if (lo && hi <= lo) return null;
  const where = `tenant_id = ${tenant} AND ${t.watermarkColumn} < ${ts(hi)}${lo ? ` AND ${t.watermarkColumn} >= ${ts(lo)}` : ""}${t.where ? ` AND ${t.where}` : ""}`;
  const days = await o.session.query<{ d: Date; n: number; min_ts: Date; max_ts: Date }>(
    `SELECT CAST(${t.dayColumn} AS DATE) AS d, COUNT(*) AS n, MIN(${t.dayColumn}) AS min_ts, MAX(${t.dayColumn}) AS max_ts ` +
      `FROM ${t.table} WHERE ${where} GROUP BY 1 ORDER BY 1`,
  );
  const files: ManifestFile[] = [];
  for (const d of days) {
    const day = dayOf(d.d);
    const key = dataKey(t.layer, t.table, o.tenant, day, `part-${runSeqText(seq)}.parquet`);
    o.progress?.(`${o.tenant} ${t.table} ${day}: ${Number(d.n).toLocaleString("en")} rows`);
    const w = await writePartition(o, t, key, `${where} AND ${dayRange(t, day)}`);
    files.push({ key, day, rows: Number(d.n), bytes: w.bytes, sha256: w.sha256, minTs: iso(d.min_ts), maxTs: iso(d.max_ts) });
  }
  planned.push({ table: t.table, layer: t.layer, partitionDay: null, watermark: hi, rowCount: null, fingerprint: null });
  return { table: t.table, mode: "incremental", dayColumn: t.dayColumn, watermarkColumn: t.watermarkColumn, watermark: { from: iso(lo), to: hi.toISOString() }, files };
}

async function exportSnapshot(o: Run, t: SnapshotTable, planned: PlannedWatermark[]): Promise<{ table: ManifestTable | null; kept: number }> {
  const tenant = quoteString(o.tenant);
  // A day's fingerprint: the sum of its rows' hashes (order-free, and duplicates count). Doubles
  // are hashed at single precision: a refresh that merged sums batch by batch and one that summed
  // in one pass differ in the last bits (addition is not associative), which is not a change.
  const hashed = t.columns.map((c) => (c.type === "double" ? `CAST(${c.name} AS FLOAT)` : c.name)).join(", ");
  const now = await o.session.query<{ d: Date; n: number; fp: string; min_ts: Date; max_ts: Date }>(
    `SELECT CAST(${t.dayColumn} AS DATE) AS d, COUNT(*) AS n, CAST(CAST(SUM(hash(${hashed})) AS HUGEINT) AS VARCHAR) AS fp, ` +
      `MIN(${t.dayColumn}) AS min_ts, MAX(${t.dayColumn}) AS max_ts FROM ${t.table} WHERE tenant_id = ${tenant} AND ${t.dayColumn} IS NOT NULL GROUP BY 1 ORDER BY 1`,
  );
  const archived = await o.session.query<{ partition_day: Date; fingerprint: string }>(
    `SELECT partition_day, fingerprint FROM ${WATERMARKS} WHERE archive = ? AND tenant_id = ? AND table_name = ? AND partition_day IS NOT NULL`,
    { binds: [o.archive, o.tenant, t.table] },
  );
  const had = new Map(archived.map((a) => [dayOf(a.partition_day), a.fingerprint]));
  const files: ManifestFile[] = [];
  for (const d of now) {
    const day = dayOf(d.d);
    if (had.get(day) === d.fp) continue;
    const key = dataKey(t.layer, t.table, o.tenant, day, "data.parquet");
    o.progress?.(`${o.tenant} ${t.table} ${day}: ${Number(d.n).toLocaleString("en")} rows (${had.has(day) ? "changed" : "new"} day)`);
    const w = await writePartition(o, t, key, `tenant_id = ${tenant} AND ${dayRange(t, day)}`);
    files.push({ key, day, rows: Number(d.n), bytes: w.bytes, sha256: w.sha256, minTs: iso(d.min_ts), maxTs: iso(d.max_ts), fingerprint: d.fp });
    planned.push({ table: t.table, layer: t.layer, partitionDay: day, watermark: o.asOf, rowCount: Number(d.n), fingerprint: d.fp });
  }
  // A day the hub no longer has (retention, a partial restore) keeps its archived file: an export
  // never replaces archived data with nothing.
  const present = new Set(now.map((d) => dayOf(d.d)));
  const kept = [...had.keys()].filter((d) => !present.has(d)).length;
  if (!files.length) return { table: null, kept };
  return { table: { table: t.table, mode: "snapshot", dayColumn: t.dayColumn, watermarkColumn: null, watermark: { from: null, to: o.asOf.toISOString() }, files }, kept };
}

async function exportLayer(o: Run, layer: Layer): Promise<RunExport> {
  const s = o.session;
  const seq = await nextRunSeq(s, o.archive, o.tenant, layer);
  const runId = `${layer}-${runSeqText(seq)}`;
  const planned: PlannedWatermark[] = [];
  const tables: ManifestTable[] = [];
  const summary: TableExport[] = [];
  // One snapshot for every read of the run: counts, fingerprints and files agree.
  await s.execute("BEGIN TRANSACTION");
  try {
    for (const t of tablesOf([layer])) {
      if (t.mode === "incremental") {
        const m = await exportIncremental(o, t, seq, planned);
        if (m?.files.length) tables.push(m);
        summary.push({ table: t.table, layer, files: m?.files.length ?? 0, rows: sum(m?.files, "rows"), bytes: sum(m?.files, "bytes") });
      } else {
        const { table: m, kept } = await exportSnapshot(o, t, planned);
        if (m) tables.push(m);
        summary.push({ table: t.table, layer, files: m?.files.length ?? 0, rows: sum(m?.files, "rows"), bytes: sum(m?.files, "bytes"), keptDays: kept });
      }
    }
  } finally {
    await s.execute("COMMIT").catch(() => s.execute("ROLLBACK").catch(() => undefined));
  }
  const files = summary.reduce((a, t) => a + t.files, 0);
  const rows = summary.reduce((a, t) => a + t.rows, 0);
  const bytes = summary.reduce((a, t) => a + t.bytes, 0);
  if (files === 0) return { tenant: o.tenant, layer, runId: null, manifestKey: null, files, rows, bytes, tables: summary };

  const mKey = manifestKey(o.tenant, layer, seq);
  const manifest: Manifest = {
    format: MANIFEST_FORMAT, archive: o.archive, tenant: o.tenant, layer, runSeq: seq, runId, createdAt: o.asOf.toISOString(), tables,
  };
  assertTenantKey(o.tenant, mKey);
  await o.store.putText(mKey, manifestText(manifest));
  await o.checkpoint?.({ kind: "manifest", key: mKey });
  await commitWatermarks(s, o.archive, o.tenant, layer, seq, runId, mKey, planned, { files, rows, bytes }, o.asOf);
  return { tenant: o.tenant, layer, runId, manifestKey: mKey, files, rows, bytes, tables: summary };
}

function sum(files: readonly ManifestFile[] | undefined, k: "rows" | "bytes"): number {
  return (files ?? []).reduce((a, f) => a + f[k], 0);
}

async function commitWatermarks(
  s: Warehouse, archive: string, tenant: string, layer: Layer, seq: number, runId: string, mKey: string,
  planned: readonly PlannedWatermark[], totals: { files: number; rows: number; bytes: number }, at: Date,
): Promise<void> {
  await s.execute("BEGIN TRANSACTION");
  try {
    for (const p of planned) {
      await s.execute(
        `DELETE FROM ${WATERMARKS} WHERE archive = ? AND tenant_id = ? AND table_name = ? AND ` +
          (p.partitionDay ? `partition_day = CAST(? AS DATE)` : "partition_day IS NULL"),
        { binds: p.partitionDay ? [archive, tenant, p.table, p.partitionDay] : [archive, tenant, p.table] },
      );
      await s.execute(`INSERT INTO ${WATERMARKS} VALUES (?, ?, ?, ?, CAST(? AS DATE), ?, ?, ?, ?, ?)`, {
        binds: [archive, tenant, p.table, p.layer, p.partitionDay, p.watermark, p.rowCount, p.fingerprint, runId, at],
      });
    }
    await s.execute(`INSERT INTO ${RUNS} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'EXPORTED', ?)`, {
      binds: [archive, tenant, layer, seq, runId, mKey, totals.files, totals.rows, totals.bytes, at],
    });
    await s.execute("COMMIT");
  } catch (e) {
    await s.execute("ROLLBACK").catch(() => undefined);
    throw e;
  }
}

/** An export with the archive's name resolved (archiveIdentity.ts). */
interface Run extends ExportOptions {
  readonly archive: string;
}

/**
 * The archive's id (written by the first export), with the hub's bookkeeping for it moved from
 * the archive's location where an older hub kept it under that.
 */
async function resolveArchive(o: ExportOptions): Promise<string> {
  const id = await ensureArchiveId(o.store, o.asOf);
  await o.session.execute("BEGIN TRANSACTION");
  try {
    for (const table of [WATERMARKS, RUNS]) await o.session.execute(`UPDATE ${table} SET archive = ? WHERE archive = ?`, { binds: [id, o.store.location] });
    await o.session.execute("COMMIT");
  } catch (e) {
    await o.session.execute("ROLLBACK").catch(() => undefined);
    throw e;
  }
  return id;
}

/** Export each requested layer of one tenant; a layer with nothing new writes nothing. */
export async function exportTenant(o: ExportOptions): Promise<RunExport[]> {
  checkTenantId(o.tenant);
  const run: Run = { ...o, archive: await resolveArchive(o) };
  const out: RunExport[] = [];
  for (const layer of o.layers) out.push(await exportLayer(run, layer));
  return out;
}
