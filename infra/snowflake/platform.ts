/**
 * The Snowflake side of the platform stack: the database and schemas, the platform's roles
 * (HUB_ADMIN, HUB_PIPELINE, HUB_INGEST, HUB_REPORTING) and Firehose's user, and every object of the `pipelines/`
 * definitions, in the catalogue's dependency order. Provider resources where the provider has one;
 * `Execute` with the rendered SQL and its revert where it has none (row access policy attachments,
 * the mask on a dynamic table's column, seed rows, the one TRANSIENT table). All SQL text comes from
 * `pipelines/render/snowflakeDdl.ts` or the definitions themselves, never re-typed here.
 *
 * What the provider does with these inputs, checked in its source (terraform-provider-snowflake;
 * @pulumi/snowflake 1.3.0 bridges v1.2.1, read at v1.1.0, the same code for these files):
 * - pkg/resources/table.go `getTableColumnRequest` quotes each column name as given (`"%v"`), so
 *   columns are declared upper case here: the definitions' unquoted references (cluster keys, seeds,
 *   attachments, queries, task bodies, Firehose's column names) resolve to upper case.
 * - pkg/sdk/row_access_policies_gen.go and pkg/sdk/common_types.go (`TableColumnSignature`) quote
 *   a policy's argument names: they are upper case too, and so is the body's reference to them.
 * - pkg/provider/provider.go passes `params` to the driver as session parameters; no session has a
 *   current database, so every name the deploy sends is fully qualified (render/qualify.ts).
 * - pkg/resources/table.go `ReadTable` reads each column's masking policy back and `UpdateTable`
 *   unsets one the configuration does not name: the PII mask on a table column is the Table's own
 *   `maskingPolicy`, not an `Execute` a refresh would undo.
 * - pkg/resources/dynamic_table.go: `refresh_mode` (AUTO, FULL or INCREMENTAL, default AUTO) is sent as
 *   REFRESH_MODE in the create and is ForceNew, like `query`.
 * - pkg/resources/dynamic_table.go: `query` is ForceNew and the create has no OR REPLACE unless
 *   asked, so a changed query deletes, then creates (deleteBeforeReplace); the attachments and
 *   grants on it name it in `replaceWith`, so a replacement re-applies them.
 */
import * as pulumi from "@pulumi/pulumi";
import * as snowflake from "@pulumi/snowflake";
import { DYNAMIC_TABLES, POLICIES, STREAMS, TABLES, TAGS, TASKS } from "../../pipelines/definitions/catalog.ts";
import { PII_MASK, TENANT_ISOLATION } from "../../pipelines/definitions/governance.ts";
import { SHARED_MONITORS, SHARED_WAREHOUSES } from "../../pipelines/definitions/warehouses.ts";
import { FULL_SCOPE, SCHEMAS, qualifiedName, type DynamicTableDef, type TableDef, type TaskDef } from "../../pipelines/definitions/types.ts";
import { ADMIN_ROLE, COST_CENTER_TAG, PIPELINE_ROLE, TENANT_MAP, TENANT_TAG } from "../../pipelines/definitions/governance.ts";
import {
  INGEST_ROLE, PLATFORM_GRANTS, PORTAL_ROLE, REPORTING_DATABASE_ROLES, REPORTING_PARENT_ROLE, REPORTING_ROLE, snowflakeDatabaseRole, type PlatformGrant,
} from "../../pipelines/definitions/grants.ts";
import { quoteString, snowflakeDialect } from "../../pipelines/dialect/index.ts";
import { qualifiedStatements, taskBody } from "../../pipelines/render/snowflakeDdl.ts";
import { qualifyNames } from "../../pipelines/render/qualify.ts";
import { MonitoredWarehouse } from "./monitoredWarehouse.ts";
import { SHARED_TENANT, fqn } from "../naming.ts";

/** Provider resources the provider marks as preview features (must be listed in previewFeaturesEnabled). */
export const SNOWFLAKE_PREVIEW_FEATURES = ["snowflake_table_resource", "snowflake_dynamic_table_resource"] as const;

