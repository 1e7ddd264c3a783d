/**
 * SHOW and DESCRIBE on the twin, from its real state (the definitions, the engine's control tables,
 * the tenant map) with Snowflake's output columns, each filtered by what the session's role may
 * see: a tenant role sees the objects it is granted, its own warehouses and monitors, its own role.
 * Column lists follow Snowflake's documentation pages (linked at each), the columns the twin can
 * fill; a tenant does not learn a shared table's row count (Snowflake would show the total of every
 * tenant's rows, which is exactly what the isolation suites refuse).
 */
import type { EmbeddedEngine } from "../engine/embeddedEngine.ts";
import { CONTROL_SCHEMA } from "../engine/controlTables.ts";
import { SQL_ERRORS } from "../warehouse/errors.ts";
import { snowflakeDialect } from "../dialect/index.ts";
import { DYNAMIC_TABLES, STREAMS, TABLES, TASKS } from "../definitions/catalog.ts";
import { ALL_TENANT_ROLES, TENANT_MAP, tenantObjectOwner } from "../definitions/governance.ts";
import { PLATFORM_GRANTS, REPORTING_DATABASE_ROLES, REPORTING_ROLE, TENANT_GRANTS, TENANT_READABLE, TENANT_SCHEMAS, hubReach, monitoredDynamicTables, snowflakeDatabaseRole } from "../definitions/grants.ts";
import { FULL_SCOPE, SCHEMAS, qualifiedName, type DynamicTableDef, type TableDef } from "../definitions/types.ts";
import { UNSUPPORTED, type Translated } from "./snowflakeTranslator.ts";

const DATABASE = "HUB";

interface Who {
  readonly role: string;
  readonly schema: string | null;
}

type Table = { columns: string[]; rows: unknown[][] };

/** SQL's LIKE with Snowflake's SHOW semantics: case-insensitive, % and _. */
function likeMatcher(pattern: string | null): (name: string) => boolean {
  if (pattern === null) return () => true;
  const re = new RegExp(`^${pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replaceAll("%", ".*").replaceAll("_", ".")}$`, "is");
  return (name) => re.test(name);
}

