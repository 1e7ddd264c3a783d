/**
 * The hub's file reader and writer: a DuckDB instance of its own, in memory, that runs only the
 * hub's own statements — DuckDB's Parquet, CSV and JSON readers and its Parquet writer.
 *
 * Why a second instance: tenant sessions run on the warehouse's instance, and DuckDB's
 * `enable_external_access` is a setting of the whole instance that cannot be turned back on. So
 * the warehouse's instance runs with it off from the moment it opens (a tenant statement that got
 * past the tenant guard still cannot read or write a file), and everything the hub itself does with
 * files (archive export and restore, batch loads) happens here. Rows cross between the two
 * instances as DuckDB data chunks (`fetchChunk` on one side, `appendDataChunk` on the other):
 * never through a file, and never as JavaScript values.
 */
import { DuckDBInstance, type DuckDBConnection, type DuckDBResult, type DuckDBType, type DuckDBValue } from "@duckdb/node-api";
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A column of a streamed result as SQL DDL: DuckDB's own type text (JSON keeps its alias). */
export function columnDdl(name: string, type: DuckDBType): string {
  return `"${name.replaceAll('"', '""')}" ${type.alias ?? type.toString()}`;
}

/** `CREATE TABLE <name> (...)` shaped like a streamed result. */
export function tableLike(name: string, source: DuckDBResult, opts: { temporary?: boolean } = {}): string {
  const names = source.columnNames();
  const types = source.columnTypes();
  return `CREATE ${opts.temporary ? "TEMPORARY " : ""}TABLE ${name} (${names.map((n, i) => columnDdl(n, types[i]!)).join(", ")})`;
}

/**
 * Append every chunk of a streamed result to a table with the same columns, in order, on `conn`
 * (of this instance or another). Returns the rows appended.
 */
export async function appendChunks(conn: DuckDBConnection, source: DuckDBResult, table: string, schema?: string, catalog?: string): Promise<number> {
  const appender = await conn.createAppender(table, schema, catalog);
  let rows = 0;
  try {
    for (;;) {
      const chunk = await source.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      appender.appendDataChunk(chunk);
      rows += chunk.rowCount;
    }
  } finally {
    appender.closeSync();
  }
  return rows;
}

/** Rows staged in the file instance: query them, write them to a file, then drop them. */
export interface StagedRows {
  /** The staging table's name, for SQL run through `query` and `copyTo`. */
  readonly table: string;
  readonly rows: number;
  query(sql: string): Promise<Record<string, unknown>[]>;
  /** `COPY (SELECT <select> FROM <table>) TO '<path>' (<options>)`. */
  copyTo(select: string, path: string, options: string): Promise<void>;
  drop(): Promise<void>;
}

export interface FileIoOptions {
  /**
   * Where a staging table larger than the memory limit spills. Default: a folder under the OS's
   * temporary directory. An in-memory DuckDB otherwise spills to `.tmp` in the current directory.
   */
  readonly tempDirectory?: string;
  /** DuckDB's memory limit for the file instance; default DuckDB's (80 % of RAM). */
  readonly memoryLimit?: string;
}

export class FileIo {
  private seq = 0;
  private closed = false;

  private constructor(private readonly instance: DuckDBInstance) {}

  static async open(opts: FileIoOptions = {}): Promise<FileIo> {
    const temp = opts.tempDirectory ?? join(tmpdir(), `hub-fileio-${process.pid}`);
    mkdirSync(temp, { recursive: true });
    const config: Record<string, string> = { temp_directory: temp };
    if (opts.memoryLimit) config.memory_limit = opts.memoryLimit;
    return new FileIo(await DuckDBInstance.create(":memory:", config));
  }

  private connect(): Promise<DuckDBConnection> {
    if (this.closed) throw new Error("the file reader is closed");
    return this.instance.connect();
  }

  /**
   * Run `sql` (a query over DuckDB's file readers) and hand its streamed result to `consume`,
   * which must read it to the end before it returns.
   */
  async read<T>(sql: string, consume: (result: DuckDBResult) => Promise<T>, binds?: DuckDBValue[]): Promise<T> {
    const conn = await this.connect();
    try {
      return await consume(await conn.stream(sql, binds));
    } finally {
      conn.closeSync();
    }
  }

  /** Stage a streamed result (from any instance) in a table of this instance. */
  async stage(source: DuckDBResult): Promise<StagedRows> {
    const conn = await this.connect();
    const table = `staged_${++this.seq}`;
    try {
      await conn.run(tableLike(table, source));
      const rows = await appendChunks(conn, source, table);
      return {
        table,
        rows,
        query: async (sql) => (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[],
        copyTo: async (select, path, options) => {
          await conn.run(`COPY (SELECT ${select} FROM ${table}) TO '${path.replaceAll("'", "''")}' (${options})`);
        },
        drop: async () => {
          try {
            await conn.run(`DROP TABLE IF EXISTS ${table}`);
          } finally {
            conn.closeSync();
          }
        },
      };
    } catch (e) {
      await conn.run(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
      conn.closeSync();
      throw e;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.instance.closeSync();
  }
}
