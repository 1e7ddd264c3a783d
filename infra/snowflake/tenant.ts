/**
 * The Snowflake side of a tenant stack: the tenant's account role and key-pair service user,
 * least-privilege grants (its own warehouses, the analytics objects, nothing else), one warehouse
 * per workload class each capped by its own monitor, its TENANT_MAP row, and tags. Premium tenants
 * also get a schema of their own.
 */
import * as pulumi from "@pulumi/pulumi";
import * as snowflake from "@pulumi/snowflake";
import { REPORTING_ROLE, TENANT_GRANTS, TENANT_SCHEMAS, reportingGrantsOn } from "../../pipelines/definitions/grants.ts";
import { COST_CENTER_TAG, TENANT_MAP, TENANT_TAG, tenantRoleName } from "../../pipelines/definitions/governance.ts";
import { qualifiedName } from "../../pipelines/definitions/types.ts";
import { seedValue } from "../../pipelines/render/snowflakeDdl.ts";
import type { TenantWarehouseConfig, Tier } from "../config.ts";
import { MonitoredWarehouse } from "./monitoredWarehouse.ts";
import { PORTAL_SNOWFLAKE_USER, fqn, tenantMonitorName, tenantSchemaName, tenantServiceUserName, tenantWarehouseName } from "../naming.ts";

/** The tenant service user's default schema (its gold: the KPIs its dashboards read). */
export const TENANT_DEFAULT_SCHEMA = "ANALYTICS";

/** The tenant's TENANT_MAP row, and the statement that removes it. */
export function tenantMapRowSql(tenantId: string, piiAccess: boolean, database: string): { sql: string; revert: string } {
  const role = tenantRoleName(tenantId);
  const values: Record<string, string> = { role_name: seedValue(role), tenant_id: seedValue(tenantId), pii_access: seedValue(piiAccess), granted_at: "CURRENT_TIMESTAMP()" };
  const cols = TENANT_MAP.columns.map((c) => c.name);
  const missing = cols.filter((c) => !(c in values));
  if (missing.length) throw new Error(`TENANT_MAP has columns this stack does not fill: ${missing.join(", ")}`);
  // Fully qualified: a deploy session has no current database (pipelines/render/qualify.ts).
  const table = `${database}.${qualifiedName(TENANT_MAP)}`;
  return {
    sql: `INSERT INTO ${table} (${cols.join(", ")}) SELECT ${cols.map((c) => values[c]).join(", ")}`,
    revert: `DELETE FROM ${table} WHERE role_name = ${seedValue(role)} AND tenant_id = ${seedValue(tenantId)}`,
  };
}

export interface SnowflakeTenantArgs {
  /** Tenant id (TENANT_ID_PATTERN); required. */
  readonly tenantId: string;
  /** standard or premium; premium adds an own schema. Required. */
  readonly tier: Tier;
  /** Hub database (from the platform stack); required. */
  readonly database: pulumi.Input<string>;
  /** Database name as plain text, for identifiers; required. */
  readonly databaseName: string;
  /**
   * Each platform dynamic table's creation time (the platform stack's `dynamicTableVersions`): a
   * replaced dynamic table (a changed query) has lost its grants, and a changed time replaces this
   * stack's grant on it at its next update. Default none.
   */
  readonly dynamicTableVersions?: pulumi.Input<Record<string, string>>;
  /** Service user's RSA public key (secret); required. */
  readonly servicePublicKey: pulumi.Input<string>;
  /** Grant the tenant's role to the portal's Snowflake user (PORTAL_SNOWFLAKE_USER, the platform stack's); default false. */
  readonly portalAccess?: boolean;
  /** TENANT_MAP.pii_access for the tenant role; default false. */
  readonly piiAccess?: boolean;
  /** One warehouse and monitor per entry; at least one. */
  readonly warehouses: readonly TenantWarehouseConfig[];
  /** When the monitors start counting; required. */
  readonly monitorStartTimestamp: string;
  /** Users the monitors notify; default none. */
  readonly notifyUsers?: readonly string[];
  /** COST_CENTER tag value; required. */
  readonly costCenter: string;
}

