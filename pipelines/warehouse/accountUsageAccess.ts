/**
 * Who may read the twin's SNOWFLAKE.ACCOUNT_USAGE views, decided as Snowflake decides it: a role
 * reads a view when it holds a SNOWFLAKE database role with SELECT on it (the views each role may
 * read: pipelines/definitions/grants.ts, accountUsageReadableBy). The refusals are Snowflake's:
 * - a role holding no SNOWFLAKE database role cannot use the schema at all: `Schema
 *   'SNOWFLAKE.ACCOUNT_USAGE' does not exist or not authorized.` (002003, SQLSTATE 02000; the
 *   database is visible to every role, so it is the schema that is refused);
 * - a role holding some, asking for a view none of them covers: `Object
 *   'SNOWFLAKE.ACCOUNT_USAGE.<VIEW>' does not exist or not authorized.`;
 * - a schema of SNOWFLAKE the twin does not have (CORE, ORGANIZATION_USAGE, ...): the schema refusal.
 *
 * Tenant and reporting sessions get this through the tenant guard's relation check (every relation
 * of a parsed SELECT); the hub's own roles, whose sessions run any statement unparsed, through
 * `checkAccountUsageText` below.
 */
import { SQL_ERRORS } from "./errors.ts";
import { ACCOUNT_USAGE_SCHEMA, ACCOUNT_USAGE_VIEW_NAMES, SNOWFLAKE_DATABASE } from "../definitions/accountUsageViews.ts";

/** The DuckDB catalog the twin attaches the views in (pipelines/engine/accountUsage.ts). */
export const ACCOUNT_USAGE_CATALOG = "snowflake";

/** Throws Snowflake's refusal unless `role`'s readable views include SNOWFLAKE.`schema`.`view`. */
export function checkAccountUsageRelation(schema: string, view: string | null, readable: ReadonlySet<string>, sql: string): void {
  const s = schema.toUpperCase();
  if (s !== ACCOUNT_USAGE_SCHEMA || readable.size === 0) throw SQL_ERRORS.schemaDoesNotExist(`${SNOWFLAKE_DATABASE}.${s}`, sql);
  if (view === null) return;
  const v = view.toUpperCase();
  if (!readable.has(v)) throw SQL_ERRORS.objectDoesNotExist(`${SNOWFLAKE_DATABASE}.${s}.${v}`, sql);
}

/** `SNOWFLAKE . ACCOUNT_USAGE [. VIEW]`, each part quoted or not, anywhere in a statement's text. */
const REFERENCE = /(?:"?\bsnowflake\b"?\s*\.\s*)?"?\b(account_usage)\b"?(?:\s*\.\s*"?([A-Za-z_][A-Za-z0-9_$]*)"?)?/gi;

/**
 * For sessions that run statements unparsed (the hub's own roles): every reference to the usage
 * views in the text must be one the role may read. Conservative by design: a mention inside a
 * string literal counts too, which only ever refuses, never admits. A role that reads every view
 * needs no look.
 */
export function checkAccountUsageText(sql: string, readable: ReadonlySet<string>): void {
  if (readable.size === ACCOUNT_USAGE_VIEW_NAMES.length || !/account_usage/i.test(sql)) return;
  for (const m of sql.matchAll(REFERENCE)) checkAccountUsageRelation(m[1]!, m[2] ?? null, readable, sql);
}
