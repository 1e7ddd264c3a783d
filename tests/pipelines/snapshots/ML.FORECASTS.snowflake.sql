-- ML.FORECASTS 1/2 create; revert: DROP TABLE IF EXISTS ML.FORECASTS
CREATE TABLE IF NOT EXISTS ML.FORECASTS (
  tenant_id VARCHAR NOT NULL COMMENT 'tenant',
  series_id VARCHAR NOT NULL COMMENT 'series, `<metric>:<device>` (e.g. kwh:acme-plant-1-em-01)',
  ts TIMESTAMP_NTZ NOT NULL COMMENT 'forecast hour, UTC',
  forecast FLOAT COMMENT 'point forecast',
  lower_bound FLOAT COMMENT 'lower end of the prediction interval',
  upper_bound FLOAT COMMENT 'upper end of the prediction interval',
  model_version NUMBER(38,0) NOT NULL COMMENT 'registry version of the model that scored the row',
  algorithm VARCHAR COMMENT 'the model''s algorithm',
  scored_at TIMESTAMP_NTZ NOT NULL COMMENT 'when the scoring run wrote the row'
)
COMMENT = 'Forecasts per tenant and series from the champion forecaster (Cortex FORECAST columns).';

-- ML.FORECASTS 2/2 attach; revert: ALTER TABLE ML.FORECASTS DROP ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION
ALTER TABLE ML.FORECASTS ADD ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION ON (tenant_id);
