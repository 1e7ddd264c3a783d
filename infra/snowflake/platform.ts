/**
 * The Snowflake side of the platform stack: the database and schemas, and every object of the
 * `pipelines/` definitions, in the catalogue's dependency order. Provider resources where the
 * provider has one; `Execute` with the rendered SQL and its revert where it has none (policy
 * attachments, seed rows, the one TRANSIENT table). All SQL text comes from
 * `pipelines/render/snowflakeDdl.ts` or the definitions themselves, never re-typed here.
 */
import * as pulumi from "@pulumi/pulumi";
import * as snowflake from "@pulumi/snowflake";
import { DYNAMIC_TABLES, POLICIES, STREAMS, TABLES, TAGS, TASKS } from "../../pipelines/definitions/catalog.ts";
import { PII_MASK, TENANT_ISOLATION } from "../../pipelines/definitions/governance.ts";
import { SHARED_MONITORS, SHARED_WAREHOUSES } from "../../pipelines/definitions/warehouses.ts";
import { FULL_SCOPE, SCHEMAS, qualifiedName, type TableDef, type TaskDef } from "../../pipelines/definitions/types.ts";
import { quoteString, snowflakeDialect } from "../../pipelines/dialect/index.ts";
import { snowflakeStatements, taskBody } from "../../pipelines/render/snowflakeDdl.ts";
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
  return qualified.toLowerCase().replaceAll(".", "-").replaceAll("_", "-");
}

export class SnowflakePlatform extends pulumi.ComponentResource {
  readonly databaseName: pulumi.Output<string>;
  readonly warehouseNames: pulumi.Output<string[]>;
  /** Every provisioned definition by qualified name (tables, streams, dynamic tables, tasks, policies, tags). */
  readonly objects: ReadonlyMap<string, pulumi.Resource>;

