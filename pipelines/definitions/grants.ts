/**
 * What a tenant role may read, defined once. The Pulumi program renders it as Snowflake grants
 * (USAGE on each schema named here, SELECT on each object: infra/snowflake/tenant.ts); the
 * embedded engine renders it as the secure catalog a tenant session sees, and the tenant guard
 * allows exactly these names (pipelines/warehouse/tenantGuard.ts). So a query that works locally
 * works on Snowflake, and one refused there is refused here.
 *
 * A tenant reads its own data through the medallion (what its devices sent, what was refused and
 * why, the validated readings, the KPIs, its model outputs, its alerts) plus the hub's published
 * reference data (the metric and alert rules its data is judged by). Rows are filtered by the row
 * access policy and operator ids masked by the masking policy, on both targets. Not granted: the
 * firehose landing table RAW.DEVICE_MESSAGES (every tenant's messages in one table, no tenant
 * column to filter on), the governance map, the archive's bookkeeping, streams and tasks.
 */
import { TABLES, DYNAMIC_TABLES, STREAMS, TASKS } from "./catalog.ts";
import { ALERT_ACKNOWLEDGEMENTS } from "./alerting.ts";
import { TENANT_COSTS } from "./tenantCosts.ts";
import { ADMIN_ROLE, ALL_TENANT_ROLES, PIPELINE_ROLE } from "./governance.ts";
import { ANALYTICS_WH, SHARED_MONITORS, SHARED_WAREHOUSES } from "./warehouses.ts";
import { ACCOUNT_USAGE_VIEWS, SNOWFLAKE_DATABASE, type SnowflakeDatabaseRole } from "./accountUsageViews.ts";
import { SCHEMAS, hasTenantColumn, qualifiedName, type DynamicTableDef, type SchemaName, type StreamDef, type TableDef } from "./types.ts";

export type ReadableObject = TableDef | DynamicTableDef;

/**
 * The objects a tenant role may read, by name. An allowlist: a table added to the catalog is
 * granted to no tenant until it is named here (a test holds every table to a decision, here or in
 * NOT_GRANTED_TO_TENANTS).
 */
const GRANTED_TO_TENANTS: readonly string[] = [
  // bronze: what its devices and scanners sent, and what was refused and why
  "RAW.SENSOR_READINGS", "RAW.JOB_SCANS", "RAW.QUARANTINE",
  // silver and the rules its data is judged by
  "CORE.METRIC_RULES", "CORE.SENSOR_READINGS_NORMALIZED", "CORE.RULE_BREACHES", "CORE.JOB_STATION_VISITS",
  // gold
  "ANALYTICS.MACHINE_UTILIZATION_HOURLY", "ANALYTICS.ENERGY_HOURLY", "ANALYTICS.AIR_QUALITY_CURRENT", "ANALYTICS.PRODUCTION_FLOW", "ANALYTICS.ALERTS",
  // its model outputs
  "ML.FORECASTS", "ML.ANOMALIES", "ML.SEGMENTS", "ML.STREAM_SCORES",
  // its data quality, its alerts, and the rules that raise them
  "OPS.DATA_QUALITY_LOG", "OPS.ALERT_NOTIFICATIONS", "OPS.ALERT_RULES", "OPS.ALERT_ACKNOWLEDGEMENTS",
  // where its alerts were delivered, retried, or given up on (its dead letters)
  "OPS.ALERT_DELIVERIES",
  // its operators' notes (author masked), the insights drawn from them, and the notes that failed
  "RAW.OPERATOR_NOTES", "ML.NOTE_INSIGHTS", "OPS.NOTE_INSIGHT_FAILURES",
  // what it costs: the cost report's figures for it, written by the reporting step (tenantCosts.ts)
  "OPS.TENANT_COSTS",
];

