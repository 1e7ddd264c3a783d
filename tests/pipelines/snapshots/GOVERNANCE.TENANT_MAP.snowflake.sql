-- GOVERNANCE.TENANT_MAP 1/1 create; revert: DROP TABLE IF EXISTS GOVERNANCE.TENANT_MAP
CREATE TABLE IF NOT EXISTS GOVERNANCE.TENANT_MAP (
  role_name VARCHAR NOT NULL COMMENT 'account role, upper case',
  tenant_id VARCHAR NOT NULL COMMENT 'tenant the role may read',
  pii_access BOOLEAN NOT NULL COMMENT 'role may read unmasked operator ids',
  granted_at TIMESTAMP_NTZ COMMENT 'when the row was written'
)
COMMENT = 'Which account role may see which tenant''s rows, and whether it may see personal data.';