export interface SnowflakePlatformArgs {
  /** Database name; default none (required). */
  readonly database: string;
  /** COST_CENTER tag value on the shared warehouses; required. */
  readonly costCenter: string;
  /** When the shared monitors start counting; required. */
  readonly monitorStartTimestamp: string;
  /** Snowflake user Firehose connects as, and its RSA public key (PEM body); required. */
  readonly firehoseUser: string;
  readonly firehosePublicKey: string;
  /**
   * The operator portal's Snowflake user (key-pair only) and its RSA public key (PEM body), holding
   * HUB_PORTAL; each tenant stack with hub:portalAccess grants it the tenant's role. Default none (no portal).
   */
  readonly portalUser?: { readonly name: string; readonly publicKey: string };
  /**
   * The hourly cost publish's Snowflake user (key-pair only) and its RSA public key (PEM body),
   * holding HUB_REPORTING (infra/aws/costPublishSchedule.ts). Default none (nothing scheduled).
   */
  readonly reportingUser?: { readonly name: string; readonly publicKey: string };
  /**
   * The connection settings of the stack's provider: the pipeline's objects are created through a
   * second provider with the same settings but role HUB_PIPELINE, so HUB_PIPELINE owns them.
   */
  readonly connection: Readonly<Record<string, pulumi.Input<string> | undefined>>;
  /**
   * What a task that calls an external function (TaskDef.external) waits for: the function and the
   * USAGE grant its owner needs, which the program creates after this component since they need its
   * schema and the API Gateway (infra/aws/noteInsights.ts). A promise, so the program can hand them
   * over once made; default none (the task is created without waiting).
   */
  readonly externalFunctions?: Promise<readonly pulumi.Resource[]>;
}

/** The role the platform's roles hang under (Snowflake's advice: custom roles granted to SYSADMIN). */
export const PLATFORM_PARENT_ROLE = "SYSADMIN";

/** Column names as the Table resource sends them: quoted, so upper case (see the file comment). */
export function snowflakeColumnName(name: string): string {
  return name.toUpperCase();
}

/** `5 minutes` → maximumDuration, `DOWNSTREAM` → downstream. */
export function targetLag(lag: string): snowflake.types.input.DynamicTableTargetLag {
  return lag.toUpperCase() === "DOWNSTREAM" ? { downstream: true } : { maximumDuration: lag };
}

/** `N MINUTE` → minutes; `USING CRON …` → usingCron. */
export function taskSchedule(t: TaskDef): snowflake.types.input.TaskSchedule | undefined {
  if (!t.schedule) return undefined;
  const minutes = /^(\d+)\s+MINUTES?$/i.exec(t.schedule);
  if (minutes) return { minutes: Number(minutes[1]) };
  const cron = /^USING CRON\s+(.+)$/i.exec(t.schedule);
  if (cron) return { usingCron: cron[1]! };
  throw new Error(`task ${qualifiedName(t)}: schedule ${JSON.stringify(t.schedule)} is neither "N MINUTE" nor "USING CRON ..."`);
}

function slug(qualified: string): string {
  return qualified.toLowerCase().replaceAll(".", "-").replaceAll("_", "-").replaceAll(" ", "-");
}

/** Tables whose changes a stream or dynamic table reads: they need CHANGE_TRACKING on, set by their owner. */
export function changeTracked(t: TableDef, readers: { streams: readonly { on: string }[]; dynamicTables: readonly DynamicTableDef[] }): boolean {
  const qn = qualifiedName(t);
  return !!t.appendOnly || readers.streams.some((s) => s.on === qn) || readers.dynamicTables.some((d) => d.dependsOn.includes(qn));
}

export class SnowflakePlatform extends pulumi.ComponentResource {
  readonly databaseName: pulumi.Output<string>;
  readonly warehouseNames: pulumi.Output<string[]>;
  /** Every provisioned definition by qualified name (tables, streams, dynamic tables, tasks, policies, tags). */
  readonly objects: ReadonlyMap<string, pulumi.Resource>;
  /** The platform's schemas by name (RAW, CORE, ...). */
  readonly schemas: ReadonlyMap<string, snowflake.Schema>;
  /** The platform's roles by name. */
  readonly roles: ReadonlyMap<string, snowflake.AccountRole>;
  /** Each dynamic table's creation time: a tenant stack's grants on it are replaced when it changes. */
  readonly dynamicTableVersions: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: SnowflakePlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hub:snowflake:Platform", name, {}, opts);
    if (!/^[A-Z][A-Z0-9_]*$/.test(args.database)) throw new pulumi.ResourceError(`\`database\` ${JSON.stringify(args.database)} must be an upper-case identifier`, this);
    if (!args.costCenter) throw new pulumi.ResourceError("`costCenter` is required", this);

