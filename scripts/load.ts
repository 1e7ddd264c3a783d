#!/usr/bin/env -S sh -c 'exec node --import "$(dirname "$(realpath "$0")")/lib/tsx.mjs" "$0" "$@"'
/**
 * Load legacy upload files (CSV, JSON, JSON lines, XLSX: readings, job scans or operator notes) into RAW for a
 * tenant that has a stack; rows that do not belong to it, or are bad, go to RAW.QUARANTINE with
 * the reason. A file that cannot be loaded at all is refused whole (nothing of it written) and the
 * others still load; the exit code is then 1.
 */
import { basename, extname, join } from "node:path";
import { existsSync, statSync } from "node:fs";
import { runningServe, type ServeInfo } from "../pipelines/serve/serveFile.ts";
import { uploadFile } from "../pipelines/serve/uploadClient.ts";
import { runCommand, UserError } from "./lib/command.ts";
import { textTable } from "./lib/textTable.ts";
import { tenantStackNames } from "../infra/stackFiles.ts";
import type { FileLoadResult } from "../pipelines/ingest/fileLoad.ts";
import { DEFAULT_BATCH_ROWS, LOADABLE_EXTENSIONS } from "../pipelines/ingest/fileLoadDefaults.ts";
import { ensureWritableHome, hubDatabasePath, hubHome } from "../pipelines/hubHome.ts";
import { PROJECT_DIR } from "./lib/optionValues.ts";

/**
 * Memory a load may use, by DuckDB instance (issue 18: a 1,000,000-row file must load in under
 * 500 MB). The warehouse's instance only appends batches; checkpointing every 64 MB of log (the
 * engine's default is 512 MB, for the pipeline's speed) keeps a large file's landed rows on disk
 * instead of in memory. The file instance streams the file through DuckDB's readers; its JSON
 * reader allocates 32 MB buffers, so it gets 128 MB (the CSV reader is told to use small ones).
 * Measured on a million-row CSV: 525 MB peak with 128 MB / 64 MB here and 8 MB CSV buffers,
 * 440-455 MB with these, and fewer CPU seconds.
 */
const WAREHOUSE_MEMORY = "64MB";
const WAREHOUSE_CHECKPOINT = "64MB";
const FILE_READER_MEMORY = "128MB";

function contractText(r: FileLoadResult): string {
  if (r.alreadyLoaded) return "-";
  return r.sheets && r.sheets.length > 1 ? r.sheets.map((s) => `${s.name}: ${s.contract ?? "none"}`).join("; ") : (r.contract ?? "none");
}

