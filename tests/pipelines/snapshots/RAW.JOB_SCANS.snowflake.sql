-- RAW.JOB_SCANS 1/3 create; revert: DROP TABLE IF EXISTS RAW.JOB_SCANS
CREATE TABLE IF NOT EXISTS RAW.JOB_SCANS (
  tenant_id VARCHAR NOT NULL COMMENT 'tenant',
  site_id VARCHAR NOT NULL COMMENT 'factory site',
  job_id VARCHAR NOT NULL COMMENT 'job (work order) id',
  product_id VARCHAR COMMENT 'product',
  product_variant VARCHAR COMMENT 'product variant',
  station VARCHAR NOT NULL COMMENT 'station where the job was scanned',
  scan_ts TIMESTAMP_NTZ NOT NULL COMMENT 'scan time, UTC',
  operator_id VARCHAR COMMENT 'operator badge id (personal data, masked)',
  metadata VARIANT COMMENT 'anything else the scanner sent',
  ingested_at TIMESTAMP_NTZ NOT NULL COMMENT 'time the row was committed',
  source VARCHAR NOT NULL COMMENT 'mqtt | http | file:<name>'
)
CLUSTER BY (tenant_id, DATE_TRUNC('day', scan_ts))
CHANGE_TRACKING = TRUE
COMMENT = 'RFID / barcode scans of jobs at stations, event-driven.';

-- RAW.JOB_SCANS 2/3 attach; revert: ALTER TABLE RAW.JOB_SCANS DROP ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION
ALTER TABLE RAW.JOB_SCANS ADD ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION ON (tenant_id);

-- RAW.JOB_SCANS 3/3 attach; revert: ALTER TABLE RAW.JOB_SCANS MODIFY COLUMN operator_id UNSET MASKING POLICY
ALTER TABLE RAW.JOB_SCANS MODIFY COLUMN operator_id SET MASKING POLICY GOVERNANCE.PII_MASK FORCE;
