import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import ExcelJS from "exceljs";
import { detectContract } from "../../pipelines/ingest/fileLoad.ts";
import { csvHeader, csvRecords } from "../../pipelines/ingest/csvRecords.ts";
import { openFileSource } from "../../pipelines/ingest/fileSources.ts";
import { FileRefusal } from "../../pipelines/ingest/fileRows.ts";
import { FileIo } from "../../pipelines/engine/fileIo.ts";
import { removeDir, tempDir } from "./edgeStack.ts";
import { loadCli, openLoadHub, registered, type LoadHub } from "./fileLoadHub.ts";

const SITE = "acme-plant-1";
const METER = "acme-plant-1-e-001";
const AIR = "acme-plant-1-aq-001";

describe("CSV records and header", () => {
  const dir = tempDir("load-records-");
  after(() => removeDir(dir));

  it("places every record by byte and line as DuckDB's strict reader splits them: quotes only at a field's start, line breaks inside quotes, CRLF, blank lines", async () => {
    const path = join(dir, "r.csv");
    const text = '\ufeffa,b\r\n1,2\r\n\r\n"x\r\ny",3\r\nq"uote,4\r\n  "sp",5\r\n   \r\n"end,6';
    writeFileSync(path, text);
    const recs = [];
    for await (const b of csvRecords(path, 7)) recs.push(...b); // chunks of 7 bytes: records and CRLFs cut across reads
    const bytes = Buffer.from(text);
    assert.deepEqual(recs.map((r) => [r.line, bytes.subarray(r.start, r.end).toString()]), [
      [1, "\ufeffa,b"], [2, "1,2"], [4, '"x\r\ny",3'], [6, 'q"uote,4'], [7, '  "sp",5'], [8, "   "], [9, '"end,6'],
    ]);
    assert.deepEqual(csvHeader(path), { cells: ["a", "b"], complete: true });
    writeFileSync(path, ' "Device ID", "a ""b""" ,c\n');
    assert.deepEqual(csvHeader(path)?.cells, ["Device ID", 'a "b"', "c"]);
  });
});

/** Seeded random CSV-ish text: quotes, doubled quotes, commas, spaces, line breaks. */
function randomCsv(seed: number, eol: string): string[] {
  const parts = ["a", "b", ",", '"', eol, " ", "xyz", ",", eol, '""'];
  let x = seed;
  const rnd = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  return Array.from({ length: 200 }, () => `h1,h2,h3${eol}${Array.from({ length: 1 + Math.floor(rnd() * 40) }, () => parts[Math.floor(rnd() * parts.length)]).join("")}`);
}

describe("CSV records against DuckDB's reader", () => {
  const dir = tempDir("load-records-prop-");
  after(() => removeDir(dir));

  it("splits a file the same whatever the read size (the skip over quote-free stretches stops at a chunk's end)", async () => {
    const path = join(dir, "p.csv");
    for (const text of [...randomCsv(1, "\n"), ...randomCsv(2, "\r\n")]) {
      writeFileSync(path, text);
      const whole: unknown[] = [];
      for await (const b of csvRecords(path)) whole.push(...b);
      for (const size of [1, 2, 3, 7]) {
        const cut: unknown[] = [];
        for await (const b of csvRecords(path, size)) cut.push(...b);
        assert.deepEqual(cut, whole, JSON.stringify(text));
      }
    }
  });

  it("places every row of 200 random LF files where DuckDB's reader puts it (none refused for a mismatch), and hands over each row once", async () => {
    const files = await FileIo.open();
    try {
      const path = join(dir, "q.csv");
      for (const text of randomCsv(11, "\n")) {
        writeFileSync(path, text);
        let source;
        try {
          source = await openFileSource(path, "csv", files);
        } catch (e) {
          assert.ok(e instanceof FileRefusal && !/could not be matched/.test(e.message), `${JSON.stringify(text)}: ${(e as Error).message}`);
          continue;
        }
        let n = 0;
        await source.read(async (rows) => void (n += rows.length));
        await source.close();
        assert.equal(n, source.rows);
      }
    } finally {
      files.close();
    }
  });
});

