/**
 * One row of a loaded file judged: a RAW reading or scan, or a RAW.QUARANTINE row whose reason
 * names the file, the row's place, the field and the value. In this order:
 * 1. what the reader found (a record it could not read, a formula without a result);
 * 2. the columns: a value under a column with no name, a name that is not a column name, or a
 *    name the header has twice;
 * 3. the ids (idGrammar.ts), the tenant column (it must name the tenant loading the file) and
 *    membership (tenantMembership.ts): the site and device, or site and station, must be the
 *    tenant's;
 * 4. the reading or scan itself, by the same rules as streaming ingest (parseMessage); an
 *    operator note by the rules of POST /v1/notes (pipelines/notes/noteRecords.ts parseNote), for
 *    the loading tenant, whatever the row says. A reading
 *    the compiled check (compiledReadingCheck.ts) vouches for is accepted without building and
 *    parsing a message: parseMessage's own fast path, taken here without the detour through JSON
 *    text, which cost more than everything else a row needs (issue 18 asks for 50,000 rows/s).
 *    Everything else goes through parseMessage, which writes the reasons.
 */
import { SENSOR_TYPES, type SensorType } from "../quality/metricRules.ts";
import { parseMessage } from "../quality/messageParser.ts";
import { acceptReading } from "../quality/compiledReadingCheck.ts";
import { ID_COLUMN_KINDS, idProblem, showValue, type IdKind } from "./idGrammar.ts";
import { noteMembershipProblem, readingMembershipProblem, scanMembershipProblem, type TenantMembership } from "./tenantMembership.ts";
import { keyOf, placeOf, type FilePart, type FileRow } from "./fileRows.ts";
import type { QuarantineRecord, RawReading, RawScan } from "./rawRecords.ts";
import { NoteRefused, parseNote, type RawNote } from "../notes/noteRecords.ts";

export type Contract = SensorType | "per row" | null;

/** What a part (a file, a worksheet) holds, decided from its columns. */
export interface PartPlan {
  readonly part: FilePart;
  readonly kind: "readings" | "scans" | "notes";
  /** For readings: the sensor contract, "per row" (a sensor_type column) or null (none matches). */
  readonly contract: Contract;
}

/** Columns of a reading row that are not metrics. */
export const READING_ID_COLUMNS: ReadonlySet<string> = new Set(["tenant_id", "site_id", "device_id", "sensor_type", "ts", "seq", "message_id"]);

/** The message fields in a loaded reading's payload: its envelope's seq, 0 (parseMessage's `message`). */
const MESSAGE_OF_A_ROW = Object.freeze({ seq: 0 });

/** A column name: lower case, digits and `_`, as the metric catalogue names metrics. */
const COLUMN_PATTERN = /^[a-z_][a-z0-9_]{0,63}$/;

export interface RowCheckContext {
  readonly tenantId: string;
  readonly membership: TenantMembership;
  /** The file's name, first in every reason. */
  readonly file: string;
  /** The channel the rows land under (RAW's channel column). */
  readonly channel: string;
  readonly now: Date;
}

export interface RowOutcome {
  readonly readings: RawReading[];
  readonly scans: RawScan[];
  readonly quarantine: QuarantineRecord[];
  readonly notes: RawNote[];
}

/** A text cell as the metric it stands for: numbers as numbers (NaN / Infinity too), text as text. */
function cellValue(v: unknown): unknown {
  if (typeof v !== "string") return v;
  const t = v.trim();
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) || /^[+-]?(NaN|Infinity)$/.test(t)) return Number(t);
  return t;
}

/** JSON text of a message whose NaN / Infinity stay the bare tokens firmware sends, so the parser names them. */
function messageText(message: unknown): string {
  return JSON.stringify(message, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? `\u0000${v}\u0000` : v)).replace(/"\\u0000(-?\w+)\\u0000"/g, "$1");
}

const isEmpty = (v: unknown) => v === null || v === undefined || v === "";

