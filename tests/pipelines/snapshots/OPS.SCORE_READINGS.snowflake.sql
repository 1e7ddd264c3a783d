-- OPS.SCORE_READINGS 1/1 create; revert: DROP TASK IF EXISTS OPS.SCORE_READINGS
CREATE OR REPLACE TASK OPS.SCORE_READINGS
  WAREHOUSE = HUB_TRANSFORM_WH
  COMMENT = 'Evaluate the threshold rules on new silver metrics, and take flagged ML scores; breaches get a score.'
  AFTER OPS.VALIDATE_READINGS
AS
EXECUTE IMMEDIATE $$
BEGIN
  BEGIN TRANSACTION;
    INSERT INTO CORE.RULE_BREACHES (tenant_id, site_id, device_id, sensor_type, ts, seq, metric, value, value_text, rule_id, severity, threshold, score, scored_at)
    SELECT n.tenant_id, n.site_id, n.device_id, n.sensor_type, n.ts, n.seq, n.metric, n.value, n.value_text, r.rule_id, r.severity, r.threshold,
      CASE r.comparison WHEN '>' THEN n.value / NULLIF(r.threshold, 0) WHEN '<' THEN r.threshold / NULLIF(n.value, 0) ELSE 1.0 END,
      SYSDATE()
    FROM CORE.SENSOR_READINGS_NORMALIZED_STREAM n JOIN OPS.ALERT_RULES r ON r.sensor_type = n.sensor_type AND r.metric = n.metric
    WHERE ((r.comparison = '>' AND n.value > r.threshold) OR (r.comparison = '<' AND n.value < r.threshold) OR (r.comparison = '=' AND n.value_text = r.match_text));
    INSERT INTO CORE.RULE_BREACHES (tenant_id, site_id, device_id, sensor_type, ts, seq, metric, value, value_text, rule_id, severity, threshold, score, scored_at)
    SELECT tenant_id, site_id, device_id, sensor_type, ts, seq, metric, value, value_text, rule_id, severity, threshold, score, SYSDATE()
    FROM (SELECT a.tenant_id, CAST(NULL AS VARCHAR) AS site_id, SPLIT_PART(a.series_id, ':', 2) AS device_id, CAST(NULL AS VARCHAR) AS sensor_type,
      a.ts, CAST(NULL AS BIGINT) AS seq, SPLIT_PART(a.series_id, ':', 1) AS metric, a.y AS value, CAST(NULL AS VARCHAR) AS value_text,
      'MODEL_ANOMALY' AS rule_id, 'WARNING' AS severity,
      CASE WHEN a.y < a.lower_bound THEN a.lower_bound ELSE a.upper_bound END AS threshold, ABS(a.distance) AS score
    FROM ML.ANOMALIES_STREAM a WHERE a.is_anomaly
    UNION ALL
    SELECT s.tenant_id, s.site_id, s.device_id, 'MACHINE', s.ts, s.seq, 'stream_score', s.score, CAST(NULL AS VARCHAR),
      'MODEL_STREAM', 'WARNING', CAST(NULL AS DOUBLE), s.score
    FROM ML.STREAM_SCORES_STREAM s WHERE s.is_anomaly AND COALESCE(s.algorithm, '') <> 'dwell_time'
    UNION ALL
    SELECT s.tenant_id, s.site_id, s.device_id, 'MACHINE', s.ts, s.seq, 'state', IFF(IS_INTEGER(s.features:"stay_s") OR IS_DECIMAL(s.features:"stay_s") OR IS_DOUBLE(s.features:"stay_s"), s.features:"stay_s"::FLOAT, NULL), s.features:"text"::VARCHAR,
      'MODEL_DWELL', 'WARNING', IFF(IS_INTEGER(s.features:"threshold_s") OR IS_DECIMAL(s.features:"threshold_s") OR IS_DOUBLE(s.features:"threshold_s"), s.features:"threshold_s"::FLOAT, NULL), s.score
    FROM ML.STREAM_SCORES_STREAM s WHERE s.is_anomaly AND s.algorithm = 'dwell_time') m;
  COMMIT;
END;
$$;
