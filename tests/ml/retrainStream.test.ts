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
import { DwellStays, RandomCutForest, tailThreshold } from "../../ml/trainers/index.ts";
import { seededRandom } from "../../ml/trainers/random.ts";
import { fitDwellModels, machineStateRuns, scoreStream } from "../../ml/streamScoring.ts";
import { ANOMALY_SPEC } from "../../ml/modelSpecs.ts";
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
    // Scored here too, so this test does not rest on the one before (a second scoring adds nothing).
    const wh = await engine.admin();
    try {
      await scoreStream(wh, registry, "acme", { now: clock.now() });
    } finally {
      await wh.close();
    }
    clock.advance(60_000);
    await engine.tick();
    const alerts = await adminQuery<{ tenant_id: string; rule_id: string; source: string }>(engine, "SELECT tenant_id, rule_id, source FROM ANALYTICS.ALERTS WHERE rule_id = 'MODEL_STREAM'");
    assert.deepEqual([...new Set(alerts.map((a) => `${a.tenant_id}:${a.source}`))], ["acme:MODEL"]);
  });

  it("reads the machines' readings for the local anomaly trainer only when an hourly series can be trained; SageMaker's RCF always gets them", async () => {
    const wh = await engine.admin();
    try {
      const window = { from: new Date("2026-01-01T00:00:00Z"), to: clock.now() };
      // Minutes of readings: one hourly point, too few to hold back a day and train.
      const local = await ANOMALY_SPEC.load(wh, "acme", window, "local");
      assert.throws(() => ANOMALY_SPEC.train(local), /hold back|no series/);
      assert.equal(local.streams.size, 0);
      assert.equal(local.stateRuns?.size ?? 0, 0);
      const forSageMaker = await ANOMALY_SPEC.load(wh, "acme", window, "sagemaker");
      assert.ok((forSageMaker.streams.get("acme-m-1")?.length ?? 0) >= 40, "the RCF channel has the machine's readings");
      assert.ok((forSageMaker.stateRuns?.get("acme-m-1")?.length ?? 0) > 0);
      assert.deepEqual(forSageMaker.series, local.series);
    } finally {
      await wh.close();
    }
  });
});

/**
 * The dwell-time model in the hub: fitted on the machines' `state` readings in silver, it scores
 * the state stream in the same scoring step, and a stop far longer than the machine's own becomes
 * one MODEL_DWELL alert whose text says how long, even when the stop spans two scoring runs.
 */
