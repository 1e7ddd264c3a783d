-- OPS.VALIDATE_READINGS 1/1 create; revert: DROP TASK IF EXISTS OPS.VALIDATE_READINGS
CREATE OR REPLACE TASK OPS.VALIDATE_READINGS
  WAREHOUSE = HUB_TRANSFORM_WH
  SCHEDULE = '1 MINUTE'
  COMMENT = 'Judge new readings and scans: refused metrics and scans to quarantine with the reason; good metrics to silver, dropping redelivered readings (tenant, device, seq); everything counted.'
  WHEN SYSTEM$STREAM_HAS_DATA('RAW.SENSOR_READINGS_STREAM') OR SYSTEM$STREAM_HAS_DATA('RAW.JOB_SCANS_STREAM') OR SYSTEM$STREAM_HAS_DATA('ML.ANOMALIES_STREAM') OR SYSTEM$STREAM_HAS_DATA('ML.STREAM_SCORES_STREAM')
AS
EXECUTE IMMEDIATE $$
BEGIN
  BEGIN TRANSACTION;
    INSERT INTO RAW.QUARANTINE (tenant_id, source, received_at, reason, raw, device_id, metric)
    SELECT tenant_id, 'validate', SYSDATE(), reason, raw, device_id, metric FROM (WITH r AS (SELECT x.*, IFF(IS_OBJECT(x.payload:"metrics"), x.payload:"metrics", NULL) AS metrics_obj FROM (SELECT s.*,
        CASE WHEN ROW_NUMBER() OVER (PARTITION BY s.tenant_id, s.device_id, s.seq ORDER BY s.ingested_at, s.ts) = 1
          AND NOT EXISTS (
            -- A redelivery is the same reading, so it has the same ts: matching on ts as well bounds the
            -- look into silver to the batch's time range (each run's rows fill row groups of its own
            -- time range, so the rest is skipped) instead of a probe that grows with the table.
            SELECT 1 FROM CORE.SENSOR_READINGS_NORMALIZED n
            WHERE n.ts >= (SELECT MIN(ts) FROM RAW.SENSOR_READINGS_STREAM) AND n.ts <= (SELECT MAX(ts) FROM RAW.SENSOR_READINGS_STREAM)
              AND n.tenant_id = s.tenant_id AND n.device_id = s.device_id AND n.seq = s.seq AND n.ts = s.ts)
        THEN 1 ELSE 0 END AS is_new
      FROM RAW.SENSOR_READINGS_STREAM s) x),
    e AS (SELECT x.tenant_id, x.site_id, x.device_id, x.sensor_type, x.ts, x.seq, x.ingested_at, x.source, x.is_new, f.KEY AS key, f.VALUE AS value FROM r x, LATERAL FLATTEN(input => x.metrics_obj) f),
    f AS (
      SELECT e.tenant_id, e.site_id, e.device_id, e.sensor_type, e.ts, e.seq, e.ingested_at, e.source, e.is_new,
        m.metric, m.kind, m.min_value, m.max_value, m.soft_min, m.soft_max, m.allowed_values, e.value AS v
      FROM e JOIN CORE.METRIC_RULES m ON m.sensor_type = e.sensor_type AND m.metric = e.key
    ),
    t AS (SELECT f.*, v::VARCHAR AS v_text, (IS_INTEGER(v) OR IS_DECIMAL(v) OR IS_DOUBLE(v)) AS v_is_number, IS_VARCHAR(v) AS v_is_string FROM f),
    n AS (SELECT t.*, CASE WHEN v_is_number THEN TRY_TO_DOUBLE(v_text) END AS v_num FROM t),
    judged AS (
      SELECT n.*, COALESCE(CASE WHEN (TIMESTAMPDIFF('millisecond', ingested_at, ts) / 1000.0) > 300 THEN 'ts ' || CAST(ts AS VARCHAR) || ' is more than 300 s ahead of ingested_at ' || CAST(ingested_at AS VARCHAR) WHEN (TIMESTAMPDIFF('millisecond', ts, ingested_at) / 1000.0) > 604800 THEN 'ts ' || CAST(ts AS VARCHAR) || ' is more than 604800 s older than ingested_at ' || CAST(ingested_at AS VARCHAR) END, CASE WHEN kind = 'number' AND NOT v_is_number THEN 'payload.metrics.' || metric || ' = ' || COALESCE(v_text, 'null') || ' is not a number' WHEN kind = 'number' AND NOT (v_num NOT IN ('NaN'::FLOAT, 'inf'::FLOAT, '-inf'::FLOAT)) THEN 'payload.metrics.' || metric || ' = ' || v_text || ' is not finite' WHEN kind = 'number' AND (v_num < min_value OR v_num > max_value) THEN 'payload.metrics.' || metric || ' = ' || v_text || ' is outside [' || CAST(min_value AS VARCHAR) || ', ' || CAST(max_value AS VARCHAR) || ']' WHEN kind = 'text' AND (NOT v_is_string OR POSITION('|' || v_text || '|' IN '|' || allowed_values || '|') = 0) THEN 'payload.metrics.' || metric || ' = ' || COALESCE(v_text, 'null') || ' is not one of ' || allowed_values END) AS reason, (1.0 - CASE WHEN kind = 'number' AND (v_num < soft_min OR v_num > soft_max) THEN 0.3 ELSE 0 END - CASE WHEN (TIMESTAMPDIFF('millisecond', ts, ingested_at) / 1000.0) > 300 THEN 0.2 ELSE 0 END) AS quality_score FROM n
    ),
    units AS (
      SELECT tenant_id, site_id, device_id, sensor_type, ts, seq, ingested_at, source, is_new, metric, CASE WHEN kind = 'number' THEN v_num END AS value, CASE WHEN kind = 'text' THEN v_text END AS value_text,
        reason, quality_score, CASE WHEN reason IS NOT NULL THEN OBJECT_CONSTRUCT('metric', metric, 'value', v) END AS raw
      FROM judged
    ),
    bare AS (
      SELECT r.tenant_id, r.site_id, r.device_id, r.sensor_type, r.ts, r.seq, r.ingested_at, r.source, r.is_new,
        CAST(NULL AS VARCHAR) AS metric, CAST(NULL AS DOUBLE) AS value, CAST(NULL AS VARCHAR) AS value_text,
        CASE WHEN r.sensor_type IS NULL OR POSITION('|' || r.sensor_type || '|' IN '|MACHINE|ENERGY|AIR_QUALITY|') = 0 THEN
          'sensor_type ' || COALESCE('''' || r.sensor_type || '''', 'null') || ' is not one of MACHINE|ENERGY|AIR_QUALITY'
        WHEN r.metrics_obj IS NULL THEN 'payload.metrics is missing or not an object'
        ELSE 'payload.metrics has no known metric for sensor_type ' || r.sensor_type END AS reason,
        0.0 AS quality_score,
        r.payload AS raw
      FROM r
      -- A reading none of whose keys the rules know; decided from the keys alone, without a join.
      WHERE NOT (CASE r.sensor_type WHEN 'MACHINE' THEN COALESCE(ARRAYS_OVERLAP(OBJECT_KEYS(r.metrics_obj::OBJECT), ARRAY_CONSTRUCT('state', 'period_s', 'cycles', 'good_parts', 'ideal_cycle_s', 'cycle_count', 'spindle_load_pct', 'spindle_speed_rpm', 'temperature_c')), FALSE) WHEN 'ENERGY' THEN COALESCE(ARRAYS_OVERLAP(OBJECT_KEYS(r.metrics_obj::OBJECT), ARRAY_CONSTRUCT('period_s', 'voltage_v', 'current_a', 'power_factor', 'power_kw', 'kwh', 'energy_kwh_total')), FALSE) WHEN 'AIR_QUALITY' THEN COALESCE(ARRAYS_OVERLAP(OBJECT_KEYS(r.metrics_obj::OBJECT), ARRAY_CONSTRUCT('period_s', 'co2_ppm', 'voc_ppb', 'pm1_ugm3', 'pm25_ugm3', 'pm4_ugm3', 'pm10_ugm3', 'temperature_c', 'humidity_pct', 'pressure_hpa')), FALSE) ELSE FALSE END)
    )
    SELECT * FROM units UNION ALL SELECT * FROM bare) READING_UNITS WHERE reason IS NOT NULL;
    INSERT INTO OPS.DATA_QUALITY_LOG (run_at, step, tenant_id, units_in, quarantined, normalized, duplicates)
    SELECT SYSDATE(), 'validate', tenant_id, COUNT(*), COUNT(*), 0, 0 FROM (WITH r AS (SELECT x.*, IFF(IS_OBJECT(x.payload:"metrics"), x.payload:"metrics", NULL) AS metrics_obj FROM (SELECT s.*,
        CASE WHEN ROW_NUMBER() OVER (PARTITION BY s.tenant_id, s.device_id, s.seq ORDER BY s.ingested_at, s.ts) = 1
          AND NOT EXISTS (
            -- A redelivery is the same reading, so it has the same ts: matching on ts as well bounds the
            -- look into silver to the batch's time range (each run's rows fill row groups of its own
            -- time range, so the rest is skipped) instead of a probe that grows with the table.
            SELECT 1 FROM CORE.SENSOR_READINGS_NORMALIZED n
            WHERE n.ts >= (SELECT MIN(ts) FROM RAW.SENSOR_READINGS_STREAM) AND n.ts <= (SELECT MAX(ts) FROM RAW.SENSOR_READINGS_STREAM)
              AND n.tenant_id = s.tenant_id AND n.device_id = s.device_id AND n.seq = s.seq AND n.ts = s.ts)
        THEN 1 ELSE 0 END AS is_new
      FROM RAW.SENSOR_READINGS_STREAM s) x),
    e AS (SELECT x.tenant_id, x.site_id, x.device_id, x.sensor_type, x.ts, x.seq, x.ingested_at, x.source, x.is_new, f.KEY AS key, f.VALUE AS value FROM r x, LATERAL FLATTEN(input => x.metrics_obj) f),
    f AS (
      SELECT e.tenant_id, e.site_id, e.device_id, e.sensor_type, e.ts, e.seq, e.ingested_at, e.source, e.is_new,
        m.metric, m.kind, m.min_value, m.max_value, m.soft_min, m.soft_max, m.allowed_values, e.value AS v
      FROM e JOIN CORE.METRIC_RULES m ON m.sensor_type = e.sensor_type AND m.metric = e.key
    ),
    t AS (SELECT f.*, v::VARCHAR AS v_text, (IS_INTEGER(v) OR IS_DECIMAL(v) OR IS_DOUBLE(v)) AS v_is_number, IS_VARCHAR(v) AS v_is_string FROM f),
    n AS (SELECT t.*, CASE WHEN v_is_number THEN TRY_TO_DOUBLE(v_text) END AS v_num FROM t),
    judged AS (
      SELECT n.*, COALESCE(CASE WHEN (TIMESTAMPDIFF('millisecond', ingested_at, ts) / 1000.0) > 300 THEN 'ts ' || CAST(ts AS VARCHAR) || ' is more than 300 s ahead of ingested_at ' || CAST(ingested_at AS VARCHAR) WHEN (TIMESTAMPDIFF('millisecond', ts, ingested_at) / 1000.0) > 604800 THEN 'ts ' || CAST(ts AS VARCHAR) || ' is more than 604800 s older than ingested_at ' || CAST(ingested_at AS VARCHAR) END, CASE WHEN kind = 'number' AND NOT v_is_number THEN 'payload.metrics.' || metric || ' = ' || COALESCE(v_text, 'null') || ' is not a number' WHEN kind = 'number' AND NOT (v_num NOT IN ('NaN'::FLOAT, 'inf'::FLOAT, '-inf'::FLOAT)) THEN 'payload.metrics.' || metric || ' = ' || v_text || ' is not finite' WHEN kind = 'number' AND (v_num < min_value OR v_num > max_value) THEN 'payload.metrics.' || metric || ' = ' || v_text || ' is outside [' || CAST(min_value AS VARCHAR) || ', ' || CAST(max_value AS VARCHAR) || ']' WHEN kind = 'text' AND (NOT v_is_string OR POSITION('|' || v_text || '|' IN '|' || allowed_values || '|') = 0) THEN 'payload.metrics.' || metric || ' = ' || COALESCE(v_text, 'null') || ' is not one of ' || allowed_values END) AS reason, (1.0 - CASE WHEN kind = 'number' AND (v_num < soft_min OR v_num > soft_max) THEN 0.3 ELSE 0 END - CASE WHEN (TIMESTAMPDIFF('millisecond', ts, ingested_at) / 1000.0) > 300 THEN 0.2 ELSE 0 END) AS quality_score FROM n
    ),
    units AS (
      SELECT tenant_id, site_id, device_id, sensor_type, ts, seq, ingested_at, source, is_new, metric, CASE WHEN kind = 'number' THEN v_num END AS value, CASE WHEN kind = 'text' THEN v_text END AS value_text,
        reason, quality_score, CASE WHEN reason IS NOT NULL THEN OBJECT_CONSTRUCT('metric', metric, 'value', v) END AS raw
      FROM judged
    ),
    bare AS (
      SELECT r.tenant_id, r.site_id, r.device_id, r.sensor_type, r.ts, r.seq, r.ingested_at, r.source, r.is_new,
        CAST(NULL AS VARCHAR) AS metric, CAST(NULL AS DOUBLE) AS value, CAST(NULL AS VARCHAR) AS value_text,
        CASE WHEN r.sensor_type IS NULL OR POSITION('|' || r.sensor_type || '|' IN '|MACHINE|ENERGY|AIR_QUALITY|') = 0 THEN
          'sensor_type ' || COALESCE('''' || r.sensor_type || '''', 'null') || ' is not one of MACHINE|ENERGY|AIR_QUALITY'
        WHEN r.metrics_obj IS NULL THEN 'payload.metrics is missing or not an object'
        ELSE 'payload.metrics has no known metric for sensor_type ' || r.sensor_type END AS reason,
        0.0 AS quality_score,
        r.payload AS raw
      FROM r
      -- A reading none of whose keys the rules know; decided from the keys alone, without a join.
      WHERE NOT (CASE r.sensor_type WHEN 'MACHINE' THEN COALESCE(ARRAYS_OVERLAP(OBJECT_KEYS(r.metrics_obj::OBJECT), ARRAY_CONSTRUCT('state', 'period_s', 'cycles', 'good_parts', 'ideal_cycle_s', 'cycle_count', 'spindle_load_pct', 'spindle_speed_rpm', 'temperature_c')), FALSE) WHEN 'ENERGY' THEN COALESCE(ARRAYS_OVERLAP(OBJECT_KEYS(r.metrics_obj::OBJECT), ARRAY_CONSTRUCT('period_s', 'voltage_v', 'current_a', 'power_factor', 'power_kw', 'kwh', 'energy_kwh_total')), FALSE) WHEN 'AIR_QUALITY' THEN COALESCE(ARRAYS_OVERLAP(OBJECT_KEYS(r.metrics_obj::OBJECT), ARRAY_CONSTRUCT('period_s', 'co2_ppm', 'voc_ppb', 'pm1_ugm3', 'pm25_ugm3', 'pm4_ugm3', 'pm10_ugm3', 'temperature_c', 'humidity_pct', 'pressure_hpa')), FALSE) ELSE FALSE END)
    )
    SELECT * FROM units UNION ALL SELECT * FROM bare) READING_UNITS WHERE reason IS NOT NULL GROUP BY tenant_id;
    INSERT INTO OPS.DATA_QUALITY_LOG (run_at, step, tenant_id, units_in, quarantined, normalized, duplicates)
    SELECT SYSDATE(), 'normalize', tenant_id, COUNT(*), 0, SUM(is_new), COUNT(*) - SUM(is_new) FROM (WITH r AS (SELECT x.*, IFF(IS_OBJECT(x.payload:"metrics"), x.payload:"metrics", NULL) AS metrics_obj FROM (SELECT s.*,
        CASE WHEN ROW_NUMBER() OVER (PARTITION BY s.tenant_id, s.device_id, s.seq ORDER BY s.ingested_at, s.ts) = 1
          AND NOT EXISTS (
            -- A redelivery is the same reading, so it has the same ts: matching on ts as well bounds the
            -- look into silver to the batch's time range (each run's rows fill row groups of its own
            -- time range, so the rest is skipped) instead of a probe that grows with the table.
            SELECT 1 FROM CORE.SENSOR_READINGS_NORMALIZED n
            WHERE n.ts >= (SELECT MIN(ts) FROM RAW.SENSOR_READINGS_STREAM) AND n.ts <= (SELECT MAX(ts) FROM RAW.SENSOR_READINGS_STREAM)
              AND n.tenant_id = s.tenant_id AND n.device_id = s.device_id AND n.seq = s.seq AND n.ts = s.ts)
        THEN 1 ELSE 0 END AS is_new
      FROM RAW.SENSOR_READINGS_STREAM s) x),
    e AS (SELECT x.tenant_id, x.site_id, x.device_id, x.sensor_type, x.ts, x.seq, x.ingested_at, x.source, x.is_new, f.KEY AS key, f.VALUE AS value FROM r x, LATERAL FLATTEN(input => x.metrics_obj) f),
    f AS (
      SELECT e.tenant_id, e.site_id, e.device_id, e.sensor_type, e.ts, e.seq, e.ingested_at, e.source, e.is_new,
        m.metric, m.kind, m.min_value, m.max_value, m.soft_min, m.soft_max, m.allowed_values, e.value AS v
      FROM e JOIN CORE.METRIC_RULES m ON m.sensor_type = e.sensor_type AND m.metric = e.key
    ),
    t AS (SELECT f.*, v::VARCHAR AS v_text, (IS_INTEGER(v) OR IS_DECIMAL(v) OR IS_DOUBLE(v)) AS v_is_number, IS_VARCHAR(v) AS v_is_string FROM f),
    n AS (SELECT t.*, CASE WHEN v_is_number THEN TRY_TO_DOUBLE(v_text) END AS v_num FROM t),
    judged AS (
      SELECT n.*, COALESCE(CASE WHEN (TIMESTAMPDIFF('millisecond', ingested_at, ts) / 1000.0) > 300 THEN 'ts ' || CAST(ts AS VARCHAR) || ' is more than 300 s ahead of ingested_at ' || CAST(ingested_at AS VARCHAR) WHEN (TIMESTAMPDIFF('millisecond', ts, ingested_at) / 1000.0) > 604800 THEN 'ts ' || CAST(ts AS VARCHAR) || ' is more than 604800 s older than ingested_at ' || CAST(ingested_at AS VARCHAR) END, CASE WHEN kind = 'number' AND NOT v_is_number THEN 'payload.metrics.' || metric || ' = ' || COALESCE(v_text, 'null') || ' is not a number' WHEN kind = 'number' AND NOT (v_num NOT IN ('NaN'::FLOAT, 'inf'::FLOAT, '-inf'::FLOAT)) THEN 'payload.metrics.' || metric || ' = ' || v_text || ' is not finite' WHEN kind = 'number' AND (v_num < min_value OR v_num > max_value) THEN 'payload.metrics.' || metric || ' = ' || v_text || ' is outside [' || CAST(min_value AS VARCHAR) || ', ' || CAST(max_value AS VARCHAR) || ']' WHEN kind = 'text' AND (NOT v_is_string OR POSITION('|' || v_text || '|' IN '|' || allowed_values || '|') = 0) THEN 'payload.metrics.' || metric || ' = ' || COALESCE(v_text, 'null') || ' is not one of ' || allowed_values END) AS reason, (1.0 - CASE WHEN kind = 'number' AND (v_num < soft_min OR v_num > soft_max) THEN 0.3 ELSE 0 END - CASE WHEN (TIMESTAMPDIFF('millisecond', ts, ingested_at) / 1000.0) > 300 THEN 0.2 ELSE 0 END) AS quality_score FROM n
    ),
    units AS (
      SELECT tenant_id, site_id, device_id, sensor_type, ts, seq, ingested_at, source, is_new, metric, CASE WHEN kind = 'number' THEN v_num END AS value, CASE WHEN kind = 'text' THEN v_text END AS value_text,
        reason, quality_score, CASE WHEN reason IS NOT NULL THEN OBJECT_CONSTRUCT('metric', metric, 'value', v) END AS raw
      FROM judged
    ),
    bare AS (
      SELECT r.tenant_id, r.site_id, r.device_id, r.sensor_type, r.ts, r.seq, r.ingested_at, r.source, r.is_new,
        CAST(NULL AS VARCHAR) AS metric, CAST(NULL AS DOUBLE) AS value, CAST(NULL AS VARCHAR) AS value_text,
        CASE WHEN r.sensor_type IS NULL OR POSITION('|' || r.sensor_type || '|' IN '|MACHINE|ENERGY|AIR_QUALITY|') = 0 THEN
          'sensor_type ' || COALESCE('''' || r.sensor_type || '''', 'null') || ' is not one of MACHINE|ENERGY|AIR_QUALITY'
        WHEN r.metrics_obj IS NULL THEN 'payload.metrics is missing or not an object'
        ELSE 'payload.metrics has no known metric for sensor_type ' || r.sensor_type END AS reason,
        0.0 AS quality_score,
        r.payload AS raw
      FROM r
      -- A reading none of whose keys the rules know; decided from the keys alone, without a join.
      WHERE NOT (CASE r.sensor_type WHEN 'MACHINE' THEN COALESCE(ARRAYS_OVERLAP(OBJECT_KEYS(r.metrics_obj::OBJECT), ARRAY_CONSTRUCT('state', 'period_s', 'cycles', 'good_parts', 'ideal_cycle_s', 'cycle_count', 'spindle_load_pct', 'spindle_speed_rpm', 'temperature_c')), FALSE) WHEN 'ENERGY' THEN COALESCE(ARRAYS_OVERLAP(OBJECT_KEYS(r.metrics_obj::OBJECT), ARRAY_CONSTRUCT('period_s', 'voltage_v', 'current_a', 'power_factor', 'power_kw', 'kwh', 'energy_kwh_total')), FALSE) WHEN 'AIR_QUALITY' THEN COALESCE(ARRAYS_OVERLAP(OBJECT_KEYS(r.metrics_obj::OBJECT), ARRAY_CONSTRUCT('period_s', 'co2_ppm', 'voc_ppb', 'pm1_ugm3', 'pm25_ugm3', 'pm4_ugm3', 'pm10_ugm3', 'temperature_c', 'humidity_pct', 'pressure_hpa')), FALSE) ELSE FALSE END)
    )
    SELECT * FROM units UNION ALL SELECT * FROM bare) READING_UNITS WHERE reason IS NULL GROUP BY tenant_id;
    INSERT INTO CORE.SENSOR_READINGS_NORMALIZED (tenant_id, site_id, device_id, sensor_type, ts, seq, metric, value, value_text, quality_score, ingested_at, source)
    SELECT tenant_id, site_id, device_id, sensor_type, ts, seq, metric, value, value_text, quality_score, ingested_at, source
    FROM (WITH r AS (SELECT x.*, IFF(IS_OBJECT(x.payload:"metrics"), x.payload:"metrics", NULL) AS metrics_obj FROM (SELECT s.*,
        CASE WHEN ROW_NUMBER() OVER (PARTITION BY s.tenant_id, s.device_id, s.seq ORDER BY s.ingested_at, s.ts) = 1
          AND NOT EXISTS (
            -- A redelivery is the same reading, so it has the same ts: matching on ts as well bounds the
            -- look into silver to the batch's time range (each run's rows fill row groups of its own
            -- time range, so the rest is skipped) instead of a probe that grows with the table.
            SELECT 1 FROM CORE.SENSOR_READINGS_NORMALIZED n
            WHERE n.ts >= (SELECT MIN(ts) FROM RAW.SENSOR_READINGS_STREAM) AND n.ts <= (SELECT MAX(ts) FROM RAW.SENSOR_READINGS_STREAM)
              AND n.tenant_id = s.tenant_id AND n.device_id = s.device_id AND n.seq = s.seq AND n.ts = s.ts)
        THEN 1 ELSE 0 END AS is_new
      FROM RAW.SENSOR_READINGS_STREAM s) x),
    e AS (SELECT x.tenant_id, x.site_id, x.device_id, x.sensor_type, x.ts, x.seq, x.ingested_at, x.source, x.is_new, f.KEY AS key, f.VALUE AS value FROM r x, LATERAL FLATTEN(input => x.metrics_obj) f),
    f AS (
      SELECT e.tenant_id, e.site_id, e.device_id, e.sensor_type, e.ts, e.seq, e.ingested_at, e.source, e.is_new,
        m.metric, m.kind, m.min_value, m.max_value, m.soft_min, m.soft_max, m.allowed_values, e.value AS v
      FROM e JOIN CORE.METRIC_RULES m ON m.sensor_type = e.sensor_type AND m.metric = e.key
    ),
    t AS (SELECT f.*, v::VARCHAR AS v_text, (IS_INTEGER(v) OR IS_DECIMAL(v) OR IS_DOUBLE(v)) AS v_is_number, IS_VARCHAR(v) AS v_is_string FROM f),
    n AS (SELECT t.*, CASE WHEN v_is_number THEN TRY_TO_DOUBLE(v_text) END AS v_num FROM t),
    judged AS (
      SELECT n.*, COALESCE(CASE WHEN (TIMESTAMPDIFF('millisecond', ingested_at, ts) / 1000.0) > 300 THEN 'ts ' || CAST(ts AS VARCHAR) || ' is more than 300 s ahead of ingested_at ' || CAST(ingested_at AS VARCHAR) WHEN (TIMESTAMPDIFF('millisecond', ts, ingested_at) / 1000.0) > 604800 THEN 'ts ' || CAST(ts AS VARCHAR) || ' is more than 604800 s older than ingested_at ' || CAST(ingested_at AS VARCHAR) END, CASE WHEN kind = 'number' AND NOT v_is_number THEN 'payload.metrics.' || metric || ' = ' || COALESCE(v_text, 'null') || ' is not a number' WHEN kind = 'number' AND NOT (v_num NOT IN ('NaN'::FLOAT, 'inf'::FLOAT, '-inf'::FLOAT)) THEN 'payload.metrics.' || metric || ' = ' || v_text || ' is not finite' WHEN kind = 'number' AND (v_num < min_value OR v_num > max_value) THEN 'payload.metrics.' || metric || ' = ' || v_text || ' is outside [' || CAST(min_value AS VARCHAR) || ', ' || CAST(max_value AS VARCHAR) || ']' WHEN kind = 'text' AND (NOT v_is_string OR POSITION('|' || v_text || '|' IN '|' || allowed_values || '|') = 0) THEN 'payload.metrics.' || metric || ' = ' || COALESCE(v_text, 'null') || ' is not one of ' || allowed_values END) AS reason, (1.0 - CASE WHEN kind = 'number' AND (v_num < soft_min OR v_num > soft_max) THEN 0.3 ELSE 0 END - CASE WHEN (TIMESTAMPDIFF('millisecond', ts, ingested_at) / 1000.0) > 300 THEN 0.2 ELSE 0 END) AS quality_score FROM n
    ),
    units AS (
      SELECT tenant_id, site_id, device_id, sensor_type, ts, seq, ingested_at, source, is_new, metric, CASE WHEN kind = 'number' THEN v_num END AS value, CASE WHEN kind = 'text' THEN v_text END AS value_text,
        reason, quality_score, CASE WHEN reason IS NOT NULL THEN OBJECT_CONSTRUCT('metric', metric, 'value', v) END AS raw
      FROM judged
    ),
    bare AS (
      SELECT r.tenant_id, r.site_id, r.device_id, r.sensor_type, r.ts, r.seq, r.ingested_at, r.source, r.is_new,
        CAST(NULL AS VARCHAR) AS metric, CAST(NULL AS DOUBLE) AS value, CAST(NULL AS VARCHAR) AS value_text,
        CASE WHEN r.sensor_type IS NULL OR POSITION('|' || r.sensor_type || '|' IN '|MACHINE|ENERGY|AIR_QUALITY|') = 0 THEN
          'sensor_type ' || COALESCE('''' || r.sensor_type || '''', 'null') || ' is not one of MACHINE|ENERGY|AIR_QUALITY'
        WHEN r.metrics_obj IS NULL THEN 'payload.metrics is missing or not an object'
        ELSE 'payload.metrics has no known metric for sensor_type ' || r.sensor_type END AS reason,
        0.0 AS quality_score,
        r.payload AS raw
      FROM r
      -- A reading none of whose keys the rules know; decided from the keys alone, without a join.
      WHERE NOT (CASE r.sensor_type WHEN 'MACHINE' THEN COALESCE(ARRAYS_OVERLAP(OBJECT_KEYS(r.metrics_obj::OBJECT), ARRAY_CONSTRUCT('state', 'period_s', 'cycles', 'good_parts', 'ideal_cycle_s', 'cycle_count', 'spindle_load_pct', 'spindle_speed_rpm', 'temperature_c')), FALSE) WHEN 'ENERGY' THEN COALESCE(ARRAYS_OVERLAP(OBJECT_KEYS(r.metrics_obj::OBJECT), ARRAY_CONSTRUCT('period_s', 'voltage_v', 'current_a', 'power_factor', 'power_kw', 'kwh', 'energy_kwh_total')), FALSE) WHEN 'AIR_QUALITY' THEN COALESCE(ARRAYS_OVERLAP(OBJECT_KEYS(r.metrics_obj::OBJECT), ARRAY_CONSTRUCT('period_s', 'co2_ppm', 'voc_ppb', 'pm1_ugm3', 'pm25_ugm3', 'pm4_ugm3', 'pm10_ugm3', 'temperature_c', 'humidity_pct', 'pressure_hpa')), FALSE) ELSE FALSE END)
    )
    SELECT * FROM units UNION ALL SELECT * FROM bare) READING_UNITS WHERE reason IS NULL AND is_new = 1;
    INSERT INTO RAW.QUARANTINE (tenant_id, source, received_at, reason, raw, device_id, metric)
    SELECT s.tenant_id, 'validate', SYSDATE(), CASE WHEN s.station IS NULL OR TRIM(s.station) = '' THEN 'station is empty' WHEN s.job_id IS NULL OR TRIM(s.job_id) = '' THEN 'job_id is empty' ELSE CASE WHEN (TIMESTAMPDIFF('millisecond', s.ingested_at, s.scan_ts) / 1000.0) > 300 THEN 'scan_ts ' || CAST(s.scan_ts AS VARCHAR) || ' is more than 300 s ahead of ingested_at ' || CAST(s.ingested_at AS VARCHAR) WHEN (TIMESTAMPDIFF('millisecond', s.scan_ts, s.ingested_at) / 1000.0) > 604800 THEN 'scan_ts ' || CAST(s.scan_ts AS VARCHAR) || ' is more than 604800 s older than ingested_at ' || CAST(s.ingested_at AS VARCHAR) END END,
      OBJECT_CONSTRUCT('job_id', s.job_id, 'station', s.station, 'scan_ts', CAST(s.scan_ts AS VARCHAR), 'site_id', s.site_id), s.job_id, NULL
    FROM RAW.JOB_SCANS_STREAM s WHERE (CASE WHEN s.station IS NULL OR TRIM(s.station) = '' THEN 'station is empty' WHEN s.job_id IS NULL OR TRIM(s.job_id) = '' THEN 'job_id is empty' ELSE CASE WHEN (TIMESTAMPDIFF('millisecond', s.ingested_at, s.scan_ts) / 1000.0) > 300 THEN 'scan_ts ' || CAST(s.scan_ts AS VARCHAR) || ' is more than 300 s ahead of ingested_at ' || CAST(s.ingested_at AS VARCHAR) WHEN (TIMESTAMPDIFF('millisecond', s.scan_ts, s.ingested_at) / 1000.0) > 604800 THEN 'scan_ts ' || CAST(s.scan_ts AS VARCHAR) || ' is more than 604800 s older than ingested_at ' || CAST(s.ingested_at AS VARCHAR) END END) IS NOT NULL;
    INSERT INTO OPS.DATA_QUALITY_LOG (run_at, step, tenant_id, units_in, quarantined, normalized, duplicates)
    SELECT SYSDATE(), 'validate_scans', s.tenant_id, COUNT(*), COUNT(CASE WHEN s.station IS NULL OR TRIM(s.station) = '' THEN 'station is empty' WHEN s.job_id IS NULL OR TRIM(s.job_id) = '' THEN 'job_id is empty' ELSE CASE WHEN (TIMESTAMPDIFF('millisecond', s.ingested_at, s.scan_ts) / 1000.0) > 300 THEN 'scan_ts ' || CAST(s.scan_ts AS VARCHAR) || ' is more than 300 s ahead of ingested_at ' || CAST(s.ingested_at AS VARCHAR) WHEN (TIMESTAMPDIFF('millisecond', s.scan_ts, s.ingested_at) / 1000.0) > 604800 THEN 'scan_ts ' || CAST(s.scan_ts AS VARCHAR) || ' is more than 604800 s older than ingested_at ' || CAST(s.ingested_at AS VARCHAR) END END), COUNT(*) - COUNT(CASE WHEN s.station IS NULL OR TRIM(s.station) = '' THEN 'station is empty' WHEN s.job_id IS NULL OR TRIM(s.job_id) = '' THEN 'job_id is empty' ELSE CASE WHEN (TIMESTAMPDIFF('millisecond', s.ingested_at, s.scan_ts) / 1000.0) > 300 THEN 'scan_ts ' || CAST(s.scan_ts AS VARCHAR) || ' is more than 300 s ahead of ingested_at ' || CAST(s.ingested_at AS VARCHAR) WHEN (TIMESTAMPDIFF('millisecond', s.scan_ts, s.ingested_at) / 1000.0) > 604800 THEN 'scan_ts ' || CAST(s.scan_ts AS VARCHAR) || ' is more than 604800 s older than ingested_at ' || CAST(s.ingested_at AS VARCHAR) END END), 0
    FROM RAW.JOB_SCANS_STREAM s GROUP BY s.tenant_id;
  COMMIT;
END;
$$;
