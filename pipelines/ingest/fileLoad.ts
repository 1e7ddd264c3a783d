/**
 * Batch file loads (legacy uploads, seed 004): CSV, XLSX and JSON files of readings. The file's
 * sensor contract is detected from its columns (for a workbook, each worksheet's on its own: see
 * `xlsxRows.ts`) (the sensor type whose required metrics it has and whose
 * metrics cover most of its columns, or a `sensor_type` column), every row is validated by
 * parseMessage, good rows land in RAW and bad rows in RAW.QUARANTINE with the file, line and
 * reason. A load is exactly once by content: the file's SHA-256 is a channel whose one offset
 * commits with the rows, so the same content loaded twice lands once.
 *
 * Rows without a `seq` column get the reading time in epoch milliseconds as their sequence number
 * (unique per device per time, and stable across uploads, so silver's dedup works across files).
 * A row's timestamp is judged against min(now, its own time): history of any age is accepted, a
 * timestamp ahead of the load is refused as from a device (TIMESTAMP_LIMITS).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename, extname } from "node:path";
import { SENSOR_TYPES, rulesFor, type SensorType } from "../quality/metricRules.ts";
import { parseMessage } from "../quality/messageParser.ts";
import type { ChannelLanding } from "./channelLanding.ts";
import type { QuarantineRecord, RawReading } from "./rawRecords.ts";
import { xlsxSheets, type FileRow } from "./xlsxRows.ts";

export type Contract = SensorType | "per row" | null;

export interface FileLoadResult {
  readonly file: string;
  readonly sha256: string;
  /** Detected contract, "per row" when the file has a sensor_type column, "per sheet" when a workbook's sheets differ. */
  readonly contract: Contract | "per sheet";
  /** A workbook's worksheets, each with its own contract (absent for CSV and JSON). */
  readonly sheets?: ReadonlyArray<{ readonly name: string; readonly contract: Contract; readonly rows: number }>;
  readonly rows: number;
  readonly loaded: number;
  readonly quarantined: number;
  /** True when this content was loaded before (nothing was written). */
  readonly alreadyLoaded: boolean;
}

const ID_COLUMNS = new Set(["tenant_id", "site_id", "device_id", "sensor_type", "ts", "seq", "message_id"]);

/** RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF. Returns rows with their 1-based line. */
export function parseCsv(text: string): Array<{ line: number; cells: string[] }> {
  const out: Array<{ line: number; cells: string[] }> = [];
  let cells: string[] = [];
  let cell = "";
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else {
        if (c === "\n") line++;
        cell += c;
      }
    } else if (c === '"') quoted = true;
    else if (c === ",") cells.push(cell), (cell = "");
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      cells.push(cell);
      if (cells.some((x) => x !== "")) out.push({ line: rowLine, cells });
      cells = [];
      cell = "";
      rowLine = ++line;
    } else cell += c;
  }
  cells.push(cell);
  if (cells.some((x) => x !== "")) out.push({ line: rowLine, cells });
  return out;
}

/** The sensor contract a set of columns matches, or null. */
export function detectContract(columns: readonly string[]): SensorType | "per row" | null {
  if (columns.includes("sensor_type")) return "per row";
  const metricCols = columns.filter((c) => !ID_COLUMNS.has(c));
  let best: { type: SensorType; covered: number } | null = null;
  for (const type of SENSOR_TYPES) {
    const rules = rulesFor(type);
    if (!rules.filter((r) => r.required).every((r) => metricCols.includes(r.metric))) continue;
    const covered = metricCols.filter((c) => rules.some((r) => r.metric === c)).length;
    if (!best || covered > best.covered) best = { type, covered };
  }
  return best?.type ?? null;
}

type Row = FileRow;

/** The loadable formats, by file extension. */
export const LOADABLE_EXTENSIONS = [".csv", ".json", ".xlsx"] as const;

/** The file's parts: one for CSV and JSON, one per non-empty worksheet for XLSX. */
async function partsOf(path: string, bytes: Buffer): Promise<Array<{ sheet: string | null; rows: Row[] }>> {
  if (extname(path).toLowerCase() === ".xlsx") {
    try {
      return (await xlsxSheets(bytes)).map((s) => ({ sheet: s.name, rows: s.rows }));
    } catch (e) {
      throw new Error(`${path}: not a readable XLSX workbook: ${(e as Error).message}`);
    }
  }
  return [{ sheet: null, rows: rowsOf(path, bytes.toString("utf8")) }];
}

