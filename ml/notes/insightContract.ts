/**
 * Operator-note insights (issue 28): the one contract both backends answer to. Amazon Bedrock in
 * production and the shipped offline model on the embedded default return the same `NoteInsight`,
 * checked by the same `parseNoteInsight`, so `ML.NOTE_INSIGHTS` and the alert path cannot tell which
 * backend wrote a row.
 *
 * What a backend is given is only the note's text (and its kind): the author's operator id, the
 * tenant, site and device stay in the warehouse. Names an operator types into the text are the
 * backend's input; the Bedrock path masks what it can recognise before sending (see its module).
 */

export const NOTE_LANGUAGES = ["en", "es", "fr"] as const;
export type NoteLanguage = (typeof NOTE_LANGUAGES)[number];

export const NOTE_SENTIMENTS = ["positive", "neutral", "negative"] as const;
export type NoteSentiment = (typeof NOTE_SENTIMENTS)[number];

export const NOTE_KINDS = ["shift", "maintenance"] as const;
export type NoteKind = (typeof NOTE_KINDS)[number];

/** Longest note text a backend accepts; a longer note is refused at intake, not cut. */
export const MAX_NOTE_CHARS = 4000;
/** Longest one-line summary, unmet need and safety phrase a backend may return. */
export const MAX_SUMMARY_CHARS = 200;
export const MAX_NEED_CHARS = 120;
export const MAX_PHRASE_CHARS = 200;

/** What a backend reads: the text, and whether it is a shift note or a maintenance log. */
export interface NoteInput {
  readonly kind: NoteKind;
  readonly text: string;
}

/** What a backend answers for one note. */
export interface NoteInsight {
  readonly language: NoteLanguage;
  readonly sentiment: NoteSentiment;
  readonly safety_concern: boolean;
  /** The words of the note that raised the concern, verbatim (a substring of the text); null when no concern. */
  readonly safety_phrase: string | null;
  /** What the operator says is missing (parts, tooling, staff, training, …), in a few words; null if none. */
  readonly unmet_need: string | null;
  /** One line, no newline. */
  readonly summary: string;
}

/** A backend's answer with the model that gave it and how long it took (the ML.NOTE_INSIGHTS row's own columns). */
export interface NoteInsightResult extends NoteInsight {
  readonly model: string;
  readonly latency_ms: number;
}

/** A backend: given notes, one insight per note, in order. */
export interface NoteInsightBackend {
  /** e.g. `offline:note-triage-v1` or `bedrock:anthropic.claude-3-haiku-20240307-v1:0`. */
  readonly model: string;
  analyse(notes: readonly NoteInput[]): Promise<NoteInsightResult[]>;
}

export class NoteInsightError extends Error {
  constructor(
    readonly field: string,
    readonly value: unknown,
    message: string,
  ) {
    super(message);
    this.name = "NoteInsightError";
  }
}

const FIELDS = ["language", "sentiment", "safety_concern", "safety_phrase", "unmet_need", "summary"] as const;

function shown(value: unknown): string {
  const s = JSON.stringify(value) ?? String(value);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
  throw new NoteInsightError(field, value, `${field}: ${shown(value)} is not one of ${allowed.join(", ")}`);
}

function text(field: string, value: unknown, max: number, nullable: boolean): string | null {
  if (value === null && nullable) return null;
  if (typeof value !== "string") {
    throw new NoteInsightError(field, value, `${field}: ${shown(value)} is not a string${nullable ? " or null" : ""}`);
  }
  const trimmed = value.trim();
  if (trimmed.length === 0) {
    if (nullable) return null;
    throw new NoteInsightError(field, value, `${field}: empty`);
  }
  if (trimmed.length > max) throw new NoteInsightError(field, value, `${field}: ${trimmed.length} characters, at most ${max}`);
  if (/[\r\n]/.test(trimmed)) throw new NoteInsightError(field, value, `${field}: must be one line`);
  return trimmed;
}

/**
 * Checks a backend's answer for one note against the contract: an allowlist of fields, each typed
 * and bounded; `safety_phrase` present exactly when `safety_concern` is, and taken from the note's
 * own text (compared case- and space-insensitively) so a model cannot invent the evidence.
 */
export function parseNoteInsight(value: unknown, noteText: string): NoteInsight {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new NoteInsightError("insight", value, `insight: ${shown(value)} is not a JSON object`);
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(FIELDS as readonly string[]).includes(key)) {
      throw new NoteInsightError(key, record[key], `${key}: not a field of a note insight (fields: ${FIELDS.join(", ")})`);
    }
  }
  for (const key of FIELDS) {
    if (!(key in record)) throw new NoteInsightError(key, undefined, `${key}: missing`);
  }
  const language = oneOf("language", record.language, NOTE_LANGUAGES);
  const sentiment = oneOf("sentiment", record.sentiment, NOTE_SENTIMENTS);
  if (typeof record.safety_concern !== "boolean") {
    throw new NoteInsightError("safety_concern", record.safety_concern, `safety_concern: ${shown(record.safety_concern)} is not true or false`);
  }
  const safety_concern = record.safety_concern;
  const safety_phrase = text("safety_phrase", record.safety_phrase, MAX_PHRASE_CHARS, true);
  if (safety_concern && safety_phrase === null) {
    throw new NoteInsightError("safety_phrase", record.safety_phrase, "safety_phrase: required when safety_concern is true");
  }
  if (!safety_concern && safety_phrase !== null) {
    throw new NoteInsightError("safety_phrase", record.safety_phrase, "safety_phrase: must be null when safety_concern is false");
  }
  if (safety_phrase !== null && !normalised(noteText).includes(normalised(safety_phrase))) {
    throw new NoteInsightError("safety_phrase", safety_phrase, `safety_phrase: ${shown(safety_phrase)} is not in the note's text`);
  }
  return {
    language,
    sentiment,
    safety_concern,
    safety_phrase,
    unmet_need: text("unmet_need", record.unmet_need, MAX_NEED_CHARS, true),
    summary: text("summary", record.summary, MAX_SUMMARY_CHARS, false) as string,
  };
}

function normalised(s: string): string {
  return s.normalize("NFC").toLowerCase().replace(/\s+/g, " ").trim();
}
