-- RAW.SENSOR_READINGS 1/2 create; revert: DROP TABLE IF EXISTS RAW.SENSOR_READINGS
CREATE TABLE IF NOT EXISTS RAW.SENSOR_READINGS (
  tenant_id VARCHAR NOT NULL COMMENT 'tenant that owns the device',
  site_id VARCHAR NOT NULL COMMENT 'factory site',
  device_id VARCHAR NOT NULL COMMENT 'device (thing) id',
  sensor_type VARCHAR NOT NULL COMMENT 'MACHINE | ENERGY | AIR_QUALITY',
  ts TIMESTAMP_NTZ NOT NULL COMMENT 'reading time at the device, UTC',
  seq NUMBER(38,0) NOT NULL COMMENT 'device reading sequence number; duplicates share it',
  message_id VARCHAR COMMENT 'id of the message (batch) that carried the reading',
  payload VARIANT NOT NULL COMMENT 'the reading: {schema, metrics:{...}} plus any unknown fields',
  channel VARCHAR COMMENT 'ingest channel (e.g. broker partition) the reading came through',
  channel_offset NUMBER(38,0) COMMENT 'offset within the channel, committed with the row',
  ingested_at TIMESTAMP_NTZ NOT NULL COMMENT 'time the row was committed',
  source VARCHAR NOT NULL COMMENT 'mqtt | http | file:<name>'
)
CLUSTER BY (tenant_id, sensor_type, DATE_TRUNC('day', ts))
CHANGE_TRACKING = TRUE
COMMENT = 'One row per sensor reading as delivered (MQTT, HTTP or file); metrics stay in the payload.';

-- RAW.SENSOR_READINGS 2/2 attach; revert: ALTER TABLE RAW.SENSOR_READINGS DROP ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION
ALTER TABLE RAW.SENSOR_READINGS ADD ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION ON (tenant_id);
