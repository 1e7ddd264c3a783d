-- OPS.ANALYSE_NOTES 1/1 create; revert: DROP TASK IF EXISTS OPS.ANALYSE_NOTES
CREATE OR REPLACE TASK OPS.ANALYSE_NOTES
  WAREHOUSE = HUB_TRANSFORM_WH
  SCHEDULE = '1 MINUTE'
  COMMENT = 'Turn new operator notes into ML.NOTE_INSIGHTS through ML.ANALYSE_NOTE; notify safety concerns; record failures and retry them.'
  WHEN SYSTEM$STREAM_HAS_DATA('RAW.OPERATOR_NOTES_STREAM') OR SYSTEM$STREAM_HAS_DATA('OPS.NOTE_INSIGHT_FAILURES_STREAM')
AS
EXECUTE IMMEDIATE $$
BEGIN
  CREATE OR REPLACE TEMPORARY TABLE OPS.NOTE_ANSWERS (call_key VARCHAR, answer VARIANT);
  BEGIN TRANSACTION;
    INSERT INTO OPS.NOTE_ANSWERS (call_key, answer)
    SELECT x.call_key, ML.ANALYSE_NOTE(x.kind, x.text) FROM (SELECT p.note_id AS call_key, p.kind, p.text FROM (
      SELECT n.note_id, n.kind, n.text FROM RAW.OPERATOR_NOTES_STREAM n
      UNION
      SELECT o.note_id, o.kind, o.text FROM RAW.OPERATOR_NOTES o
      WHERE o.note_id IN (SELECT f.note_id FROM OPS.NOTE_INSIGHT_FAILURES_STREAM f WHERE NOT f.given_up)
    ) p
    WHERE NOT EXISTS (SELECT 1 FROM ML.NOTE_INSIGHTS i WHERE i.note_id = p.note_id)) x;
    INSERT INTO ML.NOTE_INSIGHTS (note_id, tenant_id, site_id, device_id, language, sentiment, safety_concern, safety_phrase, unmet_need, summary, model, latency_ms, analysed_at)
    SELECT x.note_id, x.tenant_id, x.site_id, x.device_id, x.answer:"language"::VARCHAR, x.answer:"sentiment"::VARCHAR,
      x.answer:"safety_concern"::VARCHAR = 'true', x.answer:"safety_phrase"::VARCHAR, x.answer:"unmet_need"::VARCHAR,
      x.answer:"summary"::VARCHAR, x.answer:"model"::VARCHAR, IFF(IS_INTEGER(x.answer:"latency_ms") OR IS_DECIMAL(x.answer:"latency_ms") OR IS_DOUBLE(x.answer:"latency_ms"), x.answer:"latency_ms"::FLOAT, NULL), SYSDATE()
    FROM (SELECT a.call_key AS note_id, a.answer, n.tenant_id, n.site_id, n.device_id, n.note_ts
      FROM OPS.NOTE_ANSWERS a JOIN (SELECT DISTINCT note_id, tenant_id, site_id, device_id, note_ts FROM RAW.OPERATOR_NOTES) n ON n.note_id = a.call_key) x WHERE (x.answer IS NOT NULL AND x.answer:"error"::VARCHAR IS NULL);
    INSERT INTO OPS.ALERT_NOTIFICATIONS (tenant_id, site_id, device_id, rule_id, severity, window_start, first_ts, worst_score, message, raised_at)
    SELECT x.tenant_id, x.site_id, x.device_id, 'NOTE_SAFETY', 'CRITICAL', x.note_ts, x.note_ts, 1.0,
      'NOTE_SAFETY on ' || x.device_id || ' at ' || CAST(x.note_ts AS VARCHAR) || ': "' || x.answer:"safety_phrase"::VARCHAR || '" (note ' || x.note_id || ')',
      SYSDATE()
    FROM (SELECT a.call_key AS note_id, a.answer, n.tenant_id, n.site_id, n.device_id, n.note_ts
      FROM OPS.NOTE_ANSWERS a JOIN (SELECT DISTINCT note_id, tenant_id, site_id, device_id, note_ts FROM RAW.OPERATOR_NOTES) n ON n.note_id = a.call_key) x
    WHERE (x.answer IS NOT NULL AND x.answer:"error"::VARCHAR IS NULL) AND x.answer:"safety_concern"::VARCHAR = 'true'
      AND NOT EXISTS (SELECT 1 FROM OPS.ALERT_NOTIFICATIONS a WHERE a.tenant_id = x.tenant_id AND a.device_id = x.device_id
        AND a.rule_id = 'NOTE_SAFETY' AND a.window_start = x.note_ts);
    INSERT INTO OPS.NOTE_INSIGHT_FAILURES (note_id, tenant_id, site_id, device_id, attempt, error, given_up, failed_at)
    SELECT y.note_id, y.tenant_id, y.site_id, y.device_id, y.attempt, y.error, y.attempt >= 3, SYSDATE()
    FROM (SELECT x.note_id, x.tenant_id, x.site_id, x.device_id,
        COALESCE(x.answer:"error"::VARCHAR, 'no answer from ML.ANALYSE_NOTE') AS error,
        1 + COALESCE(f.last_attempt, 0) AS attempt
      FROM (SELECT a.call_key AS note_id, a.answer, n.tenant_id, n.site_id, n.device_id, n.note_ts
      FROM OPS.NOTE_ANSWERS a JOIN (SELECT DISTINCT note_id, tenant_id, site_id, device_id, note_ts FROM RAW.OPERATOR_NOTES) n ON n.note_id = a.call_key) x LEFT JOIN (SELECT note_id, MAX(attempt) AS last_attempt FROM OPS.NOTE_INSIGHT_FAILURES GROUP BY note_id) f ON f.note_id = x.note_id
      WHERE NOT (x.answer IS NOT NULL AND x.answer:"error"::VARCHAR IS NULL)) y;
  COMMIT;
END;
$$;
