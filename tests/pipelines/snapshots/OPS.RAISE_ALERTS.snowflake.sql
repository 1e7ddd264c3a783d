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
FROM (SELECT s.*, r.min_duration_s FROM CORE.RULE_BREACHES_STREAM s LEFT JOIN OPS.ALERT_RULES r ON r.rule_id = s.rule_id) b
LEFT JOIN (SELECT y.tenant_id, y.device_id, y.rule_id, y.seq, y.ts, y.hit,
  MAX(y.run_from) OVER (PARTITION BY y.tenant_id, y.device_id, y.rule_id ORDER BY y.ts, y.seq ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS run_start
FROM (SELECT x.*, CASE WHEN x.hit AND NOT (COALESCE(LAG(x.hit) OVER (PARTITION BY x.tenant_id, x.device_id, x.rule_id ORDER BY x.ts, x.seq), FALSE)
    AND (TIMESTAMPDIFF('millisecond', LAG(x.ts) OVER (PARTITION BY x.tenant_id, x.device_id, x.rule_id ORDER BY x.ts, x.seq), x.ts) / 1000.0) <= 60) THEN x.ts END AS run_from
  FROM (SELECT t.tenant_id, t.device_id, t.rule_id, n.seq, n.ts, COALESCE(((t.comparison = '>' AND n.value > t.threshold) OR (t.comparison = '<' AND n.value < t.threshold) OR (t.comparison = '=' AND n.value_text = t.match_text)), FALSE) AS hit
    FROM CORE.SENSOR_READINGS_NORMALIZED n
    JOIN (SELECT DISTINCT s.tenant_id, s.device_id, s.metric, r.rule_id, r.comparison, r.threshold, r.match_text FROM CORE.RULE_BREACHES_STREAM s JOIN OPS.ALERT_RULES r ON r.rule_id = s.rule_id WHERE r.min_duration_s IS NOT NULL) t
      ON n.tenant_id = t.tenant_id AND n.device_id = t.device_id AND n.metric = t.metric
    WHERE n.ts >= DATEADD('second', -3660, COALESCE((SELECT MIN(s.ts) FROM CORE.RULE_BREACHES_STREAM s JOIN OPS.ALERT_RULES r ON r.rule_id = s.rule_id WHERE r.min_duration_s IS NOT NULL), '9999-01-01 00:00:00'::TIMESTAMP_NTZ)) AND n.ts <= COALESCE((SELECT MAX(s.ts) FROM CORE.RULE_BREACHES_STREAM s JOIN OPS.ALERT_RULES r ON r.rule_id = s.rule_id WHERE r.min_duration_s IS NOT NULL), '1970-01-01 00:00:00'::TIMESTAMP_NTZ)
      AND n.metric IN (SELECT metric FROM OPS.ALERT_RULES WHERE min_duration_s IS NOT NULL)) x) y) l
  ON l.hit AND l.tenant_id = b.tenant_id AND l.device_id = b.device_id AND l.rule_id = b.rule_id AND l.seq = b.seq AND l.ts = b.ts
WHERE (b.min_duration_s IS NULL OR (TIMESTAMPDIFF('millisecond', l.run_start, b.ts) / 1000.0) >= b.min_duration_s)
  AND NOT EXISTS (SELECT 1 FROM OPS.ALERT_NOTIFICATIONS a WHERE a.tenant_id = b.tenant_id AND a.device_id = b.device_id
  AND a.rule_id = b.rule_id AND a.window_start = DATE_TRUNC('hour', b.ts))
GROUP BY b.tenant_id, b.device_id, b.rule_id, DATE_TRUNC('hour', b.ts);
