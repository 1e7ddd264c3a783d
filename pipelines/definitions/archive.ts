/**
 * The archive's bookkeeping, kept in the warehouse (the system of record), not in the archive:
 * how far each table of each tenant has been exported to each archive, and the runs that did it.
 * `pipelines/archive/` reads and writes these; see README "Archive and lake".
 */
import { col, type TableDef } from "./types.ts";

export const ARCHIVE_WATERMARKS: TableDef = {
  kind: "table",
  schema: "OPS",
  name: "ARCHIVE_WATERMARKS",
  comment:
    "Export watermarks per archive, tenant and table: append-only tables have one row (rows below `watermark` are archived); " +
    "recomputed tables have one row per day partition with the fingerprint of what was archived.",
  columns: [
    col("archive", "varchar", "archive location, e.g. s3://bucket or file:///path", { nullable: false }),
    col("tenant_id", "varchar", "tenant", { nullable: false }),
    col("table_name", "varchar", "qualified table name", { nullable: false }),
    col("layer", "varchar", "bronze | silver | gold", { nullable: false }),
    col("partition_day", "date", "day partition of a recomputed table; NULL for an append-only table"),
    col("watermark", "timestamp", "append-only: rows whose watermark column is below this are archived; recomputed: when the day was exported", { nullable: false }),
    col("row_count", "bigint", "recomputed tables: rows in the archived day partition"),
    col("fingerprint", "varchar", "recomputed tables: content hash of the archived day partition"),
    col("run_id", "varchar", "export run that set it", { nullable: false }),
    col("updated_at", "timestamp", "when it was set", { nullable: false }),
  ],
};

export const ARCHIVE_RUNS: TableDef = {
  kind: "table",
  schema: "OPS",
  name: "ARCHIVE_RUNS",
  comment: "One row per committed export run (or, after a restore, per archived run the hub learned from the manifests).",
  appendOnly: true,
  columns: [
    col("archive", "varchar", "archive location", { nullable: false }),
    col("tenant_id", "varchar", "tenant", { nullable: false }),
    col("layer", "varchar", "bronze | silver | gold", { nullable: false }),
    col("run_seq", "bigint", "run number within (archive, tenant, layer); names the manifest", { nullable: false }),
    col("run_id", "varchar", "<layer>-<run_seq>", { nullable: false }),
    col("manifest_key", "varchar", "manifest object key in the archive", { nullable: false }),
    col("files", "bigint", "Parquet files written"),
    col("row_count", "bigint", "rows written"),
    col("bytes", "bigint", "bytes written"),
    col("status", "varchar", "EXPORTED | LEARNED_FROM_ARCHIVE", { nullable: false }),
    col("finished_at", "timestamp", "when the watermarks advanced", { nullable: false }),
  ],
};
