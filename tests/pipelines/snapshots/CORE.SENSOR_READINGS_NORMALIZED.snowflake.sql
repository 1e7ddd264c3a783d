-- CORE.SENSOR_READINGS_NORMALIZED 1/2 create; revert: DROP TABLE IF EXISTS CORE.SENSOR_READINGS_NORMALIZED
CREATE TABLE IF NOT EXISTS CORE.SENSOR_READINGS_NORMALIZED (
  tenant_id VARCHAR NOT NULL COMMENT 'tenant',
  site_id VARCHAR NOT NULL COMMENT 'site',
  device_id VARCHAR NOT NULL COMMENT 'device',
  sensor_type VARCHAR COMMENT 'MACHINE | ENERGY | AIR_QUALITY',
  ts TIMESTAMP_NTZ NOT NULL COMMENT 'reading time, UTC',
  seq NUMBER(38,0) NOT NULL COMMENT 'device reading sequence number',
  metric VARCHAR NOT NULL COMMENT 'metric key',
  value FLOAT COMMENT 'numeric value',
  value_text VARCHAR COMMENT 'text value (machine state)',
  quality_score FLOAT COMMENT '0..1',
  ingested_at TIMESTAMP_NTZ COMMENT 'landing time',
  source VARCHAR COMMENT 'ingest path'
)
CLUSTER BY (tenant_id, sensor_type, DATE_TRUNC('hour', ts))
CHANGE_TRACKING = TRUE
COMMENT = 'One row per reading metric, validated and deduplicated on (tenant, device, seq, metric).';

-- CORE.SENSOR_READINGS_NORMALIZED 2/2 attach; revert: ALTER TABLE CORE.SENSOR_READINGS_NORMALIZED DROP ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION
ALTER TABLE CORE.SENSOR_READINGS_NORMALIZED ADD ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION ON (tenant_id);
