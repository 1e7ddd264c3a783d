import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { DeviceRegistry, INGEST_USERNAME } from "../../edge/deviceRegistry.ts";
import { ChannelLanding } from "../../pipelines/ingest/channelLanding.ts";
import { StreamingIngest } from "../../pipelines/ingest/streamingIngest.ts";
import { EmbeddedBroker } from "../../edge/embeddedBroker.ts";
import { Gateway, encodeMessages } from "../../edge/gateway.ts";
import { MAX_MESSAGE_BYTES } from "../../pipelines/quality/payloadSchemas.ts";
import { parseMessage } from "../../pipelines/quality/messageParser.ts";
import { INGEST_SECRET, machineReadings, registerDevices, removeDir, startIngest, tempDir } from "./edgeStack.ts";
import { waitFor } from "../helpers/waitFor.ts";

/** A free loopback port with nothing listening on it. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe("gateway", () => {
  const dirs: string[] = [];
  after(() => dirs.forEach(removeDir));

  it("batches a device's readings into numbered messages of at most 128 KB that the ingest parser accepts", () => {
    const start = new Date(Date.now() - 3_000_000);
    const device = { thingName: "acme-m-001", tenantId: "acme", siteId: "plant1", sensorType: "machine" as const };
    const messages = encodeMessages(device, machineReadings(3000, 0, start), 7);
    assert.ok(messages.length >= 3);
    assert.deepEqual(messages.map((m) => m.seq), messages.map((_, i) => 7 + i));
    assert.equal(messages.reduce((n, m) => n + m.readings, 0), 3000);
    for (const m of messages) {
      assert.ok(Buffer.byteLength(m.payload) <= MAX_MESSAGE_BYTES);
      const parsed = parseMessage(m.payload, { receivedAt: new Date(), expectedTenant: "acme" });
      assert.equal(parsed.rejected.length, 0);
      assert.equal(parsed.accepted.length, m.readings);
    }
  });

  it("writes its queue's epoch into every message, and the ingest parser reads it", () => {
    const device = { thingName: "acme-m-001", tenantId: "acme", siteId: "plant1", sensorType: "machine" as const };
    const messages = encodeMessages(device, machineReadings(2000, 0, new Date(Date.now() - 3_000_000)), 0, MAX_MESSAGE_BYTES, 1767225600000123);
    assert.ok(messages.length >= 2);
    for (const m of messages) {
      assert.ok(Buffer.byteLength(m.payload) <= MAX_MESSAGE_BYTES);
      const parsed = parseMessage(m.payload, { receivedAt: new Date(), expectedTenant: "acme" });
      assert.deepEqual([parsed.seq, parsed.epoch, parsed.accepted.length], [m.seq, 1767225600000123, m.readings]);
    }
  });

  it("a device whose gateway queue was wiped numbers from 0 again in a new epoch, and the ingest lands those messages", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const registry = DeviceRegistry.inMemory();
    const devices = registerDevices(registry, [{ thingName: "acme-m-001", tenantId: "acme", siteId: "plant1", sensorType: "machine" }]);
    registry.setIngestSecret(INGEST_SECRET);
    const broker = await EmbeddedBroker.start({ registry });
    const ingest = await startIngest(broker.url, join(dir, "hub.duckdb"));
    const opts = { url: broker.url, dir: join(dir, "gw"), devices, backoff: { baseMs: 20, capMs: 100 } };
    const start = new Date(Date.now() - 3_000_000);
    try {
      const first = new Gateway(opts).start();
      for (let i = 0; i < 5; i++) first.add("acme-m-001", machineReadings(10, i * 10, start));
      await first.drained(10_000);
      await ingest.until((x) => x.readings >= 50, 10_000);
      await first.stop();
      removeDir(join(dir, "gw"));
      const second = new Gateway(opts).start();
      for (let i = 5; i < 10; i++) second.add("acme-m-001", machineReadings(10, i * 10, start));
      await second.drained(10_000);
      const s = await ingest.until((x) => x.readings + x.duplicates + x.quarantined >= 100, 10_000);
      await second.stop();
      assert.deepEqual([s.readings, s.duplicates, s.quarantined], [100, 0, 0], "seq 0-4 of the wiped queue were not taken for the first queue's");
    } finally {
      await ingest.close();
      await broker.close();
    }
  });

  it("with confirmations, a message leaves the gateway's queue only once the ingest has committed it", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const registry = DeviceRegistry.inMemory();
    const devices = registerDevices(registry, [
      { thingName: "acme-m-001", tenantId: "acme", siteId: "plant1", sensorType: "machine" },
      { thingName: "acme-m-002", tenantId: "acme", siteId: "plant1", sensorType: "machine" },
    ]);
    registry.setIngestSecret(INGEST_SECRET);
    const broker = await EmbeddedBroker.start({ registry });
    let gateway: Gateway | undefined;
    const ingest = await StreamingIngest.start({
      url: broker.url, username: INGEST_USERNAME, password: INGEST_SECRET, landing: await ChannelLanding.open(join(dir, "hub.duckdb")),
      onDurable: (messages) => messages.forEach((m) => gateway!.confirm(m.deviceId, m.epoch, m.seq)),
      // Slow commits: the broker acknowledges long before the ingest has committed.
      maxBatchMs: 200,
    });
    gateway = new Gateway({ url: broker.url, dir: join(dir, "gw"), devices, confirmations: true, backoff: { baseMs: 20, capMs: 100 } }).start();
    const start = new Date(Date.now() - 3_000_000);
    try {
      for (let i = 0; i < 10; i++) for (const d of devices) gateway.add(d.thingName, machineReadings(30, i * 30, start));
      await gateway.drained(20_000);
      // Nothing waits here: drained means the ingest has it.
      assert.equal(ingest.stats().readings, 600);
      const l = gateway.lifetime();
      assert.deepEqual([l.deliveredReadings, l.heldReadings, gateway.stats().unconfirmedMessages], [600, 0, 0]);
    } finally {
      await gateway.stop();
      await ingest.close();
      await broker.close();
    }
  });

  it("keeps messages on disk while the broker is unreachable, across a gateway restart, and delivers them when it comes", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const registry = DeviceRegistry.inMemory();
    const devices = registerDevices(registry, [{ thingName: "acme-m-001", tenantId: "acme", siteId: "plant1", sensorType: "machine" }]);
    const port = await freePort();
    const url = `mqtt://127.0.0.1:${port}`;
    const opts = { url, dir: join(dir, "gw"), devices, backoff: { baseMs: 20, capMs: 100 } };
    const start = new Date(Date.now() - 3_000_000);

    const first = new Gateway(opts).start();
    first.add("acme-m-001", machineReadings(500, 0, start));
    // It keeps trying, with backoff: wait for the second failed attempt rather than for a time.
    await waitFor(() => first.stats().connectFailures >= 2, "two failed connection attempts");
    assert.equal(first.stats().queuedReadings, 500);
    await first.stop();

    registry.setIngestSecret(INGEST_SECRET);
    const broker = await EmbeddedBroker.start({ registry, port });
    const ingest = await startIngest(broker.url, join(dir, "hub.duckdb"));
    const second = new Gateway(opts);
    try {
      assert.equal(second.stats().queuedReadings, 500, "the queue survived the restart");
      second.start();
      second.add("acme-m-001", machineReadings(10, 500, start));
      await second.drained(10_000);
      const s = await ingest.until((x) => x.readings >= 510);
      assert.equal(s.readings, 510);
      assert.equal(s.duplicates, 0);
    } finally {
      await second.stop();
      await ingest.close();
      await broker.close();
    }
  });
});
