#!/usr/bin/env -S sh -c 'exec node --import "$(dirname "$(realpath "$0")")/lib/tsx.mjs" "$0" "$@"'
/**
 * Run the fleet simulator to files: the tenants' fleets from their stack files (or a JSON spec),
 * as fast as the CPU allows, with injected faults and their labels. The same tenants, start, hours
 * and seed give the same files, byte for byte. With --live, run it instead as the provisioned
 * devices against a running broker, in real time or faster (edge/liveFleet.ts).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runCommand, UserError } from "./lib/command.ts";
import { textTable } from "./lib/textTable.ts";
// The fleet's modules load inside `run`, the spec parser's (zod) with the first flag that needs it,
// the simulator's, the files' (DuckDB) and the live fleet's (MQTT) once every flag is checked:
// --help and a refused flag answer without them.
import type { TenantFleetSpec } from "../edge/fleetSpec.ts";
import type { OutputFormat } from "../edge/fleetOutput.ts";
import { FAULT_KINDS } from "../edge/faultInjection.ts";
import { listOption, notOneOf, numberOption, PROJECT_DIR, timeOption } from "./lib/optionValues.ts";
import type { LiveFleet, LiveFleetCounts } from "../edge/liveFleet.ts";
import { TIMESTAMP_LIMITS } from "../pipelines/quality/metricRules.ts";
import { hubHome } from "../pipelines/hubHome.ts";

const FILE_START = "2026-01-05T00:00:00Z";
const FILE_HOURS = "24";

const WINDOW_MS = 10 * 60_000;

async function specsFrom(options: { tenant?: string; spec?: string }): Promise<TenantFleetSpec[]> {
  const [{ FleetSpecError, parseTenantFleet }, { fleetStacks, readStackFleet }] = await Promise.all([import("../edge/fleetSpec.ts"), import("../edge/fleetStackFile.ts")]);
  try {
    if (options.spec) {
      if (!existsSync(options.spec)) throw new UserError(`--spec ${options.spec}: no such file`);
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(options.spec, "utf8"));
      } catch (e) {
        throw new UserError(`--spec ${options.spec}: not valid JSON: ${(e as Error).message}`);
      }
      const list = Array.isArray(json) ? json : [json];
      const specs = list.map((s, i) => parseTenantFleet(s, `${options.spec}${list.length > 1 ? `[${i}]` : ""}`));
      if (options.tenant === undefined) return specs;
      // A tenant the spec does not hold is a mistake, not one fewer fleet in the output.
      const inSpec = specs.map((s) => s.tenantId);
      const wanted = listOption("--tenant", options.tenant);
      for (const t of wanted) if (!inSpec.includes(t)) throw notOneOf("--tenant", t, `is not a tenant of ${options.spec}`, "tenants", inSpec);
      return specs.filter((s) => wanted.includes(s.tenantId));
    }
    // Without --spec the fleets are the stack files' `fleet:sites`: a tenant needs a stack with one.
    const known = fleetStacks(PROJECT_DIR);
    const wanted = options.tenant === undefined ? known : listOption("--tenant", options.tenant);
    for (const t of wanted) if (!known.includes(t)) throw notOneOf("--tenant", t, "is not a tenant stack with a fleet (fleet:sites)", "tenant stacks with a fleet", known);
    return wanted.map((t) => readStackFleet(PROJECT_DIR, t)!);
  } catch (e) {
    // One problem per line in the spec's error; the refusal is one line.
    if (e instanceof FleetSpecError) throw new UserError(e.message.split("\n").join("; "));
    throw e;
  }
}

function liveProgress(c: LiveFleetCounts): string {
  return `  simulated ${c.simulatedTo.toISOString().slice(0, 19)}Z  published ${c.published.toLocaleString("en")}  acknowledged ${c.acknowledged.toLocaleString("en")}  queued ${c.queued.toLocaleString("en")}  `;
}

/** --live: the fleets as their provisioned devices against a running broker. */
async function runLive(options: { broker?: string; speed?: string; hours?: string; start?: string; seed?: string; credentials?: string; queues?: string; quiet: boolean; "no-faults": boolean; tenant?: string; spec?: string }): Promise<void> {
  if (!options.broker) throw new UserError("--live needs --broker mqtt://HOST:PORT or mqtts://HOST:PORT (the running hub's, in <hub home>/serve.json)");
  const speed = numberOption("--speed", options.speed ?? "1", { above: 0, max: 100_000, what: "simulated seconds per wall second" });
  const hours = options.hours === undefined ? undefined : numberOption("--hours", options.hours, { above: 0, max: 24 * 366, what: "a number of hours" });
  const seed = numberOption("--seed", options.seed, { integer: true });
  const now = new Date();
  const start = options.start === undefined ? now : timeOption("--start", options.start);
  const specs = await specsFrom(options);
  if (specs.length === 0) throw new UserError(`--spec ${options.spec} holds no fleet`);
  const { LiveFleet, LiveFleetError, backfillStart, secondsUntilAhead } = await import("../edge/liveFleet.ts");
  const home = hubHome();
  const say = (line: string) => options.quiet || process.stderr.write(`${line}\n`);
  // Simulated time faster than the wall clock runs into the future, and the hub quarantines readings too far ahead.
  const ahead = secondsUntilAhead(speed, start.getTime() - now.getTime());
  if (ahead !== null && (hours === undefined || (hours * 3600) / speed > ahead)) {
    const backfill = hours === undefined ? "" : `; to backfill instead, ending at the wall clock: --start ${backfillStart(now, hours, speed).toISOString()}`;
    say(`note: at --speed ${speed} simulated time is more than ${TIMESTAMP_LIMITS.maxFutureSeconds} s ahead of the wall clock after ${ahead.toFixed(1)} s; the hub quarantines readings that far in the future${backfill}`);
  }
  let live: LiveFleet;
  try {
    live = await LiveFleet.open({
      url: options.broker, specs, speed, start, hours, seed, faults: !options["no-faults"],
      credentialsDir: options.credentials ?? join(home, "edge", "credentials"),
      queueDir: options.queues ?? join(home, "edge", "live-queues"),
    });
  } catch (e) {
    if (e instanceof LiveFleetError) throw new UserError(e.message);
    throw e;
  }
  if (live.start.getTime() > start.getTime() + 999) say(`continuing from ${live.start.toISOString()}, where the last live run's simulated time ended (earlier readings would be deduplicated away)`);
  say(`${live.devices.length} devices connecting to ${options.broker} as their things; ${speed}× real time${hours === undefined ? ", until Ctrl-C" : `, ${hours} simulated h`}`);
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (++signals > 1) process.exit(130); // a second Ctrl-C does not wait for the flush
    say(`\n${sig}: publishing up to now, flushing the queues (Ctrl-C again to quit at once)`);
    live.stop();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let lastProgress = 0;
  const t0 = performance.now();
  try {
    const c = await live.run({
      onProgress: (p) => {
        if (options.quiet || performance.now() - lastProgress < 1000) return;
        lastProgress = performance.now();
        process.stderr.write(`\r${liveProgress(p)}`);
      },
    });
    if (!options.quiet) process.stderr.write(`\r${liveProgress(c)}\n`);
    const wallS = (performance.now() - t0) / 1000;
    console.log(
      `${c.devices} devices, simulated ${live.start.toISOString()} → ${c.simulatedTo.toISOString()} in ${wallS.toFixed(1)} s wall: ` +
        `published ${c.published}, acknowledged ${c.acknowledged}, queued ${c.queued}, dropped ${c.dropped}` +
        `${c.carriedOver ? ` (${c.carriedOver} carried over from an earlier run)` : ""}; connections ${c.connects}, failed ${c.connectFailures}`,
    );
    if (c.queued > 0) console.log(`${c.queued} readings and scans stay queued in ${options.queues ?? join(home, "edge", "live-queues")}: the next --live run sends them first`);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

await runCommand({
  name: "simulate",
  description:
    "simulate the tenants' fleets to files: readings per sensor type (JSON lines or CSV), job scans, the injected faults' labels (labels.jsonl), and operators' notes (notes.jsonl) with their ground truth (note-truth.jsonl); the same arguments give the same bytes. " +
    "With --live, run them as their provisioned devices publishing to a running broker, in real time or --speed N times faster",
  usage:
    "scripts/simulate.ts --out DIR [--tenant T[,T...]] [--hours N] [--seed S] [--start ISO] [--format jsonl|csv] [--no-faults] [--spec FILE.json]\n" +
    "       scripts/simulate.ts --live --broker mqtt://HOST:PORT|mqtts://HOST:PORT [--speed N] [--hours H] [--credentials DIR] [--tenant T[,T...]]",
  options: {
    out: { type: "string", description: "output folder (one subfolder per tenant)" },
    live: { type: "boolean", description: "publish as the provisioned devices to a running broker (--broker) instead of writing files" },
    broker: { type: "string", description: "--live: the broker, mqtt://HOST:PORT (device passwords) or mqtts://HOST:PORT (device certificates)" },
    speed: { type: "string", description: "--live: simulated seconds per wall second (default 1: real time)" },
    credentials: { type: "string", description: "--live: folder of one credentials folder per tenant, as provision.ts writes them (default: <hub home>/edge/credentials)" },
    queues: { type: "string", description: "--live: folder of the devices' store-and-forward queues (default: <hub home>/edge/live-queues)" },
    tenant: { type: "string", description: "tenants to simulate, comma-separated (default: every stack file with a fleet:sites key)" },
    hours: { type: "string", description: `simulated hours (default ${FILE_HOURS}; with --live: until Ctrl-C)` },
    seed: { type: "string", description: "seed; the same seed gives the same data", default: "42" },
    start: { type: "string", description: `simulated start (ISO 8601, UTC unless an offset is given; default ${FILE_START}; with --live: now)` },
    format: { type: "string", description: "readings file format", choices: ["jsonl", "csv"], default: "jsonl" },
    "no-faults": { type: "boolean", description: "inject no faults (labels.jsonl stays empty)" },
    spec: { type: "string", description: "a JSON fleet spec (one tenant or a list) instead of the stack files" },
    quiet: { type: "boolean", description: "no progress on stderr" },
  },
  examples: [
    "scripts/simulate.ts --tenant acme --hours 24 --seed 7 --out /tmp/sim",
    "scripts/simulate.ts --hours 168 --format csv --out /tmp/week",
    "scripts/simulate.ts --spec big-fleet.json --hours 720 --out /tmp/month --quiet",
    "scripts/simulate.ts --live --broker mqtts://127.0.0.1:8883",
    "scripts/simulate.ts --live --broker mqtt://127.0.0.1:1883 --tenant acme --speed 60 --hours 1",
  ],
  run: async ({ options }) => {
    if (options.live) {
      if (options.out !== undefined) throw new UserError("--out is for files: --live publishes to --broker");
      if (options.format !== "jsonl") throw new UserError("--format is for files: --live publishes to --broker");
      return runLive(options);
    }
    for (const f of ["broker", "speed", "credentials", "queues"] as const) if (options[f] !== undefined) throw new UserError(`--${f} needs --live`);
    if (!options.out) throw new UserError("--out DIR is required (or --live --broker URL)");
    const hours = numberOption("--hours", options.hours ?? FILE_HOURS, { above: 0, max: 24 * 366, what: "a number of hours" });
    const seed = numberOption("--seed", options.seed, { integer: true });
    // Strict ISO 8601: `new Date` took "2026" and rolled 2026-02-30 over to March 2.
    const start = timeOption("--start", options.start ?? FILE_START);
    const specs = await specsFrom(options);
    if (specs.length === 0) throw new UserError(`--spec ${options.spec} holds no fleet`);
    const [{ SyntheticFleet }, { FleetFiles }, { FleetNotes }] = await Promise.all([import("../edge/syntheticFleet.ts"), import("../edge/fleetOutput.ts"), import("../edge/fleetNotes.ts")]);

    const fleet = new SyntheticFleet(specs, seed, start, { faults: !options["no-faults"] });
    const files = new FleetFiles(options.out, options.format as OutputFormat);
    const end = start.getTime() + hours * 3_600_000;
    const t0 = performance.now();
    let readings = 0;
    let scans = 0;
    try {
      for (let t = start.getTime(); t < end; ) {
        t = Math.min(end, t + WINDOW_MS);
        const batch = fleet.readingsUntil(new Date(t));
        files.writeReadings(batch);
        const s = fleet.scansUntil(new Date(t));
        files.writeScans(s);
        readings += batch.length;
        scans += s.length;
        if (!options.quiet) {
          const done = (t - start.getTime()) / (end - start.getTime());
          process.stderr.write(`\r  ${(done * 100).toFixed(0).padStart(3)}%  simulated ${new Date(t).toISOString().slice(0, 16)}  readings ${readings.toLocaleString("en")}  `);
        }
      }
      const labels = fleet.faultLabels(new Date(end));
      files.writeLabels(specs.map((s) => s.tenantId), labels);
      // The notes in one go: they are the same however the run is cut (edge/fleetNotes.ts).
      files.writeNotes(specs.map((s) => s.tenantId), new FleetNotes(specs, seed, start).notesUntil(new Date(end), labels));
      const wallS = (performance.now() - t0) / 1000;
      if (!options.quiet) process.stderr.write("\n");
      console.log(textTable(specs.map((s) => ({
        tenant: s.tenantId,
        devices: fleet.devices().filter((d) => d.tenantId === s.tenantId).length,
        ...Object.fromEntries(FleetFiles.kinds.map((k) => [k.toLowerCase(), files.readingCount(s.tenantId, k)])),
        ...Object.fromEntries(FAULT_KINDS.map((k) => [k, labels.filter((l) => l.tenantId === s.tenantId && l.fault === k).length])),
      }))));
      console.log(`\n${readings.toLocaleString("en")} readings and ${scans.toLocaleString("en")} scans, ${hours} simulated h in ${wallS.toFixed(1)} s wall: ` +
        `${Math.round(readings / wallS).toLocaleString("en")} readings/s, ${(hours / wallS).toFixed(1)} simulated h per wall s (${Math.round((hours * 3600) / wallS).toLocaleString("en")}× real time)`);
      console.log(`Files in ${options.out}/<tenant>/: ${FleetFiles.kinds.map((k) => FleetFiles.readingsFile(k, options.format as OutputFormat)).join(", ")}, scans.jsonl, labels.jsonl, notes.jsonl, note-truth.jsonl`);
    } finally {
      files.close();
    }
  },
});
