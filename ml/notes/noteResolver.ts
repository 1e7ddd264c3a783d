/**
 * ML.ANALYSE_NOTE on the twin (issue 28): the engine's resolver for the external function, answering
 * each batch with the configured backend exactly as the production Lambda does (noteAnswers.ts).
 * The backend is made on first use; if it cannot be made (the shipped model missing or broken),
 * every note of the call is answered with that error, so the task records the notes as failed and
 * retries them instead of losing them or failing the task graph.
 */
import type { NoteInsightBackend } from "./insightContract.ts";
import { answerNoteRows, type NoteAnswer } from "./noteAnswers.ts";

export const ANALYSE_NOTE_FUNCTION = "ML.ANALYSE_NOTE";

export function noteAnalysisResolver(makeBackend: () => NoteInsightBackend): (rows: ReadonlyArray<readonly unknown[]>) => Promise<NoteAnswer[]> {
  let backend: NoteInsightBackend | undefined;
  return async (rows) => {
    try {
      backend ??= makeBackend();
    } catch (e) {
      return rows.map(() => ({ error: `the note-insight backend is unavailable: ${(e as Error).message}` }));
    }
    return answerNoteRows(backend, rows);
  };
}
