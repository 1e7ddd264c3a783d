/**
 * The labelled operator notes (issue 28, section 3): 340 shift notes and maintenance logs in English,
 * Spanish and French, written for this project, and the fixed rule that splits them into a training
 * part and a held-back part.
 *
 * Many Spanish and French notes tell the same event as an English one in other words (a guard taken
 * off, a forklift near miss). Each note therefore carries a `scenario`, and the split is made on
 * scenarios, not notes: a note and its retellings sit on the same side, so the held-back part holds
 * no paraphrase of a training note.
 *
 * The rule (decided before any model was written, never tuned): a scenario is a "safety" scenario when
 * any of its notes raises a safety concern; within each of the two strata, scenarios are ranked by
 * the FNV-1a hash of `SPLIT_SEED + scenario` and the first 30 % (rounded) are held back.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { NOTE_KINDS, NOTE_LANGUAGES, NOTE_SENTIMENTS, type NoteKind, type NoteLanguage, type NoteSentiment } from "./insightContract.ts";

export const NOTE_SET_PATH = fileURLToPath(new URL("./data/operator-notes.jsonl", import.meta.url));
export const SPLIT_SEED = "note-split-v1:";
export const HELD_BACK_SHARE = 0.3;

/** The unmet-need taxonomy: the words a backend answers in `unmet_need`. */
export const NEED_CATEGORIES = ["spare parts", "tooling", "staffing", "training", "maintenance", "materials", "safety equipment"] as const;
export type NeedCategory = (typeof NEED_CATEGORIES)[number];

export interface LabelledNote {
  readonly id: string;
  /** Notes telling the same event (in any language) share a scenario; the split keeps them together. */
  readonly scenario: string;
  readonly language: NoteLanguage;
  readonly kind: NoteKind;
  readonly text: string;
  readonly sentiment: NoteSentiment;
  readonly safety_concern: boolean;
  readonly safety_phrase: string | null;
  readonly unmet_need: NeedCategory | null;
}

export class NoteSetError extends Error {
  override readonly name = "NoteSetError";
}

/** 32-bit FNV-1a: small, stable across Node versions and platforms, good enough to shuffle ids. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (const ch of new TextEncoder().encode(s)) {
    h ^= ch;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function field<T>(line: number, record: Record<string, unknown>, name: string, ok: (v: unknown) => v is T, what: string): T {
  const v = record[name];
  if (!ok(v)) throw new NoteSetError(`line ${line}: ${name} ${JSON.stringify(v)} is not ${what}`);
  return v;
}

const isString = (v: unknown): v is string => typeof v === "string" && v.length > 0;
const isIn = <T extends string>(allowed: readonly T[]) => (v: unknown): v is T => typeof v === "string" && (allowed as readonly string[]).includes(v);

/** Reads and checks the set: every field typed, ids unique, every safety phrase a part of its note. */
export function loadNoteSet(path: string = NOTE_SET_PATH): LabelledNote[] {
  const notes: LabelledNote[] = [];
  const ids = new Set<string>();
  readFileSync(path, "utf8").split("\n").forEach((raw, i) => {
    if (raw.trim() === "") return;
    const line = i + 1;
    const r = JSON.parse(raw) as Record<string, unknown>;
    const note: LabelledNote = {
      id: field(line, r, "id", isString, "a non-empty string"),
      scenario: field(line, r, "scenario", isString, "a non-empty string"),
      language: field(line, r, "language", isIn(NOTE_LANGUAGES), `one of ${NOTE_LANGUAGES.join(", ")}`),
      kind: field(line, r, "kind", isIn(NOTE_KINDS), `one of ${NOTE_KINDS.join(", ")}`),
      text: field(line, r, "text", isString, "a non-empty string"),
      sentiment: field(line, r, "sentiment", isIn(NOTE_SENTIMENTS), `one of ${NOTE_SENTIMENTS.join(", ")}`),
      safety_concern: field(line, r, "safety_concern", (v): v is boolean => typeof v === "boolean", "true or false"),
      safety_phrase: field(line, r, "safety_phrase", (v): v is string | null => v === null || isString(v), "a string or null"),
      unmet_need: field(line, r, "unmet_need", (v): v is NeedCategory | null => v === null || isIn(NEED_CATEGORIES)(v), `null or one of ${NEED_CATEGORIES.join(", ")}`),
    };
    if (ids.has(note.id)) throw new NoteSetError(`line ${line}: id ${note.id} appears twice`);
    ids.add(note.id);
    if (note.safety_concern !== (note.safety_phrase !== null)) throw new NoteSetError(`line ${line}: safety_phrase must be set exactly when safety_concern is true`);
    if (note.safety_phrase !== null && !note.text.toLowerCase().includes(note.safety_phrase.toLowerCase())) {
      throw new NoteSetError(`line ${line}: safety_phrase ${JSON.stringify(note.safety_phrase)} is not in the text`);
    }
    notes.push(note);
  });
  return notes;
}

/** The scenarios held back, by the rule in this module's header. */
export function heldBackScenarios(notes: readonly LabelledNote[]): Set<string> {
  const safety = new Map<string, boolean>();
  for (const n of notes) safety.set(n.scenario, (safety.get(n.scenario) ?? false) || n.safety_concern);
  const held = new Set<string>();
  for (const stratum of [true, false]) {
    const ranked = [...safety].filter(([, s]) => s === stratum).map(([scenario]) => scenario)
      .sort((a, b) => fnv1a(SPLIT_SEED + a) - fnv1a(SPLIT_SEED + b) || (a < b ? -1 : 1));
    for (const scenario of ranked.slice(0, Math.round(ranked.length * HELD_BACK_SHARE))) held.add(scenario);
  }
  return held;
}

export interface NoteSplit {
  readonly training: LabelledNote[];
  readonly heldBack: LabelledNote[];
}

export function splitNoteSet(notes: readonly LabelledNote[]): NoteSplit {
  const held = heldBackScenarios(notes);
  return { training: notes.filter((n) => !held.has(n.scenario)), heldBack: notes.filter((n) => held.has(n.scenario)) };
}
