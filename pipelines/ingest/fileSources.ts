/**
 * The rows of a loaded file, in file order, read in bounded memory: CSV and JSON arrays with
 * DuckDB's readers on the hub's file instance (FileIo: the warehouse's instance may not read
 * files), JSON lines line by line, XLSX with exceljs's streaming reader (xlsxRows.ts).
 *
 * A source is opened with a survey that reads the whole file once and refuses it (FileRefusal,
 * before anything is written) when it cannot be loaded at all: unreadable, empty, only a header,
 * not the shape its extension says. Then `read` hands over every row exactly once, in order: a
 * row the reader could read comes with its cells, one it could not (a CSV record DuckDB rejects, a
 * line that is not JSON) with the problem and the row's own text, so that nothing is dropped.
 */
import { randomBytes } from "node:crypto";
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { basename } from "node:path";
import type { DuckDBDataChunk, DuckDBResult } from "@duckdb/node-api";
import type { FileIo } from "../engine/fileIo.ts";
import { parseJsonTolerant } from "../quality/messageParser.ts";
import { csvHeader, csvRecords, recordBytes, type CsvRecord } from "./csvRecords.ts";
import { xlsxSource } from "./xlsxRows.ts";
import { FileRefusal, NO_PROBLEMS, type FileFormat, type FileRow, type FileSource } from "./fileRows.ts";

/**
 * The CSV reader's buffer per thread: twice its longest line (max_line_size, 2 MB). DuckDB's default
 * is 16 × that, 32 MB a thread, most of a load's native memory for no speed a load can notice.
 */
const CSV_BUFFER_BYTES = 4 << 20;

/**
 * Rows handed to the loader at a time: few, so that what is in flight besides the batches is small
 * (every object alive when V8 collects its young generation is copied; those collections are the
 * largest single cost of a million-row load after the checks and the landing themselves).
 */
const ROWS_PER_HANDOVER = 512;

/** Bytes of a row kept in quarantine when the reader refused it: the CSV reader's own line limit. */
const RAW_LIMIT = 2 << 20;

const NO_NAMES: readonly string[] = Object.freeze([]);

const sqlText = (s: string) => `'${s.replaceAll("'", "''")}'`;

async function drain(r: DuckDBResult): Promise<void> {
  while ((await r.fetchChunk())?.rowCount) {
    // read to the end
  }
}

/**
 * A DuckDB reader's error about the file's content refuses the file; any other (out of memory, a
 * bug) is not the file's fault and is thrown on as it is.
 */
function refusalOf(file: string, what: string, e: unknown): FileRefusal {
  const message = (e as Error).message ?? String(e);
  if (/^(Invalid Input|IO|Conversion|Invalid) Error/.test(message)) return new FileRefusal(`${file}: ${what}: ${message.split("\n")[0]}`);
  throw e;
}

/** The rows of an XLSX, CSV, JSON array or JSON-lines file: surveyed, not yet read. */
export async function openFileSource(path: string, format: FileFormat, files: FileIo): Promise<FileSource> {
  const file = basename(path);
  // DuckDB reads `*`, `?` and `[` in a path as a pattern: a file named so would be another file.
  if ((format === "csv" || format === "json") && /[*?[\]{}]/.test(path)) {
    throw new FileRefusal(`${file}: a file name with *, ?, [, ] or { } is not read (DuckDB takes it as a pattern of names); rename the file`);
  }
  if (statSync(path).size === 0) throw new FileRefusal(`${file}: the file is empty (0 bytes); nothing was loaded`);
  switch (format) {
    case "csv":
      return csvSource(path, files);
    case "json":
      return jsonArraySource(path, files);
    case "jsonl":
      return jsonLinesSource(path);
    case "xlsx":
      return xlsxSource(path);
  }
}

// ---- CSV ----------------------------------------------------------------------------------------

/** DuckDB's words for a record it rejects, as a reason says them. */
function readerError(type: string, columns: number): string {
  switch (type) {
    case "TOO MANY COLUMNS":
      return `it has more cells than the header's ${columns} columns`;
    case "MISSING COLUMNS":
      return `it has fewer cells than the header's ${columns} columns`;
    case "UNQUOTED VALUE":
      return "a quoted field does not end at a ',' or the line's end";
    case "INVALID ENCODING":
    case "INVALID UNICODE":
      return "it is not valid UTF-8";
    case "LINE SIZE OVER MAXIMUM":
      return "it is longer than the reader's line limit (2 MB)";
    default:
      return type.toLowerCase();
  }
}