export async function showOrDescribe(engine: EmbeddedEngine, t: Extract<Translated, { kind: "show" | "describe" }>, who: Who): Promise<Table> {
  const seesAll = (ALL_TENANT_ROLES as readonly string[]).includes(who.role);
  const tenants = seesAll ? null : (await engine.control<{ tenant_id: string }>(`SELECT DISTINCT tenant_id FROM ${qualifiedName(TENANT_MAP)} WHERE role_name = '${who.role.replaceAll("'", "''")}'`)).map((r) => r.tenant_id);
  const reach = hubReach(who.role);
  const visible = (qualified: string) => seesAll || (reach === "tenant grants" && TENANT_READABLE.has(qualified));
  const schemas: readonly string[] = seesAll ? SCHEMAS : reach === "tenant grants" ? TENANT_SCHEMAS : [];
  // HUB_REPORTING holds MONITOR on every warehouse and monitor of the hub (grants.ts, reportingGrantsOn).
  const ownedByRole = (name: string) => seesAll || who.role === REPORTING_ROLE || tenantObjectOwner(name, tenants ?? []) !== null;
  if (t.kind === "describe") return describe(t, visible, who);
  const like = likeMatcher(t.like);
  const inSchema = (schema: string) => {
    if (!t.scope) return true;
    if (t.scope.kind === "DATABASE" || t.scope.kind === "ACCOUNT") return true;
    return t.scope.name.split(".").at(-1) === schema;
  };
  if (t.scope?.kind === "SCHEMA" && !schemas.includes(t.scope.name.split(".").at(-1)!)) {
    throw SQL_ERRORS.objectDoesNotExist(`${DATABASE}.${t.scope.name.split(".").at(-1)}`, t.sql);
  }
  // The twin does not record when an object was created: null, rather than a made-up date.
  const created = null;
  switch (t.object) {
    // https://docs.snowflake.com/en/sql-reference/sql/show-tables
    case "TABLES":
    case "TERSE TABLES": {
      const counts = seesAll ? await rowCounts(engine) : new Map<string, number>();
      const objects = [...TABLES, ...DYNAMIC_TABLES].filter((o) => visible(qualifiedName(o)) && inSchema(o.schema) && like(o.name));
      return {
        columns: ["created_on", "name", "database_name", "schema_name", "kind", "comment", "cluster_by", "rows", "bytes", "owner", "retention_time", "is_dynamic"],
        rows: objects.map((o) => [created, o.name, DATABASE, o.schema, o.kind === "table" && o.transient ? "TRANSIENT" : "TABLE", o.comment,
          o.kind === "table" && o.clusterBy ? `LINEAR(${o.clusterBy.join(", ")})` : "", seesAll ? counts.get(qualifiedName(o)) ?? 0 : null, null, "HUB_ADMIN", 1, o.kind === "dynamic_table" ? "Y" : "N"]),
      };
    }
    // https://docs.snowflake.com/en/sql-reference/sql/show-views
    case "VIEWS":
      return { columns: ["created_on", "name", "reserved", "database_name", "schema_name", "owner", "comment", "text", "is_secure", "is_materialized"], rows: [] };
    // https://docs.snowflake.com/en/sql-reference/sql/show-dynamic-tables
    case "DYNAMIC TABLES": {
      const state = new Map((await engine.control<{ name: string; data_timestamp: Date | null; refresh_mode: string }>(`SELECT name, data_timestamp, refresh_mode FROM ${CONTROL_SCHEMA}.DYNAMIC_TABLES`)).map((r) => [r.name, r]));
      // A role with MONITOR on a dynamic table sees it here without reading its rows (HUB_PORTAL's live signal).
      const monitored = monitoredDynamicTables(who.role);
      const objects = DYNAMIC_TABLES.filter((o) => (visible(qualifiedName(o)) || monitored.has(qualifiedName(o))) && inSchema(o.schema) && like(o.name));
      return {
        columns: ["created_on", "name", "database_name", "schema_name", "cluster_by", "rows", "bytes", "owner", "target_lag", "refresh_mode", "warehouse", "comment", "text", "scheduling_state", "data_timestamp"],
        rows: objects.map((o: DynamicTableDef) => {
          const s = state.get(qualifiedName(o));
          return [created, o.name, DATABASE, o.schema, "", null, null, "HUB_PIPELINE", o.targetLag, s?.refresh_mode ?? (o.incremental ? "INCREMENTAL" : "FULL"), o.warehouse, o.comment,
            seesAll ? o.query(snowflakeDialect, FULL_SCOPE) : null, "ACTIVE", s?.data_timestamp ?? null];
        }),
      };
    }
    // https://docs.snowflake.com/en/sql-reference/sql/show-streams
    case "STREAMS": {
      const objects = seesAll ? STREAMS.filter((o) => inSchema(o.schema) && like(o.name)) : [];
      return {
        columns: ["created_on", "name", "database_name", "schema_name", "owner", "comment", "table_name", "source_type", "base_tables", "type", "stale", "mode"],
        rows: objects.map((o) => [created, o.name, DATABASE, o.schema, "HUB_PIPELINE", o.comment, `${DATABASE}.${o.on}`, "Table", `${DATABASE}.${o.on}`, "DELTA", "false", "APPEND_ONLY"]),
      };
    }
    // https://docs.snowflake.com/en/sql-reference/sql/show-tasks
    case "TASKS": {
      const state = new Map((await engine.control<{ name: string; state: string }>(`SELECT name, state FROM ${CONTROL_SCHEMA}.TASKS`)).map((r) => [r.name, r.state]));
      const objects = seesAll ? TASKS.filter((o) => inSchema(o.schema) && like(o.name)) : [];
      return {
        columns: ["created_on", "name", "id", "database_name", "schema_name", "owner", "comment", "warehouse", "schedule", "predecessors", "state", "definition", "condition"],
        rows: objects.map((o) => [created, o.name, qualifiedName(o), DATABASE, o.schema, "HUB_PIPELINE", o.comment, o.warehouse, o.schedule ? `${o.schedule.split(" ")[0]} ${o.schedule.split(" ")[1]}` : null,
          JSON.stringify((o.after ?? []).map((a) => `${DATABASE}.${a}`)), state.get(qualifiedName(o)) ?? "suspended", o.body(snowflakeDialect).join(";\n"),
          o.whenStreamHasData?.length ? o.whenStreamHasData.map((s) => `SYSTEM$STREAM_HAS_DATA('${s}')`).join(" OR ") : null]),
      };
    }
    // https://docs.snowflake.com/en/sql-reference/sql/show-warehouses
    case "WAREHOUSES": {
      const ws = engine.warehouses.list().filter((w) => ownedByRole(w.name) && like(w.name)).sort((a, b) => a.name.localeCompare(b.name));
      return {
        columns: ["name", "state", "type", "size", "running", "queued", "auto_suspend", "auto_resume", "resource_monitor", "owner"],
        rows: ws.map((w) => [w.name, w.state, "STANDARD", sizeText(w.size), 0, 0, w.autoSuspendSeconds, String(w.autoResume), w.resourceMonitor ?? "null", "HUB_ADMIN"]),
      };
    }
    // https://docs.snowflake.com/en/sql-reference/sql/show-resource-monitors
    case "RESOURCE MONITORS": {
      // start_time is the monitor's START_TIMESTAMP and end_time its END_TIMESTAMP (none on the twin),
      // not the current interval: Snowflake prints those, and a reader derives the interval from them.
      const monitors = await engine.control<{ name: string; credit_quota: number; used_credits: number | null; frequency: string; started_at: Date | null; notify_at: string | null; suspend_at: number | null; suspend_immediate_at: number | null }>(
        `SELECT name, credit_quota, used_credits, frequency, started_at, notify_at, suspend_at, suspend_immediate_at FROM ${CONTROL_SCHEMA}.RESOURCE_MONITORS ORDER BY name`,
      );
      const mine = monitors.filter((m) => ownedByRole(m.name) && like(m.name));
      return {
        // The columns the Terraform provider reads (pkg/sdk/resource_monitors.go, resourceMonitorRow).
        columns: ["name", "credit_quota", "used_credits", "remaining_credits", "level", "frequency", "start_time", "end_time", "notify_at", "suspend_at", "suspend_immediately_at", "created_on", "owner", "comment", "notify_users"],
        rows: mine.map((m) => [m.name, m.credit_quota, m.used_credits ?? 0, m.credit_quota - (m.used_credits ?? 0), "WAREHOUSE", m.frequency, m.started_at, null,
          (m.notify_at ?? "").split(",").filter(Boolean).map((p) => `${p}%`).join(",") || null, m.suspend_at === null ? null : `${m.suspend_at}%`,
          m.suspend_immediate_at === null ? null : `${m.suspend_immediate_at}%`, m.started_at, "HUB_ADMIN", null, null]),
      };
    }
    // https://docs.snowflake.com/en/sql-reference/sql/show-roles
    case "ROLES": {
      const roles = (await engine.roles()).filter((r) => (seesAll || r === who.role) && like(r));
      return { columns: ["created_on", "name", "is_default", "is_current", "is_inherited", "assigned_to_users", "granted_to_roles", "granted_roles", "owner", "comment"], rows: roles.map((r) => [created, r, "N", r === who.role ? "Y" : "N", "N", 0, 0, 0, "HUB_ADMIN", ""]) };
    }
    // https://docs.snowflake.com/en/sql-reference/sql/show-schemas
    case "SCHEMAS": {
      const shown = schemas.filter((s) => like(s));
      return { columns: ["created_on", "name", "is_default", "is_current", "database_name", "owner", "comment", "options", "retention_time"], rows: shown.map((s) => [created, s, "N", s === who.schema ? "Y" : "N", DATABASE, "HUB_ADMIN", "", "", "1"]) };
    }
    // https://docs.snowflake.com/en/sql-reference/sql/show-grants (the current role's, or `SHOW GRANTS TO ROLE r`)
    default: {
      const grantsTo = /^GRANTS(?: TO ROLE (.+))?$/.exec(t.object);
      if (grantsTo) {
        const role = (grantsTo[1] ?? who.role).replaceAll('"', "").toUpperCase();
        if (!seesAll && role !== who.role) throw SQL_ERRORS.notAuthorized(`role ${role}`, t.sql);
        const rows: unknown[][] =
          role === REPORTING_ROLE
            ? [
                ...REPORTING_DATABASE_ROLES.map((d) => ["USAGE", "DATABASE_ROLE", snowflakeDatabaseRole(d)]),
                ...PLATFORM_GRANTS.filter((g) => g.role === REPORTING_ROLE).flatMap((g) => g.privileges.map((p) => [p, grantedOn(g), grantedName(g)])),
              ]
            : hubReach(role) === "tenant grants"
              ? [...TENANT_SCHEMAS.map((s) => ["USAGE", "SCHEMA", `${DATABASE}.${s}`]), ...TENANT_GRANTS.map((g) => ["SELECT", g.objectType === "TABLE" ? "TABLE" : "DYNAMIC_TABLE", `${DATABASE}.${g.name}`])]
              : [["OWNERSHIP", "DATABASE", DATABASE]];
        return { columns: ["created_on", "privilege", "granted_on", "name", "granted_to", "grantee_name", "grant_option", "granted_by"], rows: rows.map(([p, on, name]) => [created, p, on, name, "ROLE", role, "false", "HUB_ADMIN"]) };
      }
      throw UNSUPPORTED(`SHOW ${t.object}`, t.sql);
    }
  }
}

