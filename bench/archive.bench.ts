/**
 * Archive figures on one tenant-day of 1 Hz machine readings (20 machines × 86,400 s = 1.73 M
 * rows; a second tenant's day sits in the same table so the tenant filter does real work):
 *
 * - export throughput of the bronze layer to local Parquet (watermark read, per-day partition
 *   stats, DuckDB's Parquet writer, sha256, manifest, watermark commit), as a ratio to DuckDB's bare
 *   `COPY (SELECT ...) TO ... (FORMAT parquet)` of the same rows with the same options, same run
 *   (target ≥ 0.7). The hub's warehouse instance reads and writes no files (tenant sessions run
 *   there), so its export streams the rows to the hub's file instance, which writes them; the
 *   reference is DuckDB as anyone would use it, one instance with file access, over a byte copy
 *   of the same database file;
 * - restore of that tenant-day into an empty hub (checksum, multiset difference against what the
 *   hub holds, bookkeeping), against a bare `INSERT ... SELECT * FROM read_parquet(...)` of the
 *   same file into another empty hub.
 *
 * Each is the median of three rounds; every export round writes to a new archive location, so it
 * exports the whole day again.
 */
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { DuckDBInstance } from "@duckdb/node-api";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EmbeddedEngine } from "../pipelines/engine/embeddedEngine.ts";
import { SimulatedClock } from "../pipelines/engine/clock.ts";
import { quoteString } from "../pipelines/dialect/index.ts";
import { LocalArchiveStore } from "../pipelines/archive/archiveStore.ts";
import { exportTenant, PARQUET_OPTIONS } from "../pipelines/archive/exportArchive.ts";
import { restoreTenant } from "../pipelines/archive/restoreArchive.ts";
import { archivedTable } from "../pipelines/archive/archivedTables.ts";
import { median, timed, type Benchmark, type Figure } from "./harness.ts";

const MACHINES = 20;
const DAY_SECONDS = 86_400;
const DAY = "2026-01-05";
const ROUNDS = 3;