function rowsOf(path: string, text: string): Row[] {
  if (extname(path).toLowerCase() === ".json") {
    const json = JSON.parse(text) as unknown;
    const list = Array.isArray(json) ? json : (json as { readings?: unknown }).readings;
    if (!Array.isArray(list)) throw new Error(`${path}: expected a JSON array of readings or {"readings": [...]}`);
    return list.map((values, i) => ({ line: i + 1, values: values as Record<string, unknown> }));
  }
  const [header, ...body] = parseCsv(text);
  if (!header) return [];
  const cols = header.cells.map((c) => c.trim().toLowerCase());
  return body.map(({ line, cells }) => ({
    line,
    values: Object.fromEntries(cols.map((c, i) => [c, cells[i] ?? ""]).filter(([, v]) => v !== "")),
  }));
}

/** A CSV cell as the metric it stands for: numbers as numbers (NaN / Infinity too), text as text. */
function cellValue(v: unknown): unknown {
  if (typeof v !== "string") return v;
  const t = v.trim();
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) || /^[+-]?(NaN|Infinity)$/.test(t)) return Number(t);
  return t;
}

export async function loadFile(landing: ChannelLanding, tenantId: string, path: string, now = new Date()): Promise<FileLoadResult> {
  const bytes = readFileSync(path);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const file = basename(path);
  const channel = `file:${sha256}`;
  const parts = (await partsOf(path, bytes)).map((p) => {
    const columns = [...new Set(p.rows.flatMap((r) => Object.keys(r.values)))];
    return { ...p, columns, contract: detectContract(columns) };
  });
  const contracts = [...new Set(parts.map((p) => p.contract))];
  const result = {
    file, sha256, contract: contracts.length > 1 ? ("per sheet" as const) : (contracts[0] ?? null), rows: parts.reduce((n, p) => n + p.rows.length, 0),
    ...(parts.some((p) => p.sheet !== null) ? { sheets: parts.map((p) => ({ name: p.sheet!, contract: p.contract, rows: p.rows.length })) } : {}),
  };
  if (landing.isCommitted(channel, 0)) return { ...result, loaded: 0, quarantined: 0, alreadyLoaded: true };

  const source = `file:${file}`;
  const readings: RawReading[] = [];
  const quarantine: QuarantineRecord[] = [];
  for (const { sheet, rows, columns, contract } of parts) for (const { line, values } of rows) {
    const where = sheet === null ? `${file} line ${line}` : `${file} sheet ${JSON.stringify(sheet)} line ${line}`;
    const refuse = (reason: string, deviceId: unknown = values.device_id, metric: string | null = null) =>
      quarantine.push({ tenantId, source, reason: `${where}: ${reason}`, raw: values, deviceId: typeof deviceId === "string" ? deviceId : null, metric });
    const sensorType = contract === "per row" ? String(values.sensor_type ?? "").toUpperCase() : contract;
    if (!sensorType) {
      refuse(`the file's columns (${columns.join(", ")}) match no sensor contract (${SENSOR_TYPES.join(", ")})`);
      continue;
    }
    const metrics = Object.fromEntries(Object.entries(values).filter(([k]) => !ID_COLUMNS.has(k)).map(([k, v]) => [k, cellValue(v)]));
    const ts = typeof values.ts === "string" ? new Date(values.ts) : null;
    const seq = values.seq !== undefined ? cellValue(values.seq) : ts && !Number.isNaN(ts.getTime()) ? ts.getTime() : 0;
    const message = {
      v: 1, tenant_id: values.tenant_id ?? tenantId, site_id: values.site_id, device_id: values.device_id, sensor_type: sensorType, seq: 0,
      readings: [{ ts: values.ts, seq, metrics }],
    };
    const receivedAt = ts && !Number.isNaN(ts.getTime()) && ts < now ? ts : now;
    // JSON text keeps NaN / Infinity as the bare tokens firmware sends, so the parser names them.
    const text = JSON.stringify(message, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? `\u0000${v}\u0000` : v)).replace(/"\\u0000(-?\w+)\\u0000"/g, "$1");
    const parsed = parseMessage(text, { receivedAt, expectedTenant: tenantId });
    for (const r of parsed.rejected) refuse(r.reason.replace(/readings\[0\]\./g, ""), r.deviceId, r.metric ?? null);
    if (parsed.kind === "readings") {
      for (const r of parsed.accepted) readings.push({ ...r, channel, channelOffset: 0, source, messageId: sheet === null ? `${file}:${line}` : `${file}:${sheet}:${line}` });
    }
  }
  await landing.commit({ readings, scans: [], quarantine, messages: [{ channel, seq: 0 }] }, now);
  return { ...result, loaded: readings.length, quarantined: quarantine.length, alreadyLoaded: false };
}
