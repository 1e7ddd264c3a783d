/** Archive keys, tenant confinement, manifests and the Snowflake restore statements: pure checks. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { assertTenantKey, dataKey, dayParts, manifestKey, parseDataKey, TenantConfinementError, tenantPrefixes } from "../../pipelines/archive/archiveKeys.ts";
import { ARCHIVED_TABLES } from "../../pipelines/archive/archivedTables.ts";
import { currentFiles, MANIFEST_FORMAT, parseManifest, type Manifest } from "../../pipelines/archive/manifest.ts";
import { snowflakeRestoreSql } from "../../pipelines/archive/restoreArchive.ts";

describe("archive keys", () => {
  it("builds Hive-style partition keys and reads them back", () => {
    const key = dataKey("bronze", "RAW.SENSOR_READINGS", "acme", "2026-01-05", "part-000001.parquet");
    assert.equal(key, "bronze/raw.sensor_readings/tenant=acme/year=2026/month=01/day=05/part-000001.parquet");
    assert.deepEqual(parseDataKey(key), { layer: "bronze", table: "RAW.SENSOR_READINGS", tenant: "acme", day: "2026-01-05", file: "part-000001.parquet" });
    assert.equal(manifestKey("acme", "gold", 12), "manifests/tenant=acme/gold/run-000012.json");
    assert.equal(parseDataKey("manifests/tenant=acme/gold/run-000012.json"), null);
  });

  it("refuses tenant ids and days that are not ones, naming the value", () => {
    for (const bad of ["ACME", "../acme", "acme/x", "a", ""]) assert.throws(() => dataKey("bronze", "RAW.JOB_SCANS", bad, "2026-01-05", "data.parquet"), /tenant id/);
    assert.throws(() => dayParts("2026-02-30"), /"2026-02-30" is not a calendar date/);
    assert.throws(() => dayParts("2026-1-5"), /is not a calendar date/);
  });

  it("lets a tenant's export write only under that tenant's prefixes", () => {
    const prefixes = tenantPrefixes("acme");
    assert.equal(prefixes.length, ARCHIVED_TABLES.length + 1);
    assert.doesNotThrow(() => assertTenantKey("acme", dataKey("gold", "ANALYTICS.ALERTS", "acme", "2026-01-05", "data.parquet")));
    assert.doesNotThrow(() => assertTenantKey("acme", manifestKey("acme", "bronze", 1)));
    for (const key of [
      dataKey("gold", "ANALYTICS.ALERTS", "globex", "2026-01-05", "data.parquet"),
      manifestKey("globex", "bronze", 1),
      "bronze/raw.sensor_readings/tenant=acme/../tenant=globex/x.parquet",
      "bronze/raw.sensor_readings/tenant=acme-evil/year=2026/month=01/day=05/part-000001.parquet",
      "other/tenant=acme/x.parquet",
    ]) {
      assert.throws(() => assertTenantKey("acme", key), TenantConfinementError, key);
    }
  });
});

describe("manifests", () => {
  const manifest = (seq: number, sha: string): Manifest => ({
    format: MANIFEST_FORMAT, archive: "file:///a", tenant: "acme", layer: "gold", runSeq: seq, runId: `gold-${seq}`, createdAt: "2026-01-06T00:00:00.000Z",
    tables: [{
      table: "ANALYTICS.ALERTS", mode: "snapshot", dayColumn: "window_start", watermarkColumn: null, watermark: { from: null, to: "2026-01-06T00:00:00.000Z" },
      files: [{ key: "gold/analytics.alerts/tenant=acme/year=2026/month=01/day=05/data.parquet", day: "2026-01-05", rows: seq, bytes: 10, sha256: sha.repeat(64), minTs: null, maxTs: null, fingerprint: "1" }],
    }],
  });

  it("takes a rewritten day's file from the newest manifest that names it", () => {
    const files = currentFiles([{ key: "m2", manifest: manifest(2, "b") }, { key: "m1", manifest: manifest(1, "a") }]);
    assert.equal(files.size, 1);
    const f = [...files.values()][0]!;
    assert.equal(f.sha256, "b".repeat(64));
    assert.equal(f.manifestKey, "m2");
  });

  it("refuses a malformed manifest, naming the field", () => {
    const bad = { ...manifest(1, "a"), runSeq: -1 };
    assert.throws(() => parseManifest(JSON.stringify(bad), "manifests/tenant=acme/gold/run-000001.json"), /run-000001\.json is malformed: runSeq/);
    assert.throws(() => parseManifest("{", "m.json"), /m\.json is not valid JSON/);
  });
});

describe("Snowflake restore statements", () => {
  it("load each bronze table's day partitions of one tenant from the stage", () => {
    const sql = snowflakeRestoreSql("HUB.RAW.ARCHIVE_STAGE", "acme", "2026-01-05", "2026-01-06");
    assert.equal(sql.length, 2 * 3);
    assert.match(sql[0]!, /^COPY INTO RAW\.SENSOR_READINGS FROM @HUB\.RAW\.ARCHIVE_STAGE\/bronze\/raw\.sensor_readings\/tenant=acme\/year=2026\/month=01\/day=05\/ FILE_FORMAT = \(TYPE = PARQUET\) MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE/);
    for (const s of sql) assert.ok(s.includes("/tenant=acme/"), s);
    assert.throws(() => snowflakeRestoreSql("x; DROP TABLE y", "acme", "2026-01-05", "2026-01-05"), /is not a stage name/);
  });
});
