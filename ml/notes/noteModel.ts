/**
 * The offline note-triage model (issue 28): what it is made of, how it is trained from the training
 * notes, and how it answers one note. Shipped as one JSON file (`data/note-model.json`) that
 * `scripts/train-note-model.ts` rebuilds; nothing is downloaded at run time.
 *
 * - language: naive Bayes on character trigrams and function words (languageId.ts);
 * - sentiment: multinomial logistic regression (positive / neutral / negative) on noteFeatures.ts;
 * - safety concern: binary logistic regression on the same features, its threshold chosen by
 *   5-fold cross-validation on the training notes (recall ≥ CV_RECALL_TARGET first, then the best
 *   precision); the quoted phrase is the first curated cue in the note, or else the clause whose
 *   words weigh most towards a concern;
 * - unmet need: curated cues (a lack marker and a category word in one clause);
 * - summary: the sentence with the concern, or the first sentence.
 */
import { createHash } from "node:crypto";
import { MAX_PHRASE_CHARS, MAX_SUMMARY_CHARS, type NoteInput, type NoteInsight, type NoteSentiment } from "./insightContract.ts";
import { identifyLanguage, trainLanguageModel, type LanguageGuess, type LanguageModel } from "./languageId.ts";
import { analyseNote, type NoteAnalysis } from "./noteFeatures.ts";
import { LACK_MARKERS, NEED_CUES } from "./noteLexicon.ts";
import { fnv1a, type LabelledNote, type NeedCategory } from "./noteSet.ts";
import { clauses, originalSpan, sentences } from "./noteText.ts";
import { SoftmaxScorer, trainSoftmax, type SoftmaxModel, type TrainOptions } from "./softmaxRegression.ts";

export const NOTE_MODEL_FORMAT = "note-triage-v1";
/**
 * The recall the threshold must reach on the training notes' cross-validation. Above the issue's
 * 0.9 on purpose: the held-back part has about 30 concerns, so one miss there costs 3 points, and a
 * threshold set exactly at 0.9 in cross-validation lands below it about half the time.
 */
export const CV_RECALL_TARGET = 0.95;
export const CV_FOLDS = 5;

const SAFETY_TRAINING: TrainOptions = { epochs: 300, learningRate: 0.3, l2: 1e-3, minCount: 2, balance: 0.5 };
const SENTIMENT_TRAINING: TrainOptions = { epochs: 300, learningRate: 0.3, l2: 1e-3, minCount: 2, balance: 1 };

export interface NoteModelData {
  readonly format: typeof NOTE_MODEL_FORMAT;
  readonly trainedOn: { readonly notes: number; readonly sha256: string };
  readonly language: LanguageModel;
  readonly sentiment: SoftmaxModel;
  readonly safety: SoftmaxModel & {
    readonly threshold: number;
    readonly cv: { readonly folds: number; readonly recallTarget: number; readonly recall: number; readonly precision: number };
  };
}

/** The training notes' fingerprint: which notes, in which order, with which labels. */
export function notesHash(notes: readonly LabelledNote[]): string {
  return createHash("sha256").update(notes.map((n) => JSON.stringify(n)).join("\n")).digest("hex");
}

/** Polarity words say how the operator feels, not whether there is a hazard: the safety classifier does not read them. */
export function safetyFeatures(a: NoteAnalysis): Set<string> {
  return new Set([...a.features].filter((f) => !f.startsWith("lex:") && !f.startsWith("mark:")));
}

function safetyExamples(notes: readonly LabelledNote[]) {
  return notes.map((n) => ({ features: safetyFeatures(analyseNote(n.kind, n.text)), label: n.safety_concern ? "concern" : "none" }));
}

export interface ThresholdChoice {
  readonly threshold: number;
  readonly recall: number;
  readonly precision: number;
}

/** Highest precision among the thresholds reaching the recall target (ties: the higher recall, then the higher threshold). */
export function chooseThreshold(scored: readonly { readonly p: number; readonly positive: boolean }[], recallTarget: number): ThresholdChoice {
  const positives = scored.filter((s) => s.positive).length;
  if (positives === 0) throw new Error("chooseThreshold: no positive examples to reach a recall on");
  const candidates = [...new Set(scored.map((s) => s.p))].sort((a, b) => b - a);
  let best: ThresholdChoice | null = null;
  for (const t of candidates) {
    const flagged = scored.filter((s) => s.p >= t);
    const tp = flagged.filter((s) => s.positive).length;
    const recall = tp / positives;
    const precision = tp / flagged.length;
    if (recall < recallTarget) continue;
    if (!best || precision > best.precision || (precision === best.precision && recall > best.recall)) best = { threshold: t, recall, precision };
  }
  return best!;
}

/** Out-of-fold concern probabilities: folds by scenario, so a note's retellings never score each other. */
function crossValidate(notes: readonly LabelledNote[]): { p: number; positive: boolean }[] {
  const fold = notes.map((n) => fnv1a(`note-cv-v1:${n.scenario}`) % CV_FOLDS);
  const examples = safetyExamples(notes);
  const out: { p: number; positive: boolean }[] = new Array(notes.length);
  for (let f = 0; f < CV_FOLDS; f++) {
    const model = new SoftmaxScorer(trainSoftmax(examples.filter((_, i) => fold[i] !== f), ["none", "concern"], SAFETY_TRAINING));
    for (const [i, e] of examples.entries()) if (fold[i] === f) out[i] = { p: model.probabilities(e.features)[1]!, positive: notes[i]!.safety_concern };
  }
  return out;
}

