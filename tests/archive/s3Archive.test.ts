/**
 * The archive in S3, against a real S3-protocol server (s3rver) on 127.0.0.1 and the real AWS SDK:
 * SSE-KMS headers on every object, multipart for large files, tenant prefixes, restore and verify
 * reading the bucket back, and a corrupted object caught.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import { FileIo } from "../../pipelines/engine/fileIo.ts";
import { SimulatedClock } from "../../pipelines/engine/clock.ts";
import type { DuckDbWarehouse } from "../../pipelines/warehouse/duckdbWarehouse.ts";
import { MULTIPART_PART_SIZE, S3ArchiveStore } from "../../pipelines/archive/s3ArchiveStore.ts";
import { exportTenant } from "../../pipelines/archive/exportArchive.ts";
import { restoreTenant } from "../../pipelines/archive/restoreArchive.ts";
import { verifyArchive } from "../../pipelines/archive/verifyArchive.ts";
import { CorruptArchiveError } from "../../pipelines/archive/archiveReader.ts";
import { tenantPrefixes } from "../../pipelines/archive/archiveKeys.ts";
import { ARCHIVE_ID_KEY } from "../../pipelines/archive/archiveIdentity.ts";
import { LAYERS } from "../../pipelines/archive/archivedTables.ts";
import { fixtureHub } from "./archiveFixture.ts";
import { DERIVED_TABLES, assertSameRows, count, tenantRows } from "./archiveHelpers.ts";

const BUCKET = "hub-archive";
const KMS_KEY = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555";

interface SentRequest {
  readonly command: string;
  readonly key: string;
  readonly headers: Record<string, string>;
}

describe("archive in S3 (s3rver on loopback)", () => {
  let server: S3rver;
  let endpoint: string;
  let dir: string;
  let hub: EmbeddedEngine;
  let clock: SimulatedClock;
  let session: DuckDbWarehouse;
  let files: FileIo;
  const sent: SentRequest[] = [];
  let exported: Awaited<ReturnType<typeof exportTenant>>;
  let exportRequests: SentRequest[];
  const others: EmbeddedEngine[] = [];

  /** A store whose real SDK client records each request it sends (command, key, headers). */
  const openStore = () => {
    const store = new S3ArchiveStore({ bucket: BUCKET, kmsKeyId: KMS_KEY, endpoint, region: "eu-west-1" });
    store.client.middlewareStack.add(
      (next, context) => async (args) => {
        const req = args.request as { headers?: Record<string, string> };
        const input = args.input as { Key?: string };
        sent.push({ command: String(context.commandName), key: input.Key ?? "", headers: { ...(req.headers ?? {}) } });
        return next(args);
      },
      { step: "finalizeRequest", name: "recordRequests" },
    );
    return store;
  };

  before(async () => {
    // The default credential provider chain reads these; s3rver accepts its own fixed keys.
    process.env.AWS_ACCESS_KEY_ID = "S3RVER";
    process.env.AWS_SECRET_ACCESS_KEY = "S3RVER";
    dir = mkdtempSync(join(tmpdir(), "hub-s3rver-"));
    server = new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory: join(dir, "data") });
    const addr = await server.run();
    endpoint = `http://127.0.0.1:${addr.port}`;
    await openStore().client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    ({ engine: hub, clock } = await fixtureHub(90, { batch: 30 }));
    session = await hub.admin();
    files = await FileIo.open();
    // The export every test starts from, with the requests it sent (the first test's subject).
    const store = openStore();
    sent.length = 0;
    exported = await exportTenant({ files, session, store, tenant: "acme", layers: [...LAYERS], asOf: clock.now() });
    exportRequests = [...sent];
    store.close();
  });
  after(async () => {
    files.close();
    await session.close();
    for (const e of [hub, ...others]) await e.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("exports one tenant with SSE-KMS on every object and writes nothing outside its prefixes", async () => {
    const store = openStore();
    const runs = exported;
    assert.ok(runs.every((r) => r.files > 0));
    const writes = exportRequests.filter((r) => r.command === "PutObjectCommand" || r.command === "CreateMultipartUploadCommand");
    assert.ok(writes.length >= runs.reduce((a, r) => a + r.files + 1, 0), "every file and manifest was written");
    for (const w of writes) {
      assert.equal(w.headers["x-amz-server-side-encryption"], "aws:kms", w.key);
      assert.equal(w.headers["x-amz-server-side-encryption-aws-kms-key-id"], KMS_KEY, w.key);
    }
    const keys = (await store.list("")).map((o) => o.key);
    assert.equal(keys.length, writes.length);
    const prefixes = tenantPrefixes("acme");
    // The archive's id file at the root is the one object outside the tenant's prefixes; it holds no tenant data.
    assert.match((await store.getText(ARCHIVE_ID_KEY))!, /"id": "archive-/);
    for (const k of keys.filter((x) => x !== ARCHIVE_ID_KEY)) assert.ok(prefixes.some((p) => k.startsWith(p)) && !k.includes("globex"), `${k} is under acme's prefixes`);
    store.close();
  });

  it("uploads a file larger than one part as a multipart upload, and reads it back intact", async () => {
    const store = openStore();
    const key = "bronze/raw.sensor_readings/tenant=acme/year=2026/month=01/day=07/part-000099.parquet";
    const staged = await store.stagingPath(key);
    const body = randomBytes(2 * MULTIPART_PART_SIZE + 1024);
    writeFileSync(staged, body);
    sent.length = 0;
    await store.commitFile(key, staged, createHash("sha256").update(body).digest("hex"));
    const commands = sent.map((r) => r.command);
    assert.equal(commands.filter((c) => c === "CreateMultipartUploadCommand").length, 1);
    assert.equal(commands.filter((c) => c === "UploadPartCommand").length, 3);
    assert.equal(commands.filter((c) => c === "CompleteMultipartUploadCommand").length, 1);
    const scratch = mkdtempSync(join(tmpdir(), "hub-s3get-"));
    const path = await store.fetch(key, scratch);
    assert.ok(readFileSync(path!).equals(body));
    rmSync(scratch, { recursive: true, force: true });
    // Not named by any manifest: verify calls it extra.
    const report = await verifyArchive({ store, tenant: "acme" });
    assert.deepEqual(report.problems.map((p) => [p.kind, p.key]), [["extra", key]]);
    store.close();
  });

  it("restores from the bucket into an empty hub and rebuilds gold; a corrupted object is reported by verify and refused by restore", async () => {
    const store = openStore();
    const dr = await EmbeddedEngine.open({ clock: new SimulatedClock(clock.now()) });
    others.push(dr);
    const s = await dr.admin();
    await restoreTenant({ files, session: s, store, tenant: "acme", from: "2026-01-05", to: "2026-01-06" });
    await dr.tick();
    assert.equal(await count(dr, "RAW.SENSOR_READINGS", "acme"), await count(hub, "RAW.SENSOR_READINGS", "acme"));
    for (const t of DERIVED_TABLES) assertSameRows(await tenantRows(dr, t, "acme"), await tenantRows(hub, t, "acme"), t);
    await s.close();

    const victim = "bronze/raw.job_scans/tenant=acme/year=2026/month=01/day=05/part-000001.parquet";
    const scratch = mkdtempSync(join(tmpdir(), "hub-s3flip-"));
    const bytes = readFileSync((await store.fetch(victim, scratch))!);
    bytes[bytes.length >> 1]! ^= 0x01;
    await (store.client as S3Client).send(new PutObjectCommand({ Bucket: BUCKET, Key: victim, Body: bytes, ServerSideEncryption: "aws:kms", SSEKMSKeyId: KMS_KEY }));
    rmSync(scratch, { recursive: true, force: true });
    const report = await verifyArchive({ store, tenant: "acme", session });
    assert.ok(report.problems.some((p) => p.kind === "corrupt" && p.key === victim), JSON.stringify(report.problems));
    const empty = await EmbeddedEngine.open({ clock: new SimulatedClock(clock.now()) });
    others.push(empty);
    const es = await empty.admin();
    await assert.rejects(restoreTenant({ files, session: es, store, tenant: "acme", from: "2026-01-05", to: "2026-01-06" }), (e: unknown) => e instanceof CorruptArchiveError && e.message.includes(victim));
    assert.equal(await count(empty, "RAW.SENSOR_READINGS", "acme"), 0);
    await es.close();
    store.close();
  });
});