export const archiveBenchmark: Benchmark = {
  name: "archive",
  description: "export and restore of one tenant-day of 1 Hz readings (20 machines, 1.73 M rows)",
  async run({ scale, progress }): Promise<Figure[]> {
    const dir = mkdtempSync(join(tmpdir(), "hub-bench-archive-"));
    const seconds = Math.max(600, Math.round(DAY_SECONDS * Math.min(1, scale)));
    const rows = MACHINES * seconds;
    // Past the last landing (readings land two seconds after they are taken).
    const asOf = new Date(Date.parse(`${DAY}T00:00:00Z`) + (DAY_SECONDS + 60) * 1000);
    let engine = await EmbeddedEngine.open({ path: join(dir, "hub.duckdb"), clock: new SimulatedClock(asOf) });
    const cols = archivedTable("RAW.SENSOR_READINGS").columns.map((c) => c.name).join(", ");
    try {
      let s = await engine.admin();
      progress(`generating ${(2 * rows).toLocaleString("en")} readings (two tenants' day)…`);
      // Generated inside DuckDB, shaped like the fleet's: the benchmark measures the archive.
      await s.execute(`INSERT INTO RAW.SENSOR_READINGS (${cols})
        SELECT t.tenant, t.tenant || '-s1', t.tenant || '-m' || (i % ${MACHINES}), 'MACHINE',
          TIMESTAMP '${DAY}' + INTERVAL (i // ${MACHINES}) SECOND, i // ${MACHINES},
          t.tenant || '-msg-' || (i // 600), json_object('schema', 'machine/1', 'metrics', json_object(
            'state', CASE WHEN i % 7 = 0 THEN 'IDLE' ELSE 'RUNNING' END, 'period_s', 1, 'cycles', (i % 3) // 2,
            'good_parts', (i % 3) // 2, 'ideal_cycle_s', 45, 'spindle_load_pct', 40 + (i * 13) % 50, 'temperature_c', 55 + (i * 7) % 30)),
          t.tenant || '/0', i, TIMESTAMP '${DAY}' + INTERVAL (i // ${MACHINES}) SECOND + INTERVAL 2 SECOND, 'mqtt'
        FROM range(${rows}) r(i), (VALUES ('acme'), ('globex')) t(tenant)
        ORDER BY 5, 1`);
      await s.execute("CHECKPOINT");
      await s.close();
      // The reference's own copy of the database, for a plain instance (see the module comment).
      await engine.close();
      copyFileSync(join(dir, "hub.duckdb"), join(dir, "reference.duckdb"));
      engine = await EmbeddedEngine.open({ path: join(dir, "hub.duckdb"), clock: new SimulatedClock(asOf) });
      s = await engine.admin();
      const reference = await DuckDBInstance.create(join(dir, "reference.duckdb"));
      const rc = await reference.connect();

      const where = `tenant_id = 'acme' AND ts >= DATE '${DAY}' AND ts < DATE '${DAY}' + INTERVAL 1 DAY`;
      const bare: number[] = [];
      const ours: number[] = [];
      let archiveDir = "";
      for (let round = 1; round <= ROUNDS; round++) {
        progress(`round ${round}/${ROUNDS}: bare COPY TO parquet, then the export…`);
        const ref = join(dir, `bare-${round}.parquet`);
        bare.push((await timed(() => rc.run(`COPY (SELECT ${cols} FROM RAW.SENSOR_READINGS WHERE ${where}) TO ${quoteString(ref)} (${PARQUET_OPTIONS})`))).ms);
        rmSync(ref, { force: true });
        archiveDir = join(dir, `archive-${round}`);
        const store = new LocalArchiveStore(archiveDir);
        const files = await engine.files();
        const r = await timed(() => exportTenant({ session: s, files, store, tenant: "acme", layers: ["bronze"], asOf }));
        const exported = r.result[0]!.rows;
        if (exported !== rows) throw new Error(`the export wrote ${exported} rows, expected ${rows}`);
        ours.push(r.ms);
      }
      await s.close();
      rc.closeSync();
      reference.closeSync();
      const bareRate = rows / (median(bare) / 1000);
      const exportRate = rows / (median(ours) / 1000);

      const restoreMs: number[] = [];
      const insertMs: number[] = [];
      const file = join(archiveDir, `bronze/raw.sensor_readings/tenant=acme/year=2026/month=01/day=05/part-000001.parquet`);
      for (let round = 1; round <= ROUNDS; round++) {
        progress(`round ${round}/${ROUNDS}: restore of the tenant-day into an empty hub, then a bare insert…`);
        for (const kind of ["restore", "insert"] as const) {
          const path = join(dir, `${kind}${round}.duckdb`);
          const fresh = await EmbeddedEngine.open({ path, clock: new SimulatedClock(asOf) });
          if (kind === "restore") {
            const fs = await fresh.admin();
            const r = await timed(async () => restoreTenant({ session: fs, files: await fresh.files(), store: new LocalArchiveStore(archiveDir), tenant: "acme", from: DAY, to: DAY }));
            const n = r.result.tables.find((t) => t.table === "RAW.SENSOR_READINGS")!.restoredRows;
            if (n !== rows) throw new Error(`the restore wrote ${n} rows, expected ${rows}`);
            restoreMs.push(r.ms);
            await fs.close();
            await fresh.close();
          } else {
            // The same empty hub, then a plain instance with file access over it (the reference).
            await fresh.close();
            const plain = await DuckDBInstance.create(path);
            const pc = await plain.connect();
            insertMs.push((await timed(() => pc.run(`INSERT INTO RAW.SENSOR_READINGS (${cols}) SELECT ${cols} FROM read_parquet(${quoteString(file)})`))).ms);
            pc.closeSync();
            plain.closeSync();
          }
        }
      }
      const restoreS = median(restoreMs) / 1000;
      const insertS = median(insertMs) / 1000;
      return [
        {
          name: "archive.export_throughput",
          description: `bronze export of one tenant-day (${rows.toLocaleString("en")} readings) to local Parquet, manifest and watermarks included`,
          value: exportRate,
          unit: "rows/s",
          reference: { name: "bare DuckDB COPY ... TO parquet of the same rows", value: bareRate, unit: "rows/s" },
          ratio: exportRate / bareRate,
          ratioMeaning: "export rows/s / bare COPY rows/s",
          target: { op: ">=", value: 0.7 },
        },
        {
          name: "archive.restore_tenant_day",
          description: `restore of one tenant-day (${rows.toLocaleString("en")} readings) into an empty hub: checksums, de-duplication, bookkeeping`,
          value: restoreS,
          unit: "s",
          reference: { name: "bare INSERT from read_parquet of the same file", value: insertS, unit: "s" },
          ratio: restoreS / insertS,
          ratioMeaning: "restore time / bare insert time",
        },
      ];
    } finally {
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