/** A row's own text for quarantine: UTF-8 text, or base64 when it is not UTF-8. */
function rawText(bytes: Buffer, cut: boolean): unknown {
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return cut ? { text, cut_at_bytes: bytes.length } : text;
  } catch {
    return { encoding: "base64", data: bytes.toString("base64"), ...(cut ? { cut_at_bytes: bytes.length } : {}) };
  }
}

async function csvSource(path: string, files: FileIo): Promise<FileSource> {
  const file = basename(path);
  const header = csvHeader(path);
  if (!header) throw new FileRefusal(`${file}: the file has only empty lines; nothing was loaded`);
  if (!header.complete) throw new FileRefusal(`${file}: no line break in its first MB: not a CSV file with a header line`);
  const columns = header.cells.map((c) => c.trim().toLowerCase());
  // Positional names: DuckDB gets no say in the columns' names (it would rename duplicates).
  const ids = columns.map((_, i) => `c${i}`);
  const reader = `read_csv(${sqlText(path)}, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', ` +
    `compression = 'none', columns = {${ids.map((c) => `'${c}': 'VARCHAR'`).join(", ")}}, store_rejects = true, buffer_size = ${CSV_BUFFER_BYTES})`;
  const rejects = `load_rejects_${randomBytes(6).toString("hex")}`;
  let good: number;
  let rejected: number;
  try {
    // Counting every column makes the reader parse (and so validate) every cell: a bare count(*)
    // skips the columns, and with them the encoding check of their values.
    [good, rejected] = await files.read(
      `CREATE TEMP TABLE load_count AS SELECT count(*) AS n, ${ids.map((c) => `count(${c})`).join(" + ")} AS cells FROM ${reader};
       CREATE TABLE ${rejects} AS SELECT line, string_agg(DISTINCT error_type, '|' ORDER BY error_type) AS types,
         min(error_message) AS message FROM reject_errors GROUP BY line;
       SELECT n, (SELECT count(*) FROM ${rejects}) FROM load_count`,
      async (r) => (await r.getRowsJS()).map(([n, k]) => [Number(n), Number(k)] as const)[0]!,
    );
  } catch (e) {
    await dropTable(files, rejects);
    throw refusalOf(file, "not a CSV file DuckDB's reader can read", e);
  }
  try {
    // The scanner must see the records the reader saw, and each rejected record where the reader
    // put it; otherwise lines would be misnamed, so the file is refused before anything is written.
    const rejectedAt = await files.read(`SELECT line FROM ${rejects} ORDER BY line`, async (r) => Float64Array.from((await r.getRowsJS()).map(([p]) => Number(p))));
    let records = -1; // the header is a record
    let k = 0;
    for await (const batch of csvRecords(path)) {
      for (const rec of batch) {
        if (records >= 0 && k < rejectedAt.length && rejectedAt[k] === rec.readerLine) k++;
        records++;
      }
    }
    if (records !== good + rejected || k !== rejected) {
      throw new FileRefusal(
        `${file}: its rows could not be matched to lines (${records} records by line breaks, ${good + rejected} by DuckDB's reader, ${k} of ${rejected} refused rows placed), ` +
          "so no row could be named by its line: it mixes line break styles, or the reader recovered from a malformed quoted field its own way; save it again as CSV",
      );
    }
    if (records === 0) throw new FileRefusal(`${file}: the file has a header but no rows; nothing was loaded`);
  } catch (e) {
    await dropTable(files, rejects);
    throw e;
  }

  return {
    format: "csv",
    parts: [{ sheet: null, columns, rows: good + rejected, unit: "line" }],
    rows: good + rejected,
    read: (onRows) =>
      // Each row as one JSON array of its cells (null: empty): one value per row to fetch and
      // parse, where fetching the columns one by one took longer than everything else.
      files.read(`SELECT to_json(list_value(${ids.join(", ")})) FROM ${reader}`, (rows) =>
        files.read(`SELECT line, types, message FROM ${rejects} ORDER BY line`, async (refusals) => {
          let chunk: string[] = [];
          let at = 0;
          // The next chunk is fetched while this one is checked: DuckDB reads on its own threads.
          let pending: Promise<DuckDBDataChunk | null> | null = rows.fetchChunk();
          pending.catch(() => undefined); // awaited below
          const nextGood = async (): Promise<unknown[] | null> => {
            if (at >= chunk.length) {
              const c = pending && (await pending);
              if (!c || c.rowCount === 0) return (pending = null);
              chunk = c.getColumnValues(0) as string[];
              at = 0;
              pending = rows.fetchChunk();
              pending.catch(() => undefined);
            }
            return JSON.parse(chunk[at++]!) as unknown[];
          };
          let refusalChunk: Array<[bigint, string, string]> = [];
          let r = 0;
          const nextRefusal = async (): Promise<[bigint, string, string] | null> => {
            if (r >= refusalChunk.length) {
              const c = await refusals.fetchChunk();
              if (!c || c.rowCount === 0) return null;
              refusalChunk = c.getRows() as Array<[bigint, string, string]>;
              r = 0;
            }
            return refusalChunk[r++]!;
          };
          let refusal = await nextRefusal();
          let first = true;
          let out: FileRow[] = [];
          for await (const batch of csvRecords(path)) {
            for (const rec of batch as CsvRecord[]) {
              if (first) {
                first = false; // the header
                continue;
              }
              if (refusal && Number(refusal[0]) === rec.readerLine) {
                const bytes = recordBytes(path, rec, RAW_LIMIT);
                const why = refusal[1].split("|").map((t) => readerError(t, columns.length)).join("; ");
                out.push({ part: 0, n: rec.line, names: columns, values: null, problems: [`the CSV reader refused the row: ${why} (${refusal[2]})`], raw: rawText(bytes, rec.end - rec.start > RAW_LIMIT) });
                refusal = await nextRefusal();
                continue;
              }
              const values = await nextGood();
              if (!values) throw new Error(`${file}: DuckDB's reader ended before line ${rec.line}; the survey had matched them`);
              out.push({ part: 0, n: rec.line, names: columns, values, problems: NO_PROBLEMS });
              if (out.length >= ROWS_PER_HANDOVER) {
                await onRows(out);
                out = [];
              }
            }
          }
          if (out.length > 0) await onRows(out);
          if ((await nextGood()) !== null || refusal !== null) throw new Error(`${file}: DuckDB's reader has rows beyond the file's records; the survey had matched them`);
        }),
      ),
    close: () => dropTable(files, rejects),
  };
}

