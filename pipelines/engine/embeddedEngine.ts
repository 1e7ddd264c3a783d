/**
 * The embedded Snowflake twin: a DuckDB file (or memory) holding every object from the
 * definitions, plus a control plane on a simulated clock that runs the task DAG, refreshes the
 * dynamic tables when their target lag is due, moves warehouses between suspended and started,
 * and hands out sessions that enforce the row access and masking policies for their role.
 */
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { ALL_OBJECTS, DYNAMIC_TABLES, EXTERNAL_FUNCTIONS, TASKS, objectName } from "../definitions/catalog.ts";
import { PORTAL_ROLE, REPORTING_ROLE, TENANT_GRANTS, TENANT_READABLE, TENANT_SCHEMAS, accountUsageReadableBy, hubReach } from "../definitions/grants.ts";
import { ADMIN_ROLE, ALL_TENANT_ROLES, PIPELINE_ROLE, TENANT_MAP, tenantRoleName } from "../definitions/governance.ts";
import { SCHEMAS, qualifiedName, type DynamicTableDef, type ResourceMonitorDef, type TaskDef, type WarehouseDef } from "../definitions/types.ts";
import { duckdbStatements, secureCatalogStatements, targetLagSeconds } from "../render/duckdbDdl.ts";
import { CONTROL_SCHEMA, CONTROL_TABLES_DDL } from "./controlTables.ts";
import { SimulatedClock, sqlTimestamp, type Clock } from "./clock.ts";
import { HistoryBuffer, runInOneTransaction } from "./history.ts";
import { WarehouseControl } from "./warehouseControl.ts";
import { newRowsEnd, recordNoData, refreshDynamicTable, type RefreshResult } from "./dynamicTableRefresh.ts";
import { dueSlot, runTaskGraph, scheduleIntervalMs, whenConditions, type TaskRunResult } from "./taskRunner.ts";
import { recordQuery, type PipelineContext } from "./pipelineContext.ts";
import type { ExternalFunctionResolver } from "./externalCalls.ts";
import { appendNotes, type RawNote } from "../notes/noteRecords.ts";
import { DuckDbWarehouse } from "../warehouse/duckdbWarehouse.ts";
import { FileIo } from "./fileIo.ts";
import { fromDuckDbError } from "../warehouse/duckdbErrors.ts";
import { ROLE_ERRORS, SQL_ERRORS } from "../warehouse/errors.ts";
import type { QueryTag, Warehouse } from "../warehouse/warehouse.ts";
import { explainOpenError } from "../hubHome.ts";
import { MonitorControl, type NotificationSink } from "./monitorControl.ts";
import { accountUsageStatements } from "./accountUsage.ts";
import { checkPortalWrite, checkReportingWrite } from "../warehouse/portalWriteGuard.ts";
import { DUCKDB_VARIABLES } from "../dialect/index.ts";
import { appendQuarantine, appendReadings, appendScans } from "../ingest/rawAppender.ts";
import type { QuarantineRecord, RawReading, RawScan } from "../ingest/rawRecords.ts";

export const SECURE_CATALOG = "hub_secure";

/**
 * A DuckDB instance on the hub's database, without access to any other file: no file readers or
 * writers, no COPY, no ATTACH of a file, no extensions loaded from disk. DuckDB applies the setting
 * to the whole instance and refuses to turn it back on while it runs, so a tenant statement that
 * got past the tenant guard (tenantGuard.ts) still cannot read the archive, the device registry or
 * any other file the process can. Its own database file, write-ahead log and spill directory stay
 * usable. The hub's own file work runs on a separate instance (fileIo.ts).
 */
export async function openWarehouseInstance(path: string): Promise<DuckDBInstance> {
  return DuckDBInstance.create(path, { enable_external_access: "false" });
}