export class SnowflakeTenant extends pulumi.ComponentResource {
  readonly roleName: pulumi.Output<string>;
  readonly serviceUserName: pulumi.Output<string>;
  readonly warehouseNames: pulumi.Output<Record<string, string>>;
  readonly schemaName: pulumi.Output<string | undefined>;

  constructor(name: string, args: SnowflakeTenantArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hub:snowflake:Tenant", name, {}, opts);
    if (args.warehouses.length === 0) throw new pulumi.ResourceError("`warehouses` needs at least one workload class", this);
    const roleNameText = tenantRoleName(args.tenantId); // throws on a bad `tenantId`
    const db = args.databaseName;
    const child = { parent: this };

    const role = new snowflake.AccountRole(`${name}-role`, { name: roleNameText, comment: `Tenant ${args.tenantId}: reads its own rows of the hub's analytics.` }, child);
    const whs: Record<string, MonitoredWarehouse> = {};
    for (const w of args.warehouses) {
      const monitorName = tenantMonitorName(args.tenantId, w.workloadClass);
      whs[w.workloadClass] = new MonitoredWarehouse(
        `${name}-${w.workloadClass}`,
        {
          warehouse: {
            kind: "warehouse",
            name: tenantWarehouseName(args.tenantId, w.workloadClass),
            comment: `Tenant ${args.tenantId}, ${w.workloadClass} workloads.`,
            size: w.size,
            autoSuspendSeconds: w.autoSuspendSeconds,
            autoResume: true,
            initiallySuspended: true,
            resourceMonitor: monitorName,
          },
          monitor: { kind: "resource_monitor", name: monitorName, creditQuota: w.creditQuota, frequency: w.frequency, notifyAt: w.notifyAt, suspendAt: w.suspendAt, suspendImmediateAt: w.suspendImmediateAt },
          startTimestamp: args.monitorStartTimestamp,
          ...(args.notifyUsers ? { notifyUsers: args.notifyUsers } : {}),
          database: db,
          tenantTag: args.tenantId,
          costCenter: args.costCenter,
        },
        child,
      );
    }
    const firstClass = args.warehouses[0]!.workloadClass;

    const user = new snowflake.ServiceUser(
      `${name}-service-user`,
      {
        name: tenantServiceUserName(args.tenantId),
        comment: `Tenant ${args.tenantId} service user (key-pair only).`,
        rsaPublicKey: args.servicePublicKey,
        defaultRole: role.name,
        defaultWarehouse: whs[firstClass]!.warehouseName,
        defaultNamespace: `${db}.${TENANT_DEFAULT_SCHEMA}`,
      },
      child,
    );
    new snowflake.GrantAccountRole(`${name}-role-to-user`, { roleName: role.name, userName: user.name }, child);
    // The operator portal reads this tenant's pages as this role (pipelines/portal/snowflakePortalData.ts):
    // with the role it gets exactly the tenant's grants and USAGE on its warehouses, nothing more.
    if (args.portalAccess) new snowflake.GrantAccountRole(`${name}-role-to-portal-user`, { roleName: role.name, userName: PORTAL_SNOWFLAKE_USER }, child);

    // Least privilege: usage on the database, the schemas and its own warehouses; SELECT on exactly
    // the objects the grant definition names (pipelines/definitions/grants.ts), whose rows the row
    // access policy filters. The embedded engine's secure catalog is built from the same list.
    const grant = (suffix: string, a: Omit<snowflake.GrantPrivilegesToAccountRoleArgs, "accountRoleName">, dependsOn: pulumi.Resource[] = [], trigger?: pulumi.Input<unknown>) =>
      new snowflake.GrantPrivilegesToAccountRole(`${name}-grant-${suffix}`, { accountRoleName: role.name, ...a }, { parent: this, dependsOn: [role, ...dependsOn], ...(trigger !== undefined ? { replacementTrigger: trigger } : {}) });
    grant("database", { privileges: ["USAGE"], onAccountObject: { objectType: "DATABASE", objectName: args.database } });
    for (const schema of TENANT_SCHEMAS) grant(`${schema.toLowerCase()}-schema`, { privileges: ["USAGE"], onSchema: { schemaName: fqn(db, schema) } });
    const versions = pulumi.output(args.dynamicTableVersions ?? {});
    for (const g of TENANT_GRANTS) {
      grant(
        `select-${g.name.toLowerCase().replaceAll(".", "-").replaceAll("_", "-")}`,
        { privileges: ["SELECT"], onSchemaObject: { objectType: g.objectType, objectName: fqn(db, ...g.name.split(".")) } },
        [],
        g.objectType === "DYNAMIC TABLE" ? versions.apply((v) => v[g.name] ?? "") : undefined,
      );
    }
    for (const [cls, wh] of Object.entries(whs)) {
      grant(`warehouse-${cls}`, { privileges: ["USAGE"], onAccountObject: { objectType: "WAREHOUSE", objectName: wh.warehouseName } }, [wh]);
    }

    // The platform's reporting role (HUB_REPORTING, created by the platform stack, which runs first)
    // sees this tenant's warehouses and monitors in SHOW WAREHOUSES / SHOW RESOURCE MONITORS, so the
    // cost report covers them: MONITOR on each (pipelines/definitions/grants.ts, reportingGrantsOn).
    for (const w of args.warehouses) {
      const wh = whs[w.workloadClass]!;
      for (const g of reportingGrantsOn(tenantWarehouseName(args.tenantId, w.workloadClass), tenantMonitorName(args.tenantId, w.workloadClass))) {
        const objectType = g.on.kind === "warehouse" ? "WAREHOUSE" : "RESOURCE MONITOR";
        const objectName = g.on.kind === "warehouse" ? wh.warehouseName : wh.monitorName;
        new snowflake.GrantPrivilegesToAccountRole(
          `${name}-reporting-${objectType === "WAREHOUSE" ? "warehouse" : "monitor"}-${w.workloadClass}`,
          { accountRoleName: REPORTING_ROLE, privileges: [...g.privileges], onAccountObject: { objectType, objectName } },
          { parent: this, dependsOn: [wh] },
        );
      }
    }

    let schemaName: pulumi.Output<string | undefined> = pulumi.output(undefined);
    if (args.tier === "premium") {
      const schema = new snowflake.Schema(`${name}-schema`, { database: args.database, name: tenantSchemaName(args.tenantId), comment: `Tenant ${args.tenantId}'s own objects.` }, child);
      grant("own-schema", { privileges: ["USAGE", "CREATE TABLE", "CREATE VIEW"], onSchema: { schemaName: fqn(db, tenantSchemaName(args.tenantId)) } }, [schema]);
      schemaName = schema.name;
    }

    const row = tenantMapRowSql(args.tenantId, args.piiAccess ?? false, db);
    new snowflake.Execute(`${name}-tenant-map-row`, { execute: row.sql, revert: row.revert }, { parent: this, dependsOn: [role] });

    for (const [suffix, objectType, ident, dep] of [
      ["role", "ROLE", fqn(roleNameText), role],
      ["user", "USER", fqn(tenantServiceUserName(args.tenantId)), user],
    ] as const) {
      for (const [tagSuffix, tag, value] of [
        ["tenant-tag", TENANT_TAG, args.tenantId],
        ["cost-center-tag", COST_CENTER_TAG, args.costCenter],
      ] as const) {
        new snowflake.TagAssociation(`${name}-${suffix}-${tagSuffix}`, { objectType, objectIdentifiers: [ident], tagId: fqn(db, tag.schema, tag.name), tagValue: value }, { parent: this, dependsOn: [dep] });
      }
    }

    this.roleName = role.name;
    this.serviceUserName = user.name;
    this.warehouseNames = pulumi.all(Object.fromEntries(Object.entries(whs).map(([k, v]) => [k, v.warehouseName]))) as pulumi.Output<Record<string, string>>;
    this.schemaName = schemaName;
    this.registerOutputs({ roleName: this.roleName, serviceUserName: this.serviceUserName, warehouseNames: this.warehouseNames, schemaName: this.schemaName });
  }
}
