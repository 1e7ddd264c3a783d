/**
 * External functions on the twin. Snowflake calls an EXTERNAL FUNCTION from SQL, sending batches of
 * `MAX_BATCH_ROWS` rows to the remote service and giving each row its answer
 * (https://docs.snowflake.com/en/sql-reference/external-functions-data-format). DuckDB cannot await
 * a remote service inside a query, so a task that calls one (TaskDef.external) gets the answers
 * before its body runs: the runner reads the call's input rows inside the task's transaction, calls
 * the resolver the engine was given for the function, batch by batch, and writes the answers to the
 * scratch table the body reads (Dialect.externalCall). The resolver takes what the remote service
 * takes: the argument rows of one batch, and returns one answer per row, in order.
 */
import { duckdbDialect as d, quoteString } from "../dialect/index.ts";
import { qualifiedName, type ExternalCall } from "../definitions/types.ts";
import { runPipelineStatement, type PipelineContext } from "./pipelineContext.ts";

/** One batch of argument rows in, one answer per row out, in order (the remote service's contract). */
export type ExternalFunctionResolver = (rows: ReadonlyArray<readonly unknown[]>) => Promise<readonly unknown[]>;

/** Rows per INSERT of answers: keeps one statement's text bounded. */
const INSERT_ROWS = 200;

/**
 * A whole batch failed (the resolver threw, or answered the wrong number of rows): each row gets
 * `{"error": ...}`, which the task records per row and retries, as Snowflake's task would after the
 * remote service answered an error for those rows.
 */
function failedBatch(n: number, message: string): unknown[] {
  return Array.from({ length: n }, () => ({ error: message }));
}

async function answersFor(
  resolver: ExternalFunctionResolver | undefined,
  fn: string,
  args: ReadonlyArray<readonly unknown[]>,
  batchRows: number,
): Promise<unknown[]> {
  if (!resolver) return failedBatch(args.length, `no backend is configured for ${fn} on this hub`);
  const out: unknown[] = [];
  for (let i = 0; i < args.length; i += batchRows) {
    const batch = args.slice(i, i + batchRows);
    try {
      const answers = await resolver(batch);
      out.push(...(answers.length === batch.length ? answers : failedBatch(batch.length, `${fn} answered ${answers.length} rows for ${batch.length}`)));
    } catch (e) {
      out.push(...failedBatch(batch.length, `${fn} failed: ${(e as Error).message}`));
    }
  }
  return out;
}

/** Fill the call's scratch table with an answer per input row; runs inside the task's transaction. */
export async function fillExternalAnswers(ctx: PipelineContext, call: ExternalCall, warehouse: string, job: string): Promise<number> {
  const fn = qualifiedName(call.fn);
  const rows = (await ctx.conn.runAndReadAll(call.input(d))).getRowsJS();
  const answers = await answersFor(ctx.externalFunctions?.get(fn), fn, rows.map((r) => r.slice(1)), call.fn.maxBatchRows);
  const table = d.externalCall(call.into, fn, [], "").ref;
  await runPipelineStatement(ctx, `CREATE OR REPLACE TEMP TABLE ${table} (call_key VARCHAR, answer JSON)`, warehouse, { job });
  for (let i = 0; i < rows.length; i += INSERT_ROWS) {
    const values = rows.slice(i, i + INSERT_ROWS).map((r, j) =>
      `(${quoteString(String(r[0]))}, ${answers[i + j] === null || answers[i + j] === undefined ? "NULL" : `CAST(${quoteString(JSON.stringify(answers[i + j]))} AS JSON)`})`);
    await runPipelineStatement(ctx, `INSERT INTO ${table} (call_key, answer) VALUES ${values.join(", ")}`, warehouse, { job });
  }
  return rows.length;
}
