/**
 * README: "Everything scripts/simulate.ts writes ... loads with scripts/load.ts". The simulator's
 * files, in both formats, for both example tenants, loaded with the CLI: every reading and scan
 * lands, none is quarantined (notes included), and the fault labels and the notes' ground truth are
 * refused as what they are.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { removeDir, tempDir } from "./edgeStack.ts";
import { loadCli } from "./fileLoadHub.ts";
import { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";

const run = promisify(execFile);
const TSX = join(process.cwd(), "node_modules", ".bin", "tsx");
const TENANTS = ["acme", "globex"];

/** The simulator's summary: readings per tenant and sensor type. */
function simulatedCounts(stdout: string): Map<string, Record<string, number>> {
  const lines = stdout.split("\n");
  const head = lines[0]!.trim().split(/\s+/);
  const out = new Map<string, Record<string, number>>();
  for (const l of lines.slice(2)) {
    const cells = l.trim().split(/\s+/);
    if (!TENANTS.includes(cells[0]!)) continue;
    out.set(cells[0]!, Object.fromEntries(["machine", "energy", "air_quality"].map((k) => [k.toUpperCase(), Number(cells[head.indexOf(k)])])));
  }
  return out;
}

const lineCount = (path: string) => readFileSync(path, "utf8").split("\n").filter((l) => l.trim() !== "").length;

describe("simulate → load round trip", () => {
  const dir = tempDir("load-roundtrip-");
  after(() => removeDir(dir));

  for (const format of ["jsonl", "csv"] as const) {
    it(`every ${format} reading and every scan the simulator writes lands, none quarantined; labels.jsonl is refused as a label file`, async () => {
      const out = join(dir, format);
      const sim = await run(TSX, ["scripts/simulate.ts", "--quiet", "--hours", "1", "--seed", "7", "--format", format, "--out", out], { timeout: 120_000 });
      const expected = simulatedCounts(sim.stdout);
      assert.deepEqual([...expected.keys()].sort(), TENANTS);
      const home = join(dir, `home-${format}`);
      for (const tenant of TENANTS) {
        const files = readdirSync(join(out, tenant)).sort().map((f) => join(out, tenant, f));
        const names = files.map((f) => f.split("/").pop()!);
        // Notes files only when operators wrote notes in the hour (a breakdown): both or neither.
        const notes = names.includes("notes.jsonl");
        assert.deepEqual(names, [`air_quality.${format}`, `energy.${format}`, "labels.jsonl", `machine.${format}`, ...(notes ? ["note-truth.jsonl", "notes.jsonl"] : []), "scans.jsonl"]);
        const r = await loadCli(home, ["--tenant", tenant, "--quiet", ...files]);
        // The refusals are the answer keys, each named for what it is; so the exit code is 1.
        assert.equal(r.code, 1, r.stderr);
        assert.equal(r.stderr.trim().split("\n").length, notes ? 3 : 2, r.stderr);
        assert.match(r.stderr, /^load: labels\.jsonl: a fault-label file \(tenant_id, device_id, fault, metric, start, end: the faults scripts\/simulate\.ts injected, its labels\.jsonl\), not readings or scans; it is not loaded$/m);
        if (notes) assert.match(r.stderr, /^load: note-truth\.jsonl: a note ground-truth file .* it is not loaded$/m);
        assert.match(r.stdout, new RegExp(` 0 to RAW\\.QUARANTINE, 0 file\\(s\\) already loaded before, ${notes ? 2 : 1} refused`));
      }
      const engine = await EmbeddedEngine.open({ path: join(home, "hub.duckdb") });
      try {
        for (const tenant of TENANTS) {
          const raw = await engine.control<{ sensor_type: string; n: bigint }>(`SELECT sensor_type, count(*) AS n FROM RAW.SENSOR_READINGS WHERE tenant_id = '${tenant}' GROUP BY 1`);
          assert.deepEqual(Object.fromEntries(raw.map((x) => [x.sensor_type, Number(x.n)])), expected.get(tenant), tenant);
          const [scans] = await engine.control<{ n: bigint }>(`SELECT count(*) AS n FROM RAW.JOB_SCANS WHERE tenant_id = '${tenant}'`);
          assert.equal(Number(scans!.n), lineCount(join(out, tenant, "scans.jsonl")), `${tenant} scans`);
          assert.ok(Number(scans!.n) > 0);
          const [notes] = await engine.control<{ n: bigint }>(`SELECT count(*) AS n FROM RAW.OPERATOR_NOTES WHERE tenant_id = '${tenant}'`);
          const notesFile = join(out, tenant, "notes.jsonl");
          assert.equal(Number(notes!.n), existsSync(notesFile) ? lineCount(notesFile) : 0, `${tenant} notes`);
        }
        const [q] = await engine.control<{ n: bigint }>("SELECT count(*) AS n FROM RAW.QUARANTINE");
        assert.equal(Number(q!.n), 0);
      } finally {
        await engine.close();
      }
    });
  }
});