describe("batch file loads", () => {
  const dir = tempDir("load-");
  let hub: LoadHub;
  before(async () => (hub = await openLoadHub(join(dir, "hub.duckdb"))));
  after(async () => {
    await hub.close();
    removeDir(dir);
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
      `${old},${SITE},${METER},900,400,10,0.9,6.2,1.55`,
      `2025-11-03T08:15:00Z,${SITE},${METER},900,400,NaN,0.9,6.2,1.55`,
      `2099-01-01T00:00:00Z,${SITE},${METER},900,400,10,0.9,6.2,1.55`,
      `2025-11-03T08:30:00Z,${SITE},${METER},900,400,10,0.9,6.2,1.55`,
    ].join("\n"));
    const json = join(dir, "aq.json");
    writeFileSync(json, JSON.stringify([{ ts: old, site_id: SITE, device_id: AIR, sensor_type: "AIR_QUALITY", period_s: 60, co2_ppm: 600, pm25_ugm3: 8 }]));
    const first = await hub.load("acme", csv);
    assert.equal(first.contract, "ENERGY");
    assert.deepEqual([first.rows, first.loaded, first.quarantined, first.alreadyLoaded], [4, 2, 2, false]);
    const aq = await hub.load("acme", json);
    assert.deepEqual([aq.contract, aq.loaded, aq.quarantined], ["per row", 1, 0]);
    const again = await hub.load("acme", csv);
    assert.deepEqual([again.loaded, again.quarantined, again.alreadyLoaded], [0, 0, true]);

    const q = await hub.query<{ source: string; reason: string }>("SELECT source, reason FROM RAW.QUARANTINE ORDER BY reason");
    assert.equal(q.length, 2);
    assert.equal(q[0]!.source, "file:energy-week2.csv");
    assert.match(q[0]!.reason, /^energy-week2\.csv line 3: .*current_a/);
    assert.match(q[1]!.reason, /^energy-week2\.csv line 4: .*ahead/);
    const raw = await hub.query<{ n: bigint; payload: string }>(`SELECT COUNT(*) OVER () AS n, payload::VARCHAR AS payload FROM RAW.SENSOR_READINGS WHERE device_id = '${METER}' ORDER BY ts LIMIT 1`);
    assert.equal(Number(raw[0]!.n), 2);
    // The payload is parseMessage's for the message the row stands for.
    assert.deepEqual(JSON.parse(raw[0]!.payload), { schema: 1, message: { seq: 0 }, ts: old, seq: Date.parse(old), metrics: { period_s: 900, voltage_v: 400, current_a: 10, power_factor: 0.9, power_kw: 6.2, kwh: 1.55 } });
  });
});

describe("JSON shapes", () => {
  const dir = tempDir("load-json-");
  let hub: LoadHub;
  before(async () => (hub = await openLoadHub(join(dir, "hub.duckdb"))));
  after(async () => {
    await hub.close();
    removeDir(dir);
  });

  it("loads {\"readings\": [...]} item by item, in order, and .ndjson as JSON lines", async () => {
    const item = (i: number, over: Record<string, unknown> = {}) => ({ ts: `2025-11-03T08:0${i}:00Z`, site_id: SITE, device_id: AIR, period_s: 60, co2_ppm: 600 + i, pm25_ugm3: 8, ...over });
    const wrapped = join(dir, "wrapped.json");
    writeFileSync(wrapped, JSON.stringify({ readings: [item(1), item(2, { co2_ppm: "lots" }), item(3), "not an object"] }));
    const w = await hub.load("acme", wrapped);
    assert.deepEqual([w.format, w.contract, w.rows, w.loaded, w.quarantined], ["json", "AIR_QUALITY", 4, 2, 2]);
    const q = await hub.query<{ reason: string }>("SELECT reason FROM RAW.QUARANTINE ORDER BY reason");
    assert.match(q[0]!.reason, /^wrapped\.json item 2: .*co2_ppm/);
    assert.equal(q[1]!.reason, "wrapped.json item 4: it is a JSON string, not an object of columns");
    const nd = join(dir, "more.ndjson");
    writeFileSync(nd, `${JSON.stringify(item(4))}\n${JSON.stringify(item(5))}\n`);
    const n = await hub.load("acme", nd);
    assert.deepEqual([n.format, n.rows, n.loaded], ["jsonl", 2, 2]);
    const other = join(dir, "other.json");
    writeFileSync(other, JSON.stringify({ rows: [item(6)] }));
    await assert.rejects(hub.load("acme", other), /other\.json: expected a JSON array of readings or \{"readings": \[\.\.\.\]\}; this object has no "readings" array/);
  });
});

