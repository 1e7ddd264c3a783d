/**
 * One row of a loaded file judged: a RAW reading or scan, or a RAW.QUARANTINE row whose reason
 * names the file, the row's place, the field and the value. In this order:
 * 1. what the reader found (a record it could not read, a formula without a result);
 * 2. the columns: a value under a column with no name, a name that is not a column name, or a
 *    name the header has twice;
 * 3. the ids (idGrammar.ts), the tenant column (it must name the tenant loading the file) and
 *    membership (tenantMembership.ts): the site and device, or site and station, must be the
 *    tenant's;
 * 4. the reading or scan itself, by the same rules as streaming ingest (parseMessage). A reading
 *    the compiled check (compiledReadingCheck.ts) vouches for is accepted without building and
 *    parsing a message: parseMessage's own fast path, taken here without the detour through JSON
 *    text, which cost more than everything else a row needs (issue 18 asks for 50,000 rows/s).
 *    Everything else goes through parseMessage, which writes the reasons.
 */
import { SENSOR_TYPES, type SensorType } from "../quality/metricRules.ts";
import { parseMessage } from "../quality/messageParser.ts";
import { acceptReading } from "../quality/compiledReadingCheck.ts";
import { ID_COLUMN_KINDS, idProblem, showValue } from "./idGrammar.ts";
import { readingMembershipProblem, scanMembershipProblem, type TenantMembership } from "./tenantMembership.ts";
import { keyOf, placeOf, type FilePart, type FileRow } from "./fileRows.ts";
import type { QuarantineRecord, RawReading, RawScan } from "./rawRecords.ts";

export type Contract = SensorType | "per row" | null;

/** What a part (a file, a worksheet) holds, decided from its columns. */
export interface PartPlan {
  readonly part: FilePart;
  readonly kind: "readings" | "scans";
  /** For readings: the sensor contract, "per row" (a sensor_type column) or null (none matches). */
  readonly contract: Contract;
}

/** Columns of a reading row that are not metrics. */
export const READING_ID_COLUMNS: ReadonlySet<string> = new Set(["tenant_id", "site_id", "device_id", "sensor_type", "ts", "seq", "message_id"]);

/** How parseMessage's payload of a reading starts: the schema version and the message's own fields (seq 0). */
const PAYLOAD_HEAD = `{"schema":1,"message":{"seq":0},`;

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

/** Every non-empty cell of a row, for quarantine: a nameless, bad or repeated name as `<name>#<position>`. */
function everyCell(row: FileRow): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const values = row.values ?? [];
  const count = new Map<string, number>();
  for (const n of row.names) count.set(n, (count.get(n) ?? 0) + 1);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined || v === "") continue;
    const name = row.names[i] ?? "";
    out[COLUMN_PATTERN.test(name) && count.get(name) === 1 ? name : `${name || "column"}#${i + 1}`] = v;
  }
  return out;
}

export class FileRowCheck {
  private readonly source: string;

  constructor(private readonly ctx: RowCheckContext) {
    this.source = `file:${ctx.file}`;
  }

  /** Put `row` in quarantine: the reason names the file, the row's place and every problem. */
  private quarantine(out: RowOutcome, row: FileRow, plan: PartPlan, reasons: readonly string[], raw: unknown, deviceId: unknown = null, metric: string | null = null): void {
    const reason = `${this.ctx.file} ${placeOf(plan.part, row.n)}: ${reasons.join("; ")}`;
    out.quarantine.push({ tenantId: this.ctx.tenantId, source: this.source, reason, raw, deviceId: typeof deviceId === "string" ? deviceId : null, metric });
  }

  /** Judge `row` (of a part planned as `plan`) into `out`; `offset` is the channel offset of its batch. */
  check(row: FileRow, plan: PartPlan, offset: number, out: RowOutcome): void {
    const { ctx } = this;
    const quarantine = (reasons: readonly string[], raw: unknown, deviceId: unknown = null, metric: string | null = null): void =>
      this.quarantine(out, row, plan, reasons, raw, deviceId, metric);
    // RAW.QUARANTINE.raw is JSON, and the appender takes a string for JSON text: a row's own text
    // (a line that is not JSON, a record the CSV reader refused) is kept as a JSON string.
    if (row.values === null) return quarantine(row.problems, typeof row.raw === "string" ? JSON.stringify(row.raw) : (row.raw ?? null));

    const problems = row.problems.length ? [...row.problems] : [];
    const values: Record<string, unknown> = {};
    let cells = 0;
    let repeated: Set<string> | null = null;
    for (let i = 0; i < row.values.length; i++) {
      const value = row.values[i];
      if (value === null || value === undefined || value === "") continue;
      cells++;
      const name = row.names[i] ?? "";
      if (name === "") problems.push(`the value ${showValue(value)} is in a column the header gives no name`);
      else if (!this.isColumnName(name)) problems.push(`column ${showValue(name)} (value ${showValue(value)}) is not a column name: lower-case letters, digits or '_', at most 64`);
      else if (Object.hasOwn(values, name)) (repeated ??= new Set()).add(name);
      else values[name] = value;
    }
    for (const name of repeated ?? []) problems.push(`column ${name} is named twice in the header, and the row has a value in both`);
    if (cells === 0) return quarantine(["the row has no values"], {});
    const raw = problems.length === 0 ? values : everyCell(row);
    for (const column in values) {
      const kind = ID_COLUMN_KINDS[column];
      if (!kind) continue;
      const v = values[column];
      const bad = idProblem(kind, v);
      if (bad) problems.push(`${column} ${showValue(v)} ${bad}`);
      else if (kind === "tenant" && v !== ctx.tenantId) problems.push(`tenant_id ${showValue(v)} names another tenant than the one loading the file (${ctx.tenantId})`);
    }
    if (problems.length === 0 && typeof values.site_id === "string") {
      const member = plan.kind === "scans"
        ? typeof values.station === "string" ? scanMembershipProblem(ctx.membership, values.site_id, values.station) : null
        : typeof values.device_id === "string" ? readingMembershipProblem(ctx.membership, values.site_id, values.device_id) : null;
      if (member) problems.push(member);
    }
    if (problems.length > 0) return quarantine(problems, raw, plan.kind === "scans" ? values.job_id : values.device_id);

    if (plan.kind === "scans") this.scan(values, out, quarantine);
    else this.reading(values, plan, keyOf(plan.part, row.n), offset, out, quarantine);
  }

