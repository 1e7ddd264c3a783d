#!/usr/bin/env -S sh -c 'exec node --import "$(dirname "$(realpath "$0")")/lib/tsx.mjs" "$0" "$@"'
/**
 * The main job: the whole hub on the embedded default (see scripts/lib/hub/mainJob.ts for the
 * steps), then a per-tenant summary and the HTML operator report.
 */
import { join } from "node:path";
import { runCommand } from "./lib/command.ts";
import { ensureWritableHome, hubHome } from "../pipelines/hubHome.ts";
import type { MainJobReport } from "./lib/hub/mainJob.ts";
import { formatRunSummary } from "./lib/hub/summaryText.ts";
// PROJECT_DIR from optionValues, not the fleet's stack files: those load zod (a third of a second).
import { listOption, numberOption, PROJECT_DIR, stackOption } from "./lib/optionValues.ts";
import { DEFAULT_HISTORY_DAYS, DEFAULT_STEP_MINUTES, MAX_HISTORY_DAYS, MAX_STEP_MINUTES } from "./lib/hub/startLimits.ts";

await runCommand({
  name: "start",
  description:
    "run the whole hub on the embedded default: tenant stacks → local twin, broker + devices, fleet simulator → gateway → ingest → RAW, " +
    "task DAG and dynamic tables, retraining and scoring, alerts, billing, archive export; then a per-tenant summary and .hub/report.html",
  usage: "npm start -- [--hours N] [--tenants a,b] [--seed N] [--step MIN] [--port N] [--fresh] [--quiet] [--json] [--home DIR] [--notify stdout|FILE]",
  options: {
    hours: { type: "string", description: "simulated hours to run", default: "24" },
    "history-days": {
      type: "string",
      description: "days of simulated history (hourly aggregates, HUB_HOME/history) loaded through the batch file load before the live hours, once per hub, so the first run trains every model; 0: none",
      default: String(DEFAULT_HISTORY_DAYS),
    },
    tenants: { type: "string", description: "tenant stacks to run, comma-separated (default: every Pulumi.<tenant>.yaml)" },
    seed: { type: "string", description: "simulation seed; the same seed gives the same data", default: "42" },
    step: { type: "string", description: "simulated minutes per step: the task DAG runs once per step (the deployed schedule is 1)", default: String(DEFAULT_STEP_MINUTES) },
    port: { type: "string", description: "embedded broker port on 127.0.0.1 (0 picks a free one)", default: "0" },
    fresh: { type: "boolean", description: "delete what earlier runs left in the hub folder and start over" },
    quiet: { type: "boolean", description: "no progress, only the summary" },
    json: { type: "boolean", description: "print the summary as JSON (implies --quiet)" },
    home: { type: "string", description: "hub folder (default: $HUB_HOME or .hub)" },
    notify: { type: "string", description: "resource monitor notifications: stdout, or a JSON-lines file path (always kept in HUB_LOCAL)" },
  },
  examples: ["npm start", "npm start -- --hours 2 --tenants acme --fresh", "npm start -- --fresh --history-days 0", "npm start -- --json", "HUB_HOME=/tmp/hub npm start -- --step 1 --hours 1"],
  run: async ({ options }) => {
    // Every flag is checked before the hub folder is created or wiped (--fresh).
    const hours = numberOption("--hours", options.hours, { above: 0, max: 24 * 31, what: "a number of hours" });
    const seed = numberOption("--seed", options.seed, { integer: true });
    const historyDays = numberOption("--history-days", options["history-days"], { integer: true, min: 0, max: MAX_HISTORY_DAYS, what: "a whole number of days" });
    const stepMinutes = numberOption("--step", options.step, { integer: true, min: 1, max: MAX_STEP_MINUTES, what: "whole minutes" });
    const port = numberOption("--port", options.port, { integer: true, min: 0, max: 65_535, what: "a port number" });
    // Stack names, as the twin reads Pulumi.<tenant>.yaml for each; "" is a mistake, not "none".
    const tenants = options.tenants === undefined ? undefined : listOption("--tenants", options.tenants).map((t) => stackOption("--tenants", t, PROJECT_DIR, "tenant"));
    const quiet = options.quiet || options.json;
    const home = hubHome(options.home);
    // The progress line is redrawn in place (\r); a stage message after it starts on a new line.
    let progressShown = false;
    const log = (msg: string) => {
      if (quiet) return;
      process.stderr.write(`${progressShown ? "\n" : ""}${msg}\n`);
      progressShown = false;
    };

    // Ctrl-C once: stop after the current step, then summarise what ran. Twice: stop now (DuckDB's
    // write-ahead log keeps the file consistent; the step in flight is lost, its messages stay
    // queued in the gateway and are sent on the next run).
    const abort = new AbortController();
    const onSigint = () => {
      if (abort.signal.aborted) process.exit(130);
      abort.abort();
      process.stderr.write("\nstopping after the current step (Ctrl-C again to stop now)…\n");
    };
    process.on("SIGINT", onSigint);
    // Loaded once the flags and HUB_HOME are checked: the job's modules (DuckDB, the broker, the
    // trainers) are seconds of start-up that a refused flag, an unusable folder or --help should
    // not wait for.
    ensureWritableHome(home);
    const { runMainJob } = await import("./lib/hub/mainJob.ts");
    let report: MainJobReport;
    try {
      report = await runMainJob({
        home, projectDir: PROJECT_DIR, tenants, hours, seed, stepMinutes, port, historyDays,
        fresh: Boolean(options.fresh), signal: abort.signal,
        notifications: options.notify === undefined ? "none" : options.notify === "stdout" ? "stdout" : { jsonl: options.notify },
        onStage: log,
        onProgress: quiet
          ? undefined
          : (p) => {
              progressShown = true;
              process.stderr.write(
                `\r  ${(p.done * 100).toFixed(0).padStart(3)}%  simulated ${p.simulatedAt.toISOString().slice(0, 16)}Z  ` +
                  `readings ${p.published.toLocaleString("en")}  ${(p.published / Math.max(p.wallSeconds, 1e-3)).toFixed(0)}/s  `,
              );
            },
      });
    } finally {
      process.off("SIGINT", onSigint);
    }
    if (options.json) {
      console.log(JSON.stringify(report, null, 2));
      return;
    }
    console.log(formatRunSummary(report));
    const a = report.alertDelivery;
    if (a) console.log(`\nAlerts: ${a.delivered} delivered, ${a.deadLetters} dead letters, ${a.pending} waiting for a retry, over ${a.channels} channel(s) (scripts/alerts.ts deliveries).`);
    console.log(`\nThe hub is in ${home}; the operator report is ${join(home, "report.html")}.`);
    console.log(`Query it: scripts/sql.ts "SELECT * FROM ANALYTICS.MACHINE_UTILIZATION_HOURLY LIMIT 10"`);
  },
});
