/**
 * Data quality in the warehouse: every unit of raw data ends in exactly one of silver, quarantine
 * or the duplicate count, and every refusal names the field and the value.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { adminQuery, at, reading, testEngine } from "../helpers/engine.ts";
import { parseMessage } from "../../pipelines/quality/messageParser.ts";
import { loadFixture } from "./fixture.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import type { SimulatedClock } from "../../pipelines/engine/clock.ts";

describe("data quality and reconciliation", () => {
  let engine: EmbeddedEngine;
  let clock: SimulatedClock;
  before(async () => {
    ({ engine, clock } = await testEngine());
    await loadFixture(engine, clock);
  });
  after(() => engine.close());

  it("reconciles raw units with normalised + quarantined + duplicates per tenant", async () => {
    // A unit is one (reading, known metric), or a reading with no known metric at all.
    const raw = await adminQuery<{ tenant_id: string; units: number }>(
      engine,
      `SELECT r.tenant_id, SUM(GREATEST(1, (SELECT COUNT(*) FROM json_each(r.payload -> '$.metrics') f, CORE.METRIC_RULES m
         WHERE m.sensor_type = r.sensor_type AND m.metric = f.key))) AS units
       FROM RAW.SENSOR_READINGS r GROUP BY r.tenant_id ORDER BY 1`,
    );
    const silver = await adminQuery<{ tenant_id: string; n: number }>(engine, "SELECT tenant_id, COUNT(*) AS n FROM CORE.SENSOR_READINGS_NORMALIZED GROUP BY 1 ORDER BY 1");
    const log = await adminQuery<{ tenant_id: string; q: number; d: number; n: number }>(
      engine,
      `SELECT tenant_id, SUM(quarantined) AS q, SUM(duplicates) AS d, SUM(normalized) AS n FROM OPS.DATA_QUALITY_LOG
       WHERE step IN ('validate', 'normalize') GROUP BY 1 ORDER BY 1`,
    );
    const quarantined = await adminQuery<{ tenant_id: string; n: number }>(
      engine,
      "SELECT tenant_id, COUNT(*) AS n FROM RAW.QUARANTINE WHERE metric IS NOT NULL OR device_id NOT LIKE 'J%' GROUP BY 1 ORDER BY 1",
    );
    for (const r of raw) {
      const s = silver.find((x) => x.tenant_id === r.tenant_id)?.n ?? 0;
      const l = log.find((x) => x.tenant_id === r.tenant_id)!;
      assert.equal(l.n, s, `the log's normalised count matches silver for ${r.tenant_id}`);
      assert.equal(r.units, s + l.q + l.d, `raw = normalised + quarantined + duplicates for ${r.tenant_id}`);
      assert.equal(l.q, quarantined.find((x) => x.tenant_id === r.tenant_id)?.n ?? 0);
    }
    // acme by hand: 63 units = 56 normalised + 5 quarantined + 2 duplicate metrics of the repeated seq 6
    // (a DOWN reading completes no cycle, so it carries state and period_s only).
    assert.deepEqual(raw.find((r) => r.tenant_id === "acme")?.units, 63);
    assert.equal(silver.find((r) => r.tenant_id === "acme")?.n, 56);
  });

  it("names the field and the value in every quarantine reason", async () => {
    const reasons = (await adminQuery<{ reason: string }>(engine, "SELECT reason FROM RAW.QUARANTINE ORDER BY reason")).map((r) => r.reason);
    assert.ok(reasons.includes("payload.metrics.spindle_load_pct = 500 is outside [0, 200]"), reasons.join("\n"));
    assert.ok(reasons.includes("sensor_type 'LASER' is not one of MACHINE|ENERGY|AIR_QUALITY"));
    assert.ok(reasons.some((r) => /^ts 2026-01-05 11:00:00 is more than 300 s ahead of ingested_at 2026-01-05 09:30:00/.test(r)), reasons.join("\n"));
    assert.ok(reasons.includes("station is empty"));
  });

  it("refuses wrong types, text outside its values, NaN and missing metrics objects", async () => {
    clock.advance(60_000);
    await engine.land({
      readings: [
        reading("acme", "m9", "MACHINE", 1, "2026-01-05T09:31:00", { state: "FLYING", period_s: "one", cycles: 0, good_parts: 0, ideal_cycle_s: 30 }),
        { ...reading("acme", "m9", "MACHINE", 2, "2026-01-05T09:31:00", {}), payload: '{"schema":"machine/1","metrics":{"state":"IDLE","period_s":NaN}}' },
        { ...reading("acme", "m9", "MACHINE", 3, "2026-01-05T09:31:00", {}), payload: { schema: "machine/1", metrics: [1, 2] } },
      ],
    });
    await engine.tick();
    const reasons = (await adminQuery<{ reason: string }>(engine, "SELECT reason FROM RAW.QUARANTINE WHERE device_id = 'm9' ORDER BY reason")).map((r) => r.reason);
    // The ingest's words (payloadSchemas.ts): strings quoted, the value that is not an object shown.
    assert.deepEqual(reasons, [
      "payload.metrics = [1,2] is not an object",
      "payload.metrics.period_s = 'one' is not a number",
      "payload.metrics.period_s = NaN is not finite",
      "payload.metrics.state = 'FLYING' is not one of RUNNING|IDLE|SETUP|DOWN",
    ]);
  });

  it("lowers the quality score of late and implausible values instead of dropping them", async () => {
    const [r] = await adminQuery<{ q: number }>(
      engine,
      "SELECT quality_score AS q FROM CORE.SENSOR_READINGS_NORMALIZED WHERE device_id = 'm1' AND seq = 1 AND metric = 'period_s'",
    );
    // 600 s is inside the hard range but outside the soft one (−0.3), and it landed 90 min late (−0.2).
    assert.ok(Math.abs(r!.q - 0.5) < 1e-9, `quality ${r!.q}`);
  });
});

describe("readings as streaming ingest keeps them", () => {
  it("the warehouse judges a reading kept as the device's own text exactly as the parsed reading", async () => {
    const { engine } = await testEngine();
    try {
      // Pretty-printed, with number and string spellings JSON.stringify would rewrite.
      const text = `{
  "v": 1, "tenant_id": "acme", "site_id": "s1", "device_id": "m-text", "sensor_type": "MACHINE", "seq": 3,
  "readings": [
    { "ts": "2026-01-05T07:59:00.000Z", "seq": 1,
      "metrics": { "state": "RUNN\\u0049NG", "period_s": 1.0, "cycles": 2e0, "good_parts": 1, "ideal_cycle_s": 3.0E1, "spindle_load_pct": 150 } },
    { "ts": "2026-01-05T07:59:01.000Z", "seq": 2,
      "metrics": { "state": "IDLE", "period_s": 1, "cycles": 0, "good_parts": 0, "ideal_cycle_s": 30, "temperature_c": -0.5, "vib": [1.50, {"x": 2}] } }
  ]
}`;
      const parsed = parseMessage(text, { receivedAt: at("2026-01-05T08:00:00Z"), expectedTenant: "acme" });
      assert.equal(parsed.kind === "readings" && parsed.accepted.length, 2);
      const accepted = parsed.kind === "readings" ? parsed.accepted : [];
      assert.match(accepted[0]!.payloadJson, /"ideal_cycle_s": 3\.0E1/, "the device's own text is kept");
      const row = (r: (typeof accepted)[number], deviceId: string, payload: unknown) => ({
        tenantId: r.tenantId, siteId: r.siteId, deviceId, sensorType: r.sensorType, ts: r.ts, seq: r.seq, messageId: r.messageId,
        payload, channel: `mqtt:acme/${deviceId}`, channelOffset: 3, source: "mqtt",
      });
      await engine.land({
        readings: [...accepted.map((r) => row(r, "m-text", r.payloadJson)), ...accepted.map((r) => row(r, "m-object", r.payload))],
      });
      await engine.tick();
      const silver = await adminQuery<{ device_id: string; seq: number; metric: string; value: number | null; value_text: string | null; quality_score: number }>(
        engine,
        "SELECT device_id, seq, metric, value, value_text, quality_score FROM CORE.SENSOR_READINGS_NORMALIZED WHERE device_id LIKE 'm-%' ORDER BY seq, metric, device_id",
      );
      const of = (device: string) => silver.filter((r) => r.device_id === device).map(({ device_id: _, ...rest }) => rest);
      assert.ok(of("m-text").length >= 11, JSON.stringify(silver));
      assert.deepEqual(of("m-text"), of("m-object"));
      assert.equal(of("m-text").find((r) => r.metric === "state" && r.seq === 1)?.value_text, "RUNNING");
    } finally {
      await engine.close();
    }
  });
});