    const d = snowflakeDialect;
    const db = args.database;
    const q = (sql: string) => qualifyNames(sql, db);
    const child = { parent: this };
    const objects = new Map<string, pulumi.Resource>();
    const dep = (qualified: string): pulumi.Resource => {
      const r = objects.get(qualified.toUpperCase());
      if (!r) throw new pulumi.ResourceError(`definition refers to ${qualified}, which is not provisioned before it`, this);
      return r;
    };

    const database = new snowflake.Database(`${name}-database`, { name: db, comment: "Manufacturing data hub.", dropPublicSchemaOnCreation: true }, child);
    const schemas = new Map<string, snowflake.Schema>();
    for (const s of SCHEMAS) {
      schemas.set(s, new snowflake.Schema(`${name}-schema-${s.toLowerCase()}`, { database: database.name, name: s }, { parent: this, dependsOn: [database] }));
    }
    const inSchema = (s: string) => ({ parent: this, dependsOn: [schemas.get(s)!] });

    // --- Roles: HUB_PIPELINE under HUB_ADMIN under SYSADMIN; HUB_INGEST for Firehose's user. ---
    const roles = new Map<string, snowflake.AccountRole>();
    for (const [role, comment] of [
      [ADMIN_ROLE, "Hub operators: read every tenant's rows; inherit HUB_PIPELINE."],
      [PIPELINE_ROLE, "Owns the hub's streams, dynamic tables and tasks, which run as it."],
      [INGEST_ROLE, "Firehose's Snowpipe Streaming writes into RAW.DEVICE_MESSAGES."],
      [REPORTING_ROLE, "Cost reports: reads SNOWFLAKE.ACCOUNT_USAGE and lists the hub's warehouses and monitors."],
      [PORTAL_ROLE, "The operator portal's one write: INSERT into OPS.ALERT_ACKNOWLEDGEMENTS; it reads as each tenant's role."],
    ] as const) {
      roles.set(role, new snowflake.AccountRole(`${name}-role-${slug(role)}`, { name: role, comment }, child));
    }
    const adminUnderSysadmin = new snowflake.GrantAccountRole(`${name}-role-hub-admin-to-sysadmin`, { roleName: roles.get(ADMIN_ROLE)!.name, parentRoleName: PLATFORM_PARENT_ROLE }, child);
    const pipelineUnderAdmin = new snowflake.GrantAccountRole(
      `${name}-role-hub-pipeline-to-hub-admin`,
      { roleName: roles.get(PIPELINE_ROLE)!.name, parentRoleName: roles.get(ADMIN_ROLE)!.name },
      { parent: this, dependsOn: [adminUnderSysadmin] },
    );
    // HUB_REPORTING under HUB_ADMIN, and the SNOWFLAKE database roles that open the usage views to it
    // (pipelines/definitions/grants.ts). The provider sends GRANT DATABASE ROLE "SNOWFLAKE"."<role>"
    // TO ROLE "HUB_REPORTING" (pkg/resources/grant_database_role.go, pkg/sdk/database_role.go).
    new snowflake.GrantAccountRole(
      `${name}-role-hub-reporting-to-hub-admin`,
      { roleName: roles.get(REPORTING_ROLE)!.name, parentRoleName: roles.get(REPORTING_PARENT_ROLE)!.name },
      child,
    );
    // HUB_PORTAL under HUB_ADMIN, so it sits in SYSADMIN's hierarchy like every platform role.
    new snowflake.GrantAccountRole(`${name}-role-hub-portal-to-hub-admin`, { roleName: roles.get(PORTAL_ROLE)!.name, parentRoleName: roles.get(ADMIN_ROLE)!.name }, child);
    for (const dbRole of REPORTING_DATABASE_ROLES) {
      new snowflake.GrantDatabaseRole(
        `${name}-database-role-${slug(dbRole)}-to-hub-reporting`,
        { databaseRoleName: fqn(...snowflakeDatabaseRole(dbRole).split(".")), parentRoleName: roles.get(REPORTING_ROLE)!.name },
        child,
      );
    }
    // Each service user logs in by key pair only and gets its one role; the resource names keep the
    // pattern `<key>-user` and `role-<role>-to-<key>-user` (renaming them would replace the users).
    const serviceUser = (key: string, role: string, user: { readonly name: string; readonly publicKey: string }, comment: string) => {
      const u = new snowflake.ServiceUser(`${name}-${key}-user`, { name: user.name, comment, rsaPublicKey: user.publicKey, defaultRole: roles.get(role)!.name }, child);
      new snowflake.GrantAccountRole(`${name}-role-${slug(role)}-to-${key}-user`, { roleName: roles.get(role)!.name, userName: u.name }, child);
      return u;
    };
    const firehoseUser = serviceUser("firehose", INGEST_ROLE, { name: args.firehoseUser, publicKey: args.firehosePublicKey }, "Amazon Data Firehose (Snowpipe Streaming) into RAW.DEVICE_MESSAGES; key-pair only.");
    const portalUser = args.portalUser && serviceUser("portal", PORTAL_ROLE, args.portalUser, "The operator portal: reads as each tenant's role (granted by the tenant stacks), writes acknowledgements as HUB_PORTAL; key-pair only.");
    const reportingUser = args.reportingUser && serviceUser("reporting", REPORTING_ROLE, args.reportingUser, "The hourly cost publish (cost-report --publish-tenant-costs): reads the usage views, inserts into OPS.TENANT_COSTS as HUB_REPORTING; key-pair only.");

