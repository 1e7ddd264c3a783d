import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { DeviceRegistry } from "../../edge/deviceRegistry.ts";
import type { EmbeddedBroker } from "../../edge/embeddedBroker.ts";
import { Gateway } from "../../edge/gateway.ts";
import { telemetryTopic } from "../../edge/topicRules.ts";
import type { StreamingIngest } from "../../pipelines/ingest/streamingIngest.ts";
import { LatencyHistogram } from "../../pipelines/ingest/latencyHistogram.ts";
import { machineReadings, queryWarehouse, registerDevices, removeDir, startBroker, startIngest, tempDir } from "./edgeStack.ts";

describe("streaming ingest", () => {
  const dir = tempDir();
  const db = join(dir, "hub.duckdb");
  const registry = DeviceRegistry.inMemory();
  const devices = registerDevices(registry, [
    { thingName: "acme-m-001", tenantId: "acme", siteId: "plant1", sensorType: "machine" },
    { thingName: "acme-m-002", tenantId: "acme", siteId: "plant1", sensorType: "machine" },
  ]);
  const raw = registerDevices(registry, [{ thingName: "acme-m-009", tenantId: "acme", siteId: "plant1", sensorType: "machine" }])[0]!;
  let broker: EmbeddedBroker;
  let ingest: StreamingIngest;
  let gateway: Gateway;
  let device: MqttClient;
  const topic = telemetryTopic("acme", "plant1", "machine", "acme-m-009");
  const start = new Date(Date.now() - 3_000_000);

  const message = (seq: number, readings: unknown[], extra: Record<string, unknown> = {}) =>
    JSON.stringify({ v: 1, tenant_id: "acme", site_id: "plant1", device_id: "acme-m-009", sensor_type: "MACHINE", seq, readings, ...extra });
  const good = (seq: number, ts = new Date()) => ({ ts: ts.toISOString(), seq, metrics: { state: "IDLE", period_s: 1, cycles: 0, good_parts: 0, ideal_cycle_s: 30 } });

  before(async () => {
    broker = await startBroker(registry);
    ingest = await startIngest(broker.url, db);
    gateway = new Gateway({ url: broker.url, dir: join(dir, "gw"), devices, backoff: { baseMs: 20, capMs: 200 } }).start();
    device = await mqtt.connectAsync(broker.url, { clientId: raw.thingName, username: raw.thingName, password: raw.password!, reconnectPeriod: 0 });
  });
  after(async () => {
    await device.endAsync(true).catch(() => undefined);
    await gateway.stop();
    await ingest.close().catch(() => undefined);
    await broker.close();
    removeDir(dir);
  });

  it("lands the gateway's batches in RAW, each reading once, with its channel offset", async () => {
    gateway.add("acme-m-001", machineReadings(2500, 0, start));
    gateway.add("acme-m-002", machineReadings(10, 0, start));
    await gateway.drained(20_000);
    const s = await ingest.until((x) => x.readings >= 2510, 20_000);
    assert.equal(s.readings, 2510);
    assert.ok(gateway.stats().sentMessages >= 3, "2500 readings need more than one 128 KB message");
    assert.ok(s.latencyP99Ms !== null && s.latencyP50Ms !== null);
  });

  it("drops a redelivered message by its committed offset, and counts it; a late message is still landed", async () => {
    const before = ingest.stats();
    // A redelivery is the same bytes again (good() stamps the time, so build the message once).
    const five = message(5, [good(1)]);
    await device.publishAsync(topic, five, { qos: 1 });
    // 5 is committed before anything else is sent: what follows is judged against the committed
    // offset and the landing's remembered seqs, not against the open micro-batch.
    await ingest.until((x) => x.readings >= before.readings + 1);
    await device.publishAsync(topic, five, { qos: 1 });
    const four = message(4, [good(2)]);
    await device.publishAsync(topic, four, { qos: 1 });
    // `messages` counts on arrival, the rest when a micro-batch commits: once the three messages are
    // in and none awaits a commit, their readings and duplicates are counted too.
    const s = await ingest.until((x) => x.messages >= before.messages + 3 && !ingest.pending);
    assert.equal(s.readings, before.readings + 2, "5 once, and the late 4");
    assert.equal(s.duplicates, before.duplicates + 1, "the redelivered 5");
    // Once the late 4 is committed, its redelivery is a duplicate too: it was remembered below the offset.
    await device.publishAsync(topic, four, { qos: 1 });
    const t = await ingest.until((x) => x.messages >= before.messages + 4 && !ingest.pending);
    assert.equal(t.duplicates, before.duplicates + 2);
    assert.equal(t.readings, before.readings + 2);
  });

  it("reports no lag once a redelivery is acknowledged: nothing is pending", async () => {
    const before = ingest.stats();
    const seven = message(7, [good(3)]);
    await device.publishAsync(topic, seven, { qos: 1 });
    await ingest.until((x) => x.readings >= before.readings + 1, 10_000);
    await device.publishAsync(topic, seven, { qos: 1 });
    // Before: the redelivery left the open batch's start time set, and the lag grew until the next message.
    const s = await ingest.until((x) => x.duplicates >= before.duplicates + 1 && x.lagMs === 0, 3_000);
    assert.equal(s.readings, before.readings + 1);
  });

  it("quarantines bad input with the reason, and counts it", async () => {
    const before = ingest.stats();
    const bad: Array<[string, string | Buffer, number]> = [
      ["malformed JSON", '{"v":1, "tenant_id": "acme", readings: [', 1],
      ["tenant claimed in the body is not the topic's", message(11, [good(11), good(12)], { tenant_id: "globex" }), 2],
      ["unknown sensor type", message(12, [good(13)], { sensor_type: "LASER" }), 1],
      ["NaN and Infinity", message(13, [good(14)]).replace('"cycles":0', '"cycles":NaN').replace('"good_parts":0', '"good_parts":Infinity'), 1],
      ["far-future timestamp", message(14, [good(15, new Date(Date.now() + 86_400_000))]), 1],
    ];
    for (const [, payload] of bad) await device.publishAsync(topic, payload, { qos: 1 });
    const expected = bad.reduce((n, [, , c]) => n + c, 0);
    // Counts move when a micro-batch commits, not when a message arrives.
    const s = await ingest.until((x) => x.quarantineRows >= before.quarantineRows + bad.length);
    assert.equal(s.quarantined - before.quarantined, expected);
    assert.equal(s.readings, before.readings);
    assert.equal(s.quarantineRows - before.quarantineRows, bad.length);
  });

  it("refuses a wrong-tenant topic at the broker, and counts it", async () => {
    const refused = broker.stats.publishRefused;
    const c = await mqtt.connectAsync(broker.url, { clientId: raw.thingName, username: raw.thingName, password: raw.password!, reconnectPeriod: 0 });
    const gone = new Promise<void>((r) => c.once("close", () => r()));
    c.publish(telemetryTopic("globex", "plant1", "machine", "acme-m-009"), message(20, [good(20)]), { qos: 1 });
    await gone;
    await c.endAsync(true);
    assert.equal(broker.stats.publishRefused, refused + 1);
  });

  it("keeps the reasons in RAW.QUARANTINE and the offsets with the rows", async () => {
    await device.endAsync();
    await gateway.stop();
    await ingest.close();
    const reasons = await queryWarehouse<{ reason: string }>(db, "SELECT reason FROM RAW.QUARANTINE ORDER BY reason");
    const text = reasons.map((r) => r.reason).join("\n");
    for (const expected of ["not valid JSON", "does not match the topic's tenant", "sensor_type", "NaN", "ahead of received_at"]) {
      assert.match(text, new RegExp(expected.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")), `a quarantine reason mentions ${expected}`);
    }
    const [row] = await queryWarehouse<{ n: bigint; d: bigint }>(db, "SELECT COUNT(*) AS n, COUNT(DISTINCT (tenant_id, device_id, seq)) AS d FROM RAW.SENSOR_READINGS");
    assert.equal(Number(row!.n), 2513);
    assert.equal(Number(row!.d), 2513);
    // The ledger, committed with the rows, says what RAW holds from this path.
    const [ledger] = await queryWarehouse<Record<string, bigint>>(
      db,
      "SELECT SUM(messages) AS messages, SUM(readings) AS readings, SUM(scans) AS scans, SUM(quarantined) AS quarantined, SUM(quarantine_rows) AS quarantine_rows, SUM(duplicates) AS duplicates FROM HUB_LOCAL.INGEST_LEDGER WHERE source = 'mqtt'",
    );
    const [q] = await queryWarehouse<{ n: bigint }>(db, "SELECT COUNT(*) AS n FROM RAW.QUARANTINE WHERE source = 'mqtt'");
    const s = ingest.stats();
    assert.deepEqual(Object.fromEntries(Object.entries(ledger!).map(([k, v]) => [k, Number(v)])), {
      messages: s.messages, readings: 2513, scans: 0, quarantined: s.quarantined, quarantine_rows: Number(q!.n), duplicates: s.duplicates,
    });
    const offsets = await queryWarehouse<{ channel: string; committed_offset: bigint }>(db, "SELECT channel, committed_offset FROM HUB_LOCAL.INGEST_CHANNEL_OFFSETS ORDER BY channel");
    // The gateway's devices send their queue's epoch; the raw client (acme-m-009) sends none.
    assert.deepEqual(offsets.map((o) => o.channel.replace(/@\d+$/, "@<epoch>")), ["mqtt:acme/acme-m-001@<epoch>", "mqtt:acme/acme-m-002@<epoch>", "mqtt:acme/acme-m-009"]);
    assert.equal(Number(offsets[2]!.committed_offset), 14);
  });
});

describe("latency histogram", () => {
  it("gives the percentiles a sort of the same millisecond samples gives, capped at its range", () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const h = new LatencyHistogram(5_000);
    assert.deepEqual(h.percentiles([0.5, 0.99]), [null, null]);
    const samples: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const ms = Math.floor(rnd() < 0.9 ? rnd() * 200 : rnd() * 4_000);
      samples.push(ms);
      h.record(ms);
    }
    samples.sort((a, b) => a - b);
    const ps = [0, 0.5, 0.9, 0.99, 0.999, 1];
    assert.deepEqual(h.percentiles(ps), ps.map((p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))]));
    h.record(60_000);
    h.record(-5);
    assert.equal(h.percentiles([1])[0], 5_000, "beyond the cap counts at the cap");
    assert.equal(h.percentiles([0])[0], 0, "a device clock ahead of ours counts as 0");
    h.reset();
    h.record(42);
    assert.deepEqual(h.percentiles([0.5, 0.99]), [42, 42]);
  });

  it("agrees with a sort when the latencies spread over minutes (the main job's simulated clock)", () => {
    let seed = 11;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const h = new LatencyHistogram();
    const samples: number[] = [];
    for (let i = 0; i < 30_000; i++) {
      // Clumps on whole seconds and stragglers between them, up to 30 simulated minutes.
      const ms = rnd() < 0.5 ? Math.floor(rnd() * 1_800) * 1_000 : Math.floor(rnd() * 1_800_000);
      samples.push(Math.min(ms, h.capMs));
      h.record(ms);
    }
    samples.sort((a, b) => a - b);
    const ps = [0, 0.01, 0.25, 0.5, 0.75, 0.99, 1];
    assert.deepEqual(h.percentiles(ps), ps.map((p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))]));
  });
});

