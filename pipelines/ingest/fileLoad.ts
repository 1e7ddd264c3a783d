/**
 * Batch file loads (legacy uploads, seed 004): CSV, JSON, JSON lines and XLSX files of readings,
 * of job scans, or of operator notes (issue 28: a `note_ts` column; to RAW.OPERATOR_NOTES). Each file (each worksheet) gets its contract from its columns (the sensor type
 * whose required metrics it has and whose metrics cover most of its columns, a `sensor_type`
 * column for a per-row type, or `job_id` and `station` for scans); every row is judged by
 * fileRowCheck.ts; good rows land in RAW and bad ones in RAW.QUARANTINE with the file, place and
 * reason. Every row of the file ends in one of the two, or the file is refused whole
 * (FileRefusal) before anything is written: rows = loaded + quarantined.
 *
 * Exactly once, per tenant and content, in bounded memory. A file is the channel
 * `file:<tenant>:<sha256 of its bytes>` (the same bytes for two tenants are two loads, each judged
 * against its own tenant). Rows are read in file order and committed in batches of `batchRows`;
 * each batch commits with the channel offset "rows of this file landed so far" (ChannelLanding:
 * rows and offset in one transaction), and the last batch also commits FILE_DONE. A run killed
 * mid-file leaves whole batches and the offset that counts them; the next run reads past that
 * many rows and lands the rest. A file whose channel is at FILE_DONE is already loaded.
 *
 * Rows without a `seq` column get the reading time in epoch milliseconds as their sequence number
 * (unique per device per time, and stable across uploads, so silver's dedup works across files).
 * A row's timestamp is judged against min(now, its own time): history of any age is accepted, a
 * timestamp ahead of the load is refused as from a device (TIMESTAMP_LIMITS).
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { basename, extname } from "node:path";
import { SENSOR_TYPES, rulesFor, type SensorType } from "../quality/metricRules.ts";
import type { FileIo } from "../engine/fileIo.ts";
import type { ChannelLanding } from "./channelLanding.ts";
import { FORMAT_BY_EXTENSION, FileRefusal, type FileFormat, type FilePart, type FileSource } from "./fileRows.ts";
import { openFileSource } from "./fileSources.ts";
import { FileRowCheck, READING_ID_COLUMNS, type Contract, type PartPlan, type RowOutcome } from "./fileRowCheck.ts";
import type { TenantMembership } from "./tenantMembership.ts";
import { DEFAULT_BATCH_ROWS, LOADABLE_EXTENSIONS } from "./fileLoadDefaults.ts";

export type { Contract } from "./fileRowCheck.ts";
export { FileRefusal } from "./fileRows.ts";

/** The channel offset that says a file is loaded whole (any row count is below it). */
export const FILE_DONE = Number.MAX_SAFE_INTEGER;
export { DEFAULT_BATCH_ROWS, LOADABLE_EXTENSIONS } from "./fileLoadDefaults.ts";

export interface FileLoadOptions {
  /** The hub's file instance: DuckDB's readers run there, never on the warehouse's. */
  readonly files: FileIo;
  /** What the tenant owns: rows of other sites and devices are quarantined. */
  readonly membership: TenantMembership;
  /** Timestamps are judged against it. Default: now. */
  readonly now?: Date;
  /** Rows per committed batch. Default DEFAULT_BATCH_ROWS. */
  readonly batchRows?: number;
  /** Told after each committed batch. */
  readonly progress?: (p: { file: string; landed: number; rows: number }) => void;
}

export interface FileLoadResult {
  readonly file: string;
  readonly sha256: string;
  readonly format: FileFormat;
  /** Detected contract ("scans" for a scan file), "per row" with a sensor_type column, "per sheet" when a workbook's sheets differ; null when already loaded (not read). */
  readonly contract: Contract | "scans" | "notes" | "per sheet";
  /** A workbook's worksheets, each with its own contract (absent for CSV and JSON). */
  readonly sheets?: ReadonlyArray<{ readonly name: string; readonly contract: Contract | "scans" | "notes"; readonly rows: number }>;
  /** Rows in the file (0 when already loaded: it is not read again). */
  readonly rows: number;
  readonly loaded: number;
  readonly quarantined: number;
  /** Rows an earlier, interrupted run of this file had landed (their batches are not landed again). */
  readonly earlier: number;
  /** True when this content was loaded for this tenant before (nothing was read or written). */
  readonly alreadyLoaded: boolean;
}

/** The sensor contract a set of columns matches, or null. */
export function detectContract(columns: readonly string[]): SensorType | "per row" | null {
  if (columns.includes("sensor_type")) return "per row";
  const metricCols = columns.filter((c) => !READING_ID_COLUMNS.has(c));
  let best: { type: SensorType; covered: number } | null = null;
  for (const type of SENSOR_TYPES) {
    const rules = rulesFor(type);
    if (!rules.filter((r) => r.required).every((r) => metricCols.includes(r.metric))) continue;
    const covered = metricCols.filter((c) => rules.some((r) => r.metric === c)).length;
    if (!best || covered > best.covered) best = { type, covered };
  }
  return best?.type ?? null;
}

