-- CORE.RULE_BREACHES 1/2 create; revert: DROP TABLE IF EXISTS CORE.RULE_BREACHES
CREATE TABLE IF NOT EXISTS CORE.RULE_BREACHES (
  tenant_id VARCHAR NOT NULL COMMENT 'tenant',
  site_id VARCHAR COMMENT 'site',
  device_id VARCHAR COMMENT 'device',
  sensor_type VARCHAR COMMENT 'sensor type',
  ts TIMESTAMP_NTZ NOT NULL COMMENT 'reading time',
  seq NUMBER(38,0) COMMENT 'reading sequence number',
  metric VARCHAR COMMENT 'metric',
  value FLOAT COMMENT 'numeric value',
  value_text VARCHAR COMMENT 'text value',
  rule_id VARCHAR NOT NULL COMMENT 'rule',
  severity VARCHAR COMMENT 'severity',
  threshold FLOAT COMMENT 'threshold',
  score FLOAT COMMENT 'value / threshold for >, threshold / value for <, 1 for =',
  scored_at TIMESTAMP_NTZ COMMENT 'when the score task ran'
)
CHANGE_TRACKING = TRUE
COMMENT = 'Every normalised metric that breached a rule, with a score (how far past the threshold).';

-- CORE.RULE_BREACHES 2/2 attach; revert: ALTER TABLE CORE.RULE_BREACHES DROP ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION
ALTER TABLE CORE.RULE_BREACHES ADD ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION ON (tenant_id);
