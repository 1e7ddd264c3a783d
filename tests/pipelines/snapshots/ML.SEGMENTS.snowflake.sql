-- ML.SEGMENTS 1/2 create; revert: DROP TABLE IF EXISTS ML.SEGMENTS
CREATE TABLE IF NOT EXISTS ML.SEGMENTS (
  tenant_id VARCHAR NOT NULL COMMENT 'tenant',
  series_id VARCHAR NOT NULL COMMENT 'what was segmented, `machine:<machine_id>`',
  segment NUMBER(38,0) NOT NULL COMMENT 'segment number, 0..k-1',
  features VARIANT COMMENT 'the feature values it was assigned on',
  model_version NUMBER(38,0) NOT NULL COMMENT 'registry version of the model that scored the row',
  algorithm VARCHAR COMMENT 'the model''s algorithm',
  scored_at TIMESTAMP_NTZ NOT NULL COMMENT 'when the scoring run wrote the row'
)
COMMENT = 'Segment of each machine from the champion segmentation (k-means on its hourly KPI profile).';

-- ML.SEGMENTS 2/2 attach; revert: ALTER TABLE ML.SEGMENTS DROP ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION
ALTER TABLE ML.SEGMENTS ADD ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION ON (tenant_id);