/** Snowflake's size names as SHOW WAREHOUSES prints them. */
function sizeText(size: string): string {
  return ({ XSMALL: "X-Small", SMALL: "Small", MEDIUM: "Medium", LARGE: "Large", XLARGE: "X-Large", XXLARGE: "2X-Large", XXXLARGE: "3X-Large", X4LARGE: "4X-Large", X5LARGE: "5X-Large", X6LARGE: "6X-Large" } as Record<string, string>)[size] ?? size;
}

async function rowCounts(engine: EmbeddedEngine): Promise<Map<string, number>> {
  const rows = await engine.control<{ schema_name: string; table_name: string; estimated_size: number }>(
    `SELECT schema_name, table_name, estimated_size FROM duckdb_tables() WHERE database_name = current_database()`,
  );
  return new Map(rows.map((r) => [`${r.schema_name}.${r.table_name}`, Number(r.estimated_size)]));
}

/** https://docs.snowflake.com/en/sql-reference/sql/desc-table */
function describe(t: Extract<Translated, { kind: "describe" }>, visible: (q: string) => boolean, who: Who): Table {
  const parts = t.name.filter((p, i) => !(i === 0 && t.name.length === 3 && p === DATABASE));
  const qualified = parts.length === 1 ? (who.schema ? `${who.schema}.${parts[0]}` : parts[0]!) : parts.join(".");
  const o = [...TABLES, ...DYNAMIC_TABLES].find((x) => qualifiedName(x) === qualified);
  if (!o || !visible(qualified)) throw SQL_ERRORS.objectDoesNotExist(`${DATABASE}.${qualified}`, t.sql);
  return {
    columns: ["name", "type", "kind", "null?", "default", "primary key", "unique key", "check", "expression", "comment", "policy name"],
    rows: (o as TableDef | DynamicTableDef).columns.map((c) => [c.name.toUpperCase(), snowflakeDialect.type(c.type), "COLUMN", c.nullable === false ? "N" : "Y", null, "N", "N", null, null, c.comment, c.pii ? "GOVERNANCE.PII_MASK" : null]),
  };
}

/** SHOW GRANTS' granted_on for a platform grant: what Snowflake prints for the object kind. */
function grantedOn(g: (typeof PLATFORM_GRANTS)[number]): string {
  const on = g.on;
  return on.kind === "warehouse" ? "WAREHOUSE" : on.kind === "resource monitor" ? "RESOURCE_MONITOR" : on.kind === "database" ? "DATABASE" : on.kind === "schema" ? "SCHEMA" : on.kind === "object" ? on.objectType.replace(" ", "_") : "ACCOUNT";
}

/** SHOW GRANTS' name for a platform grant: database-qualified for the hub's objects. */
function grantedName(g: (typeof PLATFORM_GRANTS)[number]): string {
  const on = g.on;
  return on.kind === "warehouse" || on.kind === "resource monitor" ? on.name : on.kind === "database" ? DATABASE : on.kind === "schema" ? `${DATABASE}.${on.schema}` : on.kind === "object" ? `${DATABASE}.${on.name}` : "";
}
