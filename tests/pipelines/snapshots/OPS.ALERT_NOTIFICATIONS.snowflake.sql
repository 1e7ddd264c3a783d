-- OPS.ALERT_NOTIFICATIONS 1/2 create; revert: DROP TABLE IF EXISTS OPS.ALERT_NOTIFICATIONS
CREATE TABLE IF NOT EXISTS OPS.ALERT_NOTIFICATIONS (
  tenant_id VARCHAR NOT NULL COMMENT 'tenant',
  site_id VARCHAR COMMENT 'site',
  device_id VARCHAR COMMENT 'device',
  rule_id VARCHAR NOT NULL COMMENT 'rule',
  severity VARCHAR COMMENT 'severity',
  window_start TIMESTAMP_NTZ NOT NULL COMMENT 'hour of the breach',
  first_ts TIMESTAMP_NTZ COMMENT 'first breaching reading in the batch',
  worst_score FLOAT COMMENT 'highest score in the batch',
  message VARCHAR COMMENT 'human-readable text',
  raised_at TIMESTAMP_NTZ COMMENT 'when the alert task ran'
)
CHANGE_TRACKING = TRUE
COMMENT = 'Outbox: one notification per (tenant, device, rule, hour) the first time it breaches.';

-- OPS.ALERT_NOTIFICATIONS 2/2 attach; revert: ALTER TABLE OPS.ALERT_NOTIFICATIONS DROP ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION
ALTER TABLE OPS.ALERT_NOTIFICATIONS ADD ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION ON (tenant_id);