describe("XLSX loads", () => {
  const dir = tempDir("load-xlsx-");
  let hub: LoadHub;
  before(async () => {
    hub = await openLoadHub(join(dir, "hub.duckdb"));
    hub.devices.push(registered("acme", SITE, "1001")); // a provisioned machine whose id is a number
  });
  after(async () => {
    await hub.close();
    removeDir(dir);
  });

  /** A workbook as a plant's office keeps it: one sheet per sensor type, Excel dates and numbers. */
  async function workbook(path: string): Promise<void> {
    const wb = new ExcelJS.Workbook();
    const energy = wb.addWorksheet("energy");
    energy.addRow(["ts", "site_id", "device_id", "period_s", "voltage_v", "current_a", "power_factor", "power_kw", "kwh"]);
    energy.addRow([new Date("2025-11-03T08:00:00Z"), SITE, METER, 900, 400, 10, 0.9, 6.2, 1.55]);
    energy.addRow([new Date("2025-11-03T08:15:00Z"), SITE, METER, 900, 400, { error: "#DIV/0!" }, 0.9, 6.2, 1.55]);
    // An Excel date serial in a cell not formatted as a date: 45964.375 = 2025-11-03 09:00.
    energy.addRow([45964.375, SITE, METER, 900, 400, 10, 0.9, 6.2, 1.55]);
    const machines = wb.addWorksheet("machines");
    machines.addRow(["ts", "site_id", "device_id", "state", "period_s", "cycles", "good_parts", "ideal_cycle_s", "spindle_load_pct"]);
    // cycles is a formula whose cached result is 0: a result, not a missing one.
    machines.addRow([new Date("2025-11-03T08:00:00Z"), SITE, 1001, "RUNNING", 60, { formula: "B9-B9", result: 0 }, 2, 25, 61.5]);
    machines.addRow([new Date("2025-11-03T08:01:00Z"), SITE, 1001, "EXPLODED", 60, 2, 2, 25, 61.5]);
    wb.addWorksheet("notes"); // empty: skipped
    await wb.xlsx.writeFile(path);
  }

  it("reads every worksheet with its own contract, Excel dates and serials as times, and quarantines bad rows with sheet and row number", async () => {
    const path = join(dir, "line-3.xlsx");
    await workbook(path);
    const first = await hub.load("acme", path);
    assert.equal(first.contract, "per sheet");
    assert.deepEqual(first.sheets, [{ name: "energy", contract: "ENERGY", rows: 3 }, { name: "machines", contract: "MACHINE", rows: 2 }]);
    assert.deepEqual([first.rows, first.loaded, first.quarantined, first.alreadyLoaded], [5, 3, 2, false]);
    const again = await hub.load("acme", path);
    assert.deepEqual([again.loaded, again.quarantined, again.alreadyLoaded], [0, 0, true]);

    const q = await hub.query<{ reason: string }>("SELECT reason FROM RAW.QUARANTINE ORDER BY reason");
    assert.equal(q.length, 2);
    assert.match(q[0]!.reason, /^line-3\.xlsx sheet "energy" row 3: .*current_a.*#DIV\/0!/);
    assert.match(q[1]!.reason, /^line-3\.xlsx sheet "machines" row 3: .*state.*EXPLODED/);
    const raw = await hub.query<{ device_id: string; ts: Date; cycles: number }>("SELECT device_id, ts, payload->>'$.metrics.cycles' AS cycles FROM RAW.SENSOR_READINGS ORDER BY device_id, ts");
    assert.deepEqual(raw.map((r) => [r.device_id, new Date(r.ts).toISOString(), r.cycles]), [
      ["1001", "2025-11-03T08:00:00.000Z", "0"],
      [METER, "2025-11-03T08:00:00.000Z", null],
      [METER, "2025-11-03T09:00:00.000Z", null],
    ]);
  });

  it("scripts/load.ts loads a workbook, prints a summary, and the second load is a no-op", async () => {
    const path = join(dir, "cli.xlsx");
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet("aq");
    ws.addRow(["ts", "site_id", "device_id", "period_s", "co2_ppm", "pm25_ugm3"]);
    ws.addRow([new Date("2025-12-01T10:00:00Z"), SITE, AIR, 60, 640, 7.5]);
    await wb.xlsx.writeFile(path);
    const home = join(dir, "home");
    const first = await loadCli(home, ["--tenant", "acme", path]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /cli\.xlsx\s+AIR_QUALITY\s+1\s+1\s+0\s+loaded/);
    assert.match(first.stdout, /1 loaded into RAW, 0 to RAW\.QUARANTINE/);
    const second = await loadCli(home, ["--tenant", "acme", path]);
    assert.match(second.stdout, /already loaded/);
    writeFileSync(join(dir, "broken.xlsx"), "not a zip");
    const broken = await loadCli(home, ["--tenant", "acme", join(dir, "broken.xlsx")]);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /broken\.xlsx: not a readable XLSX workbook/);
  });
});
