/**
 * The archive on local disk, end to end on real DuckDB: incremental export to Parquet with
 * manifests and watermarks, interrupted runs, disaster-recovery restore into an empty hub,
 * backfill into a live hub, verification, corruption and tenant confinement.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { SENSOR_READINGS_NORMALIZED } from "../../pipelines/definitions/silver.ts";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import { FileIo } from "../../pipelines/engine/fileIo.ts";
import { SimulatedClock } from "../../pipelines/engine/clock.ts";
import type { DuckDbWarehouse } from "../../pipelines/warehouse/duckdbWarehouse.ts";
import { readFiles } from "../helpers/readFiles.ts";
import { LocalArchiveStore } from "../../pipelines/archive/archiveStore.ts";
import { exportTenant, WATERMARKS, RUNS } from "../../pipelines/archive/exportArchive.ts";
import { restoreTenant } from "../../pipelines/archive/restoreArchive.ts";
import { verifyArchive } from "../../pipelines/archive/verifyArchive.ts";
import { CorruptArchiveError } from "../../pipelines/archive/archiveReader.ts";
import { parseManifest } from "../../pipelines/archive/manifest.ts";
import { parseDataKey, tenantPrefixes } from "../../pipelines/archive/archiveKeys.ts";
import { LAYERS } from "../../pipelines/archive/archivedTables.ts";
import { ARCHIVE_ID_KEY, readArchiveId } from "../../pipelines/archive/archiveIdentity.ts";
import { adminQuery } from "../helpers/engine.ts";
import { fixtureBatch, fixtureHub } from "./archiveFixture.ts";
import { DERIVED_TABLES, assertSameRows, count, localArchive, tenantRows } from "./archiveHelpers.ts";

const ALL = [...LAYERS];

describe("archive on local disk", () => {
  let hub: EmbeddedEngine;
  let clock: SimulatedClock;
  let session: DuckDbWarehouse;
  let files: FileIo;
  const dirs: string[] = [];
  const engines: EmbeddedEngine[] = [];
  const tmp = (name: string) => {
    const d = mkdtempSync(join(tmpdir(), `hub-archive-${name}-`));
    dirs.push(d);
    return d;
  };
  const freshHub = async () => {
    const e = await EmbeddedEngine.open({ clock: new SimulatedClock(clock.now()) });
    engines.push(e);
    return e;
  };
  let fullDir: string;

  before(async () => {
    files = await FileIo.open();
    ({ engine: hub, clock } = await fixtureHub(120, { batch: 20 }));
    session = await hub.admin();
    fullDir = tmp("full");
    await exportTenant({ files, session, store: new LocalArchiveStore(fullDir), tenant: "acme", layers: ALL, asOf: clock.now() });
  });
  after(async () => {
    files.close();
    await session.close();
    for (const e of [hub, ...engines]) await e.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("writes Parquet per layer, table, tenant and day, with a manifest whose counts and checksums match the files and the warehouse", async () => {
    const files = localArchive(fullDir);
    const manifests = [...files.keys()].filter((k) => k.startsWith("manifests/"));
    assert.deepEqual(manifests.sort(), ["manifests/tenant=acme/bronze/run-000001.json", "manifests/tenant=acme/gold/run-000001.json", "manifests/tenant=acme/silver/run-000001.json"]);
    const bronze = parseManifest(readFileSync(join(fullDir, manifests[0]!), "utf8"), manifests[0]!);
    const readings = bronze.tables.find((t) => t.table === "RAW.SENSOR_READINGS")!;
    assert.deepEqual(readings.files.map((f) => f.key), [
      "bronze/raw.sensor_readings/tenant=acme/year=2026/month=01/day=05/part-000001.parquet",
      "bronze/raw.sensor_readings/tenant=acme/year=2026/month=01/day=06/part-000001.parquet",
    ]);
    assert.equal(readings.watermark.from, null);
    assert.equal(readings.watermark.to, clock.now().toISOString());
    // Counts: the manifest, the Parquet file (read back by DuckDB) and the warehouse agree,
    // QoS 1 redeliveries included (bronze keeps what arrived).
    assert.equal(readings.files.reduce((a, f) => a + f.rows, 0), await count(hub, "RAW.SENSOR_READINGS", "acme"));
    for (const t of bronze.tables) {
      for (const f of t.files) {
        assert.equal(f.sha256, files.get(f.key), `${f.key} checksum`);
        const [r] = await readFiles<{ n: number; lo: Date; hi: Date }>(
          `SELECT COUNT(*) AS n, MIN(${t.dayColumn}) AS lo, MAX(${t.dayColumn}) AS hi FROM read_parquet('${join(fullDir, f.key)}')`,
        );
        assert.equal(Number(r!.n), f.rows, `${f.key} rows`);
        assert.equal(r!.lo.toISOString(), f.minTs);
        assert.equal(r!.hi.toISOString(), f.maxTs);
        assert.equal(parseDataKey(f.key)!.day, r!.lo.toISOString().slice(0, 10), "rows sit in their event day's partition");
      }
    }
    // Low-cardinality text goes out as an ENUM of the file's values (faster to write); it reads back
    // as the same text, row for row.
    const silverKey = manifests.find((k) => k.includes("/silver/"))!;
    const silver = parseManifest(readFileSync(join(fullDir, silverKey), "utf8"), silverKey);
    const normalized = silver.tables.find((t) => t.table === "CORE.SENSOR_READINGS_NORMALIZED")!;
    for (const f of normalized.files) {
      const path = join(fullDir, f.key);
      const types = await readFiles<{ column_name: string; column_type: string }>(`DESCRIBE SELECT tenant_id, device_id, metric, value_text FROM read_parquet('${path}')`);
      assert.deepEqual(types.map((x) => x.column_type), ["VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR"], f.key);
      const cols = SENSOR_READINGS_NORMALIZED.columns.map((c) => c.name).join(", ");
      // Every archived row is a warehouse row, compared as a multiset of whole rows.
      const key = (r: Record<string, unknown>) => JSON.stringify(SENSOR_READINGS_NORMALIZED.columns.map((c) => (r[c.name] instanceof Date ? (r[c.name] as Date).toISOString() : r[c.name])));
      const warehouse = new Map<string, number>();
      for (const r of await session.query(`SELECT ${cols} FROM CORE.SENSOR_READINGS_NORMALIZED WHERE tenant_id = 'acme'`)) warehouse.set(key(r), (warehouse.get(key(r)) ?? 0) + 1);
      const archived = await readFiles(`SELECT ${cols} FROM read_parquet('${path}')`);
      assert.equal(archived.length, f.rows, `${f.key} rows`);
      for (const r of archived) {
        const n = warehouse.get(key(r)) ?? 0;
        assert.ok(n > 0, `${f.key}: archived row ${key(r)} is a warehouse row`);
        warehouse.set(key(r), n - 1);
      }
    }
    // Ingest-time refusals are archived; the validate task's refusals are not (it recreates them).
    const q = bronze.tables.find((t) => t.table === "RAW.QUARANTINE")!;
    const [ingestRefusals] = await session.query<{ n: number }>("SELECT COUNT(*) AS n FROM RAW.QUARANTINE WHERE tenant_id = 'acme' AND source <> 'validate'");
    assert.ok(Number(ingestRefusals!.n) > 0);
    assert.equal(q.files.reduce((a, f) => a + f.rows, 0), Number(ingestRefusals!.n));
    const [wm] = await session.query<{ watermark: Date; run_id: string }>(
      `SELECT watermark, run_id FROM ${WATERMARKS} WHERE archive = ? AND tenant_id = 'acme' AND table_name = 'RAW.SENSOR_READINGS'`,
      { binds: [await readArchiveId(new LocalArchiveStore(fullDir))] },
    );
    assert.deepEqual(wm, { watermark: clock.now(), run_id: "bronze-000001" });
  });

  it("an export for one tenant writes nothing outside that tenant's prefixes", () => {
    const prefixes = tenantPrefixes("acme");
    const keys = [...localArchive(fullDir).keys()].filter((k) => k !== ARCHIVE_ID_KEY);
    assert.ok(keys.length > 10);
    for (const k of keys) {
      assert.ok(prefixes.some((p) => k.startsWith(p)), `${k} is under acme's prefixes`);
      assert.ok(!k.includes("globex"), k);
    }
  });

  it("an export interrupted after some files, or after its manifest, re-runs to the same files and counts as one uninterrupted run", async () => {
    const dir = tmp("interrupted");
    const store = new LocalArchiveStore(dir);
    let written = 0;
    const stopAtThirdFile = (e: { kind: string }) => {
      if (e.kind === "file" && ++written === 3) throw new Error("power cut");
    };
    await assert.rejects(exportTenant({ files, session, store, tenant: "acme", layers: ALL, asOf: clock.now(), checkpoint: stopAtThirdFile }), /power cut/);
    const stopAtManifest = (e: { kind: string }) => {
      if (e.kind === "manifest") throw new Error("power cut");
    };
    await assert.rejects(exportTenant({ files, session, store, tenant: "acme", layers: ALL, asOf: clock.now(), checkpoint: stopAtManifest }), /power cut/);
    // The first layer's manifest is written but its watermarks did not advance.
    assert.equal((await session.query(`SELECT * FROM ${RUNS} WHERE archive IN (?, ?)`, { binds: [await readArchiveId(store), store.location] })).length, 0);
    const rerun = await exportTenant({ files, session, store, tenant: "acme", layers: ALL, asOf: clock.now() });
    assert.deepEqual(rerun.map((r) => r.runId), ["bronze-000001", "silver-000001", "gold-000001"]);

    const uninterrupted = localArchive(fullDir);
    const resumed = localArchive(dir);
    const data = (m: Map<string, string>) => [...m].filter(([k]) => !k.startsWith("manifests/") && k !== ARCHIVE_ID_KEY).sort();
    assert.deepEqual(data(resumed), data(uninterrupted), "same data files, byte for byte");
    for (const k of [...uninterrupted.keys()].filter((k) => k.startsWith("manifests/"))) {
      const strip = (dirName: string) => ({ ...JSON.parse(readFileSync(join(dirName, k), "utf8")), archive: null });
      assert.deepEqual(strip(dir), strip(fullDir), `${k} has the same files, counts and ranges`);
    }
    const report = await verifyArchive({ store, session });
    assert.deepEqual(report.problems, [], "nothing left over from the interrupted runs");
  });

  it("restoring bronze into an empty hub rebuilds silver and gold row for row, and the restored hub continues the archive", async () => {
    const dr = await freshHub();
    const drSession = await dr.admin();
    const report = await restoreTenant({ files, session: drSession, store: new LocalArchiveStore(fullDir), tenant: "acme", from: "2026-01-05", to: "2026-01-06" });
    const byTable = Object.fromEntries(report.tables.map((t) => [t.table, t]));
    assert.equal(byTable["RAW.SENSOR_READINGS"]!.restoredRows, await count(hub, "RAW.SENSOR_READINGS", "acme"));
    assert.equal(byTable["RAW.JOB_SCANS"]!.restoredRows, await count(hub, "RAW.JOB_SCANS", "acme"));
    const [ingestRefusals] = await adminQuery<{ n: number }>(hub, "SELECT COUNT(*) AS n FROM RAW.QUARANTINE WHERE tenant_id = 'acme' AND source <> 'validate'");
    assert.equal(byTable["RAW.QUARANTINE"]!.restoredRows, Number(ingestRefusals!.n));
    assert.equal(report.learnedRuns, 3);
    await dr.tick();
    for (const t of DERIVED_TABLES) assertSameRows(await tenantRows(dr, t, "acme"), await tenantRows(hub, t, "acme"), t);
    assert.equal(await count(dr, "RAW.QUARANTINE", "acme"), await count(hub, "RAW.QUARANTINE", "acme"), "the validate task refused the same readings again");
    assert.equal(await count(dr, "CORE.SENSOR_READINGS_NORMALIZED", "globex"), 0, "only the restored tenant");
    // The hub learned the archive's watermarks and day fingerprints: nothing is archived twice.
    const again = await exportTenant({ files, session: drSession, store: new LocalArchiveStore(fullDir), tenant: "acme", layers: ALL, asOf: new Date(clock.now().getTime() + 60_000) });
    assert.deepEqual(again.map((r) => [r.layer, r.files]), [["bronze", 0], ["silver", 0], ["gold", 0]]);
    await drSession.close();
  });

  it("backfills a live hub after an outage without duplicating the rows it already has", async () => {
    const live = await freshHub();
    const s = await live.admin();
    const store = new LocalArchiveStore(fullDir);
    await restoreTenant({ files, session: s, store, tenant: "acme", from: "2026-01-05", to: "2026-01-05" });
    await live.tick();
    const day5 = await count(live, "RAW.SENSOR_READINGS", "acme");
    const backfill = await restoreTenant({ files, session: s, store, tenant: "acme", from: "2026-01-05", to: "2026-01-06" });
    const readings = backfill.tables.find((t) => t.table === "RAW.SENSOR_READINGS")!;
    assert.equal(readings.archivedRows - readings.restoredRows, day5, "day 5 rows were already there");
    assert.equal(await count(live, "RAW.SENSOR_READINGS", "acme"), await count(hub, "RAW.SENSOR_READINGS", "acme"), "redeliveries kept once each, nothing doubled");
    const twice = await restoreTenant({ files, session: s, store, tenant: "acme", from: "2026-01-05", to: "2026-01-06" });
    assert.deepEqual(twice.tables.map((t) => t.restoredRows), [0, 0, 0]);
    await live.runUntil(new Date(clock.now().getTime() + 5 * 60_000));
    for (const t of DERIVED_TABLES) assertSameRows(await tenantRows(live, t, "acme"), await tenantRows(hub, t, "acme"), t);
    await s.close();
  });

  it("verify finds a flipped byte, a missing and an extra file, and restore refuses a corrupt file and restores nothing", async () => {
    const dir = tmp("damaged");
    cpSync(fullDir, dir, { recursive: true });
    const store = new LocalArchiveStore(dir);
    assert.equal((await verifyArchive({ store, session })).ok, true);
    const victim = "bronze/raw.sensor_readings/tenant=acme/year=2026/month=01/day=05/part-000001.parquet";
    const bytes = readFileSync(join(dir, victim));
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    writeFileSync(join(dir, victim), bytes);
    const gone = "gold/analytics.alerts/tenant=acme/year=2026/month=01/day=06/data.parquet";
    assert.ok(existsSync(join(dir, gone)));
    unlinkSync(join(dir, gone));
    const stray = "silver/core.sensor_readings_normalized/tenant=acme/year=2026/month=01/day=05/part-000009.parquet";
    writeFileSync(join(dir, stray), "left over");

    const report = await verifyArchive({ store, session, tenant: "acme" });
    assert.equal(report.ok, false);
    const kinds = report.problems.map((p) => [p.kind, p.key]).sort();
    assert.deepEqual(kinds, [["corrupt", victim], ["extra", stray], ["missing", gone]].sort());
    const corrupt = report.problems.find((p) => p.kind === "corrupt")!;
    assert.match(corrupt.detail, /sha256 expected [0-9a-f]{64}, actual [0-9a-f]{64}/);

    const target = await freshHub();
    const s = await target.admin();
    await assert.rejects(
      restoreTenant({ files, session: s, store, tenant: "acme", from: "2026-01-05", to: "2026-01-06" }),
      (e: unknown) => e instanceof CorruptArchiveError && e.message.includes(victim) && /expected [0-9a-f]{64}, actual [0-9a-f]{64}/.test(e.message),
    );
    assert.equal(await count(target, "RAW.SENSOR_READINGS", "acme"), 0, "nothing restored");
    assert.equal(await count(target, "RAW.JOB_SCANS", "acme"), 0, "nothing restored");
    // The same archive compared with a hub that lacks the rows: every incremental range differs.
    const vs = await verifyArchive({ store: new LocalArchiveStore(fullDir), session: s, tenant: "acme" });
    assert.ok(vs.problems.some((p) => p.kind === "count_mismatch" && p.key.startsWith("bronze/raw.sensor_readings/")));
    assert.ok(vs.problems.some((p) => p.kind === "stale" && p.key.startsWith("gold/")));
    await s.close();
  });

  it("refuses an unknown tenant, bad days and a tenant id that is not one", async () => {
    const store = new LocalArchiveStore(fullDir);
    await assert.rejects(restoreTenant({ files, session, store, tenant: "globex", from: "2026-01-05", to: "2026-01-05" }), /unknown tenant globex in the archive/);
    await assert.rejects(restoreTenant({ files, session, store, tenant: "acme", from: "2026-02-30", to: "2026-03-01" }), /2026-02-30/);
    await assert.rejects(restoreTenant({ files, session, store, tenant: "acme", from: "2026-01-06", to: "2026-01-05" }), /is after/);
    await assert.rejects(exportTenant({ files, session, store, tenant: "../acme", layers: ALL, asOf: clock.now() }), /tenant id/);
  });

  it("exports only what is new: new rows go to new files of their day, changed gold days are rewritten, old files stay as they were", async () => {
    const store = new LocalArchiveStore(fullDir);
    const first = localArchive(fullDir);
    const idle = await exportTenant({ files, session, store, tenant: "acme", layers: ALL, asOf: clock.now() });
    assert.deepEqual(idle.map((r) => r.files), [0, 0, 0], "nothing new, nothing written");

    // Batch A is landed and processed; batch B is landed while the task graph is held back.
    const from = Date.parse("2026-01-06T01:00:00Z");
    const batchA = fixtureBatch("acme", from, from + 10 * 60_000);
    const batchB = fixtureBatch("acme", from + 10 * 60_000, from + 20 * 60_000);
    clock.set(new Date(from + 10 * 60_000));
    await hub.land(batchA);
    await hub.tick();
    const silverA = await count(hub, "CORE.SENSOR_READINGS_NORMALIZED", "acme");
    await hub.setTaskState("OPS.VALIDATE_READINGS", "suspended");
    clock.advance(60_000);
    const landedB = clock.now();
    await hub.land(batchB);
    clock.advance(60_000);
    await hub.tick();
    // Silver stops where the unprocessed readings begin, so the rows the graph normalises later
    // (carrying B's ingested_at) are exported by the next run instead of being skipped.
    const early = await exportTenant({ files, session, store, tenant: "acme", layers: ["silver"], asOf: clock.now() });
    assert.ok(early[0]!.tables.find((t) => t.table === "CORE.SENSOR_READINGS_NORMALIZED")!.rows > 0, "batch A's silver rows");
    const [bound] = await session.query<{ watermark: Date }>(
      `SELECT watermark FROM ${WATERMARKS} WHERE archive = ? AND tenant_id = 'acme' AND table_name = 'CORE.SENSOR_READINGS_NORMALIZED'`,
      { binds: [await readArchiveId(store)] },
    );
    assert.deepEqual(bound!.watermark, landedB);
    await hub.setTaskState("OPS.VALIDATE_READINGS", "started");
    clock.advance(60_000);
    await hub.tick();
    const silverB = (await count(hub, "CORE.SENSOR_READINGS_NORMALIZED", "acme")) - silverA;
    assert.ok(silverB > 0);
    const runs = await exportTenant({ files, session, store, tenant: "acme", layers: ALL, asOf: clock.now() });
    assert.equal(runs[1]!.tables.find((t) => t.table === "CORE.SENSOR_READINGS_NORMALIZED")!.rows, silverB, "B's silver rows, normalised late, are exported");
    const bronze = runs[0]!;
    assert.equal(bronze.runId, "bronze-000002");
    const readings = bronze.tables.find((t) => t.table === "RAW.SENSOR_READINGS")!;
    assert.equal(readings.files, 1);
    assert.equal(readings.rows, batchA.readings.length + batchB.readings.length);
    assert.ok(existsSync(join(fullDir, "bronze/raw.sensor_readings/tenant=acme/year=2026/month=01/day=06/part-000002.parquet")));
    const gold = parseManifest(readFileSync(join(fullDir, runs[2]!.manifestKey!), "utf8"), runs[2]!.manifestKey!);
    const hourly = gold.tables.find((t) => t.table === "ANALYTICS.MACHINE_UTILIZATION_HOURLY")!;
    assert.deepEqual(hourly.files.map((f) => f.day), ["2026-01-06"], "only the changed day is rewritten");
    const now = localArchive(fullDir);
    for (const [k, sha] of first) {
      if (k.endsWith("day=06/data.parquet")) continue;
      assert.equal(now.get(k), sha, `${k} unchanged`);
    }
    const report = await verifyArchive({ store, session, tenant: "acme" });
    assert.deepEqual(report.problems, []);
  });
});
