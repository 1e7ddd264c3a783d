-- ML.STREAM_SCORES 1/2 create; revert: DROP TABLE IF EXISTS ML.STREAM_SCORES
CREATE TABLE IF NOT EXISTS ML.STREAM_SCORES (
  tenant_id VARCHAR NOT NULL COMMENT 'tenant',
  site_id VARCHAR COMMENT 'site',
  device_id VARCHAR NOT NULL COMMENT 'machine',
  ts TIMESTAMP_NTZ NOT NULL COMMENT 'reading time',
  seq NUMBER(38,0) NOT NULL COMMENT 'reading sequence number (the scorer''s watermark per device)',
  features VARIANT COMMENT 'the feature vector scored, by name',
  score FLOAT COMMENT 'anomaly score, higher is more anomalous',
  is_anomaly BOOLEAN NOT NULL COMMENT 'score past the detector''s threshold',
  model_version NUMBER(38,0) NOT NULL COMMENT 'registry version of the model that scored the row',
  algorithm VARCHAR COMMENT 'the model''s algorithm',
  scored_at TIMESTAMP_NTZ NOT NULL COMMENT 'when the scoring run wrote the row'
)
CHANGE_TRACKING = TRUE
COMMENT = 'Per machine reading: the approved streaming detector''s score (stream scoring step).';

-- ML.STREAM_SCORES 2/2 attach; revert: ALTER TABLE ML.STREAM_SCORES DROP ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION
ALTER TABLE ML.STREAM_SCORES ADD ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION ON (tenant_id);
