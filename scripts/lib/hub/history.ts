/**
 * Step 1b of the main job (issue 24, part 3): the tenants' history, so that the first run has
 * weeks of hourly points to train, gate and register every model on, not one day.
 *
 * The history is what a plant would bring as legacy uploads (seed 004: weekly files): the fleet
 * simulator's hourly aggregates (edge/fleetHistory.ts) written to HUB_HOME/history/<tenant>/ and
 * loaded through the batch file load (pipelines/ingest/fileLoad.ts, as `scripts/load.ts` loads):
 * every row checked against the tenant's fleet and the sensor contract, bad rows to RAW.QUARANTINE,
 * each file's content exactly once per tenant.
 *
 * It ends where the hub's live data begins: at the earliest reading that did not come from a file,
 * or, on a hub without any, at the clock (the first run's start). So a second run finds its files
 * already there and already loaded (nothing is simulated or landed twice), and a larger
 * `--history-days` later adds only the older weeks.
 *
 * Each chunk (at most a week) is loaded as uploaded at its end: the load's `now`, which stamps
 * `ingested_at`, is the chunk's end. The warehouse's validation refuses a reading more than 7 days
 * older than its `ingested_at` (TIMESTAMP_LIMITS.maxAgeSeconds); a weekly upload stays inside it,
 * as seed 004's weekly uploads did. Its rows are late by the same rule, so they carry the late
 * penalty in their quality score, and the aggregates' `period_s` lies outside the soft range of a
 * live reading's: both are true of the data and both are kept.
 */
import { join } from "node:path";
import { dirname } from "node:path";
import { deviceRegistryPath } from "../../../edge/deviceRegistry.ts";
import { registeredDevices, tenantMembership } from "../../../edge/fleetMembership.ts";
import { readStackFleet } from "../../../edge/fleetStackFile.ts";
import type { TenantFleetSpec } from "../../../edge/fleetSpec.ts";
import { historyFiles, writeHistory, type HistoryChunk } from "../../../edge/fleetHistory.ts";
import { FileIo } from "../../../pipelines/engine/fileIo.ts";
import { ChannelLanding } from "../../../pipelines/ingest/channelLanding.ts";
import { FileRefusal, loadFile } from "../../../pipelines/ingest/fileLoad.ts";
import { hubDatabasePath } from "../../../pipelines/hubHome.ts";
import { INGEST_SOURCE } from "../../../pipelines/ingest/streamingIngest.ts";
import { UserError } from "../command.ts";
import type { OpenedHub } from "./mainJob.ts";

export { DEFAULT_HISTORY_DAYS, MAX_HISTORY_DAYS } from "./startLimits.ts";

export interface HistoryLoad {
  readonly tenantId: string;
  /** Where the history ends (exclusive): the hub's first live reading, or the first run's start. */
  readonly until: Date;
  /** Chunks simulated and written by this run (0 when the files were there already). */
  readonly chunksWritten: number;
  /** Files seen, loaded by this run, and already loaded by an earlier one (nothing read again). */
  readonly files: number;
  readonly loadedFiles: number;
  readonly alreadyLoaded: number;
  /** Rows of the files this run loaded: rows = loaded + quarantined. */
  readonly rows: number;
  readonly loaded: number;
  readonly quarantined: number;
  readonly refused: readonly string[];
}

export function historyDir(home: string, tenantId: string): string {
  return join(home, "history", tenantId);
}

/** Where a tenant's history ends: its earliest live (streamed) reading, else the clock. */
async function historyEnd(hub: OpenedHub, tenantId: string): Promise<Date> {
  const [row] = await hub.engine.control<{ t: Date | null }>(
    `SELECT MIN(ts) AS t FROM RAW.SENSOR_READINGS WHERE tenant_id = '${tenantId.replaceAll("'", "''")}' AND source = '${INGEST_SOURCE}'`,
  );
  const now = hub.clock.now();
  const first = row?.t ?? null;
  const end = first && first < now ? first : now;
  // Whole hours: the chunks are hourly aggregates.
  return new Date(Math.floor(end.getTime() / 3_600_000) * 3_600_000);
}

