-- OPS.NORMALIZE_READINGS 1/1 create; revert: DROP TASK IF EXISTS OPS.NORMALIZE_READINGS
CREATE OR REPLACE TASK OPS.NORMALIZE_READINGS
  WAREHOUSE = HUB_TRANSFORM_WH
  COMMENT = 'Good metrics of new readings to silver, dropping duplicates of (tenant, device, seq, metric) and counting them.'
  AFTER OPS.VALIDATE_READINGS
AS
EXECUTE IMMEDIATE $$
BEGIN
  BEGIN TRANSACTION;
    INSERT INTO OPS.DATA_QUALITY_LOG (run_at, step, tenant_id, units_in, quarantined, normalized, duplicates)
    SELECT SYSDATE(), 'normalize', tenant_id, COUNT(*), 0, SUM(is_new), COUNT(*) - SUM(is_new) FROM (SELECT v.tenant_id, v.site_id, v.device_id, v.sensor_type, v.ts, v.seq, v.metric, v.value, v.value_text,
      v.quality_score, v.ingested_at, v.source, CASE WHEN v.rn = 1 AND n.seq IS NULL THEN 1 ELSE 0 END AS is_new
    FROM (SELECT u.tenant_id, u.site_id, u.device_id, u.sensor_type, u.ts, u.seq, u.metric, u.value, u.value_text, u.quality_score,
            u.ingested_at, u.source,
            ROW_NUMBER() OVER (PARTITION BY u.tenant_id, u.device_id, u.seq, u.metric ORDER BY u.ingested_at, u.ts) AS rn
          FROM (WITH r AS (SELECT * FROM RAW.SENSOR_READINGS_NORMALIZE_STREAM),
    f AS (
      SELECT r.tenant_id, r.site_id, r.device_id, r.sensor_type, r.ts, r.seq, r.message_id, r.ingested_at, r.source,
        m.metric, m.kind, m.min_value, m.max_value, m.soft_min, m.soft_max, m.allowed_values, f.VALUE AS v
      FROM r, LATERAL FLATTEN(input => r.payload:"metrics") f, CORE.METRIC_RULES m
      WHERE m.sensor_type = r.sensor_type AND m.metric = f.KEY
    ),
    t AS (SELECT f.*, v::VARCHAR AS v_text, (IS_INTEGER(v) OR IS_DECIMAL(v) OR IS_DOUBLE(v)) AS v_is_number, IS_VARCHAR(v) AS v_is_string FROM f),
    n AS (SELECT t.*, CASE WHEN v_is_number THEN TRY_TO_DOUBLE(v_text) END AS v_num FROM t),
    judged AS (
      SELECT n.*, COALESCE(CASE WHEN (TIMESTAMPDIFF('millisecond', ingested_at, ts) / 1000.0) > 300 THEN 'ts ' || CAST(ts AS VARCHAR) || ' is more than 300 s ahead of ingested_at ' || CAST(ingested_at AS VARCHAR) WHEN (TIMESTAMPDIFF('millisecond', ts, ingested_at) / 1000.0) > 604800 THEN 'ts ' || CAST(ts AS VARCHAR) || ' is more than 604800 s older than ingested_at ' || CAST(ingested_at AS VARCHAR) END, CASE WHEN kind = 'number' AND NOT v_is_number THEN 'payload.metrics.' || metric || ' = ' || COALESCE(v_text, 'null') || ' is not a number' WHEN kind = 'number' AND NOT (v_num NOT IN ('NaN'::FLOAT, 'inf'::FLOAT, '-inf'::FLOAT)) THEN 'payload.metrics.' || metric || ' = ' || v_text || ' is not finite' WHEN kind = 'number' AND (v_num < min_value OR v_num > max_value) THEN 'payload.metrics.' || metric || ' = ' || v_text || ' is outside [' || CAST(min_value AS VARCHAR) || ', ' || CAST(max_value AS VARCHAR) || ']' WHEN kind = 'text' AND (NOT v_is_string OR POSITION('|' || v_text || '|' IN '|' || allowed_values || '|') = 0) THEN 'payload.metrics.' || metric || ' = ' || COALESCE(v_text, 'null') || ' is not one of ' || allowed_values END) AS reason, (1.0 - CASE WHEN kind = 'number' AND (v_num < soft_min OR v_num > soft_max) THEN 0.3 ELSE 0 END - CASE WHEN (TIMESTAMPDIFF('millisecond', ts, ingested_at) / 1000.0) > 300 THEN 0.2 ELSE 0 END) AS quality_score FROM n
    ),
    units AS (
      SELECT tenant_id, site_id, device_id, sensor_type, ts, seq, message_id, ingested_at, source, metric, CASE WHEN kind = 'number' THEN v_num END AS value, CASE WHEN kind = 'text' THEN v_text END AS value_text,
        reason, quality_score, CASE WHEN reason IS NOT NULL THEN OBJECT_CONSTRUCT('metric', metric, 'value', v) END AS raw
      FROM judged
    ),
    bare AS (
      SELECT r.tenant_id, r.site_id, r.device_id, r.sensor_type, r.ts, r.seq, r.message_id, r.ingested_at, r.source,
        CAST(NULL AS VARCHAR) AS metric, CAST(NULL AS DOUBLE) AS value, CAST(NULL AS VARCHAR) AS value_text,
        CASE WHEN r.sensor_type IS NULL OR POSITION('|' || r.sensor_type || '|' IN '|MACHINE|ENERGY|AIR_QUALITY|') = 0 THEN
          'sensor_type ' || COALESCE('''' || r.sensor_type || '''', 'null') || ' is not one of MACHINE|ENERGY|AIR_QUALITY'
        WHEN NOT COALESCE(IS_OBJECT(r.payload:"metrics"), FALSE) THEN 'payload.metrics is missing or not an object'
        ELSE 'payload.metrics has no known metric for sensor_type ' || r.sensor_type END AS reason,
        0.0 AS quality_score,
        r.payload AS raw
      FROM r
      -- A reading none of whose keys the rules know; decided from the keys alone, without a join.
      WHERE NOT (CASE r.sensor_type WHEN 'MACHINE' THEN COALESCE(IFF(IS_OBJECT(r.payload:"metrics"), ARRAYS_OVERLAP(OBJECT_KEYS(r.payload:"metrics"::OBJECT), ARRAY_CONSTRUCT('state', 'period_s', 'cycles', 'good_parts', 'ideal_cycle_s', 'cycle_count', 'spindle_load_pct', 'spindle_speed_rpm', 'temperature_c')), FALSE), FALSE) WHEN 'ENERGY' THEN COALESCE(IFF(IS_OBJECT(r.payload:"metrics"), ARRAYS_OVERLAP(OBJECT_KEYS(r.payload:"metrics"::OBJECT), ARRAY_CONSTRUCT('period_s', 'voltage_v', 'current_a', 'power_factor', 'power_kw', 'kwh', 'energy_kwh_total')), FALSE), FALSE) WHEN 'AIR_QUALITY' THEN COALESCE(IFF(IS_OBJECT(r.payload:"metrics"), ARRAYS_OVERLAP(OBJECT_KEYS(r.payload:"metrics"::OBJECT), ARRAY_CONSTRUCT('period_s', 'co2_ppm', 'voc_ppb', 'pm1_ugm3', 'pm25_ugm3', 'pm4_ugm3', 'pm10_ugm3', 'temperature_c', 'humidity_pct', 'pressure_hpa')), FALSE), FALSE) ELSE FALSE END)
    )
    SELECT * FROM units UNION ALL SELECT * FROM bare) u WHERE u.reason IS NULL) v
    -- A redelivery is the same reading, so it has the same ts: matching on ts as well bounds the look
    -- into silver to the batch's time range (silver is inserted in time order, so the rest is skipped)
    -- instead of a join that grows with the table.
    LEFT JOIN (SELECT tenant_id, device_id, seq, metric, ts FROM CORE.SENSOR_READINGS_NORMALIZED
               WHERE ts >= (SELECT MIN(ts) FROM RAW.SENSOR_READINGS_NORMALIZE_STREAM) AND ts <= (SELECT MAX(ts) FROM RAW.SENSOR_READINGS_NORMALIZE_STREAM)) n
      ON n.tenant_id = v.tenant_id AND n.device_id = v.device_id AND n.seq = v.seq AND n.metric = v.metric AND n.ts = v.ts) NORMALIZE_BATCH GROUP BY tenant_id;
    INSERT INTO CORE.SENSOR_READINGS_NORMALIZED (tenant_id, site_id, device_id, sensor_type, ts, seq, metric, value, value_text, quality_score, ingested_at, source)
    SELECT tenant_id, site_id, device_id, sensor_type, ts, seq, metric, value, value_text, quality_score, ingested_at, source
    FROM (SELECT v.tenant_id, v.site_id, v.device_id, v.sensor_type, v.ts, v.seq, v.metric, v.value, v.value_text,
      v.quality_score, v.ingested_at, v.source, CASE WHEN v.rn = 1 AND n.seq IS NULL THEN 1 ELSE 0 END AS is_new
    FROM (SELECT u.tenant_id, u.site_id, u.device_id, u.sensor_type, u.ts, u.seq, u.metric, u.value, u.value_text, u.quality_score,
            u.ingested_at, u.source,
            ROW_NUMBER() OVER (PARTITION BY u.tenant_id, u.device_id, u.seq, u.metric ORDER BY u.ingested_at, u.ts) AS rn
          FROM (WITH r AS (SELECT * FROM RAW.SENSOR_READINGS_NORMALIZE_STREAM),
    f AS (
      SELECT r.tenant_id, r.site_id, r.device_id, r.sensor_type, r.ts, r.seq, r.message_id, r.ingested_at, r.source,
        m.metric, m.kind, m.min_value, m.max_value, m.soft_min, m.soft_max, m.allowed_values, f.VALUE AS v
      FROM r, LATERAL FLATTEN(input => r.payload:"metrics") f, CORE.METRIC_RULES m
      WHERE m.sensor_type = r.sensor_type AND m.metric = f.KEY
    ),
    t AS (SELECT f.*, v::VARCHAR AS v_text, (IS_INTEGER(v) OR IS_DECIMAL(v) OR IS_DOUBLE(v)) AS v_is_number, IS_VARCHAR(v) AS v_is_string FROM f),
    n AS (SELECT t.*, CASE WHEN v_is_number THEN TRY_TO_DOUBLE(v_text) END AS v_num FROM t),
    judged AS (
      SELECT n.*, COALESCE(CASE WHEN (TIMESTAMPDIFF('millisecond', ingested_at, ts) / 1000.0) > 300 THEN 'ts ' || CAST(ts AS VARCHAR) || ' is more than 300 s ahead of ingested_at ' || CAST(ingested_at AS VARCHAR) WHEN (TIMESTAMPDIFF('millisecond', ts, ingested_at) / 1000.0) > 604800 THEN 'ts ' || CAST(ts AS VARCHAR) || ' is more than 604800 s older than ingested_at ' || CAST(ingested_at AS VARCHAR) END, CASE WHEN kind = 'number' AND NOT v_is_number THEN 'payload.metrics.' || metric || ' = ' || COALESCE(v_text, 'null') || ' is not a number' WHEN kind = 'number' AND NOT (v_num NOT IN ('NaN'::FLOAT, 'inf'::FLOAT, '-inf'::FLOAT)) THEN 'payload.metrics.' || metric || ' = ' || v_text || ' is not finite' WHEN kind = 'number' AND (v_num < min_value OR v_num > max_value) THEN 'payload.metrics.' || metric || ' = ' || v_text || ' is outside [' || CAST(min_value AS VARCHAR) || ', ' || CAST(max_value AS VARCHAR) || ']' WHEN kind = 'text' AND (NOT v_is_string OR POSITION('|' || v_text || '|' IN '|' || allowed_values || '|') = 0) THEN 'payload.metrics.' || metric || ' = ' || COALESCE(v_text, 'null') || ' is not one of ' || allowed_values END) AS reason, (1.0 - CASE WHEN kind = 'number' AND (v_num < soft_min OR v_num > soft_max) THEN 0.3 ELSE 0 END - CASE WHEN (TIMESTAMPDIFF('millisecond', ts, ingested_at) / 1000.0) > 300 THEN 0.2 ELSE 0 END) AS quality_score FROM n
    ),
    units AS (
      SELECT tenant_id, site_id, device_id, sensor_type, ts, seq, message_id, ingested_at, source, metric, CASE WHEN kind = 'number' THEN v_num END AS value, CASE WHEN kind = 'text' THEN v_text END AS value_text,
        reason, quality_score, CASE WHEN reason IS NOT NULL THEN OBJECT_CONSTRUCT('metric', metric, 'value', v) END AS raw
      FROM judged
    ),
    bare AS (
      SELECT r.tenant_id, r.site_id, r.device_id, r.sensor_type, r.ts, r.seq, r.message_id, r.ingested_at, r.source,
        CAST(NULL AS VARCHAR) AS metric, CAST(NULL AS DOUBLE) AS value, CAST(NULL AS VARCHAR) AS value_text,
        CASE WHEN r.sensor_type IS NULL OR POSITION('|' || r.sensor_type || '|' IN '|MACHINE|ENERGY|AIR_QUALITY|') = 0 THEN
          'sensor_type ' || COALESCE('''' || r.sensor_type || '''', 'null') || ' is not one of MACHINE|ENERGY|AIR_QUALITY'
        WHEN NOT COALESCE(IS_OBJECT(r.payload:"metrics"), FALSE) THEN 'payload.metrics is missing or not an object'
        ELSE 'payload.metrics has no known metric for sensor_type ' || r.sensor_type END AS reason,
        0.0 AS quality_score,
        r.payload AS raw
      FROM r
      -- A reading none of whose keys the rules know; decided from the keys alone, without a join.
      WHERE NOT (CASE r.sensor_type WHEN 'MACHINE' THEN COALESCE(IFF(IS_OBJECT(r.payload:"metrics"), ARRAYS_OVERLAP(OBJECT_KEYS(r.payload:"metrics"::OBJECT), ARRAY_CONSTRUCT('state', 'period_s', 'cycles', 'good_parts', 'ideal_cycle_s', 'cycle_count', 'spindle_load_pct', 'spindle_speed_rpm', 'temperature_c')), FALSE), FALSE) WHEN 'ENERGY' THEN COALESCE(IFF(IS_OBJECT(r.payload:"metrics"), ARRAYS_OVERLAP(OBJECT_KEYS(r.payload:"metrics"::OBJECT), ARRAY_CONSTRUCT('period_s', 'voltage_v', 'current_a', 'power_factor', 'power_kw', 'kwh', 'energy_kwh_total')), FALSE), FALSE) WHEN 'AIR_QUALITY' THEN COALESCE(IFF(IS_OBJECT(r.payload:"metrics"), ARRAYS_OVERLAP(OBJECT_KEYS(r.payload:"metrics"::OBJECT), ARRAY_CONSTRUCT('period_s', 'co2_ppm', 'voc_ppb', 'pm1_ugm3', 'pm25_ugm3', 'pm4_ugm3', 'pm10_ugm3', 'temperature_c', 'humidity_pct', 'pressure_hpa')), FALSE), FALSE) ELSE FALSE END)
    )
    SELECT * FROM units UNION ALL SELECT * FROM bare) u WHERE u.reason IS NULL) v
    -- A redelivery is the same reading, so it has the same ts: matching on ts as well bounds the look
    -- into silver to the batch's time range (silver is inserted in time order, so the rest is skipped)
    -- instead of a join that grows with the table.
    LEFT JOIN (SELECT tenant_id, device_id, seq, metric, ts FROM CORE.SENSOR_READINGS_NORMALIZED
               WHERE ts >= (SELECT MIN(ts) FROM RAW.SENSOR_READINGS_NORMALIZE_STREAM) AND ts <= (SELECT MAX(ts) FROM RAW.SENSOR_READINGS_NORMALIZE_STREAM)) n
      ON n.tenant_id = v.tenant_id AND n.device_id = v.device_id AND n.seq = v.seq AND n.metric = v.metric AND n.ts = v.ts) NORMALIZE_BATCH WHERE is_new = 1
    -- Inserted in time order: keeps silver clustered by time, so time-bounded refreshes skip old data.
    ORDER BY ts;
  COMMIT;
END;
$$;
