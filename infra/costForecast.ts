/**
 * The inputs of the cost what-if for a stack: its warehouses and monitors from the stack config,
 * and the workloads that run on them — the pipeline's task schedules and dynamic-table lags from
 * the definitions (platform warehouses), and a typical load per workload class (tenant warehouses).
 */
import { generateKeyPairSync } from "node:crypto";
import { readStackConfig } from "./stackFiles.ts";
import { tenantMonitorName, tenantWarehouseName } from "./naming.ts";
import { parseStackConfig, type StackConfig } from "./config.ts";
import { DYNAMIC_TABLES, TASKS } from "../pipelines/definitions/catalog.ts";
import { SHARED_MONITORS, SHARED_WAREHOUSES } from "../pipelines/definitions/warehouses.ts";
import { qualifiedName } from "../pipelines/definitions/types.ts";
import { targetLagSeconds } from "../pipelines/render/duckdbDdl.ts";
import { scheduleIntervalMs } from "../pipelines/engine/taskRunner.ts";
import { monitorTriggers } from "../pipelines/engine/resourceMonitors.ts";
import type { WhatIfWarehouse, Workload } from "../pipelines/cost/whatIf.ts";

/** Seconds a run keeps its warehouse busy when the twin has no history to say otherwise. */
export const DEFAULT_RUN_SECONDS = { task: 2, refresh: 2 } as const;

/** What a tenant's warehouse of each workload class typically runs (documented assumptions). */
export const CLASS_WORKLOADS: Readonly<Record<string, Workload>> = {
  bi: { name: "BI dashboards refreshing", everySeconds: 300, runSeconds: 5 },
  ml: { name: "model retraining", everySeconds: 86_400, runSeconds: 1_800 },
  adhoc: { name: "analyst queries", everySeconds: 3_600, runSeconds: 60 },
};

/** Measured seconds per run by job (`task:OPS.X`, `refresh:ANALYTICS.Y`), where known. */
export type RunSeconds = ReadonlyMap<string, number>;

/** The shared pipeline warehouses with the task graph and dynamic tables that run on them. */
export function platformWarehouses(measured: RunSeconds = new Map()): WhatIfWarehouse[] {
  return SHARED_WAREHOUSES.map((w) => {
    const workloads: Workload[] = [];
    for (const root of TASKS.filter((t) => t.schedule && t.warehouse === w.name)) {
      // A graph run keeps the warehouse busy for its tasks one after the other.
      const run = TASKS.filter((t) => t.warehouse === w.name).reduce((s, t) => s + (measured.get(`task:${qualifiedName(t)}`) ?? DEFAULT_RUN_SECONDS.task), 0);
      workloads.push({ name: `task graph ${qualifiedName(root)}`, everySeconds: scheduleIntervalMs(root.schedule!) / 1000, runSeconds: run });
    }
    for (const t of DYNAMIC_TABLES.filter((x) => x.warehouse === w.name)) {
      const lag = targetLagSeconds(t.targetLag);
      // The declared refresh mode is the one Snowflake runs (never AUTO), and the twin runs the same,
      // so a measured run time is an incremental or a full one as it will be there.
      if (lag) {
        workloads.push({
          name: `refresh ${qualifiedName(t)}`, everySeconds: lag, runSeconds: measured.get(`refresh:${qualifiedName(t)}`) ?? DEFAULT_RUN_SECONDS.refresh,
          refreshMode: t.refreshMode.mode,
        });
      }
    }
    const m = SHARED_MONITORS.find((x) => x.name === w.resourceMonitor);
    return {
      name: w.name, size: w.size, autoSuspendSeconds: w.autoSuspendSeconds, workloads,
      monitor: m && { name: m.name, creditQuota: m.creditQuota, frequency: m.frequency, triggers: monitorTriggers(m.notifyAt, m.suspendAt, m.suspendImmediateAt) },
    };
  });
}

export function tenantWarehouses(config: Extract<StackConfig, { kind: "tenant" }>): WhatIfWarehouse[] {
  return config.warehouses.map((w) => ({
    name: tenantWarehouseName(config.tenantId, w.workloadClass),
    size: w.size,
    autoSuspendSeconds: w.autoSuspendSeconds,
    workloads: [CLASS_WORKLOADS[w.workloadClass] ?? CLASS_WORKLOADS.adhoc!],
    monitor: { name: tenantMonitorName(config.tenantId, w.workloadClass), creditQuota: w.creditQuota, frequency: w.frequency, triggers: monitorTriggers(w.notifyAt, w.suspendAt, w.suspendImmediateAt) },
  }));
}

/** A stand-in for a service user's public key where a stack file lacks it and no secret is needed. */
export function throwawayPublicKey(): string {
  const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return publicKey.export({ type: "spki", format: "pem" }).toString().replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
}

/** Every warehouse a stack's deploy would run, with its workloads. */
export function stackWhatIfInputs(projectDir: string, stack: string, measured?: RunSeconds): WhatIfWarehouse[] {
  // The forecast needs no secret: a throwaway key stands in for the service user's when the stack
  // file lacks it (it is set with `pulumi config set --secret` before `pulumi up`).
  const { raw } = readStackConfig(projectDir, stack, { "hub:servicePublicKey": throwawayPublicKey() });
  const config = parseStackConfig(stack, raw);
  return config.kind === "platform" ? platformWarehouses(measured) : tenantWarehouses(config);
}
