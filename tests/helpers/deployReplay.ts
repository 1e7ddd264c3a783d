/**
 * A replay of a Snowflake deploy against a model of the account, under Snowflake's rules:
 * - each statement runs in a fresh session with no current database (the provider sets none:
 *   infra/program.ts), so a name in SQL the deploy sends must be DATABASE.SCHEMA.NAME;
 * - identifiers resolve as Snowflake resolves them: unquoted upper-cased, quoted exact
 *   (https://docs.snowflake.com/en/sql-reference/identifiers-syntax); a column the provider
 *   created as "tenant_id" is not the column an unquoted tenant_id names;
 * - a statement may reference only roles, users, warehouses, monitors and objects created earlier
 *   in the deploy (or Snowflake's system roles);
 * - a dynamic table's query and a task's body run as their owner (the role of the provider that
 *   created them): that role must reach, through its grants and role hierarchy, SELECT on what they
 *   read, INSERT/UPDATE/DELETE on what they write, USAGE on the database, schemas and warehouse,
 *   CREATE on the schema, EXECUTE TASK to start tasks; and every row access policy on what they
 *   read must admit it (a policy that does not is a pipeline that silently processes zero rows);
 * - a function is known by its name and argument types
 *   (https://docs.snowflake.com/en/sql-reference/sql/create-external-function, "name"): a grant on
 *   it names that signature (`GRANT USAGE ON FUNCTION db.s.f(VARCHAR, VARCHAR)`), and a call must
 *   name it DATABASE.SCHEMA.NAME with as many arguments as one of its signatures has (argument
 *   types are not inferred here: the count is the check). Its caller needs USAGE on it, or owns it
 *   (https://docs.snowflake.com/en/sql-reference/external-functions-creating-aws-call);
 * - an external function's creator needs USAGE on its API integration, and CREATE FUNCTION on the
 *   schema; an API integration's creator CREATE INTEGRATION on the account
 *   (https://docs.snowflake.com/en/sql-reference/external-functions-security).
 *
 * The DDL head of a provider resource is modelled from the provider's source
 * (infra/snowflake/providerSql.ts gives each step's structured effect); every piece of SQL text the
 * deploy sends or stores (Execute statements, dynamic-table queries, task bodies and conditions,
 * policy bodies, cluster keys) is parsed by @polyglot-sql/sdk's Snowflake grammar and resolved from
 * its AST. Column resolution is per statement: a column reference must name a column of an object
 * the statement reads, or a name the statement itself defines (an alias, a CTE, FLATTEN's output,
 * a policy's argument). That is looser than Snowflake's scoping, never stricter.
 */
import { Dialect, parse } from "@polyglot-sql/sdk";
import { DEPLOYER, functionSignature, signatureKey, type Body, type DeployStep } from "../../infra/snowflake/providerSql.ts";
import { ACCOUNT_USAGE_VIEWS, SNOWFLAKE_DATABASE, SNOWFLAKE_DATABASE_ROLES } from "../../pipelines/definitions/accountUsageViews.ts";

type Node = Record<string, any>;

/** Roles every account has (https://docs.snowflake.com/en/user-guide/security-access-control-overview#system-defined-roles). */
const SYSTEM_ROLES = ["ORGADMIN", "ACCOUNTADMIN", "SECURITYADMIN", "USERADMIN", "SYSADMIN", "PUBLIC"];
const FLATTEN_COLUMNS = ["SEQ", "KEY", "PATH", "INDEX", "VALUE", "THIS"];
const STREAM_COLUMNS = ["METADATA$ACTION", "METADATA$ISUPDATE", "METADATA$ROW_ID"];

/**
 * Synonyms Snowflake folds into one type in a function's signature
 * (https://docs.snowflake.com/en/sql-reference/intro-summary-data-types): VARCHAR(16) and STRING
 * are VARCHAR, INT and DECIMAL(10,2) are NUMBER, DOUBLE is FLOAT.
 */
