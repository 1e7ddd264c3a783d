/**
 * The DuckDB driver: a `Warehouse` session over one DuckDB connection. Admin and pipeline roles
 * work on the data catalog; a tenant role is switched to the secure catalog (views with the row
 * access and masking policies applied) and may only run SELECTs there.
 */
import { timestampValueFromDate, type DuckDBConnection, type DuckDBResult, type DuckDBValue } from "@duckdb/node-api";
import { duckdbDialect, DUCKDB_VARIABLES, quoteString } from "../dialect/index.ts";
import type { QueryOptions, Row, SqlValue, Warehouse } from "./warehouse.ts";
import { fromDuckDbError } from "./duckdbErrors.ts";
import { SQL_ERRORS } from "./errors.ts";
import { checkTenantStatement, type GuardContext } from "./tenantGuard.ts";
import { checkAccountUsageText } from "./accountUsageAccess.ts";
import { appendChunks, tableLike } from "../engine/fileIo.ts";

/** What the control plane learns about each statement: it resumes warehouses and keeps history. */
export interface StatementHooks {
  before?(info: { sql: string; role: string; warehouse: string | null; tag?: QueryOptions["tag"] }): Promise<void> | void;
  after?(info: {
    sql: string;
    role: string;
    warehouse: string | null;
    tag?: QueryOptions["tag"];
    startedAt: number;
    elapsedMs: number;
    rows: number;
    error?: Error;
  }): Promise<void> | void;
}

export interface DuckDbSessionOptions {
  readonly connection: DuckDBConnection;
  readonly role: string;
  /** Roles that read the data catalog directly (admin, pipeline); others are tenant roles. */
  readonly seesAllTenants: boolean;
  readonly guard: GuardContext;
  readonly warehouse: string | null;
  readonly hooks?: StatementHooks;
  readonly defaultTag?: QueryOptions["tag"];
  /** Close the connection when the session closes (false when the engine owns it). */
  readonly ownsConnection?: boolean;
  /**
   * The twin's now, when the ACCOUNT_USAGE views' latency is simulated: set before each statement
   * as the variable the views hide newer rows by (pipelines/engine/accountUsage.ts). Default none.
   */
  readonly usageNow?: () => Date;
  /**
   * The catalog and schema unqualified names resolve in (`USE`), e.g. `hub_secure.ANALYTICS`;
   * default: the secure catalog for a tenant role, the data catalog for the others.
   */
  readonly use?: string;
  /**
   * A write-only role's check of each statement (HUB_PORTAL: portalWriteGuard.ts): true lets the
   * statement run, false hands it to the tenant guard; such a session runs on the data catalog
   * (`use`), so its guard must grant nothing. Default none.
   */
  readonly writeCheck?: (sql: string) => boolean;
}

/** What a statement of a SQL session may be told besides the Warehouse's options. */
export interface SessionQueryOptions extends QueryOptions {
  /**
   * Seconds the statement may run before it is interrupted (DuckDB's interrupt on this session's
   * connection only) and refused with Snowflake's statement timeout error. Default: no limit.
   */
  readonly timeoutSeconds?: number;
  /**
   * Milliseconds the statement already waited for a place on its warehouse (the served twin's
   * admission gate): they count against timeoutSeconds, as Snowflake counts queued time. Default 0.
   */
  readonly queuedMs?: number;
}

/** A result as a table: column names and types as DuckDB gives them, rows by position. */
export interface TableResult {
  readonly columns: ReadonlyArray<{ readonly name: string; readonly type: string }>;
  readonly rows: unknown[][];
}

function toDuckValue(v: SqlValue): DuckDBValue {
  if (v instanceof Date) return timestampValueFromDate(v);
  return v as DuckDBValue;
}

function fromDuckValue(v: unknown, isJson: boolean): unknown {
  if (typeof v === "bigint") return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (isJson && typeof v === "string") return JSON.parse(v);
  return v;
}

export class DuckDbWarehouse implements Warehouse {
  readonly dialect = duckdbDialect;
  readonly role: string;
  private readonly opts: DuckDbSessionOptions;
  private prepared: Promise<void> | null = null;

  constructor(opts: DuckDbSessionOptions) {
    this.opts = opts;
    this.role = opts.role;
  }

  /** Session setup runs once, before the first statement. */
  private setup(): Promise<void> {
    this.prepared ??= (async () => {
      const c = this.opts.connection;
      await c.run(`SET VARIABLE ${DUCKDB_VARIABLES.role} = ${quoteString(this.role)}`);
      if (this.opts.use) await c.run(`USE ${this.opts.use}`);
      else if (!this.opts.seesAllTenants) await c.run(`USE ${this.opts.guard.secureCatalog}`);
    })();
    return this.prepared;
  }

  private async guard(sql: string): Promise<void> {
    // The hub's own roles run any statement, unparsed: only their reach into the usage views is checked.
    if (this.opts.seesAllTenants) return checkAccountUsageText(sql, this.opts.guard.accountUsage ?? new Set());
    if (this.opts.writeCheck?.(sql)) return;
    const r = await this.opts.connection.runAndReadAll("SELECT json_serialize_sql(CAST(? AS VARCHAR)) AS j", [sql]);
    checkTenantStatement(String(r.getRows()[0]![0]), sql, this.opts.guard);
  }

  async query<T extends Row = Row>(sql: string, options: SessionQueryOptions = {}): Promise<T[]> {
    const { rows } = await this.run(sql, options, true);
    return rows as T[];
  }

