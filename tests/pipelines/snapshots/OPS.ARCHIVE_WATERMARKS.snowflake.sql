-- OPS.ARCHIVE_WATERMARKS 1/2 create; revert: DROP TABLE IF EXISTS OPS.ARCHIVE_WATERMARKS
CREATE TABLE IF NOT EXISTS OPS.ARCHIVE_WATERMARKS (
  archive VARCHAR NOT NULL COMMENT 'archive location, e.g. s3://bucket or file:///path',
  tenant_id VARCHAR NOT NULL COMMENT 'tenant',
  table_name VARCHAR NOT NULL COMMENT 'qualified table name',
  layer VARCHAR NOT NULL COMMENT 'bronze | silver | gold',
  partition_day DATE COMMENT 'day partition of a recomputed table; NULL for an append-only table',
  watermark TIMESTAMP_NTZ NOT NULL COMMENT 'append-only: rows whose watermark column is below this are archived; recomputed: when the day was exported',
  row_count NUMBER(38,0) COMMENT 'recomputed tables: rows in the archived day partition',
  fingerprint VARCHAR COMMENT 'recomputed tables: content hash of the archived day partition',
  run_id VARCHAR NOT NULL COMMENT 'export run that set it',
  updated_at TIMESTAMP_NTZ NOT NULL COMMENT 'when it was set'
)
COMMENT = 'Export watermarks per archive, tenant and table: append-only tables have one row (rows below `watermark` are archived); recomputed tables have one row per day partition with the fingerprint of what was archived.';

-- OPS.ARCHIVE_WATERMARKS 2/2 attach; revert: ALTER TABLE OPS.ARCHIVE_WATERMARKS DROP ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION
ALTER TABLE OPS.ARCHIVE_WATERMARKS ADD ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION ON (tenant_id);
