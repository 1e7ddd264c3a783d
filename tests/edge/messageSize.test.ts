/**
 * Size limits at the door (issue 18, part 3): the broker refuses a publish over 128 KB at the
 * protocol level, as IoT Core does (it closes the connection, before reading the payload), and
 * whatever path quarantines a payload over the limit keeps a bounded prefix, its size and SHA-256.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { generate } from "mqtt-packet";
import { DeviceRegistry } from "../../edge/deviceRegistry.ts";
import type { EmbeddedBroker } from "../../edge/embeddedBroker.ts";
import { PacketSizeGate } from "../../edge/packetSizeGate.ts";
import { telemetryTopic } from "../../edge/topicRules.ts";
import { ChannelLanding } from "../../pipelines/ingest/channelLanding.ts";
import type { StreamingIngest } from "../../pipelines/ingest/streamingIngest.ts";
import { parseMessage } from "../../pipelines/quality/messageParser.ts";
import { MAX_MESSAGE_BYTES } from "../../pipelines/quality/payloadSchemas.ts";
import { QUARANTINE_PREFIX_BYTES, type CutPayload } from "../../pipelines/quality/quarantinePayload.ts";
import { queryWarehouse, registerDevices, removeDir, startBroker, startIngest, tempDir } from "./edgeStack.ts";

const TOPIC = telemetryTopic("acme", "plant1", "machine", "acme-m-009");
const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

/** A valid one-reading message of exactly `bytes` bytes (padded with an unknown field). */
function messageOfSize(seq: number, bytes: number): string {
  const reading = { ts: new Date().toISOString(), seq, metrics: { state: "IDLE", period_s: 1 } };
  const head = { v: 1, tenant_id: "acme", site_id: "plant1", device_id: "acme-m-009", sensor_type: "MACHINE", seq, readings: [reading] };
  const empty = JSON.stringify({ ...head, pad: "" });
  const text = JSON.stringify({ ...head, pad: "x".repeat(bytes - Buffer.byteLength(empty)) });
  assert.equal(Buffer.byteLength(text), bytes);
  return text;
}

describe("packet size gate", () => {
  const publish = (payloadBytes: number, qos: 0 | 1, topic = TOPIC) =>
    generate({ cmd: "publish", topic, payload: Buffer.alloc(payloadBytes, 0x61), qos, messageId: qos ? 7 : undefined, retain: false, dup: false });

  it("lets a payload of exactly the limit through and refuses one byte more, however the bytes are split", () => {
    for (const qos of [0, 1] as const) {
      for (const [payload, refused] of [[1000, false], [1001, true]] as const) {
        const stream = Buffer.concat([generate({ cmd: "pingreq" }), publish(payload, qos), generate({ cmd: "pingreq" })]);
        for (const step of [1, 2, 3, 7, stream.length]) {
          const gate = new PacketSizeGate(1000, 1000);
          let verdict = null;
          for (let i = 0; i < stream.length && !verdict; i += step) verdict = gate.feed(stream.subarray(i, i + step));
          assert.deepEqual(verdict, refused ? { packet: "publish", bytes: payload, limit: 1000 } : null, `qos ${qos}, payload ${payload}, ${step}-byte reads`);
        }
      }
    }
  });

  it("follows many packets in one read, and refuses an oversized packet of another kind by its length", () => {
    const gate = new PacketSizeGate(1000, 1000);
    const many = Buffer.concat(Array.from({ length: 50 }, (_, i) => publish(i * 20, (i % 2) as 0 | 1)));
    assert.equal(gate.feed(many), null);
    const subscribe = generate({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "x".repeat(1200), qos: 1 }] });
    assert.deepEqual(gate.feed(subscribe.subarray(0, 5)), { packet: "subscribe", bytes: subscribe.length - 3, limit: 1000 });
  });

  it("decides on the header alone: 30 MB is refused from its first bytes", () => {
    const header = publish(30 * 1024 * 1024, 1).subarray(0, 64);
    assert.deepEqual(new PacketSizeGate(MAX_MESSAGE_BYTES, MAX_MESSAGE_BYTES).feed(header), { packet: "publish", bytes: 30 * 1024 * 1024, limit: MAX_MESSAGE_BYTES });
  });
});

