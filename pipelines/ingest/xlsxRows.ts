/**
 * Rows of an Excel workbook (.xlsx) for the batch loader, read with exceljs's streaming reader
 * (`stream.xlsx.WorkbookReader`): rows arrive one at a time and are not kept, so memory is the
 * workbook's shared-string table (exceljs caches it: every distinct text in the workbook) plus one
 * batch of rows, not the sheet. DuckDB has no XLSX reader to do this (its `excel` extension is not
 * installed here and would need the internet).
 *
 * EVERY worksheet with content is read (legacy uploads often keep one sensor type per sheet); its
 * first non-empty row is the header, and each later non-empty row keeps its Excel row number.
 * Cells arrive as Excel types and are turned into what a CSV cell would have said:
 * - a date cell becomes its ISO 8601 time (Excel stores no zone; it is read as UTC), in the 1900
 *   or 1904 date system the workbook says;
 * - a `ts` cell holding a plain number is an Excel date serial and becomes its ISO time too;
 * - numbers stay numbers, text stays text (the loader reads numeric text as numbers), but an id
 *   column typed as a whole number (device 1001) is text;
 * - rich text gives its plain text, a hyperlink cell its text, an error cell (#N/A) its error
 *   text (validation then names it);
 * - a formula gives its cached result. A formula with NO cached result (a workbook written by a
 *   program, never opened in Excel), a formula whose cached result is an error, and a formula in
 *   an id column (`=HYPERLINK(...)` shows one id and links elsewhere) are problems of the row: it
 *   is quarantined naming the cell, its column and the formula. exceljs's reader keeps an error
 *   result only as NaN, so the reason cannot say which error it was.
 */
import type ExcelJS from "exceljs";
import { basename } from "node:path";
import { ID_COLUMN_KINDS } from "./idGrammar.ts";
import { FileRefusal, NO_PROBLEMS, type FilePart, type FileRow, type FileSource } from "./fileRows.ts";

const DAY_MS = 86_400_000;

/**
 * exceljs is loaded on the first workbook read, not with this module: it and its zip and stream
 * libraries are ~150 modules, most of a second of start-up for every command that can load files
 * (start, serve, load) but is not loading a workbook now.
 */
let excel: typeof ExcelJS | undefined;
async function loadExcel(): Promise<typeof ExcelJS> {
  return (excel ??= (await import("exceljs")).default);
}
/** exceljs's cell types; set by loadExcel, which runs before any cell exists to be typed. */
function cellTypes(): typeof ExcelJS.ValueType {
  if (!excel) throw new Error("exceljs is not loaded: cells come only from sheetRows, which loads it");
  return excel.ValueType;
}
/** Day 0 of Excel's 1900 system is 1899-12-30 (it counts the 1900 leap day that never was). */
const EPOCH_1900 = Date.UTC(1899, 11, 30);
const EPOCH_1904 = Date.UTC(1904, 0, 1);

/** What exceljs keeps of a cell (`cell.model`): unlike `cell.value`, it keeps a formula's result of 0, "" or false. */
interface CellModel {
  readonly type: number;
  readonly value?: unknown;
  readonly formula?: string;
  readonly sharedFormula?: string;
  readonly result?: unknown;
  readonly text?: string;
  readonly richText?: ReadonlyArray<{ text: string }>;
  readonly error?: string;
}

type Cell = { value: unknown } | { problem: string } | null;

function headerName(v: unknown): string {
  return String(v ?? "").trim().toLowerCase();
}

/** A cell's value as a CSV cell would have said it, a problem, or null when it is empty. */
function cellOf(cell: ExcelJS.Cell, column: string, epoch: number): Cell {
  const m = cell.model as unknown as CellModel;
  const where = `cell ${cell.address}${column ? ` (${column})` : ""}`;
  const T = cellTypes();
  let v: unknown;
  switch (cell.type) {
    case T.Null:
    case T.Merge:
      return null;
    case T.Formula: {
      const formula = `=${m.formula ?? m.sharedFormula ?? ""}`;
      if (ID_COLUMN_KINDS[column]) return { problem: `${where} is a formula (${formula}), not a value: an id is typed in, not computed` };
      if (m.result === undefined) return { problem: `${where} is a formula (${formula}) with no cached result: open and save the workbook in Excel, which computes it` };
      if (typeof m.result === "number" && Number.isNaN(m.result)) return { problem: `${where} is a formula (${formula}) whose cached result is an error (#DIV/0!, #N/A, ...)` };
      v = m.result instanceof Date ? m.result.toISOString() : m.result;
      break;
    }
    case T.Date:
      v = (cell.value as Date).toISOString();
      break;
    case T.RichText:
      v = (m.richText ?? (cell.value as { richText: Array<{ text: string }> }).richText).map((t) => t.text).join("");
      break;
    case T.Hyperlink:
      v = (cell.value as { text?: unknown }).text;
      break;
    case T.Error:
      v = (cell.value as { error: string }).error;
      break;
    default:
      v = cell.value;
  }
  if (v === null || v === undefined || v === "") return null;
  if (column === "ts" && typeof v === "number" && v > 0 && v < 2_958_466) v = new Date(epoch + Math.round(v * DAY_MS)).toISOString();
  // An id typed as a number (device 1001) is still an id, as its CSV cell would be.
  else if (ID_COLUMN_KINDS[column] && typeof v === "number") v = String(v);
  else if (typeof v === "object") v = String(v);
  return { value: v };
}

