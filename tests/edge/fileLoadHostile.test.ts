/**
 * Files made to get something past the loader (issue 18, part 4): every row ends in RAW or in
 * RAW.QUARANTINE with a reason that names the field and the value, or the file is refused whole
 * and nothing of it is written; rows = loaded + quarantined, and the warehouse agrees.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { DeviceRegistry } from "../../edge/deviceRegistry.ts";
import { join } from "node:path";
import ExcelJS from "exceljs";
import { FileRefusal, type FileLoadResult } from "../../pipelines/ingest/fileLoad.ts";
import { showValue } from "../../pipelines/ingest/idGrammar.ts";
import { OFFSETS_TABLE } from "../../pipelines/ingest/channelLanding.ts";
import { removeDir, tempDir } from "./edgeStack.ts";
import { loadCli, openLoadHub, type LoadHub } from "./fileLoadHub.ts";

const SITE = "acme-plant-1";
const MACHINE = "acme-plant-1-m-001";
const TS = "2025-11-03T08:00:00.000Z";
const READING_HEADER = ["ts", "tenant_id", "site_id", "device_id", "state", "period_s", "cycles", "good_parts", "ideal_cycle_s", "spindle_load_pct"];
const SCAN_HEADER = ["scan_ts", "site_id", "job_id", "product_id", "product_variant", "station", "operator_id"];

/** A good machine reading of acme, minute `i` (its own seq: the time). */
function reading(i: number, over: Record<string, string> = {}): Record<string, string> {
  const ts = new Date(Date.parse(TS) + i * 60_000).toISOString();
  return { ts, tenant_id: "acme", site_id: SITE, device_id: MACHINE, state: "RUNNING", period_s: "60", cycles: "2", good_parts: "2", ideal_cycle_s: "25", spindle_load_pct: "61.5", ...over };
}

function scan(i: number, over: Record<string, string> = {}): Record<string, string> {
  const ts = new Date(Date.parse(TS) + i * 60_000).toISOString();
  return { scan_ts: ts, site_id: SITE, job_id: `acme-plant-1-job-${String(i).padStart(6, "0")}`, product_id: "bracket", product_variant: "STD", station: "cut", operator_id: "op-1", ...over };
}

/** RFC 4180: a cell with a quote, comma or line break is quoted, its quotes doubled. */
const csvCell = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
const csvText = (header: readonly string[], rows: ReadonlyArray<Record<string, string>>, eol = "\n") =>
  [header.join(","), ...rows.map((r) => header.map((h) => csvCell(r[h] ?? "")).join(","))].join(eol) + eol;

/** What spreadsheets run, and what hides in an id: each must fail the id grammar. */
const HOSTILE = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "=cmd|' /C calc'!A0", " =1+1", "dev\tice", "dev\rice", "dev\u0000ice", "dev\u0085ice", "\u0430cme-plant-1-m-001", "x".repeat(10_000)];