/** Objects granted to no tenant, each with the reason. */
export const NOT_GRANTED_TO_TENANTS: Readonly<Record<string, string>> = {
  "GOVERNANCE.TENANT_MAP": "which role sees which tenant: the platform's governance data",
  "RAW.DEVICE_MESSAGES": "every tenant's raw device messages in one table without a tenant column; expanded into RAW.SENSOR_READINGS, which is granted",
  "OPS.ARCHIVE_WATERMARKS": "the archive's bookkeeping, platform operations",
  "OPS.ARCHIVE_RUNS": "the archive's bookkeeping, platform operations",
};

/**
 * How a granted object keeps tenants apart: `tenant rows` (a tenant_id column under the row access
 * policy) or `reference` (rules the hub publishes to every tenant, reloaded from the definitions on
 * each deploy; they hold no tenant's data).
 */
export type GrantScope = "tenant rows" | "reference";

export interface TenantGrant {
  readonly object: ReadableObject;
  /** `SCHEMA.NAME`, upper case. */
  readonly name: string;
  readonly objectType: "TABLE" | "DYNAMIC TABLE";
  readonly scope: GrantScope;
}

/** How a granted object keeps tenants apart; throws for one that cannot (exported for its tests). */
export function grantScope(o: ReadableObject): GrantScope {
  if (hasTenantColumn(o)) return "tenant rows";
  if (o.kind === "table" && o.seed) return "reference";
  throw new Error(
    `${qualifiedName(o)} has no tenant_id column and is not reference data from the definitions: ` +
      `name it in NOT_GRANTED_TO_TENANTS, or give it a tenant_id column, before a tenant may read it`,
  );
}

/** The catalog object a granted name stands for; throws for a name not grantable (exported for its tests). */
export function grantedObject(name: string): ReadableObject {
  const o = [...TABLES, ...DYNAMIC_TABLES].find((x) => qualifiedName(x) === name);
  if (!o) throw new Error(`GRANTED_TO_TENANTS names ${name}, which is not a table or dynamic table of the catalog`);
  if (name in NOT_GRANTED_TO_TENANTS) throw new Error(`${name} is both granted to tenants and not`);
  return o;
}

/** Every table and dynamic table a tenant role may read, in the order above. */
export const TENANT_GRANTS: readonly TenantGrant[] = GRANTED_TO_TENANTS.map(grantedObject)
  .map((o) => ({ object: o, name: qualifiedName(o), objectType: o.kind === "table" ? ("TABLE" as const) : ("DYNAMIC TABLE" as const), scope: grantScope(o) }));

/** The schemas a tenant role needs USAGE on. */
export const TENANT_SCHEMAS: readonly string[] = [...new Set(TENANT_GRANTS.map((g) => g.object.schema))];

/** Names (`SCHEMA.NAME`) a tenant role may read. */
export const TENANT_READABLE: ReadonlySet<string> = new Set(TENANT_GRANTS.map((g) => g.name));

// ---------------------------------------------------------------------------------------------
// The platform's own roles: what HUB_ADMIN and HUB_PIPELINE may do, and the Firehose ingest role.
// The twin's sessions for these roles see the whole catalog (they are ALL_TENANT_ROLES, which the
// row access policy admits); Snowflake gets exactly the grants below, created by the platform stack
// (infra/snowflake/roles.ts). tests/infra/grants.test.ts holds the two to each other.
// ---------------------------------------------------------------------------------------------

/** One grant of privileges on one schema object (`SCHEMA.NAME`), a schema, or an account object. */
export interface PlatformGrant {
  readonly role: string;
  readonly privileges: readonly string[];
  readonly on:
    | { readonly kind: "account" }
    | { readonly kind: "database" }
    | { readonly kind: "schema"; readonly schema: SchemaName }
    | { readonly kind: "object"; readonly objectType: "TABLE" | "DYNAMIC TABLE" | "STREAM"; readonly name: string }
    | { readonly kind: "warehouse"; readonly name: string }
    | { readonly kind: "resource monitor"; readonly name: string };
}