  async execute(sql: string, options: SessionQueryOptions = {}): Promise<number> {
    const { changed } = await this.run(sql, options, false);
    return changed;
  }

  private async run(sql: string, options: SessionQueryOptions, read: boolean): Promise<{ rows: Row[]; changed: number }> {
    return this.statement(sql, options, async (values) => {
      if (!read) {
        const result = await this.opts.connection.run(sql, values);
        const changed = Number(result.rowsChanged);
        return { value: { rows: [], changed }, rows: changed };
      }
      const reader = await this.opts.connection.runAndReadAll(sql, values);
      const names = reader.columnNames().map((n) => n.toLowerCase());
      const json = reader.columnTypes().map((t) => t.alias === "JSON");
      const rows = reader.getRowsJS().map((r) => {
        const o: Row = {};
        r.forEach((v, i) => {
          o[names[i]!] = fromDuckValue(v, json[i]!);
        });
        return o;
      });
      return { value: { rows, changed: rows.length }, rows: rows.length };
    });
  }

  /** Rows by position with their columns' names and types (what a SQL client shows). */
  async queryTable(sql: string, options: SessionQueryOptions = {}): Promise<TableResult> {
    return this.statement(sql, options, async (values) => {
      const reader = await this.opts.connection.runAndReadAll(sql, values);
      const types = reader.columnTypes();
      const columns = reader.columnNames().map((name, i) => ({ name, type: types[i]!.alias ?? types[i]!.toString() }));
      const json = types.map((t) => t.alias === "JSON");
      const rows = reader.getRowsJS().map((r) => r.map((v, i) => fromDuckValue(v, json[i]!)));
      return { value: { columns, rows }, rows: rows.length };
    });
  }

  /** One statement through the guard and the control plane's hooks (warehouse resume, history). */
  private async statement<T>(sql: string, options: SessionQueryOptions, exec: (values: DuckDBValue[] | undefined) => Promise<{ value: T; rows: number }>): Promise<T> {
    await this.setup();
    const tag = options.tag ?? this.opts.defaultTag;
    const shown = options.typed ?? sql;
    const info = { sql: shown, role: this.role, warehouse: this.opts.warehouse, tag };
    await this.guard(sql).catch((e: unknown) => {
      throw fromDuckDbError(e, shown);
    });
    if (this.opts.usageNow) {
      await this.opts.connection.run(`SET VARIABLE ${DUCKDB_VARIABLES.usageNow} = TIMESTAMP '${this.opts.usageNow().toISOString().replace("T", " ").replace("Z", "")}'`);
    }
    await this.opts.hooks?.before?.(info);
    const startedAt = Date.now();
    const t0 = performance.now();
    // The timer covers the statement's execution only: the guard and the hooks above are the
    // twin's own bookkeeping. An interrupt that lands after the statement ended is harmless (DuckDB
    // clears it when the next statement starts: checked on 1.5.5), and the statement's own result
    // stands; only a failure after the timer fired is the timeout.
    let timedOut = false;
    const seconds = options.timeoutSeconds;
    const timer = seconds === undefined ? null : setTimeout(() => {
      timedOut = true;
      this.opts.connection.interrupt();
    }, Math.max(0, seconds * 1000 - (options.queuedMs ?? 0)));
    try {
      const { value, rows } = await exec(options.binds?.map(toDuckValue));
      if (timer) clearTimeout(timer);
      await this.opts.hooks?.after?.({ ...info, startedAt, elapsedMs: performance.now() - t0, rows });
      return value;
    } catch (e) {
      if (timer) clearTimeout(timer);
      const err = timedOut ? SQL_ERRORS.statementTimeout(seconds!, shown) : fromDuckDbError(e, shown);
      await this.opts.hooks?.after?.({ ...info, startedAt, elapsedMs: performance.now() - t0, rows: 0, error: err });
      throw err;
    }
  }

  /** The hub's own bulk paths (archive, loads) only: a tenant session never moves rows in bulk. */
  private bulkOnly(what: string): void {
    if (!this.opts.seesAllTenants) throw new Error(`${what} is for the hub's own roles, not ${this.role}`);
  }

  /**
   * Run a query and hand its streamed result to `consume`, which reads it to the end (into the
   * file instance, `fileIo.ts`): how rows leave this instance for a file. Recorded like any
   * statement; `consume`'s result is returned.
   */
  async withStream<T>(sql: string, consume: (result: DuckDBResult) => Promise<T>, options: QueryOptions = {}): Promise<T> {
    this.bulkOnly("streaming a result out");
    return this.statement(sql, options, async (values) => {
      const value = await consume(await this.opts.connection.stream(sql, values));
      return { value, rows: 0 };
    });
  }

  /**
   * A temporary table on this session shaped like a streamed result (from the file instance),
   * holding all of it: how rows from a file enter this instance. Returns the rows appended.
   */
  async appendToTemporary(table: string, source: DuckDBResult): Promise<number> {
    this.bulkOnly("loading rows in bulk");
    await this.setup();
    if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error(`temporary table name ${JSON.stringify(table)} is not a plain lower-case identifier`);
    try {
      await this.opts.connection.run(tableLike(table, source, { temporary: true }));
      return await appendChunks(this.opts.connection, source, table, "main", "temp");
    } catch (e) {
      throw fromDuckDbError(e);
    }
  }

  async close(): Promise<void> {
    if (this.opts.ownsConnection !== false) this.opts.connection.closeSync();
  }
}