    // Governance first: tags and policies are referenced by everything after them.
    for (const t of TAGS) {
      objects.set(qualifiedName(t), new snowflake.Tag(`${name}-tag-${slug(qualifiedName(t))}`, { database: db, schema: t.schema, name: t.name, comment: t.comment, ...(t.allowedValues ? { allowedValues: [...t.allowedValues] } : {}) }, inSchema(t.schema)));
    }
    const tagDeps = TAGS.map((t) => dep(qualifiedName(t)));
    for (const [suffix, objectType, ident, r] of [
      ...[...roles].map(([role, r]) => [`role-${slug(role)}`, "ROLE", fqn(role), r] as const),
      ["firehose-user", "USER", fqn(args.firehoseUser), firehoseUser] as const,
      ...(portalUser && args.portalUser ? [["portal-user", "USER", fqn(args.portalUser.name), portalUser] as const] : []),
      ...(reportingUser && args.reportingUser ? [["reporting-user", "USER", fqn(args.reportingUser.name), reportingUser] as const] : []),
    ]) {
      for (const [tagSuffix, tag, value] of [
        ["tenant-tag", TENANT_TAG, SHARED_TENANT],
        ["cost-center-tag", COST_CENTER_TAG, args.costCenter],
      ] as const) {
        new snowflake.TagAssociation(`${name}-${suffix}-${tagSuffix}`, { objectType, objectIdentifiers: [ident], tagId: fqn(db, tag.schema, tag.name), tagValue: value }, { parent: this, dependsOn: [r, ...tagDeps] });
      }
    }

