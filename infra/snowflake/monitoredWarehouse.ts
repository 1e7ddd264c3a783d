/**
 * A Snowflake warehouse capped by its own resource monitor, tagged with tenant and cost centre.
 * A monitor attaches to warehouses (or the account), never to a tag or a user, so a hard quota needs
 * a warehouse of its own (ARCHITECTURE.md, "Tenancy").
 */
import * as pulumi from "@pulumi/pulumi";
import * as snowflake from "@pulumi/snowflake";
import { COST_CENTER_TAG, TENANT_TAG } from "../../pipelines/definitions/governance.ts";
import type { ResourceMonitorDef, WarehouseDef } from "../../pipelines/definitions/types.ts";
import { fqn } from "../naming.ts";

export interface MonitoredWarehouseArgs {
  /** The warehouse definition (name, size, auto-suspend); its `resourceMonitor` must name `monitor`. */
  readonly warehouse: WarehouseDef;
  /** The monitor definition: quota, frequency, NOTIFY / SUSPEND / SUSPEND_IMMEDIATE percentages. */
  readonly monitor: ResourceMonitorDef;
  /** When the monitor starts counting (`YYYY-MM-DD HH:MI`); empty: when it is created. */
  readonly startTimestamp: string;
  /** Users notified by the monitor; default none (account admins get notices anyway). */
  readonly notifyUsers?: readonly string[];
  /** Database holding the GOVERNANCE tags. */
  readonly database: string;
  /** Value of the TENANT tag (`shared` on platform warehouses). */
  readonly tenantTag: string;
  /** Value of the COST_CENTER tag. */
  readonly costCenter: string;
  /** Resources the tag associations wait for (the tags themselves; in a tenant stack, none). */
  readonly tagDependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * A monitor with a frequency needs a start (pkg/resources/resource_monitor.go: RequiredWith), and
 * the provider sends START_TIMESTAMP single-quoted (pkg/sdk/resource_monitors.go), so the keyword
 * IMMEDIATELY cannot be passed. A date without a time starts the monitor at the current time
 * (https://docs.snowflake.com/en/sql-reference/sql/create-resource-monitor, START_TIMESTAMP): the
 * creating deploy's UTC date, kept by later deploys (ignoreChanges), starts it when it is created.
 */
export function startsWhenCreated(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

export class MonitoredWarehouse extends pulumi.ComponentResource {
  readonly warehouseName: pulumi.Output<string>;
  readonly monitorName: pulumi.Output<string>;

  constructor(name: string, args: MonitoredWarehouseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hub:snowflake:MonitoredWarehouse", name, {}, opts);
    const { warehouse: w, monitor: m } = args;
    if (w.resourceMonitor !== m.name) {
      throw new pulumi.ResourceError(`\`warehouse.resourceMonitor\` (${w.resourceMonitor}) must name \`monitor\` (${m.name})`, this);
    }
    if (!(m.notifyAt.every((p) => p < m.suspendAt) && m.suspendAt < m.suspendImmediateAt)) {
      throw new pulumi.ResourceError("`monitor.notifyAt` < `monitor.suspendAt` < `monitor.suspendImmediateAt` must hold", this);
    }

    const monitor = new snowflake.ResourceMonitor(
      `${name}-monitor`,
      {
        name: m.name,
        creditQuota: m.creditQuota,
        frequency: m.frequency,
        startTimestamp: args.startTimestamp || startsWhenCreated(),
        notifyTriggers: [...m.notifyAt],
        suspendTrigger: m.suspendAt,
        suspendImmediateTrigger: m.suspendImmediateAt,
        ...(args.notifyUsers?.length ? { notifyUsers: [...args.notifyUsers] } : {}),
      },
      { parent: this, ...(args.startTimestamp ? {} : { ignoreChanges: ["startTimestamp"] }) },
    );
    const warehouse = new snowflake.Warehouse(
      `${name}-warehouse`,
      {
        name: w.name,
        comment: w.comment,
        warehouseSize: w.size,
        autoSuspend: w.autoSuspendSeconds,
        autoResume: w.autoResume ? "true" : "false",
        initiallySuspended: w.initiallySuspended,
        resourceMonitor: monitor.name,
      },
      { parent: this, dependsOn: [monitor] },
    );
    for (const [suffix, tag, value] of [
      ["tenant-tag", TENANT_TAG, args.tenantTag],
      ["cost-center-tag", COST_CENTER_TAG, args.costCenter],
    ] as const) {
      new snowflake.TagAssociation(
        `${name}-${suffix}`,
        {
          objectType: "WAREHOUSE",
          objectIdentifiers: [fqn(w.name)],
          tagId: fqn(args.database, tag.schema, tag.name),
          tagValue: value,
        },
        { parent: this, dependsOn: [warehouse, ...(args.tagDependsOn ?? [])] },
      );
    }
    this.warehouseName = warehouse.name;
    this.monitorName = monitor.name;
    this.registerOutputs({ warehouseName: this.warehouseName, monitorName: this.monitorName });
  }
}
