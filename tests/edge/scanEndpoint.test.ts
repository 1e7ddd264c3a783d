import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { DeviceRegistry } from "../../edge/deviceRegistry.ts";
import type { EmbeddedBroker } from "../../edge/embeddedBroker.ts";
import { Gateway } from "../../edge/gateway.ts";
import { ScanEndpoint, ScannerTokens } from "../../edge/scanEndpoint.ts";
import type { StreamingIngest } from "../../pipelines/ingest/streamingIngest.ts";
import { queryWarehouse, registerDevices, removeDir, startBroker, startIngest, tempDir } from "./edgeStack.ts";

describe("POST /v1/scans", () => {
  const dir = tempDir("scans-");
  const db = join(dir, "hub.duckdb");
  const registry = DeviceRegistry.inMemory();
  const devices = registerDevices(registry, [{ thingName: "acme-rfid-1", tenantId: "acme", siteId: "plant1", sensorType: "rfid" }]);
  const tokens = new ScannerTokens();
  const token = tokens.issue("acme-rfid-1");
  let broker: EmbeddedBroker;
  let ingest: StreamingIngest;
  let gateway: Gateway;
  let endpoint: ScanEndpoint;
  const scan = (job: string) => ({ job_id: job, station: "cut", scan_ts: new Date(Date.now() - 1000).toISOString(), operator_id: "op-1" });
  const post = (body: unknown, auth: string | null = `Bearer ${token}`) =>
    fetch(`${endpoint.url}/v1/scans`, { method: "POST", headers: { "content-type": "application/json", ...(auth ? { authorization: auth } : {}) }, body: typeof body === "string" ? body : JSON.stringify(body) });

  before(async () => {
    broker = await startBroker(registry);
    ingest = await startIngest(broker.url, db);
    gateway = new Gateway({ url: broker.url, dir: join(dir, "gw"), devices }).start();
    endpoint = await ScanEndpoint.start({ gateway, tokens });
  });
  after(async () => {
    await endpoint.close();
    await gateway.stop();
    await ingest.close().catch(() => undefined);
    await broker.close();
    removeDir(dir);
  });

  it("refuses a missing or wrong token, a body that is not JSON, another tenant, and an oversized body", async () => {
    assert.equal((await post({ v: 1, scans: [] }, null)).status, 401);
    assert.equal((await post({ v: 1, scans: [] }, "Bearer nope")).status, 401);
    assert.equal((await post("{not json")).status, 400);
    assert.equal((await post({ v: 1, tenant_id: "globex", site_id: "plant1", scans: [scan("j1")] })).status, 403);
    assert.equal((await post({ v: 1, scans: ["x".repeat(200 * 1024)] })).status, 413);
  });

  it("accepts scans, which take the gateway → broker → ingest path into RAW.JOB_SCANS (a bad scan to quarantine)", async () => {
    const res = await post({ v: 1, tenant_id: "acme", site_id: "plant1", scans: [scan("j1"), scan("j2"), { job_id: "j3", station: "cut", scan_ts: "yesterday" }] });
    assert.equal(res.status, 202);
    assert.equal(((await res.json()) as { accepted: number }).accepted, 3);
    const s = await ingest.until((x) => x.scans + x.quarantined >= 3);
    assert.equal(s.scans, 2);
    assert.equal(s.quarantined, 1);
    await gateway.stop();
    await ingest.close();
    const rows = await queryWarehouse<{ job_id: string; source: string }>(db, "SELECT job_id, source FROM RAW.JOB_SCANS ORDER BY job_id");
    assert.deepEqual(rows.map((r) => r.job_id), ["j1", "j2"]);
  });
});
