/**
 * The streaming ingest worker as a process: `node --import tsx pipelines/ingest/ingestWorkerMain.ts
 * --url mqtt://127.0.0.1:1883 --db data/hub.duckdb`, the ingest secret in HUB_INGEST_SECRET (never
 * on the command line, where `ps` shows it). Prints `ready` once subscribed, then one JSON line of
 * stats per second; SIGTERM / SIGINT close it cleanly (a SIGKILL is what the offsets are for).
 */
import { parseArgs } from "node:util";
import { INGEST_USERNAME } from "../../edge/deviceRegistry.ts";
import { ChannelLanding } from "./channelLanding.ts";
import { StreamingIngest } from "./streamingIngest.ts";

const { values } = parseArgs({
  options: { url: { type: "string" }, db: { type: "string" }, "client-id": { type: "string" }, "stats-ms": { type: "string" } },
});
const password = process.env.HUB_INGEST_SECRET;
if (!values.url || !values.db || !password) {
  console.error("usage: ingestWorkerMain --url mqtt://host:port --db FILE (HUB_INGEST_SECRET in the environment)");
  process.exit(1);
}
const worker = await StreamingIngest.start({
  url: values.url,
  username: INGEST_USERNAME,
  password,
  clientId: values["client-id"],
  landing: await ChannelLanding.open(values.db),
});
console.log("ready");
const timer = setInterval(() => console.log(JSON.stringify(worker.stats())), Number(values["stats-ms"] ?? 1000));
const stop = async () => {
  clearInterval(timer);
  await worker.close();
  console.log(JSON.stringify({ closed: true }));
  process.exit(0);
};
process.once("SIGTERM", () => void stop());
process.once("SIGINT", () => void stop());
