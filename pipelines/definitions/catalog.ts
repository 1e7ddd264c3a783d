/**
 * Every warehouse object the hub defines, in dependency order: what `scripts/objects.ts` prints,
 * what the Pulumi program provisions and what the embedded engine deploys.
 */
import {
  DEVICE_MESSAGES,
  DEVICE_MESSAGES_STREAM,
  JOB_SCANS,
  JOB_SCANS_STREAM,
  QUARANTINE,
  SENSOR_READINGS,
  SENSOR_READINGS_STREAM,
} from "./raw.ts";
import { COST_CENTER_TAG, PII_MASK, TENANT_ISOLATION, TENANT_MAP, TENANT_TAG } from "./governance.ts";
import {
  DATA_QUALITY_LOG,
  JOB_STATION_VISITS,
  METRIC_RULES_TABLE,
  SENSOR_READINGS_NORMALIZED,
  SENSOR_READINGS_NORMALIZED_STREAM,
} from "./silver.ts";
import { ALERT_ACKNOWLEDGEMENTS, ALERT_DELIVERIES, ALERT_NOTIFICATIONS, ALERT_RULES, RULE_BREACHES, RULE_BREACHES_STREAM } from "./alerting.ts";
import { AIR_QUALITY_CURRENT, ALERTS, ENERGY_HOURLY, MACHINE_UTILIZATION_HOURLY, PRODUCTION_FLOW } from "./gold.ts";
import { TASK_DAG } from "./tasks.ts";
import { ML_STREAMS, ML_TABLES } from "./ml.ts";
import { SHARED_MONITORS, SHARED_WAREHOUSES } from "./warehouses.ts";
import { ARCHIVE_RUNS, ARCHIVE_WATERMARKS } from "./archive.ts";
import { ANALYSE_NOTE, ANALYSE_NOTES, NOTE_STREAMS, NOTE_TABLES } from "./notes.ts";
import { TENANT_COSTS } from "./tenantCosts.ts";
import {
  qualifiedName,
  type DynamicTableDef,
  type ExternalFunctionDef,
  type ObjectDef,
  type SchemaObjectDef,
  type StreamDef,
  type TableDef,
  type TaskDef,
} from "./types.ts";

export const TABLES: readonly TableDef[] = [
  TENANT_MAP,
  DEVICE_MESSAGES,
  SENSOR_READINGS,
  JOB_SCANS,
  QUARANTINE,
  METRIC_RULES_TABLE,
  SENSOR_READINGS_NORMALIZED,
  RULE_BREACHES,
  ALERT_RULES,
  DATA_QUALITY_LOG,
  ALERT_NOTIFICATIONS,
  ALERT_ACKNOWLEDGEMENTS,
  ALERT_DELIVERIES,
  ...ML_TABLES,
  ARCHIVE_WATERMARKS, ARCHIVE_RUNS,
  ...NOTE_TABLES,
  TENANT_COSTS,
];

export const STREAMS: readonly StreamDef[] = [
  DEVICE_MESSAGES_STREAM,
  SENSOR_READINGS_STREAM,
  JOB_SCANS_STREAM,
  SENSOR_READINGS_NORMALIZED_STREAM,
  RULE_BREACHES_STREAM,
  ...ML_STREAMS,
  ...NOTE_STREAMS,
];

/** In refresh order: a dynamic table comes after everything it reads. */
export const DYNAMIC_TABLES: readonly DynamicTableDef[] = [
  JOB_STATION_VISITS,
  MACHINE_UTILIZATION_HOURLY,
  ENERGY_HOURLY,
  AIR_QUALITY_CURRENT,
  PRODUCTION_FLOW,
  ALERTS,
];

export const TASKS: readonly TaskDef[] = [...TASK_DAG, ANALYSE_NOTES];

/**
 * External functions the tasks call: created by the Pulumi program beside their API integration
 * (not in SCHEMA_OBJECTS), resolved to a TypeScript backend on the twin.
 */
export const EXTERNAL_FUNCTIONS: readonly ExternalFunctionDef[] = [ANALYSE_NOTE];

export const POLICIES = [TENANT_ISOLATION, PII_MASK] as const;
export const TAGS = [TENANT_TAG, COST_CENTER_TAG] as const;

/** Schema-level objects in creation order. */
export const SCHEMA_OBJECTS: readonly SchemaObjectDef[] = [
  TENANT_MAP,
  ...POLICIES,
  ...TAGS,
  ...TABLES.filter((t) => t !== TENANT_MAP),
  ...STREAMS,
  ...DYNAMIC_TABLES,
  ...TASKS,
];

/** Everything, account-level objects first. */
export const ALL_OBJECTS: readonly ObjectDef[] = [...SHARED_MONITORS, ...SHARED_WAREHOUSES, ...SCHEMA_OBJECTS];

export function objectName(o: ObjectDef): string {
  return o.kind === "warehouse" || o.kind === "resource_monitor" ? o.name : qualifiedName(o);
}

export function findObject(name: string): ObjectDef | undefined {
  const wanted = name.toUpperCase();
  return ALL_OBJECTS.find((o) => objectName(o).toUpperCase() === wanted || o.name.toUpperCase() === wanted);
}