function signatureType(type: string): string {
  const t = type.trim().toUpperCase().replace(/\s*\(.*\)$/, "");
  if (["VARCHAR", "STRING", "TEXT", "CHAR", "CHARACTER", "NCHAR", "NVARCHAR", "NVARCHAR2", "CHAR VARYING", "NCHAR VARYING"].includes(t)) return "VARCHAR";
  if (["NUMBER", "DECIMAL", "DEC", "NUMERIC", "INT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "BYTEINT"].includes(t)) return "NUMBER";
  if (["FLOAT", "FLOAT4", "FLOAT8", "DOUBLE", "DOUBLE PRECISION", "REAL"].includes(t)) return "FLOAT";
  return t;
}

/** `DB.S.F(varchar(10), INT)` → `DB.S.F(VARCHAR, NUMBER)`; undefined when it has no argument list. */
function normalSignature(name: string): string | undefined {
  const sig = functionSignature(name);
  return sig ? signatureKey(sig.parts, sig.argumentTypes.map(signatureType)) : undefined;
}

interface CatalogObject {
  readonly type: string;
  /** Column names as stored (exact case); undefined: not known (any column accepted). */
  columns: string[] | undefined;
  owner: string;
  /** Row access policies attached (fully qualified). */
  policies: string[];
  /** For a stream: its table. */
  on?: string;
}

export class Account {
  readonly errors: string[] = [];
  readonly roles = new Set(SYSTEM_ROLES);
  readonly users = new Set<string>();
  /** child role → roles it is granted to. */
  private readonly grantedTo = new Map<string, Set<string>>([
    ["SYSADMIN", new Set(["ACCOUNTADMIN"])],
    ["SECURITYADMIN", new Set(["ACCOUNTADMIN"])],
    ["USERADMIN", new Set(["SECURITYADMIN"])],
  ]);
  readonly databases = new Set<string>();
  readonly schemas = new Set<string>();
  readonly objects = new Map<string, CatalogObject>();
  readonly warehouses = new Set<string>();
  readonly monitors = new Set<string>();
  /** API integrations (account objects) → the role that created and owns each. */
  readonly integrations = new Map<string, string>();
  /** account role → SNOWFLAKE database roles granted to it (`SNOWFLAKE.USAGE_VIEWER`). */
  private readonly databaseRoles = new Map<string, Set<string>>();
  /** role → "PRIVILEGE ON TYPE NAME". */
  private readonly privileges = new Map<string, Set<string>>();
  /** Policy bodies by name, to ask whether they admit a role. */
  private readonly policyBodies = new Map<string, Node>();
  private where = "";
  /** Which resource created each thing (`kind:name`), and each resource's transitive dependencies. */
  private readonly creator = new Map<string, string>();
  private readonly deps = new Map<string, Set<string>>();
  private current = "";

  /**
   * A new stack's deploy begins: what earlier stacks created is already there (a tenant stack runs
   * after the platform's `pulumi up` has finished), so it needs no dependency.
   */
  nextStack(): void {
    this.creator.clear();
  }

  /** Record that the current resource created `kind:name`. */
  private created(kind: string, name: string): void {
    this.creator.set(`${kind}:${name}`, this.current);
  }

  /**
   * The current resource uses `kind:name`: it must exist, and its creator must be among the current
   * resource's dependencies, or the engine may run the two in either order.
   */
  private uses(kind: string, name: string, exists: boolean, what: string): void {
    if (!exists) return this.fail(`${what} ${name} does not exist (not created earlier in the deploy)`);
    const by = this.creator.get(`${kind}:${name}`);
    if (by && by !== this.current && !this.deps.get(this.current)?.has(by)) {
      this.fail(`uses ${what} ${name}, created by ${by}, without depending on it: the engine may run them in either order`);
    }
  }

  private fail(message: string): void {
    this.errors.push(`${this.where}: ${message}`);
  }

  /** The roles whose privileges `role` has: itself and every role granted to it, transitively. */
  private closure(role: string): Set<string> {
    if (role === DEPLOYER) return this.closure("ACCOUNTADMIN");
    const out = new Set([role]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const [child, parents] of this.grantedTo) {
        if (!out.has(child) && [...parents].some((p) => out.has(p))) {
          out.add(child);
          grew = true;
        }
      }
    }
    return out;
  }

  private has(role: string, privilege: string, type: string, name: string): boolean {
    if (role === DEPLOYER) return true; // the deploying role (ACCOUNTADMIN in docs/deploy.md)
    const roles = this.closure(role);
    const o = this.objects.get(name);
    if (o && roles.has(o.owner)) return true;
    if (type === "INTEGRATION" && roles.has(this.integrations.get(name) ?? "")) return true;
    return [...roles].some((r) => this.privileges.get(r)?.has(`${privilege} ON ${type} ${name}`));
  }

  /** Does `role` hold `privilege` on `type` `name` (itself, through a role granted to it, or by owning it)? */
  holds(role: string, privilege: string, type: string, name: string): boolean {
    return this.has(role, privilege, type, name);
  }

  /** May `role` SELECT from `name` (`DB.SCHEMA.NAME`): USAGE on its database and schema, and SELECT or ownership? */
  canRead(role: string, name: string): boolean {
    const o = this.objects.get(name);
    if (!o) return false;
    const [db, schema] = name.split(".");
    return this.has(role, "USAGE", "DATABASE", db!) && this.has(role, "USAGE", "SCHEMA", `${db}.${schema}`) && this.has(role, "SELECT", o.type, name);
  }

  /**
   * May `role` SELECT from SNOWFLAKE.ACCOUNT_USAGE.`view`? Through a SNOWFLAKE database role that
   * has SELECT on it (https://docs.snowflake.com/en/sql-reference/snowflake-db-roles), held by the
   * role or a role granted to it; ACCOUNTADMIN holds IMPORTED PRIVILEGES on SNOWFLAKE by default.
   */
  canReadAccountUsage(role: string, view: string): boolean {
    const roles = this.closure(role);
    if (roles.has("ACCOUNTADMIN")) return true;
    const needed = ACCOUNT_USAGE_VIEWS[view]?.databaseRoles ?? [];
    return [...roles].some((r) => needed.some((d) => this.databaseRoles.get(r)?.has(`${SNOWFLAKE_DATABASE}.${d}`)));
  }

  /**
   * Does SHOW WAREHOUSES / SHOW RESOURCE MONITORS list `name` to `role`? Only objects on which the
   * role (or a role granted to it) holds some privilege, or every one for MANAGE GRANTS holders
   * (ACCOUNTADMIN, SECURITYADMIN): https://docs.snowflake.com/en/sql-reference/sql/show-resource-monitors.
   */
  shows(role: string, type: "WAREHOUSE" | "RESOURCE MONITOR", name: string): boolean {
    const roles = this.closure(role);
    if (roles.has("SECURITYADMIN")) return true;
    return [...roles].some((r) => [...(this.privileges.get(r) ?? [])].some((p) => p.endsWith(` ON ${type} ${name}`)));
  }

  private need(role: string, privilege: string, type: string, name: string, why: string): void {
    if (!this.has(role, privilege, type, name)) this.fail(`${role} lacks ${privilege} on ${type} ${name} (${why})`);
  }

  /** `; its signatures are ...` for a function name that exists with other argument types. */
  private signaturesOf(key: string): string {
    const name = key.slice(0, key.indexOf("("));
    const sigs = [...this.objects.keys()].filter((k) => k.startsWith(`${name}(`));
    return sigs.length ? ` (${name} exists as ${sigs.join(", ")})` : "";
  }

  /** Functions named `DB.S.F` taking `arity` arguments. */
  private functionsCalled(name: string, arity: number): string[] {
    return [...this.objects.entries()].filter(([k, o]) => o.type === "FUNCTION" && k.startsWith(`${name}(`) && functionSignature(k)!.argumentTypes.length === arity).map(([k]) => k);
  }

  private needObject(name: string, what: string): CatalogObject | undefined {
    const o = this.objects.get(name);
    this.uses("object", name, !!o, what);
    return o;
  }

  apply(step: DeployStep, index: number): void {
    this.where = `step ${index} (${step.urn.split("::").pop()}, as ${step.role}): ${step.sql[0]?.slice(0, 120)}`;
    this.current = step.urn.split("::").pop()!;
    if (!this.deps.has(this.current)) {
      // Dependencies of dependencies: a resource waits for everything its dependencies wait for.
      const all = new Set<string>();
      for (const d of step.dependsOn) {
        all.add(d);
        for (const x of this.deps.get(d) ?? []) all.add(x);
      }
      this.deps.set(this.current, all);
    }
    const e = step.effect;
    const role = step.role;
    if (role !== DEPLOYER) this.uses("role", role, this.roles.has(role), "provider's role");
    switch (e.kind) {
      case "database":
        this.databases.add(e.name);
        this.created("database", e.name);
        break;
      case "schema":
        this.uses("database", e.database, this.databases.has(e.database), "database");
        this.schemas.add(`${e.database}.${e.name}`);
        this.created("schema", `${e.database}.${e.name}`);
        break;
      case "role":
        this.roles.add(e.name);
        this.created("role", e.name);
        break;
      case "user":
        if (e.defaultRole) this.uses("role", e.defaultRole, this.roles.has(e.defaultRole), "default role");
        this.users.add(e.name);
        this.created("user", e.name);
        break;
      case "grantRole":
        this.uses("role", e.role, this.roles.has(e.role), "role");
        if (e.toRole) {
          this.uses("role", e.toRole, this.roles.has(e.toRole), "role");
          if (this.roles.has(e.toRole)) this.grantedTo.set(e.role, new Set([...(this.grantedTo.get(e.role) ?? []), e.toRole]));
        }
        if (e.toUser) this.uses("user", e.toUser, this.users.has(e.toUser), "user");
        this.created("grant", `${e.role}>${e.toRole ?? e.toUser}`);
        break;
      case "grantDatabaseRole": {
        this.uses("role", e.toRole, this.roles.has(e.toRole), "role");
        // The SNOWFLAKE database and its database roles come with every account.
        const [db, name] = e.databaseRole.split(".");
        if (db !== SNOWFLAKE_DATABASE || !(SNOWFLAKE_DATABASE_ROLES as readonly string[]).includes(name ?? "")) {
          this.fail(`database role ${e.databaseRole} does not exist (the replay knows the SNOWFLAKE database roles ${SNOWFLAKE_DATABASE_ROLES.join(", ")})`);
          break;
        }
        this.databaseRoles.set(e.toRole, new Set([...(this.databaseRoles.get(e.toRole) ?? []), e.databaseRole]));
        break;
      }
      case "monitor":
        this.monitors.add(e.name);
        this.created("monitor", e.name);
        break;
      case "warehouse":
        if (e.monitor) this.uses("monitor", e.monitor, this.monitors.has(e.monitor), "resource monitor");
        this.warehouses.add(e.name);
        this.created("warehouse", e.name);
        break;
      case "object": {
        const [db, schema] = e.fqn;
        const name = e.fqn.join(".");
        this.uses("schema", `${db}.${schema}`, this.schemas.has(`${db}.${schema}`), "schema");
        if (role !== DEPLOYER) {
          this.need(role, "USAGE", "DATABASE", db, "to create in it");
          this.need(role, "USAGE", "SCHEMA", `${db}.${schema}`, "to create in it");
          this.need(role, `CREATE ${e.objectType}`, "SCHEMA", `${db}.${schema}`, "to create in it");
        }
        if (e.uses?.warehouse) {
          this.uses("warehouse", e.uses.warehouse, this.warehouses.has(e.uses.warehouse), "warehouse");
          if (this.warehouses.has(e.uses.warehouse)) this.need(role, "USAGE", "WAREHOUSE", e.uses.warehouse, `${e.objectType} runs on it`);
        }
        for (const a of e.uses?.after ?? []) this.needObject(a, "predecessor task");
        for (const p of e.uses?.policies ?? []) this.needObject(p, "masking policy");
        if (e.uses?.table) {
          const t = this.needObject(e.uses.table, "stream's table");
          if (t) this.need(role, "SELECT", "TABLE", e.uses.table, "a stream reads its table");
        }
        const columns =
          e.objectType === "STREAM" ? (this.objects.get(e.uses?.table ?? "")?.columns ? [...this.objects.get(e.uses!.table!)!.columns!, ...STREAM_COLUMNS] : undefined) : e.columns ? [...e.columns] : undefined;
        if (this.objects.has(name)) this.fail(`${name} already exists`);
        this.objects.set(name, { type: e.objectType, columns, owner: role, policies: [], ...(e.uses?.table ? { on: e.uses.table } : {}) });
        this.created("object", name);
        if (e.objectType === "TASK" && step.sql.some((s) => /^ALTER TASK .* RESUME$/.test(s)) && role !== DEPLOYER) {
          this.need(role, "EXECUTE TASK", "ACCOUNT", "", "a started task runs as its owner");
        }
        break;
      }
      case "grant": {
        this.uses("role", e.role, this.roles.has(e.role), "role");
        const { type, name } = e.on;
        if (type === "DATABASE") this.uses("database", name, this.databases.has(name), "database");
        else if (type === "SCHEMA") this.uses("schema", name, this.schemas.has(name), "schema");
        else if (type === "WAREHOUSE") this.uses("warehouse", name, this.warehouses.has(name), "warehouse");
        else if (type === "RESOURCE MONITOR") this.uses("monitor", name, this.monitors.has(name), "resource monitor");
        else if (type === "INTEGRATION") this.uses("integration", name, this.integrations.has(name), "integration");
        else if (type === "FUNCTION") {
          const key = normalSignature(name);
          if (!key) this.fail(`function ${name} is granted without its argument types: Snowflake knows a function by name and argument types, e.g. ${name}(VARCHAR)`);
          else if (!this.objects.has(key)) this.fail(`function ${key} does not exist${this.signaturesOf(key)}`);
          else this.needObject(key, "function");
        } else if (!["ACCOUNT", "DATABASE", "SCHEMA", "WAREHOUSE", "RESOURCE MONITOR"].includes(type)) {
          const o = this.needObject(name, type.toLowerCase());
          if (o && o.type !== type) this.fail(`${name} is a ${o.type}, granted as a ${type}`);
        }
        const set = this.privileges.get(e.role) ?? new Set<string>();
        const on = type === "FUNCTION" ? normalSignature(name) ?? name : name;
        for (const p of e.privileges) set.add(`${p} ON ${type} ${on}`);
        this.privileges.set(e.role, set);
        break;
      }
      case "tag": {
        this.needObject(e.tag, "tag");
        const known = e.objectType === "ROLE" ? this.roles : e.objectType === "USER" ? this.users : e.objectType === "WAREHOUSE" ? this.warehouses : new Set(this.objects.keys());
        const kind = e.objectType === "ROLE" ? "role" : e.objectType === "USER" ? "user" : e.objectType === "WAREHOUSE" ? "warehouse" : "object";
        this.uses(kind, e.object, known.has(e.object), e.objectType.toLowerCase());
        break;
      }
      case "integration":
        this.need(role, "CREATE INTEGRATION", "ACCOUNT", "", "to create an API integration");
        if (this.integrations.has(e.name)) this.fail(`integration ${e.name} already exists`);
        this.integrations.set(e.name, role);
        this.created("integration", e.name);
        break;
      case "function": {
        const [db, schema] = e.fqn;
        this.uses("schema", `${db}.${schema}`, this.schemas.has(`${db}.${schema}`), "schema");
        if (role !== DEPLOYER) {
          this.need(role, "USAGE", "DATABASE", db, "to create in it");
          this.need(role, "USAGE", "SCHEMA", `${db}.${schema}`, "to create in it");
          this.need(role, "CREATE FUNCTION", "SCHEMA", `${db}.${schema}`, "to create in it");
        }
        if (e.integration !== undefined) {
          this.uses("integration", e.integration, this.integrations.has(e.integration), "API integration");
          if (this.integrations.has(e.integration)) this.need(role, "USAGE", "INTEGRATION", e.integration, "an external function's author uses its API integration");
        }
        const key = signatureKey(e.fqn, e.argumentTypes.map(signatureType));
        if (this.objects.has(key)) this.fail(`function ${key} already exists`);
        this.objects.set(key, { type: "FUNCTION", columns: undefined, owner: role, policies: [] });
        this.created("object", key);
        break;
      }
      case "execute":
      case "none":
        break;
    }
    // Bodies last: a dynamic table's query and a policy's body refer to the object being made.
    for (const b of step.bodies) this.body(b, step);
    if (step.effect.kind === "object" && (step.effect.objectType === "ROW ACCESS POLICY")) {
      const ast = parseOne(`SELECT ${step.bodies[0]!.sql}`);
      if (ast) this.policyBodies.set(step.effect.fqn.join("."), ast);
    }
    if (step.effect.kind === "object" && step.effect.objectType === "DYNAMIC TABLE") {
      const o = this.objects.get(step.effect.fqn.join("."))!;
      o.columns = outputColumns(parseOne(step.bodies[0]!.sql));
    }
  }

  private body(b: Body, step: DeployStep): void {
    const statements = b.kind === "task" ? taskStatements(b.sql) : b.kind === "policy" || b.kind === "condition" ? [`SELECT ${b.sql}`] : [b.sql];
    for (const sql of statements) {
      const rawAlter = /^\s*ALTER\s+(DYNAMIC\s+)?TABLE\s+(\S+)\s+(.*)$/is.exec(sql);
      if (rawAlter) {
        this.alter(rawAlter[2]!, rawAlter[3]!, b.runsAs);
        continue;
      }
      const ast = parseOne(sql);
      if (!ast) {
        this.fail(`does not parse as Snowflake SQL: ${sql.slice(0, 200)}`);
        continue;
      }
      if (ast["create_table"]) {
        // A task's scratch table is created when the task runs, as its owner: a temporary table
        // needs CREATE TABLE on its schema like any other.
        if (b.kind === "task") {
          const name = tableName(ast["create_table"]["name"]);
          if (name) this.need(b.runsAs, "CREATE TABLE", "SCHEMA", name.split(".").slice(0, 2).join("."), "the task creates a temporary table there");
        }
        this.createFromAst(ast["create_table"], b.kind === "task" ? b.runsAs : step.role);
        continue;
      }
      this.resolve(ast, b);
    }
  }

  /** `ALTER [DYNAMIC] TABLE t ADD ROW ACCESS POLICY p ON (c)` / `MODIFY COLUMN c SET MASKING POLICY p`. */
  private alter(tableText: string, action: string, role: string): void {
    const table = resolveName(tableText);
    const o = table ? this.needObject(table, "table") : undefined;
    if (!table) this.fail(`${tableText} is not DATABASE.SCHEMA.NAME`);
    // The action's names and columns, parsed as a query over the table so the parser resolves them.
    const rap = /^ADD\s+ROW\s+ACCESS\s+POLICY\s+(\S+)\s+ON\s*\((.*)\)\s*$/is.exec(action);
    const mask = /^MODIFY\s+COLUMN\s+(\S+)\s+SET\s+MASKING\s+POLICY\s+(\S+)(\s+FORCE)?\s*$/is.exec(action);
    const policyText = rap?.[1] ?? mask?.[2];
    const cols = rap?.[2] ?? mask?.[1];
    if (!policyText || cols === undefined) {
      this.fail(`ALTER action not modelled: ${action}`);
      return;
    }
    const policy = resolveName(policyText);
    if (!policy) this.fail(`${policyText} is not DATABASE.SCHEMA.NAME`);
    else this.needObject(policy, "policy");
    if (o && table) {
      this.resolve(parseOne(`SELECT ${cols} FROM ${tableText}`)!, { kind: "execute", sql: action, runsAs: role });
      if (rap && policy) o.policies.push(policy);
    }
  }

  private createFromAst(ct: Node, role: string): void {
    const name = tableName(ct["name"]);
    if (!name) return this.fail("CREATE TABLE without DATABASE.SCHEMA.NAME");
    const columns = (ct["columns"] ?? []).map((c: Node) => ident(c["name"]));
    this.objects.set(name, { type: "TABLE", columns, owner: role, policies: [] });
  }

  /** Every table and column the statement names resolves; the role may read and write what it touches. */
  private resolve(ast: Node, b: Body): void {
    const ctes = new Set<string>();
    // A policy's arguments are declared quoted by the provider: their names are exact.
    const defined = new Set<string>([...(b.locals ?? []), ...FLATTEN_COLUMNS]);
    const read = new Set<string>();
    const written = new Map<string, string>();
    walk(ast, (n) => {
      for (const c of n["with"]?.["ctes"] ?? []) ctes.add(ident(c["alias"]));
      if (n["alias"] && typeof n["alias"] === "object" && "name" in n["alias"]) defined.add(ident(n["alias"]));
      if (typeof n["alias"] === "string") defined.add(n["alias"].toUpperCase());
      for (const a of n["column_aliases"] ?? []) defined.add(ident(a));
    });
    const target = (t: Node | undefined, privilege: string) => {
      const name = t ? tableName(t) : undefined;
      if (name) written.set(name, privilege);
    };
    if (ast["insert"]) target(ast["insert"]["table"], "INSERT");
    if (ast["delete"]) target(ast["delete"]["table"] ?? ast["delete"]["this"], "DELETE");
    if (ast["update"]) target(ast["update"]["table"] ?? ast["update"]["this"], "UPDATE");
    if (ast["merge"]) target(ast["merge"]["this"]?.["alias"]?.["this"]?.["table"] ?? ast["merge"]["this"]?.["table"], "INSERT");
    const columnsOf: string[] = [];
    let anyColumn = false;
    // Calls of user functions: `HUB.ML.F(a, b)` parses as a method F called on column HUB.ML.
    const called = new Set<string>();
    const calleeNodes = new Set<Node>();
    const userFunctionNames = new Set([...this.objects.entries()].filter(([, o]) => o.type === "FUNCTION").map(([k]) => k.slice(k.lastIndexOf(".", k.indexOf("(")) + 1, k.indexOf("("))));
    walk(ast, (n) => {
      const m = n["method_call"];
      if (m?.["this"]?.["column"] && m["method"]?.["name"]) {
        calleeNodes.add(m["this"]);
        const c = m["this"]["column"];
        const parts = [c["table"], c["name"], m["method"]].filter(Boolean).map(ident);
        const shown = parts.join(".");
        if (parts.length !== 3) {
          this.fail(`function ${shown} is not DATABASE.SCHEMA.NAME (no current database)`);
          return;
        }
        const args = (m["args"] ?? []).length;
        const found = this.functionsCalled(shown, args);
        if (found.length === 0) this.fail(`function ${shown} with ${args} argument${args === 1 ? "" : "s"} does not exist${this.signaturesOf(`${shown}(`)}`);
        else {
          this.needObject(found[0]!, "function");
          called.add(found[0]!);
        }
      }
      const f = n["function"];
      if (f?.["name"] && typeof f["name"] === "string" && userFunctionNames.has(f["quoted"] ? f["name"] : f["name"].toUpperCase())) {
        this.fail(`function ${f["name"]} is not DATABASE.SCHEMA.NAME (no current database): it resolves to no schema`);
      }
    });
    walk(ast, (n) => {
      const t = n["table"];
      if (t && typeof t === "object" && t["name"] && typeof t["name"] === "object" && "name" in t["name"]) {
        const short = ident(t["name"]);
        if (!t["schema"] && ctes.has(short)) return;
        const name = tableName(t);
        if (!name) {
          this.fail(`${[t["catalog"], t["schema"], t["name"]].filter(Boolean).map((x: Node) => x["name"]).join(".")} is not DATABASE.SCHEMA.NAME (no current database)`);
          return;
        }
        const o = this.needObject(name, "object");
        if (!o) return;
        if (o.columns) columnsOf.push(...o.columns);
        else anyColumn = true;
        if (!written.has(name)) read.add(name);
      }
      if (n["function"]?.["name"]?.toUpperCase?.() === "SYSTEM$STREAM_HAS_DATA") {
        const arg = n["function"]["args"]?.[0]?.["literal"]?.["value"];
        const name = typeof arg === "string" ? resolveName(arg) : undefined;
        if (!name) this.fail(`SYSTEM$STREAM_HAS_DATA(${JSON.stringify(arg)}) does not name DATABASE.SCHEMA.STREAM`);
        else if (this.needObject(name, "stream")) read.add(name);
      }
    });
    const known = new Set([...columnsOf, ...defined]);
    walk(ast, (n) => {
      const c = n["column"];
      if (c && typeof c === "object" && c["name"] && typeof c["name"] === "object" && !calleeNodes.has(n)) {
        const name = ident(c["name"]);
        if (!anyColumn && !known.has(name)) this.fail(`column ${c["name"]["quoted"] ? `"${c["name"]["name"]}"` : c["name"]["name"]} (${name}) is not a column of ${[...read, ...written.keys()].join(", ") || "anything read"} (invalid identifier)`);
      }
    });
    // INSERT's column list names the target's columns exactly.
    if (ast["insert"]) {
      const name = tableName(ast["insert"]["table"]);
      const o = name ? this.objects.get(name) : undefined;
      for (const c of ast["insert"]["columns"] ?? []) {
        if (o?.columns && !o.columns.includes(ident(c))) this.fail(`INSERT INTO ${name}: column ${c["quoted"] ? `"${c["name"]}"` : c["name"]} (${ident(c)}) is not one of ${o.columns.join(", ")}`);
      }
    }
    if (b.runsAs === DEPLOYER) return;
    for (const name of read) {
      const o = this.objects.get(name);
      if (!o) continue;
      const [db, schema] = name.split(".");
      this.need(b.runsAs, "USAGE", "DATABASE", db!, `${b.kind} reads ${name}`);
      this.need(b.runsAs, "USAGE", "SCHEMA", `${db}.${schema}`, `${b.kind} reads ${name}`);
      this.need(b.runsAs, "SELECT", o.type === "DYNAMIC TABLE" ? "DYNAMIC TABLE" : o.type, name, `${b.kind} reads it`);
      if (o.type === "STREAM" && o.on) this.need(b.runsAs, "SELECT", "TABLE", o.on, `${b.kind} reads its stream ${name}`);
      for (const p of [...o.policies, ...(o.on ? this.objects.get(o.on)?.policies ?? [] : [])]) {
        if (!this.admits(p, b.runsAs)) this.fail(`row access policy ${p} on ${name} does not admit ${b.runsAs}: the ${b.kind} would see no rows`);
      }
    }
    for (const [name, privilege] of written) this.need(b.runsAs, privilege, "TABLE", name, `${b.kind} writes it`);
    for (const fn of called) {
      const [db, schema] = fn.split(".");
      this.need(b.runsAs, "USAGE", "DATABASE", db!, `${b.kind} calls ${fn}`);
      this.need(b.runsAs, "USAGE", "SCHEMA", `${db}.${schema}`, `${b.kind} calls ${fn}`);
      this.need(b.runsAs, "USAGE", "FUNCTION", fn, `${b.kind} calls it`);
    }
  }

  /** Does the policy's body admit `role` outright (`CURRENT_ROLE() IN (...)` naming it)? */
  private admits(policy: string, role: string): boolean {
    const ast = this.policyBodies.get(policy);
    if (!ast) return false;
    let yes = false;
    walk(ast, (n) => {
      const i = n["in"];
      if (i && i["this"]?.["function"]?.["name"]?.toUpperCase() === "CURRENT_ROLE" && !i["not"]) {
        if ((i["expressions"] ?? []).some((e: Node) => e["literal"]?.["value"] === role)) yes = true;
      }
    });
    return yes;
  }
}

function walk(node: unknown, visit: (n: Node) => void): void {
  if (Array.isArray(node)) {
    for (const x of node) walk(x, visit);
    return;
  }
  if (!node || typeof node !== "object") return;
  visit(node as Node);
  for (const v of Object.values(node as Node)) if (v && typeof v === "object") walk(v, visit);
}

/** An identifier as Snowflake stores it: unquoted upper-cased, quoted exact. */
function ident(id: Node | undefined): string {
  if (!id) return "";
  return id["quoted"] ? String(id["name"]) : String(id["name"]).toUpperCase();
}

/** A table node's fully qualified name, or undefined when it lacks the database or schema. */
function tableName(t: Node): string | undefined {
  if (!t?.["catalog"] || !t?.["schema"]) return undefined;
  return [ident(t["catalog"]), ident(t["schema"]), ident(t["name"])].join(".");
}

/** `A.B.C` / `"A"."b".C` as a fully qualified name, or undefined. */
function resolveName(text: string): string | undefined {
  const parts: string[] = [];
  const re = /"((?:[^"]|"")*)"|([A-Za-z_][A-Za-z0-9_$]*)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) parts.push(m[1] !== undefined ? m[1].replaceAll('""', '"') : m[2]!.toUpperCase());
  return parts.length === 3 ? parts.join(".") : undefined;
}