interface SheetRow {
  readonly sheet: string;
  readonly number: number;
  readonly cells: ReadonlyArray<ExcelJS.Cell>;
}

/** Every worksheet's non-empty rows, in order, with the workbook's date epoch. */
async function* sheetRows(path: string): AsyncGenerator<{ sheet: string; epoch: number; rows: AsyncGenerator<SheetRow> }> {
  // Styles are needed to tell a date cell from a number; hyperlinks are not (a link cell gives its text).
  const reader = new (await loadExcel()).stream.xlsx.WorkbookReader(path, { sharedStrings: "cache", hyperlinks: "ignore", styles: "cache", worksheets: "emit", entries: "ignore" });
  for await (const ws of reader) {
    const props = (reader as unknown as { properties?: { model?: { date1904?: boolean } } }).properties;
    const epoch = props?.model?.date1904 ? EPOCH_1904 : EPOCH_1900;
    const name = (ws as unknown as { name: string }).name;
    async function* rows(): AsyncGenerator<SheetRow> {
      for await (const row of ws as unknown as AsyncIterable<ExcelJS.Row>) {
        const cells: ExcelJS.Cell[] = [];
        const T = cellTypes();
        row.eachCell({ includeEmpty: false }, (c) => {
          if (c.type !== T.Null && !(c.type === T.String && c.value === "")) cells.push(c);
        });
        if (cells.length > 0) yield { sheet: name, number: row.number, cells };
      }
    }
    yield { sheet: name, epoch, rows: rows() };
  }
}

/** The loader's source for a workbook: surveyed (sheets, headers, row counts) by one streaming pass, read by another. */
export async function xlsxSource(path: string): Promise<FileSource> {
  const file = basename(path);
  const parts: FilePart[] = [];
  try {
    for await (const { sheet, rows } of sheetRows(path)) {
      let columns: string[] | null = null;
      let n = 0;
      for await (const r of rows) {
        if (columns === null) columns = headerOf(r);
        else n++;
      }
      if (columns !== null) parts.push({ sheet, columns, rows: n, unit: "row" });
    }
  } catch (e) {
    throw new FileRefusal(`${file}: not a readable XLSX workbook: ${(e as Error).message}`);
  }
  const rows = parts.reduce((a, p) => a + p.rows, 0);
  if (parts.length === 0) throw new FileRefusal(`${file}: the workbook has no worksheet with content; nothing was loaded`);
  if (rows === 0) throw new FileRefusal(`${file}: the workbook's worksheets have a header but no rows; nothing was loaded`);
  return {
    format: "xlsx",
    parts,
    rows,
    read: async (onRows) => {
      let part = -1;
      for await (const { epoch, rows: sheetRowsOf } of sheetRows(path)) {
        let columns: string[] | null = null;
        let out: FileRow[] = [];
        for await (const r of sheetRowsOf) {
          if (columns === null) {
            columns = headerOf(r);
            part++;
            continue;
          }
          const names: string[] = [];
          const values: unknown[] = [];
          const problems: string[] = [];
          for (const c of r.cells) {
            const column = columns[Number(c.col) - 1] ?? "";
            const got = cellOf(c, column, epoch);
            if (got === null) continue;
            if ("problem" in got) problems.push(got.problem);
            else names.push(column), values.push(got.value);
          }
          out.push({ part, n: r.number, names, values, problems: problems.length ? problems : NO_PROBLEMS });
          if (out.length >= 2048) {
            await onRows(out);
            out = [];
          }
        }
        if (out.length > 0) await onRows(out);
      }
    },
    close: async () => undefined,
  };
}

function headerOf(r: SheetRow): string[] {
  const names: string[] = [];
  for (const c of r.cells) {
    const m = c.model as unknown as CellModel;
    const T = cellTypes();
    const v = c.type === T.Formula ? m.result : c.type === T.RichText ? m.richText?.map((t) => t.text).join("") : c.value;
    names[Number(c.col) - 1] = headerName(v);
  }
  return Array.from(names, (n) => n ?? "");
}
