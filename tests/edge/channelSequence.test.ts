/**
 * The hostile suite for message sequence numbers (issue 18, part 2): every way a device's seq can
 * be wrong, through the real broker, ingest and DuckDB file. After each case the count invariant
 * holds: every reading sent is in RAW, in RAW.QUARANTINE with a reason, or a counted redelivery;
 * and a channel's offset only ever moves to a seq that landed.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import mqtt, { type MqttClient } from "mqtt";
import { DeviceRegistry } from "../../edge/deviceRegistry.ts";
import type { EmbeddedBroker } from "../../edge/embeddedBroker.ts";
import { telemetryTopic } from "../../edge/topicRules.ts";
import { ChannelLanding } from "../../pipelines/ingest/channelLanding.ts";
import { DEDUP_WINDOW, contentHash, hashHex } from "../../pipelines/ingest/channelSequence.ts";
import type { StreamingIngest } from "../../pipelines/ingest/streamingIngest.ts";
import { MAX_SEQ_ADVANCE } from "../../pipelines/quality/payloadSchemas.ts";
import { queryWarehouse, registerDevices, removeDir, startBroker, startIngest, tempDir } from "./edgeStack.ts";

const DEVICES = ["acme-m-101", "acme-m-102", "acme-m-103", "acme-m-104", "acme-m-105", "acme-m-106", "acme-m-107"];
let readingSeq = 0;

/** A one-reading message of `device` with envelope seq `seq` (a number, or raw JSON text for hostile values). */
function message(device: string, seq: number | string, opts: { epoch?: number; note?: string } = {}): string {
  const reading = { ts: new Date(Date.now() - 1000).toISOString(), seq: readingSeq++, metrics: { state: "IDLE", period_s: 1 } };
  const body = { v: 1, tenant_id: "acme", site_id: "plant1", device_id: device, sensor_type: "MACHINE", seq: "@SEQ@", ...(opts.epoch === undefined ? {} : { epoch: opts.epoch }), ...(opts.note ? { note: opts.note } : {}), readings: [reading] };
  return JSON.stringify(body).replace('"@SEQ@"', String(seq));
}