/** The role Firehose's Snowflake user writes RAW.DEVICE_MESSAGES with (Snowpipe Streaming: INSERT). */
export const INGEST_ROLE = "HUB_INGEST";

/** Tables the pipeline writes: every table its tasks and jobs land rows in (not GOVERNANCE, not reference data). */
export const PIPELINE_WRITABLE: readonly TableDef[] = TABLES.filter((t) => t.schema !== "GOVERNANCE" && !t.seed);

function objectGrants(role: string, privileges: readonly string[], objects: readonly (TableDef | DynamicTableDef | StreamDef)[]): PlatformGrant[] {
  return objects.map((o) => ({
    role,
    privileges,
    on: { kind: "object", objectType: o.kind === "table" ? "TABLE" : o.kind === "dynamic_table" ? "DYNAMIC TABLE" : "STREAM", name: qualifiedName(o) },
  }));
}

/**
 * HUB_PIPELINE owns the streams, dynamic tables and tasks (the platform stack creates them through
 * a provider that runs as HUB_PIPELINE), so tasks run as it and dynamic tables refresh as it: the
 * row access policy admits it. It needs to read every table those objects read, write the tables
 * its tasks land rows in, create its objects (and its tasks' temporary tables) in their schemas, use the shared warehouses, and run
 * tasks (EXECUTE TASK, an account privilege: https://docs.snowflake.com/en/user-guide/tasks-intro#task-security).
 */
export const PIPELINE_GRANTS: readonly PlatformGrant[] = [
  { role: PIPELINE_ROLE, privileges: ["EXECUTE TASK"], on: { kind: "account" } },
  { role: PIPELINE_ROLE, privileges: ["USAGE"], on: { kind: "database" } },
  ...SCHEMAS.map((schema): PlatformGrant => {
    const creates = [
      ...(STREAMS.some((o) => o.schema === schema) ? ["CREATE STREAM"] : []),
      ...(DYNAMIC_TABLES.some((o) => o.schema === schema) ? ["CREATE DYNAMIC TABLE"] : []),
      ...(TASKS.some((o) => o.schema === schema) ? ["CREATE TASK"] : []),
      // A task with setup makes a temporary scratch table in its schema each run (Dialect.materialize);
      // a temporary table needs CREATE TABLE there like a permanent one.
      ...(TASKS.some((o) => o.schema === schema && o.setup) ? ["CREATE TABLE"] : []),
    ];
    return { role: PIPELINE_ROLE, privileges: ["USAGE", ...creates], on: { kind: "schema", schema } };
  }),
  // Reads every table, as the twin's pipeline session does (it sees the whole catalog).
  ...objectGrants(PIPELINE_ROLE, ["SELECT"], TABLES.filter((t) => !PIPELINE_WRITABLE.includes(t))),
  ...objectGrants(PIPELINE_ROLE, ["SELECT", "INSERT", "UPDATE", "DELETE"], PIPELINE_WRITABLE),
  ...SHARED_WAREHOUSES.map((w): PlatformGrant => ({ role: PIPELINE_ROLE, privileges: ["USAGE"], on: { kind: "warehouse", name: w.name } })),
];

/**
 * HUB_ADMIN, the operators' role: reads everything in the hub (the twin's admin session sees the
 * whole catalog) and inherits HUB_PIPELINE (granted to it), so operators can run and resume tasks.
 * Objects HUB_PIPELINE owns are readable through that inheritance; the rest is granted here.
 */
export const ADMIN_GRANTS: readonly PlatformGrant[] = [
  { role: ADMIN_ROLE, privileges: ["USAGE"], on: { kind: "database" } },
  ...SCHEMAS.map((schema): PlatformGrant => ({ role: ADMIN_ROLE, privileges: ["USAGE"], on: { kind: "schema", schema } })),
  ...objectGrants(ADMIN_ROLE, ["SELECT"], TABLES),
  ...SHARED_WAREHOUSES.map((w): PlatformGrant => ({ role: ADMIN_ROLE, privileges: ["USAGE"], on: { kind: "warehouse", name: w.name } })),
];

