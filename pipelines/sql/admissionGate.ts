/**
 * The served twin's admission gate for tenant statements: at most `perWarehouse` statements of one
 * warehouse run at once, and at most `total` of all warehouses together; the rest wait in the
 * order they came. Snowflake's warehouse does the same with MAX_CONCURRENCY_LEVEL (default 8) and
 * queues the rest (https://docs.snowflake.com/en/sql-reference/parameters#max-concurrency-level).
 *
 * Why the twin needs it: every DuckDB statement runs in a worker of Node's libuv threadpool
 * (@duckdb/node-bindings' QueryWorker etc. are Napi::AsyncWorker, whose Execute() calls
 * duckdb_query on a threadpool thread: duckdb-node-neo bindings/src/promise_workers.h), and that
 * pool also serves fs, crypto (scrypt) and zlib. Without the gate one tenant's four long
 * statements hold the default four workers, and the hub's tasks, ingest and portal wait. `total`
 * is the pool less the workers kept for the hub's own work (threadpoolSize, tenantCapacity).
 */

/** A statement's place, given up when it ends: always call it once (finally). */
export type Release = () => void;

/** A statement waited its whole timeout for a place and never ran. */
export class QueuedTooLong extends Error {
  constructor(readonly waitedMs: number) {
    super(`the statement waited ${waitedMs} ms for a place on its warehouse and never ran`);
  }
}

/** The client went away (or the caller gave up) while the statement waited. */
export class AdmissionAborted extends Error {
  constructor() {
    super("the statement was given up while it waited for a place on its warehouse");
  }
}

export interface AdmissionGateOptions {
  /** Statements of one warehouse that run at once (MAX_CONCURRENCY_LEVEL's place): at least 1. */
  readonly perWarehouse: number;
  /** Statements of all warehouses that run at once: at least 1. */
  readonly total: number;
}

export interface AdmitOptions {
  /** Give up waiting after this many ms (the statement's own timeout): QueuedTooLong. Default: wait. */
  readonly timeoutMs?: number;
  /** Give up waiting when this aborts (the client disconnected): AdmissionAborted. */
  readonly signal?: AbortSignal;
}

interface Waiter {
  readonly warehouse: string;
  readonly admit: () => void;
}

export class AdmissionGate {
  private readonly running = new Map<string, number>();
  private runningTotal = 0;
  /** Every waiting statement, oldest first, all warehouses together. */
  private readonly waiting: Waiter[] = [];

