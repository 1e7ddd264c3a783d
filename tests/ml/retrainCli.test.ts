/**
 * scripts/retrain.ts as a user runs it: against a hub file in a temporary HUB_HOME, as a child
 * process. Train, then the end table and the registry folder, rollback, drift, bad flags.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import { SimulatedClock } from "../../pipelines/engine/clock.ts";
import { hubDatabasePath } from "../../pipelines/hubHome.ts";
import { seedGold } from "./goldFixture.ts";
import { renderBar } from "../../scripts/lib/progressBar.ts";

const run = promisify(execFile);
const SCRIPT = join(import.meta.dirname, "../../scripts/retrain.ts");

async function retrain(home: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, ["--import", "tsx", SCRIPT, ...args], { env: { ...process.env, HUB_HOME: home }, timeout: 120_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

describe("scripts/retrain.ts", () => {
  let home: string;
  /** The first training run, made here so that the drift and rollback tests have champions whichever runs. */
  let trained: { code: number; stdout: string; stderr: string };
  before(async () => {
    home = mkdtempSync(join(tmpdir(), "hub-retrain-cli-"));
    const clock = new SimulatedClock("2026-01-29T00:00:00Z");
    const engine = await EmbeddedEngine.open({ path: hubDatabasePath(home), clock });
    // The last 7 days of acme run 60 % hotter: drift against the training window.
    await seedGold(engine, clock.now(), 35, [{ tenantId: "acme", machines: 3, meters: 1 }, { tenantId: "globex", machines: 3, meters: 1, shift: { days: 7, factor: 1.6 } }]);
    await engine.close();
    trained = await retrain(home, "--all", "--model", "forecast", "--window-days", "21", "--now", "2026-01-22T00:00:00Z");
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  it("trains every tenant and model, ends with a table per tenant and model, and keeps .hub/models/<tenant>/<model>/<version>/", () => {
    const r = trained;
    assert.equal(r.code, 0, r.stderr);
    const [header] = r.stdout.split("\n");
    assert.match(header!, /tenant\s+model\s+metric\s+challenger\s+champion\s+baseline\s+decision\s+version\s+rows/);
    assert.match(r.stdout, /acme\s+forecast\s+mase\s+\S+\s+-\s+\S+\s+Approved\s+v1/);
    assert.match(r.stdout, /globex\s+forecast\s+mase/);
    assert.match(r.stdout, /acme\/forecast: mase .* beats the baseline's/);
    assert.ok(existsSync(join(home, "models", "acme", "forecast", "1", "record.json")));
    assert.equal(r.stderr.includes("["), false, "no progress bar when stderr is not a terminal");
  });

  it("drift compares recent data with the champion's training window and recommends retraining past the threshold", async () => {
    const r = await retrain(home, "drift", "--all", "--model", "forecast", "--json", "--now", "2026-01-29T00:00:00Z");
    assert.equal(r.code, 0, r.stderr);
    const reports = JSON.parse(r.stdout) as { tenantId: string; recommendation: string; features: { psi: number }[] }[];
    const by = Object.fromEntries(reports.map((x) => [x.tenantId, x]));
    assert.equal(by["globex"]!.recommendation, "retrain");
    assert.ok(by["globex"]!.features[0]!.psi > 0.2);
    assert.equal(by["acme"]!.recommendation, "stable");
  });

  it("drift --trigger retrains what drifted; rollback puts the previous champion back and says why", async () => {
    const t = await retrain(home, "drift", "--tenant", "globex", "--model", "forecast", "--trigger", "--margin", "0", "--now", "2026-01-29T00:00:00Z");
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /globex\s+forecast\s+mase/);
    assert.ok(existsSync(join(home, "models", "globex", "forecast", "2", "record.json")), "the trigger registered a second version");
    const r = await retrain(home, "rollback", "--tenant", "acme", "--model", "forecast", "--to", "1", "--reason", "keep v1");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /acme\/forecast: champion is now v1 \(Approved\)/);
    const bad = await retrain(home, "rollback", "--tenant", "acme", "--model", "forecast", "--to", "7");
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /acme\/forecast: version 7 does not exist; versions: 1/);
  });

  it("exits 3 when a requested model could not be trained, one stderr line per model; a gate rejection is a result (exit 0)", async () => {
    // One day of history: the series models cannot hold a day back and still train; the segments can, and lose to the baseline.
    const args = ["--tenant", "acme", "--window-days", "1", "--dry-run", "--now", "2026-01-22T00:00:00Z"];
    // One after the other: a hub file has one writer at a time.
    const all = await retrain(home, ...args);
    const segments = await retrain(home, ...args, "--model", "segments");
    assert.equal(all.code, 3, all.stderr);
    assert.match(all.stdout, /acme\s+forecast\s+-\s+-\s+-\s+-\s+not registered/);
    const lines = all.stderr.trimEnd().split("\n");
    assert.deepEqual(lines.map((l) => l.replace(/: bad training data: .*/, "")), ["retrain: acme/forecast was not trained", "retrain: acme/anomaly was not trained"]);
    assert.match(lines[0]!, /series kwh:acme-em-1: has 24 points, cannot hold back 24 and still train$/);
    assert.equal(segments.code, 0, segments.stderr);
    assert.match(segments.stdout, /acme\s+segments\s+silhouette\s+\S+\s+-\s+\S+\s+Rejected \(dry run\)/);
    assert.equal(segments.stderr, "");
  });

  it("refuses a SageMaker run without its settings, in one line, before opening anything", async () => {
    const sm = await retrain(home, "--tenant", "acme", "--target", "sagemaker");
    assert.equal(sm.code, 1);
    assert.match(sm.stderr, /--target sagemaker needs --region \/ AWS_REGION|--target sagemaker needs .*--bucket/);
  });

  it("the progress bar shows done of total and the current tenant/model", () => {
    assert.equal(renderBar(0, 4, "acme/forecast", 8), "[--------] 0/4 acme/forecast");
    assert.equal(renderBar(3, 4, "globex/segments", 8), "[######--] 3/4 globex/segments");
  });
});
