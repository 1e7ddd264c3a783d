/**
 * ML.ANALYSE_NOTE's answers (issue 28), the same on both targets: the Lambda behind API Gateway
 * (Snowflake's EXTERNAL FUNCTION) and the twin's resolver both turn a batch of `[kind, text]` rows
 * into one answer per row with `answerNoteRows`. An answer is the contract's insight plus `model`
 * and `latency_ms`, or `{"error": "..."}`: a note the backend fails on or refuses, or whose answer
 * fails the schema, is an error for that row only, which OPS.ANALYSE_NOTES records and retries.
 */
import { maskPersonalData } from "./personalData.ts";
import { MAX_NOTE_CHARS, NOTE_KINDS, parseNoteInsight, type NoteInsightBackend, type NoteInsightResult, type NoteKind } from "./insightContract.ts";

export type NoteAnswer = NoteInsightResult | { readonly error: string };

/** Notes analysed at once within a batch: bounds the calls in flight to one backend (Bedrock's per-account quota). */
export const NOTE_CONCURRENCY = 4;

function rowError(row: readonly unknown[]): string | null {
  const [kind, text] = row;
  if (row.length !== 2) return `expected 2 arguments (kind, text), got ${row.length}`;
  if (typeof kind !== "string" || !(NOTE_KINDS as readonly string[]).includes(kind)) return `kind: ${JSON.stringify(kind)} is not one of ${NOTE_KINDS.join(", ")}`;
  if (typeof text !== "string" || text.trim() === "") return `text: ${JSON.stringify(text)} is not a non-empty string`;
  if (text.length > MAX_NOTE_CHARS) return `text: ${text.length} characters, at most ${MAX_NOTE_CHARS}`;
  return null;
}

/** One note's answer, checked again against the contract whatever the backend did. */
async function answerOne(backend: NoteInsightBackend, kind: NoteKind, text: string): Promise<NoteAnswer> {
  try {
    const [result] = await backend.analyse([{ kind, text }]);
    if (!result) return { error: `${backend.model} answered no insight` };
    const { model, latency_ms, ...insight } = result;
    if (typeof model !== "string" || model === "") return { error: `model: ${JSON.stringify(model)} is not a model name` };
    if (typeof latency_ms !== "number" || !Number.isFinite(latency_ms) || latency_ms < 0) return { error: `latency_ms: ${JSON.stringify(latency_ms)} is not a duration` };
    // The phrase comes from the text the backend saw: the note, or (Bedrock) the note masked.
    const seen = result.safety_phrase !== null && !phraseIn(result.safety_phrase, text) ? maskPersonalData(text) : text;
    return { ...parseNoteInsight(insight, seen), model, latency_ms };
  } catch (e) {
    return { error: (e as Error).message || String(e) };
  }
}

function phraseIn(phrase: unknown, text: string): boolean {
  const norm = (s: string) => s.normalize("NFC").toLowerCase().replace(/\s+/g, " ").trim();
  return typeof phrase === "string" && norm(text).includes(norm(phrase));
}

/** One answer per row of `[kind, text]`, in order; never throws for a row's sake. */
export async function answerNoteRows(backend: NoteInsightBackend, rows: ReadonlyArray<readonly unknown[]>): Promise<NoteAnswer[]> {
  const out: NoteAnswer[] = new Array(rows.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < rows.length; i = next++) {
      const row = rows[i]!;
      const refused = rowError(row);
      out[i] = refused ? { error: refused } : await answerOne(backend, row[0] as NoteKind, row[1] as string);
    }
  };
  await Promise.all(Array.from({ length: Math.min(NOTE_CONCURRENCY, rows.length) }, worker));
  return out;
}
