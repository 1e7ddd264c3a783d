/**
 * Language identification for operator notes (en/es/fr): naive Bayes over character trigrams of
 * each word (accents kept: "é", "ñ" and "ç" say a lot) plus the curated function words, trained on
 * the training notes. Any text gets one of the three languages, because the contract has no other
 * value: a German or Italian note is answered with the closest of the three and a low confidence,
 * and a note with no letters (numbers, emoji) with English at confidence 0.
 */
import { NOTE_LANGUAGES, type NoteLanguage } from "./insightContract.ts";
import { FUNCTION_WORDS } from "./noteLexicon.ts";

export interface LanguageModel {
  readonly languages: readonly NoteLanguage[];
  /** log P(feature | language), one value per language. */
  readonly logProbs: Readonly<Record<string, readonly number[]>>;
  /** log P(unseen feature | language). */
  readonly unseen: readonly number[];
}

/** Extra counts for each curated function word, so a language's commonest words count even if the training notes lack them. */
const FUNCTION_WORD_PRIOR = 3;
/** Scales the mean log-likelihood ratio into a confidence; chosen so an ordinary one-line note scores > 0.9 (see docs). */
const CONFIDENCE_SHARPNESS = 6;

function languageFeatures(text: string): string[] {
  const out: string[] = [];
  for (const w of text.toLowerCase().match(/\p{L}+/gu) ?? []) {
    const padded = ` ${w} `;
    for (let i = 0; i + 3 <= padded.length; i++) out.push(`c:${padded.slice(i, i + 3)}`);
    out.push(`w:${w.normalize("NFKD").replace(/\p{M}/gu, "")}`);
  }
  return out;
}

export function trainLanguageModel(notes: readonly { readonly language: NoteLanguage; readonly text: string }[]): LanguageModel {
  const languages = [...NOTE_LANGUAGES];
  const counts = languages.map(() => new Map<string, number>());
  for (const [k, lang] of languages.entries()) for (const w of FUNCTION_WORDS[lang]) counts[k]!.set(`w:${w}`, FUNCTION_WORD_PRIOR);
  for (const n of notes) {
    const c = counts[languages.indexOf(n.language)]!;
    for (const f of languageFeatures(n.text)) c.set(f, (c.get(f) ?? 0) + 1);
  }
  const vocab = [...new Set(counts.flatMap((c) => [...c.keys()]))].sort();
  const totals = counts.map((c) => [...c.values()].reduce((a, b) => a + b, 0));
  const alpha = 0.5;
  const denom = totals.map((t) => t + alpha * (vocab.length + 1));
  const round = (v: number) => Number(v.toFixed(4));
  const logProbs: Record<string, number[]> = {};
  for (const f of vocab) logProbs[f] = counts.map((c, k) => round(Math.log(((c.get(f) ?? 0) + alpha) / denom[k]!)));
  return { languages, logProbs, unseen: denom.map((d) => round(Math.log(alpha / d))) };
}

export interface LanguageGuess {
  readonly language: NoteLanguage;
  /** 0..1: the posterior of the chosen language with the evidence scaled per feature; low for other languages and very short notes. */
  readonly confidence: number;
}

export function identifyLanguage(model: LanguageModel, text: string): LanguageGuess {
  const feats = languageFeatures(text);
  if (feats.length === 0) return { language: "en", confidence: 0 };
  const ll = model.languages.map(() => 0);
  let known = 0;
  for (const f of feats) {
    const lp = Object.hasOwn(model.logProbs, f) ? model.logProbs[f]! : undefined;
    if (lp) known++;
    for (let k = 0; k < ll.length; k++) ll[k]! += lp ? lp[k]! : model.unseen[k]!;
  }
  let best = 0;
  for (let k = 1; k < ll.length; k++) if (ll[k]! > ll[best]!) best = k;
  // Per-feature evidence, so a long note is not more "sure" just for being long; features the model
  // has never seen in any language (German words, say) dilute it, which is what should lower confidence.
  const scaled = ll.map((v) => (v / feats.length) * CONFIDENCE_SHARPNESS * Math.min(1, known / feats.length + 0.2));
  const max = Math.max(...scaled);
  const z = scaled.reduce((a, v) => a + Math.exp(v - max), 0);
  const confidence = Number((Math.exp(scaled[best]! - max) / z).toFixed(3));
  return { language: model.languages[best]!, confidence };
}
