/**
 * Definitions → DuckDB DDL for the embedded engine. Tables and dynamic tables become tables;
 * streams become views over the table past a stored offset; policies become macros and the
 * attachment becomes a secure view that tenant sessions read instead of the table; tasks,
 * warehouses and monitors are registered in the engine's control tables (`HUB_LOCAL`).
 */
import { duckdbDialect as d, quoteString } from "../dialect/index.ts";
import {
  TENANT_COLUMN,
  qualifiedName,
  type DynamicTableDef,
  type MaskingPolicyDef,
  type ObjectDef,
  type ResourceMonitorDef,
  type RowAccessPolicyDef,
  type StreamDef,
  type TableDef,
  type TaskDef,
  type WarehouseDef,
} from "../definitions/types.ts";
import { PII_MASK, TENANT_ISOLATION, TENANT_MAP } from "../definitions/governance.ts";
import type { TenantGrant } from "../definitions/grants.ts";
import { seedInsert } from "./snowflakeDdl.ts";
import type { Statement } from "./statement.ts";
import { CONTROL_SCHEMA } from "../engine/controlTables.ts";

function commentsOn(kind: "TABLE" | "VIEW", name: string, o: { comment: string; columns?: TableDef["columns"] }): string[] {
  const out = [`COMMENT ON ${kind} ${name} IS ${quoteString(o.comment)}`];
  for (const c of o.columns ?? []) out.push(`COMMENT ON COLUMN ${name}.${c.name} IS ${quoteString(c.comment)}`);
  return out;
}

/**
 * DuckDB picks each column's encoding when a row group is written (at commit for a big insert, at
 * checkpoint otherwise) by trying every encoding on the data. For silver's ~430k rows a step that
 * trial was a fifth of the commit; for a low-cardinality column dictionary encoding always wins it,
 * and for bronze's payloads FSST does (skipping the dictionary's trial took a quarter off the
 * checkpoint of a day's bronze).
 */
function columnSql(c: TableDef["columns"][number]): string {
  const text = c.type === "varchar" || c.type === "json";
  const storage = text && c.cardinality ? ` USING COMPRESSION ${c.cardinality === "low" ? "dictionary" : "fsst"}` : "";
  return `  "${c.name}" ${d.type(c.type)}${c.nullable === false ? " NOT NULL" : ""}${storage}`;
}

function createTable(name: string, cols: TableDef["columns"], replace: boolean): string {
  const body = cols.map(columnSql).join(",\n");
  return `${replace ? "CREATE OR REPLACE TABLE" : "CREATE TABLE IF NOT EXISTS"} ${name} (\n${body}\n)`;
}

function table(t: TableDef): Statement[] {
  const name = qualifiedName(t);
  const out: Statement[] = [
    { object: name, kind: "create", sql: createTable(name, t.columns, Boolean(t.seed)), revert: `DROP TABLE IF EXISTS ${name}` },
    ...commentsOn("TABLE", name, t).map((sql) => ({ object: name, kind: "create" as const, sql })),
  ];
  const seed = seedInsert(t);
  if (seed) out.push({ object: name, kind: "seed", sql: seed });
  return out;
}

/**
 * A stream is a view of the rows appended after its offset. Tables with streams are append-only,
 * so DuckDB's rowid only grows (rowids are assigned at commit, in commit order).
 */
export function streamViewSql(s: StreamDef): string {
  const name = qualifiedName(s);
  return (
    `CREATE OR REPLACE VIEW ${name} AS SELECT src.*, 'INSERT' AS "METADATA$ACTION", FALSE AS "METADATA$ISUPDATE", ` +
    `src.rowid AS "METADATA$ROW_ID" FROM ${s.on} src WHERE src.rowid > ` +
    `(SELECT offset_rowid FROM ${CONTROL_SCHEMA}.STREAM_OFFSETS WHERE stream_name = ${quoteString(name)})`
  );
}

