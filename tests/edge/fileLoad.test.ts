import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import ExcelJS from "exceljs";
import { ChannelLanding } from "../../pipelines/ingest/channelLanding.ts";
import { detectContract, loadFile, parseCsv } from "../../pipelines/ingest/fileLoad.ts";
import { queryWarehouse, removeDir, tempDir } from "./edgeStack.ts";

const run = promisify(execFile);

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

describe("XLSX loads", () => {
  const dir = tempDir("load-xlsx-");
  const db = join(dir, "hub.duckdb");
  after(() => removeDir(dir));

  /** A workbook as a plant's office keeps it: one sheet per sensor type, Excel dates and numbers. */
  async function workbook(path: string): Promise<void> {
    const wb = new ExcelJS.Workbook();
    const energy = wb.addWorksheet("energy");
    energy.addRow(["ts", "site_id", "device_id", "period_s", "voltage_v", "current_a", "power_factor", "power_kw", "kwh"]);
    energy.addRow([new Date("2025-11-03T08:00:00Z"), "plant1", "em-1", 900, 400, 10, 0.9, 6.2, 1.55]);
    energy.addRow([new Date("2025-11-03T08:15:00Z"), "plant1", "em-1", 900, 400, { formula: "1/0", result: { error: "#DIV/0!" } }, 0.9, 6.2, 1.55]);
    // An Excel date serial in a cell not formatted as a date: 45964.375 = 2025-11-03 09:00.
    energy.addRow([45964.375, "plant1", "em-1", 900, 400, 10, 0.9, 6.2, 1.55]);
    const machines = wb.addWorksheet("machines");
    machines.addRow(["ts", "site_id", "device_id", "state", "period_s", "cycles", "good_parts", "ideal_cycle_s", "spindle_load_pct"]);
    machines.addRow([new Date("2025-11-03T08:00:00Z"), "plant1", 1001, "RUNNING", 60, 2, 2, 25, 61.5]);
    machines.addRow([new Date("2025-11-03T08:01:00Z"), "plant1", 1001, "EXPLODED", 60, 2, 2, 25, 61.5]);
    wb.addWorksheet("notes"); // empty: skipped
    await wb.xlsx.writeFile(path);
  }

  it("reads every worksheet with its own contract, Excel dates and serials as times, and quarantines bad rows with sheet and row number", async () => {
    const path = join(dir, "line-3.xlsx");
    await workbook(path);
    const landing = await ChannelLanding.open(db);
    const first = await loadFile(landing, "acme", path);
    assert.equal(first.contract, "per sheet");
    assert.deepEqual(first.sheets, [{ name: "energy", contract: "ENERGY", rows: 3 }, { name: "machines", contract: "MACHINE", rows: 2 }]);
    assert.deepEqual([first.rows, first.loaded, first.quarantined, first.alreadyLoaded], [5, 3, 2, false]);
    const again = await loadFile(landing, "acme", path);
    assert.deepEqual([again.loaded, again.quarantined, again.alreadyLoaded], [0, 0, true]);
    await landing.close();

    const q = await queryWarehouse<{ reason: string }>(db, "SELECT reason FROM RAW.QUARANTINE ORDER BY reason");
    assert.equal(q.length, 2);
    assert.match(q[0]!.reason, /^line-3\.xlsx sheet "energy" line 3: .*current_a.*#DIV\/0!/);
    assert.match(q[1]!.reason, /^line-3\.xlsx sheet "machines" line 3: .*state.*EXPLODED/);
    const raw = await queryWarehouse<{ device_id: string; ts: Date }>(db, "SELECT device_id, ts FROM RAW.SENSOR_READINGS ORDER BY device_id, ts");
    assert.deepEqual(raw.map((r) => [r.device_id, new Date(r.ts).toISOString()]), [
      ["1001", "2025-11-03T08:00:00.000Z"],
      ["em-1", "2025-11-03T08:00:00.000Z"],
      ["em-1", "2025-11-03T09:00:00.000Z"],
    ]);
  });

  it("scripts/load.ts loads a workbook, prints a summary, and the second load is a no-op", async () => {
    const path = join(dir, "cli.xlsx");
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet("aq");
    ws.addRow(["ts", "site_id", "device_id", "period_s", "co2_ppm", "pm25_ugm3"]);
    ws.addRow([new Date("2025-12-01T10:00:00Z"), "plant1", "aq-9", 60, 640, 7.5]);
    await wb.xlsx.writeFile(path);
    const env = { ...process.env, HUB_HOME: join(dir, "home") };
    const tsx = join(process.cwd(), "node_modules", ".bin", "tsx");
    const first = await run(tsx, ["scripts/load.ts", "--tenant", "acme", path], { env });
    assert.match(first.stdout, /cli\.xlsx\s+AIR_QUALITY\s+1\s+1\s+0\s+loaded/);
    assert.match(first.stdout, /1 loaded into RAW, 0 to RAW\.QUARANTINE/);
    const second = await run(tsx, ["scripts/load.ts", "--tenant", "acme", path], { env });
    assert.match(second.stdout, /already loaded/);
    writeFileSync(join(dir, "broken.xlsx"), "not a zip");
    await assert.rejects(run(tsx, ["scripts/load.ts", "--tenant", "acme", join(dir, "broken.xlsx")], { env }), (e: { code: number; stderr: string }) => {
      assert.equal(e.code, 1);
      assert.match(e.stderr, /broken\.xlsx: not a readable XLSX workbook/);
      return true;
    });
  });
});