describe("message sequence numbers, hostile", () => {
  const dir = tempDir("seq-");
  const db = join(dir, "hub.duckdb");
  const registry = DeviceRegistry.inMemory();
  const devices = registerDevices(registry, DEVICES.map((thingName) => ({ thingName, tenantId: "acme", siteId: "plant1", sensorType: "machine" as const })));
  let broker: EmbeddedBroker;
  let ingest: StreamingIngest;
  const clients = new Map<string, MqttClient>();
  /** Readings sent since the current ingest started (one per message). */
  let sent = 0;

  const send = async (device: string, text: string) => {
    await clients.get(device)!.publishAsync(telemetryTopic("acme", "plant1", "machine", device), text, { qos: 1 });
    sent++;
    return text;
  };
  /** Wait until the ingest has handled everything sent, then check the count invariant. */
  const settle = async () => {
    const s = await ingest.until((x) => x.readings + x.quarantined + x.duplicates >= sent && x.lagMs === 0, 10_000);
    assert.equal(s.readings + s.quarantined + s.duplicates, sent, `every reading is landed, quarantined or a counted redelivery: ${JSON.stringify(s)}`);
    return s;
  };
  const offsets = () => queryWarehouse<{ channel: string; o: bigint }>(db, "SELECT channel, committed_offset AS o FROM HUB_LOCAL.INGEST_CHANNEL_OFFSETS ORDER BY channel")
    .then((rows) => Object.fromEntries(rows.map((r) => [r.channel, Number(r.o)])));
  /** Restart the ingest (it closes the warehouse file, so it can be read), run `read`, start it again. */
  const whileStopped = async <T>(read: () => Promise<T>): Promise<T> => {
    await ingest.close();
    try {
      return await read();
    } finally {
      ingest = await startIngest(broker.url, db);
      sent = 0;
    }
  };

  before(async () => {
    broker = await startBroker(registry);
    ingest = await startIngest(broker.url, db);
    for (const d of devices) {
      clients.set(d.thingName, await mqtt.connectAsync(broker.url, { clientId: d.thingName, username: d.thingName, password: d.password!, reconnectPeriod: 0 }));
    }
  });
  after(async () => {
    for (const c of clients.values()) await c.endAsync(true).catch(() => undefined);
    await ingest.close().catch(() => undefined);
    await broker.close();
    removeDir(dir);
  });

  it("a huge seq on an existing channel is quarantined, moves no offset, and the messages after it land (the issue's case)", async () => {
    const d = "acme-m-101";
    for (let s = 0; s < 3; s++) await send(d, message(d, s));
    await settle();
    // Refused anyway (its reading's timestamp is far ahead): the offset still must not follow its seq.
    await send(d, message(d, 9007199254740000).replace(/"ts":"[^"]+"/, `"ts":"${new Date(Date.now() + 86_400_000).toISOString()}"`));
    await send(d, message(d, 9007199254740001));
    // Committed first, as in the issue: the offset, had it moved, would turn what follows into "duplicates".
    await settle();
    for (let s = 3; s < 8; s++) await send(d, message(d, s));
    const s = await settle();
    assert.equal(s.seqQuarantined, 2);
    assert.equal(s.readings, 8, "seq 3-7 landed: none was taken for a duplicate");
    const [o, reasons] = await whileStopped(async () => [
      await offsets(),
      await queryWarehouse<{ reason: string; device_id: string }>(db, "SELECT reason, device_id FROM RAW.QUARANTINE WHERE reason LIKE '%implausible%' ORDER BY reason"),
    ] as const);
    assert.equal(o["mqtt:acme/acme-m-101"], 7, "the offset survives a restart at the last seq that landed");
    assert.equal(reasons.length, 2);
    assert.equal(
      reasons[0]!.reason,
      `seq 9007199254740000 is implausible for channel mqtt:acme/acme-m-101: its committed offset is 2, and a message may be at most ${MAX_SEQ_ADVANCE} (MAX_SEQ_ADVANCE) ahead of it; ` +
        "the offset is not moved. A device that restarted its numbering must send a new epoch",
    );
    assert.equal(reasons[0]!.device_id, d);
  });

  it("a huge seq on a new channel is quarantined; the bound itself is adopted", async () => {
    const d = "acme-m-102";
    await send(d, message(d, MAX_SEQ_ADVANCE));
    await settle();
    await send(d, message(d, MAX_SEQ_ADVANCE - 1));
    const s = await settle();
    assert.equal(s.seqQuarantined, 1);
    assert.equal(s.readings, 1);
    const o = await whileStopped(offsets);
    assert.equal(o["mqtt:acme/acme-m-102"], MAX_SEQ_ADVANCE - 1, "committed -1 + MAX_SEQ_ADVANCE is the last plausible seq of a new channel");
  });

  it("a negative, fractional, string or beyond-2^53 seq is refused naming it, and takes no offset", async () => {
    const d = "acme-m-103";
    await send(d, message(d, 0));
    const hostile: Array<[string, string]> = [
      ["-1", "seq = -1 is negative"],
      ["1.5", "seq = 1.5 is not an integer"],
      ['"5"', "seq = '5' is not a number"],
      ["9007199254740993", "seq = 9007199254740992 is beyond 9007199254740991 (2^53 - 1), above which JSON numbers are not exact"],
      ["null", "seq = null is not a number"],
    ];
    for (const [seq] of hostile) await send(d, message(d, seq));
    await send(d, message(d, 1));
    const s = await settle();
    assert.equal(s.readings, 2);
    assert.equal(s.quarantined, hostile.length);
    const [o, reasons] = await whileStopped(async () => [
      await offsets(),
      (await queryWarehouse<{ reason: string }>(db, "SELECT reason FROM RAW.QUARANTINE WHERE device_id = 'acme-m-103'")).map((r) => r.reason).sort(),
    ] as const);
    assert.deepEqual(reasons, hostile.map(([, r]) => r).sort());
    assert.equal(o["mqtt:acme/acme-m-103"], 1);
  });

  it("a device that restarts its numbering with a new epoch lands its new messages on a channel of their own", async () => {
    const d = "acme-m-104";
    for (let s = 0; s < 5; s++) await send(d, message(d, s, { epoch: 1000 }));
    await settle();
    for (let s = 0; s < 3; s++) await send(d, message(d, s, { epoch: 2000 }));
    const s = await settle();
    assert.equal(s.readings, 8);
    assert.equal(s.quarantined + s.duplicates, 0);
    const [o, rows] = await whileStopped(async () => [
      await offsets(),
      await queryWarehouse<{ channel: string; n: bigint }>(db, "SELECT channel, COUNT(*) AS n FROM RAW.SENSOR_READINGS WHERE device_id = 'acme-m-104' GROUP BY 1 ORDER BY 1"),
    ] as const);
    assert.equal(o["mqtt:acme/acme-m-104@1000"], 4);
    assert.equal(o["mqtt:acme/acme-m-104@2000"], 2);
    assert.deepEqual(rows.map((r) => [r.channel, Number(r.n)]), [["mqtt:acme/acme-m-104@1000", 5], ["mqtt:acme/acme-m-104@2000", 3]]);
  });

  it("a device that restarts its numbering without an epoch is quarantined (conflict or too old), never dropped silently", async () => {
    const d = "acme-m-105";
    for (let s = 0; s < 3; s++) await send(d, message(d, s));
    await settle();
    // Restarted at 0: seq 0-2 are remembered, with other content: conflicts.
    for (const seq of [0, 1, 2]) await send(d, message(d, seq, { note: "after a restart" }));
    await settle();
    // Far on, then restarted again: 10 and 49 lie below the remembered window.
    await send(d, message(d, DEDUP_WINDOW + 50));
    await settle();
    for (const seq of [10, 49]) await send(d, message(d, seq, { note: "after another restart" }));
    const s = await settle();
    assert.equal(s.readings, 4);
    assert.equal(s.duplicates, 0);
    assert.equal(s.seqQuarantined, 5);
    const reasons = await whileStopped(async () => (await queryWarehouse<{ reason: string }>(db, "SELECT reason FROM RAW.QUARANTINE WHERE device_id = 'acme-m-105' ORDER BY reason")).map((r) => r.reason));
    assert.equal(reasons.filter((r) => r.includes("a conflict, not a redelivery")).length, 3);
    const tooOld = reasons.filter((r) => r.includes("cannot be told from a device that restarted its numbering"));
    assert.equal(tooOld.length, 2);
    assert.match(tooOld[0]!, new RegExp(`^seq 10 of channel mqtt:acme/acme-m-105 is ${DEDUP_WINDOW} \\(DEDUP_WINDOW\\) or more below its committed offset ${DEDUP_WINDOW + 50}`));
  });

  it("a redelivery with the same content is a counted duplicate; the same seq with other content is a conflict naming both hashes", async () => {
    const d = "acme-m-106";
    const first = await send(d, message(d, 0));
    await settle();
    await send(d, first);
    await send(d, first);
    const other = await send(d, message(d, 0, { note: "different" }));
    const s = await settle();
    assert.equal(s.duplicates, 2);
    assert.equal(s.seqQuarantined, 1);
    assert.equal(s.readings, 1);
    // The conflict is still known after a restart: the hashes are kept in the warehouse.
    await whileStopped(async () => undefined);
    await send(d, message(d, 0, { note: "yet another" }));
    assert.equal((await settle()).seqQuarantined, 1);
    const reasons = await whileStopped(async () => (await queryWarehouse<{ reason: string }>(db, "SELECT reason FROM RAW.QUARANTINE WHERE device_id = 'acme-m-106' ORDER BY received_at, reason")).map((r) => r.reason));
    assert.equal(reasons.length, 2);
    const h = (t: string) => hashHex(contentHash(Buffer.from(t)));
    assert.equal(reasons[0], `seq 0 of channel mqtt:acme/acme-m-106 was committed with content hash ${h(first)}, and this message under the same seq has content hash ${h(other)}: a conflict, not a redelivery`);
    assert.match(reasons[1]!, new RegExp(`committed with content hash ${h(first)}, `));
  });

  it("messages out of order within the window land; interleaved channels keep their own offsets", async () => {
    const a = "acme-m-107";
    const b = "acme-m-101";
    const order: Array<[string, number, number | undefined]> = [
      [a, 20, undefined], [b, 30, undefined], [a, 15, undefined], [a, 3, 77], [b, 28, undefined], [a, 18, undefined], [a, 1, 77], [b, 29, undefined], [a, 2, 77],
    ];
    for (const [d, seq, epoch] of order) await send(d, message(d, seq, epoch === undefined ? {} : { epoch }));
    const s = await settle();
    assert.equal(s.readings, order.length);
    assert.equal(s.quarantined + s.duplicates, 0);
    const o = await whileStopped(offsets);
    assert.equal(o["mqtt:acme/acme-m-107"], 20);
    assert.equal(o["mqtt:acme/acme-m-107@77"], 3);
    assert.equal(o["mqtt:acme/acme-m-101"], 30);
  });

  it("in the warehouse: every reading sent is in RAW or in RAW.QUARANTINE with a reason (the suite's totals)", async () => {
    const [raw, q] = await whileStopped(async () => [
      await queryWarehouse<{ n: bigint; d: bigint }>(db, "SELECT COUNT(*) AS n, COUNT(DISTINCT (device_id, seq)) AS d FROM RAW.SENSOR_READINGS"),
      await queryWarehouse<{ n: bigint; empty: bigint }>(db, "SELECT COUNT(*) AS n, COUNT(*) FILTER (WHERE reason IS NULL OR reason = '' OR raw IS NULL) AS empty FROM RAW.QUARANTINE"),
    ] as const);
    // 8 + 1 + 2 + 8 + 4 + 1 + 9 landed; 2 + 1 + 5 + 5 + 2 quarantined (the 2 redeliveries are neither).
    assert.deepEqual([Number(raw[0]!.n), Number(raw[0]!.d)], [33, 33]);
    assert.deepEqual([Number(q[0]!.n), Number(q[0]!.empty)], [15, 0]);
  });
});

describe("channel landing: a hub file from before content hashes", () => {
  const dir = tempDir("seq-legacy-");
  after(() => removeDir(dir));

  it("opens with its offsets and remembered seqs; a seq landed without a hash is a redelivery", async () => {
    const db = join(dir, "hub.duckdb");
    // The landing's tables as they were: INGEST_CHANNEL_MESSAGES(channel, seq), no content_hash.
    await (await ChannelLanding.open(db)).close();
    const instance = await DuckDBInstance.create(db);
    const c = await instance.connect();
    await c.run("DROP TABLE HUB_LOCAL.INGEST_CHANNEL_MESSAGES");
    await c.run("CREATE TABLE HUB_LOCAL.INGEST_CHANNEL_MESSAGES (channel VARCHAR NOT NULL, seq BIGINT NOT NULL)");
    await c.run("INSERT INTO HUB_LOCAL.INGEST_CHANNEL_MESSAGES VALUES ('mqtt:acme/old', 40), ('mqtt:acme/old', 41)");
    await c.run("INSERT INTO HUB_LOCAL.INGEST_CHANNEL_OFFSETS VALUES ('mqtt:acme/old', 41, now()::TIMESTAMP)");
    c.closeSync();
    instance.closeSync();
    const landing = await ChannelLanding.open(db);
    try {
      assert.equal(landing.committed("mqtt:acme/old"), 41);
      assert.equal(landing.knownHash("mqtt:acme/old", 40), null, "known, without a hash: judged a redelivery");
      assert.equal(landing.knownHash("mqtt:acme/old", 42), undefined);
      await landing.commit({ readings: [], scans: [], quarantine: [], messages: [{ channel: "mqtt:acme/old", seq: 42, hash: 0xabcdef123456 }] }, new Date());
      assert.equal(landing.knownHash("mqtt:acme/old", 42), 0xabcdef123456);
    } finally {
      await landing.close();
    }
    const again = await ChannelLanding.open(db);
    try {
      assert.equal(again.knownHash("mqtt:acme/old", 42), 0xabcdef123456, "the hash is kept across a restart");
      assert.equal(again.committed("mqtt:acme/old"), 42);
    } finally {
      await again.close();
    }
  });
});