function stream(s: StreamDef): Statement[] {
  const name = qualifiedName(s);
  return [
    {
      object: name,
      kind: "local",
      // Like Snowflake, a new stream starts at the table's current end, not its beginning.
      sql:
        `INSERT INTO ${CONTROL_SCHEMA}.STREAM_OFFSETS (stream_name, table_name, offset_rowid) ` +
        `SELECT ${quoteString(name)}, ${quoteString(s.on)}, COALESCE(MAX(rowid), -1) FROM ${s.on} ON CONFLICT DO NOTHING`,
    },
    { object: name, kind: "create", sql: streamViewSql(s), revert: `DROP VIEW IF EXISTS ${name}` },
  ];
}

/** Target lag in seconds; DOWNSTREAM (refresh only when a consumer needs it) has none. */
export function targetLagSeconds(lag: string): number | null {
  if (lag.toUpperCase() === "DOWNSTREAM") return null;
  const m = /^\s*(\d+)\s*(second|minute|hour|day)s?\s*$/i.exec(lag);
  if (!m) throw new Error(`target lag ${JSON.stringify(lag)} is not "<n> seconds|minutes|hours|days" or DOWNSTREAM`);
  const unit = { second: 1, minute: 60, hour: 3600, day: 86400 }[m[2]!.toLowerCase() as "second"];
  return Number(m[1]) * unit;
}

function dynamicTable(t: DynamicTableDef): Statement[] {
  const name = qualifiedName(t);
  return [
    { object: name, kind: "create", sql: createTable(name, t.columns, false), revert: `DROP TABLE IF EXISTS ${name}` },
    ...commentsOn("TABLE", name, t).map((sql) => ({ object: name, kind: "create" as const, sql })),
    {
      object: name,
      kind: "local",
      sql:
        `INSERT INTO ${CONTROL_SCHEMA}.DYNAMIC_TABLES (name, target_lag_s, warehouse, refresh_mode, source_name, source_rowid) VALUES ` +
        `(${quoteString(name)}, ${targetLagSeconds(t.targetLag) ?? "NULL"}, ${quoteString(t.warehouse)}, ` +
        `${quoteString(t.incremental ? "INCREMENTAL" : "FULL")}, ${t.incremental ? quoteString(t.incremental.source) : "NULL"}, -1) ` +
        `ON CONFLICT (name) DO UPDATE SET target_lag_s = excluded.target_lag_s, warehouse = excluded.warehouse, ` +
        `refresh_mode = excluded.refresh_mode, source_name = excluded.source_name`,
    },
  ];
}

function task(t: TaskDef): Statement[] {
  const name = qualifiedName(t);
  const register: Statement = {
    object: name,
    kind: "local",
    sql:
      `INSERT INTO ${CONTROL_SCHEMA}.TASKS (name, warehouse, schedule, after, state) VALUES (${quoteString(name)}, ` +
      `${quoteString(t.warehouse)}, ${t.schedule ? quoteString(t.schedule) : "NULL"}, ${quoteString((t.after ?? []).join(","))}, 'started') ` +
      `ON CONFLICT (name) DO UPDATE SET warehouse = excluded.warehouse, schedule = excluded.schedule, after = excluded.after`,
  };
  // The body is run by the engine's scheduler in one transaction; shown here for review.
  const when = t.whenStreamHasData?.length ? ` when ${t.whenStreamHasData.join(" or ")} has data` : "";
  const header = `-- task ${name}: ${t.schedule ? `every ${t.schedule}` : `after ${(t.after ?? []).join(", ")}`}${when}, in one transaction on ${t.warehouse}`;
  return [register, ...t.body(d).map((sql, i) => ({ object: name, kind: "preview" as const, sql: i === 0 ? `${header}\n${sql}` : sql }))];
}

function policyMacro(p: RowAccessPolicyDef | MaskingPolicyDef): Statement[] {
  const name = qualifiedName(p);
  return [
    {
      object: name,
      kind: "create",
      sql: `CREATE OR REPLACE MACRO ${name}(${p.argument.name}) AS (${p.body(d, p.argument.name)})`,
      revert: `DROP MACRO IF EXISTS ${name}`,
    },
  ];
}

