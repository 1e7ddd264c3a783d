-- ANALYTICS.AIR_QUALITY_CURRENT 1/2 create; revert: DROP DYNAMIC TABLE IF EXISTS ANALYTICS.AIR_QUALITY_CURRENT
CREATE OR REPLACE DYNAMIC TABLE ANALYTICS.AIR_QUALITY_CURRENT
  TARGET_LAG = '1 minute'
  WAREHOUSE = HUB_ANALYTICS_WH
  REFRESH_MODE = INCREMENTAL
  INITIALIZE = ON_CREATE
  COMMENT = 'Latest reading per air-quality location, with the EPA PM2.5 AQI and the CO2 band.'
AS
WITH r AS (
  SELECT src.tenant_id, src.site_id, src.device_id, src.seq, MIN(src.ts) AS ts,
    MAX(CASE WHEN src.metric = 'co2_ppm' THEN src.value END) AS co2_ppm, MAX(CASE WHEN src.metric = 'voc_ppb' THEN src.value END) AS voc_ppb, MAX(CASE WHEN src.metric = 'pm1_ugm3' THEN src.value END) AS pm1_ugm3,
    MAX(CASE WHEN src.metric = 'pm25_ugm3' THEN src.value END) AS pm25_ugm3, MAX(CASE WHEN src.metric = 'pm4_ugm3' THEN src.value END) AS pm4_ugm3, MAX(CASE WHEN src.metric = 'pm10_ugm3' THEN src.value END) AS pm10_ugm3,
    MAX(CASE WHEN src.metric = 'temperature_c' THEN src.value END) AS temperature_c, MAX(CASE WHEN src.metric = 'humidity_pct' THEN src.value END) AS humidity_pct, MAX(CASE WHEN src.metric = 'pressure_hpa' THEN src.value END) AS pressure_hpa
  FROM CORE.SENSOR_READINGS_NORMALIZED src
  WHERE src.sensor_type = 'AIR_QUALITY'
  GROUP BY src.tenant_id, src.site_id, src.device_id, src.seq
)
SELECT tenant_id, site_id, device_id AS location_id, ts, co2_ppm, voc_ppb, pm1_ugm3, pm25_ugm3, pm4_ugm3, pm10_ugm3,
  temperature_c, humidity_pct, pressure_hpa,
  CASE WHEN pm25_ugm3 IS NULL THEN NULL WHEN (FLOOR(pm25_ugm3 * 10) / 10) <= 9 THEN ROUND((50.0 / 9.0) * ((FLOOR(pm25_ugm3 * 10) / 10) - 0) + 0) WHEN (FLOOR(pm25_ugm3 * 10) / 10) <= 35.4 THEN ROUND((49.0 / 26.3) * ((FLOOR(pm25_ugm3 * 10) / 10) - 9.1) + 51) WHEN (FLOOR(pm25_ugm3 * 10) / 10) <= 55.4 THEN ROUND((49.0 / 19.9) * ((FLOOR(pm25_ugm3 * 10) / 10) - 35.5) + 101) WHEN (FLOOR(pm25_ugm3 * 10) / 10) <= 125.4 THEN ROUND((49.0 / 69.9) * ((FLOOR(pm25_ugm3 * 10) / 10) - 55.5) + 151) WHEN (FLOOR(pm25_ugm3 * 10) / 10) <= 225.4 THEN ROUND((99.0 / 99.9) * ((FLOOR(pm25_ugm3 * 10) / 10) - 125.5) + 201) WHEN (FLOOR(pm25_ugm3 * 10) / 10) <= 325.4 THEN ROUND((199.0 / 99.9) * ((FLOOR(pm25_ugm3 * 10) / 10) - 225.5) + 301) ELSE 500 END AS aqi_pm25, CASE WHEN pm25_ugm3 IS NULL THEN NULL WHEN (FLOOR(pm25_ugm3 * 10) / 10) <= 9 THEN 'GOOD' WHEN (FLOOR(pm25_ugm3 * 10) / 10) <= 35.4 THEN 'MODERATE' WHEN (FLOOR(pm25_ugm3 * 10) / 10) <= 55.4 THEN 'UNHEALTHY_FOR_SENSITIVE_GROUPS' WHEN (FLOOR(pm25_ugm3 * 10) / 10) <= 125.4 THEN 'UNHEALTHY' WHEN (FLOOR(pm25_ugm3 * 10) / 10) <= 225.4 THEN 'VERY_UNHEALTHY' WHEN (FLOOR(pm25_ugm3 * 10) / 10) <= 325.4 THEN 'HAZARDOUS' ELSE 'HAZARDOUS' END AS aqi_category,
  CASE WHEN co2_ppm IS NULL THEN NULL WHEN co2_ppm <= 800 THEN 'GOOD' WHEN co2_ppm <= 1000 THEN 'MODERATE' WHEN co2_ppm <= 1500 THEN 'POOR' ELSE 'VERY_POOR' END AS co2_band
FROM r
QUALIFY ROW_NUMBER() OVER (PARTITION BY tenant_id, device_id ORDER BY ts DESC, seq DESC) = 1;

-- ANALYTICS.AIR_QUALITY_CURRENT 2/2 attach; revert: ALTER DYNAMIC TABLE ANALYTICS.AIR_QUALITY_CURRENT DROP ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION
ALTER DYNAMIC TABLE ANALYTICS.AIR_QUALITY_CURRENT ADD ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION ON (tenant_id);
