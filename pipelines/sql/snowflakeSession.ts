/**
 * A Snowflake session on the embedded twin: what a user (or a tool) connected to the hub talks to.
 * It keeps what a Snowflake session keeps — the role, the warehouse, the database and schema, the
 * query tag — takes Snowflake SQL (one statement or several, run in order), and answers as
 * Snowflake does: USE ROLE | WAREHOUSE | SCHEMA | DATABASE change the session, ALTER SESSION SET
 * QUERY_TAG tags what follows, queries run translated (snowflakeTranslator.ts) on a connection of
 * the session's role, on its warehouse (resumed, billed and recorded in QUERY_HISTORY with role,
 * warehouse and tag), and the result's columns are named as Snowflake names them.
 */
import type { EmbeddedEngine } from "../engine/embeddedEngine.ts";
import type { DuckDbWarehouse } from "../warehouse/duckdbWarehouse.ts";
import { HubSqlError, ROLE_ERRORS, SQL_ERRORS } from "../warehouse/errors.ts";
import { ALL_TENANT_ROLES, TENANT_MAP, tenantObjectOwner } from "../definitions/governance.ts";
import { PLATFORM_GRANTS, REPORTING_ROLE, TENANT_SCHEMAS, hubReach, usableRoles } from "../definitions/grants.ts";
import { GUARD_ERRORS } from "../warehouse/tenantGuard.ts";
import { SCHEMAS, qualifiedName } from "../definitions/types.ts";
import { translate, UNSUPPORTED, type OutputName, type SessionFacts, type Translated } from "./snowflakeTranslator.ts";
import { showOrDescribe } from "./snowflakeMetadata.ts";
import { StatementsError, type StatementResult } from "./statementResult.ts";
import { AdmissionAborted, QueuedTooLong, type AdmissionGate } from "./admissionGate.ts";
import { DEFAULT_STATEMENT_TIMEOUT_S, STATEMENT_TIMEOUT_PARAMETER, effectiveTimeout, sessionTimeoutValue } from "./statementTimeout.ts";

export { StatementsError, type StatementResult };

/** The database the hub's objects live in, as Snowflake names it (the platform stack's `hub:database`, default HUB). */
export const HUB_DATABASE = "HUB";

export interface SnowflakeSessionOptions {
  /** Who is connected (CURRENT_USER()). */
  readonly user: string;
  readonly role: string;
  /** Default: none for the hub's roles; a tenant role's first warehouse. */
  readonly warehouse?: string | null;
  readonly schema?: string | null;
  readonly queryTag?: string | null;
  /**
   * The roles granted to the user: `USE ROLE` may switch to them and the roles below them
   * (grants.ts, usableRoles), as Snowflake allows. Default: every role of the hub, for the hub's
   * own operator, who opens its database file (scripts/sql.ts). The SQL endpoint passes the user's.
   */
  readonly grantedRoles?: readonly string[];
  /**
   * The host's statement timeout, seconds (serve's --statement-timeout): it stands where the
   * warehouse's STATEMENT_TIMEOUT_IN_SECONDS stands on Snowflake, so a statement stops at the
   * smaller non-zero of it and the session's (statementTimeout.ts). Default 0: none beyond the
   * session's own (the hub's operator on their own file, scripts/sql.ts).
   */
  readonly statementTimeoutCeiling?: number;
  /**
   * The served twin's admission gate (serve's --max-concurrency): each query of a role other than
   * the hub's own (HUB_ADMIN, HUB_PIPELINE) waits for a place on its warehouse first, and the
   * wait counts against its statement timeout. Default none: queries run at once.
   */
  readonly admission?: AdmissionGate;
}

/** What `execute` may be told. */
export interface ExecuteOptions {
  /**
   * How many statements the text must hold: a text with another count is refused before any of
   * its statements runs, as Snowflake checks MULTI_STATEMENT_COUNT. Default: any number.
   */
  readonly statements?: number;
  /** Aborts when the client has gone: a statement still waiting for a place gives it up (000604). */
  readonly signal?: AbortSignal;
}

