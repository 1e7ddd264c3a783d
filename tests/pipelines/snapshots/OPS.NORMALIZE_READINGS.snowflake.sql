-- OPS.NORMALIZE_READINGS 1/1 create; revert: DROP TASK IF EXISTS OPS.NORMALIZE_READINGS
CREATE OR REPLACE TASK OPS.NORMALIZE_READINGS
  WAREHOUSE = HUB_TRANSFORM_WH
  COMMENT = 'Move staged metrics to silver, dropping duplicates of (tenant, device, seq, metric) and counting them.'
  AFTER OPS.VALIDATE_READINGS
AS
EXECUTE IMMEDIATE $$
BEGIN
  BEGIN TRANSACTION;
    INSERT INTO OPS.DATA_QUALITY_LOG (run_at, step, tenant_id, units_in, quarantined, normalized, duplicates)
    SELECT SYSDATE(), 'normalize', tenant_id, COUNT(*), 0, SUM(is_new), COUNT(*) - SUM(is_new) FROM (SELECT v.tenant_id, v.site_id, v.device_id, v.sensor_type, v.ts, v.seq, v.metric, v.value, v.value_text,
      v.quality_score, v.ingested_at, v.source, CASE WHEN v.rn = 1 AND n.seq IS NULL THEN 1 ELSE 0 END AS is_new
    FROM (SELECT s.tenant_id, s.site_id, s.device_id, s.sensor_type, s.ts, s.seq, s.metric, s.value, s.value_text, s.quality_score,
            s.ingested_at, s.source,
            ROW_NUMBER() OVER (PARTITION BY s.tenant_id, s.device_id, s.seq, s.metric ORDER BY s.ingested_at, s.ts) AS rn
          FROM CORE.READINGS_VALIDATED s WHERE s.reason IS NULL) v
    -- A redelivery is the same reading, so it has the same ts: matching on ts as well bounds the look
    -- into silver to the batch's time range (silver is inserted in time order, so the rest is skipped)
    -- instead of a join that grows with the table.
    LEFT JOIN (SELECT tenant_id, device_id, seq, metric, ts FROM CORE.SENSOR_READINGS_NORMALIZED
               WHERE ts >= (SELECT MIN(ts) FROM CORE.READINGS_VALIDATED) AND ts <= (SELECT MAX(ts) FROM CORE.READINGS_VALIDATED)) n
      ON n.tenant_id = v.tenant_id AND n.device_id = v.device_id AND n.seq = v.seq AND n.metric = v.metric AND n.ts = v.ts) x GROUP BY tenant_id;
    INSERT INTO CORE.SENSOR_READINGS_NORMALIZED (tenant_id, site_id, device_id, sensor_type, ts, seq, metric, value, value_text, quality_score, ingested_at, source)
    SELECT tenant_id, site_id, device_id, sensor_type, ts, seq, metric, value, value_text, quality_score, ingested_at, source
    FROM (SELECT v.tenant_id, v.site_id, v.device_id, v.sensor_type, v.ts, v.seq, v.metric, v.value, v.value_text,
      v.quality_score, v.ingested_at, v.source, CASE WHEN v.rn = 1 AND n.seq IS NULL THEN 1 ELSE 0 END AS is_new
    FROM (SELECT s.tenant_id, s.site_id, s.device_id, s.sensor_type, s.ts, s.seq, s.metric, s.value, s.value_text, s.quality_score,
            s.ingested_at, s.source,
            ROW_NUMBER() OVER (PARTITION BY s.tenant_id, s.device_id, s.seq, s.metric ORDER BY s.ingested_at, s.ts) AS rn
          FROM CORE.READINGS_VALIDATED s WHERE s.reason IS NULL) v
    -- A redelivery is the same reading, so it has the same ts: matching on ts as well bounds the look
    -- into silver to the batch's time range (silver is inserted in time order, so the rest is skipped)
    -- instead of a join that grows with the table.
    LEFT JOIN (SELECT tenant_id, device_id, seq, metric, ts FROM CORE.SENSOR_READINGS_NORMALIZED
               WHERE ts >= (SELECT MIN(ts) FROM CORE.READINGS_VALIDATED) AND ts <= (SELECT MAX(ts) FROM CORE.READINGS_VALIDATED)) n
      ON n.tenant_id = v.tenant_id AND n.device_id = v.device_id AND n.seq = v.seq AND n.metric = v.metric AND n.ts = v.ts) x WHERE is_new = 1
    -- Inserted in time order: keeps silver clustered by time, so time-bounded refreshes skip old data.
    ORDER BY ts;
    DELETE FROM CORE.READINGS_VALIDATED;
  COMMIT;
END;
$$;
