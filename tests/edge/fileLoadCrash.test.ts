/**
 * Exactly once across a crash: scripts/load.ts killed (SIGKILL) in the middle of a file leaves
 * whole batches and the channel offset that counts their rows; the next run lands the rest, and
 * no row is in RAW twice or missing.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { removeDir, tempDir } from "./edgeStack.ts";
import { loadCli } from "./fileLoadHub.ts";
import { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";

const ROWS = 60_000;
const BATCH = 2_000;

/** ROWS machine readings of acme's eight machines, a second apart. */
function machineCsv(): string {
  const lines = ["ts,site_id,device_id,seq,state,period_s,spindle_load_pct,spindle_speed_rpm,temperature_c"];
  const t0 = Date.parse("2025-11-03T00:00:00Z");
  for (let i = 0; i < ROWS; i++) {
    const m = (i % 8) + 1;
    lines.push(`${new Date(t0 + Math.floor(i / 8) * 1000).toISOString()},acme-plant-1,acme-plant-1-m-00${m},${i},RUNNING,1,${40 + (i % 30)},8800,40`);
  }
  return `${lines.join("\n")}\n`;
}

/** Run the load in one process (node with tsx's loader: no wrapper process) and kill it once a batch has landed. */
function loadAndKill(home: string, file: string): Promise<{ signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/load.ts", "--tenant", "acme", "--batch-rows", String(BATCH), file], { env: { ...process.env, HUB_HOME: home } });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      if (/rows landed/.test(stderr)) child.kill("SIGKILL");
    });
    child.on("error", reject);
    child.on("exit", (_code, signal) => resolve({ signal, stderr }));
  });
}

describe("a file load killed mid-file", () => {
  const dir = tempDir("load-crash-");
  after(() => removeDir(dir));

  it("lands the rest on the next run, each row once, and the run after that finds it loaded", async () => {
    const file = join(dir, "machines.csv");
    writeFileSync(file, machineCsv());
    const home = join(dir, "home");
    const killed = await loadAndKill(home, file);
    assert.equal(killed.signal, "SIGKILL", killed.stderr);

    const second = await loadCli(home, ["--tenant", "acme", "--batch-rows", String(BATCH), "--quiet", file]);
    assert.equal(second.code, 0, second.stderr);
    const m = /resumed: (\d+) rows landed by an earlier run/.exec(second.stdout);
    assert.ok(m, second.stdout);
    const earlier = Number(m[1]);
    assert.ok(earlier >= BATCH && earlier < ROWS && earlier % BATCH === 0, `the killed run landed whole batches, not all: ${earlier}`);
    assert.match(second.stdout, new RegExp(`machines\\.csv\\s+MACHINE\\s+${ROWS}\\s+${ROWS - earlier}\\s+0\\s+resumed`));

    const third = await loadCli(home, ["--tenant", "acme", "--quiet", file]);
    assert.match(third.stdout, /already loaded/);

    const engine = await EmbeddedEngine.open({ path: join(home, "hub.duckdb") });
    try {
      const [raw] = await engine.control<{ n: bigint; seqs: bigint; lo: bigint; hi: bigint }>(
        "SELECT count(*) AS n, count(DISTINCT seq) AS seqs, min(seq) AS lo, max(seq) AS hi FROM RAW.SENSOR_READINGS",
      );
      assert.deepEqual([raw!.n, raw!.seqs, raw!.lo, raw!.hi].map(Number), [ROWS, ROWS, 0, ROWS - 1]);
      const [q] = await engine.control<{ n: bigint }>("SELECT count(*) AS n FROM RAW.QUARANTINE");
      assert.equal(Number(q!.n), 0);
    } finally {
      await engine.close();
    }
  });
});
