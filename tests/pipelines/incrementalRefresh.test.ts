/**
 * Incremental refresh gives the same table as a full recompute, batch after batch, including
 * late rows that land in hours already refreshed; and it touches only the changed groups. A table
 * declared REFRESH_MODE = FULL is recomputed whole on every refresh with new source rows, as
 * Snowflake will, and what it runs is what the twin bills.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { adminQuery, canonicalRows as snapshot, testEngine } from "../helpers/engine.ts";
import { DYNAMIC_TABLES } from "../../pipelines/definitions/catalog.ts";
import { qualifiedName, type DynamicTableDef } from "../../pipelines/definitions/types.ts";
import { ENERGY_HOURLY } from "../../pipelines/definitions/gold.ts";
import { refreshDynamicTable } from "../../pipelines/engine/dynamicTableRefresh.ts";
import type { PipelineContext } from "../../pipelines/engine/pipelineContext.ts";
import { SyntheticFleet, type TenantFleetSpec } from "../../edge/syntheticFleet.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import type { SimulatedClock } from "../../pipelines/engine/clock.ts";

const SPEC: TenantFleetSpec[] = [
  { tenantId: "acme", sites: [{ siteId: "p1", machines: 2, energyMeters: 1, airSensors: 1, stations: ["a", "b", "c"], jobsPerHour: 20, bottleneck: "b" }] },
  { tenantId: "globex", sites: [{ siteId: "g1", machines: 1, energyMeters: 1, airSensors: 1, stations: ["x", "y"], jobsPerHour: 10 }] },
];

describe("incremental refresh", () => {
  let engine: EmbeddedEngine;
  let clock: SimulatedClock;
  let fleet: SyntheticFleet;
  before(async () => {
    ({ engine, clock } = await testEngine("2026-01-05T07:40:00Z"));
    fleet = new SyntheticFleet(SPEC, 3, clock.now());
  });
  after(() => engine.close());

  it("matches a full recompute after each of several batches, late rows included", async () => {
    for (let batch = 0; batch < 6; batch++) {
      const to = new Date(clock.now().getTime() + 10 * 60_000);
      const readings = fleet.readingsUntil(to);
      const scans = fleet.scansUntil(to);
      // Every other batch also brings a late reading for an hour that has been refreshed already.
      if (batch % 2 === 1) readings.push({ ...readings[0]!, seq: 1_000_000 + batch, ts: new Date(readings[0]!.ts.getTime() - 25 * 60_000) });
      clock.set(to);
      await engine.land({ readings, scans });
      await engine.runUntil(new Date(to.getTime() + 6 * 60_000)); // past every target lag
      for (const t of DYNAMIC_TABLES) {
        const name = qualifiedName(t);
        const incremental = await snapshot(engine, name);
        await engine.refresh(name, { full: true });
        const full = await snapshot(engine, name);
        assert.deepEqual(incremental, full, `${name} after batch ${batch}`);
      }
    }
  });

  it("recomputes only the groups that new rows touch", async () => {
    const to = new Date(clock.now().getTime() + 60_000);
    const readings = fleet.readingsUntil(to).filter((r) => r.deviceId === "p1-m-001");
    clock.set(to);
    await engine.land({ readings });
    await engine.executeTask("OPS.VALIDATE_READINGS");
    const r = await engine.refresh("ANALYTICS.MACHINE_UTILIZATION_HOURLY");
    assert.equal(r.action, "INCREMENTAL");
    assert.equal(r.rowsDeleted, 1, "one machine-hour replaced");
    assert.equal(r.rowsInserted, 1);
    const total = (await adminQuery(engine, "SELECT COUNT(*) AS n FROM ANALYTICS.MACHINE_UTILIZATION_HOURLY"))[0]!.n as number;
    assert.ok(total > 1, `the table holds ${total} machine-hours; only one was touched`);
  });

  it("refreshes a table declared FULL in full each time there are new source rows, and bills that work", async () => {
    // No table of the catalogue is FULL today: a FULL copy of ENERGY_HOURLY goes through the same refresh,
    // on the engine's own pipeline context (the engine itself refreshes only catalogue tables).
    const fullEnergy: DynamicTableDef = { ...ENERGY_HOURLY, refreshMode: { mode: "FULL", reason: "test" } };
    const ctx = (engine as unknown as { ctx: PipelineContext }).ctx;
    const name = qualifiedName(ENERGY_HOURLY);
    const land = async () => {
      const to = new Date(clock.now().getTime() + 10 * 60_000);
      clock.set(to);
      await engine.land({ readings: fleet.readingsUntil(to) });
      await engine.executeTask("OPS.VALIDATE_READINGS");
    };
    const sourceRows = async () => Number((await adminQuery(engine, "SELECT COUNT(*) AS n FROM CORE.SENSOR_READINGS_NORMALIZED"))[0]!.n);
    await land();
    const first = await refreshDynamicTable(ctx, fullEnergy);
    assert.equal(first.action, "FULL");
    assert.equal(first.sourceRows, await sourceRows(), "a full refresh reads every source row");
    const afterFull = await snapshot(engine, name);
    await engine.refresh(name, { full: true });
    assert.deepEqual(afterFull, await snapshot(engine, name), "the same table as the catalogue's own full recompute");
    const stored = (await adminQuery(engine, `SELECT COUNT(*) AS n FROM ${name}`))[0]!.n as number;
    assert.equal(first.rowsDeleted, stored, "every stored row was replaced");

    assert.equal((await refreshDynamicTable(ctx, fullEnergy)).action, "NO_DATA", "no new source rows: nothing runs, as on Snowflake");

    await land();
    const at = clock.now().toISOString().replace("T", " ").replace("Z", "");
    const second = await refreshDynamicTable(ctx, fullEnergy, { trigger: "MANUAL" });
    assert.equal(second.action, "FULL", "still full after the first refresh, unlike an INCREMENTAL table");
    assert.equal(second.sourceRows, await sourceRows());
    // The refresh's statements are queries on the table's warehouse, which is what the billing twin
    // meters: the whole-table DELETE and INSERT are there, not a merge of new rows.
    await engine.refresh("ANALYTICS.ALERTS"); // flushes the history buffer
    const ran = await engine.control<{ q: string; wh: string }>(
      `SELECT query_text AS q, warehouse_name AS wh FROM HUB_LOCAL.QUERY_HISTORY WHERE query_tag LIKE '%refresh:${name}%' AND start_time >= TIMESTAMP '${at}'`,
    );
    assert.ok(ran.some((r) => r.q === `DELETE FROM ${name}`), `the full refresh deleted the whole table: ${JSON.stringify(ran.map((r) => r.q.slice(0, 60)))}`);
    assert.ok(ran.every((r) => r.wh === ENERGY_HOURLY.warehouse), "billed to the table's warehouse");
  });
});