describe("streaming ingest: the connection lost before the SUBACK", () => {
  const dir = tempDir();
  const registry = DeviceRegistry.inMemory();
  const [dev] = registerDevices(registry, [{ thingName: "acme-m-001", tenantId: "acme", siteId: "plant1", sensorType: "machine" }]);
  let broker: EmbeddedBroker;
  let ingest: StreamingIngest | undefined;
  before(async () => {
    broker = await startBroker(registry);
  });
  after(async () => {
    await ingest?.close().catch(() => undefined);
    await broker.close();
    removeDir(dir);
  });

  it("starts once reconnected, subscribed again, and lands what is then published", async () => {
    // The broker drops the ingest's connection on its first SUBSCRIBE, before answering: the first
    // connection opened a persistent session, so the reconnect reports a session present.
    const authorize = broker.aedes.authorizeSubscribe;
    let dropped = 0;
    broker.aedes.authorizeSubscribe = (client, sub, callback) => {
      if (client.id === "hub-ingest" && dropped++ === 0) return void client.conn.destroy();
      authorize.call(broker.aedes, client, sub, callback);
    };
    ingest = await startIngest(broker.url, join(dir, "hub.duckdb"));
    const device = await mqtt.connectAsync(broker.url, { clientId: dev!.thingName, username: dev!.thingName, password: dev!.password!, reconnectPeriod: 0 });
    try {
      const msg = { v: 1, tenant_id: "acme", site_id: "plant1", device_id: "acme-m-001", sensor_type: "MACHINE", seq: 1, readings: machineReadings(3, 0, new Date(Date.now() - 60_000)) };
      await device.publishAsync(telemetryTopic("acme", "plant1", "machine", "acme-m-001"), JSON.stringify(msg), { qos: 1 });
      assert.equal((await ingest.until((s) => s.readings >= 3, 10_000)).readings, 3);
      assert.equal(dropped, 2, "the first SUBSCRIBE was dropped, the one after the reconnect granted");
    } finally {
      await device.endAsync(true);
    }
  });
});
