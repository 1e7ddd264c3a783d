/**
 * Where each record of a CSV file starts, by byte offset and line. DuckDB's read_csv reads the
 * values (fileSources.ts), but it tells a row's place only for a row it rejects (its rejects table
 * has the record's `line`); a good row comes without one. So this scanner walks the bytes once
 * with the reader's quoting rules (RFC 4180 as DuckDB's strict state machine applies them: a quote
 * opens a field only at the field's start, spaces before it allowed; inside quotes `""` is a quote
 * and line breaks are data) and yields each record in file order: the k-th record that the reader
 * did not reject is the k-th good row. It parses no values, except the header's cells
 * (`csvHeader`), which the reader is told to skip.
 *
 * Two line numbers per record. `line` is the line an editor shows it on: counted at every LF and
 * every CR not followed by LF, inside quotes too. `readerLine` is DuckDB's: line breaks outside
 * quotes only, and empty lines too; the rejects table names records by it (its
 * `line_byte_position` was found one byte off after some rejected records, its `line` never, on a
 * million-row file). Empty lines are not records (the reader skips them too); a line of spaces is.
 */
import { closeSync, openSync, readSync } from "node:fs";

export interface CsvRecord {
  /** Byte offset of the record's first byte (as DuckDB's rejects table's `line_byte_position`). */
  readonly start: number;
  /** Byte offset just past its last byte, before the line break. */
  readonly end: number;
  /** 1-based line it starts on, as an editor counts. */
  readonly line: number;
  /** Its line as DuckDB's CSV reader counts (line breaks in quotes not counted): its rejects table's `line`. */
  readonly readerLine: number;
}

const COMMA = 0x2c;
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;

const enum State {
  /** At a field's start (or after spaces that may precede a quote). */
  FieldStart,
  Unquoted,
  Quoted,
  /** A quote seen inside a quoted field: `""` (a quote) or the field's end. */
  QuoteInQuoted,
}

/**
 * Every record of the file in order, in arrays of up to a chunk's worth, reading `chunkBytes` at a
 * time: memory is one chunk and one array, whatever the file's size.
 */
export async function* csvRecords(path: string, chunkBytes = 256 << 10): AsyncGenerator<CsvRecord[]> {
  const fd = openSync(path, "r");
  const buf = Buffer.allocUnsafe(chunkBytes);
  let state = State.FieldStart;
  let pos = 0;
  let line = 1;
  let readerLine = 1;
  let start = 0;
  let startLine = 1;
  let startReaderLine = 1;
  let content = false;
  /** A CR ended the last chunk: a LF first in the next belongs to it. */
  let pendingCr = false;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, chunkBytes, null);
      if (n === 0) break;
      const view = buf.subarray(0, n);
      const out: CsvRecord[] = [];
      // Where the next LF, CR and quote are in this chunk (n: none): outside quotes, a stretch
      // with no quote before the line's end is skipped in one step (native search, not a byte loop).
      let nextLf = -1;
      let nextCr = -1;
      let nextQuote = -1;
      const after = (b: number, from: number, at: number) => (at >= from ? at : (at = view.indexOf(b, from)) < 0 ? n : at);
      for (let i = 0; i < n; ) {
        if (!pendingCr && (state === State.FieldStart || state === State.Unquoted)) {
          nextLf = after(LF, i, nextLf);
          nextCr = after(CR, i, nextCr);
          nextQuote = after(QUOTE, i, nextQuote);
          // Only up to a line break in this chunk: there the state starts afresh, whatever it was
          // (at a chunk's end it must be exact: spaces and commas before a quote in the next one).
          const end = Math.min(nextLf, nextCr);
          if (nextQuote >= end && end > i && end < n) {
            content = true;
            pos += end - i;
            i = end;
          }
        }
        const b = view[i]!;
        i++;
        pos++;
        if (pendingCr) {
          pendingCr = false;
          if (b === LF) {
            // The LF of a CRLF: the record (or the quoted line break) was counted at the CR.
            if (!content) start = pos;
            continue;
          }
        }
        if (b === LF || b === CR) {
          line++;
          if (b === CR) pendingCr = true;
          if (state === State.Quoted) continue;
          if (content) out.push({ start, end: pos - 1, line: startLine, readerLine: startReaderLine });
          readerLine++;
          state = State.FieldStart;
          content = false;
          start = pos;
          startLine = line;
          startReaderLine = readerLine;
          continue;
        }
        content = true;
        switch (state) {
          case State.FieldStart:
            if (b === QUOTE) state = State.Quoted;
            else if (b !== SPACE && b !== COMMA) state = State.Unquoted;
            break;
          case State.Unquoted:
            if (b === COMMA) state = State.FieldStart;
            break;
          case State.Quoted:
            if (b === QUOTE) state = State.QuoteInQuoted;
            break;
          case State.QuoteInQuoted:
            if (b === QUOTE) state = State.Quoted;
            else if (b === COMMA) state = State.FieldStart;
            else if (b !== SPACE) state = State.Unquoted; // text after a closing quote: the reader rejects the record
            break;
        }
      }
      if (out.length > 0) yield out;
    }
    // The last record has no line break (or its quote never closed: the reader rejects it).
    if (content) yield [{ start, end: pos, line: startLine, readerLine: startReaderLine }];
  } finally {
    closeSync(fd);
  }
}

/** The bytes of one record (for quarantine: the text of a row the reader rejected), at most `limit`. */
export function recordBytes(path: string, r: CsvRecord, limit: number): Buffer {
  const fd = openSync(path, "r");
  try {
    const len = Math.min(r.end - r.start, limit);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, r.start);
    return buf;
  } finally {
    closeSync(fd);
  }
}

/**
 * The header's cells: the first record, unquoted, without a UTF-8 byte order mark; null when the
 * file has no record. Reads at most `limit` bytes: a header is small, a "header" that is not is
 * refused by the caller.
 */
export function csvHeader(path: string, limit = 1 << 20): { cells: string[]; complete: boolean } | null {
  const fd = openSync(path, "r");
  let bytes: Buffer;
  try {
    const buf = Buffer.alloc(limit);
    bytes = buf.subarray(0, readSync(fd, buf, 0, limit, 0));
  } finally {
    closeSync(fd);
  }
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < bytes.length && (bytes[i] === LF || bytes[i] === CR)) i++;
  if (i >= bytes.length) return null;
  const cells: string[] = [];
  let cell: number[] = [];
  let state = State.FieldStart;
  for (; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (state === State.Quoted) {
      if (b === QUOTE) state = State.QuoteInQuoted;
      else cell.push(b);
      continue;
    }
    if (b === LF || b === CR) {
      cells.push(Buffer.from(cell).toString("utf8"));
      return { cells, complete: true };
    }
    if (state === State.QuoteInQuoted && b === QUOTE) {
      cell.push(QUOTE);
      state = State.Quoted;
    } else if (b === COMMA) {
      cells.push(Buffer.from(cell).toString("utf8"));
      cell = [];
      state = State.FieldStart;
    } else if (state === State.FieldStart && b === QUOTE) {
      cell = [];
      state = State.Quoted;
    } else if (state === State.FieldStart && b === SPACE) {
      cell.push(b);
    } else if (state !== State.QuoteInQuoted || b !== SPACE) {
      state = State.Unquoted;
      cell.push(b);
    }
  }
  cells.push(Buffer.from(cell).toString("utf8"));
  return { cells, complete: bytes.length < limit };
}