async function dropTable(files: FileIo, table: string): Promise<void> {
  await files.read(`DROP TABLE IF EXISTS ${table}; SELECT 1`, drain).catch(() => undefined);
}

// ---- JSON arrays ----------------------------------------------------------------------------------

/** The first character of the file that is not white space or a byte order mark. */
function firstCharacter(path: string): string | null {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.alloc(64 * 1024);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const text = buf.subarray(0, n).toString("utf8").replace(/^\ufeff/, "");
    return /\S/.exec(text)?.[0] ?? null;
  } finally {
    closeSync(fd);
  }
}

/** A JSON text as a row: its keys and values, or why it is not an object. */
function objectRow(n: number, text: string): FileRow {
  const parsed = parseJsonTolerant(text);
  if (!parsed.ok) return { part: 0, n, names: NO_NAMES, values: null, problems: [`it is not valid JSON: ${parsed.error}`], raw: text };
  const v = parsed.value;
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    return { part: 0, n, names: NO_NAMES, values: null, problems: [`it is ${Array.isArray(v) ? "a JSON array" : v === null ? "null" : `a JSON ${typeof v}`}, not an object of columns`], raw: text };
  }
  return { part: 0, n, names: Object.keys(v), values: Object.values(v), problems: NO_PROBLEMS };
}