/**
 * The fleet as its history is simulated: the stack file's fleet at the floor's usual fault rates
 * (edge/faultInjection.ts DEFAULT_FAULT_RATES), not the rates a stack raises for the demo so that
 * one live day shows faults (Pulumi.acme.yaml's fleet:faults, ~5× the usual). The models learn what
 * is normal from the history: at the demo's rates four weeks hold ~9 breakdowns per machine and ~14
 * dust events per air sensor, a fault on a third to half of the days, and a detector that learns its
 * interval and its record from such weeks takes the faults for the series' norm (on acme's default
 * day it found 1 of the 9 faults in its series). Faults are rare on a real floor, which is what the
 * detector assumes and what the bench measures it on.
 */
export function historyFleet(spec: TenantFleetSpec): TenantFleetSpec {
  const { faults: _demoRates, ...usual } = spec;
  return usual;
}

/**
 * Write the missing history of each tenant (`days` days before where its live data begins) and load
 * every history file through the batch file load. Returns per tenant what was written and loaded.
 */
export async function loadHistory(
  hub: OpenedHub,
  o: { readonly home: string; readonly seed: number; readonly days: number; readonly onStage?: (s: string) => void },
): Promise<HistoryLoad[]> {
  if (o.days <= 0) return [];
  const out: HistoryLoad[] = [];
  const plans: Array<{ tenantId: string; until: Date; written: HistoryChunk[] }> = [];
  for (const t of hub.tenants) {
    const spec = readStackFleet(dirname(t.stackFile), stackOf(t.stackFile));
    if (!spec) throw new UserError(`${t.stackFile} has no fleet:sites: the history is simulated from the tenant's fleet (see edge/fleetSpec.ts)`);
    const until = await historyEnd(hub, t.tenantId);
    const t0 = performance.now();
    const written = writeHistory(historyFleet(spec), o.seed, until, o.days, historyDir(o.home, t.tenantId));
    if (written.length) {
      o.onStage?.(`  ${t.tenantId}: simulated ${written.length} week(s) of history before ${until.toISOString().slice(0, 16)}Z in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    plans.push({ tenantId: t.tenantId, until, written });
  }
  const landing = await ChannelLanding.onEngine(hub.engine);
  const files = await FileIo.open({ tempDirectory: `${hubDatabasePath(o.home)}.files.tmp` });
  try {
    const devices = registeredDevices([deviceRegistryPath(o.home)]);
    for (const p of plans) {
      const membership = tenantMembership(dirname(hub.tenants.find((t) => t.tenantId === p.tenantId)!.stackFile), p.tenantId, devices);
      const counts = { files: 0, loadedFiles: 0, alreadyLoaded: 0, rows: 0, loaded: 0, quarantined: 0 };
      const refused: string[] = [];
      for (const f of historyFiles(historyDir(o.home, p.tenantId), p.tenantId)) {
        counts.files++;
        try {
          // Uploaded at the chunk's end (see the module comment): the load's clock is the chunk's end.
          const r = await loadFile(landing, p.tenantId, f.path, { files, membership, now: f.chunk.to });
          if (r.alreadyLoaded) counts.alreadyLoaded++;
          else counts.loadedFiles++;
          counts.rows += r.rows;
          counts.loaded += r.loaded;
          counts.quarantined += r.quarantined;
        } catch (e) {
          if (!(e instanceof FileRefusal)) throw e;
          refused.push(e.message);
        }
      }
      out.push({ tenantId: p.tenantId, until: p.until, chunksWritten: p.written.length, ...counts, refused });
    }
  } finally {
    files.close();
    await landing.close();
  }
  return out;
}

function stackOf(stackFile: string): string {
  return /Pulumi\.([^./]+)\.yaml$/.exec(stackFile)![1]!;
}
