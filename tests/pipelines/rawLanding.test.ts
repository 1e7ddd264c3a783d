/**
 * Landing readings in RAW (pipelines/ingest/rawAppender.ts): each reading's own columns and its
 * message's columns are staged apart and joined on insert, so these check that every row gets its
 * own message's tenant, device, message id, channel and source, in delivery order, and that a
 * landing that fails leaves nothing behind for the next one.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ChannelLanding } from "../../pipelines/ingest/channelLanding.ts";
import type { RawReading, RawScan } from "../../pipelines/ingest/rawRecords.ts";
import { adminQuery, reading, testEngine } from "../helpers/engine.ts";

const COLUMNS = "tenant_id, site_id, device_id, sensor_type, ts, seq, message_id, CAST(payload AS VARCHAR) AS payload, channel, channel_offset, source";

function asRow(r: RawReading): Record<string, unknown> {
  return {
    tenant_id: r.tenantId, site_id: r.siteId, device_id: r.deviceId, sensor_type: r.sensorType, ts: r.ts, seq: r.seq, message_id: r.messageId,
    payload: typeof r.payload === "string" ? r.payload : JSON.stringify(r.payload), channel: r.channel, channel_offset: r.channelOffset, source: r.source,
  };
}

test("landed readings keep their order and each keeps its own message's tenant, device, message id, channel and source", async () => {
  const { engine } = await testEngine();
  try {
    const air = (tenant: string, device: string, seq: number, site = "s1") =>
      reading(tenant, device, "AIR_QUALITY", seq, `2026-01-05T07:5${seq % 10}:00`, { period_s: 60, co2_ppm: 400 + seq, pm25_ugm3: 5 }, site);
    const rows: RawReading[] = [
      air("acme", "a1", 1), air("acme", "a1", 2),
      // The same device again in another message; another tenant between two of acme's devices.
      { ...air("acme", "a1", 3), messageId: "later-message" },
      air("globex", "g1", 1, "g-site"),
      air("acme", "a2", 1),
      { ...air("acme", "a2", 2), channel: null, channelOffset: null, source: "file:line.csv", messageId: null },
      { ...air("acme", "a2", 3), payload: '{"schema":"air_quality/1","metrics":{"period_s":60,"co2_ppm":410},"note":"kept as sent"}' },
      air("acme", "a1", 4),
    ];
    await engine.land({ readings: rows });
    const landed = await adminQuery(engine, `SELECT ${COLUMNS} FROM RAW.SENSOR_READINGS ORDER BY rowid`);
    assert.deepEqual(landed.map((r) => ({ ...r, seq: Number(r.seq), channel_offset: r.channel_offset === null ? null : Number(r.channel_offset) })), rows.map(asRow));
  } finally {
    await engine.close();
  }
});

test("a landing that fails part-way lands nothing, and the next one lands exactly its own readings", async () => {
  const { engine } = await testEngine();
  try {
    const landing = await ChannelLanding.onEngine(engine);
    const m = (device: string, seq: number) =>
      reading("acme", device, "MACHINE", seq, `2026-01-05T07:59:${String(seq).padStart(2, "0")}`, { state: "IDLE", period_s: 1 });
    // A scan without a tenant cannot be appended: the whole batch rolls back, its readings with it.
    const badScan = { tenantId: null, siteId: "s1", jobId: "J1", productId: null, productVariant: null, station: "cut", scanTs: new Date(), operatorId: null, metadata: null, source: "test" } as unknown as RawScan;
    await assert.rejects(landing.commit({ readings: [m("m1", 1), m("m1", 2)], scans: [badScan], quarantine: [], messages: [{ channel: "acme/0", seq: 1 }] }, new Date("2026-01-05T08:00:00Z")));
    assert.equal(landing.committed("acme/0"), -1, "the failed batch's offset did not move");
    await landing.commit({ readings: [m("m2", 7)], scans: [], quarantine: [], messages: [{ channel: "acme/0", seq: 2 }] }, new Date("2026-01-05T08:00:01Z"));
    const landed = await adminQuery(engine, "SELECT device_id, seq FROM RAW.SENSOR_READINGS ORDER BY rowid");
    assert.deepEqual(landed.map((r) => [r.device_id, Number(r.seq)]), [["m2", 7]]);
  } finally {
    await engine.close();
  }
});