/** Every non-empty cell of a row, for quarantine: a nameless, bad or repeated name as `<name>#<position>`. */
function everyCell(row: FileRow): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const values = row.values ?? [];
  const count = new Map<string, number>();
  for (const n of row.names) count.set(n, (count.get(n) ?? 0) + 1);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (isEmpty(v)) continue;
    const name = row.names[i] ?? "";
    out[COLUMN_PATTERN.test(name) && count.get(name) === 1 ? name : `${name || "column"}#${i + 1}`] = v;
  }
  return out;
}

/**
 * What a row's names say, worked out once per header (a CSV's or a worksheet's rows share one
 * names array): whether every name is a usable column name, used once, and where the id columns
 * and the metrics are. A row whose names are all usable is then checked without building an object
 * of its values first, which a million-row load felt.
 */
interface ColumnPlan {
  /** Every name is a column name and no name repeats. */
  readonly clean: boolean;
  /** Position of each column by name. */
  readonly at: ReadonlyMap<string, number>;
  /** The id columns: position, name, grammar. */
  readonly ids: ReadonlyArray<readonly [number, string, IdKind]>;
  /** The metric columns of a reading (every column that is not one of READING_ID_COLUMNS). */
  readonly metrics: ReadonlyArray<readonly [number, string]>;
}

function columnPlan(names: readonly string[]): ColumnPlan {
  const at = new Map<string, number>();
  let clean = true;
  names.forEach((n, i) => {
    if (!COLUMN_PATTERN.test(n) || at.has(n)) clean = false;
    else at.set(n, i);
  });
  const ids: Array<readonly [number, string, IdKind]> = [];
  const metrics: Array<readonly [number, string]> = [];
  for (const [n, i] of at) {
    const kind = ID_COLUMN_KINDS[n];
    if (kind) ids.push([i, n, kind]);
    if (!READING_ID_COLUMNS.has(n)) metrics.push([i, n]);
  }
  return { clean, at, ids, metrics };
}

/** The value of a column (with a repeated name: its one non-empty cell). */
function cellOf(row: FileRow, cols: ColumnPlan, name: string): unknown {
  const values = row.values!;
  if (cols.clean) {
    const i = cols.at.get(name);
    return i === undefined ? undefined : values[i];
  }
  for (let i = 0; i < values.length; i++) if (row.names[i] === name && !isEmpty(values[i])) return values[i];
  return undefined;
}

/** A row's non-empty cells by column name (its names all usable, or the unusable ones empty). */
function valuesOf(row: FileRow): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const values = row.values!;
  for (let i = 0; i < values.length; i++) if (!isEmpty(values[i])) out[row.names[i]!] = values[i];
  return out;
}

export class FileRowCheck {
  private readonly source: string;
  private readonly plans = new WeakMap<readonly string[], ColumnPlan>();

  constructor(private readonly ctx: RowCheckContext) {
    this.source = `file:${ctx.file}`;
  }

  private planOf(names: readonly string[]): ColumnPlan {
    let plan = this.plans.get(names);
    if (!plan) this.plans.set(names, (plan = columnPlan(names)));
    return plan;
  }

  /** Put `row` in quarantine: the reason names the file, the row's place and every problem. */
  private quarantine(out: RowOutcome, row: FileRow, plan: PartPlan, reasons: readonly string[], raw: unknown, deviceId: unknown = null, metric: string | null = null): void {
    const reason = `${this.ctx.file} ${placeOf(plan.part, row.n)}: ${reasons.join("; ")}`;
    out.quarantine.push({ tenantId: this.ctx.tenantId, source: this.source, reason, raw, deviceId: typeof deviceId === "string" ? deviceId : null, metric });
  }