export interface EngineOptions {
  /** DuckDB file, or `:memory:` (the default) for tests. */
  readonly path?: string;
  readonly clock?: Clock;
  /** Where resource monitor notifications go (they are always recorded in HUB_LOCAL). */
  readonly notifications?: NotificationSink;
  /**
   * Simulate the documented latency of the SNOWFLAKE.ACCOUNT_USAGE views: sessions see a row only
   * once it is as old as its view's latency (QUERY_HISTORY 45 minutes, the meter 3 hours:
   * pipelines/definitions/accountUsageViews.ts). Default false: the twin's views are complete at once.
   */
  readonly simulateUsageLatency?: boolean;
}

export interface SessionOptions {
  readonly role: string;
  /** The schema unqualified names resolve in (`USE SCHEMA`); default none. */
  readonly schema?: string;
  /** Warehouse the session's queries run on; resumed on use and billed. */
  readonly warehouse?: string;
  readonly tag?: QueryTag;
  /** Override the engine's `simulateUsageLatency` for this session. */
  readonly usageLatency?: boolean;
}

export interface TickReport {
  readonly at: Date;
  readonly tasks: TaskRunResult[];
  readonly refreshes: RefreshResult[];
}

export class EmbeddedEngine {
  readonly clock: Clock;
  /** EngineOptions.simulateUsageLatency. */
  private simulateUsageLatency = false;
  /** The data catalog's name as a quoted SQL identifier. */
  readonly dataCatalog: string;
  private readonly instance: DuckDBInstance;
  private readonly conn: DuckDBConnection;
  private readonly history = new HistoryBuffer();
  readonly warehouses: WarehouseControl;
  private readonly ctx: PipelineContext;
  readonly monitors: MonitorControl;
  private queue: Promise<unknown> = Promise.resolve();
  private runSeq = 0;
  private readonly sessions = new Set<DuckDbWarehouse>();
  private closed = false;
  private ingestConn: Promise<DuckDBConnection> | null = null;
  private fileIo: Promise<FileIo> | null = null;
  private readonly path: string;
  private refreshConn: Promise<DuckDBConnection> | null = null;
  /**
   * Mirrors of HUB_LOCAL.TASKS and HUB_LOCAL.DYNAMIC_TABLES: only this object changes them, so a
   * tick decides what is due without a query per object (a DuckDB round trip costs ~1–2 ms, and
   * a day has 1,440 ticks).
   */
  private readonly taskStates = new Map<string, { state: string; lastScheduled: Date | null }>();
  private readonly dtStates = new Map<string, { sourceRowid: number; lastRefreshAt: Date | null }>();
  /** Control-plane writes that wait for the next settle, to commit with the history. */
  private pendingControl: string[] = [];
  /** External functions → their backends on the twin (resolveExternalFunction). */
  private readonly externalFunctions = new Map<string, ExternalFunctionResolver>();

  private constructor(path: string, instance: DuckDBInstance, conn: DuckDBConnection, dataCatalog: string, clock: Clock, sink?: NotificationSink) {
    this.path = path;
    this.instance = instance;
    this.conn = conn;
    this.dataCatalog = dataCatalog;
    this.clock = clock;
    this.warehouses = new WarehouseControl(clock, this.history);
    this.ctx = { conn, clock, warehouses: this.warehouses, history: this.history, externalFunctions: this.externalFunctions };
    this.monitors = new MonitorControl(clock, this.warehouses, sink);
  }

  /** Open (creating if needed) and deploy every definition; safe to call on an existing file. */
  static async open(opts: EngineOptions = {}): Promise<EmbeddedEngine> {
    const path = opts.path ?? ":memory:";
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    let instance: DuckDBInstance;
    try {
      instance = await openWarehouseInstance(path);
    } catch (e) {
      throw explainOpenError(path, e);
    }
    const conn = await instance.connect();
    // Quoted: the catalog is named after the file, which may hold a dash or a dot (`my-hub.duckdb`).
    const catalog = `"${String((await conn.runAndReadAll("SELECT current_database()")).getRows()[0]![0]).replaceAll('"', '""')}"`;
    const engine = new EmbeddedEngine(path, instance, conn, catalog, opts.clock ?? new SimulatedClock(), opts.notifications);
    engine.simulateUsageLatency = opts.simulateUsageLatency ?? false;
    // DuckDB checkpoints whenever its write-ahead log passes 16 MB, and each checkpoint re-compresses
    // the tables' newest row groups: with a task run appending ~100k silver rows at a time that
    // was a quarter of the pipeline's time. Checkpoints now come every 512 MB and on close; the
    // price is a longer log to replay after a crash.
    if (path !== ":memory:") await conn.run("SET checkpoint_threshold = '512MB'");
    await engine.deploy();
    return engine;
  }

