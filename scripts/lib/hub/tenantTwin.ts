/**
 * Step 1 of the main job: read the tenant stacks (`Pulumi.<tenant>.yaml`) and set up each tenant's
 * part of the local twin as the Pulumi program would in Snowflake: one resource monitor and one
 * warehouse per workload class (same names, sizes, quotas and triggers), the tenant role, and its
 * TENANT_MAP row. Reading the same stack file as `pulumi up` keeps the two from drifting.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseStackConfig, type StackConfig } from "../../../infra/config.ts";
import { readStackConfig, tenantStackNames } from "../../../infra/stackFiles.ts";
import { tenantMonitorName, tenantWarehouseName } from "../../../infra/naming.ts";
import { throwawayPublicKey } from "../../../infra/costForecast.ts";
import type { EmbeddedEngine } from "../../../pipelines/engine/embeddedEngine.ts";
import { UserError } from "../command.ts";

export type TenantStack = Extract<StackConfig, { kind: "tenant" }>;

export interface TenantTwin {
  readonly tenantId: string;
  readonly config: TenantStack;
  /** The tenant's role in the twin (TENANT_<T>_ROLE). */
  readonly role: string;
  /** The tenant's own warehouses (one per workload class), each capped by its monitor. */
  readonly warehouses: ReadonlyArray<{ name: string; monitor: string; creditQuota: number; frequency: string }>;
  /** The stack file's raw `fleet:*` keys, for the simulator. */
  readonly stackFile: string;
}

let throwaway: string | undefined;
/** The twin needs no secret; one throwaway key (made once: RSA key generation is slow) stands in. */
const standInPublicKey = () => (throwaway ??= throwawayPublicKey());

// Here before it moved beside stackNames (load.ts checks --tenant with it, without the twin).
export { tenantStackNames } from "../../../infra/stackFiles.ts";

/** Parse a tenant's stack file; a clear error names the stack and what is wrong. */
export function readTenantStack(projectDir: string, tenant: string): TenantStack {
  const file = join(projectDir, `Pulumi.${tenant}.yaml`);
  if (!existsSync(file)) {
    throw new UserError(`no stack file ${file} for tenant ${JSON.stringify(tenant)} (tenant stacks here: ${tenantStackNames(projectDir).join(", ") || "none"})`);
  }
  const { raw } = readStackConfig(projectDir, tenant, { "hub:servicePublicKey": standInPublicKey() });
  let config: StackConfig;
  try {
    config = parseStackConfig(tenant, raw);
  } catch (e) {
    throw new UserError(`stack ${tenant} (${file}): ${(e as Error).message}`);
  }
  if (config.kind !== "tenant") throw new UserError(`stack ${tenant} is a ${config.kind} stack, not a tenant stack`);
  return config;
}

/** Create the tenant's monitors, warehouses, role and tenant-map row in the twin (idempotent). */
export async function setUpTenantTwin(engine: EmbeddedEngine, projectDir: string, tenant: string): Promise<TenantTwin> {
  const config = readTenantStack(projectDir, tenant);
  const warehouses: Array<TenantTwin["warehouses"][number]> = [];
  for (const w of config.warehouses) {
    const monitor = tenantMonitorName(config.tenantId, w.workloadClass);
    const name = tenantWarehouseName(config.tenantId, w.workloadClass);
    await engine.defineResourceMonitor({
      kind: "resource_monitor", name: monitor, creditQuota: w.creditQuota, frequency: w.frequency,
      notifyAt: w.notifyAt, suspendAt: w.suspendAt, suspendImmediateAt: w.suspendImmediateAt,
    });
    await engine.defineWarehouse({
      kind: "warehouse", name, comment: `${config.tenantId} ${w.workloadClass} workloads`, size: w.size,
      autoSuspendSeconds: w.autoSuspendSeconds, autoResume: true, initiallySuspended: true, resourceMonitor: monitor,
    });
    warehouses.push({ name, monitor, creditQuota: w.creditQuota, frequency: w.frequency });
  }
  const role = await engine.grantTenantRole(config.tenantId, { piiAccess: config.piiAccess });
  return { tenantId: config.tenantId, config, role, warehouses, stackFile: join(projectDir, `Pulumi.${tenant}.yaml`) };
}
