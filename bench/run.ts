#!/usr/bin/env -S npx tsx
/** `npm run bench -- [--only NAME] [--json] [--scale F]`: run the benchmarks and print their figures. */
import { runCommand, UserError } from "../scripts/lib/command.ts";
import { BENCHMARKS } from "./registry.ts";
import { formatFigures, meetsTarget, type Figure } from "./harness.ts";

await runCommand({
  name: "bench",
  description: "run the benchmarks; every figure is compared with a reference measured in the same run",
  usage: "npm run bench -- [--only NAME] [--json] [--scale F]",
  options: {
    only: { type: "string", description: `run one benchmark (${BENCHMARKS.map((b) => b.name).join(", ")})` },
    json: { type: "boolean", description: "print one JSON object of named figures" },
    scale: { type: "string", description: "data size factor (1 = the issues' sizes; 0.1 for a quick look)", default: "1" },
  },
  examples: ["npm run bench", "npm run bench -- --only warehouse --scale 0.1", "npm run bench -- --json > bench.json"],
  run: async ({ options }) => {
    const scale = Number(options.scale);
    if (!(scale > 0 && scale <= 10)) throw new UserError(`--scale ${JSON.stringify(options.scale)} must be a number in (0, 10]`);
    const chosen = options.only ? BENCHMARKS.filter((b) => b.name === options.only) : BENCHMARKS;
    if (chosen.length === 0) throw new UserError(`--only ${JSON.stringify(options.only)} is not a benchmark (${BENCHMARKS.map((b) => b.name).join(", ")})`);
    const figures: Figure[] = [];
    for (const b of chosen) {
      const progress = (msg: string) => process.stderr.write(`[${b.name}] ${msg}\n`);
      progress(b.description);
      figures.push(...(await b.run({ scale, progress })));
    }
    if (options.json) {
      console.log(JSON.stringify({ scale, node: process.version, figures: Object.fromEntries(figures.map((f) => [f.name, { ...f, meetsTarget: meetsTarget(f) }])) }, null, 2));
    } else {
      console.log(formatFigures(figures));
    }
  },
});