/** Trains every part of the model from the training notes; deterministic. */
export function trainNoteModel(training: readonly LabelledNote[]): NoteModelData {
  const cv = chooseThreshold(crossValidate(training), CV_RECALL_TARGET);
  const safety = trainSoftmax(safetyExamples(training), ["none", "concern"], SAFETY_TRAINING);
  const sentiment = trainSoftmax(
    training.map((n) => ({ features: analyseNote(n.kind, n.text).features, label: n.sentiment })),
    ["positive", "neutral", "negative"],
    SENTIMENT_TRAINING,
  );
  const round = (v: number) => Number(v.toFixed(4));
  return {
    format: NOTE_MODEL_FORMAT,
    trainedOn: { notes: training.length, sha256: notesHash(training) },
    language: trainLanguageModel(training),
    sentiment,
    safety: { ...safety, threshold: cv.threshold, cv: { folds: CV_FOLDS, recallTarget: CV_RECALL_TARGET, recall: round(cv.recall), precision: round(cv.precision) } },
  };
}

/** Cuts to `max` characters at a word boundary; the result is a prefix of `s`, so still its words verbatim. */
function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  const cut = s.slice(0, max);
  const space = cut.lastIndexOf(" ");
  return (space > max / 2 ? cut.slice(0, space) : cut).trim();
}

/** An answer with the language's confidence, which the contract has no field for (see docs). */
export interface NoteTriage extends NoteInsight {
  readonly languageConfidence: number;
  readonly safetyProbability: number;
}

export class NoteTriageModel {
  private readonly safety: SoftmaxScorer;
  private readonly sentiment: SoftmaxScorer;

  constructor(readonly data: NoteModelData) {
    if (data.format !== NOTE_MODEL_FORMAT) throw new Error(`note model: format ${JSON.stringify(data.format)} is not ${NOTE_MODEL_FORMAT}`);
    this.safety = new SoftmaxScorer(data.safety);
    this.sentiment = new SoftmaxScorer(data.sentiment);
  }

  language(text: string): LanguageGuess {
    return identifyLanguage(this.data.language, text);
  }

  triage(note: NoteInput): NoteTriage {
    const a = analyseNote(note.kind, note.text);
    const lang = this.language(note.text);
    const pSafety = a.tokens.length === 0 ? 0 : this.safety.probabilities(safetyFeatures(a))[1]!;
    const concern = pSafety >= this.data.safety.threshold;
    const phrase = concern ? this.phrase(a) : null;
    const sp = this.sentiment.probabilities(a.features);
    let best = 0;
    for (let k = 1; k < sp.length; k++) if (sp[k]! > sp[best]!) best = k;
    const sentiment = (a.tokens.length === 0 ? "neutral" : this.data.sentiment.classes[best]) as NoteSentiment;
    return {
      language: lang.language,
      sentiment,
      safety_concern: phrase !== null,
      safety_phrase: phrase,
      unmet_need: unmetNeed(a),
      summary: summary(note.text, phrase),
      languageConfidence: lang.confidence,
      safetyProbability: Number(pSafety.toFixed(4)),
    };
  }

  /** The note's own words for the concern: the first curated cue, else the clause that weighs most towards a concern. */
  private phrase(a: NoteAnalysis): string | null {
    const cue = a.cues[0];
    if (cue) return clip(originalSpan(a.text, cue.start, cue.end), MAX_PHRASE_CHARS) || null;
    let bestScore = -Infinity;
    let bestClause: { start: number; end: number } | null = null;
    for (const c of clauses(a.text)) {
      let s = 0;
      for (const [i, t] of a.tokens.entries()) {
        if (t.start < c.start || t.end > c.end) continue;
        const w = `w:${a.negated[i] ? "!" : ""}${t.word}`;
        s += this.safety.weight(w, 1) - this.safety.weight(w, 0);
      }
      if (s > bestScore) {
        bestScore = s;
        bestClause = c;
      }
    }
    return bestClause ? clip(originalSpan(a.text, bestClause.start, bestClause.end), MAX_PHRASE_CHARS) || null : null;
  }
}

function unmetNeed(a: NoteAnalysis): NeedCategory | null {
  const parts = clauses(a.text).map((c) => a.text.folded.slice(c.start, c.end));
  for (const { need, words, lack = LACK_MARKERS, alone, scope = "clause" } of NEED_CUES) {
    for (const p of scope === "note" ? [a.text.folded] : parts) if ((words.test(p) && lack.test(p)) || alone?.test(p)) return need;
  }
  return null;
}

function summary(text: string, phrase: string | null): string {
  const all = sentences(text);
  const fold = (s: string) => s.toLowerCase();
  const chosen = (phrase !== null ? all.find((s) => fold(s).includes(fold(phrase))) : undefined) ?? all[0];
  if (chosen === undefined) {
    const bare = text.replace(/\s+/gu, " ").trim();
    return bare.length > 0 ? clipWithEllipsis(bare) : "(empty note)";
  }
  return clipWithEllipsis(chosen);
}

function clipWithEllipsis(s: string): string {
  return s.length <= MAX_SUMMARY_CHARS ? s : `${clip(s, MAX_SUMMARY_CHARS - 1)}…`;
}
