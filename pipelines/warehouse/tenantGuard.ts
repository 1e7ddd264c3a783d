/**
 * What a tenant-role session may run on the embedded engine: read-only SELECTs over the secure
 * catalog's views. DuckDB parses the statement (`json_serialize_sql`) and we walk its tree, so no
 * reference hides in a subquery. Snowflake enforces the same through grants (a tenant role has
 * SELECT on the analytics objects and nothing else).
 */
import { SQL_ERRORS } from "./errors.ts";

export interface GuardContext {
  readonly secureCatalog: string;
  readonly allowedSchemas: ReadonlySet<string>;
}

type Node = Record<string, unknown>;

function* walk(node: unknown): Generator<Node> {
  if (Array.isArray(node)) {
    for (const n of node) yield* walk(n);
  } else if (node && typeof node === "object") {
    yield node as Node;
    for (const v of Object.values(node)) yield* walk(v);
  }
}

/** Throws a Snowflake-shaped access error when the parsed statement reaches beyond the secure views. */
export function checkTenantStatement(parsedJson: string, sql: string, ctx: GuardContext): void {
  const parsed = JSON.parse(parsedJson) as { error: boolean; error_message?: string; statements?: unknown[] };
  if (parsed.error) {
    // json_serialize_sql only accepts SELECT; anything else is a write or DDL a tenant may not run.
    const msg = parsed.error_message ?? "";
    if (/only SELECT statements/i.test(msg)) throw SQL_ERRORS.notAuthorized("a non-SELECT statement (tenant roles are read-only)", sql);
    throw SQL_ERRORS.syntaxError(msg, sql);
  }
  for (const n of walk(parsed.statements)) {
    if (n.type === "TABLE_FUNCTION") throw SQL_ERRORS.notAuthorized("table functions (tenant roles read views only)", sql);
    if (n.type === "BASE_TABLE") {
      const catalog = String(n.catalog_name ?? "");
      const schema = String(n.schema_name ?? "").toUpperCase();
      const table = String(n.table_name ?? "");
      if (catalog !== "" && catalog.toLowerCase() !== ctx.secureCatalog.toLowerCase()) {
        throw SQL_ERRORS.objectDoesNotExist(`${catalog}.${schema}.${table}`.toUpperCase(), sql);
      }
      // A bare name may be a CTE; DuckDB resolves it or fails on its own.
      if (schema !== "" && !ctx.allowedSchemas.has(schema)) throw SQL_ERRORS.objectDoesNotExist(`${schema}.${table}`.toUpperCase(), sql);
    }
    if (n.class === "FUNCTION" && (String(n.catalog ?? "") !== "" || String(n.schema ?? "") !== "")) {
      const catalog = String(n.catalog ?? "");
      if (catalog !== "" && catalog.toLowerCase() !== ctx.secureCatalog.toLowerCase()) {
        throw SQL_ERRORS.notAuthorized(`function ${catalog}.${String(n.schema)}.${String(n.function_name)}`, sql);
      }
    }
  }
}
