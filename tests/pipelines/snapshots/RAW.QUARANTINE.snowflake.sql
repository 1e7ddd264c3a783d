-- RAW.QUARANTINE 1/2 create; revert: DROP TABLE IF EXISTS RAW.QUARANTINE
CREATE TABLE IF NOT EXISTS RAW.QUARANTINE (
  tenant_id VARCHAR COMMENT 'tenant, when it could be told',
  source VARCHAR NOT NULL COMMENT 'where it was refused: mqtt, http, file:<name>, validate',
  received_at TIMESTAMP_NTZ NOT NULL COMMENT 'when it was refused',
  reason VARCHAR NOT NULL COMMENT 'what is wrong, naming the field and the value',
  raw VARIANT COMMENT 'the refused item as received',
  device_id VARCHAR COMMENT 'device or job id, when it could be told',
  metric VARCHAR COMMENT 'the metric refused, for metric-level rejections'
)
CHANGE_TRACKING = TRUE
COMMENT = 'Everything refused, with the reason; nothing is dropped silently.';

-- RAW.QUARANTINE 2/2 attach; revert: ALTER TABLE RAW.QUARANTINE DROP ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION
ALTER TABLE RAW.QUARANTINE ADD ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION ON (tenant_id);
