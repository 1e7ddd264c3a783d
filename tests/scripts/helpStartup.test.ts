/**
 * `scripts/X.ts --help` and a refused flag answer before the script loads its heavy modules
 * (DuckDB, the SQL transpiler's WebAssembly, the MQTT broker and client, the AWS SDK, the trainers,
 * the hub service): each is seconds of start-up a user waited for, and the refusal tests spawn the
 * scripts dozens of times. A flag refused by the parser (unknown option, a value not among its
 * choices) takes the same path as --help, before `run`. How long each takes is a benchmark
 * (docs/performance.md, "Command start-up"); this checks what loads, which does not vary with the
 * machine.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const ROOT = join(import.meta.dirname, "..", "..");

/**
 * Packages that --help must not load, each with why it is heavy. Matched on the package's folder
 * in node_modules, so a package loaded through another is caught too.
 */
const HEAVY_PACKAGES: Readonly<Record<string, string>> = {
  "@duckdb/node-api": "DuckDB's native binding",
  "@polyglot-sql/sdk": "the SQL transpiler's WebAssembly",
  aedes: "the MQTT broker",
  mqtt: "the MQTT client",
  "@aws-sdk": "the AWS SDK's clients",
  "@smithy": "the AWS SDK's runtime",
  "snowflake-sdk": "the Snowflake driver",
  "@pulumi": "the Pulumi SDK and providers",
  zod: "the schema library of the fleet's stack files and the archive's manifests, a third of a CPU second",
  "node-forge": "the local CA's X.509 code",
  nodemailer: "the e-mail sender",
  exceljs: "the workbook reader",
  vega: "the chart renderer",
  "vega-lite": "the chart renderer",
  vite: "the portal's bundler",
};

/** The project's own heavy modules: what each script loads once its flags are checked. */
const HEAVY_MODULES = [
  "pipelines/engine/embeddedEngine.ts",
  "scripts/lib/hub/mainJob.ts",
  "scripts/lib/serve/hubService.ts",
  "ml/retrainFlow.ts",
  "ml/trainers/",
  "pipelines/sql/snowflakeSession.ts",
  "infra/offline.ts",
];

/**
 * sagemaker-images.ts imports node's modules only and exits the process on --help (it is a code
 * generator, without the command runner), so it cannot share this process with the others.
 */
const NOT_IN_PROCESS = new Set(["sagemaker-images"]);

const run = promisify(execFile);

function heavyIn(url: string): string | undefined {
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
  if (pkg !== undefined) return Object.keys(HEAVY_PACKAGES).find((h) => pkg === h || pkg.startsWith(`${h}/`));
  return HEAVY_MODULES.find((m) => url.includes(`/${m}`));
}

describe("a script's --help loads none of the heavy modules", () => {
  it("every script in scripts/ prints its usage and loads no heavy package or module", async () => {
    const scripts = readdirSync(join(ROOT, "scripts")).filter((f) => f.endsWith(".ts")).map((f) => f.slice(0, -3)).filter((s) => !NOT_IN_PROCESS.has(s)).sort();
    const { stdout } = await run(process.execPath, ["--import", "tsx", join(ROOT, "tests", "scripts", "fixtures", "helpImports.ts"), ...scripts], { cwd: ROOT, timeout: 120_000 });
    const results = JSON.parse(stdout) as Array<{ script: string; printedUsage: boolean; loaded: string[] }>;
    assert.deepEqual(results.map((r) => r.script), scripts, "each script ran its --help (one that exits the process ends the list)");
    const problems: string[] = [];
    for (const r of results) {
      if (!r.printedUsage) problems.push(`${r.script}: --help printed no usage`);
      const heavy = new Map<string, string>();
      for (const url of r.loaded) {
        const h = heavyIn(url);
        if (h !== undefined && !heavy.has(h)) heavy.set(h, url);
      }
      for (const [h, url] of heavy) problems.push(`${r.script} --help loaded ${h}${HEAVY_PACKAGES[h] ? ` (${HEAVY_PACKAGES[h]})` : ""}: ${url}`);
    }
    assert.deepEqual(problems, []);
  });
});
