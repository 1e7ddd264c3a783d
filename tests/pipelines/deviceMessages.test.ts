/**
 * Production's landing path: device messages as Firehose writes them (one row per MQTT message)
 * are expanded by the EXPAND_DEVICE_MESSAGES task into readings, validated like any others; bad
 * messages go to quarantine with the reason.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { adminQuery, testEngine } from "../helpers/engine.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import type { SimulatedClock } from "../../pipelines/engine/clock.ts";

const message = (over: Record<string, unknown>, readings: unknown[]) => ({
  v: 1, tenant_id: "acme", site_id: "p1", device_id: "m-001", sensor_type: "machine", message_id: "msg-1", seq: 7,
  topic: "dt/hub/acme/p1/machine/m-001", readings, ...over,
});
const reading = (seq: number, ts: string) => ({ ts, seq, metrics: { state: "RUNNING", period_s: 1, cycles: 0, good_parts: 0, ideal_cycle_s: 30 } });

describe("device messages landed by Firehose", () => {
  let engine: EmbeddedEngine;
  let clock: SimulatedClock;
  before(async () => {
    ({ engine, clock } = await testEngine("2026-01-05T08:01:00Z"));
    const admin = await engine.admin();
    const rows = [
      message({}, [reading(1, "2026-01-05T08:00:00.000Z"), reading(2, "2026-01-05T08:00:01.000Z"), reading(3, "not a time"), { ts: "2026-01-05T08:00:03Z" }]),
      message({ tenant_id: "globex" }, [reading(1, "2026-01-05T08:00:00.000Z")]), // tenant does not match its topic
    ];
    for (const m of rows) await admin.execute("INSERT INTO RAW.DEVICE_MESSAGES VALUES (?::JSON, NULL)", { binds: [JSON.stringify(m)] });
    await admin.close();
    clock.advance(60_000);
    await engine.tick(); // expand
    clock.advance(60_000);
    await engine.tick(); // validate → normalise
  });
  after(() => engine.close());

  it("expands each message into one RAW reading per reading, then into silver", async () => {
    const raw = await adminQuery(engine, "SELECT tenant_id, device_id, sensor_type, seq, source FROM RAW.SENSOR_READINGS ORDER BY seq");
    assert.deepEqual(raw, [
      { tenant_id: "acme", device_id: "m-001", sensor_type: "MACHINE", seq: 1, source: "iot" },
      { tenant_id: "acme", device_id: "m-001", sensor_type: "MACHINE", seq: 2, source: "iot" },
    ]);
    const [silver] = await adminQuery<{ n: number }>(engine, "SELECT COUNT(DISTINCT seq) AS n FROM CORE.SENSOR_READINGS_NORMALIZED");
    assert.equal(silver!.n, 2);
  });

  it("quarantines readings without a UTC time or a sequence number, and messages whose tenant is not their topic's", async () => {
    const reasons = (await adminQuery<{ reason: string }>(engine, "SELECT reason FROM RAW.QUARANTINE WHERE source = 'expand' ORDER BY reason")).map((r) => r.reason);
    assert.deepEqual(reasons, [
      "readings[].seq is missing or not a number",
      "readings[].ts = not a time is not a UTC ISO 8601 time",
      "tenant_id globex does not match the topic dt/hub/acme/p1/machine/m-001",
    ]);
  });
});

describe("device messages and the task graphs' WHEN", () => {
  it("reach silver in the tick that expands them: the validate graph looks at its stream again after the expand graph ran", async () => {
    const { engine, clock } = await testEngine("2026-01-05T08:01:00Z");
    try {
      const admin = await engine.admin();
      await admin.execute("INSERT INTO RAW.DEVICE_MESSAGES VALUES (?::JSON, NULL)", {
        binds: [JSON.stringify(message({}, [reading(1, "2026-01-05T08:00:00.000Z"), reading(2, "2026-01-05T08:00:01.000Z")]))],
      });
      await admin.close();
      clock.advance(60_000);
      // At the start of this tick RAW.SENSOR_READINGS_STREAM is empty: only the expand graph's WHEN holds.
      const { tasks } = await engine.tick();
      assert.deepEqual(
        tasks.filter((t) => t.name === "OPS.EXPAND_DEVICE_MESSAGES" || t.name === "OPS.VALIDATE_READINGS").map((t) => [t.name, t.state]),
        [["OPS.EXPAND_DEVICE_MESSAGES", "SUCCEEDED"], ["OPS.VALIDATE_READINGS", "SUCCEEDED"]],
      );
      const [silver] = await adminQuery<{ n: number }>(engine, "SELECT COUNT(DISTINCT seq) AS n FROM CORE.SENSOR_READINGS_NORMALIZED");
      assert.equal(silver!.n, 2);
      // Nothing new at the next slot: both graphs are skipped on their WHEN (as is every other root, the note task's too).
      clock.advance(60_000);
      const next = await engine.tick();
      assert.deepEqual(next.tasks.filter((t) => t.name === "OPS.EXPAND_DEVICE_MESSAGES" || t.name === "OPS.VALIDATE_READINGS").map((t) => t.state), ["SKIPPED", "SKIPPED"]);
      assert.deepEqual(next.tasks.filter((t) => t.state !== "SKIPPED"), []);
    } finally {
      await engine.close();
    }
  });
});
