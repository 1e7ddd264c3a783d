-- ML.ANOMALIES 1/2 create; revert: DROP TABLE IF EXISTS ML.ANOMALIES
CREATE TABLE IF NOT EXISTS ML.ANOMALIES (
  tenant_id VARCHAR NOT NULL COMMENT 'tenant',
  series_id VARCHAR NOT NULL COMMENT 'series, `<metric>:<device>` (e.g. utilization:acme-plant-1-m-001)',
  ts TIMESTAMP_NTZ NOT NULL COMMENT 'hour scored, UTC',
  y FLOAT COMMENT 'observed value',
  forecast FLOAT COMMENT 'expected value',
  lower_bound FLOAT COMMENT 'lower end of the expected interval',
  upper_bound FLOAT COMMENT 'upper end of the expected interval',
  is_anomaly BOOLEAN NOT NULL COMMENT 'y falls outside [lower_bound, upper_bound]',
  percentile FLOAT COMMENT 'where y falls in the predictive distribution, 0..1',
  distance FLOAT COMMENT 'distance from the forecast in units of the predictive spread',
  model_version NUMBER(38,0) NOT NULL COMMENT 'registry version of the model that scored the row',
  algorithm VARCHAR COMMENT 'the model''s algorithm',
  scored_at TIMESTAMP_NTZ NOT NULL COMMENT 'when the scoring run wrote the row'
)
CHANGE_TRACKING = TRUE
COMMENT = 'Scored points per tenant and series from the champion anomaly model (Cortex DETECT_ANOMALIES columns).';

-- ML.ANOMALIES 2/2 attach; revert: ALTER TABLE ML.ANOMALIES DROP ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION
ALTER TABLE ML.ANOMALIES ADD ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION ON (tenant_id);
