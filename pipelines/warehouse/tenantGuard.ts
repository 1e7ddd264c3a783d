/**
 * What a tenant-role session may run on the embedded engine: one read-only SELECT whose every
 * relation is a view the role is granted (pipelines/definitions/grants.ts) or a CTE the statement
 * defines before it is used, and whose every function is on the tenant allowlist
 * (tenantFunctions.ts). DuckDB parses the statement (`json_serialize_sql`) and this module walks
 * the tree. It is an allowlist throughout: a relation, function, expression or node kind it does
 * not know is refused, so a DuckDB feature added later is refused until someone allows it here.
 *
 * Snowflake enforces the same through grants (a tenant role has SELECT on the granted objects and
 * nothing else), and the errors are Snowflake's. Behind this check, the warehouse instance has no
 * file access at all (embeddedEngine.ts, openWarehouseInstance): a quoted path in FROM is a DuckDB
 * replacement scan, refused here as an object that does not exist, and refused there again.
 */
import { HubSqlError, SQL_ERRORS } from "./errors.ts";
import { TENANT_FUNCTIONS, TENANT_TABLE_FUNCTIONS } from "./tenantFunctions.ts";
import { ACCOUNT_USAGE_CATALOG, checkAccountUsageRelation } from "./accountUsageAccess.ts";

export interface GuardContext {
  /** The catalog holding the secure views; a name may be qualified with it. */
  readonly secureCatalog: string;
  /** `SCHEMA.NAME` (upper case) of every view the role may read. */
  readonly granted: ReadonlySet<string>;
  /** The schema an unqualified name resolves in (`USE SCHEMA`), if any. */
  readonly currentSchema?: string | null;
  /** The SNOWFLAKE.ACCOUNT_USAGE views the role may read (accountUsageAccess.ts); default none. */
  readonly accountUsage?: ReadonlySet<string>;
}

type Node = Record<string, unknown>;

/** Expression classes of DuckDB's parse tree that read nothing by themselves. */
const EXPRESSION_CLASSES = new Set([
  "CONSTANT", "COLUMN_REF", "FUNCTION", "WINDOW", "CAST", "CASE", "COMPARISON", "CONJUNCTION", "OPERATOR", "SUBQUERY", "STAR",
  "PARAMETER", "COLLATE", "LAMBDA", "LAMBDA_REF", "BETWEEN", "POSITIONAL_REFERENCE",
]);
/** Query nodes: their relations and expressions are walked. */
const QUERY_NODES = new Set(["SELECT_NODE", "SET_OPERATION_NODE", "RECURSIVE_CTE_NODE", "CTE_NODE"]);
/** Table references handled below; any other kind is refused. */
const TABLE_REFS = new Set(["BASE_TABLE", "JOIN", "SUBQUERY", "EXPRESSION_LIST", "EMPTY", "TABLE_FUNCTION", "SHOW_REF", "PIVOT"]);

export const GUARD_ERRORS = {
  /** Snowflake's answer to a request holding more statements than it asked for. */
  statementCount: (n: number, sql: string) =>
    new HubSqlError("000008", "0A000", `Actual statement count ${n} did not match the desired statement count 1.`, sql),
  unknownFunction: (name: string, sql: string) => new HubSqlError("002140", "42601", `SQL compilation error:\nUnknown function ${name.toUpperCase()}`, sql),
  unsupported: (what: string, sql: string) => new HubSqlError("000002", "0A000", `Unsupported feature '${what}'.`, sql),
};

/** Throws a Snowflake-shaped error unless the parsed statement stays within the role's grants. */
export function checkTenantStatement(parsedJson: string, sql: string, ctx: GuardContext): void {
  const parsed = JSON.parse(parsedJson) as { error: boolean; error_type?: string; error_message?: string; statements?: unknown[] };
  if (parsed.error) {
    // json_serialize_sql accepts SELECT only; anything else is a write, DDL, a setting, PRAGMA,
    // ATTACH, COPY, EXPORT, INSTALL, LOAD or CALL, none of which a tenant may run.
    const msg = parsed.error_message ?? "";
    if (/only SELECT statements/i.test(msg)) throw SQL_ERRORS.notAuthorized("a non-SELECT statement (tenant roles are read-only)", sql);
    throw SQL_ERRORS.syntaxError(msg.replace(/^Parser Error: /, ""), sql);
  }
  const statements = parsed.statements ?? [];
  if (statements.length !== 1) throw GUARD_ERRORS.statementCount(statements.length, sql);
  new Walk(sql, ctx).node(statements[0], new Set());
}

/**
 * A function named as DuckDB's built-ins are: unqualified, or in `system.main` (the parser itself
 * qualifies some, e.g. a list literal inside a table function's arguments becomes
 * `main.list_value`). A tenant can define no function of its own, and the secure catalog's `main`
 * schema holds none, so the name alone then decides.
 */
function builtIn(catalog: unknown, schema: unknown): boolean {
  return ["", "system"].includes(String(catalog ?? "").toLowerCase()) && ["", "main"].includes(String(schema ?? "").toLowerCase());
}

class Walk {
  constructor(
    private readonly sql: string,
    private readonly ctx: GuardContext,
  ) {}

