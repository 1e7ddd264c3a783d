/**
 * The DuckDB driver: a `Warehouse` session over one DuckDB connection. Admin and pipeline roles
 * work on the data catalog; a tenant role is switched to the secure catalog (views with the row
 * access and masking policies applied) and may only run SELECTs there.
 */
import { timestampValueFromDate, type DuckDBConnection, type DuckDBValue } from "@duckdb/node-api";
import { duckdbDialect, DUCKDB_VARIABLES, quoteString } from "../dialect/index.ts";
import type { QueryOptions, Row, SqlValue, Warehouse } from "./warehouse.ts";
import { fromDuckDbError } from "./duckdbErrors.ts";
import { checkTenantStatement, type GuardContext } from "./tenantGuard.ts";

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
      if (!this.opts.seesAllTenants) await c.run(`USE ${this.opts.guard.secureCatalog}`);
    })();
    return this.prepared;
  }

  private async guard(sql: string): Promise<void> {
    if (this.opts.seesAllTenants) return;
    const r = await this.opts.connection.runAndReadAll("SELECT json_serialize_sql(CAST(? AS VARCHAR)) AS j", [sql]);
    checkTenantStatement(String(r.getRows()[0]![0]), sql, this.opts.guard);
  }

  async query<T extends Row = Row>(sql: string, options: QueryOptions = {}): Promise<T[]> {
    const { rows } = await this.run(sql, options, true);
    return rows as T[];
  }

  async execute(sql: string, options: QueryOptions = {}): Promise<number> {
    const { changed } = await this.run(sql, options, false);
    return changed;
  }

  private async run(sql: string, options: QueryOptions, read: boolean): Promise<{ rows: Row[]; changed: number }> {
    await this.setup();
    const tag = options.tag ?? this.opts.defaultTag;
    const info = { sql, role: this.role, warehouse: this.opts.warehouse, tag };
    await this.guard(sql).catch((e: unknown) => {
      throw fromDuckDbError(e, sql);
    });
    await this.opts.hooks?.before?.(info);
    const startedAt = Date.now();
    const t0 = performance.now();
    try {
      const values = options.binds?.map(toDuckValue);
      let rows: Row[] = [];
      let changed = 0;
      if (read) {
        const reader = await this.opts.connection.runAndReadAll(sql, values);
        const names = reader.columnNames().map((n) => n.toLowerCase());
        const json = reader.columnTypes().map((t) => t.alias === "JSON");
        rows = reader.getRowsJS().map((r) => {
          const o: Row = {};
          r.forEach((v, i) => {
            o[names[i]!] = fromDuckValue(v, json[i]!);
          });
          return o;
        });
        changed = rows.length;
      } else {
        const result = await this.opts.connection.run(sql, values);
        changed = Number(result.rowsChanged);
      }
      await this.opts.hooks?.after?.({ ...info, startedAt, elapsedMs: performance.now() - t0, rows: changed });
      return { rows, changed };
    } catch (e) {
      const err = fromDuckDbError(e, sql);
      await this.opts.hooks?.after?.({ ...info, startedAt, elapsedMs: performance.now() - t0, rows: 0, error: err });
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.opts.ownsConnection !== false) this.opts.connection.closeSync();
  }
}