    // Tables. Execute runs statements as they are rendered (fully qualified), so attachments and
    // seeds stay the renderer's; each names its table in replaceWith, so replacing the table
    // re-applies them.
    // The policies, looked up when an attachment needs them (TENANT_MAP, which they read, comes first).
    const attachDeps = () => [dep(qualifiedName(TENANT_ISOLATION)), dep(qualifiedName(PII_MASK))];
    const maskFqn = fqn(db, PII_MASK.schema, PII_MASK.name);
    const runStatements = (owner: string, o: TableDef | DynamicTableDef, kinds: readonly string[], after: () => pulumi.Resource[], replaceWith: pulumi.Resource) => {
      qualifiedStatements(o, db)
        .filter((s) => kinds.includes(s.kind))
        // A table column's mask is the Table resource's own (see the file comment).
        .filter((s) => !(o.kind === "table" && !o.transient && s.kind === "attach" && s.sql.includes("MASKING POLICY")))
        .forEach((s, i) => {
          new snowflake.Execute(
            `${name}-${s.kind}-${slug(owner)}-${i}`,
            // A seed has no revert of its own: the table is the definition's, emptied on delete.
            { execute: s.sql, revert: s.revert ?? `DELETE FROM ${db}.${qualifiedName(o)}` },
            { parent: this, dependsOn: after(), replaceWith: [replaceWith], deleteBeforeReplace: true },
          );
        });
    };
    const readers = { streams: STREAMS, dynamicTables: DYNAMIC_TABLES };
    const declareTable = (t: TableDef) => {
      const qn = qualifiedName(t);
      let table: pulumi.Resource;
      if (t.transient) {
        // The provider's Table has no TRANSIENT option; the rendered CREATE is run as is.
        const create = qualifiedStatements(t, db).find((s) => s.kind === "create")!;
        table = new snowflake.Execute(`${name}-table-${slug(qn)}`, { execute: create.sql, revert: create.revert! }, { ...inSchema(t.schema), deleteBeforeReplace: true });
      } else {
        table = new snowflake.Table(
          `${name}-table-${slug(qn)}`,
          {
            database: db,
            schema: t.schema,
            name: t.name,
            comment: t.comment,
            columns: t.columns.map((c) => ({
              name: snowflakeColumnName(c.name),
              type: d.type(c.type),
              nullable: c.nullable !== false,
              comment: c.comment,
              ...(c.pii ? { maskingPolicy: maskFqn } : {}),
            })),
            ...(t.clusterBy ? { clusterBies: [...t.clusterBy] } : {}),
            ...(changeTracked(t, readers) ? { changeTracking: true } : {}),
          },
          { parent: this, dependsOn: [schemas.get(t.schema)!, ...(t.columns.some((c) => c.pii) ? [dep(qualifiedName(PII_MASK))] : [])], deleteBeforeReplace: true },
        );
      }
      objects.set(qn, table);
      runStatements(qn, t, ["seed"], () => [table], table);
      runStatements(qn, t, ["attach"], () => [table, ...attachDeps()], table);
    };

    // The policies read GOVERNANCE.TENANT_MAP, which Snowflake resolves when it creates them.
    declareTable(TENANT_MAP);
    const tenantMap = dep(qualifiedName(TENANT_MAP));

    for (const p of POLICIES) {
      // The provider quotes argument names: upper case, and the body refers to them so.
      const arg = p.argument.name.toUpperCase();
      const common = { database: db, schema: p.schema, name: p.name, comment: p.comment, arguments: [{ name: arg, type: d.type(p.argument.type) }], body: q(p.body(d, arg)) };
      objects.set(
        qualifiedName(p),
        p.kind === "row_access_policy"
          ? new snowflake.RowAccessPolicy(`${name}-policy-${slug(qualifiedName(p))}`, common, { parent: this, dependsOn: [schemas.get(p.schema)!, tenantMap] })
          : new snowflake.MaskingPolicy(`${name}-policy-${slug(qualifiedName(p))}`, { ...common, returnDataType: d.type(p.argument.type) }, { parent: this, dependsOn: [schemas.get(p.schema)!, tenantMap] }),
      );
    }

    // Shared warehouses, each with its monitor; tagged as shared.
    const warehouses: MonitoredWarehouse[] = [];
    for (const w of SHARED_WAREHOUSES) {
      const m = SHARED_MONITORS.find((x) => x.name === w.resourceMonitor);
      if (!m) throw new pulumi.ResourceError(`warehouse ${w.name}: monitor ${w.resourceMonitor} is not among SHARED_MONITORS`, this);
      const mw = new MonitoredWarehouse(
        `${name}-${w.name.toLowerCase().replaceAll("_", "-")}`,
        { warehouse: w, monitor: m, startTimestamp: args.monitorStartTimestamp, database: db, tenantTag: SHARED_TENANT, costCenter: args.costCenter, tagDependsOn: tagDeps },
        child,
      );
      warehouses.push(mw);
      objects.set(w.name, mw);
    }
    const warehouseDep = (wh: string) => {
      const i = SHARED_WAREHOUSES.findIndex((w) => w.name === wh);
      if (i < 0) throw new pulumi.ResourceError(`definition uses warehouse ${wh}, which is not in SHARED_WAREHOUSES`, this);
      return warehouses[i]!;
    };
    const monitorDep = (monitor: string) => {
      const w = SHARED_WAREHOUSES.find((x) => x.resourceMonitor === monitor);
      if (!w) throw new pulumi.ResourceError(`a grant names resource monitor ${monitor}, which no shared warehouse uses`, this);
      return warehouseDep(w.name);
    };