  constructor(name: string, args: SnowflakePlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hub:snowflake:Platform", name, {}, opts);
    if (!/^[A-Z][A-Z0-9_]*$/.test(args.database)) throw new pulumi.ResourceError(`\`database\` ${JSON.stringify(args.database)} must be an upper-case identifier`, this);
    if (!args.costCenter) throw new pulumi.ResourceError("`costCenter` is required", this);

    const d = snowflakeDialect;
    const db = args.database;
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

    // Governance first: tags and policies are referenced by everything after them.
    for (const t of TAGS) {
      objects.set(qualifiedName(t), new snowflake.Tag(`${name}-tag-${slug(qualifiedName(t))}`, { database: db, schema: t.schema, name: t.name, comment: t.comment, ...(t.allowedValues ? { allowedValues: [...t.allowedValues] } : {}) }, inSchema(t.schema)));
    }
    const rap = TENANT_ISOLATION;
    const mask = PII_MASK;
    for (const p of POLICIES) {
      if (p.kind === "row_access_policy") {
        objects.set(
          qualifiedName(p),
          new snowflake.RowAccessPolicy(
            `${name}-policy-${slug(qualifiedName(p))}`,
            { database: db, schema: p.schema, name: p.name, comment: p.comment, arguments: [{ name: p.argument.name, type: d.type(p.argument.type) }], body: p.body(d, p.argument.name) },
            inSchema(p.schema),
          ),
        );
      } else {
        objects.set(
          qualifiedName(p),
          new snowflake.MaskingPolicy(
            `${name}-policy-${slug(qualifiedName(p))}`,
            { database: db, schema: p.schema, name: p.name, comment: p.comment, arguments: [{ name: p.argument.name, type: d.type(p.argument.type) }], returnDataType: d.type(p.argument.type), body: p.body(d, p.argument.name) },
            inSchema(p.schema),
          ),
        );
      }
    }

    // Shared warehouses, each with its monitor; tagged as shared.
    const warehouses: MonitoredWarehouse[] = [];
    for (const w of SHARED_WAREHOUSES) {
      const m = SHARED_MONITORS.find((x) => x.name === w.resourceMonitor);
      if (!m) throw new pulumi.ResourceError(`warehouse ${w.name}: monitor ${w.resourceMonitor} is not among SHARED_MONITORS`, this);
      const mw = new MonitoredWarehouse(
        `${name}-${w.name.toLowerCase().replaceAll("_", "-")}`,
        { warehouse: w, monitor: m, startTimestamp: args.monitorStartTimestamp, database: db, tenantTag: SHARED_TENANT, costCenter: args.costCenter, tagDependsOn: TAGS.map((t) => dep(qualifiedName(t))) },
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

    // Tables. Execute runs statements as they are rendered, so attachments and seeds stay the renderer's.
    const attachDeps = [dep(qualifiedName(rap)), dep(qualifiedName(mask))];
    const runStatements = (owner: string, o: TableDef | (typeof DYNAMIC_TABLES)[number], kinds: readonly string[], after: pulumi.Resource[]) => {
      snowflakeStatements(o)
        .filter((s) => kinds.includes(s.kind))
        .forEach((s, i) => {
          new snowflake.Execute(
            `${name}-${s.kind}-${slug(owner)}-${i}`,
            // A seed has no revert of its own: the table is the definition's, emptied on delete.
            { execute: s.sql, revert: s.revert ?? `DELETE FROM ${qualifiedName(o)}` },
            { parent: this, dependsOn: after },
          );
        });
    };
    for (const t of TABLES) {
      const qn = qualifiedName(t);
      let table: pulumi.Resource;
      if (t.transient) {
        // The provider's Table has no TRANSIENT option; the rendered CREATE is run as is.
        const create = snowflakeStatements(t).find((s) => s.kind === "create")!;
        table = new snowflake.Execute(`${name}-table-${slug(qn)}`, { execute: create.sql, revert: create.revert! }, inSchema(t.schema));
      } else {
        table = new snowflake.Table(
          `${name}-table-${slug(qn)}`,
          {
            database: db,
            schema: t.schema,
            name: t.name,
            comment: t.comment,
            columns: t.columns.map((c) => ({ name: c.name, type: d.type(c.type), nullable: c.nullable !== false, comment: c.comment })),
            ...(t.clusterBy ? { clusterBies: [...t.clusterBy] } : {}),
            ...(t.appendOnly ? { changeTracking: true } : {}),
          },
          inSchema(t.schema),
        );
      }
      objects.set(qn, table);
      runStatements(qn, t, ["seed"], [table]);
      runStatements(qn, t, ["attach"], [table, ...attachDeps]);
    }

    for (const s of STREAMS) {
      objects.set(
        qualifiedName(s),
        new snowflake.StreamOnTable(
          `${name}-stream-${slug(qualifiedName(s))}`,
          { database: db, schema: s.schema, name: s.name, comment: s.comment, table: fqn(db, ...s.on.split(".")), appendOnly: s.appendOnly ? "true" : "false" },
          { parent: this, dependsOn: [schemas.get(s.schema)!, dep(s.on)] },
        ),
      );
    }

    for (const t of DYNAMIC_TABLES) {
      const qn = qualifiedName(t);
      const dt = new snowflake.DynamicTable(
        `${name}-dynamic-table-${slug(qn)}`,
        {
          database: db,
          schema: t.schema,
          name: t.name,
          comment: t.comment,
          query: t.query(d, FULL_SCOPE),
          warehouse: t.warehouse,
          targetLag: targetLag(t.targetLag),
          refreshMode: "AUTO",
          initialize: "ON_CREATE",
        },
        { parent: this, dependsOn: [schemas.get(t.schema)!, warehouseDep(t.warehouse), ...t.dependsOn.map(dep)] },
      );
      objects.set(qn, dt);
      runStatements(qn, t, ["attach"], [dt, ...attachDeps]);
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
            ...(t.whenStreamHasData?.length ? { when: t.whenStreamHasData.map((s) => `SYSTEM$STREAM_HAS_DATA(${quoteString(s)})`).join(" OR ") } : {}),
            sqlStatement: taskBody(t),
            started: true,
          },
          { parent: this, dependsOn: [schemas.get(t.schema)!, warehouseDep(t.warehouse), ...(t.after ?? []).map(dep), ...streams.map(dep), ...allTables] },
        ),
      );
    }

    this.objects = objects;
    this.databaseName = database.name;
    this.warehouseNames = pulumi.all(warehouses.map((w) => w.warehouseName));
    this.registerOutputs({ databaseName: this.databaseName, warehouseNames: this.warehouseNames });
  }
}
