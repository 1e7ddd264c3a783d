/**
 * The archive's watermarks on a handful of rows written out by hand (pipelines/archive/
 * exportArchive.ts): an append-only table's export covers `watermark <= commit stamp < asOf` for
 * one tenant, one file per event day; the watermark advances to `asOf` only after the manifest,
 * and all of a run's watermarks and its run row advance together or not at all. The counts below
 * are the rows landed in each window, counted by hand; tests/archive/exportRestore.test.ts runs the
 * whole archive (restore, verify, snapshots) on a two-hour factory.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import type { SimulatedClock } from "../../pipelines/engine/clock.ts";
import type { FileIo } from "../../pipelines/engine/fileIo.ts";
import type { DuckDbWarehouse } from "../../pipelines/warehouse/duckdbWarehouse.ts";
import { LocalArchiveStore } from "../../pipelines/archive/archiveStore.ts";
import { exportTenant, RUNS, WATERMARKS, type RunExport } from "../../pipelines/archive/exportArchive.ts";
import { parseManifest } from "../../pipelines/archive/manifest.ts";
import { readArchiveId } from "../../pipelines/archive/archiveIdentity.ts";
import { reading, scan, testEngine } from "../helpers/engine.ts";

const T = (hhmm: string, day = "05") => new Date(`2026-01-${day}T${hhmm}Z`);

describe("archive watermarks, by hand", () => {
  let engine: EmbeddedEngine;
  let clock: SimulatedClock;
  let session: DuckDbWarehouse;
  let files: FileIo;
  let dir: string;
  let store: LocalArchiveStore;
  let archive: string;

  const run = (asOf: Date, extra: Partial<Parameters<typeof exportTenant>[0]> = {}) =>
    exportTenant({ files, session, store, tenant: "acme", layers: ["bronze"], asOf, ...extra });
  const table = (r: RunExport[], name: string) => r[0]!.tables.find((t) => t.table === name)!;
  const marks = async () =>
    (await session.query<{ table_name: string; watermark: Date; run_id: string }>(
      `SELECT table_name, watermark, run_id FROM ${WATERMARKS} WHERE archive = ? AND tenant_id = 'acme' AND partition_day IS NULL ORDER BY 1`,
      { binds: [archive] },
    )).map((m) => [m.table_name, m.watermark.toISOString(), m.run_id]);
  const runs = async () =>
    (await session.query<{ run_id: string; files: number; row_count: number; manifest_key: string }>(
      `SELECT run_id, files, row_count, manifest_key FROM ${RUNS} WHERE archive = ? AND tenant_id = 'acme' ORDER BY run_seq`,
      { binds: [archive] },
    )).map((r) => [r.run_id, Number(r.files), Number(r.row_count), r.manifest_key]);

  before(async () => {
    ({ engine, clock } = await testEngine("2026-01-05T08:00:00Z"));
    session = await engine.admin();
    files = await engine.files();
    dir = mkdtempSync(join(tmpdir(), "hub-watermarks-"));
    store = new LocalArchiveStore(dir);
    // Landed at 08:00 (ingested_at 08:00): acme 3 readings over two event days, globex 2, one
    // acme message refused on the way in, one refused by the validate task, one with no tenant.
    await engine.land({
      readings: [
        reading("acme", "m1", "MACHINE", 1, "2026-01-04T23:59:00", { state: "RUNNING" }),
        reading("acme", "m1", "MACHINE", 2, "2026-01-05T07:50:00", { state: "RUNNING" }),
        reading("acme", "m2", "MACHINE", 1, "2026-01-05T07:55:00", { state: "IDLE" }),
        reading("globex", "g1", "MACHINE", 1, "2026-01-05T07:55:00", { state: "IDLE" }),
        reading("globex", "g1", "MACHINE", 2, "2026-01-05T07:56:00", { state: "IDLE" }),
      ],
      quarantine: [
        { tenantId: "acme", source: "mqtt", reason: "not JSON", raw: { bytes: 3 }, deviceId: "m1", metric: null },
        { tenantId: "acme", source: "validate", reason: "out of range", raw: {}, deviceId: "m1", metric: "x" },
        { tenantId: null, source: "mqtt", reason: "no tenant", raw: {}, deviceId: null, metric: null },
      ],
    });
  });
  after(async () => {
    await session.close();
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // One story, told in order: each step starts from where the one before left the archive (a
  // test of its own would depend on another's state), so the steps are subtests of one test.
  it("bronze, step by step: a first export, asOf exclusive, nothing before the watermark, a failed run record, another tenant", async (t) => {
    await t.test("a first export takes the tenant's rows below asOf, one file per event day, and sets each watermark to asOf", async () => {
      clock.set(T("08:10:00"));
      const r = await run(T("08:10:00"));
      const id = await readArchiveId(store);
      assert.ok(id, "the first export names the archive");
      archive = id;
      assert.equal(r[0]!.runId, "bronze-000001");
      const readings = table(r, "RAW.SENSOR_READINGS");
      assert.deepEqual([readings.files, readings.rows], [2, 3], "acme's 3 readings, on the 4th and the 5th");
      assert.deepEqual([table(r, "RAW.QUARANTINE").files, table(r, "RAW.QUARANTINE").rows], [1, 1], "the ingest's refusal only");
      assert.deepEqual([table(r, "RAW.JOB_SCANS").files, table(r, "RAW.JOB_SCANS").rows], [0, 0]);
      const manifest = parseManifest(readFileSync(join(dir, r[0]!.manifestKey!), "utf8"), r[0]!.manifestKey!);
      const m = manifest.tables.find((t) => t.table === "RAW.SENSOR_READINGS")!;
      assert.deepEqual(m.watermark, { from: null, to: "2026-01-05T08:10:00.000Z" });
      assert.deepEqual(m.files.map((f) => [f.day, f.rows, f.minTs, f.maxTs]), [
        ["2026-01-04", 1, "2026-01-04T23:59:00.000Z", "2026-01-04T23:59:00.000Z"],
        ["2026-01-05", 2, "2026-01-05T07:50:00.000Z", "2026-01-05T07:55:00.000Z"],
      ]);
      assert.deepEqual(await marks(), [
        ["RAW.JOB_SCANS", "2026-01-05T08:10:00.000Z", "bronze-000001"],
        ["RAW.QUARANTINE", "2026-01-05T08:10:00.000Z", "bronze-000001"],
        ["RAW.SENSOR_READINGS", "2026-01-05T08:10:00.000Z", "bronze-000001"],
      ]);
      assert.deepEqual(await runs(), [["bronze-000001", 3, 4, "manifests/tenant=acme/bronze/run-000001.json"]]);
      });

    await t.test("asOf is exclusive: a row stamped exactly at asOf waits for the next run, which starts at the watermark", async () => {
      clock.set(T("08:20:00"));
      await engine.land({ readings: [reading("acme", "m1", "MACHINE", 3, "2026-01-05T08:19:00", { state: "RUNNING" }), reading("acme", "m2", "MACHINE", 2, "2026-01-05T08:19:30", { state: "RUNNING" })] });
      const atStamp = await run(T("08:20:00"));
      assert.deepEqual([atStamp[0]!.runId, atStamp[0]!.files, atStamp[0]!.rows], [null, 0, 0], "ingested_at 08:20 is not below asOf 08:20");
      assert.equal((await marks())[2]![1], "2026-01-05T08:10:00.000Z", "an empty run moves no watermark");
      assert.equal((await runs()).length, 1, "and records no run");

      const past = new Date(T("08:20:00").getTime() + 1);
      // What `npm run archive -- export` prints on stderr as it goes: one line per file it writes.
      const progress: string[] = [];
      const r = await run(past, { progress: (m) => progress.push(m) });
      assert.equal(r[0]!.runId, "bronze-000002");
      assert.deepEqual(progress, ["acme RAW.SENSOR_READINGS 2026-01-05: 2 rows"]);
      assert.deepEqual([table(r, "RAW.SENSOR_READINGS").files, table(r, "RAW.SENSOR_READINGS").rows], [1, 2], "the two new readings, not the three already archived");
      const manifest = parseManifest(readFileSync(join(dir, r[0]!.manifestKey!), "utf8"), r[0]!.manifestKey!);
      const m = manifest.tables.find((t) => t.table === "RAW.SENSOR_READINGS")!;
      assert.deepEqual(m.watermark, { from: "2026-01-05T08:10:00.000Z", to: "2026-01-05T08:20:00.001Z" });
      assert.deepEqual(m.files.map((f) => [f.key, f.rows]), [["bronze/raw.sensor_readings/tenant=acme/year=2026/month=01/day=05/part-000002.parquet", 2]]);
      assert.ok(!manifest.tables.some((t) => t.table === "RAW.QUARANTINE"), "a table with nothing new is left out of the manifest");
      assert.deepEqual((await marks()).map((x) => x[1]), ["2026-01-05T08:20:00.001Z", "2026-01-05T08:20:00.001Z", "2026-01-05T08:20:00.001Z"]);
      assert.deepEqual(await runs(), [
        ["bronze-000001", 3, 4, "manifests/tenant=acme/bronze/run-000001.json"],
        ["bronze-000002", 1, 2, "manifests/tenant=acme/bronze/run-000002.json"],
      ]);
      });

    await t.test("an asOf at or before the watermark exports nothing and leaves the watermark where it is", async () => {
      for (const asOf of [T("08:15:00"), new Date(T("08:20:00").getTime() + 1)]) {
        const r = await run(asOf);
        assert.deepEqual([r[0]!.runId, r[0]!.rows], [null, 0], asOf.toISOString());
      }
      assert.deepEqual((await marks()).map((x) => x[1]), ["2026-01-05T08:20:00.001Z", "2026-01-05T08:20:00.001Z", "2026-01-05T08:20:00.001Z"]);
      });

    await t.test("the watermarks and the run row advance together: a failure recording the run leaves every watermark as it was", async () => {
      clock.set(T("08:30:00"));
      await engine.land({ readings: [reading("acme", "m1", "MACHINE", 4, "2026-01-05T08:29:00", { state: "RUNNING" })] });
      const before = await marks();
      // The session fails the run row's INSERT, after the watermarks' DELETE and INSERT have run.
      const failing = new Proxy(session, {
        get(target, key, receiver) {
          const v = Reflect.get(target, key, receiver) as unknown;
          if (key !== "execute") return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
          return (sql: string, o?: unknown) => (sql.startsWith(`INSERT INTO ${RUNS}`) ? Promise.reject(new Error("disk full")) : target.execute(sql, o as never));
        },
      });
      await assert.rejects(run(T("08:31:00"), { session: failing }), /disk full/);
      assert.deepEqual(await marks(), before, "rolled back: the next run covers the same rows");
      assert.equal((await runs()).length, 2);
      const again = await run(T("08:31:00"));
      assert.deepEqual([again[0]!.runId, table(again, "RAW.SENSOR_READINGS").rows], ["bronze-000003", 1], "the same run number, the row not skipped");
      assert.deepEqual((await marks()).map((x) => x[1]), ["2026-01-05T08:31:00.000Z", "2026-01-05T08:31:00.000Z", "2026-01-05T08:31:00.000Z"]);
      // One watermark row per table: each advance replaces the last.
      const [n] = await session.query<{ n: number }>(`SELECT count(*) AS n FROM ${WATERMARKS} WHERE archive = ? AND tenant_id = 'acme'`, { binds: [archive] });
      assert.equal(Number(n!.n), 3);
      });

    await t.test("another tenant's watermarks are its own", async () => {
      const r = await exportTenant({ files, session, store, tenant: "globex", layers: ["bronze"], asOf: T("08:31:00") });
      assert.deepEqual([r[0]!.runId, table(r, "RAW.SENSOR_READINGS").rows], ["bronze-000001", 2], "globex's first run: its own 2 readings");
      const [g] = await session.query<{ watermark: Date }>(
        `SELECT watermark FROM ${WATERMARKS} WHERE archive = ? AND tenant_id = 'globex' AND table_name = 'RAW.SENSOR_READINGS'`,
        { binds: [archive] },
      );
      assert.equal(g!.watermark.toISOString(), "2026-01-05T08:31:00.000Z");
      assert.deepEqual((await marks()).map((x) => x[2]), ["bronze-000003", "bronze-000003", "bronze-000003"], "acme's untouched");
      });
  });

  it("silver stops where readings the pipeline has not yet normalised begin, and the next run picks them up", async () => {
    const silver = async (asOf: Date) => {
      const r = await exportTenant({ files, session, store, tenant: "acme", layers: ["silver"], asOf });
      const t = r[0]!.tables.find((x) => x.table === "CORE.SENSOR_READINGS_NORMALIZED")!;
      const manifest = r[0]!.manifestKey ? parseManifest(readFileSync(join(dir, r[0]!.manifestKey), "utf8"), r[0]!.manifestKey) : null;
      return { rows: t.rows, watermark: manifest?.tables.find((x) => x.table === "CORE.SENSOR_READINGS_NORMALIZED")?.watermark };
    };
    // A reading the pipeline normalises at 08:40 (silver keeps its ingested_at, 08:40) ...
    clock.set(T("08:40:00"));
    await engine.land({ readings: [reading("acme", "m1", "MACHINE", 5, "2026-01-05T08:39:00", { state: "RUNNING", period_s: 60 })] });
    await engine.tick();
    // ... and one landed at 08:50 that it has not normalised yet: an export at 09:00 must stop at 08:50,
    // or the row normalised later, stamped 08:50, would fall below the watermark unexported.
    clock.set(T("08:50:00"));
    await engine.land({ readings: [reading("acme", "m1", "MACHINE", 6, "2026-01-05T08:49:00", { state: "IDLE", period_s: 60 })] });
    assert.deepEqual(await silver(T("09:00:00")), { rows: 2, watermark: { from: null, to: "2026-01-05T08:50:00.000Z" } }, "08:40's two metrics, state and period");
    clock.set(T("09:00:00"));
    await engine.tick();
    assert.deepEqual(await silver(T("09:01:00")), { rows: 2, watermark: { from: "2026-01-05T08:50:00.000Z", to: "2026-01-05T09:01:00.000Z" } }, "08:50's, normalised at 09:00");
    assert.deepEqual(await silver(T("09:02:00")), { rows: 0, watermark: undefined }, "nothing pending: nothing new");
    // The pipeline's bound only ever lowers asOf: a reading pending from 09:10 leaves an export
    // asOf 09:05 ending at 09:05, not at the later bound.
    clock.set(T("09:03:00"));
    await engine.land({ readings: [reading("acme", "m1", "MACHINE", 7, "2026-01-05T09:02:00", { state: "RUNNING", period_s: 60 })] });
    await engine.tick();
    clock.set(T("09:10:00"));
    await engine.land({ readings: [reading("acme", "m1", "MACHINE", 8, "2026-01-05T09:09:00", { state: "IDLE", period_s: 60 })] });
    assert.deepEqual(await silver(T("09:05:00")), { rows: 2, watermark: { from: "2026-01-05T09:01:00.000Z", to: "2026-01-05T09:05:00.000Z" } }, "09:03's two metrics, and no further than asOf");
  });

  it("in a layer with a recomputed table, a day's watermark is replaced when the day changes, and an append-only watermark never moves back", async () => {
    // Its own tenant, so the rows and watermarks below are only this test's.
    const tenant = "initech";
    let archiveId = "";
    const progress: string[] = [];
    const silver = (asOf: Date) => exportTenant({ files, session, store, tenant, layers: ["silver"], asOf, progress: (m) => progress.push(m) });
    const dayMarks = async () =>
      (await session.query<{ d: Date; row_count: number; run_id: string }>(
        `SELECT partition_day AS d, row_count, run_id FROM ${WATERMARKS} WHERE archive = ? AND tenant_id = ? AND table_name = 'CORE.JOB_STATION_VISITS' ORDER BY 1, 3`,
        { binds: [archiveId, tenant] },
      )).map((m) => [m.d.toISOString().slice(0, 10), Number(m.row_count), m.run_id]);
    // The append-only table's watermark, and what the manifest of the run it names says of the table.
    const normalized = async () => {
      const [w] = await session.query<{ watermark: Date; run_id: string; manifest_key: string }>(
        `SELECT w.watermark, w.run_id, r.manifest_key FROM ${WATERMARKS} w JOIN ${RUNS} r ON r.archive = w.archive AND r.tenant_id = w.tenant_id AND r.run_id = w.run_id ` +
          `WHERE w.archive = ? AND w.tenant_id = ? AND w.table_name = 'CORE.SENSOR_READINGS_NORMALIZED'`,
        { binds: [archiveId, tenant] },
      );
      const m = parseManifest(readFileSync(join(dir, w!.manifest_key), "utf8"), w!.manifest_key).tables.find((t) => t.table === "CORE.SENSOR_READINGS_NORMALIZED");
      return { watermark: w!.watermark.toISOString(), run: w!.run_id, manifestTo: m?.watermark.to };
    };
    // 10:00: one reading (two metrics, state and period) and job J1 through two stations (two visits on the 5th), normalised and refreshed.
    clock.set(T("10:00:00"));
    await engine.land({
      readings: [reading(tenant, "i1", "MACHINE", 1, "2026-01-05T09:58:00", { state: "RUNNING", period_s: 60 })],
      scans: [scan(tenant, "J1", "CUT", "2026-01-05T09:50:00"), scan(tenant, "J1", "WELD", "2026-01-05T09:55:00")],
    });
    clock.set(T("10:02:00"));
    await engine.tick();
    const first = await silver(T("10:05:00"));
    assert.equal(first[0]!.runId, "silver-000001");
    archiveId = (await readArchiveId(store))!;
    assert.deepEqual(progress.splice(0), ["initech CORE.SENSOR_READINGS_NORMALIZED 2026-01-05: 2 rows", "initech CORE.JOB_STATION_VISITS 2026-01-05: 2 rows (new day)"]);
    assert.deepEqual(first[0]!.tables.map((t) => [t.table, t.rows]), [["CORE.SENSOR_READINGS_NORMALIZED", 2], ["CORE.JOB_STATION_VISITS", 2]]);
    assert.deepEqual(await dayMarks(), [["2026-01-05", 2, "silver-000001"]], "one watermark row for the day, with its rows");
    assert.deepEqual(await normalized(), { watermark: "2026-01-05T10:05:00.000Z", run: "silver-000001", manifestTo: "2026-01-05T10:05:00.000Z" });

    // J1 reaches a third station: the 5th is rewritten. An export asOf before the append-only table's
    // watermark archives the changed day, and leaves that watermark where it was, naming its run.
    clock.set(T("10:10:00"));
    await engine.land({ scans: [scan(tenant, "J1", "PAINT", "2026-01-05T10:08:00")] });
    clock.set(T("10:12:00"));
    await engine.tick();
    const earlier = await silver(T("10:04:00"));
    assert.deepEqual([earlier[0]!.runId, earlier[0]!.tables.map((t) => [t.table, t.rows])], ["silver-000002", [["CORE.SENSOR_READINGS_NORMALIZED", 0], ["CORE.JOB_STATION_VISITS", 3]]]);
    assert.deepEqual(progress.splice(0), ["initech CORE.JOB_STATION_VISITS 2026-01-05: 3 rows (changed day)"]);
    assert.deepEqual(await dayMarks(), [["2026-01-05", 3, "silver-000002"]], "the day's row replaced, not a second one beside it");
    assert.deepEqual(await normalized(), { watermark: "2026-01-05T10:05:00.000Z", run: "silver-000001", manifestTo: "2026-01-05T10:05:00.000Z" }, "not moved back to 10:04");

    // Once more, asOf exactly at the watermark: nothing new for the append-only table, so its
    // watermark still names run 1, whose manifest records the advance to 10:05.
    clock.set(T("10:20:00"));
    await engine.land({ scans: [scan(tenant, "J2", "CUT", "2026-01-05T10:18:00")] });
    clock.set(T("10:22:00"));
    await engine.tick();
    const atMark = await silver(T("10:05:00"));
    assert.deepEqual([atMark[0]!.runId, atMark[0]!.tables.map((t) => [t.table, t.rows])], ["silver-000003", [["CORE.SENSOR_READINGS_NORMALIZED", 0], ["CORE.JOB_STATION_VISITS", 4]]]);
    assert.deepEqual(await dayMarks(), [["2026-01-05", 4, "silver-000003"]]);
    assert.deepEqual(await normalized(), { watermark: "2026-01-05T10:05:00.000Z", run: "silver-000001", manifestTo: "2026-01-05T10:05:00.000Z" });
  });
});
