/**
 * An operator note as it enters the hub (issue 28), whichever way it comes (HTTP, a file, the
 * simulator): one check with an allowlist of fields, each typed and bounded, the error naming the
 * field and the value; the note's key; and the appender that lands notes in RAW.OPERATOR_NOTES.
 * The tenant is never read from the note itself: the caller passes the tenant its credential (or
 * the load's `--tenant`) proves.
 */
import { createHash } from "node:crypto";
import { timestampValueFromDate, type DuckDBConnection } from "@duckdb/node-api";
import { idProblem, showValue } from "../ingest/idGrammar.ts";

/** Longest note text; a longer note is refused at intake, never cut. Equal to ml/notes/insightContract.ts MAX_NOTE_CHARS (a test holds them together). */
export const MAX_NOTE_TEXT_CHARS = 4000;
export const NOTE_KIND_VALUES = ["shift", "maintenance"] as const;
export const NOTE_LANGUAGE_VALUES = ["en", "es", "fr"] as const;

/** The fields a note may carry, and nothing else (`tenant_id` is allowed only to be checked against the credential's). */
export const NOTE_FIELDS = ["tenant_id", "site_id", "device_id", "author_id", "note_ts", "kind", "language", "text"] as const;

export interface RawNote {
  readonly noteId: string;
  readonly tenantId: string;
  readonly siteId: string;
  readonly deviceId: string;
  readonly authorId: string;
  readonly noteTs: Date;
  readonly kind: (typeof NOTE_KIND_VALUES)[number];
  readonly language: (typeof NOTE_LANGUAGE_VALUES)[number] | null;
  readonly text: string;
  readonly source: string;
}

export class NoteRefused extends Error {
  constructor(readonly field: string, readonly value: unknown, message: string) {
    super(message);
    this.name = "NoteRefused";
  }
}

const shown = showValue;

function id(record: Record<string, unknown>, field: string, kind: "site" | "device" | "operator"): string {
  const v = record[field];
  const problem = idProblem(kind, v);
  if (problem) throw new NoteRefused(field, v, `${field}: ${shown(v)} ${problem}`);
  return v as string;
}

/** A UTC ISO 8601 time with its `Z`, as readings and scans carry; a time without a zone is ambiguous. */
const UTC_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z$/;

/** The note's key: equal notes (a resent request, a file loaded twice) have equal keys. */
export function noteKey(n: Omit<RawNote, "noteId" | "source" | "language" | "kind">): string {
  return createHash("sha256").update(JSON.stringify([n.tenantId, n.siteId, n.deviceId, n.authorId, n.noteTs.toISOString(), n.text])).digest("hex").slice(0, 32);
}

/**
 * One note from a parsed record, for `tenantId`; refuses an unknown field, a missing or mistyped
 * one, a text over MAX_NOTE_TEXT_CHARS, and a `tenant_id` other than the caller's.
 */
export function parseNote(value: unknown, tenantId: string, source: string, now: Date): RawNote {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new NoteRefused("note", value, `note: ${shown(value)} is not a JSON object`);
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(NOTE_FIELDS as readonly string[]).includes(key)) throw new NoteRefused(key, record[key], `${key}: not a field of a note (fields: ${NOTE_FIELDS.join(", ")})`);
  }
  if (record.tenant_id !== undefined && record.tenant_id !== tenantId) {
    throw new NoteRefused("tenant_id", record.tenant_id, `tenant_id: ${shown(record.tenant_id)} is not the tenant of the credential (${tenantId})`);
  }
  const siteId = id(record, "site_id", "site");
  const deviceId = id(record, "device_id", "device");
  const authorId = id(record, "author_id", "operator");
  const ts = record.note_ts;
  if (typeof ts !== "string" || !UTC_TIME.test(ts) || Number.isNaN(Date.parse(ts))) throw new NoteRefused("note_ts", ts, `note_ts: ${shown(ts)} is not a UTC ISO 8601 time (e.g. 2026-03-02T06:45:00Z)`);
  const noteTs = new Date(ts);
  // A day of clock skew is tolerated; a note from the future beyond that is a wrong clock.
  if (noteTs.getTime() > now.getTime() + 86_400_000) throw new NoteRefused("note_ts", ts, `note_ts: ${shown(ts)} is more than a day in the future`);
  const kind = record.kind;
  if (typeof kind !== "string" || !(NOTE_KIND_VALUES as readonly string[]).includes(kind)) throw new NoteRefused("kind", kind, `kind: ${shown(kind)} is not one of ${NOTE_KIND_VALUES.join(", ")}`);
  const language = record.language ?? null;
  if (language !== null && (typeof language !== "string" || !(NOTE_LANGUAGE_VALUES as readonly string[]).includes(language))) {
    throw new NoteRefused("language", language, `language: ${shown(language)} is not one of ${NOTE_LANGUAGE_VALUES.join(", ")} (or absent)`);
  }
  const text = record.text;
  if (typeof text !== "string" || text.trim() === "") throw new NoteRefused("text", text, `text: ${shown(text)} is not a non-empty string`);
  if (text.length > MAX_NOTE_TEXT_CHARS) throw new NoteRefused("text", `${text.slice(0, 40)}...`, `text: ${text.length} characters, at most ${MAX_NOTE_TEXT_CHARS} (a note is refused, never cut)`);
  const base = { tenantId, siteId, deviceId, authorId, noteTs, text };
  return { noteId: noteKey(base), ...base, kind: kind as RawNote["kind"], language: language as RawNote["language"], source };
}

/** Append notes inside the caller's open transaction (the column order of RAW.OPERATOR_NOTES lives here only). */
export async function fillNotes(c: DuckDBConnection, rows: readonly RawNote[], ingestedAt: Date): Promise<void> {
  if (rows.length === 0) return;
  const a = await c.createAppender("OPERATOR_NOTES", "RAW");
  for (const n of rows) {
    a.appendVarchar(n.noteId);
    a.appendVarchar(n.tenantId);
    a.appendVarchar(n.siteId);
    a.appendVarchar(n.deviceId);
    a.appendVarchar(n.authorId);
    a.appendTimestamp(timestampValueFromDate(n.noteTs));
    a.appendVarchar(n.kind);
    if (n.language === null) a.appendNull();
    else a.appendVarchar(n.language);
    a.appendVarchar(n.text);
    a.appendTimestamp(timestampValueFromDate(ingestedAt));
    a.appendVarchar(n.source);
    a.endRow();
  }
  a.closeSync();
}

/** Append notes in one transaction of their own. */
export async function appendNotes(c: DuckDBConnection, rows: readonly RawNote[], ingestedAt: Date): Promise<number> {
  if (rows.length === 0) return 0;
  await c.run("BEGIN TRANSACTION");
  try {
    await fillNotes(c, rows, ingestedAt);
    await c.run("COMMIT");
  } catch (e) {
    await c.run("ROLLBACK").catch(() => undefined);
    throw e;
  }
  return rows.length;
}
