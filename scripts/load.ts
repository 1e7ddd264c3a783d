#!/usr/bin/env -S npx tsx
/** Load legacy upload files (CSV, JSON) into RAW for a tenant; bad rows go to RAW.QUARANTINE. */
import { extname } from "node:path";
import { existsSync } from "node:fs";
import { runCommand, UserError } from "./lib/command.ts";
import { textTable } from "./lib/textTable.ts";
import { ChannelLanding } from "../pipelines/ingest/channelLanding.ts";
import { loadFile } from "../pipelines/ingest/fileLoad.ts";
import { ensureWritableHome, hubDatabasePath, hubHome } from "../pipelines/hubHome.ts";

await runCommand({
  name: "load",
  description: "load CSV or JSON reading files for a tenant: the sensor contract is detected, every row validated, good rows to RAW, bad rows to QUARANTINE with file, line and reason; the same content loads once",
  usage: "scripts/load.ts --tenant T FILE...",
  options: {
    tenant: { type: "string", description: "tenant the files belong to" },
  },
  examples: ["scripts/load.ts --tenant acme uploads/2026-01-week2.csv uploads/energy.json"],
  run: async ({ options, positionals }) => {
    if (!options.tenant) throw new UserError("--tenant is required");
    if (positionals.length === 0) throw new UserError("name at least one file");
    for (const f of positionals) {
      if (!existsSync(f)) throw new UserError(`${f}: no such file`);
      const ext = extname(f).toLowerCase();
      if (ext === ".xlsx") throw new UserError(`${f}: XLSX is not supported yet (needs the exceljs package); save it as CSV`);
      if (ext !== ".csv" && ext !== ".json") throw new UserError(`${f}: only .csv and .json files are loaded`);
    }
    const home = hubHome();
    ensureWritableHome(home);
    const landing = await ChannelLanding.open(hubDatabasePath(home));
    try {
      const rows = [];
      for (const f of positionals) {
        const r = await loadFile(landing, options.tenant, f);
        rows.push({ file: r.file, contract: r.contract ?? "none", rows: r.rows, loaded: r.loaded, quarantined: r.quarantined, status: r.alreadyLoaded ? "already loaded" : "loaded", sha256: r.sha256.slice(0, 12) });
      }
      console.log(textTable(rows));
    } finally {
      await landing.close();
    }
  },
});
