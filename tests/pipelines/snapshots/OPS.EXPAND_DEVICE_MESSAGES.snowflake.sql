-- OPS.EXPAND_DEVICE_MESSAGES 1/1 create; revert: DROP TASK IF EXISTS OPS.EXPAND_DEVICE_MESSAGES
CREATE OR REPLACE TASK OPS.EXPAND_DEVICE_MESSAGES
  WAREHOUSE = HUB_TRANSFORM_WH
  SCHEDULE = '1 MINUTE'
  COMMENT = 'Turn device messages landed by Firehose into readings; refuse malformed ones to quarantine.'
  WHEN SYSTEM$STREAM_HAS_DATA('RAW.DEVICE_MESSAGES_STREAM')
AS
EXECUTE IMMEDIATE $$
BEGIN
  BEGIN TRANSACTION;
    INSERT INTO RAW.QUARANTINE (tenant_id, source, received_at, reason, raw, device_id, metric)
    SELECT tenant_id, 'expand', SYSDATE(), reason, payload, device_id, NULL FROM (SELECT x.message:"tenant_id"::VARCHAR AS tenant_id, x.message:"site_id"::VARCHAR AS site_id, x.message:"device_id"::VARCHAR AS device_id,
      UPPER(x.message:"sensor_type"::VARCHAR) AS sensor_type, TRY_TO_TIMESTAMP_NTZ(REPLACE(r.VALUE:"ts"::VARCHAR, 'Z', '')) AS ts,
      CAST(IFF(IS_INTEGER(r.VALUE:"seq") OR IS_DECIMAL(r.VALUE:"seq") OR IS_DOUBLE(r.VALUE:"seq"), r.VALUE:"seq"::FLOAT, NULL) AS BIGINT) AS seq, x.message:"message_id"::VARCHAR AS message_id, r.VALUE AS payload,
      x.message:"topic"::VARCHAR AS channel, CASE WHEN x.message:"tenant_id"::VARCHAR IS NULL OR x.message:"device_id"::VARCHAR IS NULL OR x.message:"site_id"::VARCHAR IS NULL THEN 'tenant_id, site_id and device_id are required' WHEN x.message:"topic"::VARCHAR IS NOT NULL AND SPLIT_PART(x.message:"topic"::VARCHAR, '/', 3) <> x.message:"tenant_id"::VARCHAR THEN 'tenant_id ' || x.message:"tenant_id"::VARCHAR || ' does not match the topic ' || x.message:"topic"::VARCHAR WHEN r.VALUE:"ts"::VARCHAR IS NULL OR RIGHT(r.VALUE:"ts"::VARCHAR, 1) <> 'Z' OR TRY_TO_TIMESTAMP_NTZ(REPLACE(r.VALUE:"ts"::VARCHAR, 'Z', '')) IS NULL THEN 'readings[].ts = ' || COALESCE(r.VALUE:"ts"::VARCHAR, 'null') || ' is not a UTC ISO 8601 time' WHEN IFF(IS_INTEGER(r.VALUE:"seq") OR IS_DECIMAL(r.VALUE:"seq") OR IS_DOUBLE(r.VALUE:"seq"), r.VALUE:"seq"::FLOAT, NULL) IS NULL THEN 'readings[].seq is missing or not a number' END AS reason
    FROM RAW.DEVICE_MESSAGES_STREAM x, LATERAL FLATTEN(input => IFF(IS_ARRAY(x.message:"readings"), x.message:"readings", NULL)) r) e WHERE reason IS NOT NULL;
    INSERT INTO RAW.SENSOR_READINGS (tenant_id, site_id, device_id, sensor_type, ts, seq, message_id, payload, channel, channel_offset, ingested_at, source)
    SELECT tenant_id, site_id, device_id, sensor_type, ts, seq, message_id, payload, channel, NULL, SYSDATE(), 'iot' FROM (SELECT x.message:"tenant_id"::VARCHAR AS tenant_id, x.message:"site_id"::VARCHAR AS site_id, x.message:"device_id"::VARCHAR AS device_id,
      UPPER(x.message:"sensor_type"::VARCHAR) AS sensor_type, TRY_TO_TIMESTAMP_NTZ(REPLACE(r.VALUE:"ts"::VARCHAR, 'Z', '')) AS ts,
      CAST(IFF(IS_INTEGER(r.VALUE:"seq") OR IS_DECIMAL(r.VALUE:"seq") OR IS_DOUBLE(r.VALUE:"seq"), r.VALUE:"seq"::FLOAT, NULL) AS BIGINT) AS seq, x.message:"message_id"::VARCHAR AS message_id, r.VALUE AS payload,
      x.message:"topic"::VARCHAR AS channel, CASE WHEN x.message:"tenant_id"::VARCHAR IS NULL OR x.message:"device_id"::VARCHAR IS NULL OR x.message:"site_id"::VARCHAR IS NULL THEN 'tenant_id, site_id and device_id are required' WHEN x.message:"topic"::VARCHAR IS NOT NULL AND SPLIT_PART(x.message:"topic"::VARCHAR, '/', 3) <> x.message:"tenant_id"::VARCHAR THEN 'tenant_id ' || x.message:"tenant_id"::VARCHAR || ' does not match the topic ' || x.message:"topic"::VARCHAR WHEN r.VALUE:"ts"::VARCHAR IS NULL OR RIGHT(r.VALUE:"ts"::VARCHAR, 1) <> 'Z' OR TRY_TO_TIMESTAMP_NTZ(REPLACE(r.VALUE:"ts"::VARCHAR, 'Z', '')) IS NULL THEN 'readings[].ts = ' || COALESCE(r.VALUE:"ts"::VARCHAR, 'null') || ' is not a UTC ISO 8601 time' WHEN IFF(IS_INTEGER(r.VALUE:"seq") OR IS_DECIMAL(r.VALUE:"seq") OR IS_DOUBLE(r.VALUE:"seq"), r.VALUE:"seq"::FLOAT, NULL) IS NULL THEN 'readings[].seq is missing or not a number' END AS reason
    FROM RAW.DEVICE_MESSAGES_STREAM x, LATERAL FLATTEN(input => IFF(IS_ARRAY(x.message:"readings"), x.message:"readings", NULL)) r) e WHERE reason IS NULL;
  COMMIT;
END;
$$;
