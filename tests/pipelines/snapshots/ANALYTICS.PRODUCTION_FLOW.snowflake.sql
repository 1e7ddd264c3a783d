-- ANALYTICS.PRODUCTION_FLOW 1/2 create; revert: DROP DYNAMIC TABLE IF EXISTS ANALYTICS.PRODUCTION_FLOW
CREATE OR REPLACE DYNAMIC TABLE ANALYTICS.PRODUCTION_FLOW
  TARGET_LAG = '5 minutes'
  WAREHOUSE = HUB_ANALYTICS_WH
  REFRESH_MODE = INCREMENTAL
  INITIALIZE = ON_CREATE
  COMMENT = 'Per job: ordered station path, cycle time, seconds per station, bottleneck station.'
AS
WITH v AS (WITH s AS (
  SELECT src.tenant_id, src.site_id, src.job_id, src.product_id, src.product_variant, src.station, src.scan_ts, src.operator_id,
    LAG(src.station) OVER (PARTITION BY src.tenant_id, src.job_id ORDER BY src.scan_ts) AS prev_station
  FROM RAW.JOB_SCANS src
  WHERE (CASE WHEN src.station IS NULL OR TRIM(src.station) = '' THEN 'station is empty' WHEN src.job_id IS NULL OR TRIM(src.job_id) = '' THEN 'job_id is empty' ELSE CASE WHEN (TIMESTAMPDIFF('millisecond', src.ingested_at, src.scan_ts) / 1000.0) > 300 THEN 'scan_ts ' || CAST(src.scan_ts AS VARCHAR) || ' is more than 300 s ahead of ingested_at ' || CAST(src.ingested_at AS VARCHAR) WHEN (TIMESTAMPDIFF('millisecond', src.scan_ts, src.ingested_at) / 1000.0) > 604800 THEN 'scan_ts ' || CAST(src.scan_ts AS VARCHAR) || ' is more than 604800 s older than ingested_at ' || CAST(src.ingested_at AS VARCHAR) END END) IS NULL
), runs AS (
  SELECT s.*, SUM(CASE WHEN s.prev_station = s.station THEN 0 ELSE 1 END)
    OVER (PARTITION BY s.tenant_id, s.job_id ORDER BY s.scan_ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS visit_no
  FROM s
), v AS (
  -- MIN, not ANY_VALUE: a visit is one station by construction and the scans of a job carry one site
  -- and product, so both give the same value; ANY_VALUE (non-deterministic) would keep Snowflake from
  -- refreshing the tables that read this incrementally.
  SELECT tenant_id, job_id, visit_no, MIN(site_id) AS site_id, MIN(product_id) AS product_id,
    MIN(product_variant) AS product_variant, MIN(station) AS station,
    MIN(scan_ts) AS enter_ts, MAX(scan_ts) AS last_scan_ts, COUNT(*) AS scans, MAX_BY(operator_id, scan_ts) AS operator_id
  FROM runs GROUP BY tenant_id, job_id, visit_no
)
SELECT tenant_id, site_id, job_id, product_id, product_variant, station, visit_no, enter_ts,
  COALESCE(CASE WHEN scans > 1 THEN last_scan_ts END,
    LEAD(enter_ts) OVER (PARTITION BY tenant_id, job_id ORDER BY visit_no)) AS leave_ts,
  (TIMESTAMPDIFF('millisecond', enter_ts, COALESCE(CASE WHEN scans > 1 THEN last_scan_ts END, LEAD(enter_ts) OVER (PARTITION BY tenant_id, job_id ORDER BY visit_no))) / 1000.0) AS duration_s,
  scans, operator_id
FROM v),
per_station AS (
  SELECT tenant_id, job_id, station, SUM(duration_s) AS station_s,
    -- Ties go to the station name that sorts first, so every refresh picks the same one.
    ROW_NUMBER() OVER (PARTITION BY tenant_id, job_id ORDER BY SUM(duration_s) DESC, station) AS station_rank
  FROM v WHERE duration_s IS NOT NULL GROUP BY tenant_id, job_id, station
), b AS (
  SELECT tenant_id, job_id, OBJECT_AGG(station, station_s::VARIANT) AS station_seconds,
    MAX(CASE WHEN station_rank = 1 THEN station END) AS bottleneck_station, MAX(station_s) AS bottleneck_s
  FROM per_station GROUP BY tenant_id, job_id
), j AS (
  -- MIN, not ANY_VALUE: the scans of a job carry one site and product, so both give the same value, and
  -- ANY_VALUE (non-deterministic) would keep Snowflake from refreshing the table incrementally.
  SELECT tenant_id, job_id, MIN(site_id) AS site_id, MIN(product_id) AS product_id,
    MIN(product_variant) AS product_variant, LISTAGG(station, ' > ') WITHIN GROUP (ORDER BY visit_no) AS flow_path,
    MIN(enter_ts) AS start_ts, MAX(COALESCE(leave_ts, enter_ts)) AS end_ts, COUNT(*) AS visits
  FROM v GROUP BY tenant_id, job_id
)
SELECT j.tenant_id, j.site_id, j.job_id, j.product_id, j.product_variant, j.flow_path, j.start_ts, j.end_ts,
  (TIMESTAMPDIFF('millisecond', j.start_ts, j.end_ts) / 1000.0) AS cycle_time_s, b.station_seconds, b.bottleneck_station, b.bottleneck_s, j.visits
FROM j LEFT JOIN b ON b.tenant_id = j.tenant_id AND b.job_id = j.job_id;

-- ANALYTICS.PRODUCTION_FLOW 2/2 attach; revert: ALTER DYNAMIC TABLE ANALYTICS.PRODUCTION_FLOW DROP ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION
ALTER DYNAMIC TABLE ANALYTICS.PRODUCTION_FLOW ADD ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION ON (tenant_id);
