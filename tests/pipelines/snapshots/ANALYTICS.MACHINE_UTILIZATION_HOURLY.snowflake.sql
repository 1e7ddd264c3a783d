-- ANALYTICS.MACHINE_UTILIZATION_HOURLY 1/2 create; revert: DROP DYNAMIC TABLE IF EXISTS ANALYTICS.MACHINE_UTILIZATION_HOURLY
CREATE OR REPLACE DYNAMIC TABLE ANALYTICS.MACHINE_UTILIZATION_HOURLY
  TARGET_LAG = '5 minutes'
  WAREHOUSE = HUB_ANALYTICS_WH
  REFRESH_MODE = INCREMENTAL
  INITIALIZE = ON_CREATE
  COMMENT = 'Per machine and hour: state seconds, utilisation, cycles and OEE.'
AS
WITH r AS (
  SELECT src.tenant_id, src.site_id, src.device_id, src.seq, MIN(src.ts) AS ts,
    MAX(CASE WHEN src.metric = 'state' THEN src.value_text END) AS state, MAX(CASE WHEN src.metric = 'period_s' THEN src.value END) AS period_s, MAX(CASE WHEN src.metric = 'cycles' THEN src.value END) AS cycles,
    MAX(CASE WHEN src.metric = 'good_parts' THEN src.value END) AS good_parts, MAX(CASE WHEN src.metric = 'ideal_cycle_s' THEN src.value END) AS ideal_cycle_s, MAX(CASE WHEN src.metric = 'spindle_load_pct' THEN src.value END) AS spindle_load_pct
  FROM CORE.SENSOR_READINGS_NORMALIZED src
  WHERE src.sensor_type = 'MACHINE'
  GROUP BY src.tenant_id, src.site_id, src.device_id, src.seq
), h AS (
  SELECT tenant_id, site_id, device_id AS machine_id, DATE_TRUNC('hour', ts) AS hour,
    SUM(CASE WHEN state = 'RUNNING' THEN period_s ELSE 0 END) AS run_s,
    SUM(CASE WHEN state = 'IDLE' THEN period_s ELSE 0 END) AS idle_s,
    SUM(CASE WHEN state = 'SETUP' THEN period_s ELSE 0 END) AS setup_s,
    SUM(CASE WHEN state = 'DOWN' THEN period_s ELSE 0 END) AS down_s,
    SUM(CASE WHEN state IS NOT NULL THEN period_s ELSE 0 END) AS observed_s,
    -- Only a reading that completes a cycle carries the counts: an hour without one has 0.
    COALESCE(SUM(cycles), 0) AS cycles, COALESCE(SUM(good_parts), 0) AS good_parts, COALESCE(SUM(ideal_cycle_s * cycles), 0) AS ideal_run_s,
    -- Weighted by each reading's seconds, as the state seconds are: a 1 Hz reading weighs 1, an hourly
    -- history row (edge/fleetHistory.ts: one row per state, the state's mean load) its state's seconds.
    -- Counting readings let the live day's 86,400 readings outweigh four weeks of history 50 to 1 and
    -- averaged an hour's IDLE row with its RUNNING row as equals (docs/ml.md, issue 24).
    SUM(spindle_load_pct * period_s) AS spindle_load_sum, COALESCE(SUM(CASE WHEN spindle_load_pct IS NOT NULL THEN period_s END), 0) AS spindle_load_n, COUNT(*) AS readings
  FROM r GROUP BY tenant_id, site_id, device_id, DATE_TRUNC('hour', ts)
)
SELECT tenant_id,
  site_id,
  machine_id,
  hour,
  run_s,
  idle_s,
  setup_s,
  down_s,
  observed_s,
  run_s / NULLIF(observed_s, 0) AS utilization,
  cycles,
  good_parts,
  ideal_run_s,
  run_s / NULLIF(run_s + setup_s + down_s, 0) AS availability,
  ideal_run_s / NULLIF(run_s, 0) AS performance,
  good_parts / NULLIF(cycles, 0) AS quality,
  (run_s / NULLIF(run_s + setup_s + down_s, 0)) * (ideal_run_s / NULLIF(run_s, 0)) * (good_parts / NULLIF(cycles, 0)) AS oee,
  spindle_load_sum,
  spindle_load_n,
  spindle_load_sum / NULLIF(spindle_load_n, 0) AS avg_spindle_load_pct,
  readings
FROM h;

-- ANALYTICS.MACHINE_UTILIZATION_HOURLY 2/2 attach; revert: ALTER DYNAMIC TABLE ANALYTICS.MACHINE_UTILIZATION_HOURLY DROP ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION
ALTER DYNAMIC TABLE ANALYTICS.MACHINE_UTILIZATION_HOURLY ADD ROW ACCESS POLICY GOVERNANCE.TENANT_ISOLATION ON (tenant_id);
