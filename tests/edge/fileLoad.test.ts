import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ChannelLanding } from "../../pipelines/ingest/channelLanding.ts";
import { detectContract, loadFile, parseCsv } from "../../pipelines/ingest/fileLoad.ts";
import { queryWarehouse, removeDir, tempDir } from "./edgeStack.ts";

describe("batch file loads", () => {
  const dir = tempDir("load-");
  const db = join(dir, "hub.duckdb");
  after(() => removeDir(dir));

  it("parses quoted CSV fields with commas, quotes and line breaks", () => {
    assert.deepEqual(parseCsv('a,b\n"x, ""y""",2\r\n"multi\nline",3\n'), [
      { line: 1, cells: ["a", "b"] },
      { line: 2, cells: ['x, "y"', "2"] },
      { line: 3, cells: ["multi\nline", "3"] },
    ]);
  });

  it("detects the sensor contract from the columns", () => {
    assert.equal(detectContract(["ts", "device_id", "site_id", "period_s", "voltage_v", "current_a", "power_factor", "power_kw", "kwh"]), "ENERGY");
    assert.equal(detectContract(["ts", "device_id", "sensor_type", "co2_ppm"]), "per row");
    assert.equal(detectContract(["ts", "device_id", "colour"]), null);
  });

  it("lands good rows, quarantines bad ones with file, line and reason, and loads the same content once", async () => {
    const csv = join(dir, "energy-week2.csv");
    const old = "2025-11-03T08:00:00Z"; // weeks old: legacy history is accepted
    writeFileSync(csv, [
      "ts,site_id,device_id,period_s,voltage_v,current_a,power_factor,power_kw,kwh",
      `${old},plant1,em-1,900,400,10,0.9,6.2,1.55`,
      `2025-11-03T08:15:00Z,plant1,em-1,900,400,NaN,0.9,6.2,1.55`,
      `2099-01-01T00:00:00Z,plant1,em-1,900,400,10,0.9,6.2,1.55`,
      `2025-11-03T08:30:00Z,plant1,em-1,900,400,10,0.9,6.2,1.55`,
    ].join("\n"));
    const json = join(dir, "aq.json");
    writeFileSync(json, JSON.stringify([{ ts: old, site_id: "plant1", device_id: "aq-1", sensor_type: "AIR_QUALITY", period_s: 60, co2_ppm: 600, pm25_ugm3: 8 }]));
    const landing = await ChannelLanding.open(db);
    const first = await loadFile(landing, "acme", csv);
    assert.equal(first.contract, "ENERGY");
    assert.deepEqual([first.rows, first.loaded, first.quarantined, first.alreadyLoaded], [4, 2, 2, false]);
    const aq = await loadFile(landing, "acme", json);
    assert.deepEqual([aq.contract, aq.loaded, aq.quarantined], ["per row", 1, 0]);
    const again = await loadFile(landing, "acme", csv);
    assert.deepEqual([again.loaded, again.quarantined, again.alreadyLoaded], [0, 0, true]);
    await landing.close();

    const q = await queryWarehouse<{ source: string; reason: string }>(db, "SELECT source, reason FROM RAW.QUARANTINE ORDER BY reason");
    assert.equal(q.length, 2);
    assert.equal(q[0]!.source, "file:energy-week2.csv");
    assert.match(q[0]!.reason, /^energy-week2\.csv line 3: .*current_a/);
    assert.match(q[1]!.reason, /^energy-week2\.csv line 4: .*ahead/);
    const [n] = await queryWarehouse<{ n: bigint }>(db, "SELECT COUNT(*) AS n FROM RAW.SENSOR_READINGS");
    assert.equal(Number(n!.n), 3);
  });
});
