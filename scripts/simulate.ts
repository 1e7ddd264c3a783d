#!/usr/bin/env -S sh -c 'exec node --import "$(dirname "$(realpath "$0")")/lib/tsx.mjs" "$0" "$@"'
/**
 * Run the fleet simulator to files: the tenants' fleets from their stack files (or a JSON spec),
 * as fast as the CPU allows, with injected faults and their labels. The same tenants, start, hours
 * and seed give the same files, byte for byte.
 */
import { existsSync, readFileSync } from "node:fs";
import { runCommand, UserError } from "./lib/command.ts";
import { textTable } from "./lib/textTable.ts";
import { SyntheticFleet } from "../edge/syntheticFleet.ts";
import { FleetSpecError, parseTenantFleet, type TenantFleetSpec } from "../edge/fleetSpec.ts";
import { PROJECT_DIR, fleetStacks, readStackFleet } from "../edge/fleetStackFile.ts";
import { FleetFiles, type OutputFormat } from "../edge/fleetOutput.ts";
import { FAULT_KINDS } from "../edge/faultInjection.ts";
import { listOption, notOneOf, numberOption, timeOption } from "./lib/optionValues.ts";

const WINDOW_MS = 10 * 60_000;

function specsFrom(options: { tenant?: string; spec?: string }): TenantFleetSpec[] {
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

await runCommand({
  name: "simulate",
  description: "simulate the tenants' fleets to files: readings per sensor type (JSON lines or CSV), job scans, and the injected faults' labels (labels.jsonl); the same arguments give the same bytes",
  usage: "scripts/simulate.ts --out DIR [--tenant T[,T...]] [--hours N] [--seed S] [--start ISO] [--format jsonl|csv] [--no-faults] [--spec FILE.json]",
  options: {
    out: { type: "string", description: "output folder (one subfolder per tenant)" },
    tenant: { type: "string", description: "tenants to simulate, comma-separated (default: every stack file with a fleet:sites key)" },
    hours: { type: "string", description: "simulated hours", default: "24" },
    seed: { type: "string", description: "seed; the same seed gives the same data", default: "42" },
    start: { type: "string", description: "simulated start (ISO 8601, UTC unless an offset is given)", default: "2026-01-05T00:00:00Z" },
    format: { type: "string", description: "readings file format", choices: ["jsonl", "csv"], default: "jsonl" },
    "no-faults": { type: "boolean", description: "inject no faults (labels.jsonl stays empty)" },
    spec: { type: "string", description: "a JSON fleet spec (one tenant or a list) instead of the stack files" },
    quiet: { type: "boolean", description: "no progress on stderr" },
  },
  examples: [
    "scripts/simulate.ts --tenant acme --hours 24 --seed 7 --out /tmp/sim",
    "scripts/simulate.ts --hours 168 --format csv --out /tmp/week",
    "scripts/simulate.ts --spec big-fleet.json --hours 720 --out /tmp/month --quiet",
  ],
  run: ({ options }) => {
    if (!options.out) throw new UserError("--out DIR is required");
    const hours = numberOption("--hours", options.hours, { above: 0, max: 24 * 366, what: "a number of hours" });
    const seed = numberOption("--seed", options.seed, { integer: true });
    // Strict ISO 8601: `new Date` took "2026" and rolled 2026-02-30 over to March 2.
    const start = timeOption("--start", options.start ?? "");
    const specs = specsFrom(options);
    if (specs.length === 0) throw new UserError(`--spec ${options.spec} holds no fleet`);

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
      console.log(`Files in ${options.out}/<tenant>/: ${FleetFiles.kinds.map((k) => FleetFiles.readingsFile(k, options.format as OutputFormat)).join(", ")}, scans.jsonl, labels.jsonl`);
    } finally {
      files.close();
    }
  },
});