  private async deploy(): Promise<void> {
    const c = this.conn;
    try {
      for (const sql of CONTROL_TABLES_DDL) await c.run(sql);
      for (const s of SCHEMAS) await c.run(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await this.replaceChangedDynamicTables();
      await c.run("BEGIN TRANSACTION");
      for (const o of ALL_OBJECTS) {
        for (const st of duckdbStatements(o)) if (st.kind !== "preview") await c.run(st.sql);
      }
      await c.run("COMMIT");
      // In memory: rebuilt from the grants on every open.
      await c.run(`ATTACH IF NOT EXISTS ':memory:' AS ${SECURE_CATALOG}`);
      for (const st of secureCatalogStatements(SECURE_CATALOG, this.dataCatalog, TENANT_GRANTS)) await c.run(st.sql);
      for (const sql of accountUsageStatements(this.dataCatalog)) await c.run(sql);
      await c.run(`SET VARIABLE hub_role = '${PIPELINE_ROLE}'`);
    } catch (e) {
      await c.run("ROLLBACK").catch(() => undefined);
      throw fromDuckDbError(e);
    }
    await this.warehouses.load(c);
    await this.monitors.load(c);
    await this.loadControlState();
  }

  private async loadControlState(): Promise<void> {
    this.taskStates.clear();
    for (const [name, state, last] of (await this.conn.runAndReadAll(`SELECT name, state, last_scheduled_at FROM ${CONTROL_SCHEMA}.TASKS`)).getRowsJS()) {
      this.taskStates.set(String(name), { state: String(state), lastScheduled: (last as Date | null) ?? null });
    }
    await this.reloadDynamicTableStates();
  }

  private async reloadDynamicTableStates(): Promise<void> {
    this.dtStates.clear();
    for (const [name, rowid, last] of (await this.conn.runAndReadAll(`SELECT name, source_rowid, last_refresh_at FROM ${CONTROL_SCHEMA}.DYNAMIC_TABLES`)).getRowsJS()) {
      this.dtStates.set(String(name), { sourceRowid: Number(rowid), lastRefreshAt: (last as Date | null) ?? null });
    }
  }

  /**
   * A dynamic table whose definition changed columns is dropped, to be created and refreshed in
   * full again, as CREATE OR REPLACE DYNAMIC TABLE does: it holds only derived data.
   */
  private async replaceChangedDynamicTables(): Promise<void> {
    for (const t of DYNAMIC_TABLES) {
      const r = await this.conn.runAndReadAll(
        `SELECT column_name FROM information_schema.columns WHERE table_catalog = current_database() AND table_schema = '${t.schema}' ` +
          `AND table_name = '${t.name}' ORDER BY ordinal_position`,
      );
      const have = r.getRowsJS().map((x) => String(x[0]));
      if (have.length === 0 || have.join(",") === t.columns.map((c) => c.name).join(",")) continue;
      await this.conn.run(`DROP TABLE ${qualifiedName(t)}`);
      await this.conn.run(`DELETE FROM ${CONTROL_SCHEMA}.DYNAMIC_TABLES WHERE name = '${qualifiedName(t)}'`);
    }
  }

  /** Serialise pipeline work on the engine's connection. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** A session for a role. Tenant roles see only their tenants' rows, with personal data masked. */
  async session(opts: SessionOptions): Promise<DuckDbWarehouse> {
    if (this.closed) throw new Error("the engine is closed");
    const role = opts.role.toUpperCase();
    const connection = await this.instance.connect();
    if (hubReach(role) === "tenant grants") {
      // As on Snowflake, a session cannot use a role that was never created or granted: here a
      // tenant role exists once the tenant map gives it a tenant (grantTenantRole, a tenant stack).
      const known = await connection.runAndReadAll(`SELECT 1 FROM ${qualifiedName(TENANT_MAP)} WHERE role_name = ? LIMIT 1`, [role]);
      if (known.currentRowCount === 0) {
        connection.closeSync();
        throw ROLE_ERRORS.doesNotExist(role);
      }
    }
    const warehouse = opts.warehouse?.toUpperCase() ?? null;
    if (warehouse) this.warehouses.get(warehouse);
    const reach = hubReach(role);
    const seesAll = reach === "all";
    const portal = role === PORTAL_ROLE;
    // The write-only roles' one INSERT each (portalWriteGuard.ts): HUB_PORTAL's acknowledgement, HUB_REPORTING's cost snapshot.
    const writeCheck = portal ? checkPortalWrite : role === REPORTING_ROLE ? checkReportingWrite : null;
    const schema = opts.schema?.toUpperCase() ?? null;
    const schemas: readonly string[] = reach === "all" ? SCHEMAS : reach === "tenant grants" ? TENANT_SCHEMAS : [];
    if (schema !== null && !schemas.includes(schema)) {
      connection.closeSync();
      throw SQL_ERRORS.objectDoesNotExist(schema);
    }
    const session = new DuckDbWarehouse({
      connection,
      role,
      seesAllTenants: seesAll,
      // HUB_REPORTING reads nothing of the hub's, only the usage views its database roles open.
      guard: { secureCatalog: SECURE_CATALOG, granted: reach === "nothing" ? new Set() : TENANT_READABLE, currentSchema: schema, accountUsage: accountUsageReadableBy(role) },
      use: schema === null ? (writeCheck ? this.dataCatalog : undefined) : `${seesAll ? this.dataCatalog : SECURE_CATALOG}.${schema}`,
      // HUB_PORTAL and HUB_REPORTING write their one table in the data catalog and read none of the hub's (portalWriteGuard.ts).
      ...(writeCheck ? { writeCheck } : {}),
      warehouse,
      defaultTag: opts.tag,
      ...((opts.usageLatency ?? this.simulateUsageLatency) ? { usageNow: () => this.clock.now() } : {}),
      hooks: warehouse
        ? {
            before: ({ sql }) => {
              // Monitors are looked at before each statement, so a quota reached since the last
              // statement refuses this one.
              this.monitors.evaluate();
              this.warehouses.ensureRunning(warehouse, sql);
            },
            after: (i) =>
              recordQuery(this.ctx, {
                sql: i.sql, warehouse, role, tag: i.tag, start: this.clock.now(), elapsedMs: i.elapsedMs, rows: i.rows,
                error: i.error ? { code: (i.error as { code?: string }).code, message: i.error.message } : undefined,
              }),
          }
        : undefined,
    });
    this.sessions.add(session);
    const close = session.close.bind(session);
    session.close = async () => {
      this.sessions.delete(session);
      await close();
    };
    return session;
  }

  /**
   * Land rows in RAW, stamped with the clock's now as `ingested_at`; each kind commits as one
   * transaction on the engine's ingest connection (separate from pipeline work, as in Snowflake
   * where Snowpipe Streaming and tasks do not block each other).
   */
  async land(batch: { readings?: readonly RawReading[]; scans?: readonly RawScan[]; quarantine?: readonly QuarantineRecord[]; notes?: readonly RawNote[] }): Promise<void> {
    if (this.closed) throw new Error("the engine is closed");
    this.ingestConn ??= this.instance.connect();
    const c = await this.ingestConn;
    const now = this.clock.now();
    try {
      if (batch.readings?.length) await appendReadings(c, batch.readings, now);
      if (batch.scans?.length) await appendScans(c, batch.scans, now);
      if (batch.quarantine?.length) await appendQuarantine(c, batch.quarantine, now);
      if (batch.notes?.length) await appendNotes(c, batch.notes, now);
    } catch (e) {
      throw fromDuckDbError(e);
    }
  }

  /**
   * A plain connection on the hub's database for an in-process writer that keeps its own
   * transactions (the streaming ingest's channel landing). DuckDB allows one writing process per
   * file, so in-process writers share this instance rather than open the file again.
   */
  async rawConnection(): Promise<DuckDBConnection> {
    if (this.closed) throw new Error("the engine is closed");
    return this.instance.connect();
  }

  /**
   * The file reader and writer for this hub's archive and loads (opened on first use, closed
   * with the engine); it spills beside the database file.
   */
  files(): Promise<FileIo> {
    if (this.closed) throw new Error("the engine is closed");
    this.fileIo ??= FileIo.open({ tempDirectory: this.path === ":memory:" ? undefined : `${this.path}.files.tmp` });
    return this.fileIo;
  }

  /** Every role a session may use: the hub's own, then each role the tenant map names. */
  async roles(): Promise<string[]> {
    const rows = await this.control<{ role_name: string }>(`SELECT DISTINCT role_name FROM ${qualifiedName(TENANT_MAP)} ORDER BY 1`);
    return [...ALL_TENANT_ROLES, REPORTING_ROLE, PORTAL_ROLE, ...rows.map((r) => r.role_name)];
  }

  /** An admin session (all tenants, unmasked). */
  admin(warehouse?: string): Promise<DuckDbWarehouse> {
    return this.session({ role: ADMIN_ROLE, warehouse });
  }

  /** Give a tenant's role read access to its rows (a TENANT_MAP row); returns the role name. */
  async grantTenantRole(tenantId: string, opts: { role?: string; piiAccess?: boolean } = {}): Promise<string> {
    const role = (opts.role ?? tenantRoleName(tenantId)).toUpperCase();
    await this.exclusive(async () => {
      await this.conn.run(
        `DELETE FROM ${qualifiedName(TENANT_MAP)} WHERE role_name = ? AND tenant_id = ?`,
        [role, tenantId],
      );
      await this.conn.run(`INSERT INTO ${qualifiedName(TENANT_MAP)} VALUES (?, ?, ?, TIMESTAMP '${sqlTimestamp(this.clock.now())}')`, [
        role,
        tenantId,
        opts.piiAccess ?? false,
      ]);
    });
    return role;
  }

  /**
   * Do what is due at the clock's current time: run each task graph whose schedule slot has come,
   * refresh each dynamic table whose target lag has passed, suspend idle warehouses, and write
   * the history. Returns what ran.
   *
   * `refreshBesideTasks`: refresh the dynamic tables on a second connection while the task graphs
   * run, instead of after them. Each refresh then reads the silver committed when it began (the
   * rows it takes are bounded by its own look past its last position, as always), so a table may
   * show this tick's task output only at the next tick: a lag of one tick, never a lost or doubled
   * row. The main job's fleet phase uses it, where the tick is the critical path and the second
   * core is otherwise idle once the edge has published; its last ticks are ordinary ones.
   * `refreshWhen` delays the refreshes until it settles (or the task graphs finish).
   * `onTaskUnderway` is called once the tick's first task has opened its transaction, i.e. when
   * its body's statements (the long ones) start; not at all when every graph is skipped.
   */
  tick(opts: { refreshBesideTasks?: boolean; refreshWhen?: Promise<unknown>; onTaskUnderway?: () => void } = {}): Promise<TickReport> {
    return this.exclusive(async () => {
      const now = this.clock.now();
      let tasks: TaskRunResult[];
      let refreshes: RefreshResult[];
      if (opts.refreshBesideTasks) {
        const ctx = { ...this.ctx, conn: await this.refreshConnection() };
        // `refreshWhen`: the caller's other work that the refreshes should not compete with (the
        // main job's edge publishing the next step); they start when it is done, or when the task
        // graphs are, whichever comes first.
        const tasksDone = this.runDueTasks(now, opts.onTaskUnderway);
        const refreshing = Promise.race([opts.refreshWhen ?? Promise.resolve(), tasksDone.catch(() => undefined)]).then(() => this.refreshDueTables(now, ctx));
        // Both run to the end before either's error is thrown: nothing is left running behind the tick.
        const [t, r] = await Promise.allSettled([tasksDone, refreshing]);
        if (t.status === "rejected") throw t.reason;
        if (r.status === "rejected") throw r.reason;
        [tasks, refreshes] = [t.value, r.value];
      } else {
        tasks = await this.runDueTasks(now, opts.onTaskUnderway);
        refreshes = await this.refreshDueTables(now, this.ctx);
      }
      if (refreshes.some((r) => r.action !== "NO_DATA")) await this.reloadDynamicTableStates();
      await this.settle();
      return { at: now, tasks, refreshes };
    });
  }

  /** The task graphs whose schedule slot has come, run at `now`. */
  private async runDueTasks(now: Date, onTaskUnderway?: () => void): Promise<TaskRunResult[]> {
    const tasks: TaskRunResult[] = [];
    let underway = false;
    const ctx: PipelineContext = onTaskUnderway
      ? {
          ...this.ctx,
          onTaskOpened: () => {
            if (underway) return;
            underway = true;
            onTaskUnderway();
          },
        }
      : this.ctx;
    const due = TASKS.filter((t) => t.schedule).flatMap((root) => {
      const state = this.taskStates.get(qualifiedName(root)) ?? { state: "suspended", lastScheduled: null };
      const slot = state.state === "started" ? dueSlot(state.lastScheduled, scheduleIntervalMs(root.schedule!), now) : null;
      return slot ? [{ root, state, slot }] : [];
    });
    // Every due root's WHEN in one round trip (in the main job each one waits for a busy event
    // loop). A graph that runs may fill a stream a later root reads (EXPAND_DEVICE_MESSAGES feeds
    // RAW.SENSOR_READINGS), so once one has run, the later roots look again.
    const when = await whenConditions(ctx, due.map((d) => d.root));
    let ran = false;
    for (const { root, state, slot } of due) {
      const name = qualifiedName(root);
      this.monitors.evaluate();
      const results = await runTaskGraph(ctx, TASKS, root, ++this.runSeq, slot, ran ? undefined : when.get(name));
      ran ||= results.some((r) => r.state !== "SKIPPED");
      tasks.push(...results);
      this.taskStates.set(name, { ...state, lastScheduled: slot });
      this.pendingControl.push(`UPDATE ${CONTROL_SCHEMA}.TASKS SET last_scheduled_at = TIMESTAMP '${sqlTimestamp(slot)}' WHERE name = '${name}'`);
    }
    return tasks;
  }

  /** Refresh each dynamic table whose target lag has passed at `now`, on `ctx`'s connection. */
  private async refreshDueTables(now: Date, ctx: PipelineContext): Promise<RefreshResult[]> {
    const refreshes: RefreshResult[] = [];
    const due = DYNAMIC_TABLES.filter((t) => this.refreshDue(t, now));
    // One query finds which due tables have new source rows; the others are NO_DATA refreshes.
    const ends = await newRowsEnd(ctx.conn, due.flatMap((t) => {
      const st = this.dtStates.get(qualifiedName(t));
      return t.incremental && st?.lastRefreshAt ? [{ table: t, after: st.sourceRowid }] : [];
    }));
    for (const t of due) {
      const name = qualifiedName(t);
      const st = this.dtStates.get(name);
      if (ends.has(name) && ends.get(name)! <= st!.sourceRowid) {
        refreshes.push(recordNoData(ctx, t));
        this.dtStates.set(name, { sourceRowid: st!.sourceRowid, lastRefreshAt: now });
        this.pendingControl.push(
          `UPDATE ${CONTROL_SCHEMA}.DYNAMIC_TABLES SET last_refresh_at = TIMESTAMP '${sqlTimestamp(now)}', data_timestamp = TIMESTAMP '${sqlTimestamp(now)}' WHERE name = '${name}'`,
        );
        continue;
      }
      this.monitors.evaluate();
      try {
        refreshes.push(await refreshDynamicTable(ctx, t));
      } catch (e) {
        // Recorded in DYNAMIC_TABLE_REFRESH_HISTORY; the other tables still refresh, as in Snowflake.
        refreshes.push({ name, action: "FAILED", sourceRows: 0, rowsDeleted: 0, rowsInserted: 0, elapsedMs: 0, error: (e as Error).message });
      }
    }
    return refreshes;
  }

  /** A second pipeline connection, for refreshes that run beside the task graphs (see `tick`). */
  private refreshConnection(): Promise<DuckDBConnection> {
    this.refreshConn ??= (async () => {
      const c = await this.instance.connect();
      await c.run(`SET VARIABLE ${DUCKDB_VARIABLES.role} = '${PIPELINE_ROLE}'`);
      return c;
    })();
    return this.refreshConn;
  }

  /** Advance the clock in steps until `until`, ticking at each step. */
  async runUntil(until: Date, stepMs = 60_000, onTick?: (r: TickReport) => void): Promise<TickReport[]> {
    const clock = this.simulatedClock();
    const reports: TickReport[] = [];
    while (clock.now() < until) {
      clock.set(new Date(Math.min(until.getTime(), clock.now().getTime() + stepMs)));
      const r = await this.tick();
      reports.push(r);
      onTick?.(r);
    }
    return reports;
  }

  /** ALTER DYNAMIC TABLE ... REFRESH: now, whatever the lag. */
  refresh(name: string, opts: { full?: boolean } = {}): Promise<RefreshResult> {
    const t = this.dynamicTable(name);
    return this.exclusive(async () => {
      const r = await refreshDynamicTable(this.ctx, t, { force: opts.full ? "FULL" : undefined, trigger: "MANUAL" });
      await this.reloadDynamicTableStates();
      await this.settle();
      return r;
    });
  }

  /** Refresh every dynamic table now, in dependency order (incremental unless `full`). */
  refreshAll(opts: { full?: boolean } = {}): Promise<RefreshResult[]> {
    return this.exclusive(async () => {
      const out: RefreshResult[] = [];
      for (const t of DYNAMIC_TABLES) {
        out.push(await refreshDynamicTable(this.ctx, t, { force: opts.full ? "FULL" : undefined, trigger: "MANUAL" }));
      }
      await this.reloadDynamicTableStates();
      await this.settle();
      return out;
    });
  }

  /** CREATE OR ALTER WAREHOUSE from a definition (tenant stacks add theirs this way locally). */
  defineWarehouse(def: WarehouseDef): Promise<void> {
    return this.exclusive(async () => {
      await this.settle();
      for (const st of duckdbStatements(def)) await this.conn.run(st.sql);
      this.warehouses.upsert({ ...def, resourceMonitor: def.resourceMonitor });
      await this.settle();
    });
  }

  /** CREATE OR ALTER RESOURCE MONITOR from a definition; counting starts now for a new one. */
  defineResourceMonitor(def: ResourceMonitorDef): Promise<void> {
    return this.exclusive(async () => {
      await this.settle();
      for (const st of duckdbStatements(def)) await this.conn.run(st.sql);
      await this.monitors.load(this.conn);
      await this.settle();
    });
  }

  /** EXECUTE TASK: run a root's graph now (its WHEN condition still applies). */
  executeTask(name: string): Promise<TaskRunResult[]> {
    const root = TASKS.find((t) => qualifiedName(t) === name.toUpperCase() || t.name === name.toUpperCase());
    if (!root) throw new Error(`unknown task ${name}; tasks: ${TASKS.map(qualifiedName).join(", ")}`);
    return this.exclusive(async () => {
      const r = await runTaskGraph(this.ctx, TASKS, root, ++this.runSeq, this.clock.now());
      await this.settle();
      return r;
    });
  }

  /** ALTER TASK ... SUSPEND / RESUME. */
  async setTaskState(name: string, state: "started" | "suspended"): Promise<void> {
    const t = TASKS.find((x) => qualifiedName(x) === name.toUpperCase());
    if (!t) throw new Error(`unknown task ${name}`);
    await this.exclusive(async () => {
      await this.conn.run(`UPDATE ${CONTROL_SCHEMA}.TASKS SET state = '${state}' WHERE name = '${qualifiedName(t)}'`);
      const name = qualifiedName(t);
      this.taskStates.set(name, { lastScheduled: this.taskStates.get(name)?.lastScheduled ?? null, state });
    });
  }

  /** Suspend idle warehouses, evaluate monitors, and commit every pending control write at once. */
  private async settle(): Promise<void> {
    this.warehouses.suspendIdle();
    this.monitors.evaluate();
    const control = this.pendingControl;
    this.pendingControl = [];
    await runInOneTransaction(this.conn, [
      ...control, ...this.monitors.takePersistSql(), ...this.warehouses.takePersistSql(), ...this.history.takeSql(),
    ]);
  }

  private dynamicTable(name: string): DynamicTableDef {
    const t = DYNAMIC_TABLES.find((x) => qualifiedName(x) === name.toUpperCase() || x.name === name.toUpperCase());
    if (!t) throw new Error(`unknown dynamic table ${name}; dynamic tables: ${DYNAMIC_TABLES.map(qualifiedName).join(", ")}`);
    return t;
  }

  private refreshDue(t: DynamicTableDef, now: Date): boolean {
    const lag = targetLagSeconds(t.targetLag);
    if (lag === null) return false;
    const last = this.dtStates.get(qualifiedName(t))?.lastRefreshAt;
    return !last || now.getTime() - last.getTime() >= lag * 1000;
  }

  private simulatedClock(): SimulatedClock {
    if (!(this.clock instanceof SimulatedClock)) throw new Error("runUntil needs a simulated clock");
    return this.clock;
  }

  /** Rows of a HUB_LOCAL history or state table (admin use, tests, reports). */
  async control<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    const s = await this.admin();
    try {
      return (await s.query(sql)) as T[];
    } finally {
      await s.close();
    }
  }

