-- ML.NOTE_INSIGHTS 1/2 create; revert: DROP TABLE IF EXISTS ML.NOTE_INSIGHTS
CREATE TABLE IF NOT EXISTS ML.NOTE_INSIGHTS (
  note_id VARCHAR NOT NULL COMMENT 'RAW.OPERATOR_NOTES.note_id',
  tenant_id VARCHAR NOT NULL COMMENT 'tenant',
  site_id VARCHAR COMMENT 'site',
  device_id VARCHAR COMMENT 'machine or station',
  language VARCHAR NOT NULL COMMENT 'en | es | fr',
  sentiment VARCHAR NOT NULL COMMENT 'positive | neutral | negative',
  safety_concern BOOLEAN NOT NULL COMMENT 'the note raises a safety concern',
  safety_phrase VARCHAR COMMENT 'the note''s own words that raised it; NULL without a concern',
  unmet_need VARCHAR COMMENT 'what the operator says is missing, in a few words; NULL if none',
  summary VARCHAR NOT NULL COMMENT 'one line',
  model VARCHAR NOT NULL COMMENT 'backend and model, e.g. bedrock:anthropic.claude-3-haiku-20240307-v1:0',
  latency_ms FLOAT COMMENT 'how long the backend took for this note',
  analysed_at TIMESTAMP_NTZ NOT NULL COMMENT 'when the task wrote the row'
)
CHANGE_TRACKING = TRUE
COMMENT = 'One insight per operator note: language, sentiment, safety concern and its phrase, unmet need, summary, model, latency.';

-- ML.NOTE_INSIGHTS 2/2 attach; revert: ALTER TABLE ML.NOTE_INSIGHTS DROP ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION
ALTER TABLE ML.NOTE_INSIGHTS ADD ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION ON (tenant_id);
