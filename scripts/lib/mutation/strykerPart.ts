/**
 * One part of a mutation module, run by StrykerJS in this process: `node --import tsx
 * strykerPart.ts <module> <part index> <concurrency> <summary.json>`. scripts/mutate.ts starts it as
 * a child in its own process group, so that a part past its time budget is stopped with every test
 * process it started.
 *
 * Stryker's `command` runner runs the part's test files with node:test for each mutant (the mutant
 * chosen by __STRYKER_ACTIVE_MUTANT__ in the sandbox's instrumented copy); a non-zero exit kills it.
 * Coverage analysis is off with that runner, so every mutant runs every test of the part.
 */
import { writeFileSync } from "node:fs";
import { Stryker } from "@stryker-mutator/core";
import { MUTATION_MODULES } from "./modules.ts";
import { partSummary } from "./summary.ts";

const [name, index, concurrency, out] = process.argv.slice(2);
const mod = MUTATION_MODULES.find((m) => m.name === name);
const part = mod?.parts[Number(index)];
if (!mod || !part || !out) throw new Error(`strykerPart: no part ${String(index)} of module ${String(name)}`);

const id = `${mod.name}-${index}`;
/** Stryker declares its log levels as a const enum, which this project (isolatedModules) cannot name. */
const WARN = "warn" as NonNullable<NonNullable<ConstructorParameters<typeof Stryker>[0]>["logLevel"]>;
const stryker = new Stryker({
  testRunner: "command",
  commandRunner: {
    // One test process per mutant, its files one at a time: Stryker's concurrency is the parallelism.
    command: `node --import tsx --test --test-concurrency=1 --test-timeout=300000 --test-reporter=dot ${part.tests.join(" ")}`,
  },
  mutate: [...part.mutate],
  concurrency: Number(concurrency),
  coverageAnalysis: "off",
  // A mutant that makes a test loop or wait is a timeout (counted as detected), not a hang.
  timeoutMS: 20_000,
  timeoutFactor: 1.5,
  dryRunTimeoutMinutes: 5,
  reporters: ["json", "progress-append-only"],
  jsonReporter: { fileName: `reports/mutation/${id}.json` },
  tempDirName: `.stryker-tmp/${id}`,
  cleanTempDir: true,
  ignorePatterns: ["/bench/out", "/.scratch", "/.hub", "/reports", "/docs"],
  logLevel: WARN,
});
const results = await stryker.runMutationTest();
writeFileSync(out, JSON.stringify(partSummary(part.mutate, part.tests, results), null, 2));