  /**
   * Cap DuckDB's worker threads (null: back to one per core). For a phase in which another busy
   * thread shares the machine — the main job's ingest on the event loop — and the warehouse works
   * on small batches: such a batch is one row group, which one thread scans anyway, and DuckDB's
   * parallel insert of a ~200k-row batch cost ~1.6× the CPU of a single-threaded one here (it
   * builds a partial row group per thread and merges them).
   */
  async limitThreads(threads: number | null): Promise<void> {
    await this.conn.run(threads === null ? "RESET threads" : `SET threads = ${Math.max(1, Math.floor(threads))}`);
  }

  /** Flush, checkpoint and close: the file is consistent afterwards. */
  /**
   * The backend that answers an external function (`SCHEMA.NAME`, e.g. `ML.ANALYSE_NOTE`) on this
   * engine; without one, each call's rows are answered with an error the calling task records.
   */
  resolveExternalFunction(name: string, resolver: ExternalFunctionResolver): void {
    const known = EXTERNAL_FUNCTIONS.map(qualifiedName);
    if (!known.includes(name.toUpperCase())) throw new Error(`external function ${name} is not defined; defined: ${known.join(", ")}`);
    this.externalFunctions.set(name.toUpperCase(), resolver);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.exclusive(async () => {
      await this.settle();
      for (const s of [...this.sessions]) await s.close();
      if (this.ingestConn) (await this.ingestConn).closeSync();
      if (this.refreshConn) (await this.refreshConn).closeSync();
      if (this.fileIo) (await this.fileIo).close();
      await this.conn.run("CHECKPOINT").catch(() => undefined);
      this.conn.closeSync();
      this.instance.closeSync();
    });
    this.closed = true;
  }
}
