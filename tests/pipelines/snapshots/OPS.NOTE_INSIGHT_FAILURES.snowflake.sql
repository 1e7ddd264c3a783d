-- OPS.NOTE_INSIGHT_FAILURES 1/2 create; revert: DROP TABLE IF EXISTS OPS.NOTE_INSIGHT_FAILURES
CREATE TABLE IF NOT EXISTS OPS.NOTE_INSIGHT_FAILURES (
  note_id VARCHAR NOT NULL COMMENT 'RAW.OPERATOR_NOTES.note_id',
  tenant_id VARCHAR NOT NULL COMMENT 'tenant',
  site_id VARCHAR COMMENT 'site',
  device_id VARCHAR COMMENT 'machine or station',
  attempt NUMBER(38,0) NOT NULL COMMENT '1 for the first failure of the note',
  error VARCHAR NOT NULL COMMENT 'what failed: the backend''s error or the schema check''s, naming field and value',
  given_up BOOLEAN NOT NULL COMMENT 'attempt reached 3: the note is not tried again',
  failed_at TIMESTAMP_NTZ NOT NULL COMMENT 'when the task recorded it'
)
CHANGE_TRACKING = TRUE
COMMENT = 'Each failed or refused attempt at a note''s insight, with the error; given_up on the last one.';

-- OPS.NOTE_INSIGHT_FAILURES 2/2 attach; revert: ALTER TABLE OPS.NOTE_INSIGHT_FAILURES DROP ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION
ALTER TABLE OPS.NOTE_INSIGHT_FAILURES ADD ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION ON (tenant_id);
