/**
 * Operator-note insights (issue 28, section 3): the offline model scored on the held-back notes.
 * Safety-concern precision and recall (target recall ≥ 0.9 at precision ≥ 0.7), sentiment accuracy
 * per language, language identification and unmet-need accuracy, and notes per second, against
 * folding and tokenising the same notes in the same run (the least any model must do with the
 * text). Seed 002's Bedrock call takes 1.6–2.7 s per note, for comparison (not measured here).
 */
import { createOfflineNoteBackend } from "../ml/notes/offlineBackend.ts";
import { evaluateNoteBackend, SAFETY_TARGET } from "../ml/notes/evaluateNoteBackend.ts";
import { loadNoteSet, splitNoteSet } from "../ml/notes/noteSet.ts";
import { foldText, tokens } from "../ml/notes/noteText.ts";
import type { Benchmark, Figure } from "./harness.ts";

export const notesBenchmark: Benchmark = {
  name: "notes",
  description: "operator-note insights: the offline model on the held-back notes (safety precision/recall, sentiment per language, notes/s)",
  async run({ scale, progress }): Promise<Figure[]> {
    const { heldBack } = splitNoteSet(loadNoteSet());
    const rounds = Math.max(1, Math.round(50 * scale));
    const backend = createOfflineNoteBackend();
    await backend.analyse(heldBack.slice(0, 10)); // warm the JIT before timing
    progress(`${heldBack.length} held-back notes, ${rounds} rounds`);
    const e = await evaluateNoteBackend(backend, heldBack, { rounds });
    const t0 = performance.now();
    let words = 0;
    for (let r = 0; r < rounds; r++) for (const n of heldBack) words += tokens(foldText(n.text)).length;
    const tokenisePerSecond = (heldBack.length * rounds) / ((performance.now() - t0) / 1000);
    progress(`${words} words tokenised`);
    const share = (name: string, value: number, description: string, target?: number): Figure => ({
      name: `notes.${name}`,
      value: Number(value.toFixed(3)),
      unit: "",
      description,
      ...(target !== undefined ? { target: { op: ">=" as const, value: target, on: "value" as const } } : {}),
    });
    return [
      share("safety_recall", e.safety.recall, `held-back concerns found (${e.safety.tp} of ${e.safety.tp + e.safety.fn})`, SAFETY_TARGET.recall),
      share("safety_precision", e.safety.precision, `held-back flags that are concerns (${e.safety.tp} of ${e.safety.tp + e.safety.fp})`, SAFETY_TARGET.precision),
      share("sentiment_accuracy_en", e.sentimentAccuracy.en, "held-back English notes with the labelled sentiment"),
      share("sentiment_accuracy_es", e.sentimentAccuracy.es, "held-back Spanish notes with the labelled sentiment"),
      share("sentiment_accuracy_fr", e.sentimentAccuracy.fr, "held-back French notes with the labelled sentiment"),
      share("language_accuracy", e.languageAccuracy, "held-back notes whose language is identified"),
      share("unmet_need_accuracy", e.unmetNeedAccuracy, "held-back notes with the labelled unmet need (or none)"),
      {
        name: "notes.per_second",
        value: Math.round(e.notesPerSecond),
        unit: "notes/s",
        description: "offline model, one core, every answer checked by parseNoteInsight",
        reference: { name: "folding and tokenising the same notes", value: Math.round(tokenisePerSecond), unit: "notes/s" },
        ratio: Number((e.notesPerSecond / tokenisePerSecond).toFixed(3)),
        ratioMeaning: "model speed / tokenising speed",
      },
    ];
  },
};