export class SnowflakeSession {
  private role: string;
  private warehouse: string | null;
  private schema: string | null;
  private queryTag: string | null;
  /** The session's STATEMENT_TIMEOUT_IN_SECONDS (ALTER SESSION SET), the account default until set. */
  private statementTimeout = DEFAULT_STATEMENT_TIMEOUT_S;
  private connection: DuckDbWarehouse | null = null;

  private constructor(
    private readonly engine: EmbeddedEngine,
    private readonly user: string,
    state: { role: string; warehouse: string | null; schema: string | null; queryTag: string | null },
    /** The roles USE ROLE may switch to; null: any role of the hub. */
    private readonly usable: ReadonlySet<string> | null,
    private readonly timeoutCeiling: number,
    private readonly admission: AdmissionGate | null,
  ) {
    this.role = state.role;
    this.warehouse = state.warehouse;
    this.schema = state.schema;
    this.queryTag = state.queryTag;
  }

  /** Open a session: the role must exist, the warehouse and schema be usable by it. */
  static async open(engine: EmbeddedEngine, o: SnowflakeSessionOptions): Promise<SnowflakeSession> {
    const role = o.role.toUpperCase();
    const roles = await engine.roles();
    if (!roles.includes(role)) throw ROLE_ERRORS.doesNotExist(role);
    const usable = o.grantedRoles ? usableRoles(o.grantedRoles) : null;
    if (usable && !usable.has(role)) throw ROLE_ERRORS.doesNotExist(role);
    const s = new SnowflakeSession(engine, o.user.toUpperCase(), { role, warehouse: null, schema: null, queryTag: o.queryTag ?? null }, usable, o.statementTimeoutCeiling ?? 0, o.admission ?? null);
    const warehouse = o.warehouse === undefined ? await s.defaultWarehouse() : o.warehouse;
    if (warehouse) await s.useWarehouse(warehouse, "");
    if (o.schema) s.useSchema(o.schema, "");
    return s;
  }

  /** The session's role, warehouse and schema now (a client's login answer names them). */
  state(): { role: string; warehouse: string | null; schema: string | null } {
    return { role: this.role, warehouse: this.warehouse, schema: this.schema };
  }

  /** The session as CURRENT_ROLE() and friends see it, and the hub's clock now. */
  facts(): SessionFacts {
    return { role: this.role, user: this.user, database: HUB_DATABASE, schema: this.schema, warehouse: this.warehouse, now: this.engine.clock.now() };
  }

  /** Run every statement of `sql` in order; the first that fails throws, with the results before it. */
  async execute(sql: string, options: ExecuteOptions = {}): Promise<StatementResult[]> {
    const done: StatementResult[] = [];
    let statements: Translated[];
    try {
      statements = translate(sql, this.facts());
    } catch (e) {
      throw withResults(e, done);
    }
    if (options.statements !== undefined && statements.length !== options.statements) throw GUARD_ERRORS.statementCount(statements.length, sql);
    for (const t of statements) {
      try {
        done.push(await this.run(t, options.signal));
      } catch (e) {
        throw withResults(e, done);
      }
    }
    return done;
  }

  private async run(t: Translated, signal?: AbortSignal): Promise<StatementResult> {
    switch (t.kind) {
      case "use":
        return this.use(t);
      case "set":
        await this.set(t);
        return { sql: t.sql, columns: ["status"], rows: [["Statement executed successfully."]], status: "Statement executed successfully." };
      case "show":
      case "describe":
        return { sql: t.sql, ...(await showOrDescribe(this.engine, t, { role: this.role, schema: this.schema })) };
      case "query":
        return this.query(t, signal);
    }
  }

