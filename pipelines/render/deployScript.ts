/**
 * The whole deploy, in dependency order, for one dialect: what `scripts/objects.ts` prints and
 * what a reviewer reads before `pulumi up`.
 */
import type { DialectName } from "../dialect/index.ts";
import { ALL_OBJECTS, TASKS, objectName } from "../definitions/catalog.ts";
import { TENANT_GRANTS } from "../definitions/grants.ts";
import { SCHEMAS, type ObjectDef } from "../definitions/types.ts";
import { resumeTasksSql, snowflakeStatements } from "./snowflakeDdl.ts";
import { duckdbStatements, secureCatalogStatements } from "./duckdbDdl.ts";
import { CONTROL_TABLES_DDL } from "../engine/controlTables.ts";
import type { Statement } from "./statement.ts";

export function statementsFor(dialect: DialectName, o: ObjectDef): Statement[] {
  return dialect === "snowflake" ? snowflakeStatements(o) : duckdbStatements(o);
}

/** Every statement of a deploy (or of the named objects), in order. */
export function deployScript(dialect: DialectName, only?: readonly ObjectDef[]): Statement[] {
  const objects = only ?? ALL_OBJECTS;
  const out: Statement[] = [];
  if (!only) {
    if (dialect === "duckdb") for (const sql of CONTROL_TABLES_DDL) out.push({ object: "HUB_LOCAL", kind: "local", sql });
    for (const s of SCHEMAS) out.push({ object: s, kind: "schema", sql: `CREATE SCHEMA IF NOT EXISTS ${s}` });
  }
  for (const o of objects) out.push(...statementsFor(dialect, o));
  if (!only && dialect === "snowflake") out.push(...resumeTasksSql(TASKS));
  if (!only && dialect === "duckdb") out.push(...secureCatalogStatements("hub_secure", "hub", TENANT_GRANTS));
  return out;
}

export function formatScript(statements: readonly Statement[]): string {
  let last = "";
  const parts: string[] = [];
  for (const s of statements) {
    if (s.object !== last) parts.push(`\n-- ${s.object}`);
    last = s.object;
    parts.push(`${s.sql};`);
  }
  return parts.join("\n").trim() + "\n";
}

export { objectName };
