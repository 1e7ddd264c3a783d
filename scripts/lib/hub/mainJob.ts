/**
 * The main job (`npm start`): the whole hub on the embedded default, in the order production runs
 * it. Tenant stacks → local twin; broker + provisioned devices; the fleet simulator publishing
 * through the gateway; the streaming ingest committing into RAW; the task DAG and dynamic tables
 * on the simulated clock; then retraining and scoring, the bill, the archive export, a per-tenant
 * summary and the HTML operator report.
 *
 * Time is compressed: each step generates `stepMinutes` of fleet output, waits until the ingest has
 * committed all of it, then moves the simulated clock to the step's end and ticks the engine — while
 * the next step is already being published. The task DAG therefore runs once per step (the deployed
 * schedule is 1 minute: `--step 1` runs it so, slower); the billing twin bills what actually ran.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { EmbeddedEngine } from "../../../pipelines/engine/embeddedEngine.ts";
import { SimulatedClock, type Clock } from "../../../pipelines/engine/clock.ts";
import { CONTROL_SCHEMA } from "../../../pipelines/engine/controlTables.ts";
import type { NotificationSink } from "../../../pipelines/engine/monitorControl.ts";
import { ensureWritableHome, hubDatabasePath } from "../../../pipelines/hubHome.ts";
import { UserError } from "../command.ts";
import { setUpTenantTwin, tenantStackNames, type TenantTwin } from "./tenantTwin.ts";
import { LiveEdge, edgeLifetime, type EdgeCounts, type EdgeLifetime } from "./liveEdge.ts";
import { buildFleet, type HubFleet } from "./hubFleet.ts";
import { noteRunCounts, type NoteRunCounts } from "./noteSummary.ts";
import { runSummaries, type TenantRunSummary } from "./runSummary.ts";
import { writeOperatorReport } from "./operatorReport.ts";
import { retrainAndScore } from "./modelStage.ts";
import { loadHistory, type HistoryLoad } from "./history.ts";
import { LocalArchiveStore } from "../../../pipelines/archive/archiveStore.ts";
import { deliverAtEnd, type AlertDeliverySummary } from "./alertDelivery.ts";
import { exportTenant, quiescentAsOf } from "../../../pipelines/archive/exportArchive.ts";
import { ANALYSE_NOTE_FUNCTION, noteAnalysisResolver } from "../../../ml/notes/noteResolver.ts";
import { createOfflineNoteBackend } from "../../../ml/notes/offlineBackend.ts";
import type { Layer } from "../../../pipelines/archive/archivedTables.ts";

export const DEFAULT_START = "2026-01-05T00:00:00Z";
/** How long the end of `npm start` waits for alert deliveries that are being retried. */
export const ALERT_DRAIN_MS = 20_000;

export { DEFAULT_STEP_MINUTES, MAX_STEP_MINUTES } from "./startLimits.ts";
import { DEFAULT_STEP_MINUTES } from "./startLimits.ts";

export interface MainJobOptions {
  readonly home: string;
  /** Folder with Pulumi.yaml and the tenant stacks. */
  readonly projectDir: string;
  /** Tenant stacks to run; default every tenant stack. */
  readonly tenants?: readonly string[];
  readonly hours: number;
  readonly seed: number;
  /** Simulated minutes per step (see the module comment); npm start's default is DEFAULT_STEP_MINUTES. */
  readonly stepMinutes: number;
  /** Broker port; 0 picks a free one. */
  readonly port: number;
  readonly fresh: boolean;
  /**
   * Days of history to simulate and load through the batch file load before the live hours
   * (history.ts); 0 or absent: none. npm start's default is DEFAULT_HISTORY_DAYS.
   */
  readonly historyDays?: number;
  readonly notifications?: NotificationSink;
  /** Progress while the fleet runs. */
  readonly onProgress?: (p: RunProgress) => void;
  /** Stage messages ("retraining models", ...). */
  readonly onStage?: (stage: string) => void;
  /** Aborting stops after the current step; what ran is kept and summarised. */
  readonly signal?: AbortSignal;
}

export interface RunProgress {
  readonly done: number;
  readonly simulatedAt: Date;
  readonly published: number;
  readonly committed: number;
  readonly wallSeconds: number;
}