  private async query(t: Extract<Translated, { kind: "query" }>, signal?: AbortSignal): Promise<StatementResult> {
    const timeoutSeconds = this.timeoutSeconds();
    const queuedAt = Date.now();
    let release: (() => void) | null = null;
    // The hub's own roles (its operator, its pipeline) never wait behind tenants: the gate's
    // capacity is what is left after the workers kept for them (admissionGate.ts).
    if (this.admission && !this.seesAll()) {
      try {
        release = await this.admission.admit(this.warehouse ?? "", { timeoutMs: timeoutSeconds * 1000, signal });
      } catch (e) {
        // A statement that waited out its timeout fails as one that ran out of it: Snowflake's
        // STATEMENT_TIMEOUT_IN_SECONDS counts queued time (docs/serve.md).
        if (e instanceof QueuedTooLong) throw SQL_ERRORS.statementTimeout(timeoutSeconds, t.sql);
        if (e instanceof AdmissionAborted) throw SQL_ERRORS.canceled(t.sql);
        throw e;
      }
    }
    try {
      const c = await this.connect();
      const r = await c.queryTable(t.duckdb, { typed: t.sql, timeoutSeconds, queuedMs: Date.now() - queuedAt });
      return { sql: t.sql, columns: columnNames(t.names, r.columns.map((x) => x.name)), rows: r.rows, types: r.columns.map((x) => x.type) };
    } finally {
      release?.();
    }
  }

  /** The seconds a statement of this session may run now (statementTimeout.ts). */
  timeoutSeconds(): number {
    return effectiveTimeout(this.statementTimeout, this.timeoutCeiling);
  }

  /**
   * ALTER SESSION: QUERY_TAG tags what follows; STATEMENT_TIMEOUT_IN_SECONDS bounds each statement
   * after it (0..604800, UNSET: the account's default); the parameters drivers set when they
   * connect are taken for what the twin already does (TIMEZONE UTC: its sessions are UTC;
   * STRICT_JSON_OUTPUT: its JSON is strict). Every parameter is checked before any is applied;
   * another parameter or value is refused by name.
   */
  private async set(t: Extract<Translated, { kind: "set" }>): Promise<void> {
    let timeout: number | undefined;
    for (const { parameter, value } of t.parameters) {
      if (parameter === STATEMENT_TIMEOUT_PARAMETER) {
        timeout = value === null ? DEFAULT_STATEMENT_TIMEOUT_S : sessionTimeoutValue(value, t.sql);
        continue;
      }
      const ok =
        parameter === "QUERY_TAG" ||
        (parameter === "TIMEZONE" && (value === null || /^(UTC|Etc\/UTC|GMT)$/i.test(value))) ||
        (parameter === "STRICT_JSON_OUTPUT" && (value === null || /^(TRUE|FALSE)$/i.test(value)));
      if (!ok) throw UNSUPPORTED(value === null ? `ALTER SESSION UNSET ${parameter}` : `ALTER SESSION SET ${parameter} = ${value}`, t.sql);
    }
    if (timeout !== undefined) this.statementTimeout = timeout;
    const tag = t.parameters.find((p) => p.parameter === "QUERY_TAG");
    if (tag) {
      this.queryTag = tag.value;
      await this.reconnect();
    }
  }

  private async use(t: Extract<Translated, { kind: "use" }>): Promise<StatementResult> {
    const name = t.name.split(".").at(-1)!;
    switch (t.object) {
      case "ROLE": {
        // A role not granted to the user is refused as one that does not exist: a tenant's user
        // learns nothing of which other roles (tenants) there are.
        if ((this.usable && !this.usable.has(name)) || !(await this.engine.roles()).includes(name)) throw ROLE_ERRORS.doesNotExist(name);
        this.role = name;
        // A warehouse or schema the new role may not use is dropped from the session, as Snowflake does.
        if (this.warehouse && !(await this.mayUseWarehouse(this.warehouse))) this.warehouse = null;
        if (this.schema && !this.schemas().includes(this.schema)) this.schema = null;
        break;
      }
      case "WAREHOUSE":
        await this.useWarehouse(name, t.sql);
        break;
      case "SCHEMA":
        this.useSchema(t.name, t.sql);
        break;
      case "DATABASE":
        if (name !== HUB_DATABASE) throw SQL_ERRORS.objectDoesNotExist(name, t.sql);
        break;
    }
    await this.reconnect();
    return { sql: t.sql, columns: ["status"], rows: [["Statement executed successfully."]], status: "Statement executed successfully." };
  }