function warehouse(w: WarehouseDef): Statement[] {
  return [
    {
      object: w.name,
      kind: "local",
      sql:
        `INSERT INTO ${CONTROL_SCHEMA}.WAREHOUSES (name, size, auto_suspend_s, auto_resume, state, resource_monitor) VALUES ` +
        `(${quoteString(w.name)}, ${quoteString(w.size)}, ${w.autoSuspendSeconds}, ${w.autoResume}, ` +
        `${quoteString(w.initiallySuspended ? "SUSPENDED" : "STARTED")}, ${quoteString(w.resourceMonitor)}) ` +
        `ON CONFLICT (name) DO UPDATE SET size = excluded.size, auto_suspend_s = excluded.auto_suspend_s, ` +
        `auto_resume = excluded.auto_resume, resource_monitor = excluded.resource_monitor`,
    },
  ];
}

function resourceMonitor(m: ResourceMonitorDef): Statement[] {
  return [
    {
      object: m.name,
      kind: "local",
      sql:
        `INSERT INTO ${CONTROL_SCHEMA}.RESOURCE_MONITORS (name, credit_quota, frequency, notify_at, suspend_at, suspend_immediate_at) VALUES ` +
        `(${quoteString(m.name)}, ${m.creditQuota}, ${quoteString(m.frequency)}, ${quoteString(m.notifyAt.join(","))}, ${m.suspendAt}, ${m.suspendImmediateAt}) ` +
        `ON CONFLICT (name) DO UPDATE SET credit_quota = excluded.credit_quota, frequency = excluded.frequency, ` +
        `notify_at = excluded.notify_at, suspend_at = excluded.suspend_at, suspend_immediate_at = excluded.suspend_immediate_at`,
    },
  ];
}

/** The DuckDB statements for one object, in order. */
export function duckdbStatements(o: ObjectDef): Statement[] {
  switch (o.kind) {
    case "table":
      return table(o);
    case "stream":
      return stream(o);
    case "dynamic_table":
      return dynamicTable(o);
    case "task":
      return task(o);
    case "row_access_policy":
    case "masking_policy":
      return policyMacro(o);
    case "tag":
      // Tags have no local behaviour beyond their references (recorded by the engine).
      return [];
    case "warehouse":
      return warehouse(o);
    case "resource_monitor":
      return resourceMonitor(o);
  }
}

/**
 * The secure catalog tenant sessions read: one view per object granted to tenants
 * (definitions/grants.ts), with the same schema and name as in the data catalog, applying the row
 * access policy and the masking policy exactly where Snowflake would apply them. Nothing else a
 * tenant could name is in it: the governance map and the policy macros the views call sit in its
 * GOVERNANCE schema, which no tenant is granted, and the tenant guard refuses every other name.
 */
export function secureCatalogStatements(secure: string, data: string, grants: readonly TenantGrant[]): Statement[] {
  const out: Statement[] = [];
  const schemas = new Set<string>(grants.map((g) => g.object.schema));
  schemas.add("GOVERNANCE");
  for (const s of schemas) out.push({ object: `${secure}.${s}`, kind: "schema", sql: `CREATE SCHEMA IF NOT EXISTS ${secure}.${s}` });
  const role = d.currentRole();
  out.push({
    object: `${secure}.${qualifiedName(TENANT_MAP)}`,
    kind: "create",
    sql: `CREATE OR REPLACE VIEW ${secure}.${qualifiedName(TENANT_MAP)} AS SELECT * FROM ${data}.${qualifiedName(TENANT_MAP)} WHERE role_name = ${role}`,
  });
  for (const p of [TENANT_ISOLATION, PII_MASK]) {
    out.push({
      object: `${secure}.${qualifiedName(p)}`,
      kind: "create",
      sql: `CREATE OR REPLACE MACRO ${secure}.${qualifiedName(p)}(${p.argument.name}) AS (${p.body(d, p.argument.name)})`,
    });
  }
  for (const g of grants) {
    const o = g.object;
    const cols = o.columns
      .map((c) => (c.pii ? `GOVERNANCE.${PII_MASK.name}(t."${c.name}") AS "${c.name}"` : `t."${c.name}"`))
      .join(", ");
    const where = g.scope === "tenant rows" ? ` WHERE GOVERNANCE.${TENANT_ISOLATION.name}(t.${TENANT_COLUMN})` : "";
    out.push({
      object: `${secure}.${g.name}`,
      kind: "create",
      sql: `CREATE OR REPLACE VIEW ${secure}.${g.name} AS SELECT ${cols} FROM ${data}.${g.name} t${where}`,
    });
  }
  return out;
}
