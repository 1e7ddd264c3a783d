-- CORE.READINGS_VALIDATED 1/2 create; revert: DROP TABLE IF EXISTS CORE.READINGS_VALIDATED
CREATE TRANSIENT TABLE IF NOT EXISTS CORE.READINGS_VALIDATED (
  tenant_id VARCHAR NOT NULL COMMENT 'tenant',
  site_id VARCHAR NOT NULL COMMENT 'site',
  device_id VARCHAR NOT NULL COMMENT 'device',
  sensor_type VARCHAR COMMENT 'MACHINE | ENERGY | AIR_QUALITY',
  ts TIMESTAMP_NTZ NOT NULL COMMENT 'reading time, UTC',
  seq NUMBER(38,0) NOT NULL COMMENT 'device reading sequence number',
  message_id VARCHAR COMMENT 'carrying message',
  ingested_at TIMESTAMP_NTZ COMMENT 'landing time',
  source VARCHAR COMMENT 'ingest path',
  metric VARCHAR COMMENT 'metric key; NULL when the reading had no known metric',
  value FLOAT COMMENT 'numeric value',
  value_text VARCHAR COMMENT 'text value (machine state)',
  reason VARCHAR COMMENT 'why it is refused; NULL when good',
  quality_score FLOAT COMMENT '1 minus penalties for soft-range excursions and late arrival',
  raw VARIANT COMMENT 'the metric as received'
)
COMMENT = 'Staging between validate and normalise: one row per reading metric with its verdict.';

-- CORE.READINGS_VALIDATED 2/2 attach; revert: ALTER TABLE CORE.READINGS_VALIDATED DROP ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION
ALTER TABLE CORE.READINGS_VALIDATED ADD ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION ON (tenant_id);