  /** Judge `row` (of a part planned as `plan`) into `out`; `offset` is its number in the file (RAW's channel_offset). */
  check(row: FileRow, plan: PartPlan, offset: number, out: RowOutcome): void {
    const { ctx } = this;
    // RAW.QUARANTINE.raw is JSON, and the appender takes a string for JSON text: a row's own text
    // (a line that is not JSON, a record the CSV reader refused) is kept as a JSON string.
    if (row.values === null) return this.quarantine(out, row, plan, row.problems, typeof row.raw === "string" ? JSON.stringify(row.raw) : (row.raw ?? null));
    const cols = this.planOf(row.names);
    const values = row.values;
    let problems: string[] | null = row.problems.length ? [...row.problems] : null;
    let cells = 0;
    for (let i = 0; i < values.length; i++) if (!isEmpty(values[i])) cells++;
    // A row whose only cells are problems (a formula without a result) is quarantined for those.
    if (cells === 0) return this.quarantine(out, row, plan, row.problems.length ? row.problems : ["the row has no values"], {});
    if (!cols.clean) {
      const seen = new Map<string, number>();
      for (let i = 0; i < values.length; i++) {
        const value = values[i];
        if (isEmpty(value)) continue;
        const name = row.names[i] ?? "";
        if (name === "") (problems ??= []).push(`the value ${showValue(value)} is in a column the header gives no name`);
        else if (!COLUMN_PATTERN.test(name)) (problems ??= []).push(`column ${showValue(name)} (value ${showValue(value)}) is not a column name: lower-case letters, digits or '_', at most 64`);
        else seen.set(name, (seen.get(name) ?? 0) + 1);
      }
      for (const [name, n] of seen) if (n > 1) (problems ??= []).push(`column ${name} is named twice in the header, and the row has a value in both`);
    }
    for (const [i, column, kind] of cols.ids) {
      const v = cols.clean ? values[i] : cellOf(row, cols, column);
      if (isEmpty(v)) continue;
      const bad = idProblem(kind, v);
      if (bad) (problems ??= []).push(`${column} ${showValue(v)} ${bad}`);
      else if (kind === "tenant" && v !== ctx.tenantId) (problems ??= []).push(`tenant_id ${showValue(v)} names another tenant than the one loading the file (${ctx.tenantId})`);
    }
    const siteId = cellOf(row, cols, "site_id");
    if (problems === null && typeof siteId === "string") {
      const other = cellOf(row, cols, plan.kind === "scans" ? "station" : "device_id");
      const member =
        typeof other !== "string" ? null
        : plan.kind === "scans" ? scanMembershipProblem(ctx.membership, siteId, other)
        : plan.kind === "notes" ? noteMembershipProblem(ctx.membership, siteId, other)
        : readingMembershipProblem(ctx.membership, siteId, other);
      if (member) problems = [member];
    }
    if (problems !== null) return this.quarantine(out, row, plan, problems, cols.clean ? valuesOf(row) : everyCell(row), cellOf(row, cols, plan.kind === "scans" ? "job_id" : "device_id"));

    if (plan.kind === "scans") this.scan(row, plan, valuesOf(row), out);
    else if (plan.kind === "notes") this.note(row, plan, valuesOf(row), out);
    else this.reading(row, plan, cols, offset, out);
  }

  /** A note: the one rule set of noteRecords.ts, for the tenant loading the file (its tenant_id column, if any, was checked above). */
  private note(row: FileRow, plan: PartPlan, values: Record<string, unknown>, out: RowOutcome): void {
    try {
      out.notes.push(parseNote(values, this.ctx.tenantId, this.source, this.ctx.now));
    } catch (e) {
      if (!(e instanceof NoteRefused)) throw e;
      this.quarantine(out, row, plan, [e.message], values, values.device_id);
    }
  }

