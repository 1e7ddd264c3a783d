/**
 * Command start-up: the CPU seconds `scripts/X.ts --help` takes, against `scripts/hub.ts --help`
 * (the dispatcher: node, tsx and a listing, nothing else) measured in the same run. A script
 * answers --help, and refuses a flag, before it loads its heavy modules; the ratio shows what it
 * still loads at start. tests/scripts/helpStartup.test.ts checks which modules load; this, how
 * long the rest takes.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { median, type Benchmark, type Figure } from "./harness.ts";

const ROOT = join(import.meta.dirname, "..");
const SCRIPTS = ["serve", "sql", "cost-report", "score", "retrain", "load", "users", "simulate", "archive", "alerts", "provision", "start", "plan", "tenants", "objects"];

function helpCpuSeconds(script: string, dir: string): number {
  const file = join(dir, `${script}.cpu`);
  const r = spawnSync(process.execPath, ["--import", join(ROOT, "bench", "cpuAtExit.mjs"), "--import", "tsx", join(ROOT, "scripts", `${script}.ts`), "--help"], {
    cwd: ROOT, env: { ...process.env, CPU_AT_EXIT_FILE: file }, encoding: "utf8", timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(`scripts/${script}.ts --help exited ${r.status}: ${r.stderr}`);
  return Number(readFileSync(file, "utf8"));
}

export const commandStartupBenchmark: Benchmark = {
  name: "startup",
  description: "command start-up: CPU seconds of each script's --help, against the hub dispatcher's",
  async run({ scale, progress }): Promise<Figure[]> {
    const rounds = scale >= 1 ? 3 : 1;
    const dir = mkdtempSync(join(tmpdir(), "hub-bench-startup-"));
    try {
      const measure = (script: string) => median(Array.from({ length: rounds }, () => helpCpuSeconds(script, dir)));
      progress(`reference: hub --help, ${rounds} round(s)…`);
      const floor = measure("hub");
      const figures: Figure[] = [];
      for (const script of SCRIPTS) {
        progress(`${script} --help…`);
        const s = measure(script);
        figures.push({
          name: `startup.${script}_help_cpu_s`, value: s, unit: "CPU s", description: `scripts/${script}.ts --help, user + system CPU, median of ${rounds}`,
          reference: { name: "hub --help", value: floor, unit: "CPU s" }, ratio: s / floor, ratioMeaning: "times the dispatcher's start-up",
        });
      }
      return figures;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