function parseOne(sql: string): Node | undefined {
  const r = parse(sql, Dialect.Snowflake);
  if (!r.success || !r.ast?.length) return undefined;
  return (r.ast as Node[])[0];
}

/** A task's statements: one, or those of its `EXECUTE IMMEDIATE $$ BEGIN [setup;] BEGIN TRANSACTION; … COMMIT; END; $$` block. */
function taskStatements(sql: string): string[] {
  const block = /^\s*EXECUTE IMMEDIATE \$\$\s*BEGIN\s*([\s\S]*?)BEGIN TRANSACTION;([\s\S]*)COMMIT;\s*END;\s*\$\$\s*$/.exec(sql);
  if (!block) return [sql];
  return [...splitStatements(block[1]!), ...splitStatements(block[2]!)];
}

/** Split on top-level semicolons (outside quotes and parentheses). */
function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      i = end < 0 ? sql.length : end;
    } else if (c === "/" && sql[i + 1] === "*") {
      const end = sql.indexOf("*/", i + 2);
      i = end < 0 ? sql.length : end + 1;
    } else if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      i = end < 0 ? sql.length : end;
    } else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === ";" && depth === 0) {
      out.push(sql.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (sql.slice(start).trim()) out.push(sql.slice(start).trim());
  return out.filter(Boolean);
}

/** The output column names of a query (its outermost SELECT), or undefined when not knowable. */
function outputColumns(ast: Node | undefined): string[] | undefined {
  const sel = ast?.["select"];
  if (!sel) return undefined;
  const out: string[] = [];
  for (const e of sel["expressions"] ?? []) {
    if (e["alias"]) out.push(ident(e["alias"]["alias"]));
    else if (e["column"]) out.push(ident(e["column"]["name"]));
    else return undefined;
  }
  return out;
}

/** Replay `steps` on `account` (platform first, then a tenant on the same account). */
export function replay(account: Account, steps: readonly DeployStep[]): Account {
  account.nextStack();
  steps.forEach((s, i) => account.apply(s, i));
  return account;
}