  private readonly columnNames = new Map<string, boolean>();

  private isColumnName(name: string): boolean {
    let ok = this.columnNames.get(name);
    if (ok === undefined) this.columnNames.set(name, (ok = COLUMN_PATTERN.test(name)));
    return ok;
  }

  private reading(values: Record<string, unknown>, plan: PartPlan, key: string, offset: number, out: RowOutcome, quarantine: (reasons: readonly string[], raw: unknown, deviceId?: unknown, metric?: string | null) => void): void {
    const { ctx } = this;
    const sensorType = plan.contract === "per row" ? String(values.sensor_type ?? "").toUpperCase() : plan.contract;
    if (!sensorType) {
      return quarantine([`the file's columns (${plan.part.columns.join(", ")}) match no sensor contract (${SENSOR_TYPES.join(", ")})`], values, values.device_id);
    }
    const metrics: Record<string, unknown> = {};
    for (const k in values) if (!READING_ID_COLUMNS.has(k)) metrics[k] = cellValue(values[k]);
    const tsMs = typeof values.ts === "string" ? Date.parse(values.ts) : NaN;
    const seq = values.seq !== undefined ? cellValue(values.seq) : tsMs === tsMs ? tsMs : 0;
    const reading: Record<string, unknown> = { ts: values.ts, seq, metrics };
    if (values.message_id !== undefined) reading.message_id = values.message_id;
    // History of any age is accepted: a row is judged as if received at min(now, its own time).
    const receivedMs = tsMs === tsMs && tsMs < ctx.now.getTime() ? tsMs : ctx.now.getTime();
    const messageId = `${ctx.file}:${key}`;
    const siteId = values.site_id;
    const deviceId = values.device_id;
    if (typeof siteId === "string" && typeof deviceId === "string" && (SENSOR_TYPES as readonly string[]).includes(sensorType)) {
      const accepted = acceptReading(reading, sensorType as SensorType, receivedMs);
      if (accepted) {
        out.readings.push({
          tenantId: ctx.tenantId, siteId, deviceId, sensorType, ts: accepted, seq: seq as number, messageId,
          // parseMessage's payload for the message this row stands for (its envelope's seq is 0), as
          // the JSON text RAW stores: written here once instead of as an object serialised later.
          payload: PAYLOAD_HEAD + JSON.stringify(reading).slice(1),
          channel: ctx.channel, channelOffset: offset, source: this.source,
        });
        return;
      }
    }
    const message = { v: 1, tenant_id: ctx.tenantId, site_id: siteId, device_id: deviceId, sensor_type: sensorType, seq: 0, readings: [reading] };
    const parsed = parseMessage(messageText(message), { receivedAt: new Date(receivedMs), expectedTenant: ctx.tenantId });
    for (const r of parsed.rejected) quarantine([r.reason.replace(/readings\[0\]\./g, "")], values, r.deviceId ?? deviceId, r.metric ?? null);
    if (parsed.kind === "readings") {
      for (const r of parsed.accepted) out.readings.push({ ...r, channel: ctx.channel, channelOffset: offset, source: this.source, messageId });
    }
  }

  private scan(values: Record<string, unknown>, out: RowOutcome, quarantine: (reasons: readonly string[], raw: unknown, deviceId?: unknown) => void): void {
    const { ctx } = this;
    const { site_id: siteId, tenant_id: _tenant, ...scan } = values;
    const ts = typeof scan.scan_ts === "string" ? new Date(scan.scan_ts).getTime() : NaN;
    const receivedAt = ts === ts && ts < ctx.now.getTime() ? new Date(ts) : ctx.now;
    const parsed = parseMessage(messageText({ v: 1, tenant_id: ctx.tenantId, site_id: siteId, scans: [scan] }), { receivedAt, expectedTenant: ctx.tenantId });
    for (const r of parsed.rejected) quarantine([r.reason.replace(/scans\[0\]\./g, "")], values, r.deviceId ?? scan.job_id);
    if (parsed.kind === "scans") for (const s of parsed.accepted) out.scans.push({ ...s, source: this.source });
  }
}