describe("hostile file loads", () => {
  const dir = tempDir("load-hostile-");
  let hub: LoadHub;
  before(async () => (hub = await openLoadHub(join(dir, "hub.duckdb"))));
  after(async () => {
    await hub.close();
    removeDir(dir);
  });

  const write = (name: string, text: string | Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  /** Load, then check the counts add up in the result and in the warehouse; the quarantine reasons in file order. */
  async function load(tenant: string, path: string): Promise<{ r: FileLoadResult; reasons: string[]; raw: number }> {
    const r = await hub.load(tenant, path);
    const file = path.split("/").pop()!;
    const [raw] = await hub.query<{ n: bigint }>(`SELECT (SELECT count(*) FROM RAW.SENSOR_READINGS WHERE source = 'file:${file}' AND tenant_id = '${tenant}') + (SELECT count(*) FROM RAW.JOB_SCANS WHERE source = 'file:${file}' AND tenant_id = '${tenant}') AS n`);
    const q = await hub.query<{ reason: string }>(`SELECT reason FROM RAW.QUARANTINE WHERE source = 'file:${file}' AND tenant_id = '${tenant}' ORDER BY received_at, reason`);
    assert.equal(r.rows, r.loaded + r.quarantined, `${file}: rows = loaded + quarantined`);
    assert.equal(Number(raw!.n), r.loaded, `${file}: RAW holds the loaded rows`);
    assert.equal(q.length, r.quarantined, `${file}: QUARANTINE holds the quarantined rows`);
    return { r, reasons: q.map((x) => x.reason), raw: Number(raw!.n) };
  }

  async function refused(tenant: string, path: string, why: RegExp): Promise<void> {
    await assert.rejects(hub.load(tenant, path), (e: Error) => {
      assert.ok(e instanceof FileRefusal, e.stack);
      assert.match(e.message, why);
      return true;
    });
  }

  /** A file of `rows` (all of one header) in `format`. */
  async function fileOf(name: string, format: "csv" | "jsonl" | "xlsx", header: readonly string[], rows: ReadonlyArray<Record<string, string>>): Promise<string> {
    if (format === "csv") return write(`${name}.csv`, csvText(header, rows));
    if (format === "jsonl") return write(`${name}.jsonl`, rows.map((x) => JSON.stringify(x)).join("\n"));
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet("data");
    ws.addRow([...header]);
    for (const r of rows) ws.addRow(header.map((h) => r[h]));
    await wb.xlsx.writeFile(join(dir, `${name}.xlsx`));
    return join(dir, `${name}.xlsx`);
  }

  for (const format of ["csv", "jsonl", "xlsx"] as const) {
    it(`quarantines formula starts, control characters, a look-alike and a 10,000-character value in every id column of a ${format} file, naming column and value`, async () => {
      // XML has no NUL or U+0085 (exceljs drops them on writing; Excel writes _x0000_), and reads a
      // CR in a cell as a line feed (XML 1.0, section 2.11): in a workbook those arrive so.
      const hostile = format === "xlsx" ? HOSTILE.filter((v) => !/[\u0000\u0085]/.test(v)) : HOSTILE;
      const arrived = (v: string) => (format === "xlsx" ? v.replace("\r", "\n") : v);
      for (const [kind, header, make, columns] of [
        ["readings", READING_HEADER, reading, ["tenant_id", "site_id", "device_id"]],
        ["scans", SCAN_HEADER, scan, ["site_id", "job_id", "product_id", "product_variant", "station", "operator_id"]],
      ] as const) {
        const rows = columns.flatMap((c, k) => hostile.map((v, i) => make(k * 100 + i, { [c]: v })));
        const path = await fileOf(`inject-${kind}-${format}`, format, header, [make(999), ...rows]);
        const { r, reasons } = await load("acme", path);
        assert.deepEqual([r.rows, r.loaded, r.quarantined], [rows.length + 1, 1, rows.length], `${kind} in ${format}`);
        for (const c of columns) {
          for (const v of hostile) assert.ok(reasons.some((x) => x.includes(`${c} ${showValue(arrived(v))} is not a`)), `${kind} in ${format}: ${c} = ${showValue(v)}`);
        }
      }
      const [one] = (await hub.query<{ reason: string }>(`SELECT reason FROM RAW.QUARANTINE WHERE reason LIKE 'inject-readings-${format}.%' AND reason LIKE '%HYPERLINK%' AND reason LIKE '%device_id%'`));
      assert.match(one!.reason, new RegExp(`^inject-readings-${format}\\.${format} (line|sheet "data" row) \\d+: device_id "=HYPERLINK\\(\\\\"http://x\\\\",\\\\"y\\\\"\\)" is not a device id .*which a spreadsheet runs as a formula`));
    });
  }

  it("quarantines XLSX formula cells in id columns, a formula with no cached result, and error cells, naming the cell", async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet("machines");
    ws.addRow(READING_HEADER);
    const cells = (r: Record<string, unknown>) => READING_HEADER.map((h) => r[h]);
    ws.addRow(cells({ ...reading(0), ts: new Date(TS) })); // row 2: good
    HOSTILE.forEach((v, i) => ws.addRow(cells({ ...reading(i + 1), device_id: v }))); // rows 3..14: text that is not an id
    ws.addRow(cells({ ...reading(20), device_id: { formula: 'HYPERLINK("http://x","y")', result: "y" } })); // 15: displays y
    ws.addRow(cells({ ...reading(21), cycles: { formula: "SUM(A1:A3)" } })); // 16: never computed
    ws.addRow(cells({ ...reading(22), tenant_id: { error: "#N/A" }, spindle_load_pct: { error: "#DIV/0!" } })); // 17: error cells
    ws.getCell("G18").value = { formula: "G17*2" } as ExcelJS.CellFormulaValue; // 18: nothing but an uncomputed formula
    const path = join(dir, "inject.xlsx");
    await wb.xlsx.writeFile(path);
    const { r, reasons } = await load("acme", path);
    assert.deepEqual([r.rows, r.loaded, r.quarantined], [HOSTILE.length + 5, 1, HOSTILE.length + 4]);
    // XML reads a CR in a cell's text as a line feed (XML 1.0, section 2.11): the id still fails.
    // NUL and U+0085 cannot be in XML at all: exceljs drops them on writing (Excel writes _x0000_).
    for (const v of HOSTILE.filter((x) => !/[\u0000\u0085]/.test(x))) assert.ok(reasons.some((x) => x.includes(`device_id ${showValue(v.replace("\r", "\n"))} is not a device id`)), showValue(v));
    assert.ok(reasons.includes('inject.xlsx sheet "machines" row 15: cell D15 (device_id) is a formula (=HYPERLINK("http://x","y")), not a value: an id is typed in, not computed'), reasons.join("\n"));
    assert.ok(reasons.some((x) => x.startsWith('inject.xlsx sheet "machines" row 16: cell G16 (cycles) is a formula (=SUM(A1:A3)) with no cached result')), reasons.join("\n"));
    assert.ok(reasons.some((x) => x.startsWith('inject.xlsx sheet "machines" row 17: tenant_id "#N/A" is not a tenant id')), reasons.join("\n"));
    assert.ok(reasons.includes('inject.xlsx sheet "machines" row 18: cell G18 (cycles) is a formula (=G17*2) with no cached result: open and save the workbook in Excel, which computes it'), reasons.join("\n"));
  });

  it("quarantines a row naming another tenant, another tenant's device, an unknown device and an unknown site, each reason naming both sides", async () => {
    const rows = [
      reading(1, { tenant_id: "globex" }),
      reading(2, { site_id: "globex-works", device_id: "globex-works-m-001" }),
      reading(3, { device_id: "globex-works-m-001" }),
      reading(4, { device_id: "acme-plant-1-m-999" }),
      reading(5, { site_id: "acme-plant-9", device_id: "acme-plant-9-m-001" }),
      reading(6),
    ];
    const { r, reasons } = await load("acme", write("foreign.csv", csvText(READING_HEADER, rows)));
    assert.deepEqual([r.loaded, r.quarantined], [1, 5]);
    assert.deepEqual(reasons, [
      'foreign.csv line 2: tenant_id "globex" names another tenant than the one loading the file (acme)',
      'foreign.csv line 3: device_id "globex-works-m-001" is a device of tenant globex, not of acme',
      'foreign.csv line 4: device_id "globex-works-m-001" is a device of tenant globex, not of acme',
      `foreign.csv line 5: device_id "acme-plant-1-m-999" is not a device of tenant acme at site "acme-plant-1" (from its fleet (Pulumi.acme.yaml) and the device registry (no devices registered))`,
      'foreign.csv line 6: site_id "acme-plant-9" is not a site of tenant acme (its sites: acme-plant-1; from its fleet (Pulumi.acme.yaml) and the device registry (no devices registered))',
    ]);
    const scans = [scan(1, { station: "press" }), scan(2, { site_id: "globex-works", station: "press" })];
    const s = await load("acme", write("foreign-scans.csv", csvText(SCAN_HEADER, scans)));
    assert.deepEqual(s.reasons, [
      'foreign-scans.csv line 2: station "press" is not a station of site "acme-plant-1" of tenant acme (its stations: cut, weld, paint, assemble, inspect)',
      'foreign-scans.csv line 3: site_id "globex-works" is not a site of tenant acme (its sites: acme-plant-1; from its fleet (Pulumi.acme.yaml) and the device registry (no devices registered))',
    ]);
  });

  it("refuses empty files of every kind with a message, records nothing, and loads the file once it has rows", async () => {
    const channelsBefore = await hub.query<{ channel: string }>(`SELECT channel FROM ${OFFSETS_TABLE} WHERE channel LIKE 'file:%'`);
    await refused("acme", write("empty.csv", ""), /^empty\.csv: the file is empty \(0 bytes\)/);
    await refused("acme", write("empty.jsonl", ""), /^empty\.jsonl: the file is empty \(0 bytes\)/);
    await refused("acme", write("blank.jsonl", "\n  \r\n\n"), /^blank\.jsonl: the file has only empty lines/);
    await refused("acme", write("blank.csv", "\r\n\n"), /^blank\.csv: the file has only empty lines/);
    await refused("acme", write("header.csv", `${READING_HEADER.join(",")}\n`), /^header\.csv: the file has a header but no rows/);
    await refused("acme", write("empty.json", "[ ]"), /^empty\.json: the JSON array is empty/);
    await refused("acme", write("space.json", " \n"), /^space\.json: expected a JSON array of readings .*only white space/);
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet("machines").addRow(READING_HEADER);
    await wb.xlsx.writeFile(join(dir, "header.xlsx"));
    await refused("acme", join(dir, "header.xlsx"), /^header\.xlsx: the workbook's worksheets have a header but no rows/);
    // Nothing of them was recorded: no channel of a file but the ones loaded above.
    const channels = await hub.query<{ channel: string }>(`SELECT channel FROM ${OFFSETS_TABLE} WHERE channel LIKE 'file:%'`);
    assert.equal(channels.length, channelsBefore.length);
    // Fixed, the same file name loads.
    writeFileSync(join(dir, "header.csv"), csvText(READING_HEADER, [reading(0)]));
    const { r } = await load("acme", join(dir, "header.csv"));
    assert.deepEqual([r.rows, r.loaded, r.alreadyLoaded], [1, 1, false]);
  });

  it("refuses a truncated JSON array whole; quarantines a truncated or broken JSON line by its number", async () => {
    await refused("acme", write("truncated.json", `[${JSON.stringify(reading(0))}, {"ts": "2025-`), /^truncated\.json: not valid JSON: .*Malformed JSON/);
    const lines = [JSON.stringify(reading(0)), "{not json}", "[1,2]", JSON.stringify(reading(1)).slice(0, 40)];
    const { r, reasons } = await load("acme", write("truncated.jsonl", lines.join("\n")));
    assert.deepEqual([r.rows, r.loaded, r.quarantined], [4, 1, 3]);
    assert.match(reasons[0]!, /^truncated\.jsonl line 2: it is not valid JSON: .*position 1/);
    assert.equal(reasons[1], "truncated.jsonl line 3: it is a JSON array, not an object of columns");
    assert.match(reasons[2]!, /^truncated\.jsonl line 4: it is not valid JSON/);
    const [q] = await hub.query<{ raw: string }>("SELECT raw::VARCHAR AS raw FROM RAW.QUARANTINE WHERE reason LIKE 'truncated.jsonl line 2:%'");
    assert.equal(JSON.parse(q!.raw), "{not json}", "the line's text is kept");
  });

  it("reads a byte order mark, CRLF and LF, and quoted line breaks, naming the physical line of each row", async () => {
    const rows = [reading(0), reading(1, { device_id: "bad id" }), reading(2)];
    for (const [name, eol] of [["lf.csv", "\n"], ["crlf.csv", "\r\n"]] as const) {
      const { r, reasons } = await load("acme", write(name, `\ufeff${csvText(READING_HEADER, rows, eol)}`));
      assert.deepEqual([r.rows, r.loaded, r.quarantined], [3, 2, 1]);
      assert.match(reasons[0]!, new RegExp(`^${name.replace(".", "\\.")} line 3: device_id "bad id" is not a device id`));
    }
    // A quoted state with a line break inside: the row after it is on line 5.
    const quoted = csvText(READING_HEADER, [reading(0, { state: "RUN\nNING" }), reading(1, { device_id: "bad id" })]);
    const q = await load("acme", write("quoted.csv", quoted));
    assert.deepEqual([q.r.rows, q.r.quarantined], [2, 2]);
    assert.match(q.reasons[0]!, /^quoted\.csv line 2: metrics\.state = 'RUN\nNING' is not one of/);
    assert.match(q.reasons[1]!, /^quoted\.csv line 4: device_id "bad id"/);
    const bom = await load("acme", write("bom.jsonl", `\ufeff${JSON.stringify(reading(5))}\r\n${JSON.stringify(reading(6))}\r\n`));
    assert.deepEqual([bom.r.rows, bom.r.loaded], [2, 2]);
    const bomJson = await load("acme", write("bom.json", `\ufeff${JSON.stringify([reading(7)])}`));
    assert.deepEqual([bomJson.r.rows, bomJson.r.loaded], [1, 1]);
  });

  it("quarantines a CSV row with more cells than the header, or fewer, or a stray quote, with its own text", async () => {
    const header = READING_HEADER.join(",");
    const good = READING_HEADER.map((h) => reading(0)[h]).join(",");
    const text = [header, good, `${good},extra`, good.split(",").slice(0, 3).join(","), `${good.replace("RUNNING", '"RUN"NING')}`].join("\n");
    const { r, reasons } = await load("acme", write("cells.csv", text));
    assert.deepEqual([r.rows, r.loaded, r.quarantined], [4, 1, 3]);
    assert.match(reasons[0]!, /^cells\.csv line 3: the CSV reader refused the row: it has more cells than the header's 10 columns/);
    assert.match(reasons[1]!, /^cells\.csv line 4: the CSV reader refused the row: it has fewer cells than the header's 10 columns/);
    assert.match(reasons[2]!, /^cells\.csv line 5: the CSV reader refused the row: a quoted field does not end/);
    const [q] = await hub.query<{ raw: string }>("SELECT raw::VARCHAR AS raw FROM RAW.QUARANTINE WHERE reason LIKE 'cells.csv line 3:%'");
    assert.equal(JSON.parse(q!.raw), `${good},extra`);
  });

  it("quarantines a row with a value under a header named twice, a nameless or a bad column name", async () => {
    const header = ["ts", "site_id", "device_id", "device_id", "state", "period_s", "cycles", "good_parts", "ideal_cycle_s", "spindle_load_pct", "", "=x"];
    const row = (device2: string, nameless = "", bad = "") => [TS, SITE, MACHINE, device2, "RUNNING", "60", "2", "2", "25", "61.5", nameless, bad].join(",");
    const text = [header.join(","), row(""), row("acme-plant-1-m-002"), row("", "7"), row("", "", "8")].join("\n");
    const { r, reasons } = await load("acme", write("dup.csv", text));
    assert.deepEqual([r.rows, r.loaded, r.quarantined], [4, 1, 3]);
    assert.deepEqual(reasons.map((x) => x.replace(/^dup\.csv (line \d+): (.*)$/, "$1: $2")), [
      "line 3: column device_id is named twice in the header, and the row has a value in both",
      'line 4: the value "7" is in a column the header gives no name',
      `line 5: column "=x" (value "8") is not a column name: lower-case letters, digits or '_', at most 64`,
    ]);
  });

  it("loads the same file once, and the same bytes for two tenants twice, each against its own tenant", async () => {
    const text = csvText(READING_HEADER.filter((h) => h !== "tenant_id"), [reading(0), reading(1, { site_id: "globex-works", device_id: "globex-works-m-001" })]);
    const path = write("shared.csv", text);
    const acme = await load("acme", path);
    assert.deepEqual([acme.r.loaded, acme.r.quarantined], [1, 1]);
    const again = await hub.load("acme", path);
    assert.equal(again.alreadyLoaded, true);
    const globex = await load("globex", path);
    assert.equal(globex.r.alreadyLoaded, false);
    assert.deepEqual([globex.r.loaded, globex.r.quarantined], [1, 1]);
    assert.deepEqual(globex.reasons, ['shared.csv line 2: device_id "acme-plant-1-m-001" is a device of tenant acme, not of globex']);
    assert.equal((await hub.load("globex", path)).alreadyLoaded, true);
  });

  it("scripts/load.ts refuses a tenant without a stack and loads nothing; a refused file does not stop the others, and the exit code says so", async () => {
    const home = join(dir, "home");
    const good = write("cli-good.csv", csvText(READING_HEADER, [reading(0)]));
    const typo = await loadCli(home, ["--tenant", "acmee", good]);
    assert.equal(typo.code, 1);
    assert.match(typo.stderr, /--tenant "acmee" has no stack file \(Pulumi\.acmee\.yaml\); tenants: acme, globex/);
    const mixed = await loadCli(home, ["--tenant", "acme", "--quiet", write("cli-empty.csv", ""), good]);
    assert.equal(mixed.code, 1, mixed.stderr);
    assert.match(mixed.stderr, /cli-empty\.csv: the file is empty/);
    assert.match(mixed.stdout, /cli-good\.csv\s+MACHINE\s+1\s+1\s+0\s+loaded/);
    assert.match(mixed.stdout, /cli-empty\.csv\s+-\s+-\s+-\s+-\s+refused/);
    assert.match(mixed.stdout, /2 file\(s\), 1 rows: 1 loaded into RAW, 0 to RAW\.QUARANTINE, 0 file\(s\) already loaded before, 1 refused/);
  });

  it("scripts/load.ts takes a provisioned device from the hub's device registry as the tenant's, and another tenant's registered device as not", async () => {
    const home = join(dir, "home-registry");
    mkdirSync(home, { recursive: true });
    const registry = DeviceRegistry.open(join(home, "devices.json"));
    registry.addDevice({ thingName: "acme-lab-m-001", tenantId: "acme", siteId: "acme-lab" });
    registry.addDevice({ thingName: "globex-lab-m-001", tenantId: "globex", siteId: "globex-lab" });
    const rows = [reading(0, { site_id: "acme-lab", device_id: "acme-lab-m-001" }), reading(1, { site_id: "acme-lab", device_id: "globex-lab-m-001" })];
    const r = await loadCli(home, ["--tenant", "acme", "--quiet", write("registered.csv", csvText(READING_HEADER, rows))]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /registered\.csv\s+MACHINE\s+2\s+1\s+1\s+loaded/);
  });
});
