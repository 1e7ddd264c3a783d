-- OPS.VALIDATE_READINGS 1/1 create; revert: DROP TASK IF EXISTS OPS.VALIDATE_READINGS
CREATE OR REPLACE TASK OPS.VALIDATE_READINGS
  WAREHOUSE = HUB_TRANSFORM_WH
  SCHEDULE = '1 MINUTE'
  WHEN SYSTEM$STREAM_HAS_DATA('RAW.SENSOR_READINGS_STREAM') OR SYSTEM$STREAM_HAS_DATA('RAW.JOB_SCANS_STREAM')
  COMMENT = 'Judge new readings and scans: good metrics to staging, bad ones to quarantine with the reason.'
AS
EXECUTE IMMEDIATE $$
BEGIN
  BEGIN TRANSACTION;
    INSERT INTO CORE.READINGS_VALIDATED (tenant_id, site_id, device_id, sensor_type, ts, seq, message_id, ingested_at, source, metric, value, value_text, reason, quality_score, raw)
    WITH r AS (SELECT * FROM RAW.SENSOR_READINGS_STREAM),
    units AS (
      SELECT r.tenant_id, r.site_id, r.device_id, r.sensor_type, r.ts, r.seq, r.message_id, r.ingested_at, r.source, m.metric,
        CASE WHEN m.kind = 'number' THEN TRY_TO_DOUBLE(f.VALUE::VARCHAR) END AS value,
        CASE WHEN m.kind = 'text' THEN f.VALUE::VARCHAR END AS value_text,
        COALESCE(CASE WHEN (TIMESTAMPDIFF('millisecond', r.ingested_at, r.ts) / 1000.0) > 300 THEN 'ts ' || CAST(r.ts AS VARCHAR) || ' is more than 300 s ahead of ingested_at ' || CAST(r.ingested_at AS VARCHAR) WHEN (TIMESTAMPDIFF('millisecond', r.ts, r.ingested_at) / 1000.0) > 604800 THEN 'ts ' || CAST(r.ts AS VARCHAR) || ' is more than 604800 s older than ingested_at ' || CAST(r.ingested_at AS VARCHAR) END, CASE WHEN m.kind = 'number' AND NOT (IS_INTEGER(f.VALUE) OR IS_DECIMAL(f.VALUE) OR IS_DOUBLE(f.VALUE)) THEN 'payload.metrics.' || m.metric || ' = ' || COALESCE(f.VALUE::VARCHAR, 'null') || ' is not a number' WHEN m.kind = 'number' AND NOT (TRY_TO_DOUBLE(f.VALUE::VARCHAR) NOT IN ('NaN'::FLOAT, 'inf'::FLOAT, '-inf'::FLOAT)) THEN 'payload.metrics.' || m.metric || ' = ' || f.VALUE::VARCHAR || ' is not finite' WHEN m.kind = 'number' AND (TRY_TO_DOUBLE(f.VALUE::VARCHAR) < m.min_value OR TRY_TO_DOUBLE(f.VALUE::VARCHAR) > m.max_value) THEN 'payload.metrics.' || m.metric || ' = ' || f.VALUE::VARCHAR || ' is outside [' || CAST(m.min_value AS VARCHAR) || ', ' || CAST(m.max_value AS VARCHAR) || ']' WHEN m.kind = 'text' AND (NOT IS_VARCHAR(f.VALUE) OR POSITION('|' || f.VALUE::VARCHAR || '|' IN '|' || m.allowed_values || '|') = 0) THEN 'payload.metrics.' || m.metric || ' = ' || COALESCE(f.VALUE::VARCHAR, 'null') || ' is not one of ' || m.allowed_values END) AS reason,
        (1.0 - CASE WHEN m.kind = 'number' AND (TRY_TO_DOUBLE(f.VALUE::VARCHAR) < m.soft_min OR TRY_TO_DOUBLE(f.VALUE::VARCHAR) > m.soft_max) THEN 0.3 ELSE 0 END - CASE WHEN (TIMESTAMPDIFF('millisecond', r.ts, r.ingested_at) / 1000.0) > 300 THEN 0.2 ELSE 0 END) AS quality_score,
        OBJECT_CONSTRUCT('metric', m.metric, 'value', f.VALUE) AS raw
      FROM r, LATERAL FLATTEN(input => r.payload:"metrics") f, CORE.METRIC_RULES m
      WHERE m.sensor_type = r.sensor_type AND m.metric = f.KEY
    ),
    bare AS (
      SELECT r.tenant_id, r.site_id, r.device_id, r.sensor_type, r.ts, r.seq, r.message_id, r.ingested_at, r.source, CAST(NULL AS VARCHAR) AS metric, CAST(NULL AS DOUBLE) AS value, CAST(NULL AS VARCHAR) AS value_text,
        CASE WHEN r.sensor_type IS NULL OR POSITION('|' || r.sensor_type || '|' IN '|MACHINE|ENERGY|AIR_QUALITY|') = 0 THEN
          'sensor_type ' || COALESCE('''' || r.sensor_type || '''', 'null') || ' is not one of MACHINE|ENERGY|AIR_QUALITY'
        WHEN NOT COALESCE(IS_OBJECT(r.payload:"metrics"), FALSE) THEN 'payload.metrics is missing or not an object'
        ELSE 'payload.metrics has no known metric for sensor_type ' || r.sensor_type END AS reason,
        0.0 AS quality_score,
        r.payload AS raw
      FROM r
      WHERE NOT EXISTS (SELECT 1 FROM units u WHERE u.tenant_id = r.tenant_id AND u.device_id = r.device_id
        AND u.seq = r.seq AND u.ts = r.ts AND COALESCE(u.message_id, '') = COALESCE(r.message_id, ''))
    )
    SELECT * FROM units UNION ALL SELECT * FROM bare;
    INSERT INTO RAW.QUARANTINE (tenant_id, source, received_at, reason, raw, device_id, metric)
    SELECT tenant_id, 'validate', SYSDATE(), reason, raw, device_id, metric FROM CORE.READINGS_VALIDATED WHERE reason IS NOT NULL;
    INSERT INTO OPS.DATA_QUALITY_LOG (run_at, step, tenant_id, units_in, quarantined, normalized, duplicates)
    SELECT SYSDATE(), 'validate', tenant_id, COUNT(*), COUNT(*), 0, 0 FROM CORE.READINGS_VALIDATED WHERE reason IS NOT NULL GROUP BY tenant_id;
    DELETE FROM CORE.READINGS_VALIDATED WHERE reason IS NOT NULL;
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
