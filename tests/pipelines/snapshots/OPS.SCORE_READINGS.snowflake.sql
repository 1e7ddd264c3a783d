-- OPS.SCORE_READINGS 1/1 create; revert: DROP TASK IF EXISTS OPS.SCORE_READINGS
CREATE OR REPLACE TASK OPS.SCORE_READINGS
  WAREHOUSE = HUB_TRANSFORM_WH
  COMMENT = 'Evaluate the threshold rules on new silver metrics; breaches get a score.'
  AFTER OPS.NORMALIZE_READINGS
AS
INSERT INTO CORE.RULE_BREACHES (tenant_id, site_id, device_id, sensor_type, ts, seq, metric, value, value_text, rule_id, severity, threshold, score, scored_at)
SELECT n.tenant_id, n.site_id, n.device_id, n.sensor_type, n.ts, n.seq, n.metric, n.value, n.value_text, r.rule_id, r.severity, r.threshold,
  CASE r.comparison WHEN '>' THEN n.value / NULLIF(r.threshold, 0) WHEN '<' THEN r.threshold / NULLIF(n.value, 0) ELSE 1.0 END,
  SYSDATE()
FROM CORE.SENSOR_READINGS_NORMALIZED_STREAM n JOIN OPS.ALERT_RULES r ON r.sensor_type = n.sensor_type AND r.metric = n.metric
WHERE (r.comparison = '>' AND n.value > r.threshold) OR (r.comparison = '<' AND n.value < r.threshold)
   OR (r.comparison = '=' AND n.value_text = r.match_text);
