-- OPS.TENANT_COSTS 1/2 create; revert: DROP TABLE IF EXISTS OPS.TENANT_COSTS
CREATE TABLE IF NOT EXISTS OPS.TENANT_COSTS (
  tenant_id VARCHAR NOT NULL COMMENT 'tenant charged',
  computed_at TIMESTAMP_NTZ NOT NULL COMMENT 'when the snapshot was computed, UTC (the newest is current)',
  period_from TIMESTAMP_NTZ NOT NULL COMMENT 'start of the period (the month''s first instant), UTC',
  period_to TIMESTAMP_NTZ NOT NULL COMMENT 'end of the measured period: where the usage views are complete (ACCOUNT_USAGE lags up to 3 hours), UTC',
  currency VARCHAR NOT NULL COMMENT 'ISO 4217 code of every money figure',
  price_per_credit FLOAT NOT NULL COMMENT 'money per credit',
  warehouse VARCHAR NOT NULL COMMENT 'warehouse the credits were used on',
  own_warehouse BOOLEAN NOT NULL COMMENT 'the tenant''s own warehouse (its quota is measured on it), not a shared one',
  monitor VARCHAR COMMENT 'the resource monitor on it, NULL for none',
  credits FLOAT NOT NULL COMMENT 'credits allocated to the tenant on this warehouse in the period',
  money FLOAT NOT NULL COMMENT 'credits times price_per_credit',
  quota_credits FLOAT COMMENT 'the monitor''s credit quota per interval; NULL for a shared warehouse or none',
  quota_money FLOAT COMMENT 'quota_credits times price_per_credit',
  pct_of_quota FLOAT COMMENT 'credits the monitor counted this interval, % of its quota',
  burn_per_hour FLOAT COMMENT 'credits per hour over the last metered 24 hours',
  triggers VARCHAR COMMENT 'JSON array of the monitor''s triggers: {percent, action, firedAt, projectedAt} (ISO times or null)'
)
CHANGE_TRACKING = TRUE
COMMENT = 'Each tenant''s credits and money this month per warehouse, against its quota, with trigger dates fired and projected: snapshots of the cost report.';

-- OPS.TENANT_COSTS 2/2 attach; revert: ALTER TABLE OPS.TENANT_COSTS DROP ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION
ALTER TABLE OPS.TENANT_COSTS ADD ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION ON (tenant_id);