  /** Any value of the tree, with the CTE names in scope where it sits. */
  node(value: unknown, ctes: ReadonlySet<string>): void {
    if (Array.isArray(value)) {
      for (const v of value) this.node(v, ctes);
      return;
    }
    if (!value || typeof value !== "object") return;
    const n = value as Node;
    const scope = this.withCtes(n, ctes);
    if (typeof n.class === "string") this.expression(n);
    else if (typeof n.type === "string") this.typed(n, scope);
    for (const [k, v] of Object.entries(n)) {
      if (k === "cte_map") continue; // walked by withCtes, each body with its own scope
      if (n.type === "TABLE_FUNCTION" && k === "function") {
        // The table function itself was checked in `typed`; its arguments are walked here.
        this.node((v as Node).children, scope);
        continue;
      }
      this.node(v, scope);
    }
  }

  /**
   * The CTEs a query node defines, in order: each body sees the CTEs before it and itself (a
   * recursive CTE), the rest of the node sees them all. A name is a CTE only where DuckDB binds it
   * as one; a later sibling's name inside an earlier body would fall through to the catalog.
   */
  private withCtes(n: Node, outer: ReadonlySet<string>): ReadonlySet<string> {
    const map = (n.cte_map as { map?: Array<{ key: string; value: unknown }> } | undefined)?.map;
    if (!map?.length) return outer;
    const scope = new Set(outer);
    for (const { key, value } of map) {
      scope.add(key.toUpperCase());
      this.node(value, new Set(scope));
    }
    return scope;
  }

  private expression(n: Node): void {
    const cls = String(n.class);
    if (!EXPRESSION_CLASSES.has(cls)) throw GUARD_ERRORS.unsupported(`${cls} expressions`, this.sql);
    if (cls === "FUNCTION" || cls === "WINDOW") {
      const name = String(n.function_name ?? "");
      if (!builtIn(n.catalog, n.schema) || !TENANT_FUNCTIONS.has(name.toLowerCase())) {
        throw GUARD_ERRORS.unknownFunction([n.catalog, n.schema, name].filter((p) => p !== "" && p != null).join("."), this.sql);
      }
    }
  }

  private typed(n: Node, ctes: ReadonlySet<string>): void {
    const type = String(n.type);
    if (TABLE_REFS.has(type)) return this.tableRef(n, ctes);
    if (QUERY_NODES.has(type)) return;
    // Parts of a node rather than nodes: ORDER BY / LIMIT / DISTINCT modifiers, sort orders, type
    // parameters of a CAST.
    if (/_MODIFIER$/.test(type) || /^(ORDER_DEFAULT|ASCENDING|DESCENDING)$/.test(type) || /_TYPE_INFO$/.test(type)) return;
    throw GUARD_ERRORS.unsupported(type, this.sql);
  }

  private tableRef(n: Node, ctes: ReadonlySet<string>): void {
    switch (n.type) {
      case "BASE_TABLE":
        return this.relation(String(n.catalog_name ?? ""), String(n.schema_name ?? ""), String(n.table_name ?? ""), ctes);
      case "TABLE_FUNCTION": {
        const fn = (n.function ?? {}) as Node;
        const name = String(fn.function_name ?? "");
        if (!builtIn(fn.catalog, fn.schema) || !TENANT_TABLE_FUNCTIONS.has(name.toLowerCase())) {
          throw SQL_ERRORS.notAuthorized(`table function ${name.toUpperCase()} (tenant roles read granted views only)`, this.sql);
        }
        return;
      }
      case "SHOW_REF":
        // DESCRIBE and SUMMARIZE of a query are that query (walked as a child); SHOW TABLES,
        // SHOW DATABASES and the like list the catalog.
        if (n.query == null) throw GUARD_ERRORS.unsupported(`SHOW ${String(n.table_name ?? "").replaceAll('"', "").toUpperCase()}`, this.sql);
        return;
      default:
        return; // JOIN, SUBQUERY, EXPRESSION_LIST, EMPTY, PIVOT: their parts are walked
    }
  }

  /** A name in FROM: a CTE in scope, or a granted view (optionally in the secure catalog). */
  private relation(catalog: string, schema: string, table: string, ctes: ReadonlySet<string>): void {
    const shown = [catalog, schema, table].filter((p) => p !== "").join(".").toUpperCase();
    if (catalog === "" && schema === "" && ctes.has(table.toUpperCase())) return;
    // An unqualified name resolves in the session's schema (and the session's connection uses it).
    if (catalog === "" && schema === "" && this.ctx.currentSchema && this.ctx.granted.has(`${this.ctx.currentSchema}.${table}`.toUpperCase())) return;
    // The shared SNOWFLAKE database: its usage views, as the role's SNOWFLAKE database roles allow.
    if (catalog.toLowerCase() === ACCOUNT_USAGE_CATALOG) return checkAccountUsageRelation(schema || "PUBLIC", table, this.ctx.accountUsage ?? new Set(), this.sql);
    if (catalog !== "" && catalog.toLowerCase() !== this.ctx.secureCatalog.toLowerCase()) throw SQL_ERRORS.objectDoesNotExist(shown, this.sql);
    if (schema === "" || !this.ctx.granted.has(`${schema}.${table}`.toUpperCase())) throw SQL_ERRORS.objectDoesNotExist(shown, this.sql);
  }
}
