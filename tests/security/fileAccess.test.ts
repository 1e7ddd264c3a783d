/**
 * Defence in depth: the warehouse's DuckDB instance, where tenant sessions run, cannot touch the
 * file system even when the tenant guard is bypassed entirely (these statements go straight to a
 * connection of that instance). The hub's own file work still runs, on its file instance.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import { SimulatedClock } from "../../pipelines/engine/clock.ts";
import { LocalArchiveStore } from "../../pipelines/archive/archiveStore.ts";
import { exportTenant } from "../../pipelines/archive/exportArchive.ts";
import { loadFixture } from "../pipelines/fixture.ts";
import { tenantHub, type TenantHub } from "./tenantHub.ts";

describe("the warehouse instance has no file access", () => {
  let hub: TenantHub;
  let raw: DuckDBConnection;
  before(async () => {
    hub = await tenantHub();
    raw = await hub.engine.rawConnection();
  });
  after(async () => {
    raw.closeSync();
    await hub.engine.close();
    rmSync(hub.secretsDir, { recursive: true, force: true });
  });

  it("refuses every file read, write, attach and extension load, with the guard out of the way", async () => {
    const f = hub.files;
    const out = join(hub.secretsDir, "written");
    const statements = [
      `SELECT * FROM '${f.parquet}'`, `SELECT * FROM '${f.glob}'`, `SELECT * FROM '${f.csv}'`, `SELECT * FROM '${f.json}'`, `SELECT * FROM '${f.jsonl}'`,
      `SELECT * FROM read_parquet('${f.parquet}')`, `SELECT * FROM read_csv('${f.csv}')`, `SELECT * FROM read_json('${f.json}')`,
      `SELECT * FROM read_text('${f.devices}')`, `SELECT * FROM read_blob('${f.devices}')`, `SELECT * FROM glob('${hub.secretsDir}/*')`,
      `SELECT * FROM parquet_metadata('${f.parquet}')`, `SELECT * FROM sniff_csv('${f.csv}')`, "SELECT * FROM read_text('/etc/passwd')",
      `COPY (SELECT 1) TO '${out}.csv'`, `COPY RAW.SENSOR_READINGS TO '${out}.parquet' (FORMAT parquet)`, `EXPORT DATABASE '${out}'`,
      `ATTACH '${out}.duckdb' AS stolen`, `ATTACH '${f.parquet}' AS stolen`, "INSTALL httpfs", "LOAD httpfs",
      "SET enable_external_access = true", `SET allowed_directories = ['${hub.secretsDir}']`, `SET allowed_paths = ['${f.parquet}']`,
    ];
    const ran: string[] = [];
    for (const sql of statements) {
      try {
        await raw.run(sql);
        ran.push(sql);
      } catch (e) {
        assert.match((e as Error).message, /Permission Error|disabled by configuration|Cannot (enable external access|change allowed)|not allowed|Catalog Error/, sql);
      }
    }
    assert.deepEqual(ran, []);
    assert.deepEqual(readdirSync(hub.secretsDir).filter((n) => n.startsWith("written")), [], "nothing was written");
    // And it stays off for the instance's life, whoever asks.
    assert.equal((await raw.runAndReadAll("SELECT current_setting('enable_external_access') AS v")).getRowObjectsJS()[0]!.v, false);
  });
});

describe("the hub's own file work runs beside it", () => {
  let dir: string;
  let engine: EmbeddedEngine;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "hub-fileio-"));
    const clock = new SimulatedClock("2026-01-05T08:00:00Z");
    engine = await EmbeddedEngine.open({ path: join(dir, "hub.duckdb"), clock });
    await loadFixture(engine, clock);
  });
  after(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("exports a tenant's bronze to Parquet through the file instance, which the warehouse instance cannot read back", async () => {
    const s = await engine.admin();
    const store = new LocalArchiveStore(join(dir, "archive"));
    const [run] = await exportTenant({ session: s, files: await engine.files(), store, tenant: "acme", layers: ["bronze"], asOf: new Date("2026-01-05T10:00:00Z") });
    await s.close();
    assert.ok(run!.files > 0 && run!.rows > 0);
    const key = run!.tables.find((t) => t.files > 0)!;
    assert.ok(key);
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) e.isDirectory() ? walk(join(d, e.name)) : files.push(join(d, e.name));
    };
    walk(join(dir, "archive"));
    const parquet = files.find((p) => p.endsWith(".parquet"))!;
    assert.ok(existsSync(parquet));
    const raw = await engine.rawConnection();
    await assert.rejects(raw.run(`SELECT * FROM '${parquet}'`), /Permission Error|disabled by configuration|does not exist/);
    raw.closeSync();
  });
});
