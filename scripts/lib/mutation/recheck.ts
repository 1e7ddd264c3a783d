/**
 * Re-check a Stryker report's undecided mutants one at a time, without Stryker:
 * `node --import tsx scripts/lib/mutation/recheck.ts reports/mutation/<part>.json STATUS[,STATUS] TEST_FILE...`
 *
 * Each mutant with one of the statuses (Timeout, Survived) is applied to its source file in the
 * work tree, the test files run with no time limit, and the file is put back. On a shared machine
 * a test run slower than Stryker's timeout is reported as a Timeout, which counts as killed: this
 * tells a mutant that hangs the tests from one that only met a busy machine, and confirms by hand
 * that a survivor survives. A test run past 3 minutes is stopped and reported as a hang. Source
 * files are restored after each mutant (and on Ctrl-C between two of them). Run nothing else in
 * the work tree meanwhile: the mutant is in the source file while its tests run.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";

interface Position {
  line: number;
  column: number;
}
interface Mutant {
  id: string;
  mutatorName: string;
  replacement?: string;
  status: string;
  location: { start: Position; end: Position };
}

/** The source with [start, end) replaced; Stryker's lines and columns count from 1. */
export function applyMutant(source: string, m: Pick<Mutant, "location" | "replacement">): string {
  const offset = (p: Position) => {
    let at = 0;
    for (let line = 1; line < p.line; line++) {
      const nl = source.indexOf("\n", at);
      if (nl < 0) throw new Error(`line ${p.line} is past the end of the source`);
      at = nl + 1;
    }
    return at + p.column - 1;
  };
  return source.slice(0, offset(m.location.start)) + (m.replacement ?? "") + source.slice(offset(m.location.end));
}

async function main(): Promise<void> {
  const [report, statuses, ...tests] = process.argv.slice(2);
  if (!report || !statuses || tests.length === 0) throw new Error("usage: recheck.ts REPORT.json STATUS[,STATUS] TEST_FILE...");
  const wanted = new Set(statuses.split(","));
  const files = (JSON.parse(readFileSync(report, "utf8")) as { files: Record<string, { mutants: Mutant[] }> }).files;
  let restore: (() => void) | null = null;
  process.once("SIGINT", () => {
    restore?.();
    process.exit(130);
  });
  for (const [file, { mutants }] of Object.entries(files)) {
    const original = readFileSync(file, "utf8");
    for (const m of mutants.filter((x) => wanted.has(x.status))) {
      restore = () => writeFileSync(file, original);
      writeFileSync(file, applyMutant(original, m));
      const started = Date.now();
      let r;
      try {
        // A generous bound, not Stryker's: a mutant that loops (i++ made i--) must not hang the re-check.
        r = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=1", "--test-reporter=dot", ...tests], { encoding: "utf8", timeout: 180_000, killSignal: "SIGKILL" });
      } finally {
        restore();
        restore = null;
      }
      const verdict = r.error ? "hangs (killed)" : r.status === 0 ? "SURVIVES" : "killed";
      const where = `${file}:${m.location.start.line}:${m.location.start.column}`;
      console.log(`${verdict}\t${m.status}\t${where}\t${m.mutatorName}\t${(m.replacement ?? "").replace(/\s+/g, " ").slice(0, 100)}\t${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
