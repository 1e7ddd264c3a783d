/**
 * The Lambda behind API Gateway that Snowflake's EXTERNAL FUNCTION ML.ANALYSE_NOTE calls (issue 28;
 * seed 002's shape). Snowflake's format (https://docs.snowflake.com/en/sql-reference/external-functions-data-format):
 * a POST whose body is `{"data": [[row number, kind, text], ...]}`; the answer is status 200 and
 * `{"data": [[row number, answer], ...]}` with one row per row received. API Gateway's Lambda proxy
 * integration hands the body over as a string (base64 when `isBase64Encoded`).
 *
 * A note that fails or is refused is an `{"error": ...}` answer for its row (noteAnswers.ts), so one
 * bad note does not fail the batch; a malformed request is a 400, which Snowflake reports as the
 * query's error.
 */
import type { NoteInsightBackend } from "./insightContract.ts";
import { answerNoteRows } from "./noteAnswers.ts";
import { createBedrockNoteBackend } from "./bedrockBackend.ts";

/** The parts of API Gateway's proxy event the handler reads. */
export interface ProxyEvent {
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
}

export interface ProxyResult {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Rows per request the handler accepts: ML.ANALYSE_NOTE's MAX_BATCH_ROWS is 10; more is a caller's mistake. */
export const MAX_REQUEST_ROWS = 100;

function answer(statusCode: number, body: unknown): ProxyResult {
  return { statusCode, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

/** The request's rows, or the reason it is refused (naming the field and the value). */
export function requestRows(event: ProxyEvent): { rows: Array<[number, ...unknown[]]> } | { refused: string } {
  if (typeof event.body !== "string") return { refused: "the request has no body" };
  let parsed: unknown;
  try {
    parsed = JSON.parse(event.isBase64Encoded ? Buffer.from(event.body, "base64").toString("utf8") : event.body);
  } catch {
    return { refused: "the body is not JSON" };
  }
  const data = (parsed as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return { refused: 'data: expected {"data": [[row, kind, text], ...]}' };
  if (data.length > MAX_REQUEST_ROWS) return { refused: `data: ${data.length} rows, at most ${MAX_REQUEST_ROWS}` };
  for (const [i, row] of data.entries()) {
    if (!Array.isArray(row) || !Number.isInteger(row[0])) return { refused: `data[${i}]: ${JSON.stringify(row)?.slice(0, 60)} is not [row number, ...arguments]` };
  }
  return { rows: data as Array<[number, ...unknown[]]> };
}

/** A handler around a backend (tests pass one; the deployed handler below uses Bedrock). */
export function noteInsightHandler(backend: NoteInsightBackend) {
  return async (event: ProxyEvent): Promise<ProxyResult> => {
    const r = requestRows(event);
    if ("refused" in r) return answer(400, { error: r.refused });
    const answers = await answerNoteRows(backend, r.rows.map((row) => row.slice(1)));
    return answer(200, { data: r.rows.map((row, i) => [row[0], answers[i]]) });
  };
}

let deployed: ((event: ProxyEvent) => Promise<ProxyResult>) | undefined;

/**
 * The Lambda's entry point: the model id comes from the function's environment (NOTE_MODEL_ID, set
 * from the stack config by infra/aws/noteInsights.ts); the client is made once per container.
 */
export async function handler(event: ProxyEvent): Promise<ProxyResult> {
  deployed ??= noteInsightHandler(createBedrockNoteBackend({ modelId: process.env.NOTE_MODEL_ID }));
  return deployed(event);
}
