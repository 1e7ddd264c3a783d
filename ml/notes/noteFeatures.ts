/**
 * What the note classifiers see of a note: words (marked when a negator scopes over them, so "no
 * leaks" and "leaks" are different evidence), word pairs, character 4-grams (typos and inflections:
 * "compresor"/"compressor", "atascada"/"atasco"), the curated safety cues and polarity words, and
 * the note's kind. Both the safety and the sentiment classifier read this one set.
 */
import type { NoteKind } from "./insightContract.ts";
import { NEGATION_SCOPE, NEGATIVE_WORDS, NEGATORS, POSITIVE_WORDS } from "./noteLexicon.ts";
import { safetyCueMatches, type CueMatch } from "./safetyCues.ts";
import { foldText, tokens, type FoldedText, type Token } from "./noteText.ts";

export interface NoteAnalysis {
  readonly text: FoldedText;
  readonly tokens: readonly Token[];
  /** Per token: does a negator scope over it? */
  readonly negated: readonly boolean[];
  readonly cues: readonly CueMatch[];
  readonly features: ReadonlySet<string>;
}

export function analyseNote(kind: NoteKind, text: string): NoteAnalysis {
  const folded = foldText(text);
  const toks = tokens(folded);
  const negated: boolean[] = [];
  let scope = 0;
  let clause = -1;
  for (const t of toks) {
    if (t.clause !== clause) {
      scope = 0;
      clause = t.clause;
    }
    if (NEGATORS.has(t.word)) {
      negated.push(false);
      scope = NEGATION_SCOPE;
    } else {
      negated.push(scope > 0);
      if (scope > 0) scope--;
    }
  }
  const cues = safetyCueMatches(folded.folded);
  const f = new Set<string>();
  f.add(`kind:${kind}`);
  if (toks.length <= 3) f.add("len:short");
  if (cues.length > 0) f.add("cue:safety");
  if (cues.length > 1) f.add("cue:safety2");
  let pos = 0;
  let neg = 0;
  for (const [i, t] of toks.entries()) {
    const mark = negated[i] ? "!" : "";
    if (!/^\d+([.,/-]\d+)*$/.test(t.word)) f.add(`w:${mark}${t.word}`);
    const next = toks[i + 1];
    if (next && next.clause === t.clause) f.add(`b:${t.word}_${next.word}`);
    if (t.word.length >= 4 && !/\d/.test(t.word)) {
      const padded = ` ${t.word} `;
      for (let j = 0; j + 4 <= padded.length; j++) f.add(`c:${padded.slice(j, j + 4)}`);
    }
    // A negated positive ("not good") counts as negative; a negated negative ("no issues") as neither.
    if (POSITIVE_WORDS.has(t.word)) negated[i] ? neg++ : pos++;
    else if (NEGATIVE_WORDS.has(t.word) && !negated[i]) neg++;
  }
  if (folded.folded.includes(":)")) pos++;
  if (/!\s*$/.test(text.trim()) || /\bagain\b|\botra vez\b|\bencore\b/.test(folded.folded)) f.add("mark:emphatic");
  if (pos > 0) f.add("lex:pos");
  if (pos > 1) f.add("lex:pos2");
  if (neg > 0) f.add("lex:neg");
  if (neg > 1) f.add("lex:neg2");
  if (pos === 0 && neg === 0) f.add("lex:none");
  // Polarity words of one side only: "Great shift." is praise even when "great" is too rare in the training notes to be a feature itself.
  if (pos > 0 && neg === 0) f.add("lex:only_pos");
  if (neg > 0 && pos === 0) f.add("lex:only_neg");
  return { text: folded, tokens: toks, negated, cues, features: f };
}
