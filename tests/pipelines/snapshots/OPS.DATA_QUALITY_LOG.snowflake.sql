-- OPS.DATA_QUALITY_LOG 1/2 create; revert: DROP TABLE IF EXISTS OPS.DATA_QUALITY_LOG
CREATE TABLE IF NOT EXISTS OPS.DATA_QUALITY_LOG (
  run_at TIMESTAMP_NTZ NOT NULL COMMENT 'task run time',
  step VARCHAR NOT NULL COMMENT 'validate | normalize | validate_scans',
  tenant_id VARCHAR COMMENT 'tenant',
  units_in NUMBER(38,0) COMMENT 'units the step read',
  quarantined NUMBER(38,0) COMMENT 'units sent to quarantine',
  normalized NUMBER(38,0) COMMENT 'units written to silver',
  duplicates NUMBER(38,0) COMMENT 'units dropped as duplicates of a (tenant, device, seq, metric) already in silver'
)
CHANGE_TRACKING = TRUE
COMMENT = 'Per task run and tenant: units seen and where they went; reconciles raw with silver.';

-- OPS.DATA_QUALITY_LOG 2/2 attach; revert: ALTER TABLE OPS.DATA_QUALITY_LOG DROP ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION
ALTER TABLE OPS.DATA_QUALITY_LOG ADD ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION ON (tenant_id);