  constructor(readonly o: AdmissionGateOptions) {
    for (const [k, v] of Object.entries(o)) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`admission gate: ${k} ${JSON.stringify(v)} must be a whole number of at least 1`);
    }
  }

  /** Statements waiting now, per warehouse (warehouses with none are left out). */
  queued(): Map<string, number> {
    const m = new Map<string, number>();
    for (const w of this.waiting) m.set(w.warehouse, (m.get(w.warehouse) ?? 0) + 1);
    return m;
  }

  /** Statements running now, per warehouse. */
  runningNow(): Map<string, number> {
    return new Map([...this.running].filter(([, n]) => n > 0));
  }

  private hasRoom(warehouse: string): boolean {
    return this.runningTotal < this.o.total && (this.running.get(warehouse) ?? 0) < this.o.perWarehouse;
  }

  private take(warehouse: string): Release {
    this.running.set(warehouse, (this.running.get(warehouse) ?? 0) + 1);
    this.runningTotal++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running.set(warehouse, this.running.get(warehouse)! - 1);
      this.runningTotal--;
      this.dispatch();
    };
  }

  /**
   * Let in the oldest waiters that now have room. Oldest first over all warehouses, so a
   * warehouse's statements keep their order (a later one never passes an earlier one of the same
   * warehouse: both need the same room) and a full warehouse does not hold up another's.
   */
  private dispatch(): void {
    for (let i = 0; i < this.waiting.length && this.runningTotal < this.o.total; ) {
      const w = this.waiting[i]!;
      if (this.hasRoom(w.warehouse)) {
        this.waiting.splice(i, 1);
        w.admit();
      } else i++;
    }
  }

  /** A place for one statement of `warehouse`: at once if there is room and nobody waits before it, else in turn. */
  admit(warehouse: string, o: AdmitOptions = {}): Promise<Release> {
    if (o.signal?.aborted) return Promise.reject(new AdmissionAborted());
    // Nobody of this warehouse may wait before it (FIFO). A waiter of another warehouse that waits
    // has no room (dispatch lets in every waiter that has), so passing it takes nothing from it.
    if (this.hasRoom(warehouse) && !this.waiting.some((w) => w.warehouse === warehouse)) {
      return Promise.resolve(this.take(warehouse));
    }
    return new Promise<Release>((resolve, reject) => {
      const started = Date.now();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const leave = (e: Error) => {
        const at = this.waiting.indexOf(waiter);
        if (at < 0) return;
        this.waiting.splice(at, 1);
        cleanup();
        reject(e);
        // Its leaving may let a later statement of another warehouse in.
        this.dispatch();
      };
      const onAbort = () => leave(new AdmissionAborted());
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        o.signal?.removeEventListener("abort", onAbort);
      };
      const waiter: Waiter = {
        warehouse,
        admit: () => {
          cleanup();
          resolve(this.take(warehouse));
        },
      };
      this.waiting.push(waiter);
      o.signal?.addEventListener("abort", onAbort, { once: true });
      if (o.timeoutMs !== undefined) timer = setTimeout(() => leave(new QueuedTooLong(Date.now() - started)), o.timeoutMs);
    });
  }
}

/** libuv's default threadpool size (uv_queue_work, src/threadpool.c: 4 unless UV_THREADPOOL_SIZE). */
export const DEFAULT_THREADPOOL_SIZE = 4;
/** libuv's ceiling on UV_THREADPOOL_SIZE (MAX_THREADPOOL_SIZE in src/threadpool.c). */
export const MAX_THREADPOOL_SIZE = 1024;

/**
 * The threadpool's size as libuv reads it when the pool is first used (src/threadpool.c
 * init_threads: atoi(UV_THREADPOOL_SIZE), 0 → 1, above 1024 → 1024, unset → 4). serve does not
 * set it itself: libuv starts the pool at its first job, and Node's ESM loader reads module files
 * with fs/promises, so the pool exists before any line of serve's code runs; only the environment
 * the process starts with counts (docs/serve.md).
 */
export function threadpoolSize(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.UV_THREADPOOL_SIZE;
  if (raw === undefined || raw === "") return DEFAULT_THREADPOOL_SIZE;
  // atoi: leading whitespace and sign, then digits; anything else reads as 0. nthreads is an
  // unsigned int, so a negative value wraps past the ceiling and becomes 1024.
  const n = Number.parseInt(raw, 10);
  const v = Number.isNaN(n) ? 0 : n;
  if (v === 0) return 1;
  if (v < 0 || v > MAX_THREADPOOL_SIZE) return MAX_THREADPOOL_SIZE;
  return v;
}

/** Workers kept for the hub's own work (tasks, ingest, portal, file and crypto calls): never fewer than one. */
export function reservedWorkers(pool: number): number {
  return Math.max(1, Math.ceil(pool / 4));
}

/** Workers tenant statements may hold together: the pool less the reserve, at least one. */
export function tenantCapacity(pool: number): number {
  return Math.max(1, pool - reservedWorkers(pool));
}

/**
 * serve's default --max-concurrency: one less than the tenants' capacity (at least 1), so one
 * warehouse's statements never hold every tenant place and another warehouse always gets in;
 * Snowflake's default 8 where the pool is large enough for it.
 */
export function defaultMaxConcurrency(pool: number): number {
  return Math.min(8, Math.max(1, tenantCapacity(pool) - 1));
}
