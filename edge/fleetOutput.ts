/**
 * Simulator output on disk, one folder per tenant: a file per sensor type (JSON lines or CSV),
 * the job scans, the fault labels, and the operators' notes with their ground truth. Rows are flat — ts, site_id, device_id, seq, then the
 * metrics — which is exactly the legacy upload shape `scripts/load.ts` reads, so a simulated day
 * can be loaded as files too. Writes are synchronous and batched per window: the simulator, not
 * the disk, sets the pace.
 */
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { RawReading, RawScan } from "../pipelines/ingest/rawRecords.ts";
import { labelsText, type FaultLabel } from "./faultInjection.ts";
import { noteTruthText, notesFileText, type SimulatedNotes } from "./fleetNotes.ts";

export type OutputFormat = "jsonl" | "csv";

/** Metric columns per sensor type, in the order the simulator reports them. */
export const METRIC_COLUMNS = {
  MACHINE: ["state", "period_s", "cycles", "good_parts", "ideal_cycle_s", "cycle_count", "spindle_load_pct", "spindle_speed_rpm", "temperature_c"],
  ENERGY: ["period_s", "voltage_v", "current_a", "power_factor", "power_kw", "kwh", "energy_kwh_total"],
  AIR_QUALITY: ["period_s", "co2_ppm", "voc_ppb", "pm1_ugm3", "pm25_ugm3", "pm4_ugm3", "pm10_ugm3", "temperature_c", "humidity_pct", "pressure_hpa"],
} as const;
type SensorKind = keyof typeof METRIC_COLUMNS;
const KINDS = Object.keys(METRIC_COLUMNS) as SensorKind[];
const ID_COLUMNS = ["ts", "site_id", "device_id", "seq"];

export class FleetFiles {
  private readonly fds = new Map<string, number>();
  readonly counts = new Map<string, number>();

  constructor(
    private readonly dir: string,
    private readonly format: OutputFormat,
  ) {}

  private file(tenantId: string, name: string, header?: string): number {
    const key = `${tenantId}/${name}`;
    let fd = this.fds.get(key);
    if (fd === undefined) {
      mkdirSync(join(this.dir, tenantId), { recursive: true });
      fd = openSync(join(this.dir, tenantId, name), "w");
      if (header) writeSync(fd, header);
      this.fds.set(key, fd);
    }
    return fd;
  }

  /** The path of a tenant's file for a sensor type. */
  static readingsFile(kind: string, format: OutputFormat): string {
    return `${kind.toLowerCase()}.${format}`;
  }

  writeReadings(readings: readonly RawReading[]): void {
    const chunks = new Map<string, string[]>();
    for (const r of readings) {
      const kind = r.sensorType as SensorKind;
      const cols = METRIC_COLUMNS[kind];
      const m = (r.payload as { metrics: Record<string, unknown> }).metrics;
      const key = `${r.tenantId}\u0000${kind}`;
      let lines = chunks.get(key);
      if (!lines) chunks.set(key, (lines = []));
      const ts = r.ts.toISOString();
      if (this.format === "csv") {
        let line = `${ts},${r.siteId},${r.deviceId},${r.seq}`;
        for (const c of cols) line += `,${m[c] ?? ""}`;
        lines.push(line);
      } else {
        // Built by hand, not JSON.stringify: ids match [a-z0-9_-] and a metric is a number or a state
        // name, so nothing needs escaping, and this is several times faster.
        let line = `{"ts":"${ts}","site_id":"${r.siteId}","device_id":"${r.deviceId}","seq":${r.seq}`;
        for (const c of cols) {
          const v = m[c];
          if (v !== undefined) line += typeof v === "string" ? `,"${c}":${JSON.stringify(v)}` : `,"${c}":${v}`;
        }
        lines.push(`${line}}`);
      }
    }
    for (const [key, lines] of chunks) {
      const [tenantId, kind] = key.split("\u0000") as [string, SensorKind];
      const header = this.format === "csv" ? `${[...ID_COLUMNS, ...METRIC_COLUMNS[kind]].join(",")}\n` : undefined;
      writeSync(this.file(tenantId, FleetFiles.readingsFile(kind, this.format), header), `${lines.join("\n")}\n`);
      this.counts.set(key, (this.counts.get(key) ?? 0) + lines.length);
    }
  }

  writeScans(scans: readonly RawScan[]): void {
    const byTenant = new Map<string, string[]>();
    for (const s of scans) {
      const line = JSON.stringify({ scan_ts: s.scanTs.toISOString(), site_id: s.siteId, job_id: s.jobId, product_id: s.productId, product_variant: s.productVariant, station: s.station, operator_id: s.operatorId });
      (byTenant.get(s.tenantId) ?? byTenant.set(s.tenantId, []).get(s.tenantId)!).push(line);
    }
    for (const [tenantId, lines] of byTenant) writeSync(this.file(tenantId, "scans.jsonl"), `${lines.join("\n")}\n`);
  }

  /** Each tenant's labels file (written whole at the end, when the windows are known). */
  writeLabels(tenantIds: readonly string[], labels: readonly FaultLabel[]): void {
    for (const t of tenantIds) writeSync(this.file(t, "labels.jsonl"), labelsText(labels.filter((l) => l.tenantId === t)));
  }

  /**
   * Each tenant's notes (notes.jsonl, loadable by scripts/load.ts) and their ground truth
   * (note-truth.jsonl, which it refuses); none for a tenant without notes in the run, since an
   * empty file is refused too.
   */
  writeNotes(tenantIds: readonly string[], written: SimulatedNotes): void {
    for (const t of tenantIds) {
      const notes = written.notes.filter((n) => n.tenantId === t);
      if (notes.length === 0) continue;
      writeSync(this.file(t, "notes.jsonl"), notesFileText(notes));
      writeSync(this.file(t, "note-truth.jsonl"), noteTruthText(written.truth.filter((n) => n.tenantId === t)));
    }
  }

  /** Readings written per tenant and sensor type. */
  readingCount(tenantId: string, kind: string): number {
    return this.counts.get(`${tenantId}\u0000${kind}`) ?? 0;
  }

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }

  static get kinds(): readonly string[] {
    return KINDS;
  }
}