describe("message size at the broker and in quarantine", () => {
  const dir = tempDir("size-");
  const db = join(dir, "hub.duckdb");
  const registry = DeviceRegistry.inMemory();
  const [dev] = registerDevices(registry, [{ thingName: "acme-m-009", tenantId: "acme", siteId: "plant1", sensorType: "machine" }]);
  let broker: EmbeddedBroker;
  let ingest: StreamingIngest;
  const connect = () => mqtt.connectAsync(broker.url, { clientId: dev!.thingName, username: dev!.thingName, password: dev!.password!, reconnectPeriod: 0 });
  /** Readings published to the ingest by the tests (the count invariant's left side). */
  let delivered = 0;

  before(async () => {
    broker = await startBroker(registry);
    ingest = await startIngest(broker.url, db);
  });
  after(async () => {
    await ingest.close().catch(() => undefined);
    await broker.close();
    removeDir(dir);
  });

  /** Publish `payload`; resolves with whether the broker kept the connection (true) or closed it. */
  async function publishOn(c: MqttClient, payload: string | Buffer): Promise<boolean> {
    return new Promise((resolve) => {
      const onClose = () => resolve(false);
      c.once("close", onClose);
      c.publish(TOPIC, payload, { qos: 1 }, (err) => {
        c.off("close", onClose);
        resolve(!err);
      });
    });
  }

  it("a payload of exactly 128 KB lands in RAW", async () => {
    const c = await connect();
    try {
      const before = ingest.stats();
      assert.equal(await publishOn(c, messageOfSize(1, MAX_MESSAGE_BYTES)), true);
      delivered++;
      const s = await ingest.until((x) => x.readings > before.readings, 10_000);
      assert.equal(s.readings, before.readings + 1);
      assert.equal(broker.stats.packetsTooLarge, 0);
    } finally {
      await c.endAsync(true);
    }
  });

  it("128 KB + 1 is refused at the broker: the connection is closed, nothing reaches the ingest", async () => {
    const c = await connect();
    const before = ingest.stats();
    const messages = broker.stats.telemetryAccepted;
    assert.equal(await publishOn(c, messageOfSize(2, MAX_MESSAGE_BYTES + 1)), false, "the broker closed the connection");
    await c.endAsync(true);
    assert.equal(broker.stats.packetsTooLarge, 1);
    assert.deepEqual({ ...broker.stats.lastPacketTooLarge, bytesRead: 0 }, { packet: "publish", bytes: MAX_MESSAGE_BYTES + 1, limit: MAX_MESSAGE_BYTES, clientId: "acme-m-009", bytesRead: 0 });
    assert.equal(broker.stats.telemetryAccepted, messages, "not authorised, not forwarded: aedes never saw it whole");
    // The device can connect again (IoT Core disconnects, it does not ban), and what it sends next lands.
    const again = await connect();
    try {
      assert.equal(await publishOn(again, messageOfSize(3, 2_000)), true);
      delivered++;
      const s = await ingest.until((x) => x.readings > before.readings, 10_000);
      assert.equal(s.messages, before.messages + 1, "only the good message reached the ingest");
    } finally {
      await again.endAsync(true);
    }
  });

  it("30 MB is refused from its header: the broker reads a sliver of it, not 30 MB", async () => {
    const c = await connect();
    const payload = Buffer.alloc(30 * 1024 * 1024, 0x20);
    assert.equal(await publishOn(c, payload), false);
    await c.endAsync(true);
    const refused = broker.stats.lastPacketTooLarge!;
    assert.equal(refused.bytes, payload.length);
    assert.ok(refused.bytesRead < 1024 * 1024, `the broker had read ${refused.bytesRead} bytes of the connection when it refused`);
    assert.equal(broker.stats.packetsTooLarge, 2);
  });

  it("a refused small payload is still stored whole", async () => {
    const c = await connect();
    const text = messageOfSize(4, 3_000).replace('"tenant_id":"acme"', '"tenant_id":"globex"');
    try {
      const before = ingest.stats();
      assert.equal(await publishOn(c, text), true);
      delivered++;
      await ingest.until((x) => x.quarantineRows > before.quarantineRows, 10_000);
    } finally {
      await c.endAsync(true);
    }
    await ingest.close();
    const rows = await queryWarehouse<{ reason: string; raw: string }>(db, "SELECT reason, raw::VARCHAR AS raw FROM RAW.QUARANTINE WHERE source = 'mqtt'");
    assert.equal(rows.length, 1);
    assert.match(rows[0]!.reason, /tenant_id 'globex' does not match/);
    assert.equal(rows[0]!.raw, text, "kept byte for byte");
    // The count invariant: every reading the ingest was sent is in RAW or quarantined (no duplicates here).
    const [raw] = await queryWarehouse<{ n: bigint }>(db, "SELECT COUNT(*) AS n FROM RAW.SENSOR_READINGS");
    const s = ingest.stats();
    assert.equal(Number(raw!.n) + s.quarantined + s.duplicates, delivered);
    assert.equal(s.messages, delivered);
  });
});

