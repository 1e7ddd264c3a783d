#!/usr/bin/env -S sh -c 'exec node --import "$(dirname "$(realpath "$0")")/lib/tsx.mjs" "$0" "$@"'
/** Load legacy upload files (CSV, XLSX, JSON) into RAW for a tenant; bad rows go to RAW.QUARANTINE. */
import { extname } from "node:path";
import { existsSync } from "node:fs";
import { runCommand, UserError } from "./lib/command.ts";
import { textTable } from "./lib/textTable.ts";
import { ChannelLanding } from "../pipelines/ingest/channelLanding.ts";
import { LOADABLE_EXTENSIONS, loadFile } from "../pipelines/ingest/fileLoad.ts";
import { ensureWritableHome, hubDatabasePath, hubHome } from "../pipelines/hubHome.ts";

await runCommand({
  name: "load",
  description: "load CSV, XLSX or JSON reading files for a tenant: the sensor contract is detected (per worksheet for XLSX), every row validated, good rows to RAW, bad rows to QUARANTINE with file, line and reason; the same content loads once",
  usage: "scripts/load.ts --tenant T FILE...",
  options: {
    tenant: { type: "string", description: "tenant the files belong to" },
  },
  examples: ["scripts/load.ts --tenant acme uploads/2026-01-week2.csv uploads/energy.json", "scripts/load.ts --tenant globex uploads/line-3-readings.xlsx"],
  run: async ({ options, positionals }) => {
    if (!options.tenant) throw new UserError("--tenant is required");
    if (positionals.length === 0) throw new UserError("name at least one file");
    for (const f of positionals) {
      if (!existsSync(f)) throw new UserError(`${f}: no such file`);
      const ext = extname(f).toLowerCase();
      if (ext === ".xls") throw new UserError(`${f}: the old binary .xls format is not read; save it as .xlsx (or CSV)`);
      if (!(LOADABLE_EXTENSIONS as readonly string[]).includes(ext)) throw new UserError(`${f}: only ${LOADABLE_EXTENSIONS.join(", ")} files are loaded`);
    }
    const home = hubHome();
    ensureWritableHome(home);
    const landing = await ChannelLanding.open(hubDatabasePath(home));
    try {
      const rows: Array<{ file: string; contract: string; rows: number; loaded: number; quarantined: number; status: string; sha256: string }> = [];
      for (const f of positionals) {
        let r;
        try {
          r = await loadFile(landing, options.tenant, f);
        } catch (e) {
          // A file that cannot be read at all (broken JSON or workbook) is the user's to fix.
          if (e instanceof Error && (e instanceof SyntaxError || e.message.startsWith(f))) throw new UserError(e.message);
          throw e;
        }
        const contract = r.sheets && r.sheets.length > 1 ? r.sheets.map((s) => `${s.name}: ${s.contract ?? "none"}`).join("; ") : (r.contract ?? "none");
        rows.push({ file: r.file, contract, rows: r.rows, loaded: r.loaded, quarantined: r.quarantined, status: r.alreadyLoaded ? "already loaded" : "loaded", sha256: r.sha256.slice(0, 12) });
      }
      console.log(textTable(rows));
      const sum = (k: "rows" | "loaded" | "quarantined") => rows.reduce((n, r) => n + r[k], 0);
      console.log(`\n${rows.length} file(s), ${sum("rows")} rows: ${sum("loaded")} loaded into RAW, ${sum("quarantined")} to RAW.QUARANTINE, ${rows.filter((r) => r.status === "already loaded").length} file(s) already loaded before`);
    } finally {
      await landing.close();
    }
  },
});