describe("stream scoring: stop lengths", () => {
  let engine: EmbeddedEngine;
  let clock: SimulatedClock;
  let home: string;
  let registry: LocalRegistry;
  const STEP_S = 30;
  const t0 = Date.parse("2026-01-03T00:00:00Z");
  const trainEnd = t0 + 36 * 3_600_000;
  const breakdownStart = trainEnd + 30 * 60_000;
  const breakdownEnd = breakdownStart + 60 * 60_000;
  const end = trainEnd + 3 * 3_600_000;
  /** acme-m-1 and acme-m-2 alternate RUNNING (mean 20 min) and DOWN (mean 200 s); m-1 breaks down for an hour after training. */
  const states = new Map<string, { ts: number; state: string }[]>();

  before(async () => {
    ({ engine, clock } = await testEngine(new Date(end + 3_600_000).toISOString()));
    home = mkdtempSync(join(tmpdir(), "hub-dwell-"));
    registry = new LocalRegistry(home, () => clock.now());
    const readings = [];
    for (const [device, seed] of [["acme-m-1", 11], ["acme-m-2", 12]] as const) {
      const r = seededRandom(seed);
      const list: { ts: number; state: string }[] = [];
      let state = "RUNNING";
      let left = 600;
      for (let ts = t0, seq = 1; ts < end; ts += STEP_S * 1000, seq++) {
        if (device === "acme-m-1" && ts >= breakdownStart && ts < breakdownEnd) state = "DOWN";
        else if ((left -= STEP_S) <= 0) {
          state = state === "RUNNING" ? "DOWN" : "RUNNING";
          left = -(state === "RUNNING" ? 1200 : 200) * Math.log(1 - r.next());
        }
        list.push({ ts, state });
        readings.push(reading("acme", device, "MACHINE", seq, iso(ts), { state, period_s: STEP_S, spindle_load_pct: state === "RUNNING" ? 60 : 0, temperature_c: 40 }));
      }
      states.set(device, list);
    }
    await engine.land({ readings });
    await engine.tick();
  });
  after(async () => {
    await engine.close();
    rmSync(home, { recursive: true, force: true });
  });

  it("collapses silver's state readings into the stays the detector counts, then raises one alert for the long stop and none for the machines' own stops", async () => {
    const wh = await engine.admin();
    try {
      const runs = await machineStateRuns(wh, "acme", { since: new Date(t0), until: new Date(trainEnd) });
      for (const [device, list] of states) {
        const direct = new DwellStays(device);
        for (const x of list) if (x.ts < trainEnd) direct.observe(x.ts, x.state);
        const fromWarehouse = DwellStays.fromRuns(device, runs.get(device)!);
        assert.deepEqual(fromWarehouse.stays("DOWN"), direct.stays("DOWN"), device);
        assert.deepEqual(fromWarehouse.position(), direct.position(), device);
        assert.ok(direct.stays("DOWN").length >= 40, `${device}: ${direct.stays("DOWN").length} DOWN stays to fit on`);
      }
      const { models, excluded } = fitDwellModels(runs);
      assert.deepEqual(excluded, []);
      await registry.register(
        {
          tenantId: "acme", model: "anomaly", algorithm: "forecast_interval", parameters: {}, trainingWindow: { from: iso(t0), to: iso(trainEnd) },
          rowCount: 1, dataHash: "c".repeat(64), codeVersion: "t", metrics: { mase: 0.5 }, baselineMetrics: { mase: 1 }, approvalStatus: "Approved", reason: "test champion",
        },
        // No forest: the dwell rows alone carry each machine's watermark. (The first suite's artifact has no `dwell`: artifacts from before it still score.)
        { kind: "json", body: { kind: "anomaly", models: {}, streaming: {}, dwell: models } },
      );
      const tail = models["acme-m-1"]!.tails["DOWN"]!;
      assert.ok(tail.scale > 120 && tail.scale < 320, `DOWN scale ${tail.scale} s`);
      const threshold = tailThreshold(tail, models["acme-m-1"]!.level);
      // The rest of the stop after the first run is itself longer than the threshold: a second run that lost the stay would flag it again.
      assert.ok(threshold < 28 * 60, `threshold ${threshold} s`);
      // Two scoring runs, the second starting in the middle of the long stop, just after its flag.
      const first = await scoreStream(wh, registry, "acme", { now: clock.now(), until: new Date(breakdownStart + Math.ceil(threshold) * 1000 + 60_000), maxPerDevice: 1000 });
      assert.equal(first.dwellFlagged, 1);
      const second = await scoreStream(wh, registry, "acme", { now: clock.now(), maxPerDevice: 1000 });
      assert.equal(second.dwellFlagged, 0, "the stop flagged in the first run is not flagged again in the second");
      const third = await scoreStream(wh, registry, "acme", { now: clock.now(), maxPerDevice: 1000 });
      assert.equal(third.devices, 0, "past the watermark there is nothing new");
    } finally {
      await wh.close();
    }
    const flags = await adminQuery<{ device_id: string; ts: Date; score: number }>(engine, "SELECT device_id, ts, score FROM ML.STREAM_SCORES WHERE algorithm = 'dwell_time' AND is_anomaly");
    assert.deepEqual(flags.map((f) => f.device_id), ["acme-m-1"]);
    const flaggedAt = new Date(flags[0]!.ts).getTime();
    assert.ok(flaggedAt > breakdownStart + 15 * 60_000 && flaggedAt < breakdownStart + 40 * 60_000, `flagged ${(flaggedAt - breakdownStart) / 60_000} min into the stop`);

    clock.advance(60_000);
    await engine.tick();
    const alerts = await adminQuery<{ device_id: string; message: string }>(engine, "SELECT device_id, message FROM OPS.ALERT_NOTIFICATIONS WHERE rule_id = 'MODEL_DWELL'");
    assert.equal(alerts.length, 1, JSON.stringify(alerts));
    assert.equal(alerts[0]!.device_id, "acme-m-1");
    assert.match(alerts[0]!.message, /^MODEL_DWELL on acme-m-1 at .*: DOWN for \d+ min since 2026-01-04T12:30:00Z; the 99\.95th percentile of this machine's DOWN stays is \d+ min$/);
    const view = await adminQuery<{ source: string }>(engine, "SELECT source FROM ANALYTICS.ALERTS WHERE rule_id = 'MODEL_DWELL'");
    assert.deepEqual(view.map((v) => v.source), ["MODEL"]);
  });
});
