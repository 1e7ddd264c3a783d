/** Columns marked low or high cardinality: dictionary- or FSST-encoded on the embedded engine, left to Snowflake there. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { TABLES } from "../../pipelines/definitions/catalog.ts";
import { SENSOR_READINGS_NORMALIZED } from "../../pipelines/definitions/silver.ts";
import { SENSOR_READINGS } from "../../pipelines/definitions/raw.ts";
import { duckdbStatements } from "../../pipelines/render/duckdbDdl.ts";
import { snowflakeStatements } from "../../pipelines/render/snowflakeDdl.ts";
import { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import { SimulatedClock } from "../../pipelines/engine/clock.ts";
import { EXAMPLE_FLEET, SyntheticFleet } from "../../edge/syntheticFleet.ts";

const lowCardinality = (cols: typeof SENSOR_READINGS_NORMALIZED.columns) => cols.filter((c) => c.cardinality === "low").map((c) => c.name);

test("only text columns carry storage hints, and the DDL asks DuckDB, not Snowflake, for a dictionary or FSST", () => {
  for (const t of TABLES) {
    for (const c of t.columns) {
      if (c.cardinality) assert.ok(c.type === "varchar" || c.type === "json", `${t.name}.${c.name}`);
    }
    const duck = duckdbStatements(t).map((s) => s.sql).join("\n");
    const marked = (duck.match(/USING COMPRESSION dictionary/g) ?? []).length;
    assert.equal(marked, lowCardinality(t.columns).length, `${t.name}: one dictionary hint per marked column`);
    const fsst = (duck.match(/USING COMPRESSION fsst/g) ?? []).length;
    assert.equal(fsst, t.columns.filter((c) => c.cardinality === "high").length, `${t.name}: one FSST hint per mostly-distinct column`);
    assert.doesNotMatch(snowflakeStatements(t).map((s) => s.sql).join("\n"), /USING COMPRESSION/, t.name);
  }
  assert.deepEqual(lowCardinality(SENSOR_READINGS_NORMALIZED.columns), ["tenant_id", "site_id", "device_id", "sensor_type", "metric", "value_text", "source"]);
  assert.deepEqual(lowCardinality(SENSOR_READINGS.columns), ["tenant_id", "site_id", "device_id", "sensor_type", "channel", "source"]);
  assert.deepEqual(SENSOR_READINGS.columns.filter((c) => c.cardinality === "high").map((c) => c.name), ["payload"]);
});

test("silver written by the validate task keeps its low-cardinality columns dictionary-encoded on disk, and reads back whole", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hub-dict-"));
  const path = join(dir, "hub.duckdb");
  try {
    const clock = new SimulatedClock("2026-01-05T06:00:00Z");
    const engine = await EmbeddedEngine.open({ path, clock });
    const fleet = new SyntheticFleet(EXAMPLE_FLEET, 42, clock.now());
    // Enough for the task's insert to write full row groups (122,880 rows) straight to the file.
    const next = new Date(clock.now().getTime() + 35 * 60_000);
    const readings = fleet.readingsUntil(next);
    clock.set(next);
    await engine.land({ readings });
    await engine.tick();
    const [silver] = await engine.control<{ n: number }>("SELECT COUNT(*) AS n FROM CORE.SENSOR_READINGS_NORMALIZED");
    const [units] = await engine.control<{ n: number }>(
      "SELECT SUM(normalized) AS n FROM OPS.DATA_QUALITY_LOG WHERE step = 'normalize'",
    );
    assert.ok(Number(silver!.n) > 122_880, `a row group's worth at least (${silver!.n})`);
    assert.equal(Number(silver!.n), Number(units!.n), "every normalised metric is in silver");
    await engine.close();

    const db = await DuckDBInstance.create(path, { access_mode: "READ_ONLY" });
    const c = await db.connect();
    const rows = (await c.runAndReadAll(
      `SELECT column_name, list(DISTINCT compression ORDER BY compression) AS kinds FROM pragma_storage_info('CORE.SENSOR_READINGS_NORMALIZED')
       WHERE segment_type = 'VARCHAR' GROUP BY column_name ORDER BY column_name`,
    )).getRowObjectsJS() as Array<{ column_name: string; kinds: string[] }>;
    const byColumn = new Map(rows.map((r) => [r.column_name, r.kinds]));
    for (const name of lowCardinality(SENSOR_READINGS_NORMALIZED.columns)) {
      const kinds = byColumn.get(name) ?? [];
      // A segment of NULLs only (value_text of numeric metrics) may be stored as a constant.
      assert.ok(kinds.includes("Dictionary") && kinds.every((k) => k === "Dictionary" || k === "Constant"), `${name}: ${kinds.join(", ")}`);
    }
    const payload = (await c.runAndReadAll(
      "SELECT DISTINCT compression FROM pragma_storage_info('RAW.SENSOR_READINGS') WHERE column_name = 'payload' AND segment_type <> 'VALIDITY'",
    )).getRowsJS().map((r) => String(r[0]));
    assert.deepEqual(payload, ["FSST"], "bronze's payloads, checkpointed on close");
    const [back] = (await c.runAndReadAll(
      "SELECT COUNT(DISTINCT tenant_id) AS tenants, COUNT(DISTINCT device_id) AS devices, COUNT(DISTINCT metric) AS metrics FROM CORE.SENSOR_READINGS_NORMALIZED",
    )).getRowObjectsJS() as Array<{ tenants: bigint; devices: bigint; metrics: bigint }>;
    assert.equal(Number(back!.tenants), new Set(readings.map((r) => r.tenantId)).size);
    assert.equal(Number(back!.devices), new Set(readings.map((r) => r.deviceId)).size);
    assert.ok(Number(back!.metrics) >= 20, `metrics of every sensor type (${back!.metrics})`);
    c.closeSync();
    db.closeSync();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
