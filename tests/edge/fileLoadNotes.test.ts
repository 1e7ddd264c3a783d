/**
 * Operator notes through the batch-load path (issue 28): a notes file (a `note_ts` column) lands
 * in RAW.OPERATOR_NOTES under the loading tenant, by the rules of POST /v1/notes
 * (pipelines/notes/noteRecords.ts); every other row goes to RAW.QUARANTINE with a reason naming
 * the field and the value; rows = loaded + quarantined.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FileLoadResult } from "../../pipelines/ingest/fileLoad.ts";
import { MAX_NOTE_TEXT_CHARS } from "../../pipelines/notes/noteRecords.ts";
import { removeDir, tempDir } from "./edgeStack.ts";
import { openLoadHub, type LoadHub } from "./fileLoadHub.ts";

const SITE = "acme-plant-1";
const MACHINE = "acme-plant-1-m-001";
const HEADER = ["note_ts", "site_id", "device_id", "author_id", "kind", "language", "text"];
const INJECTION = `'); DROP TABLE RAW.OPERATOR_NOTES; -- =HYPERLINK("http://x","y") <script>alert(1)</script>`;

function note(i: number, over: Record<string, string> = {}): Record<string, string> {
  const ts = new Date(Date.parse("2025-11-03T06:00:00Z") + i * 3_600_000).toISOString();
  return { note_ts: ts, site_id: SITE, device_id: MACHINE, author_id: `op-${i}`, kind: "shift", language: "en", text: `note ${i}: spindle ran warm, checked coolant`, ...over };
}

const csvCell = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
const csvText = (header: readonly string[], rows: ReadonlyArray<Record<string, string>>) =>
  [header.join(","), ...rows.map((r) => header.map((h) => csvCell(r[h] ?? "")).join(","))].join("\n") + "\n";

describe("operator notes from file loads", () => {
  const dir = tempDir("load-notes-");
  let hub: LoadHub;
  before(async () => (hub = await openLoadHub(join(dir, "hub.duckdb"))));
  after(async () => {
    await hub.close();
    removeDir(dir);
  });

  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const reasonsOf = (file: string) => hub.query<{ reason: string }>(`SELECT reason FROM RAW.QUARANTINE WHERE source = 'file:${file}' ORDER BY reason`).then((r) => r.map((x) => x.reason));
  const notesOf = (file: string) =>
    hub.query<{ tenant_id: string; device_id: string; author_id: string; kind: string; language: string | null; text: string; source: string }>(
      `SELECT tenant_id, device_id, author_id, kind, language, text, source FROM RAW.OPERATOR_NOTES WHERE source = 'file:${file}' ORDER BY note_ts`,
    );
  const adds = (r: FileLoadResult) => assert.equal(r.loaded + r.quarantined, r.rows, `rows = loaded + quarantined: ${JSON.stringify(r)}`);

  it("a CSV of notes lands its good rows under the loading tenant, text as written, and quarantines each bad row naming field and value", async () => {
    const rows = [
      note(0),
      note(1, { language: "es", kind: "maintenance", text: "cambio de rodamiento en el husillo" }),
      note(2, { language: "", device_id: "weld", text: "station weld: fume extraction weak" }), // a station, no language
      note(3, { text: INJECTION }),
      note(4, { kind: "complaint" }),
      note(5, { note_ts: "2025-11-03 09:00:00" }),
      note(6, { text: "x".repeat(MAX_NOTE_TEXT_CHARS + 1) }),
      note(7, { language: "de" }),
      note(8, { device_id: "globex-works-m-001" }),
      note(9, { text: "   " }),
    ];
    const r = await hub.load("acme", write("shift-notes.csv", csvText(HEADER, rows)));
    assert.equal(r.contract, "notes");
    adds(r);
    assert.deepEqual([r.rows, r.loaded, r.quarantined], [10, 4, 6]);
    const landed = await notesOf("shift-notes.csv");
    assert.deepEqual(landed.map((n) => [n.tenant_id, n.device_id, n.kind, n.language]), [
      ["acme", MACHINE, "shift", "en"],
      ["acme", MACHINE, "maintenance", "es"],
      ["acme", "weld", "shift", null],
      ["acme", MACHINE, "shift", "en"],
    ]);
    // Injection in the text is the text: stored as written, nothing run.
    assert.equal(landed[3]!.text, INJECTION);
    assert.ok(landed.every((n) => n.source === "file:shift-notes.csv"));
    const reasons = (await reasonsOf("shift-notes.csv")).join("\n");
    for (const expected of [
      /kind: "complaint" is not one of shift, maintenance/,
      /note_ts: "2025-11-03 09:00:00" is not a UTC ISO 8601 time/,
      new RegExp(`text: ${MAX_NOTE_TEXT_CHARS + 1} characters, at most ${MAX_NOTE_TEXT_CHARS}`),
      /language: "de" is not one of en, es, fr/,
      /device_id "globex-works-m-001" is a device of tenant globex, not of acme/,
      /text: "   " is not a non-empty string/,
    ]) assert.match(reasons, expected);
    assert.ok((await reasonsOf("shift-notes.csv")).every((x) => /^shift-notes\.csv line \d+: /.test(x)), "each reason names the file and line");
  });

  it("wrong columns: a column that is not a note field quarantines every row that fills it, naming the column", async () => {
    const header = ["note_ts", "site_id", "device_id", "author_id", "kind", "body"];
    const rows = [0, 1].map((i) => ({ ...note(i), body: "the text under another name" }));
    const r = await hub.load("acme", write("wrong-columns.csv", csvText(header, rows)));
    adds(r);
    assert.deepEqual([r.loaded, r.quarantined], [0, 2]);
    for (const reason of await reasonsOf("wrong-columns.csv")) assert.match(reason, /body: not a field of a note \(fields: tenant_id, site_id, device_id, author_id, note_ts, kind, language, text\)/);
  });

  it("JSON lines: the tenant is the load's, never the file's; a mistyped field, a line that is not JSON or an unknown field is quarantined", async () => {
    const lines = [
      JSON.stringify({ ...note(0, { text: "ligne 0 : bruit anormal au convoyeur" }), language: "fr" }),
      JSON.stringify({ ...note(1), tenant_id: "acme" }),
      JSON.stringify({ ...note(2), tenant_id: "globex" }),
      JSON.stringify({ ...note(3), text: 42 }),
      "{not json",
      JSON.stringify({ ...note(4), severity: "high" }),
    ];
    const r = await hub.load("acme", write("notes.jsonl", lines.join("\n") + "\n"));
    adds(r);
    assert.deepEqual([r.rows, r.loaded, r.quarantined], [6, 2, 4]);
    assert.deepEqual((await notesOf("notes.jsonl")).map((n) => [n.tenant_id, n.language]), [["acme", "fr"], ["acme", "en"]]);
    const reasons = (await reasonsOf("notes.jsonl")).join("\n");
    assert.match(reasons, /tenant_id "globex" names another tenant than the one loading the file \(acme\)/);
    assert.match(reasons, /text: 42 is not a non-empty string/);
    assert.match(reasons, /it is not valid JSON/);
    assert.match(reasons, /severity: not a field of a note/);
  });

  it("another tenant loading acme's notes lands none of them, and a file loads once per tenant", async () => {
    const path = write("acme-notes.csv", csvText(HEADER, [note(0), note(1)]));
    const r = await hub.load("globex", path);
    adds(r);
    assert.equal(r.loaded, 0);
    assert.match((await hub.query<{ reason: string }>(`SELECT reason FROM RAW.QUARANTINE WHERE source = 'file:acme-notes.csv' AND tenant_id = 'globex'`))[0]!.reason, /device_id "acme-plant-1-m-001" is a device of tenant acme, not of globex/);
    assert.equal((await hub.load("acme", path)).loaded, 2);
    const again = await hub.load("acme", path);
    assert.equal(again.alreadyLoaded, true);
    assert.equal((await notesOf("acme-notes.csv")).length, 2);
  });
});
