/**
 * The platform's shared warehouses, each capped by its own resource monitor. Tenants' dedicated
 * warehouses are declared per stack (infra); these run the pipeline for everyone.
 */
import type { ResourceMonitorDef, WarehouseDef } from "./types.ts";

/**
 * A task every minute keeps an X-Small awake all month: 720 credits (scripts/cost-report.ts
 * --what-if --stack platform shows it). The quotas leave room for that and for backfills.
 */
export const TRANSFORM_MONITOR: ResourceMonitorDef = {
  kind: "resource_monitor",
  name: "HUB_TRANSFORM_MONITOR",
  creditQuota: 1000,
  frequency: "MONTHLY",
  notifyAt: [75, 90],
  suspendAt: 100,
  suspendImmediateAt: 110,
};

export const ANALYTICS_MONITOR: ResourceMonitorDef = {
  kind: "resource_monitor",
  name: "HUB_ANALYTICS_MONITOR",
  creditQuota: 1000,
  frequency: "MONTHLY",
  notifyAt: [75, 90],
  suspendAt: 100,
  suspendImmediateAt: 110,
};

/** Runs the task DAG (validate, normalise, score, alerts). */
export const TRANSFORM_WH: WarehouseDef = {
  kind: "warehouse",
  name: "HUB_TRANSFORM_WH",
  comment: "Task DAG: validate, normalise, score, alerts.",
  size: "XSMALL",
  autoSuspendSeconds: 60,
  autoResume: true,
  initiallySuspended: true,
  resourceMonitor: TRANSFORM_MONITOR.name,
};

/** Refreshes the dynamic tables. */
export const ANALYTICS_WH: WarehouseDef = {
  kind: "warehouse",
  name: "HUB_ANALYTICS_WH",
  comment: "Dynamic table refreshes (silver visits and gold KPIs).",
  size: "XSMALL",
  autoSuspendSeconds: 60,
  autoResume: true,
  initiallySuspended: true,
  resourceMonitor: ANALYTICS_MONITOR.name,
};

export const SHARED_WAREHOUSES: readonly WarehouseDef[] = [TRANSFORM_WH, ANALYTICS_WH];
export const SHARED_MONITORS: readonly ResourceMonitorDef[] = [TRANSFORM_MONITOR, ANALYTICS_MONITOR];
