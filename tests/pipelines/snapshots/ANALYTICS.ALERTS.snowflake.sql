-- ANALYTICS.ALERTS 1/2 create; revert: DROP DYNAMIC TABLE IF EXISTS ANALYTICS.ALERTS
CREATE OR REPLACE DYNAMIC TABLE ANALYTICS.ALERTS
  TARGET_LAG = '1 minute'
  WAREHOUSE = HUB_ANALYTICS_WH
  REFRESH_MODE = INCREMENTAL
  INITIALIZE = ON_CREATE
  COMMENT = 'Alert windows: breaches of a rule per device and hour (threshold rules and model scores).'
AS
SELECT src.tenant_id, MIN(src.site_id) AS site_id, src.device_id, src.rule_id,
  MIN(src.severity) AS severity, DATE_TRUNC('hour', src.ts) AS window_start,
  MIN(src.ts) AS first_ts, MAX(src.ts) AS last_ts, COUNT(*) AS breaches, MAX(src.score) AS worst_score,
  MAX_BY(src.value, src.score) AS worst_value, CASE WHEN src.rule_id LIKE 'MODEL%' THEN 'MODEL' ELSE 'RULE' END AS source
FROM CORE.RULE_BREACHES src
WHERE TRUE
GROUP BY src.tenant_id, src.device_id, src.rule_id, DATE_TRUNC('hour', src.ts);

-- ANALYTICS.ALERTS 2/2 attach; revert: ALTER DYNAMIC TABLE ANALYTICS.ALERTS DROP ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION
ALTER DYNAMIC TABLE ANALYTICS.ALERTS ADD ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION ON (tenant_id);
