/**
 * Definitions → Snowflake DDL. The Pulumi program provisions from the same statements (as
 * provider resources or, where the provider has none, as `Execute` with the revert SQL here).
 */
import { snowflakeDialect as d, quoteString } from "../dialect/index.ts";
import {
  FULL_SCOPE,
  TENANT_COLUMN,
  hasTenantColumn,
  qualifiedName,
  type DynamicTableDef,
  type MaskingPolicyDef,
  type ObjectDef,
  type ResourceMonitorDef,
  type RowAccessPolicyDef,
  type SeedValue,
  type StreamDef,
  type TableDef,
  type TagDef,
  type TaskDef,
  type WarehouseDef,
} from "../definitions/types.ts";
import { PII_MASK, TENANT_ISOLATION } from "../definitions/governance.ts";
import type { Statement } from "./statement.ts";
import { qualifyNames } from "./qualify.ts";

function comment(text: string): string {
  return `COMMENT = ${quoteString(text)}`;
}

function columnList(cols: TableDef["columns"]): string {
  return cols
    .map((c) => `  ${c.name} ${d.type(c.type)}${c.nullable === false ? " NOT NULL" : ""} COMMENT ${quoteString(c.comment)}`)
    .join(",\n");
}

export function seedValue(v: SeedValue): string {
  if (v === null) return "NULL";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "NULL";
  if (typeof v === "boolean") return v ? "TRUE" : "FALSE";
  return quoteString(v);
}

export function seedInsert(t: TableDef): string | undefined {
  const rows = t.seed?.();
  if (!rows || rows.length === 0) return undefined;
  const names = t.columns.map((c) => c.name);
  const values = rows.map((r) => `(${names.map((n) => seedValue(r[n] ?? null)).join(", ")})`);
  return `INSERT INTO ${qualifiedName(t)} (${names.join(", ")}) VALUES\n  ${values.join(",\n  ")}`;
}

function table(t: TableDef): Statement[] {
  const name = qualifiedName(t);
  // Reference tables are owned by the definition: replaced and reloaded on each deploy.
  const create = t.seed ? "CREATE OR REPLACE" : "CREATE";
  const ifNotExists = t.seed ? "" : " IF NOT EXISTS";
  const cluster = t.clusterBy ? `\nCLUSTER BY (${t.clusterBy.join(", ")})` : "";
  // Streams need change tracking; turning it on up front avoids a lock when the stream is made.
  const tracking = t.appendOnly ? "\nCHANGE_TRACKING = TRUE" : "";
  const out: Statement[] = [
    {
      object: name,
      kind: "create",
      sql: `${create}${t.transient ? " TRANSIENT" : ""} TABLE${ifNotExists} ${name} (\n${columnList(t.columns)}\n)${cluster}${tracking}\n${comment(t.comment)}`,
      revert: `DROP TABLE IF EXISTS ${name}`,
    },
  ];
  const seed = seedInsert(t);
  if (seed) out.push({ object: name, kind: "seed", sql: seed });
  return out;
}

/** The row access and masking policies attached to a table or dynamic table. */
function attachments(o: TableDef | DynamicTableDef, keyword: "TABLE" | "DYNAMIC TABLE"): Statement[] {
  const name = qualifiedName(o);
  const out: Statement[] = [];
  if (hasTenantColumn(o) && o.schema !== "GOVERNANCE") {
    const policy = qualifiedName(TENANT_ISOLATION);
    out.push({
      object: name,
      kind: "attach",
      sql: `ALTER ${keyword} ${name} ADD ROW ACCESS POLICY ${policy} ON (${TENANT_COLUMN})`,
      revert: `ALTER ${keyword} ${name} DROP ROW ACCESS POLICY ${policy}`,
    });
  }
  for (const c of o.columns.filter((c) => c.pii)) {
    out.push({
      object: name,
      kind: "attach",
      // FORCE replaces a policy already set, so a re-run of the deploy does not fail.
      sql: `ALTER ${keyword} ${name} MODIFY COLUMN ${c.name} SET MASKING POLICY ${qualifiedName(PII_MASK)} FORCE`,
      revert: `ALTER ${keyword} ${name} MODIFY COLUMN ${c.name} UNSET MASKING POLICY`,
    });
  }
  return out;
}