/** Firehose's role: it lands rows in RAW.DEVICE_MESSAGES and reads nothing. */
export const INGEST_GRANTS: readonly PlatformGrant[] = [
  { role: INGEST_ROLE, privileges: ["USAGE"], on: { kind: "database" } },
  { role: INGEST_ROLE, privileges: ["USAGE"], on: { kind: "schema", schema: "RAW" } },
  { role: INGEST_ROLE, privileges: ["INSERT"], on: { kind: "object", objectType: "TABLE", name: "RAW.DEVICE_MESSAGES" } },
];

// ---------------------------------------------------------------------------------------------
// HUB_REPORTING: the role `cost-report --target snowflake` connects as. It reads the usage views
// of the shared SNOWFLAKE database and lists the hub's warehouses and monitors; in the hub's own
// database it reads nothing and may only append the tenants' cost snapshot to OPS.TENANT_COSTS.
// ---------------------------------------------------------------------------------------------

export const REPORTING_ROLE = "HUB_REPORTING";

/**
 * The SNOWFLAKE database roles HUB_REPORTING is granted (GRANT DATABASE ROLE SNOWFLAKE.<role> TO
 * ROLE HUB_REPORTING: https://docs.snowflake.com/en/sql-reference/sql/grant-database-role).
 * USAGE_VIEWER gives the meter (WAREHOUSE_METERING_HISTORY, METERING_DAILY_HISTORY, ...), and
 * with it, all or nothing, TASK_HISTORY and DYNAMIC_TABLE_REFRESH_HISTORY, which operators (HUB_ADMIN
 * holds this role) read for failing tasks and refreshes; GOVERNANCE_VIEWER gives QUERY_HISTORY,
 * which the chargeback splits credits by. Not
 * OBJECT_VIEWER: the report lists monitors with SHOW RESOURCE MONITORS, not the RESOURCE_MONITORS
 * view; nor IMPORTED PRIVILEGES, which would open every SNOWFLAKE schema (organisation data too).
 */
export const REPORTING_DATABASE_ROLES: readonly SnowflakeDatabaseRole[] = ["USAGE_VIEWER", "GOVERNANCE_VIEWER"];

/** A database role's name as GRANT DATABASE ROLE takes it: `SNOWFLAKE.USAGE_VIEWER`. */
export function snowflakeDatabaseRole(role: SnowflakeDatabaseRole): string {
  return `${SNOWFLAKE_DATABASE}.${role}`;
}

/**
 * HUB_REPORTING is granted to HUB_ADMIN, so operators read the usage views as well (Snowflake's
 * role hierarchy: a role has the privileges of every role granted to it).
 */
export const REPORTING_PARENT_ROLE = ADMIN_ROLE;

/** The warehouse the report's queries run on (USAGE, to run them). */
export const REPORTING_WAREHOUSE = ANALYTICS_WH.name;

/**
 * What HUB_REPORTING needs on one monitored warehouse, in whichever stack creates it: MONITOR on the
 * warehouse and on its resource monitor. SHOW WAREHOUSES and SHOW RESOURCE MONITORS return only
 * "objects for which the current user's current role has been granted at least one access
 * privilege" (https://docs.snowflake.com/en/sql-reference/sql/show-resource-monitors, Usage notes),
 * and MONITOR is the read-only one (https://docs.snowflake.com/en/user-guide/security-access-control-privileges).
 */
export function reportingGrantsOn(warehouse: string, monitor: string): PlatformGrant[] {
  return [
    { role: REPORTING_ROLE, privileges: ["MONITOR"], on: { kind: "warehouse", name: warehouse } },
    { role: REPORTING_ROLE, privileges: ["MONITOR"], on: { kind: "resource monitor", name: monitor } },
  ];
}

