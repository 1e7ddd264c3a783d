/**
 * The streaming ingest worker as a process: `node --import tsx pipelines/ingest/ingestWorkerMain.ts
 * --url mqtt://127.0.0.1:1883 --db data/hub.duckdb`, the ingest secret in HUB_INGEST_SECRET (never
 * on the command line, where `ps` shows it). Prints `ready` once subscribed, then one JSON line of
 * stats per second (`--stats-ms` to change); SIGTERM / SIGINT close it cleanly (a SIGKILL is what
 * the offsets are for). A `reset-latency` line on stdin forgets the latency samples so far (a
 * benchmark's warm-up); `--max-batch-readings` / `--max-batch-ms` size the micro-batches.
 */
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { INGEST_USERNAME } from "../../edge/deviceRegistry.ts";
import { ChannelLanding } from "./channelLanding.ts";
import { StreamingIngest } from "./streamingIngest.ts";

const { values } = parseArgs({
  options: {
    url: { type: "string" }, db: { type: "string" }, "client-id": { type: "string" }, "stats-ms": { type: "string" },
    "max-batch-readings": { type: "string" }, "max-batch-ms": { type: "string" },
  },
});
const password = process.env.HUB_INGEST_SECRET;
const positive = (flag: "max-batch-readings" | "max-batch-ms" | "stats-ms"): number | undefined => {
  const text = values[flag];
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!(n > 0)) {
    console.error(`--${flag} ${JSON.stringify(text)} must be a positive number`);
    process.exit(1);
  }
  return n;
};
if (!values.url || !values.db || !password) {
  console.error("usage: ingestWorkerMain --url mqtt://host:port --db FILE [--stats-ms N] [--max-batch-readings N] [--max-batch-ms N] (HUB_INGEST_SECRET in the environment)");
  process.exit(1);
}
const statsMs = positive("stats-ms") ?? 1000;
const maxBatchReadings = positive("max-batch-readings");
const maxBatchMs = positive("max-batch-ms");
const worker = await StreamingIngest.start({
  url: values.url,
  username: INGEST_USERNAME,
  password,
  clientId: values["client-id"],
  landing: await ChannelLanding.open(values.db),
  maxBatchReadings,
  maxBatchMs,
});
if (!process.stdin.isTTY) {
  createInterface({ input: process.stdin }).on("line", (line) => {
    if (line.trim() === "reset-latency") worker.resetLatency();
  });
}
console.log("ready");
const timer = setInterval(() => console.log(JSON.stringify(worker.stats())), statsMs);
const stop = async () => {
  clearInterval(timer);
  await worker.close();
  console.log(JSON.stringify({ closed: true }));
  process.exit(0);
};
process.once("SIGTERM", () => void stop());
process.once("SIGINT", () => void stop());
