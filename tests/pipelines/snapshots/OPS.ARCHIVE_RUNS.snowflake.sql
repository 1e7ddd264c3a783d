-- OPS.ARCHIVE_RUNS 1/2 create; revert: DROP TABLE IF EXISTS OPS.ARCHIVE_RUNS
CREATE TABLE IF NOT EXISTS OPS.ARCHIVE_RUNS (
  archive VARCHAR NOT NULL COMMENT 'archive location',
  tenant_id VARCHAR NOT NULL COMMENT 'tenant',
  layer VARCHAR NOT NULL COMMENT 'bronze | silver | gold',
  run_seq NUMBER(38,0) NOT NULL COMMENT 'run number within (archive, tenant, layer); names the manifest',
  run_id VARCHAR NOT NULL COMMENT '<layer>-<run_seq>',
  manifest_key VARCHAR NOT NULL COMMENT 'manifest object key in the archive',
  files NUMBER(38,0) COMMENT 'Parquet files written',
  row_count NUMBER(38,0) COMMENT 'rows written',
  bytes NUMBER(38,0) COMMENT 'bytes written',
  status VARCHAR NOT NULL COMMENT 'EXPORTED | LEARNED_FROM_ARCHIVE',
  finished_at TIMESTAMP_NTZ NOT NULL COMMENT 'when the watermarks advanced'
)
CHANGE_TRACKING = TRUE
COMMENT = 'One row per committed export run (or, after a restore, per archived run the hub learned from the manifests).';

-- OPS.ARCHIVE_RUNS 2/2 attach; revert: ALTER TABLE OPS.ARCHIVE_RUNS DROP ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION
ALTER TABLE OPS.ARCHIVE_RUNS ADD ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION ON (tenant_id);