/** What a part holds; a fault-label file is refused (it is the simulator's answer key, not data). */
function planPart(file: string, part: FilePart): PartPlan {
  const has = (...c: string[]) => c.every((x) => part.columns.includes(x));
  if (has("fault", "start", "end")) {
    throw new FileRefusal(`${file}: a fault-label file (tenant_id, device_id, fault, metric, start, end: the faults scripts/simulate.ts injected, its labels.jsonl), not readings or scans; it is not loaded`);
  }
  if (has("note_id", "safety_concern")) {
    throw new FileRefusal(`${file}: a note ground-truth file (note_id, safety_concern, fault: what the simulator's notes are really about, its note-truth.jsonl), not notes; it is not loaded`);
  }
  if (has("job_id", "station")) return { part, kind: "scans", contract: null };
  // A note's time column: readings have `ts`, scans `scan_ts`. Its other columns are judged per row.
  if (has("note_ts")) return { part, kind: "notes", contract: null };
  return { part, kind: "readings", contract: detectContract(part.columns) };
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** The channel of a file's content loaded for a tenant. */
export function fileChannel(tenantId: string, sha256: string): string {
  return `file:${tenantId}:${sha256}`;
}

export async function loadFile(landing: ChannelLanding, tenantId: string, path: string, opts: FileLoadOptions): Promise<FileLoadResult> {
  const file = basename(path);
  const format = FORMAT_BY_EXTENSION[extname(path).toLowerCase()];
  if (!format) throw new FileRefusal(`${file}: only ${LOADABLE_EXTENSIONS.join(", ")} files are loaded`);
  if (opts.membership.tenantId !== tenantId) throw new Error(`membership of ${opts.membership.tenantId} given for a load of ${tenantId}`);
  const now = opts.now ?? new Date();
  const batchRows = opts.batchRows ?? DEFAULT_BATCH_ROWS;
  const sha256 = await sha256Of(path);
  const channel = fileChannel(tenantId, sha256);
  const landed = landing.committed(channel);
  if (landed === FILE_DONE) return { file, sha256, format, contract: null, rows: 0, loaded: 0, quarantined: 0, earlier: 0, alreadyLoaded: true };

  const source: FileSource = await openFileSource(path, format, opts.files);
  try {
    const plans = source.parts.map((p) => planPart(file, p));
    const contractOf = (p: PartPlan): Contract | "scans" | "notes" => (p.kind === "readings" ? p.contract : p.kind);
    const contracts = [...new Set(plans.map(contractOf))];
    const summary = {
      file, sha256, format, rows: source.rows, contract: contracts.length > 1 ? ("per sheet" as const) : contracts[0]!,
      ...(format === "xlsx" ? { sheets: source.parts.map((p, i) => ({ name: p.sheet!, contract: contractOf(plans[i]!), rows: p.rows })) } : {}),
    };
    // An interrupted run landed the first `earlier` rows: read past them, land the rest.
    const earlier = Math.max(0, landed);
    const check = new FileRowCheck({ tenantId, membership: opts.membership, file, channel, now });
    let batch: RowOutcome = { readings: [], scans: [], quarantine: [], notes: [] };
    let seen = 0;
    let loaded = 0;
    let quarantined = 0;
    // A batch commits while the next one is read and checked: DuckDB appends and commits on its own
    // threads, so the two overlap. One commit at a time, in order (the offset counts rows in order).
    let inflight: Promise<void> = Promise.resolve();
    const commit = async () => {
      const through = seen;
      const done = { ...batch, messages: [{ channel, seq: through }, ...(through === source.rows ? [{ channel, seq: FILE_DONE }] : [])] };
      batch = { readings: [], scans: [], quarantine: [], notes: [] };
      await inflight;
      inflight = landing.commit(done, now).then(() => {
        loaded += done.readings.length + done.scans.length + done.notes.length;
        quarantined += done.quarantine.length;
        opts.progress?.({ file, landed: through, rows: source.rows });
      });
      // Awaited before the next commit and at the end; this keeps a failure in between from
      // counting as unhandled (which ends the process before the loader can report it).
      inflight.catch(() => undefined);
    };
    try {
      await source.read(async (rows) => {
        for (const row of rows) {
          seen++;
          if (seen <= earlier) continue;
          check.check(row, plans[row.part]!, seen, batch);
          if (seen % batchRows === 0 || seen === source.rows) await commit();
        }
      });
    } finally {
      await inflight;
    }
    if (seen !== source.rows) throw new Error(`${file}: ${seen} rows read, the survey counted ${source.rows}`);
    return { ...summary, loaded, quarantined, earlier, alreadyLoaded: false };
  } finally {
    await source.close();
  }
}
