/**
 * How much two things at once buy on this machine, measured in the same run as the figure it
 * explains. The main job overlaps the edge (JavaScript on the event loop) with the engine's tick
 * (DuckDB on a libuv thread); on two independent cores that would halve the wall time of the
 * overlapped part. The probe times one DuckDB query alone, then two copies at once on two
 * connections, then one beside a worker thread doing JSON work like the edge's:
 * - capacity = 2 × alone / pair: 2.0 means two full cores, 1.0 means the pair shares one;
 * - slowdown beside JavaScript = beside / alone: 1.0 means the edge costs the tick nothing.
 */
import { Worker } from "node:worker_threads";
import { DuckDBInstance } from "@duckdb/node-api";
import { median } from "./harness.ts";

/** A single-threaded query of ~0.5 s here that parses JSON and hashes, as the judge does. */
const QUERY = `SELECT COUNT(*), SUM(hash(json_extract_string(j, '$.k'))), SUM(CAST(json_extract(j, '$.v') AS DOUBLE))
FROM (SELECT json_object('k', 'metric_' || (i % 9), 'v', i * 0.5) AS j FROM range(500000) t(i))`;

/** JSON encode/decode of reading-like objects until told to stop (the edge's kind of work). */
const JSON_WORKER = `
const { parentPort } = require("node:worker_threads");
const batch = Array.from({ length: 2000 }, (_, i) => ({ ts: new Date(1767571200000 + i * 1000).toISOString(), seq: i, metrics: { state: "RUNNING", spindle_load_pct: 50 + (i % 7), temperature_c: 41.5 } }));
let stop = false;
parentPort.on("message", () => { stop = true; });
(function spin() {
  const end = Date.now() + 20;
  while (Date.now() < end) JSON.parse(JSON.stringify(batch));
  if (!stop) setImmediate(spin); else parentPort.close();
})();
parentPort.postMessage("started");`;

export interface MachineCapacity {
  readonly aloneMs: number;
  readonly pairMs: number;
  readonly besideJsMs: number;
  /** 2 × alone / pair. */
  readonly capacity: number;
  /** beside JavaScript / alone. */
  readonly slowdownBesideJs: number;
}


export async function measureMachineCapacity(rounds = 3): Promise<MachineCapacity> {
  const db = await DuckDBInstance.create(":memory:", { threads: "1" });
  const [a, b] = [await db.connect(), await db.connect()];
  try {
    await a.run(QUERY); // warm-up
    const alone: number[] = [];
    const pair: number[] = [];
    const beside: number[] = [];
    for (let i = 0; i < rounds; i++) {
      let t = performance.now();
      await a.run(QUERY);
      alone.push(performance.now() - t);
      t = performance.now();
      await Promise.all([a.run(QUERY), b.run(QUERY)]);
      pair.push(performance.now() - t);
      const worker = new Worker(JSON_WORKER, { eval: true });
      await new Promise((resolve) => worker.once("message", resolve));
      t = performance.now();
      await a.run(QUERY);
      beside.push(performance.now() - t);
      worker.postMessage("stop");
      await new Promise((resolve) => worker.once("exit", resolve));
    }
    const [aloneMs, pairMs, besideJsMs] = [median(alone), median(pair), median(beside)];
    return { aloneMs, pairMs, besideJsMs, capacity: (2 * aloneMs) / pairMs, slowdownBesideJs: besideJsMs / aloneMs };
  } finally {
    a.closeSync();
    b.closeSync();
    db.closeSync();
  }
}