function stream(s: StreamDef): Statement[] {
  const name = qualifiedName(s);
  return [
    {
      object: name,
      kind: "create",
      sql: `CREATE STREAM IF NOT EXISTS ${name} ON TABLE ${s.on} APPEND_ONLY = TRUE ${comment(s.comment)}`,
      revert: `DROP STREAM IF EXISTS ${name}`,
    },
  ];
}

function dynamicTable(t: DynamicTableDef): Statement[] {
  const name = qualifiedName(t);
  return [
    {
      object: name,
      kind: "create",
      // The declared mode, never AUTO: AUTO resolves once, at creation, and falls back to FULL in
      // silence; a query INCREMENTAL cannot run fails here instead (definitions/types.ts RefreshMode).
      sql:
        `CREATE OR REPLACE DYNAMIC TABLE ${name}\n  TARGET_LAG = ${quoteString(t.targetLag)}\n  WAREHOUSE = ${t.warehouse}\n` +
        `  REFRESH_MODE = ${t.refreshMode.mode}\n  INITIALIZE = ON_CREATE\n  ${comment(t.comment)}\nAS\n${t.query(d, FULL_SCOPE)}`,
      revert: `DROP DYNAMIC TABLE IF EXISTS ${name}`,
    },
    ...attachments(t, "DYNAMIC TABLE"),
  ];
}

/**
 * Task body: one statement as is; several in a Snowflake Scripting block inside one transaction.
 * With `database`, every `SCHEMA.NAME` is written `DATABASE.SCHEMA.NAME` (see qualify.ts).
 */
export function taskBody(t: TaskDef, database?: string): string {
  const q = (s: string) => (typeof database === "string" ? qualifyNames(s, database) : s);
  const stmts = t.body(d).map(q);
  const setup = (t.setup?.(d) ?? []).map(q);
  if (stmts.length === 1 && setup.length === 0) return stmts[0]!;
  const indent = (s: string, by: string) => `${by}${s.replaceAll("\n", `\n${by}`)};`;
  // Setup (a scratch table's DDL) runs before BEGIN TRANSACTION: inside, DDL would commit it.
  const before = setup.map((s) => `${indent(s, "  ")}\n`).join("");
  const inner = stmts.map((s) => indent(s, "    ")).join("\n");
  return `EXECUTE IMMEDIATE $$\nBEGIN\n${before}  BEGIN TRANSACTION;\n${inner}\n  COMMIT;\nEND;\n$$`;
}

function task(t: TaskDef): Statement[] {
  const name = qualifiedName(t);
  // Clause order as documented: WAREHOUSE, SCHEDULE, …, COMMENT, AFTER, WHEN, AS
  // (https://docs.snowflake.com/en/sql-reference/sql/create-task).
  const schedule = t.schedule ? `  SCHEDULE = ${quoteString(t.schedule)}\n` : "";
  const after = t.after?.length ? `  AFTER ${t.after.join(", ")}\n` : "";
  const when = t.whenStreamHasData?.length
    ? `  WHEN ${t.whenStreamHasData.map((s) => `SYSTEM$STREAM_HAS_DATA(${quoteString(s)})`).join(" OR ")}\n`
    : "";
  return [
    {
      object: name,
      kind: "create",
      sql: `CREATE OR REPLACE TASK ${name}\n  WAREHOUSE = ${t.warehouse}\n${schedule}  ${comment(t.comment)}\n${after}${when}AS\n${taskBody(t)}`,
      revert: `DROP TASK IF EXISTS ${name}`,
    },
  ];
}

function rowAccessPolicy(p: RowAccessPolicyDef): Statement[] {
  const name = qualifiedName(p);
  return [
    {
      object: name,
      kind: "create",
      sql:
        `CREATE ROW ACCESS POLICY IF NOT EXISTS ${name} AS (${p.argument.name} ${d.type(p.argument.type)}) RETURNS BOOLEAN ->\n  ` +
        `${p.body(d, p.argument.name)}\n  ${comment(p.comment)}`,
      revert: `DROP ROW ACCESS POLICY IF EXISTS ${name}`,
    },
  ];
}