  private reading(row: FileRow, plan: PartPlan, cols: ColumnPlan, offset: number, out: RowOutcome): void {
    const { ctx } = this;
    const values = row.values!;
    const sensorCell = cellOf(row, cols, "sensor_type");
    const sensorType = plan.contract === "per row" ? String(sensorCell ?? "").toUpperCase() : plan.contract;
    if (!sensorType) {
      return this.quarantine(out, row, plan, [`the file's columns (${plan.part.columns.join(", ")}) match no sensor contract (${SENSOR_TYPES.join(", ")})`], valuesOf(row), cellOf(row, cols, "device_id"));
    }
    const metrics: Record<string, unknown> = {};
    if (cols.clean) {
      for (const [i, name] of cols.metrics) if (!isEmpty(values[i])) metrics[name] = cellValue(values[i]);
    } else {
      for (let i = 0; i < values.length; i++) if (!isEmpty(values[i]) && !READING_ID_COLUMNS.has(row.names[i]!)) metrics[row.names[i]!] = cellValue(values[i]);
    }
    const tsCell = cellOf(row, cols, "ts");
    const seqCell = cellOf(row, cols, "seq");
    const tsMs = typeof tsCell === "string" ? Date.parse(tsCell) : NaN;
    const seq = !isEmpty(seqCell) ? cellValue(seqCell) : tsMs === tsMs ? tsMs : 0;
    const messageIdCell = cellOf(row, cols, "message_id");
    // History of any age is accepted: a row is judged as if received at min(now, its own time).
    const receivedMs = tsMs === tsMs && tsMs < ctx.now.getTime() ? tsMs : ctx.now.getTime();
    const messageId = plan.part.sheet === null ? `${ctx.file}:${row.n}` : `${ctx.file}:${keyOf(plan.part, row.n)}`;
    const siteId = cellOf(row, cols, "site_id");
    const deviceId = cellOf(row, cols, "device_id");
    if (typeof siteId === "string" && typeof deviceId === "string" && (SENSOR_TYPES as readonly string[]).includes(sensorType)) {
      // parseMessage's payload for the message this row stands for (schema 1, the envelope's seq
      // 0, then the reading), built as one object: the compiled check reads only ts, seq and
      // metrics and finds the other two keys finite, and its JSON text is what RAW stores.
      const payload: Record<string, unknown> = { schema: 1, message: MESSAGE_OF_A_ROW, ts: tsCell, seq, metrics };
      if (!isEmpty(messageIdCell)) payload.message_id = messageIdCell;
      const accepted = acceptReading(payload, sensorType as SensorType, receivedMs);
      if (accepted) {
        out.readings.push({
          tenantId: ctx.tenantId, siteId, deviceId, sensorType, ts: accepted, seq: seq as number, messageId,
          payload: JSON.stringify(payload), channel: ctx.channel, channelOffset: offset, source: this.source,
        });
        return;
      }
    }
    const reading: Record<string, unknown> = { ts: tsCell, seq, metrics };
    if (!isEmpty(messageIdCell)) reading.message_id = messageIdCell;
    const message = { v: 1, tenant_id: ctx.tenantId, site_id: siteId, device_id: deviceId, sensor_type: sensorType, seq: 0, readings: [reading] };
    const parsed = parseMessage(messageText(message), { receivedAt: new Date(receivedMs), expectedTenant: ctx.tenantId });
    for (const r of parsed.rejected) this.quarantine(out, row, plan, [r.reason.replace(/readings\[0\]\./g, "")], valuesOf(row), r.deviceId ?? deviceId, r.metric ?? null);
    if (parsed.kind === "readings") {
      for (const r of parsed.accepted) out.readings.push({ ...r, channel: ctx.channel, channelOffset: offset, source: this.source, messageId });
    }
  }

  private scan(row: FileRow, plan: PartPlan, values: Record<string, unknown>, out: RowOutcome): void {
    const { ctx } = this;
    const { site_id: siteId, tenant_id: _tenant, ...scan } = values;
    const ts = typeof scan.scan_ts === "string" ? Date.parse(scan.scan_ts) : NaN;
    const receivedAt = ts === ts && ts < ctx.now.getTime() ? new Date(ts) : ctx.now;
    const parsed = parseMessage(messageText({ v: 1, tenant_id: ctx.tenantId, site_id: siteId, scans: [scan] }), { receivedAt, expectedTenant: ctx.tenantId });
    for (const r of parsed.rejected) this.quarantine(out, row, plan, [r.reason.replace(/scans\[0\]\./g, "")], values, r.deviceId ?? scan.job_id);
    if (parsed.kind === "scans") for (const s of parsed.accepted) out.scans.push({ ...s, source: this.source });
  }
}
