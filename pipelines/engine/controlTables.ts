/**
 * The embedded engine's own bookkeeping, in schema HUB_LOCAL of the DuckDB file: the local twin
 * of what Snowflake keeps for warehouses, monitors, streams, dynamic tables and tasks. History
 * tables use the column names of Snowflake's INFORMATION_SCHEMA / ACCOUNT_USAGE views so the
 * same queries read either.
 */
export const CONTROL_SCHEMA = "HUB_LOCAL";

export const CONTROL_TABLES_DDL: readonly string[] = [
  `CREATE SCHEMA IF NOT EXISTS ${CONTROL_SCHEMA}`,
  `CREATE TABLE IF NOT EXISTS ${CONTROL_SCHEMA}.WAREHOUSES (
    name VARCHAR PRIMARY KEY, size VARCHAR NOT NULL, auto_suspend_s BIGINT NOT NULL, auto_resume BOOLEAN NOT NULL,
    state VARCHAR NOT NULL, resource_monitor VARCHAR, resumed_at TIMESTAMP, last_active_at TIMESTAMP)`,
  `CREATE TABLE IF NOT EXISTS ${CONTROL_SCHEMA}.RESOURCE_MONITORS (
    name VARCHAR PRIMARY KEY, credit_quota DOUBLE NOT NULL, frequency VARCHAR NOT NULL, notify_at VARCHAR,
    suspend_at DOUBLE, suspend_immediate_at DOUBLE)`,
  `CREATE TABLE IF NOT EXISTS ${CONTROL_SCHEMA}.STREAM_OFFSETS (
    stream_name VARCHAR PRIMARY KEY, table_name VARCHAR NOT NULL, offset_rowid BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS ${CONTROL_SCHEMA}.DYNAMIC_TABLES (
    name VARCHAR PRIMARY KEY, target_lag_s BIGINT, warehouse VARCHAR NOT NULL, refresh_mode VARCHAR NOT NULL,
    source_name VARCHAR, source_rowid BIGINT NOT NULL, data_timestamp TIMESTAMP, last_refresh_at TIMESTAMP)`,
  `CREATE TABLE IF NOT EXISTS ${CONTROL_SCHEMA}.TASKS (
    name VARCHAR PRIMARY KEY, warehouse VARCHAR NOT NULL, schedule VARCHAR, after VARCHAR, state VARCHAR NOT NULL,
    last_scheduled_at TIMESTAMP)`,
  // When each monitor began counting (its intervals are anchored there); set on first open.
  `ALTER TABLE ${CONTROL_SCHEMA}.RESOURCE_MONITORS ADD COLUMN IF NOT EXISTS started_at TIMESTAMP`,
  // The current interval and what it has used, as of the engine's last settle.
  `ALTER TABLE ${CONTROL_SCHEMA}.RESOURCE_MONITORS ADD COLUMN IF NOT EXISTS interval_start TIMESTAMP`,
  `ALTER TABLE ${CONTROL_SCHEMA}.RESOURCE_MONITORS ADD COLUMN IF NOT EXISTS interval_end TIMESTAMP`,
  `ALTER TABLE ${CONTROL_SCHEMA}.RESOURCE_MONITORS ADD COLUMN IF NOT EXISTS used_credits DOUBLE`,
  // The billing twin's meter, per warehouse and UTC hour (WAREHOUSE_METERING_HISTORY's grain).
  `CREATE TABLE IF NOT EXISTS ${CONTROL_SCHEMA}.WAREHOUSE_METERING (
    warehouse_name VARCHAR NOT NULL, start_time TIMESTAMP NOT NULL, credits_used_compute DOUBLE NOT NULL,
    credits_used_cloud_services DOUBLE NOT NULL, PRIMARY KEY (warehouse_name, start_time))`,
  // Every resource monitor trigger that fired, with the instant the threshold was reached.
  `CREATE TABLE IF NOT EXISTS ${CONTROL_SCHEMA}.RESOURCE_MONITOR_EVENTS (
    monitor_name VARCHAR NOT NULL, interval_start TIMESTAMP NOT NULL, threshold_pct DOUBLE NOT NULL, action VARCHAR NOT NULL,
    fired_at TIMESTAMP NOT NULL, used_credits DOUBLE, credit_quota DOUBLE, warehouses VARCHAR)`,
  // INFORMATION_SCHEMA.TASK_HISTORY columns.
  `CREATE TABLE IF NOT EXISTS ${CONTROL_SCHEMA}.TASK_HISTORY (
    run_id BIGINT, name VARCHAR, scheduled_time TIMESTAMP, query_start_time TIMESTAMP, completed_time TIMESTAMP,
    state VARCHAR, error_code VARCHAR, error_message VARCHAR, warehouse_name VARCHAR)`,
  // INFORMATION_SCHEMA.DYNAMIC_TABLE_REFRESH_HISTORY columns.
  `CREATE TABLE IF NOT EXISTS ${CONTROL_SCHEMA}.DYNAMIC_TABLE_REFRESH_HISTORY (
    name VARCHAR, refresh_start_time TIMESTAMP, refresh_end_time TIMESTAMP, state VARCHAR, refresh_action VARCHAR,
    refresh_trigger VARCHAR, source_rows BIGINT, rows_inserted BIGINT, rows_deleted BIGINT, warehouse_name VARCHAR,
    error_message VARCHAR)`,
  // ACCOUNT_USAGE.WAREHOUSE_EVENTS_HISTORY columns.
  `CREATE TABLE IF NOT EXISTS ${CONTROL_SCHEMA}.WAREHOUSE_EVENTS_HISTORY (
    "timestamp" TIMESTAMP, warehouse_name VARCHAR, event_name VARCHAR, event_reason VARCHAR, event_state VARCHAR)`,
  // ACCOUNT_USAGE.QUERY_HISTORY columns (the subset the engine knows).
  `CREATE TABLE IF NOT EXISTS ${CONTROL_SCHEMA}.QUERY_HISTORY (
    query_id VARCHAR, query_text VARCHAR, warehouse_name VARCHAR, role_name VARCHAR, query_tag VARCHAR,
    start_time TIMESTAMP, end_time TIMESTAMP, total_elapsed_time BIGINT, execution_status VARCHAR,
    error_code VARCHAR, error_message VARCHAR, rows_produced BIGINT)`,
];
