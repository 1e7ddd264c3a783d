#!/usr/bin/env -S sh -c 'exec node --import "$(dirname "$(realpath "$0")")/lib/tsx.mjs" "$0" "$@"'
/**
 * `npm run mutate [-- --module NAME]`: mutation testing of the core modules with StrykerJS
 * (issue 26, §3; docs/mutation.md has the scores). Each module's parts run one after another, each
 * in a child process bounded by its time budget (scripts/lib/mutation/modules.ts). Not part of
 * `npm test`: a full run takes the better part of two hours on a 2-core machine.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runCommand, UserError } from "./lib/command.ts";
import { didYouMean } from "./lib/didYouMean.ts";
import { MUTATION_MODULES, type MutationModule } from "./lib/mutation/modules.ts";
import { score, type PartSummary } from "./lib/mutation/summary.ts";

const NAMES = MUTATION_MODULES.map((m) => m.name);
const root = fileURLToPath(new URL("..", import.meta.url));
const partScript = fileURLToPath(new URL("./lib/mutation/strykerPart.ts", import.meta.url));

/** One part in its own process group; stopped (the group killed) when its budget runs out. */
function runPart(mod: MutationModule, index: number, concurrency: number): Promise<PartSummary> {
  const part = mod.parts[index]!;
  const out = `${root}reports/mutation/${mod.name}-${index}.summary.json`;
  rmSync(out, { force: true });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", partScript, mod.name, String(index), String(concurrency), out], {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
      detached: true,
    });
    // Stryker's progress lines, passed through; the last one is what a stopped part had tested.
    let progress: { tested: number; total: number; survived: number } | null = null;
    child.stdout!.setEncoding("utf8").on("data", (text: string) => {
      process.stdout.write(text);
      for (const m of text.matchAll(/(\d+)\/(\d+) tested \((\d+) survived/g)) progress = { tested: Number(m[1]), total: Number(m[2]), survived: Number(m[3]) };
    });
    let stopped: string | undefined;
    const timer = setTimeout(() => {
      stopped = `stopped after its budget of ${part.budgetMinutes} min`;
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        /* already gone */
      }
    }, part.budgetMinutes * 60_000);
    // Ctrl-C stops the part's whole group, not only this process.
    const interrupt = () => {
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        /* already gone */
      }
      process.exit(130);
    };
    process.once("SIGINT", interrupt);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      process.off("SIGINT", interrupt);
      if (stopped) {
        // Stopped: the mutants tested so far (Stryker's order, file by file) are a partial result.
        const p = progress as { tested: number; total: number; survived: number } | null;
        const partial = p ? `; ${p.tested} of ${p.total} mutants tested, ${p.survived} survived` : "";
        return resolve({ mutate: part.mutate, tests: part.tests, counts: {}, detected: p ? p.tested - p.survived : 0, valid: p ? p.tested : 0, survivors: [], stopped: `${stopped}${partial}` });
      }
      if (code !== 0) return reject(new Error(`${mod.name} part ${index}: Stryker exited with ${code}`));
      resolve(JSON.parse(readFileSync(out, "utf8")) as PartSummary);
    });
  });
}

const pct = (v: number | null) => (v === null ? "–" : `${v.toFixed(1)} %`);

await runCommand({
  name: "mutate",
  description: "mutation testing of the core modules with StrykerJS (reports in reports/mutation/, scores in docs/mutation.md)",
  usage: "npm run mutate -- [--module NAME]... [--part N] [--concurrency 1|2] [--list]",
  options: {
    module: { type: "string", description: `a module to mutate, repeatable (default: all of ${NAMES.join(", ")})`, multiple: true },
    concurrency: { type: "string", description: "test processes at once", choices: ["1", "2"], default: "2" },
    part: { type: "string", description: "only this part of the module (1, 2, ...; see --list): one Stryker run where a module has several" },
    list: { type: "boolean", description: "list the modules, their source and their tests" },
  },
  examples: ["npm run mutate -- --module gate", "npm run mutate -- --module metric-rules --module billing", "npm run mutate -- --module tenant-guard --part 1 --concurrency 1", "npm run mutate -- --list"],
  run: async ({ options }) => {
    for (const n of options.module ?? []) {
      if (!NAMES.includes(n)) throw new UserError(`--module ${JSON.stringify(n)} is not a module; the modules are ${NAMES.join(", ")}${didYouMean(n, NAMES)}`);
    }
    // In the order asked for: a run that may be stopped does the most wanted first.
    const chosen = options.module?.length ? [...new Set(options.module)].map((n) => MUTATION_MODULES.find((m) => m.name === n)!) : MUTATION_MODULES;
    let only: number | null = null;
    if (options.part !== undefined) {
      only = Number(options.part);
      const most = Math.min(...chosen.map((m) => m.parts.length));
      if (!Number.isInteger(only) || only < 1 || only > most) throw new UserError(`--part ${JSON.stringify(options.part)} is not a part of ${chosen.map((m) => m.name).join(", ")}: a whole number from 1 to ${most}`);
    }
    if (options.list) {
      for (const m of chosen) {
        console.log(`${m.name}: ${m.description}`);
        m.parts.forEach((p, i) => console.log(`  part ${i + 1}: mutate ${p.mutate.join(", ")}\n          tests  ${p.tests.join(", ")} (budget ${p.budgetMinutes} min)`));
      }
      return;
    }
    mkdirSync(`${root}reports/mutation`, { recursive: true });
    const rows: string[] = [];
    let below = 0;
    for (const m of chosen) {
      let detected = 0;
      let valid = 0;
      const notes: string[] = [];
      for (let i = 0; i < m.parts.length; i++) {
        if (only !== null && i !== only - 1) continue;
        const s = await runPart(m, i, Number(options.concurrency));
        detected += s.detected;
        valid += s.valid;
        if (s.stopped) notes.push(`part ${i + 1} ${s.stopped}`);
        for (const v of s.survivors) console.log(`survived  ${m.name}  ${v.where}  ${v.mutator}  ${v.replacement.replace(/\s+/g, " ")}`);
      }
      const sc = score(detected, valid);
      if (sc === null || sc < 80 || notes.length) below++;
      rows.push(`| ${m.name}${only !== null ? ` part ${only}` : ""} | ${detected} / ${valid} | ${pct(sc)} |${notes.length ? ` ${notes.join("; ")}` : ""}`);
      writeFileSync(`${root}reports/mutation/${m.name}${only !== null ? `-part${only}` : ""}.score.json`, JSON.stringify({ module: m.name, part: only, detected, valid, score: sc, notes, at: new Date().toISOString() }, null, 2));
    }
    console.log(["", "| module | detected / mutants | score |", "| --- | --- | --- |", ...rows].join("\n"));
    // Below the target (80 %) or stopped: exit 3, so a run in a script notices.
    if (below > 0) process.exitCode = 3;
  },
});
