-- OPS.ALERT_DELIVERIES 1/2 create; revert: DROP TABLE IF EXISTS OPS.ALERT_DELIVERIES
CREATE TABLE IF NOT EXISTS OPS.ALERT_DELIVERIES (
  tenant_id VARCHAR NOT NULL COMMENT 'tenant',
  notification_key VARCHAR NOT NULL COMMENT 'the notification: alert/<tenant>/<device>/<rule>/<hour> or monitor/<tenant>/<monitor>/<interval>/<percent>',
  idempotency_key VARCHAR NOT NULL COMMENT 'what receivers dedupe on: the webhook''s Idempotency-Key header, the email''s Message-ID',
  source VARCHAR NOT NULL COMMENT 'ALERT | MONITOR',
  severity VARCHAR COMMENT 'INFO | WARNING | CRITICAL',
  raised_at TIMESTAMP_NTZ NOT NULL COMMENT 'when the notification was raised (the alert task''s or the monitor''s time), UTC',
  channel VARCHAR NOT NULL COMMENT 'the channel''s name in the tenant''s alerts:channels',
  channel_kind VARCHAR NOT NULL COMMENT 'webhook | email | sns | eventbridge',
  attempt NUMBER(38,0) NOT NULL COMMENT '1 for the first attempt, then 2, 3, ...',
  status VARCHAR NOT NULL COMMENT 'DELIVERED | RETRY (tried again at next_attempt_at) | DEAD_LETTER (given up: the last error)',
  error VARCHAR COMMENT 'why the attempt failed (no secrets), NULL when delivered',
  attempted_at TIMESTAMP_NTZ NOT NULL COMMENT 'when the attempt ended, UTC',
  next_attempt_at TIMESTAMP_NTZ COMMENT 'when a RETRY is tried again, UTC; NULL otherwise',
  duration_ms FLOAT COMMENT 'how long the attempt took'
)
CHANGE_TRACKING = TRUE
COMMENT = 'Every attempt to deliver an alert or monitor notification to a tenant''s channel: status, error, next attempt.';

-- OPS.ALERT_DELIVERIES 2/2 attach; revert: ALTER TABLE OPS.ALERT_DELIVERIES DROP ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION
ALTER TABLE OPS.ALERT_DELIVERIES ADD ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION ON (tenant_id);