describe("quarantine keeps a bounded prefix of a payload over the limit, whatever path refused it", () => {
  const dirs: string[] = [];
  after(() => dirs.forEach(removeDir));

  it("parseMessage refuses 30 MB with the size, its SHA-256 and its first 4 KB, without decoding it whole", () => {
    const text = messageOfSize(5, 30 * 1024 * 1024);
    const payload = Buffer.from(text);
    const r = parseMessage(payload, { receivedAt: new Date(), expectedTenant: "acme" });
    assert.equal(r.accepted.length, 0);
    const [refusal] = r.rejected;
    const cut = refusal!.raw as CutPayload;
    assert.equal(cut.bytes, payload.length);
    assert.equal(cut.sha256, sha256(payload));
    assert.equal(cut.prefix, text.slice(0, QUARANTINE_PREFIX_BYTES));
    assert.match(refusal!.reason, new RegExp(`message is ${payload.length} bytes; the limit is ${MAX_MESSAGE_BYTES} \\(quarantine keeps its first 4096 bytes, its size and its SHA-256 ${cut.sha256}\\)`));
  });

  it("a prefix ends on a character boundary, and binary is kept as base64", () => {
    const text = `${"é".repeat(3000)}`; // 6000 bytes, two per character
    const cut = parseMessage(text, { receivedAt: new Date(), maxBytes: 5000 }).rejected[0]!.raw as CutPayload;
    assert.equal(cut.prefix, "é".repeat(2048));
    assert.equal(cut.prefix_bytes, 4096);
    const binary = Buffer.alloc(10_000, 0xff);
    const b = parseMessage(binary, { receivedAt: new Date(), maxBytes: 5000 }).rejected[0]!.raw as CutPayload;
    assert.equal(b.prefix_encoding, "base64");
    assert.deepEqual(Buffer.from(b.prefix, "base64"), binary.subarray(0, QUARANTINE_PREFIX_BYTES));
  });

  it("a quarantine row written with a huge raw value (any path) keeps the prefix, size and SHA-256, and says so", async () => {
    const dir = tempDir("size-landing-");
    dirs.push(dir);
    const db = join(dir, "hub.duckdb");
    const landing = await ChannelLanding.open(db);
    const huge = "y".repeat(1024 * 1024);
    const small = { reading: { seq: 1, metrics: { x: 1 } } };
    await landing.commit({
      readings: [], scans: [], messages: [],
      quarantine: [
        { tenantId: "acme", source: "file:big.jsonl", reason: "line 1 is not a reading", raw: huge, deviceId: null, metric: null },
        { tenantId: "acme", source: "file:big.jsonl", reason: "line 2 is refused", raw: small, deviceId: null, metric: null },
      ],
    }, new Date());
    await landing.close();
    const rows = await queryWarehouse<{ reason: string; raw: string }>(db, "SELECT reason, raw::VARCHAR AS raw FROM RAW.QUARANTINE ORDER BY reason");
    const cut = JSON.parse(rows[0]!.raw) as CutPayload;
    assert.equal(cut.bytes, huge.length);
    assert.equal(cut.sha256, sha256(huge));
    assert.equal(cut.prefix.length, QUARANTINE_PREFIX_BYTES);
    assert.match(rows[0]!.reason, /^line 1 is not a reading \(quarantine keeps its first 4096 bytes, its size and its SHA-256 [0-9a-f]{64}\)$/);
    assert.deepEqual(JSON.parse(rows[1]!.raw), small, "a small refusal is kept whole");
    assert.equal(rows[1]!.reason, "line 2 is refused");
  });
});
