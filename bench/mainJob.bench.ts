/**
 * The main job's whole-run figure (issue 8): simulated hours per wall-clock second for the default
 * `npm start` (every tenant stack, 24 simulated hours, default step), against real time (1 simulated
 * hour per 3,600 s) — and where the wall time went, so a regression points at its stage.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_DIR } from "../edge/fleetStackFile.ts";
import { DEFAULT_STEP_MINUTES, runMainJob } from "../scripts/lib/hub/mainJob.ts";
import type { Benchmark, Figure } from "./harness.ts";
import { measureMachineCapacity } from "./machineCapacity.ts";

/** The target: 24 simulated hours in well under a minute. */
const TARGET_HOURS_PER_S = 24 / 60;

export const mainJobBenchmark: Benchmark = {
  name: "main",
  description: "npm start's default run (24 simulated hours × scale, every tenant stack) end to end",
  async run({ scale, progress }) {
    const home = mkdtempSync(join(tmpdir(), "hub-bench-main-"));
    try {
      const hours = 24 * scale;
      let last = 0;
      const r = await runMainJob({
        home, projectDir: PROJECT_DIR, hours, seed: 42, stepMinutes: DEFAULT_STEP_MINUTES, port: 0, fresh: true,
        onStage: progress,
        onProgress: (p) => {
          if (p.done - last >= 0.25) {
            last = p.done;
            progress(`${(p.done * 100).toFixed(0)} % simulated, ${p.published.toLocaleString("en")} readings, ${p.wallSeconds.toFixed(1)} s`);
          }
        },
      });
      const realTime = { name: "real time", value: 1 / 3600, unit: "sim h/s" };
      const split = r.wallSplitSeconds;
      const figures: Figure[] = [
        {
          name: "main.whole_run_speed", value: r.speed.whole, unit: "sim h/s",
          description: `npm start, ${hours} simulated hours for ${r.tenants.length} tenants (${r.edge.published.toLocaleString("en")} readings) in ${r.wallSeconds.toFixed(1)} s`,
          reference: realTime, ratio: r.speed.whole / realTime.value, ratioMeaning: "times faster than real time",
          target: { op: ">=", value: TARGET_HOURS_PER_S, on: "value" },
        },
        {
          name: "main.fleet_phase_speed", value: r.speed.fleet, unit: "sim h/s",
          description: "the fleet phase alone: simulator → gateway → broker → ingest → RAW, task DAG and refreshes",
          reference: realTime, ratio: r.speed.fleet / realTime.value, ratioMeaning: "times faster than real time",
        },
      ];
      for (const [stage, seconds] of Object.entries(split)) {
        figures.push({
          name: `main.wall_share.${stage}`, value: seconds, unit: "s", description: `wall time in the ${stage} stage`,
          reference: { name: "whole run", value: r.wallSeconds, unit: "s" }, ratio: seconds / r.wallSeconds, ratioMeaning: "share of the whole run",
        });
      }
      // After the run, so the probe does not slow it: what overlapping the edge with the tick can buy here.
      progress("probing the machine: one DuckDB query alone, two at once, one beside JSON work…");
      const cap = await measureMachineCapacity();
      figures.push(
        {
          name: "main.machine_parallel_capacity", value: cap.capacity, unit: "cores",
          description: `two single-thread DuckDB queries at once took ${cap.pairMs.toFixed(0)} ms against ${cap.aloneMs.toFixed(0)} ms for one alone (2 = two independent cores)`,
          reference: { name: "two independent cores", value: 2, unit: "cores" }, ratio: cap.capacity / 2, ratioMeaning: "share of two full cores",
        },
        {
          name: "main.duckdb_slowdown_beside_js", value: cap.slowdownBesideJs, unit: "×",
          description: `the same query beside a worker thread encoding and parsing JSON (the edge's kind of work): ${cap.besideJsMs.toFixed(0)} ms against ${cap.aloneMs.toFixed(0)} ms alone (1 = the edge costs the tick nothing)`,
        },
      );
      return figures;
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  },
};
