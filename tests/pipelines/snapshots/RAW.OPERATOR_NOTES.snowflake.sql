-- RAW.OPERATOR_NOTES 1/3 create; revert: DROP TABLE IF EXISTS RAW.OPERATOR_NOTES
CREATE TABLE IF NOT EXISTS RAW.OPERATOR_NOTES (
  note_id VARCHAR NOT NULL COMMENT 'the note''s key: a hash of tenant, site, device, author, time and text (a resent note has the same key)',
  tenant_id VARCHAR NOT NULL COMMENT 'tenant',
  site_id VARCHAR NOT NULL COMMENT 'factory site',
  device_id VARCHAR NOT NULL COMMENT 'machine (device id) or station the note is about',
  author_id VARCHAR NOT NULL COMMENT 'operator badge id of the author (personal data, masked)',
  note_ts TIMESTAMP_NTZ NOT NULL COMMENT 'when the note was written, UTC',
  kind VARCHAR NOT NULL COMMENT 'shift | maintenance',
  language VARCHAR COMMENT 'language the author stated (en, es, fr), or NULL',
  text VARCHAR NOT NULL COMMENT 'the note as written, never cut (refused at intake when longer than MAX_NOTE_CHARS)',
  ingested_at TIMESTAMP_NTZ NOT NULL COMMENT 'time the row was committed',
  source VARCHAR NOT NULL COMMENT 'http | file:<name> | simulator'
)
CLUSTER BY (tenant_id, DATE_TRUNC('day', note_ts))
CHANGE_TRACKING = TRUE
COMMENT = 'Operators'' shift notes and maintenance logs about a machine or station, as received.';

-- RAW.OPERATOR_NOTES 2/3 attach; revert: ALTER TABLE RAW.OPERATOR_NOTES DROP ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION
ALTER TABLE RAW.OPERATOR_NOTES ADD ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION ON (tenant_id);

-- RAW.OPERATOR_NOTES 3/3 attach; revert: ALTER TABLE RAW.OPERATOR_NOTES MODIFY COLUMN author_id UNSET MASKING POLICY
ALTER TABLE RAW.OPERATOR_NOTES MODIFY COLUMN author_id SET MASKING POLICY GOVERNANCE.PII_MASK FORCE;
