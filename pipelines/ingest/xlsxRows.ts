/**
 * Rows of an Excel workbook (.xlsx) for the batch loader: EVERY worksheet with content is read
 * (legacy uploads often keep one sensor type per sheet), its first non-empty row is the header,
 * and each later row keeps its Excel row number as its line. Cells arrive as Excel types and are
 * turned into what a CSV cell would have said:
 * - a date cell becomes its ISO 8601 time (Excel stores no zone; it is read as UTC);
 * - a `ts` cell holding a plain number is an Excel date serial (1900 or 1904 system, per the
 *   workbook) and becomes its ISO time too;
 * - numbers stay numbers, text stays text (the loader reads numeric text as numbers), but an id
 *   column (tenant, site, device, sensor type) is text even when Excel typed it as a number;
 * - a formula gives its cached result, rich text its plain text, a hyperlink its text;
 * - an error cell (#DIV/0!, #N/A, ...) stays its error text, so validation names it.
 */
import ExcelJS from "exceljs";

export interface FileRow {
  /** 1-based line (CSV), item number (JSON) or Excel row number (XLSX). */
  readonly line: number;
  readonly values: Record<string, unknown>;
}

export interface Sheet {
  readonly name: string;
  readonly rows: FileRow[];
}

const DAY_MS = 86_400_000;
const TEXT_COLUMNS = new Set(["tenant_id", "site_id", "device_id", "sensor_type", "message_id"]);
/** Day 0 of Excel's 1900 system is 1899-12-30 (it counts the 1900 leap day that never was). */
const EPOCH_1900 = Date.UTC(1899, 11, 30);
const EPOCH_1904 = Date.UTC(1904, 0, 1);

function plain(v: ExcelJS.CellValue): unknown {
  if (v === null || v === undefined) return undefined;
  if (v instanceof Date) return v.toISOString();
  if (typeof v !== "object") return v;
  if ("error" in v) return v.error;
  if ("richText" in v) return v.richText.map((t) => t.text).join("");
  if ("hyperlink" in v) return v.text;
  if ("formula" in v || "sharedFormula" in v) return plain((v as ExcelJS.CellFormulaValue).result ?? null);
  return String(v);
}

function headerName(v: unknown): string {
  return String(v ?? "").trim().toLowerCase();
}

/** Every non-empty worksheet of the workbook, in workbook order. */
export async function xlsxSheets(bytes: Buffer): Promise<Sheet[]> {
  const wb = new ExcelJS.Workbook();
  // exceljs' typings predate Node's generic Buffer; the bytes are what it expects.
  await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  const epoch = wb.properties?.date1904 ? EPOCH_1904 : EPOCH_1900;
  const sheets: Sheet[] = [];
  for (const ws of wb.worksheets) {
    let header: string[] | null = null;
    const rows: FileRow[] = [];
    ws.eachRow({ includeEmpty: false }, (row, rowNumber) => {
      const cells: unknown[] = [];
      row.eachCell({ includeEmpty: false }, (cell, col) => (cells[col - 1] = plain(cell.value)));
      if (!header) {
        header = Array.from(cells, headerName);
        return;
      }
      const values: Record<string, unknown> = {};
      header.forEach((name, i) => {
        let v = cells[i];
        if (!name || v === undefined || v === "") return;
        if (name === "ts" && typeof v === "number" && v > 0 && v < 2_958_466) v = new Date(epoch + Math.round(v * DAY_MS)).toISOString();
        // An id typed as a number (device 1001) is still an id, as its CSV cell would be.
        else if (TEXT_COLUMNS.has(name) && typeof v === "number") v = String(v);
        values[name] = v;
      });
      if (Object.keys(values).length) rows.push({ line: rowNumber, values });
    });
    if (header) sheets.push({ name: ws.name, rows });
  }
  return sheets;
}
