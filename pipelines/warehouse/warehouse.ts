/**
 * The interface pipeline code talks to: one per session (a role, a warehouse, a query tag). Two
 * drivers implement it: DuckDB (the embedded engine) and Snowflake (`snowflake-sdk`). Pipeline
 * steps receive a `Warehouse`; they never import a driver.
 */
import type { Dialect } from "../dialect/index.ts";

export type SqlValue = string | number | bigint | boolean | null | Date;
export type Row = Record<string, unknown>;

/** Who is running a query and why: Snowflake's QUERY_TAG carries it to the cost report. */
export interface QueryTag {
  readonly tenant?: string;
  readonly job: string;
}

export function formatQueryTag(tag: QueryTag): string {
  return JSON.stringify(tag.tenant ? { tenant: tag.tenant, job: tag.job } : { job: tag.job });
}

export interface QueryOptions {
  /** Positional bind values for `?` placeholders. */
  readonly binds?: readonly SqlValue[];
  readonly tag?: QueryTag;
  /**
   * The statement as the user typed it, when `sql` is its translation: what QUERY_HISTORY records
   * and what an error's line and position refer to, as on Snowflake.
   */
  readonly typed?: string;
}

export interface Warehouse {
  readonly dialect: Dialect;
  /** The session's role, as the row access policy sees it. */
  readonly role: string;
  /** Rows as objects with lower-case column names (both engines). */
  query<T extends Row = Row>(sql: string, options?: QueryOptions): Promise<T[]>;
  /** A statement whose result is not needed; returns the rows it changed where known. */
  execute(sql: string, options?: QueryOptions): Promise<number>;
  close(): Promise<void>;
}