    for (const t of TABLES) if (t !== TENANT_MAP) declareTable(t);

    // The platform roles' grants (pipelines/definitions/grants.ts), each after what it names.
    const grantsByRole = new Map<string, snowflake.GrantPrivilegesToAccountRole[]>();
    const grantResource = (g: PlatformGrant): snowflake.GrantPrivilegesToAccountRole => {
      const on = g.on;
      const target: pulumi.Resource[] =
        on.kind === "database" ? [database]
        : on.kind === "schema" ? [schemas.get(on.schema)!]
        : on.kind === "object" ? [dep(on.name)]
        : on.kind === "warehouse" ? [warehouseDep(on.name)]
        : on.kind === "resource monitor" ? [monitorDep(on.name)]
        : [];
      const what =
        on.kind === "account"
          ? { onAccount: true }
          : on.kind === "database"
            ? { onAccountObject: { objectType: "DATABASE", objectName: database.name } }
            : on.kind === "warehouse"
              ? { onAccountObject: { objectType: "WAREHOUSE", objectName: on.name } }
              : on.kind === "resource monitor"
                ? { onAccountObject: { objectType: "RESOURCE MONITOR", objectName: on.name } }
              : on.kind === "schema"
                ? { onSchema: { schemaName: fqn(db, on.schema) } }
                : { onSchemaObject: { objectType: on.objectType, objectName: fqn(db, ...on.name.split(".")) } };
      const where = on.kind === "schema" ? on.schema : on.kind === "object" || on.kind === "warehouse" || on.kind === "resource monitor" ? on.name : on.kind;
      const r = new snowflake.GrantPrivilegesToAccountRole(
        `${name}-grant-${slug(g.role)}-${slug(where)}`,
        { accountRoleName: roles.get(g.role)!.name, privileges: [...g.privileges], ...what },
        { parent: this, dependsOn: [roles.get(g.role)!, ...target], ...(on.kind === "object" ? { replaceWith: target } : {}) },
      );
      grantsByRole.set(g.role, [...(grantsByRole.get(g.role) ?? []), r]);
      return r;
    };
    // Grants on objects declared further down (dynamic tables, streams) wait for the last pass.
    const granted = new Set<PlatformGrant>();
    for (const g of PLATFORM_GRANTS.filter((g) => g.on.kind !== "object" || objects.has(g.on.name))) {
      grantResource(g);
      granted.add(g);
    }

    // The pipeline's objects are created as HUB_PIPELINE, which then owns them: tasks run as it and
    // dynamic tables refresh as it, and the row access policy admits it. The provider's role is
    // the grant's output, so it connects only once the role exists and is in SYSADMIN's hierarchy.
    const pipeline = new snowflake.Provider(
      `${name}-pipeline`,
      {
        ...args.connection,
        role: pulumi.all([pipelineUnderAdmin.roleName, adminUnderSysadmin.roleName]).apply(([r]) => r),
        previewFeaturesEnabled: [...SNOWFLAKE_PREVIEW_FEATURES],
      },
      child,
    );
    const pipelineGrants = grantsByRole.get(PIPELINE_ROLE) ?? [];
    const asPipeline = (dependsOn: pulumi.Resource[]) => ({ parent: this, provider: pipeline, dependsOn: [...dependsOn, ...pipelineGrants] });
    // A task calling an external function is created (and started) once the function and its grant exist.
    const withExternal = (t: TaskDef, o: ReturnType<typeof asPipeline>): pulumi.CustomResourceOptions => {
      if (!t.external || !args.externalFunctions) return o;
      const dependsOn: Promise<pulumi.Resource[]> = args.externalFunctions.then((fns) => [...o.dependsOn, ...fns]);
      return { ...o, dependsOn };
    };