export interface RunTotals {
  readonly from: Date;
  readonly until: Date;
  readonly simulatedHours: number;
  readonly fleetWallSeconds: number;
  readonly stopped: boolean;
  readonly published: number;
  readonly edge: EdgeCounts;
  /** The edge's count invariant over every run of this hub, after this one. */
  readonly lifetime: EdgeLifetime;
  /** Where the fleet phase's wall time went: generating, publish→committed, then waiting on the engine's tick (the two overlap). */
  readonly wallSplitSeconds: { readonly simulate: number; readonly edge: number; readonly pipeline: number };
}

/** What `--fresh` removes: everything the main job keeps under HUB_HOME, and nothing else. */
const OWNED = ["hub.duckdb", "hub.duckdb.wal", "gateway", "devices.json", "archive", "models", "report.html", "labels.jsonl", "note-truth.jsonl", "history", "hub.duckdb.files.tmp"];

export function wipeHome(home: string): void {
  for (const f of OWNED) rmSync(join(home, f), { recursive: true, force: true });
}

export interface OpenedHub<C extends Clock = SimulatedClock> {
  readonly engine: EmbeddedEngine;
  readonly clock: C;
  readonly tenants: readonly TenantTwin[];
}

/** Step 1: open (or create) the hub in HUB_HOME and set up each tenant from its stack file. */
export async function openHub(o: Pick<MainJobOptions, "home" | "projectDir" | "tenants" | "fresh" | "notifications">): Promise<OpenedHub>;
/** The same on another clock (`serve`: the wall clock). */
export async function openHub<C extends Clock>(o: Pick<MainJobOptions, "home" | "projectDir" | "tenants" | "fresh" | "notifications">, clock: C): Promise<OpenedHub<C>>;
export async function openHub(o: Pick<MainJobOptions, "home" | "projectDir" | "tenants" | "fresh" | "notifications">, wallClock?: Clock): Promise<OpenedHub<Clock>> {
  const known = tenantStackNames(o.projectDir);
  const wanted = o.tenants ?? known;
  const unknown = wanted.filter((t) => !known.includes(t));
  if (unknown.length) throw new UserError(`--tenants: no stack file for ${unknown.join(", ")} (tenant stacks: ${known.join(", ")})`);
  if (wanted.length === 0) throw new UserError(`no tenant stacks (Pulumi.<tenant>.yaml) in ${o.projectDir}`);
  ensureWritableHome(o.home);
  if (o.fresh) wipeHome(o.home);
  const clock = wallClock ?? new SimulatedClock(DEFAULT_START);
  let engine: EmbeddedEngine;
  try {
    engine = await EmbeddedEngine.open({ path: hubDatabasePath(o.home), clock, notifications: o.notifications ?? "none" });
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  // Operator notes are analysed by the shipped offline model on the twin (docs/notes.md).
  engine.resolveExternalFunction(ANALYSE_NOTE_FUNCTION, noteAnalysisResolver(() => createOfflineNoteBackend()));
  try {
    // A second run continues where the last one ended.
    if (clock instanceof SimulatedClock) {
      const [last] = await engine.control<{ t: Date | null }>(`SELECT MAX(last_scheduled_at) AS t FROM ${CONTROL_SCHEMA}.TASKS`);
      if (last?.t && last.t > clock.now()) clock.set(last.t);
    }
    const tenants: TenantTwin[] = [];
    for (const t of wanted) tenants.push(await setUpTenantTwin(engine, o.projectDir, t));
    return { engine, clock, tenants };
  } catch (e) {
    await engine.close();
    throw e;
  }
}

/** Steps 2–4: broker, devices, fleet, ingest, DAG. Returns the run's totals. */
export async function runFleet(hub: OpenedHub, o: MainJobOptions): Promise<RunTotals & { fleet: HubFleet }> {
  const { engine, clock } = hub;
  const from = clock.now();
  const until = new Date(from.getTime() + o.hours * 3_600_000);
  const fleet = buildFleet(hub.tenants, o.seed, from, o.home);
  o.onStage?.(`starting the broker and provisioning ${fleet.devices.length} devices`);
  // The ingest stamps what it commits with the simulated arrival time of the step being published,
  // which runs ahead of the engine's clock while the engine works on the step before.
  let arrival = from;
  const edge = await LiveEdge.start({ home: o.home, engine, devices: fleet.devices, port: o.port, now: () => arrival });
  const t0 = performance.now();
  let published = 0;
  let stopped = false;
  let counts: EdgeCounts;
  const split = { simulate: 0, edge: 0, pipeline: 0 };
  // Two stages in flight: while the engine ticks on step k-1 (DuckDB's threads), step k is
  // published, routed and committed (the event loop), so the two cores work at once.
  let ticking: Promise<unknown> = Promise.resolve();
  // Releases the tick in flight's refreshes once the edge has published the next step (see tick's
  // refreshBesideTasks: they run on a second connection, on the core the edge leaves free).
  let edgeDone: () => void = () => undefined;
  let stepEnd = from;
  // One DuckDB thread while the ingest has the event loop: the two cores are one each (see limitThreads).
  await engine.limitThreads(1);
  try {
    o.onStage?.(`running ${o.hours} simulated hours from ${from.toISOString().slice(0, 16)}Z`);
    while (stepEnd < until) {
      if (o.signal?.aborted) {
        stopped = true;
        break;
      }
      const next = new Date(Math.min(until.getTime(), stepEnd.getTime() + o.stepMinutes * 60_000));
      let t = performance.now();
      const { readings, scans, notes } = fleet.window(next);
      split.simulate += performance.now() - t;
      arrival = next;
      t = performance.now();
      // Notes come through the shift-log tool (POST /v1/notes on serve), not MQTT: landed directly.
      if (notes.length) await engine.land({ notes });
      await edge.publish(readings, scans);
      published += readings.length + scans.length;
      await edge.settled();
      // The edge is done with this step: the tick in flight may refresh its tables on the free core.
      edgeDone();
      split.edge += performance.now() - t;
      t = performance.now();
      await ticking;
      split.pipeline += performance.now() - t;
      // The clock moves only between ticks; then the engine takes this step while the next is published.
      clock.set(next);
      stepEnd = next;
      let release!: () => void;
      const edgeFree = new Promise<void>((resolve) => (release = resolve));
      edgeDone = release;
      let underway!: () => void;
      const taskUnderway = new Promise<void>((resolve) => (underway = resolve));
      ticking = engine.tick({ refreshBesideTasks: true, refreshWhen: edgeFree, onTaskUnderway: underway });
      const c = edge.counts().ingest;
      o.onProgress?.({
        done: (next.getTime() - from.getTime()) / (until.getTime() - from.getTime()), simulatedAt: next, published,
        committed: c.readings + c.scans + c.quarantined, wallSeconds: (performance.now() - t0) / 1000,
      });
      // The tick opens with a few short statements, each needing the event loop when it completes;
      // simulating and grouping the next step holds the loop ~50-200 ms, which delayed them all.
      // Let the tick get its first task's body running (DuckDB's work, off the loop) first.
      const w = performance.now();
      await Promise.race([taskUnderway, ticking.then(() => undefined, () => undefined)]);
      split.pipeline += performance.now() - w;
    }
  } finally {
    // Whatever was published is committed before the broker closes (Ctrl-C included).
    await edge.settled().catch(() => undefined);
    edgeDone();
    const t = performance.now();
    await ticking.catch(() => undefined);
    split.pipeline += performance.now() - t;
    counts = edge.counts();
    // Every core again before the edge closes: closing checkpoints the day's bronze, which DuckDB
    // spreads over its threads, and nothing else runs now.
    await engine.limitThreads(null);
    await edge.close();
  }
  // With the gateway stopped its queues' files are final: the lifetime count reads them.
  const lifetime = await edgeLifetime(o.home, engine);
  const fleetWallSeconds = (performance.now() - t0) / 1000;
  // Let the last dynamic-table lags run out so the summary sees every landed reading.
  await engine.runUntil(new Date(clock.now().getTime() + 5 * 60_000), o.stepMinutes * 60_000);
  return {
    from, until: clock.now(), simulatedHours: (clock.now().getTime() - from.getTime()) / 3_600_000, fleetWallSeconds, stopped, published,
    edge: counts, lifetime, fleet, wallSplitSeconds: { simulate: split.simulate / 1000, edge: split.edge / 1000, pipeline: split.pipeline / 1000 },
  };
}

export interface MainJobReport {
  readonly simulatedFrom: Date;
  readonly simulatedUntil: Date;
  readonly simulatedHours: number;
  readonly wallSeconds: number;
  /** Simulated hours per wall-clock second, for the fleet phase and for the whole run. */
  readonly speed: { readonly fleet: number; readonly whole: number };
  /**
   * Where the wall time went. `models`: retraining and scoring, with the bronze and silver export
   * running beside them (until both are done); `archive`: the gold export after them.
   */
  readonly wallSplitSeconds: RunTotals["wallSplitSeconds"] & { readonly history: number; readonly models: number; readonly archive: number; readonly report: number };
  readonly stopped: boolean;
  /**
   * This run's count at the edge: published = committed + quarantined at ingest + dropped by the
   * gateway, when no earlier run left messages queued (`carriedOver`, sent in this run too).
   */
  readonly edge: {
    readonly published: number;
    readonly committedReadings: number;
    readonly committedScans: number;
    readonly quarantinedAtIngest: number;
    readonly redeliveriesDropped: number;
    readonly droppedByGateway: number;
    readonly carriedOver: number;
  };
  /**
   * The count invariant over every run of this hub, SIGKILLed ones included: published =
   * committed + quarantined at ingest + dropped by the gateway + still queued at the gateway.
   */
  readonly lifetime: EdgeLifetime;
  /** The history loaded before the live hours, per tenant (empty with --history-days 0). */
  readonly history: readonly HistoryLoad[];
  readonly tenants: readonly TenantRunSummary[];
  readonly archive: ReadonlyArray<{ readonly tenant: string; readonly files: number; readonly rows: number; readonly bytes: number }>;
  readonly reportPath: string;
  readonly labelsPath: string;
  /** Alerts delivered to the tenants' channels at the end of the run; null: no channel configured. */
  readonly alertDelivery: AlertDeliverySummary | null;
  /** Operator notes written this run, per tenant, and what became of them (noteSummary.ts). */
  readonly notes: readonly NoteRunCounts[];
}

/** The whole main job: open, run the fleet, retrain and score, archive, summarise, write the report. */
export async function runMainJob(o: MainJobOptions): Promise<MainJobReport> {
  const t0 = performance.now();
  const hub = await openHub(o);
  const { engine } = hub;
  try {
    let t = performance.now();
    const history = o.historyDays ? await loadHistoryStage(hub, o) : [];
    const historySeconds = (performance.now() - t) / 1000;
    const run = await runFleet(hub, o);
    const labelsFile = run.fleet.writeLabels();
    const labels = run.fleet.labels();

    // Bronze and silver are final once the fleet has stopped (retraining reads gold and writes ML),
    // so they go to the archive while the models train: the export is DuckDB's threads, training
    // the event loop. Gold waits for the alerts the scores raise.
    t = performance.now();
    o.onStage?.("exporting bronze and silver to the local archive, beside retraining");
    const rawLayers = archiveRun(hub, o.home, ["bronze", "silver"]);
    rawLayers.catch(() => undefined);
    let ml: Awaited<ReturnType<typeof retrainAndScore>>;
    try {
      ml = await retrainAndScore(hub, o, labels, run.from);
    } finally {
      // Never leave the export running into the engine's close.
      await rawLayers.catch(() => undefined);
    }
    const modelsSeconds = (performance.now() - t) / 1000;

    t = performance.now();
    o.onStage?.("exporting gold to the local archive");
    const archive = mergeArchiveCounts(await rawLayers, await archiveRun(hub, o.home, ["gold"]));
    const archiveSeconds = (performance.now() - t) / 1000;

    t = performance.now();
    const { tenants, cost } = await runSummaries(engine, hub.tenants, { from: run.from, to: run.until }, ml);
    const notes = await noteRunCounts(engine, hub.tenants.map((x) => x.tenantId), run.from);
    const reportPath = join(o.home, "report.html");
    await writeOperatorReport(reportPath, {
      engine, summaries: tenants, cost, labels, period: { from: run.from, to: run.until },
      tenantWarehouses: new Map(hub.tenants.map((x) => [x.tenantId, x.warehouses.map((w) => w.name)])),
    });
    const reportSeconds = (performance.now() - t) / 1000;
    // The run's alerts to the tenants' channels (docs/alerts.md); retries falling due within
    // ALERT_DRAIN_MS are waited for, later ones stay pending for the next run or serve.
    o.onStage?.("delivering alerts to the tenants' channels");
    const alertDelivery = await deliverAtEnd({
      engine, tenants: hub.tenants, home: o.home, maxWaitMs: ALERT_DRAIN_MS,
      log: (level, msg, fields) => o.onStage?.(`${level === "info" ? "" : `${level}: `}${msg}${fields ? ` ${JSON.stringify(fields)}` : ""}`),
    });
    const wallSeconds = (performance.now() - t0) / 1000;
    const e = run.edge;
    return {
      simulatedFrom: run.from, simulatedUntil: run.until, simulatedHours: run.simulatedHours, wallSeconds,
      speed: { fleet: run.simulatedHours / run.fleetWallSeconds, whole: run.simulatedHours / wallSeconds },
      wallSplitSeconds: { history: historySeconds, ...run.wallSplitSeconds, models: modelsSeconds, archive: archiveSeconds, report: reportSeconds },
      stopped: run.stopped,
      edge: {
        published: run.published, committedReadings: e.ingest.readings, committedScans: e.ingest.scans, quarantinedAtIngest: e.ingest.quarantined,
        redeliveriesDropped: e.ingest.duplicates, droppedByGateway: e.gateway.droppedReadings + e.gateway.rejectedReadings, carriedOver: e.carriedOver,
      },
      lifetime: run.lifetime,
      history, tenants, archive, reportPath, labelsPath: labelsFile, alertDelivery, notes,
    };
  } finally {
    await engine.close();
  }
}

/** Step 1b: the tenants' history through the batch file load (history.ts). */
async function loadHistoryStage(hub: OpenedHub, o: MainJobOptions): Promise<HistoryLoad[]> {
  o.onStage?.(`loading ${o.historyDays} days of history through the batch file load (HUB_HOME/history)`);
  const loads = await loadHistory(hub, { home: o.home, seed: o.seed, days: o.historyDays!, onStage: o.onStage });
  for (const h of loads) {
    o.onStage?.(
      `  ${h.tenantId}: ${h.files} files, ${h.loadedFiles} loaded now (${h.rows.toLocaleString("en")} rows: ${h.loaded.toLocaleString("en")} to RAW, ` +
        `${h.quarantined.toLocaleString("en")} quarantined), ${h.alreadyLoaded} already loaded${h.refused.length ? `, ${h.refused.length} refused` : ""}`,
    );
  }
  return loads;
}

/** Step 7: the given layers of every tenant to HUB_HOME/archive, incrementally (a second run adds only what is new). */
async function archiveRun(hub: OpenedHub, home: string, layers: readonly Layer[]): Promise<MainJobReport["archive"]> {
  const session = await hub.engine.admin();
  try {
    const store = new LocalArchiveStore(join(home, "archive"));
    const asOf = await quiescentAsOf(session);
    const out: Array<MainJobReport["archive"][number]> = [];
    for (const t of hub.tenants) {
      const runs = await exportTenant({ session, files: await hub.engine.files(), store, tenant: t.tenantId, layers, asOf });
      out.push({ tenant: t.tenantId, files: sum(runs, "files"), rows: sum(runs, "rows"), bytes: sum(runs, "bytes") });
    }
    return out;
  } finally {
    await session.close();
  }
}

/** Per tenant, the files, rows and bytes of two exports added up. */
function mergeArchiveCounts(a: MainJobReport["archive"], b: MainJobReport["archive"]): MainJobReport["archive"] {
  return a.map((x) => {
    const y = b.find((z) => z.tenant === x.tenant);
    return y ? { tenant: x.tenant, files: x.files + y.files, rows: x.rows + y.rows, bytes: x.bytes + y.bytes } : x;
  });
}

function sum<T, K extends keyof T>(xs: readonly T[], k: K): number {
  return xs.reduce((s, x) => s + Number(x[k]), 0);
}
