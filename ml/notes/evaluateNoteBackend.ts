/**
 * Scores a note-insight backend on labelled notes (issue 28, section 3): safety-concern precision and
 * recall, sentiment accuracy per language, language-identification and unmet-need accuracy, and
 * notes per second. Any backend (the offline model, Bedrock behind a mock or for real) is scored the
 * same way; the figures the issue sets targets for are taken on the held-back part.
 */
import { NOTE_LANGUAGES, type NoteInsightBackend, type NoteLanguage } from "./insightContract.ts";
import type { LabelledNote } from "./noteSet.ts";

/** The local target on the held-back part. */
export const SAFETY_TARGET = { recall: 0.9, precision: 0.7 } as const;

export interface NoteEvaluation {
  readonly model: string;
  readonly notes: number;
  readonly safety: { readonly tp: number; readonly fp: number; readonly fn: number; readonly tn: number; readonly precision: number; readonly recall: number; readonly meetsTarget: boolean };
  /** Share of notes whose sentiment matches the label, per language of the label and overall. */
  readonly sentimentAccuracy: Readonly<Record<NoteLanguage | "all", number>>;
  readonly languageAccuracy: number;
  readonly unmetNeedAccuracy: number;
  readonly notesPerSecond: number;
  /** Notes the backend got wrong, for a reader to look at (id, field, expected, got). */
  readonly misses: readonly { readonly id: string; readonly field: string; readonly expected: unknown; readonly got: unknown }[];
}

export interface EvaluateOptions {
  /** Times the whole set is analysed for the speed figure (the labels are scored on the first round). */
  readonly rounds?: number;
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

export async function evaluateNoteBackend(backend: NoteInsightBackend, notes: readonly LabelledNote[], opts: EvaluateOptions = {}): Promise<NoteEvaluation> {
  const rounds = Math.max(1, opts.rounds ?? 1);
  const inputs = notes.map((n) => ({ kind: n.kind, text: n.text }));
  const t0 = performance.now();
  const answers = await backend.analyse(inputs);
  for (let r = 1; r < rounds; r++) await backend.analyse(inputs);
  const seconds = (performance.now() - t0) / 1000;
  if (answers.length !== notes.length) throw new Error(`${backend.model}: ${answers.length} answers for ${notes.length} notes`);
  let tp = 0, fp = 0, fn = 0, tn = 0, lang = 0, need = 0;
  const sent = Object.fromEntries([...NOTE_LANGUAGES, "all"].map((l) => [l, { ok: 0, n: 0 }])) as Record<NoteLanguage | "all", { ok: number; n: number }>;
  const misses: { id: string; field: string; expected: unknown; got: unknown }[] = [];
  for (const [i, n] of notes.entries()) {
    const a = answers[i]!;
    if (n.safety_concern && a.safety_concern) tp++;
    else if (!n.safety_concern && a.safety_concern) fp++;
    else if (n.safety_concern) fn++;
    else tn++;
    if (n.safety_concern !== a.safety_concern) misses.push({ id: n.id, field: "safety_concern", expected: n.safety_concern, got: a.safety_phrase ?? false });
    for (const key of [n.language, "all"] as const) {
      sent[key].n++;
      if (a.sentiment === n.sentiment) sent[key].ok++;
    }
    if (a.sentiment !== n.sentiment) misses.push({ id: n.id, field: "sentiment", expected: n.sentiment, got: a.sentiment });
    if (a.language === n.language) lang++;
    else misses.push({ id: n.id, field: "language", expected: n.language, got: a.language });
    if (a.unmet_need === n.unmet_need) need++;
    else misses.push({ id: n.id, field: "unmet_need", expected: n.unmet_need, got: a.unmet_need });
  }
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  return {
    model: backend.model,
    notes: notes.length,
    safety: { tp, fp, fn, tn, precision, recall, meetsTarget: recall >= SAFETY_TARGET.recall && precision >= SAFETY_TARGET.precision },
    sentimentAccuracy: Object.fromEntries(Object.entries(sent).map(([k, v]) => [k, ratio(v.ok, v.n)])) as Record<NoteLanguage | "all", number>,
    languageAccuracy: ratio(lang, notes.length),
    unmetNeedAccuracy: ratio(need, notes.length),
    notesPerSecond: (notes.length * rounds) / seconds,
    misses,
  };
}