    for (const s of STREAMS) {
      objects.set(
        qualifiedName(s),
        new snowflake.StreamOnTable(
          `${name}-stream-${slug(qualifiedName(s))}`,
          { database: db, schema: s.schema, name: s.name, comment: s.comment, table: fqn(db, ...s.on.split(".")), appendOnly: s.appendOnly ? "true" : "false" },
          { ...asPipeline([schemas.get(s.schema)!, dep(s.on)]), replaceWith: [dep(s.on)] },
        ),
      );
    }

    const versions: Record<string, pulumi.Output<string>> = {};
    for (const t of DYNAMIC_TABLES) {
      const qn = qualifiedName(t);
      const dt = new snowflake.DynamicTable(
        `${name}-dynamic-table-${slug(qn)}`,
        {
          database: db,
          schema: t.schema,
          name: t.name,
          comment: t.comment,
          query: q(t.query(d, FULL_SCOPE)),
          warehouse: t.warehouse,
          targetLag: targetLag(t.targetLag),
          // ForceNew in the provider (refresh_mode): a changed mode replaces the table.
          refreshMode: t.refreshMode.mode,
          initialize: "ON_CREATE",
        },
        { ...asPipeline([schemas.get(t.schema)!, warehouseDep(t.warehouse), ...t.dependsOn.map(dep)]), deleteBeforeReplace: true },
      );
      objects.set(qn, dt);
      versions[qn] = dt.createdOn;
      runStatements(qn, t, ["attach"], () => [dt, ...attachDeps()], dt);
    }

    // Tasks are created started: the provider resumes a DAG's children before its root.
    const allTables = TABLES.map((t) => dep(qualifiedName(t)));
    for (const t of TASKS) {
      const qn = qualifiedName(t);
      const schedule = taskSchedule(t);
      const streams = [...new Set([...(t.whenStreamHasData ?? []), ...t.consumes])];
      objects.set(
        qn,
        new snowflake.Task(
          `${name}-task-${slug(qn)}`,
          {
            database: db,
            schema: t.schema,
            name: t.name,
            comment: t.comment,
            warehouse: t.warehouse,
            ...(schedule ? { schedule } : {}),
            ...(t.after?.length ? { afters: t.after.map((a) => fqn(db, ...a.split("."))) } : {}),
            ...(t.whenStreamHasData?.length ? { when: t.whenStreamHasData.map((s) => `SYSTEM$STREAM_HAS_DATA(${quoteString(`${db}.${s}`)})`).join(" OR ") } : {}),
            sqlStatement: taskBody(t, db),
            started: true,
          },
          withExternal(t, asPipeline([schemas.get(t.schema)!, warehouseDep(t.warehouse), ...(t.after ?? []).map(dep), ...streams.map(dep), ...allTables])),
        ),
      );
    }

    // The remaining grants (HUB_PORTAL's MONITOR on the dynamic tables, for the live signal), now
    // that everything is declared; each replaced with its object, as a replaced object loses its
    // grants. A grant naming an object the program never declares is a mistake in the definitions,
    // not a grant to skip: it would leave a role without a privilege the code relies on.
    for (const g of PLATFORM_GRANTS.filter((x) => !granted.has(x))) {
      if (g.on.kind === "object" && !objects.has(g.on.name)) {
        throw new pulumi.ResourceError(`a platform grant (${g.privileges.join(", ")} to ${g.role}) names ${g.on.objectType} ${g.on.name}, which this program does not declare`, this);
      }
      grantResource(g);
    }

    this.objects = objects;
    this.schemas = schemas;
    this.roles = roles;
    this.databaseName = database.name;
    this.warehouseNames = pulumi.all(warehouses.map((w) => w.warehouseName));
    this.dynamicTableVersions = pulumi.all(versions);
    this.registerOutputs({ databaseName: this.databaseName, warehouseNames: this.warehouseNames, dynamicTableVersions: this.dynamicTableVersions });
  }
}