/** HUB_REPORTING's grants in the platform stack; each tenant stack adds reportingGrantsOn(its warehouses). */
export const REPORTING_GRANTS: readonly PlatformGrant[] = [
  // Its one write: the tenants' cost snapshot the portal's cost page reads (tenantCostSnapshot.ts).
  // INSERT only: the table is append-only, and a snapshot never changes another's rows.
  { role: REPORTING_ROLE, privileges: ["USAGE"], on: { kind: "database" } },
  { role: REPORTING_ROLE, privileges: ["USAGE"], on: { kind: "schema", schema: TENANT_COSTS.schema } },
  { role: REPORTING_ROLE, privileges: ["INSERT"], on: { kind: "object", objectType: "TABLE", name: qualifiedName(TENANT_COSTS) } },
  ...SHARED_WAREHOUSES.flatMap((w) => {
    const m = SHARED_MONITORS.find((x) => x.name === w.resourceMonitor);
    if (!m) throw new Error(`warehouse ${w.name}: monitor ${w.resourceMonitor} is not among SHARED_MONITORS`);
    return reportingGrantsOn(w.name, m.name).map((g) => (w.name === REPORTING_WAREHOUSE && g.on.kind === "warehouse" ? { ...g, privileges: ["MONITOR", "USAGE"] } : g));
  }),
];

/**
 * The ACCOUNT_USAGE views a role may read, as Snowflake decides it: through the SNOWFLAKE database
 * roles it holds, itself or through a role granted to it. ACCOUNTADMIN holds IMPORTED PRIVILEGES on
 * SNOWFLAKE by default (https://docs.snowflake.com/en/sql-reference/account-usage, "Enabling other
 * roles to use schemas in the SNOWFLAKE database"); the twin has no ACCOUNTADMIN or SYSADMIN
 * session. Every other role (the pipeline's, Firehose's, each tenant's, PUBLIC) reads none.
 */
export function accountUsageReadableBy(role: string): ReadonlySet<string> {
  const r = role.toUpperCase();
  const all = Object.keys(ACCOUNT_USAGE_VIEWS);
  if (r === "ACCOUNTADMIN") return new Set(all);
  // HUB_REPORTING, and the roles above it: HUB_ADMIN, and SYSADMIN, which HUB_ADMIN is granted to
  // (infra/snowflake/platform.ts, PLATFORM_PARENT_ROLE).
  if (![REPORTING_ROLE, REPORTING_PARENT_ROLE, "SYSADMIN"].includes(r)) return new Set();
  return new Set(all.filter((v) => ACCOUNT_USAGE_VIEWS[v]!.databaseRoles.some((d) => REPORTING_DATABASE_ROLES.includes(d))));
}

// ---------------------------------------------------------------------------------------------
// HUB_PORTAL: the operator portal's own role, for its one write. The portal reads as each tenant's
// role (its Snowflake user holds them, granted by the tenant stacks) and writes acknowledgements as
// this role, which may INSERT into OPS.ALERT_ACKNOWLEDGEMENTS and nothing else: no SELECT, no other
// table. Not the tenant roles: Snowflake applies no row access policy to an INSERT, so a tenant role
// that may insert lets a tenant's own SQL users write acknowledgements under another tenant's id
// (https://docs.snowflake.com/en/user-guide/security-row-intro: policies filter what a query reads).
// ---------------------------------------------------------------------------------------------

export const PORTAL_ROLE = "HUB_PORTAL";

/** The shared warehouse the acknowledgements' INSERTs run on (a few rows a day; the query tag names the tenant). */
export const PORTAL_WAREHOUSE = ANALYTICS_WH.name;

