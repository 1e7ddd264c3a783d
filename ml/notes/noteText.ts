/**
 * Text handling for the offline note model: one folded form of a note (lower case, accents
 * stripped, so "hidraulico" and "hidráulico" are one word, as operators type both) that keeps a map
 * back to the note's own characters, so whatever the model points at can be quoted verbatim.
 */

export interface FoldedText {
  /** Lower-cased, accents stripped, every whitespace run one space. */
  readonly folded: string;
  /** `origin[i]` is the index in the original text of folded character i; `origin[folded.length]` is the text's length. */
  readonly origin: readonly number[];
  readonly original: string;
}

export function foldText(text: string): FoldedText {
  let folded = "";
  const origin: number[] = [];
  let lastSpace = true;
  let i = 0;
  for (const ch of text) {
    if (/\s/u.test(ch)) {
      if (!lastSpace) {
        folded += " ";
        origin.push(i);
        lastSpace = true;
      }
    } else {
      // NFKD splits "é" into "e" + a combining mark, which is dropped; "œ"/"ß" stay themselves.
      for (const f of ch.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase()) {
        folded += f;
        origin.push(i);
      }
      lastSpace = false;
    }
    i += ch.length;
  }
  origin.push(text.length);
  return { folded, origin, original: text };
}

/** The original text behind folded characters [start, end), whitespace runs shown as one space. */
export function originalSpan(t: FoldedText, start: number, end: number): string {
  const from = t.origin[start]!;
  const to = end >= t.origin.length - 1 ? t.original.length : t.origin[end]!;
  return t.original.slice(from, to).replace(/\s+/gu, " ").trim();
}

export interface Token {
  readonly word: string;
  /** Folded-text offsets. */
  readonly start: number;
  readonly end: number;
  /** Index of the clause the token is in (clauses end at . , ; : ! ? and parentheses). */
  readonly clause: number;
}

/**
 * Words of the folded text. Elisions and contractions are split the way they carry meaning:
 * "l'alarme" → "l", "alarme"; "doesn't" → "doesn", "not" (so negation is one token in English).
 */
export function tokens(t: FoldedText): Token[] {
  const out: Token[] = [];
  let clause = 0;
  const re = /[\p{L}\p{N}]+(?:[.,\-/][\p{L}\p{N}]+)*|[.,;:!?()]/gu;
  for (let m = re.exec(t.folded); m !== null; m = re.exec(t.folded)) {
    const w = m[0];
    if (/^[.,;:!?()]$/.test(w)) {
      clause++;
      continue;
    }
    if (w === "t" && out.length > 0 && /n$/.test(out[out.length - 1]!.word) && t.folded[m.index - 1] === "'") {
      out.push({ word: "not", start: m.index - 1, end: m.index + 1, clause });
      continue;
    }
    out.push({ word: w, start: m.index, end: m.index + w.length, clause });
  }
  return out;
}

export interface Clause {
  readonly start: number;
  readonly end: number;
}

/** Clauses of the folded text (split at . ; ! ? and commas, newlines already folded): where a safety phrase is quoted from. */
export function clauses(t: FoldedText): Clause[] {
  const out: Clause[] = [];
  // A point or comma inside a number or a name ("7.1 bar", "1,240", "v2.3.1") does not end a clause.
  const re = /(?:[^.;!?,]|[.,](?=\S))+/g;
  for (let m = re.exec(t.folded); m !== null; m = re.exec(t.folded)) {
    const lead = m[0].length - m[0].trimStart().length;
    const body = m[0].trim();
    if (body.length > 0) out.push({ start: m.index + lead, end: m.index + lead + body.length });
  }
  return out;
}

/**
 * Sentences of the original text, whitespace collapsed: the summary is one of them. A single line
 * break does not end a sentence (operators wrap lines anywhere); a blank line does.
 */
export function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\n\s*\n/u)
    .map((s) => s.replace(/\s+/gu, " ").trim())
    .filter((s) => /[\p{L}\p{N}]/u.test(s));
}