function maskingPolicy(p: MaskingPolicyDef): Statement[] {
  const name = qualifiedName(p);
  const type = d.type(p.argument.type);
  return [
    {
      object: name,
      kind: "create",
      sql: `CREATE MASKING POLICY IF NOT EXISTS ${name} AS (${p.argument.name} ${type}) RETURNS ${type} ->\n  ${p.body(d, p.argument.name)}\n  ${comment(p.comment)}`,
      revert: `DROP MASKING POLICY IF EXISTS ${name}`,
    },
  ];
}

function tag(t: TagDef): Statement[] {
  const name = qualifiedName(t);
  const allowed = t.allowedValues?.length ? ` ALLOWED_VALUES ${t.allowedValues.map(quoteString).join(", ")}` : "";
  return [{ object: name, kind: "create", sql: `CREATE TAG IF NOT EXISTS ${name}${allowed} ${comment(t.comment)}`, revert: `DROP TAG IF EXISTS ${name}` }];
}

function warehouse(w: WarehouseDef): Statement[] {
  return [
    {
      object: w.name,
      kind: "create",
      sql:
        `CREATE WAREHOUSE IF NOT EXISTS ${w.name} WITH WAREHOUSE_SIZE = '${w.size}' AUTO_SUSPEND = ${w.autoSuspendSeconds} ` +
        `AUTO_RESUME = ${w.autoResume ? "TRUE" : "FALSE"} INITIALLY_SUSPENDED = ${w.initiallySuspended ? "TRUE" : "FALSE"} ` +
        `RESOURCE_MONITOR = ${w.resourceMonitor} ${comment(w.comment)}`,
      revert: `DROP WAREHOUSE IF EXISTS ${w.name}`,
    },
  ];
}

// https://docs.snowflake.com/en/sql-reference/sql/create-resource-monitor
export function resourceMonitorSql(m: ResourceMonitorDef): string {
  const triggers = [
    ...m.notifyAt.map((p) => `ON ${p} PERCENT DO NOTIFY`),
    `ON ${m.suspendAt} PERCENT DO SUSPEND`,
    `ON ${m.suspendImmediateAt} PERCENT DO SUSPEND_IMMEDIATE`,
  ];
  return (
    `CREATE RESOURCE MONITOR IF NOT EXISTS ${m.name} WITH CREDIT_QUOTA = ${m.creditQuota} FREQUENCY = ${m.frequency} ` +
    `START_TIMESTAMP = IMMEDIATELY TRIGGERS ${triggers.join(" ")}`
  );
}

function resourceMonitor(m: ResourceMonitorDef): Statement[] {
  return [{ object: m.name, kind: "create", sql: resourceMonitorSql(m), revert: `DROP RESOURCE MONITOR IF EXISTS ${m.name}` }];
}

/**
 * The statements for one object as a deploy sends them: every name fully qualified
 * (`DATABASE.SCHEMA.NAME`), since a deploy session has no current database (see qualify.ts).
 */
export function qualifiedStatements(o: ObjectDef, database: string): Statement[] {
  return statementsOf(o).map((s) => ({ ...s, sql: qualifyNames(s.sql, database), ...(s.revert ? { revert: qualifyNames(s.revert, database) } : {}) }));
}

/** The Snowflake statements for one object, in order (`SCHEMA.NAME`, as the twin and the docs show them). */
export function snowflakeStatements(o: ObjectDef): Statement[] {
  return statementsOf(o);
}

function statementsOf(o: ObjectDef): Statement[] {
  switch (o.kind) {
    case "table":
      return [...table(o), ...attachments(o, "TABLE")];
    case "stream":
      return stream(o);
    case "dynamic_table":
      return dynamicTable(o);
    case "task":
      return task(o);
    case "row_access_policy":
      return rowAccessPolicy(o);
    case "masking_policy":
      return maskingPolicy(o);
    case "tag":
      return tag(o);
    case "warehouse":
      return warehouse(o);
    case "resource_monitor":
      return resourceMonitor(o);
  }
}

/**
 * Tasks are created suspended; a DAG is resumed leaves first, root last
 * (https://docs.snowflake.com/en/user-guide/tasks-graphs#resuming-tasks).
 */
export function resumeTasksSql(tasks: readonly TaskDef[]): Statement[] {
  return [...tasks].reverse().map((t) => ({
    object: qualifiedName(t),
    kind: "resume" as const,
    sql: `ALTER TASK ${qualifiedName(t)} RESUME`,
    revert: `ALTER TASK ${qualifiedName(t)} SUSPEND`,
  }));
}