await runCommand({
  name: "load",
  description:
    "load CSV, JSON, JSON-lines (.jsonl, .ndjson) or XLSX files of readings, job scans or operator notes for a tenant: every row is checked (ids, the tenant's sites and devices, the sensor contract's rules); good rows to RAW, the rest to RAW.QUARANTINE with file, line and reason; the same content loads once per tenant, in batches that survive a crash",
  usage: "scripts/load.ts --tenant T [--batch-rows N] [--quiet] FILE...",
  options: {
    tenant: { type: "string", description: "tenant the files belong to: one with a stack file (Pulumi.<tenant>.yaml)" },
    "batch-rows": { type: "string", description: "rows per committed batch (a crash loses at most the batch being written)", default: String(DEFAULT_BATCH_ROWS) },
    quiet: { type: "boolean", description: "no progress on stderr" },
  },
  examples: [
    "scripts/load.ts --tenant acme uploads/2026-01-week2.csv uploads/energy.json",
    "scripts/load.ts --tenant globex uploads/line-3-readings.xlsx",
    "scripts/load.ts --tenant acme /tmp/sim/acme/machine.jsonl /tmp/sim/acme/scans.jsonl",
    "scripts/load.ts --tenant acme shift-notes.csv",
  ],
  run: async ({ options, positionals }) => {
    const tenant = options.tenant;
    if (!tenant) throw new UserError("--tenant is required");
    const tenants = tenantStackNames(PROJECT_DIR);
    if (!tenants.includes(tenant)) throw new UserError(`--tenant ${JSON.stringify(tenant)} has no stack file (Pulumi.${tenant}.yaml); tenants: ${tenants.join(", ") || "none"}`);
    const batchRows = Number(options["batch-rows"]);
    if (!Number.isSafeInteger(batchRows) || batchRows < 1) throw new UserError(`--batch-rows ${JSON.stringify(options["batch-rows"])} must be a whole number of rows, 1 or more`);
    if (positionals.length === 0) throw new UserError("name at least one file");
    for (const f of positionals) {
      if (!existsSync(f) || !statSync(f).isFile()) throw new UserError(`${f}: no such file`);
      const ext = extname(f).toLowerCase();
      if (ext === ".xls") throw new UserError(`${f}: the old binary .xls format is not read; save it as .xlsx (or CSV)`);
      if (!LOADABLE_EXTENSIONS.includes(ext)) throw new UserError(`${f}: only ${LOADABLE_EXTENSIONS.join(", ")} files are loaded`);
    }
    const home = hubHome();
    const served = runningServe(home);
    if (served) return loadThroughServe(served, tenant, positionals);
    ensureWritableHome(home);
    // Loaded once every flag and file is checked: DuckDB, the readers and the fleet's stack files
    // (zod) are a second of start-up that --help or a refusal should not wait for.
    const [{ registeredDevices, tenantMembership }, { EmbeddedEngine }, { ChannelLanding }, { FileIo }, { FileRefusal, loadFile }] = await Promise.all([
      import("../edge/fleetMembership.ts"), import("../pipelines/engine/embeddedEngine.ts"), import("../pipelines/ingest/channelLanding.ts"),
      import("../pipelines/engine/fileIo.ts"), import("../pipelines/ingest/fileLoad.ts"),
    ]);
    // The hub's device registry (provision.ts writes it, the broker reads it).
    const membership = tenantMembership(PROJECT_DIR, tenant, registeredDevices([join(home, "devices.json")]));
    const engine = await EmbeddedEngine.open({ path: hubDatabasePath(home) });
    const settings = await engine.rawConnection();
    await settings.run(`SET memory_limit = '${WAREHOUSE_MEMORY}'`);
    await settings.run(`SET checkpoint_threshold = '${WAREHOUSE_CHECKPOINT}'`);
    settings.closeSync();
    const landing = await ChannelLanding.onEngine(engine);
    const files = await FileIo.open({ tempDirectory: `${hubDatabasePath(home)}.files.tmp`, memoryLimit: FILE_READER_MEMORY });
    const rows: Array<{ file: string; contract: string; rows: number | string; loaded: number | string; quarantined: number | string; status: string; sha256: string }> = [];
    let refused = 0;
    try {
      for (const f of positionals) {
        try {
          const r = await loadFile(landing, tenant, f, {
            files, membership, batchRows,
            progress: options.quiet ? undefined : (p) => process.stderr.write(`load: ${p.file}: ${p.landed.toLocaleString("en")} of ${p.rows.toLocaleString("en")} rows landed\n`),
          });
          const status = r.alreadyLoaded ? "already loaded" : r.earlier > 0 ? `resumed: ${r.earlier} rows landed by an earlier run` : "loaded";
          rows.push({ file: r.file, contract: contractText(r), rows: r.rows, loaded: r.loaded, quarantined: r.quarantined, status, sha256: r.sha256.slice(0, 12) });
        } catch (e) {
          if (!(e instanceof FileRefusal)) throw e;
          refused++;
          console.error(`load: ${e.message}`);
          rows.push({ file: basename(f), contract: "-", rows: "-", loaded: "-", quarantined: "-", status: "refused", sha256: "-" });
        }
      }
    } finally {
      files.close();
      await landing.close();
      await engine.close();
    }
    console.log(textTable(rows));
    const sum = (k: "rows" | "loaded" | "quarantined") => rows.reduce((n, r) => n + (typeof r[k] === "number" ? r[k] : 0), 0);
    const earlier = rows.filter((r) => r.status.startsWith("resumed")).length;
    console.log(
      `\n${rows.length} file(s), ${sum("rows")} rows: ${sum("loaded")} loaded into RAW, ${sum("quarantined")} to RAW.QUARANTINE` +
        `${earlier ? ` (${earlier} file(s) resumed: the rest of their rows were landed by an earlier run)` : ""}, ` +
        `${rows.filter((r) => r.status === "already loaded").length} file(s) already loaded before, ${refused} refused`,
    );
    if (refused > 0) throw new UserError(`${refused} of ${positionals.length} file(s) refused; nothing of them was loaded (reasons above)`);
  },
});

/**
 * While `serve` runs it holds the hub: each file goes to its upload API and lands through the
 * same batch-load path there. The table is the same; progress is the hub's (one line per file).
 */
async function loadThroughServe(served: ServeInfo, tenant: string, paths: readonly string[]): Promise<void> {
  const rows: Array<Record<string, string | number>> = [];
  let refused = 0;
  for (const f of paths) {
    process.stderr.write(`load: ${basename(f)}: sending to the served hub at ${served.http}\n`);
    const { status, body: r } = await uploadFile(served, tenant, f);
    if (status !== 200) {
      if (status !== 422) throw new UserError(`${basename(f)}: the served hub answered ${status}: ${String(r.error ?? "")}`);
      refused++;
      console.error(`load: ${String(r.error)}`);
      rows.push({ file: basename(f), contract: "-", rows: "-", loaded: "-", quarantined: "-", status: "refused", sha256: "-" });
      continue;
    }
    const status2 = r.alreadyLoaded ? "already loaded" : Number(r.earlier) > 0 ? `resumed: ${String(r.earlier)} rows landed by an earlier run` : "loaded";
    rows.push({
      file: String(r.file), contract: r.alreadyLoaded ? "-" : String(r.contract ?? "none"), rows: Number(r.rows), loaded: Number(r.loaded),
      quarantined: Number(r.quarantined), status: status2, sha256: String(r.sha256).slice(0, 12),
    });
  }
  console.log(textTable(rows));
  const sum = (k: string) => rows.reduce((n, r) => n + (typeof r[k] === "number" ? (r[k] as number) : 0), 0);
  console.log(`\n${rows.length} file(s), ${sum("rows")} rows: ${sum("loaded")} loaded into RAW, ${sum("quarantined")} to RAW.QUARANTINE (through the served hub), ${refused} refused`);
  if (refused > 0) throw new UserError(`${refused} of ${paths.length} file(s) refused; nothing of them was loaded (reasons above)`);
}
