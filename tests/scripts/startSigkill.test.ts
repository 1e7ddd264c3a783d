/**
 * `npm start` killed with SIGKILL while it publishes, then run again on the same hub (issue 18,
 * part 2): the second run's summary states the edge's count invariant over every run of the hub,
 * and it holds exactly, so an operator can see that nothing was lost. Both runs are real processes
 * (scripts/start.ts under tsx), bounded in simulated hours and in wall time.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import { hubDatabasePath } from "../../pipelines/hubHome.ts";
import type { MainJobReport } from "../../scripts/lib/hub/mainJob.ts";
import { formatRunSummary } from "../../scripts/lib/hub/summaryText.ts";

const START = join(process.cwd(), "scripts", "start.ts");
const args = (home: string, hours: string) => ["--import", "tsx", START, "--hours", hours, "--step", "15", "--tenants", "acme", "--home", home];

/** Bytes in the gateway's queue logs: they grow when a step's readings are handed to it. */
function queueBytes(home: string): number {
  const dir = join(home, "gateway");
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const device of readdirSync(dir)) {
    for (const f of readdirSync(join(dir, device))) if (f.endsWith(".log")) n += statSync(join(dir, device, f)).size;
  }
  return n;
}

async function until(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("npm start killed with SIGKILL mid-run, then run again", () => {
  const home = mkdtempSync(join(tmpdir(), "hub-sigkill-"));
  after(() => rmSync(home, { recursive: true, force: true }));

  it("the second run states the count invariant over both runs, and it holds exactly", { timeout: 420_000 }, async () => {
    // First run: killed once it has published a step and has begun handing the next to the gateway.
    const first = spawn(process.execPath, [...args(home, "3"), "--fresh"], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    first.stderr!.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => first.once("exit", (code, signal) => resolve(signal ?? code)));
    try {
      await until("a step published", () => /readings [1-9][\d,]*/.test(stderr) || first.exitCode !== null, 180_000);
      assert.equal(first.exitCode, null, `the first run ended before it could be killed: ${stderr}`);
      const published = queueBytes(home);
      await until("the next step handed to the gateway", () => queueBytes(home) > published || first.exitCode !== null, 60_000);
    } finally {
      first.kill("SIGKILL");
    }
    assert.equal(await exited, "SIGKILL");

    // Second run: continues on the same hub and reports as JSON.
    const { stdout } = await promisify(execFile)(process.execPath, [...args(home, "0.5"), "--json"], { timeout: 300_000, maxBuffer: 20 * 1024 * 1024 });
    const report = JSON.parse(stdout) as MainJobReport;
    const l = report.lifetime;
    assert.ok(l.published > report.edge.published, `the killed run had published something: ${JSON.stringify({ lifetime: l, run: report.edge })}`);
    assert.equal(l.queuedAtGateway, 0, "a clean run leaves nothing queued");
    assert.equal(l.published, l.committedReadings + l.committedScans + l.quarantinedAtIngest + l.droppedByGateway + l.queuedAtGateway, JSON.stringify(l));
    assert.equal(l.unaccounted, 0);
    assert.match(formatRunSummary({ ...report, simulatedFrom: new Date(report.simulatedFrom), simulatedUntil: new Date(report.simulatedUntil) }), /Edge, every run of this hub: [\d,]+ published = .*: nothing lost\./);

    // And the ledger is what the warehouse holds: every committed reading is in RAW, once.
    const engine = await EmbeddedEngine.open({ path: hubDatabasePath(home) });
    try {
      const [raw] = await engine.control<{ n: bigint; d: bigint }>("SELECT COUNT(*) AS n, COUNT(DISTINCT (device_id, channel, channel_offset, seq)) AS d FROM RAW.SENSOR_READINGS");
      const [scans] = await engine.control<{ n: bigint }>("SELECT COUNT(*) AS n FROM RAW.JOB_SCANS WHERE source = 'mqtt'");
      assert.equal(Number(raw!.n), l.committedReadings);
      assert.equal(Number(raw!.d), Number(raw!.n), "no message landed twice");
      assert.equal(Number(scans!.n), l.committedScans);
    } finally {
      await engine.close();
    }
  });
});
