/**
 * What a file source hands the loader (fileSources.ts, xlsxRows.ts): its parts (worksheets) and
 * their columns, and its rows in file order, each with its place in the file for reasons.
 */
export type FileFormat = "csv" | "json" | "jsonl" | "xlsx";

export const FORMAT_BY_EXTENSION: Readonly<Record<string, FileFormat>> = {
  ".csv": "csv",
  ".json": "json",
  ".jsonl": "jsonl",
  ".ndjson": "jsonl",
  ".xlsx": "xlsx",
};

export interface FilePart {
  /** The worksheet's name (XLSX), else null. */
  readonly sheet: string | null;
  /** The header's names (CSV, XLSX: trimmed, lower case; "" for a column without one), or every key the file's objects use (JSON). */
  readonly columns: readonly string[];
  readonly rows: number;
  /** What its rows' numbers count: lines (CSV, JSON lines), items (a JSON array) or Excel rows (a worksheet). */
  readonly unit: "line" | "item" | "row";
}

export interface FileRow {
  /** Index of the row's part (worksheet). */
  readonly part: number;
  /** The row's line, item or Excel row number (its part's `unit`). */
  readonly n: number;
  /** The names of `values`, position by position: the part's header (shared by its rows), or a JSON object's keys. */
  readonly names: readonly string[];
  /** The row's values (null or undefined: empty); null when the reader could not read the row. */
  readonly values: readonly unknown[] | null;
  /** What the reader found wrong with the row or a cell, each naming the field and the value. */
  readonly problems: readonly string[];
  /** The row as the file has it, kept in quarantine when `values` is null. */
  readonly raw?: unknown;
}

/** `problems` of a row without any (one shared array: a load makes a million rows). */
export const NO_PROBLEMS: readonly string[] = Object.freeze([]);

/** Where a row is, for reasons: `line 4`, `item 3`, `sheet "energy" row 5`. */
export function placeOf(part: FilePart, n: number): string {
  return part.sheet === null ? `${part.unit} ${n}` : `sheet ${JSON.stringify(part.sheet)} ${part.unit} ${n}`;
}

/** The row's key in its file, for message ids: `4`, `energy:5`. */
export function keyOf(part: FilePart, n: number): string {
  return part.sheet === null ? String(n) : `${part.sheet}:${n}`;
}

export interface FileSource {
  readonly format: FileFormat;
  readonly parts: readonly FilePart[];
  /** Rows in the file: every one is handed to `read`'s callback exactly once. */
  readonly rows: number;
  /** Every row in file order, in arrays; each call of `onRows` is awaited before the next. */
  read(onRows: (rows: FileRow[]) => Promise<void>): Promise<void>;
  /** Drop what the survey staged. */
  close(): Promise<void>;
}

/** The file cannot be loaded at all; nothing of it was written. The message names the file. */
export class FileRefusal extends Error {
  override readonly name = "FileRefusal";
}