export const PORTAL_GRANTS: readonly PlatformGrant[] = [
  { role: PORTAL_ROLE, privileges: ["USAGE"], on: { kind: "database" } },
  ...[...new Set([ALERT_ACKNOWLEDGEMENTS.schema, ...DYNAMIC_TABLES.map((t) => t.schema)])].map((schema): PlatformGrant => ({ role: PORTAL_ROLE, privileges: ["USAGE"], on: { kind: "schema", schema } })),
  { role: PORTAL_ROLE, privileges: ["INSERT"], on: { kind: "object", objectType: "TABLE", name: qualifiedName(ALERT_ACKNOWLEDGEMENTS) } },
  { role: PORTAL_ROLE, privileges: ["USAGE"], on: { kind: "warehouse", name: PORTAL_WAREHOUSE } },
  // The live stream's change signal (pipelines/portal/liveSignal.ts): SHOW DYNAMIC TABLES runs on
  // cloud services, without a warehouse, and lists a dynamic table's refresh metadata only to a
  // role with MONITOR on it (Snowflake's 2023_08 bundle, BCR-1373: SELECT no longer suffices).
  // MONITOR reads metadata, never rows.
  ...DYNAMIC_TABLES.map((t): PlatformGrant => ({ role: PORTAL_ROLE, privileges: ["MONITOR"], on: { kind: "object", objectType: "DYNAMIC TABLE", name: qualifiedName(t) } })),
];

/** The dynamic tables a role holds MONITOR on (SHOW DYNAMIC TABLES lists them with their metadata). */
export function monitoredDynamicTables(role: string): ReadonlySet<string> {
  const r = role.toUpperCase();
  return new Set(PLATFORM_GRANTS.filter((g) => g.role === r && g.on.kind === "object" && g.on.objectType === "DYNAMIC TABLE" && g.privileges.includes("MONITOR")).map((g) => (g.on as { name: string }).name));
}

/**
 * How much of the hub's database a role reaches: all of it (HUB_ADMIN, HUB_PIPELINE, which the row
 * access policy admits), the tenant grants (a tenant role), or nothing (HUB_REPORTING, which has no
 * privilege on the hub's database at all). The twin's sessions, SHOW and INFORMATION_SCHEMA ask this.
 */
export function hubReach(role: string): "all" | "tenant grants" | "nothing" {
  const r = role.toUpperCase();
  if ((ALL_TENANT_ROLES as readonly string[]).includes(r)) return "all";
  // HUB_PORTAL and HUB_REPORTING read nothing: each one INSERT is checked statement by statement (portalWriteGuard.ts).
  return r === REPORTING_ROLE || r === PORTAL_ROLE ? "nothing" : "tenant grants";
}

export const PLATFORM_GRANTS: readonly PlatformGrant[] = [...PIPELINE_GRANTS, ...ADMIN_GRANTS, ...INGEST_GRANTS, ...REPORTING_GRANTS, ...PORTAL_GRANTS];

/**
 * The role hierarchy among the platform's roles, as infra/snowflake/platform.ts grants it: each
 * role and the roles granted to it (HUB_PIPELINE, HUB_REPORTING and HUB_PORTAL to HUB_ADMIN).
 * Tenant roles are granted to users only (infra/snowflake/tenant.ts), never to another role.
 */
const ROLES_GRANTED_TO: Readonly<Record<string, readonly string[]>> = {
  [ADMIN_ROLE]: [PIPELINE_ROLE, REPORTING_ROLE, PORTAL_ROLE],
};

/**
 * The roles a user granted `granted` may make its session's role (`USE ROLE`): those, and every
 * role below them in the hierarchy. Snowflake: "To use a role, the role must have been granted to
 * the user" (https://docs.snowflake.com/en/sql-reference/sql/use-role). Upper case.
 */
export function usableRoles(granted: readonly string[]): ReadonlySet<string> {
  const out = new Set<string>();
  const add = (r: string) => {
    if (out.has(r)) return;
    out.add(r);
    for (const below of ROLES_GRANTED_TO[r] ?? []) add(below);
  };
  for (const r of granted) add(r.toUpperCase());
  return out;
}