  private async useWarehouse(name: string, sql: string): Promise<void> {
    const upper = name.toUpperCase();
    if (!this.engine.warehouses.list().some((w) => w.name === upper) || !(await this.mayUseWarehouse(upper))) throw SQL_ERRORS.objectDoesNotExist(upper, sql);
    this.warehouse = upper;
  }

  private useSchema(name: string, sql: string): void {
    const parts = name.toUpperCase().split(".");
    if (parts.length > 2 || (parts.length === 2 && parts[0] !== HUB_DATABASE)) throw SQL_ERRORS.objectDoesNotExist(name.toUpperCase(), sql);
    const schema = parts.at(-1)!;
    if (!this.schemas().includes(schema)) throw SQL_ERRORS.objectDoesNotExist(`${HUB_DATABASE}.${schema}`, sql);
    this.schema = schema;
  }

  private seesAll(): boolean {
    return (ALL_TENANT_ROLES as readonly string[]).includes(this.role);
  }

  /** The schemas the role has USAGE on (none for HUB_REPORTING: it reads only SNOWFLAKE.ACCOUNT_USAGE). */
  private schemas(): readonly string[] {
    const reach = hubReach(this.role);
    return reach === "all" ? SCHEMAS : reach === "tenant grants" ? TENANT_SCHEMAS : [];
  }

  /**
   * The hub's roles use every warehouse; HUB_REPORTING the one it is granted USAGE on; a tenant role
   * those of its tenants (as its stack grants USAGE).
   */
  private async mayUseWarehouse(name: string): Promise<boolean> {
    if (this.seesAll()) return true;
    // The platform's narrow roles (HUB_REPORTING, HUB_PORTAL): the warehouses their grants name.
    if (PLATFORM_GRANTS.some((g) => g.role === this.role)) return PLATFORM_GRANTS.some((g) => g.role === this.role && g.on.kind === "warehouse" && g.on.name === name && g.privileges.includes("USAGE"));
    const tenants = await this.engine.control<{ tenant_id: string }>(`SELECT DISTINCT tenant_id FROM ${qualifiedName(TENANT_MAP)} WHERE role_name = '${this.role.replaceAll("'", "''")}'`);
    return tenantObjectOwner(name, tenants.map((t) => t.tenant_id)) !== null;
  }

  /** A tenant role's first warehouse (as its service user's DEFAULT_WAREHOUSE); none for the hub's roles. */
  private async defaultWarehouse(): Promise<string | null> {
    if (this.seesAll()) return null;
    for (const w of this.engine.warehouses.list().map((x) => x.name).sort()) if (await this.mayUseWarehouse(w)) return w;
    return null;
  }

  private async connect(): Promise<DuckDbWarehouse> {
    this.connection ??= await this.engine.session({
      role: this.role,
      warehouse: this.warehouse ?? undefined,
      schema: this.schema ?? undefined,
      tag: this.queryTag ? { job: this.queryTag } : undefined,
    });
    return this.connection;
  }

  private async reconnect(): Promise<void> {
    await this.connection?.close();
    this.connection = null;
  }

  async close(): Promise<void> {
    await this.reconnect();
  }
}

/** Result column names: Snowflake's from the statement where it names them, DuckDB's upper-cased under `*`. */
export function columnNames(names: readonly OutputName[], duckdb: readonly string[]): string[] {
  const stars = names.filter((n) => "star" in n).length;
  if (stars === 0 && names.length === duckdb.length) return names.map((n) => (n as { name: string }).name);
  if (stars === 1) {
    const at = names.findIndex((n) => "star" in n);
    const after = names.length - at - 1;
    const width = duckdb.length - (names.length - 1);
    if (width >= 0) {
      return duckdb.map((d, i) => {
        if (i < at) return (names[i] as { name: string }).name;
        if (i >= at + width) return (names[i - width + 1] as { name: string }).name;
        return d.toUpperCase();
      }).slice(0, at + width + after);
    }
  }
  return duckdb.map((d) => d.toUpperCase());
}


function withResults(e: unknown, results: StatementResult[]): unknown {
  if (e instanceof HubSqlError && results.length) return new StatementsError(e, results);
  return e;
}
