/** scripts/simulate.ts run as a user runs it: files, labels, notes, the same bytes for the same arguments, loadable by scripts/load.ts. */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { openLoadHub } from "./fileLoadHub.ts";

const run = promisify(execFile);
const TSX = join(process.cwd(), "node_modules", ".bin", "tsx");

async function simulate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(TSX, ["scripts/simulate.ts", "--quiet", ...args], { timeout: 120_000 });
    return { code: 0, ...r };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

const digest = (dir: string) =>
  readdirSync(dir).sort().map((f) => `${f}:${createHash("sha256").update(readFileSync(join(dir, f))).digest("hex")}`).join("\n");

describe("scripts/simulate.ts", () => {
  const dir = mkdtempSync(join(tmpdir(), "simulate-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("writes a file per sensor type, scans and labels, prints a summary, and the same arguments give the same bytes", async () => {
    const a = await simulate(["--tenant", "globex", "--hours", "0.5", "--seed", "3", "--format", "csv", "--out", join(dir, "a")]);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, /globex\s+8\s+9000\s+/, "5 machines × 1800 s; 8 devices");
    assert.match(a.stdout, /simulated h per wall s/);
    // No shift ends in this half hour and no machine broke down: no notes, so no notes files.
    assert.deepEqual(readdirSync(join(dir, "a", "globex")).sort(), ["air_quality.csv", "energy.csv", "labels.jsonl", "machine.csv", "scans.jsonl"]);
    const b = await simulate(["--tenant", "globex", "--hours", "0.5", "--seed", "3", "--format", "csv", "--out", join(dir, "b")]);
    assert.equal(digest(join(dir, "b", "globex")), digest(join(dir, "a", "globex")));
    const c = await simulate(["--tenant", "globex", "--hours", "0.5", "--seed", "4", "--format", "csv", "--out", join(dir, "c")]);
    assert.notEqual(digest(join(dir, "c", "globex")), digest(join(dir, "a", "globex")));
  });

  it("writes the labels of the faults it injected, from a JSON spec", async () => {
    const spec = join(dir, "spec.json");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(spec, JSON.stringify({ tenantId: "t1", sites: [{ siteId: "s1", machines: 2, energyMeters: 1, airSensors: 1, stations: [], jobsPerHour: 0 }], faults: { breakdown: 12, pm25_spike: 12 } }));
    const r = await simulate(["--spec", spec, "--hours", "4", "--out", join(dir, "spec")]);
    assert.equal(r.code, 0, r.stderr);
    const labels = readFileSync(join(dir, "spec", "t1", "labels.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { fault: string; device_id: string; start: string; end: string });
    assert.ok(labels.some((l) => l.fault === "breakdown") && labels.some((l) => l.fault === "pm25_spike"), JSON.stringify(labels));
    const b = labels.find((l) => l.fault === "breakdown")!;
    const rows = readFileSync(join(dir, "spec", "t1", "machine.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { device_id: string; ts: string; state: string });
    const inside = rows.filter((x) => x.device_id === b.device_id && x.ts >= b.start && x.ts < b.end);
    assert.ok(inside.length > 0 && inside.every((x) => x.state === "DOWN"));
    const bad = await simulate(["--spec", spec, "--hours=-1", "--out", join(dir, "x")]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--hours "-1" must be/);
    writeFileSync(spec, JSON.stringify({ tenantId: "t1", sites: [{ siteId: "s1", machines: "two", energyMeters: 1, airSensors: 1, stations: [], jobsPerHour: 0 }] }));
    const invalid = await simulate(["--spec", spec, "--out", join(dir, "x")]);
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /sites\[0\]\.machines: "two" is not valid/);
  });

  it("writes the handover's notes, which scripts/load.ts loads for the tenant, and their ground truth, which it refuses", async () => {
    // globex's night shift ends at 06:00 local, 05:00 UTC: its notes are written in the half hour before.
    const r = await simulate(["--tenant", "globex", "--start", "2026-01-05T04:30:00Z", "--hours", "1", "--out", join(dir, "notes")]);
    assert.equal(r.code, 0, r.stderr);
    const folder = join(dir, "notes", "globex");
    const truth = readFileSync(join(folder, "note-truth.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { note_id: string; tenant_id: string; safety_concern: boolean });
    assert.ok(truth.length >= 2, `${truth.length} notes at the handover`);
    assert.ok(truth.every((t) => t.tenant_id === "globex" && typeof t.safety_concern === "boolean"));
    const hub = await openLoadHub(join(dir, "notes.duckdb"));
    try {
      const loaded = await hub.load("globex", join(folder, "notes.jsonl"));
      assert.deepEqual([loaded.contract, loaded.rows, loaded.loaded, loaded.quarantined], ["notes", truth.length, truth.length, 0]);
      const ids = await hub.query<{ note_id: string }>("SELECT note_id FROM RAW.OPERATOR_NOTES WHERE tenant_id = 'globex' ORDER BY note_id");
      assert.deepEqual(ids.map((x) => x.note_id), truth.map((t) => t.note_id).sort(), "the truth names the notes by their key");
      await assert.rejects(hub.load("globex", join(folder, "note-truth.jsonl")), /a note ground-truth file .* it is not loaded/);
    } finally {
      await hub.close();
    }
  });

  it("its CSV files are legacy uploads scripts/load.ts loads without a refusal", async () => {
    const hub = await openLoadHub(join(dir, "hub.duckdb"));
    try {
      for (const kind of ["machine", "energy", "air_quality"]) {
        const r = await hub.load("globex", join(dir, "a", "globex", `${kind}.csv`));
        assert.equal(r.contract, kind.toUpperCase());
        assert.equal(r.quarantined, 0, `${kind}: nothing refused`);
        assert.equal(r.loaded, r.rows);
      }
    } finally {
      await hub.close();
    }
  });
});
