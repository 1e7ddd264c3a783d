/**
 * What a session answers for each statement, and the failure that carries the answers before it.
 * Kept apart from the twin's session (snowflakeSession.ts), which loads the SQL transpiler's
 * WebAssembly: a session on a served hub (servedSession.ts) answers the same way without it.
 */
import { HubSqlError } from "../warehouse/errors.ts";

export interface StatementResult {
  /** The statement as typed. */
  readonly sql: string;
  readonly columns: readonly string[];
  readonly rows: unknown[][];
  /** DuckDB's type of each column, for a client that types its result (the SQL endpoint). */
  readonly types?: readonly string[];
  /** A status line for statements without rows (`Statement executed successfully.`). */
  readonly status?: string;
}

/** A failure, carrying the results of the statements before it (SnowSQL prints them). */
export class StatementsError extends HubSqlError {
  constructor(
    readonly cause0: HubSqlError,
    readonly results: readonly StatementResult[],
  ) {
    super(cause0.code, cause0.sqlState, cause0.message, cause0.sql, { cause: cause0 });
  }
}
