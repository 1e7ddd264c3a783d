-- ANALYTICS.ENERGY_HOURLY 1/2 create; revert: DROP DYNAMIC TABLE IF EXISTS ANALYTICS.ENERGY_HOURLY
CREATE OR REPLACE DYNAMIC TABLE ANALYTICS.ENERGY_HOURLY
  TARGET_LAG = '5 minutes'
  WAREHOUSE = HUB_ANALYTICS_WH
  REFRESH_MODE = INCREMENTAL
  INITIALIZE = ON_CREATE
  COMMENT = 'Per meter and hour: energy, peak demand, mean power factor.'
AS
WITH h AS (
  SELECT src.tenant_id, src.site_id, src.device_id AS meter_id, DATE_TRUNC('hour', src.ts) AS hour,
    SUM(CASE WHEN src.metric = 'kwh' THEN src.value END) AS kwh,
    MAX(CASE WHEN src.metric = 'power_kw' THEN src.value END) AS peak_kw,
    SUM(CASE WHEN src.metric = 'power_factor' THEN src.value END) AS power_factor_sum,
    COUNT(CASE WHEN src.metric = 'power_factor' THEN src.value END) AS power_factor_n,
    SUM(CASE WHEN src.metric = 'voltage_v' THEN src.value END) AS voltage_sum,
    COUNT(CASE WHEN src.metric = 'voltage_v' THEN src.value END) AS voltage_n,
    COUNT(CASE WHEN src.metric = 'period_s' THEN 1 END) AS readings
  FROM CORE.SENSOR_READINGS_NORMALIZED src
  WHERE src.sensor_type = 'ENERGY'
  GROUP BY src.tenant_id, src.site_id, src.device_id, DATE_TRUNC('hour', src.ts)
)
SELECT tenant_id,
  site_id,
  meter_id,
  hour,
  kwh,
  peak_kw,
  power_factor_sum,
  power_factor_n,
  power_factor_sum / NULLIF(power_factor_n, 0) AS mean_power_factor,
  voltage_sum,
  voltage_n,
  voltage_sum / NULLIF(voltage_n, 0) AS mean_voltage_v,
  readings
FROM h;

-- ANALYTICS.ENERGY_HOURLY 2/2 attach; revert: ALTER DYNAMIC TABLE ANALYTICS.ENERGY_HOURLY DROP ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION
ALTER DYNAMIC TABLE ANALYTICS.ENERGY_HOURLY ADD ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION ON (tenant_id);
