/**
 * What the archive holds, per layer, and how each table is exported.
 *
 * - Append-only tables (RAW, and the CORE tables the task graph appends to) are exported
 *   incrementally: a watermark on a column stamped when the row was committed (`ingested_at`,
 *   `received_at`, `scored_at`) says which rows are archived, and each run writes one new file per
 *   day partition it touches. A row never changes after commit, so a file never has to be rewritten.
 * - Dynamic tables (the gold KPIs and CORE.JOB_STATION_VISITS) are recomputed and merged by their
 *   refresh: an hour's utilisation changes when late readings arrive, and rows have no commit stamp.
 *   They are exported per day partition instead: each run fingerprints every day of the tenant's
 *   rows and rewrites the file of each day whose fingerprint changed (S3 versioning keeps the old one).
 *
 * The partition day is the row's event time (reading time, scan time, KPI hour), so a late reading
 * lands in the partition of the day it happened, as a new file.
 */
import { ALL_OBJECTS, DYNAMIC_TABLES, TABLES } from "../definitions/catalog.ts";
import { qualifiedName, type ColumnDef } from "../definitions/types.ts";

export type Layer = "bronze" | "silver" | "gold";
export const LAYERS: readonly Layer[] = ["bronze", "silver", "gold"];
/** The layers a restore reads back: silver and gold are rebuilt from bronze by the task graph. */
export const RESTORABLE_LAYERS: readonly Layer[] = ["bronze"];

interface ArchivedTableBase {
  readonly layer: Layer;
  /** Qualified name, e.g. `RAW.SENSOR_READINGS`. */
  readonly table: string;
  /** Event-time column whose UTC day is the partition. */
  readonly dayColumn: string;
  readonly columns: readonly ColumnDef[];
}

export interface IncrementalTable extends ArchivedTableBase {
  readonly mode: "incremental";
  /** Commit-time stamp the watermark is kept on. */
  readonly watermarkColumn: string;
  /**
   * Extra condition a row must meet to be archived (QUARANTINE rows with no tenant cannot go to a
   * tenant's prefix).
   */
  readonly where?: string;
  /**
   * The table is written by the task graph from RAW rows: it is complete only up to the oldest RAW
   * row the graph has not processed yet, so the export stops there.
   */
  readonly boundedByPipeline?: boolean;
}

export interface SnapshotTable extends ArchivedTableBase {
  readonly mode: "snapshot";
}

export type ArchivedTable = IncrementalTable | SnapshotTable;

function columnsOf(table: string): readonly ColumnDef[] {
  const o = [...TABLES, ...DYNAMIC_TABLES].find((t) => qualifiedName(t) === table);
  if (!o) throw new Error(`archived table ${table} is not defined (known: ${ALL_OBJECTS.length} objects)`);
  return o.columns;
}

function incremental(layer: Layer, table: string, dayColumn: string, watermarkColumn: string, extra: Partial<IncrementalTable> = {}): IncrementalTable {
  return { layer, table, dayColumn, watermarkColumn, mode: "incremental", columns: columnsOf(table), ...extra };
}

function snapshot(layer: Layer, table: string, dayColumn: string): SnapshotTable {
  return { layer, table, dayColumn, mode: "snapshot", columns: columnsOf(table) };
}

/**
 * CORE.RULE_BREACHES is not archived: it is derived from silver and the rules, gold ALERTS (archived)
 * summarises it, and its only commit stamp is when it was scored, so a hub rebuilt from the
 * archive would stamp it anew and archive it a second time.
 *
 * RAW.DEVICE_MESSAGES is not archived: it has no tenant column (the tenant is inside the message),
 * exists only on the production Firehose path, and every message it holds is expanded into
 * RAW.SENSOR_READINGS or RAW.QUARANTINE, which are archived.
 */
export const ARCHIVED_TABLES: readonly ArchivedTable[] = [
  incremental("bronze", "RAW.SENSOR_READINGS", "ts", "ingested_at"),
  incremental("bronze", "RAW.JOB_SCANS", "scan_ts", "ingested_at"),
  // What was refused on the way in. Rows the validate task refuses are left out: they are derived
  // from archived RAW rows and the task recreates them after a restore (stamped anew, so archiving
  // them would archive them twice).
  incremental("bronze", "RAW.QUARANTINE", "received_at", "received_at", { where: "tenant_id IS NOT NULL AND source <> 'validate'" }),
  incremental("silver", "CORE.SENSOR_READINGS_NORMALIZED", "ts", "ingested_at", { boundedByPipeline: true }),
  snapshot("silver", "CORE.JOB_STATION_VISITS", "enter_ts"),
  snapshot("gold", "ANALYTICS.MACHINE_UTILIZATION_HOURLY", "hour"),
  snapshot("gold", "ANALYTICS.ENERGY_HOURLY", "hour"),
  snapshot("gold", "ANALYTICS.AIR_QUALITY_CURRENT", "ts"),
  snapshot("gold", "ANALYTICS.PRODUCTION_FLOW", "start_ts"),
  snapshot("gold", "ANALYTICS.ALERTS", "window_start"),
];

export function tablesOf(layers: readonly Layer[]): ArchivedTable[] {
  return ARCHIVED_TABLES.filter((t) => layers.includes(t.layer));
}

export function archivedTable(name: string): ArchivedTable {
  const t = ARCHIVED_TABLES.find((x) => x.table === name.toUpperCase());
  if (!t) throw new Error(`${name} is not an archived table (archived: ${ARCHIVED_TABLES.map((x) => x.table).join(", ")})`);
  return t;
}

/** `raw.sensor_readings`: the table's folder name in the archive. */
export function tableFolder(table: string): string {
  return table.toLowerCase();
}
