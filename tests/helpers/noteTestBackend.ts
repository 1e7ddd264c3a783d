/**
 * A small deterministic note-insight backend for tests of the note flow, so they do not depend on
 * a model's accuracy: a note is a safety concern when it holds one of a few phrases (the phrase is
 * the evidence), negative when it holds "broken"/"roto"/"cassé", and so on. Words in the text steer
 * failures: `BACKEND_DOWN` makes the backend throw, `SCHEMA_BREAK` makes it answer a sentiment
 * outside the contract.
 */
import type { NoteInput, NoteInsightBackend, NoteInsightResult } from "../../ml/notes/insightContract.ts";

const SAFETY_PHRASES = ["oil leak", "guard removed", "fuga de aceite", "fuite d'huile"];

export function testNoteBackend(model = "test:rules-v1"): NoteInsightBackend & { calls: number } {
  const backend = {
    model,
    calls: 0,
    async analyse(notes: readonly NoteInput[]): Promise<NoteInsightResult[]> {
      backend.calls += notes.length;
      return notes.map((n) => {
        if (n.text.includes("BACKEND_DOWN")) throw new Error("backend unreachable");
        const lower = n.text.toLowerCase();
        const phrase = SAFETY_PHRASES.find((p) => lower.includes(p)) ?? null;
        const language = /huile|\bune\b|\bsur\b/.test(lower) ? "fr" : /aceite|\bel\b/.test(lower) ? "es" : "en";
        const sentiment = n.text.includes("SCHEMA_BREAK") ? "furious" : /broken|roto|cassé/.test(lower) ? "negative" : "neutral";
        const need = /need (\w+)/.exec(lower)?.[1] ?? null;
        return { language, sentiment, safety_concern: phrase !== null, safety_phrase: phrase, unmet_need: need, summary: `${n.kind} note`, model, latency_ms: 3 } as NoteInsightResult;
      });
    },
  };
  return backend;
}
