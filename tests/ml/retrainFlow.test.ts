/**
 * The retraining flow end to end on a real embedded engine (in-memory DuckDB) and the local
 * registry: features from the gold tables, the gate, the registry, the ML tables, and the model
 * alerts the task DAG raises from them, for the right tenant only.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testEngine, adminQuery } from "../helpers/engine.ts";
import { LocalRegistry } from "../../ml/registry/index.ts";
import { retrain } from "../../ml/retrainFlow.ts";
import { DEFAULT_ANOMALY_LEVEL } from "../../ml/trainers/index.ts";
import { seedGold } from "./goldFixture.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import type { SimulatedClock } from "../../pipelines/engine/clock.ts";

describe("retraining flow (local)", () => {
  let engine: EmbeddedEngine;
  let clock: SimulatedClock;
  const homes: string[] = [];
  /**
   * A registry of its own for each test: the models a test judges against are the ones it
   * registered itself, so any test runs alone (the engine's gold data is shared, read-only but for
   * the ML tables, which are written per series).
   */
  const freshRegistry = () => {
    const home = mkdtempSync(join(tmpdir(), "hub-retrain-"));
    homes.push(home);
    return { home, registry: new LocalRegistry(home, () => clock.now()) };
  };

  before(async () => {
    ({ engine, clock } = await testEngine("2026-01-29T00:00:00Z"));
    await seedGold(engine, clock.now(), 28, [
      { tenantId: "acme", machines: 6, meters: 2, dropHours: 4 },
      { tenantId: "globex", machines: 3, meters: 1 },
      { tenantId: "initech", machines: 3, meters: 1, gapHours: [200, 190] },
      { tenantId: "hooli", machines: 3, meters: 1 },
    ]);
  });
  after(async () => {
    await engine.close();
    for (const home of homes) rmSync(home, { recursive: true, force: true });
  });

  const run = async (registry: LocalRegistry, tenants: string[], models: ("forecast" | "anomaly" | "segments")[], extra: { dryRun?: boolean; margin?: number; now?: Date } = {}) => {
    const wh = await engine.admin();
    try {
      return await retrain({ warehouse: wh, registry, tenants, models, now: clock.now(), codeVersion: "test", ...extra });
    } finally {
      await wh.close();
    }
  };

  it("a dry run judges every model but registers and writes nothing", async () => {
    const { home, registry } = freshRegistry();
    const out = await run(registry, ["acme"], ["forecast", "anomaly", "segments"], { dryRun: true });
    assert.deepEqual(out.map((o) => [o.model, o.version, o.rowsWritten]), [["forecast", null, 0], ["anomaly", null, 0], ["segments", null, 0]]);
    assert.ok(out.every((o) => o.reason.length > 0));
    assert.equal(readdirSync(home).length, 0);
  });

  it("registers the first models past the baseline and writes forecasts, anomalies and segments", async () => {
    const { registry } = freshRegistry();
    const out = await run(registry, ["acme", "globex"], ["forecast", "anomaly", "segments"]);
    for (const o of out) {
      assert.ok(o.challenger && o.baseline, `${o.tenantId}/${o.model}: ${o.reason}`);
      assert.equal(o.version, 1, `${o.tenantId}/${o.model} registered as version 1 (${o.decision}: ${o.reason})`);
      assert.match(o.reason, /baseline/);
    }
    const fc = out.find((o) => o.tenantId === "acme" && o.model === "forecast")!;
    assert.equal(fc.decision, "Approved", fc.reason);
    assert.ok(fc.challenger!["mase"]! < fc.baseline!["mase"]!);
    const record = (await registry.list("acme", "forecast"))[0]!;
    assert.equal(record.trainingWindow.from, "2026-01-01T00:00:00.000Z");
    assert.equal(record.trainingWindow.to, "2026-01-28T23:00:00.000Z");
    assert.equal(record.rowCount, 2 * 28 * 24);
    assert.match(record.dataHash, /^[0-9a-f]{64}$/);
    const forecasts = await adminQuery<{ tenant_id: string; n: bigint; v: bigint }>(engine, "SELECT tenant_id, COUNT(*) AS n, MIN(model_version) AS v FROM ML.FORECASTS GROUP BY 1 ORDER BY 1");
    assert.deepEqual(forecasts.map((r) => [r.tenant_id, Number(r.n), Number(r.v)]), [["acme", 2 * 24, 1], ["globex", 24, 1]]);
    const segs = await adminQuery<{ n: bigint }>(engine, "SELECT COUNT(*) AS n FROM ML.SEGMENTS WHERE tenant_id = 'acme'");
    assert.equal(Number(segs[0]!.n), 6);
    // The record's parameters say what the detector actually runs with.
    const anomaly = (await registry.list("acme", "anomaly"))[0]!;
    const saved = JSON.stringify(await registry.artifact("acme", "anomaly", anomaly.version));
    assert.equal(anomaly.parameters["level"], DEFAULT_ANOMALY_LEVEL);
    assert.match(saved, new RegExp(`"level":${DEFAULT_ANOMALY_LEVEL}`));
  });

  it("the champion is re-scored on the challenger's held-back data only when it has not seen that data", async () => {
    const { registry } = freshRegistry();
    // hooli's champion is trained on data up to 8 days ago: this week's holdout is new to it.
    const [old] = await run(registry, ["hooli"], ["forecast"], { now: new Date(clock.now().getTime() - 8 * 86_400_000) });
    assert.equal(old!.version, 1, old!.reason);
    const [o] = await run(registry, ["hooli"], ["forecast"], { margin: 0.05 });
    assert.deepEqual([o!.champion?.version, o!.champion?.rescored], [1, true]);
    assert.match(o!.reason, /champion v1's .* on the same held-back data/);
    // acme's champion is trained on this very window: its recorded figures are used, and the reason says so.
    const [first] = await run(registry, ["acme"], ["forecast"]);
    assert.equal(first!.decision, "Approved", first!.reason);
    const [a] = await run(registry, ["acme"], ["forecast"], { margin: 0.05 });
    assert.deepEqual([a!.champion?.version, a!.champion?.rescored], [1, false]);
    // Same data, same trainer: the challenger equals the champion and cannot beat it by 5 %.
    assert.equal(a!.decision, "Rejected");
    assert.match(a!.reason, /does not beat champion v1's .* as recorded \(not re-scored\) by the 5 % margin/);
    assert.equal((await registry.champion("acme", "forecast"))?.version, 1);
    assert.equal((await registry.list("acme", "forecast")).at(-1)?.approvalStatus, "Rejected");
  });

  it("a tenant whose data has a long gap gets no model registered, and the reason names the series and the hours", async () => {
    const { registry } = freshRegistry();
    const out = await run(registry, ["initech"], ["forecast", "anomaly"]);
    for (const o of out) {
      assert.equal(o.decision, "not registered");
      assert.equal(o.version, null);
      assert.match(o.reason, /bad training data: .*series (kwh|utilization):initech-/);
    }
    assert.deepEqual(await registry.list("initech", "forecast"), []);
    assert.deepEqual(await registry.list("initech", "anomaly"), []);
  });

  it("the collapsed machine is flagged in ML.ANOMALIES and becomes a MODEL alert for its tenant only", async () => {
    const { registry } = freshRegistry();
    // ML.ANOMALIES is append-only past each series' last scored hour: after an earlier test's run
    // this one writes nothing new, and the rows are there either way.
    await run(registry, ["acme"], ["anomaly"]);
    const flagged = await adminQuery<{ series_id: string; ts: Date }>(engine, "SELECT series_id, ts FROM ML.ANOMALIES WHERE is_anomaly AND tenant_id = 'acme' ORDER BY ts");
    assert.ok(flagged.some((r) => r.series_id === "utilization:acme-m-1" && r.ts.getTime() >= Date.parse("2026-01-28T20:00:00Z")), JSON.stringify(flagged));
    // A second run does not write the same hours again.
    const before = await adminQuery<{ n: bigint }>(engine, "SELECT COUNT(*) AS n FROM ML.ANOMALIES");
    await run(registry, ["acme"], ["anomaly"]);
    const afterRun = await adminQuery<{ n: bigint }>(engine, "SELECT COUNT(*) AS n FROM ML.ANOMALIES");
    assert.equal(Number(afterRun[0]!.n), Number(before[0]!.n));
    // The tick refreshes the gold tables from (empty) silver: this test runs last.
    clock.advance(60_000);
    const tick = await engine.tick();
    assert.ok(tick.tasks.some((t) => t.name === "OPS.SCORE_READINGS" && t.state === "SUCCEEDED"), "the DAG woke on the ML stream");
    const alerts = await adminQuery<{ tenant_id: string; device_id: string; source: string }>(engine, "SELECT DISTINCT tenant_id, device_id, source FROM ANALYTICS.ALERTS WHERE source = 'MODEL'");
    assert.ok(alerts.some((a) => a.tenant_id === "acme" && a.device_id === "acme-m-1"), JSON.stringify(alerts));
    const notes = await adminQuery<{ tenant_id: string; rule_id: string }>(engine, "SELECT tenant_id, rule_id FROM OPS.ALERT_NOTIFICATIONS WHERE device_id = 'acme-m-1'");
    assert.ok(notes.length > 0 && notes.every((n) => n.tenant_id === "acme" && n.rule_id === "MODEL_ANOMALY"));
    const globexRole = await engine.grantTenantRole("globex");
    const g = await engine.session({ role: globexRole });
    try {
      const seen = await g.query<{ tenant_id: string }>("SELECT DISTINCT tenant_id FROM ANALYTICS.ALERTS WHERE source = 'MODEL'");
      assert.ok(seen.every((r) => r.tenant_id === "globex"), `globex sees ${JSON.stringify(seen)}`);
      const anomalies = await g.query<{ tenant_id: string }>("SELECT DISTINCT tenant_id FROM ML.ANOMALIES");
      assert.ok(anomalies.every((r) => r.tenant_id === "globex"));
    } finally {
      await g.close();
    }
    const a = await engine.session({ role: await engine.grantTenantRole("acme") });
    try {
      const own = await a.query<{ tenant_id: string; device_id: string }>("SELECT DISTINCT tenant_id, device_id FROM ANALYTICS.ALERTS WHERE source = 'MODEL'");
      assert.ok(own.some((r) => r.device_id === "acme-m-1") && own.every((r) => r.tenant_id === "acme"), JSON.stringify(own));
    } finally {
      await a.close();
    }
  });
});