async function jsonArraySource(path: string, files: FileIo): Promise<FileSource> {
  const file = basename(path);
  const first = firstCharacter(path);
  // Legacy uploads are `[...]` or `{"readings": [...]}`; DuckDB streams the array's items. The
  // wrapper is one JSON value, read whole (up to the file's size).
  const source = first === "["
    ? `SELECT json FROM read_json_objects(${sqlText(path)}, format = 'array', compression = 'uncompressed')`
    : first === "{"
      ? `SELECT e.value AS json FROM read_json_objects(${sqlText(path)}, format = 'unstructured', compression = 'uncompressed', maximum_object_size = ${statSync(path).size + 1}) r,
           json_each(r.json, '$.readings') e ORDER BY CAST(e.key AS BIGINT)`
      : null;
  if (source === null) throw new FileRefusal(`${file}: expected a JSON array of readings or {"readings": [...]}, found ${first === null ? "only white space" : `'${first}' first`}`);
  let rows: number;
  let columns: string[];
  try {
    if (first === "{") {
      const type = await files.read(`SELECT json_type(json, '$.readings') FROM read_json_objects(${sqlText(path)}, format = 'unstructured', compression = 'uncompressed', maximum_object_size = ${statSync(path).size + 1})`,
        async (r) => (await r.getRowsJS()).map(([t]) => t));
      if (type.length !== 1 || type[0] !== "ARRAY") throw new FileRefusal(`${file}: expected a JSON array of readings or {"readings": [...]}; this object has no "readings" array`);
    }
    [rows, columns] = await files.read(
      `SELECT count(*), list_distinct(flatten(list(DISTINCT json_keys(json)) FILTER (WHERE json_type(json) = 'OBJECT'))) FROM (${source})`,
      async (r) => (await r.getRowsJS()).map(([n, keys]) => [Number(n), ((keys as string[] | null) ?? []).sort()] as const)[0]!,
    );
  } catch (e) {
    if (e instanceof FileRefusal) throw e;
    if (first === "{" && /^Out of Memory Error/.test((e as Error).message)) {
      throw new FileRefusal(`${file}: a {"readings": [...]} file is one JSON value, read whole, and this one (${(statSync(path).size / 2 ** 20).toFixed(0)} MB) does not fit the file reader's memory; write it as a JSON array or JSON lines, which are read item by item`);
    }
    throw refusalOf(file, "not valid JSON", e);
  }
  if (rows === 0) throw new FileRefusal(`${file}: the JSON array is empty; nothing was loaded`);
  return {
    format: "json",
    parts: [{ sheet: null, columns, rows, unit: "item" }],
    rows,
    read: (onRows) =>
      files.read(source, async (result) => {
        let item = 0;
        for (;;) {
          const chunk = await result.fetchChunk();
          if (!chunk || chunk.rowCount === 0) break;
          const out = (chunk.getColumnValues(0) as string[]).map((text) => {
            item++;
            return objectRow(item, text);
          });
          await onRows(out);
        }
      }),
    close: async () => undefined,
  };
}

// ---- JSON lines -----------------------------------------------------------------------------------

/**
 * Every non-blank line of a JSON-lines file with its number, as bytes, reading a MB at a time:
 * memory is a chunk plus the longest line. JSON text cannot hold a raw line break, so the lines are
 * the records; DuckDB's reader is not used here because it gives a line that is not JSON as NULL,
 * without its text, and skips blank lines, so its rows are not lines.
 */
async function* jsonLines(path: string): AsyncGenerator<Array<{ line: number; bytes: Buffer }>> {
  const fd = openSync(path, "r");
  const buf = Buffer.allocUnsafe(1 << 20);
  let carry: Buffer = Buffer.alloc(0);
  let line = 0;
  let first = true;
  const lineOf = (bytes: Buffer) => {
    line++;
    let b = bytes;
    if (first && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) b = b.subarray(3);
    first = false;
    if (b[b.length - 1] === 0x0d) b = b.subarray(0, b.length - 1);
    return /^[ \t\r]*$/.test(b.toString("latin1")) ? null : { line, bytes: b };
  };
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      const data = carry.length ? Buffer.concat([carry, buf.subarray(0, n)]) : buf.subarray(0, n);
      const out: Array<{ line: number; bytes: Buffer }> = [];
      let from = 0;
      for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a, from)) {
        const l = lineOf(Buffer.from(data.subarray(from, nl)));
        if (l) out.push(l);
        from = nl + 1;
      }
      carry = Buffer.from(data.subarray(from));
      if (out.length) yield out;
    }
    if (carry.length) {
      const l = lineOf(carry);
      if (l) yield [l];
    }
  } finally {
    closeSync(fd);
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function lineRow(l: { line: number; bytes: Buffer }): FileRow {
  let text: string;
  try {
    text = utf8.decode(l.bytes);
  } catch {
    return { part: 0, n: l.line, names: NO_NAMES, values: null, problems: ["it is not valid UTF-8"], raw: { encoding: "base64", data: l.bytes.toString("base64") } };
  }
  return objectRow(l.line, text);
}

async function jsonLinesSource(path: string): Promise<FileSource> {
  const file = basename(path);
  let rows = 0;
  const keys = new Set<string>();
  for await (const batch of jsonLines(path)) {
    for (const l of batch) {
      rows++;
      for (const k of lineRow(l).names) keys.add(k);
    }
  }
  if (rows === 0) throw new FileRefusal(`${file}: the file has only empty lines; nothing was loaded`);
  return {
    format: "jsonl",
    parts: [{ sheet: null, columns: [...keys].sort(), rows, unit: "line" }],
    rows,
    read: async (onRows) => {
      for await (const batch of jsonLines(path)) {
        for (let i = 0; i < batch.length; i += ROWS_PER_HANDOVER) await onRows(batch.slice(i, i + ROWS_PER_HANDOVER).map(lineRow));
      }
    },
    close: async () => undefined,
  };
}
