-- OPS.RAISE_ALERTS 1/1 create; revert: DROP TASK IF EXISTS OPS.RAISE_ALERTS
CREATE OR REPLACE TASK OPS.RAISE_ALERTS
  WAREHOUSE = HUB_TRANSFORM_WH
  COMMENT = 'Notify once per (tenant, device, rule, hour) when new breaches arrive.'
  AFTER OPS.SCORE_READINGS
AS
INSERT INTO OPS.ALERT_NOTIFICATIONS (tenant_id, site_id, device_id, rule_id, severity, window_start, first_ts, worst_score, message, raised_at)
SELECT b.tenant_id, ANY_VALUE(b.site_id), b.device_id, b.rule_id, ANY_VALUE(b.severity), DATE_TRUNC('hour', b.ts), MIN(b.ts), MAX(b.score),
  b.rule_id || ' on ' || b.device_id || ' at ' || CAST(MIN(b.ts) AS VARCHAR) || ' (' || CAST(COUNT(*) AS VARCHAR) || ' breaching readings)'
    || COALESCE(': ' || MIN(CASE WHEN b.rule_id = 'MODEL_DWELL' THEN b.value_text END), ''),
  SYSDATE()
FROM CORE.RULE_BREACHES_STREAM b
WHERE NOT EXISTS (SELECT 1 FROM OPS.ALERT_NOTIFICATIONS a WHERE a.tenant_id = b.tenant_id AND a.device_id = b.device_id
  AND a.rule_id = b.rule_id AND a.window_start = DATE_TRUNC('hour', b.ts))
GROUP BY b.tenant_id, b.device_id, b.rule_id, DATE_TRUNC('hour', b.ts);
