-- OPS.RAISE_ALERTS 1/1 create; revert: DROP TASK IF EXISTS OPS.RAISE_ALERTS
CREATE OR REPLACE TASK OPS.RAISE_ALERTS
  WAREHOUSE = HUB_TRANSFORM_WH
  COMMENT = 'Notify once per (tenant, device, rule, hour) when new breaches arrive (for a rule with a minimum duration, once the breach has lasted that long).'
  AFTER OPS.SCORE_READINGS
AS
INSERT INTO OPS.ALERT_NOTIFICATIONS (tenant_id, site_id, device_id, rule_id, severity, window_start, first_ts, worst_score, message, raised_at)
SELECT b.tenant_id, ANY_VALUE(b.site_id), b.device_id, b.rule_id, ANY_VALUE(b.severity), DATE_TRUNC('hour', b.ts), MIN(b.ts), MAX(b.score),
  b.rule_id || ' on ' || b.device_id || ' at ' || CAST(MIN(b.ts) AS VARCHAR) || ' (' || CAST(COUNT(*) AS VARCHAR) || ' breaching readings)'
    || COALESCE(': ' || MIN(CASE WHEN b.rule_id = 'MODEL_DWELL' THEN b.value_text END), '')
    || COALESCE('; lasting at least ' || CAST(CAST(MAX(b.min_duration_s) AS BIGINT) AS VARCHAR) || ' s', ''),
  SYSDATE()
FROM (SELECT s.*, r.min_duration_s, r.comparison, r.match_text FROM CORE.RULE_BREACHES_STREAM s LEFT JOIN OPS.ALERT_RULES r ON r.rule_id = s.rule_id) b
WHERE (b.min_duration_s IS NULL OR (
  EXISTS (SELECT 1 FROM CORE.RULE_BREACHES p WHERE p.tenant_id = b.tenant_id AND p.device_id = b.device_id AND p.rule_id = b.rule_id
    AND p.ts >= DATEADD('second', -3660, (SELECT MIN(ts) FROM CORE.RULE_BREACHES_STREAM)) AND p.ts <= DATEADD('second', -(b.min_duration_s), b.ts) AND p.ts >= DATEADD('second', -(b.min_duration_s + 60), b.ts))
  AND NOT EXISTS (SELECT 1 FROM CORE.SENSOR_READINGS_NORMALIZED n WHERE n.tenant_id = b.tenant_id AND n.device_id = b.device_id AND n.metric = b.metric
    AND n.ts >= DATEADD('second', -3660, (SELECT MIN(ts) FROM CORE.RULE_BREACHES_STREAM)) AND n.ts <= (SELECT MAX(ts) FROM CORE.RULE_BREACHES_STREAM)
    AND n.ts >= DATEADD('second', -(b.min_duration_s + 60), b.ts) AND n.ts <= b.ts AND NOT COALESCE((b.comparison = '>' AND n.value > b.threshold) OR (b.comparison = '<' AND n.value < b.threshold) OR (b.comparison = '=' AND n.value_text = b.match_text), FALSE))))
  AND NOT EXISTS (SELECT 1 FROM OPS.ALERT_NOTIFICATIONS a WHERE a.tenant_id = b.tenant_id AND a.device_id = b.device_id
  AND a.rule_id = b.rule_id AND a.window_start = DATE_TRUNC('hour', b.ts))
GROUP BY b.tenant_id, b.device_id, b.rule_id, DATE_TRUNC('hour', b.ts);
