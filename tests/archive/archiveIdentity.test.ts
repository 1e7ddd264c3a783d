/**
 * An archive is known by the id it carries (archive.json), not by where it sits: a hub folder
 * copied elsewhere continues its archive, a hub from before ids moves its bookkeeping to the id,
 * and a damaged id file is an error naming it.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import { SimulatedClock } from "../../pipelines/engine/clock.ts";
import { LocalArchiveStore } from "../../pipelines/archive/archiveStore.ts";
import { exportTenant, RUNS, WATERMARKS } from "../../pipelines/archive/exportArchive.ts";
import { ARCHIVE_ID_KEY, readArchiveId } from "../../pipelines/archive/archiveIdentity.ts";
import { LAYERS } from "../../pipelines/archive/archivedTables.ts";
import { adminQuery } from "../helpers/engine.ts";
import { fixtureHub } from "./archiveFixture.ts";
import { localArchive } from "./archiveHelpers.ts";

const ALL = [...LAYERS];

async function exportAll(home: string, asOf: Date): Promise<number> {
  const engine = await EmbeddedEngine.open({ path: join(home, "hub.duckdb"), clock: new SimulatedClock(asOf) });
  try {
    const session = await engine.admin();
    const runs = await exportTenant({ session, files: await engine.files(), store: new LocalArchiveStore(join(home, "archive")), tenant: "acme", layers: ALL, asOf });
    await session.close();
    return runs.reduce((a, r) => a + r.files, 0);
  } finally {
    await engine.close();
  }
}

describe("archive identity", () => {
  const dirs: string[] = [];
  let original: string;
  let asOf: Date;
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), "hub-archive-id-"));
    dirs.push(d);
    return d;
  };
  before(async () => {
    original = tmp();
    const { engine, clock } = await fixtureHub(60, { path: join(original, "hub.duckdb"), batch: 20 });
    asOf = clock.now();
    await engine.close();
    assert.ok((await exportAll(original, asOf)) > 0, "the first export writes files");
  });
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("a hub folder copied elsewhere continues its archive: the next export writes nothing", async () => {
    const copy = tmp();
    cpSync(original, copy, { recursive: true });
    const before = localArchive(join(copy, "archive"));
    assert.equal(await exportAll(copy, asOf), 0);
    assert.deepEqual(localArchive(join(copy, "archive")), before, "not a byte changed");
    assert.equal(await readArchiveId(new LocalArchiveStore(join(copy, "archive"))), await readArchiveId(new LocalArchiveStore(join(original, "archive"))));
  });

  it("a hub whose bookkeeping names the archive by its location (before ids) moves it to the id and exports nothing again", async () => {
    const legacy = tmp();
    cpSync(original, legacy, { recursive: true });
    const store = new LocalArchiveStore(join(legacy, "archive"));
    const id = (await readArchiveId(store))!;
    rmSync(join(legacy, "archive", ARCHIVE_ID_KEY));
    const engine = await EmbeddedEngine.open({ path: join(legacy, "hub.duckdb") });
    for (const t of [WATERMARKS, RUNS]) await adminQuery(engine, `UPDATE ${t} SET archive = '${store.location}' WHERE archive = '${id}'`);
    await engine.close();

    assert.equal(await exportAll(legacy, asOf), 0);
    const fresh = await readArchiveId(store);
    assert.match(fresh ?? "", /^archive-[0-9a-f-]{36}$/);
    const reopened = await EmbeddedEngine.open({ path: join(legacy, "hub.duckdb") });
    const names = await adminQuery<{ archive: string }>(reopened, `SELECT DISTINCT archive FROM ${WATERMARKS} UNION SELECT DISTINCT archive FROM ${RUNS}`);
    await reopened.close();
    assert.deepEqual(names.map((n) => n.archive), [fresh]);
  });

  it("a damaged archive.json is an error that names it, and nothing is exported", async () => {
    const damaged = tmp();
    cpSync(original, damaged, { recursive: true });
    writeFileSync(join(damaged, "archive", ARCHIVE_ID_KEY), "{ not json");
    await assert.rejects(exportAll(damaged, new Date(asOf.getTime() + 3_600_000)), /archive\.json is not valid JSON/);
    writeFileSync(join(damaged, "archive", ARCHIVE_ID_KEY), JSON.stringify({ format: "hub-archive/1", id: "../../etc" }));
    await assert.rejects(exportAll(damaged, new Date(asOf.getTime() + 3_600_000)), /archive\.json does not name an archive: id/);
  });
});
