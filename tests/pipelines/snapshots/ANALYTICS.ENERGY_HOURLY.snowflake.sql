-- ANALYTICS.ENERGY_HOURLY 1/2 create; revert: DROP DYNAMIC TABLE IF EXISTS ANALYTICS.ENERGY_HOURLY
CREATE OR REPLACE DYNAMIC TABLE ANALYTICS.ENERGY_HOURLY
  TARGET_LAG = '5 minutes'
  WAREHOUSE = HUB_ANALYTICS_WH
  REFRESH_MODE = AUTO
  INITIALIZE = ON_CREATE
  COMMENT = 'Per meter and hour: energy, peak demand, mean power factor.'
AS
SELECT src.tenant_id, src.site_id, src.device_id AS meter_id, DATE_TRUNC('hour', src.ts) AS hour,
  SUM(CASE WHEN src.metric = 'kwh' THEN src.value END) AS kwh,
  MAX(CASE WHEN src.metric = 'power_kw' THEN src.value END) AS peak_kw,
  AVG(CASE WHEN src.metric = 'power_factor' THEN src.value END) AS mean_power_factor,
  AVG(CASE WHEN src.metric = 'voltage_v' THEN src.value END) AS mean_voltage_v,
  COUNT(DISTINCT src.seq) AS readings
FROM CORE.SENSOR_READINGS_NORMALIZED src
WHERE src.sensor_type = 'ENERGY'
GROUP BY src.tenant_id, src.site_id, src.device_id, DATE_TRUNC('hour', src.ts);

-- ANALYTICS.ENERGY_HOURLY 2/2 attach; revert: ALTER DYNAMIC TABLE ANALYTICS.ENERGY_HOURLY DROP ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION
ALTER DYNAMIC TABLE ANALYTICS.ENERGY_HOURLY ADD ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION ON (tenant_id);
