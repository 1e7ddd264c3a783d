/**
 * Local serving of the streaming detector: new MACHINE readings in silver are scored past each
 * device's watermark with the champion's random cut forest, written to ML.STREAM_SCORES, and a
 * flagged reading becomes a MODEL alert for its tenant.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testEngine, reading, adminQuery } from "../helpers/engine.ts";
import { LocalRegistry } from "../../ml/registry/index.ts";
import { RandomCutForest } from "../../ml/trainers/index.ts";
import { scoreStream } from "../../ml/streamScoring.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import type { SimulatedClock } from "../../pipelines/engine/clock.ts";

const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "");

describe("stream scoring", () => {
  let engine: EmbeddedEngine;
  let clock: SimulatedClock;
  let home: string;
  let registry: LocalRegistry;
  const t0 = Date.parse("2026-01-05T07:50:00Z");
  // Normal: spindle 40..60 %, temperature 50..60 °C, in a fixed pattern.
  const normal = (i: number): [number, number] => [50 + 10 * Math.sin(i / 5), 55 + 5 * Math.cos(i / 7)];

  before(async () => {
    ({ engine, clock } = await testEngine("2026-01-05T08:00:00Z"));
    home = mkdtempSync(join(tmpdir(), "hub-stream-"));
    registry = new LocalRegistry(home, () => clock.now());
    const rcf = new RandomCutForest({ dimensions: 2, trees: 20, sampleSize: 64, seed: 3 });
    for (let i = 0; i < 600; i++) rcf.update(normal(i));
    await registry.register(
      {
        tenantId: "acme", model: "anomaly", algorithm: "forecast_interval", parameters: {}, trainingWindow: { from: "2026-01-01T00:00:00Z", to: "2026-01-05T07:00:00Z" },
        rowCount: 600, dataHash: "b".repeat(64), codeVersion: "t", metrics: { mase: 0.5 }, baselineMetrics: { mase: 1 }, approvalStatus: "Approved", reason: "test champion",
      },
      { kind: "json", body: { kind: "anomaly", models: {}, streaming: { "acme-m-1": rcf.toJSON() } } },
    );
    const readings = [];
    for (let i = 0; i < 40; i++) {
      const [load, temp] = i === 30 ? [180, 140] : normal(600 + i);
      readings.push(reading("acme", "acme-m-1", "MACHINE", i + 1, iso(t0 + i * 10_000), { state: "RUNNING", period_s: 10, spindle_load_pct: load, temperature_c: temp }));
      readings.push(reading("globex", "globex-m-1", "MACHINE", i + 1, iso(t0 + i * 10_000), { state: "RUNNING", period_s: 10, spindle_load_pct: 50, temperature_c: 55 }));
    }
    await engine.land({ readings });
    clock.advance(60_000);
    await engine.tick();
  });
  after(async () => {
    await engine.close();
    rmSync(home, { recursive: true, force: true });
  });

  it("scores each new reading once, flags the outlier, and leaves tenants without a champion alone", async () => {
    const wh = await engine.admin();
    try {
      const first = await scoreStream(wh, registry, "acme", { now: clock.now() });
      assert.deepEqual({ scored: first.scored, devices: first.devices, champion: first.championVersion }, { scored: 40, devices: 1, champion: 1 });
      assert.equal((await scoreStream(wh, registry, "acme", { now: clock.now() })).scored, 0, "past the watermark there is nothing new");
      assert.equal((await scoreStream(wh, registry, "globex", { now: clock.now() })).championVersion, null);
    } finally {
      await wh.close();
    }
    const flagged = await adminQuery<{ seq: bigint }>(engine, "SELECT seq FROM ML.STREAM_SCORES WHERE is_anomaly ORDER BY seq");
    assert.ok(flagged.map((r) => Number(r.seq)).includes(31), `flagged: ${JSON.stringify(flagged.map((r) => Number(r.seq)))}`);
  });

  it("a flagged reading becomes a MODEL_STREAM alert for its tenant", async () => {
    clock.advance(60_000);
    await engine.tick();
    const alerts = await adminQuery<{ tenant_id: string; rule_id: string; source: string }>(engine, "SELECT tenant_id, rule_id, source FROM ANALYTICS.ALERTS WHERE rule_id = 'MODEL_STREAM'");
    assert.deepEqual([...new Set(alerts.map((a) => `${a.tenant_id}:${a.source}`))], ["acme:MODEL"]);
  });
});
