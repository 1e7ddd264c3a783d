/** scripts/archive.ts run as a user runs it (tsx in a child process) against a hub on disk. */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { hubDatabasePath } from "../../pipelines/hubHome.ts";
import { fixtureHub } from "./archiveFixture.ts";

const run = promisify(execFile);
const TSX = join(process.cwd(), "node_modules", ".bin", "tsx");

async function archive(args: string[], home: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(TSX, [join("scripts", "archive.ts"), ...args], { env: { ...process.env, HUB_HOME: home }, timeout: 120_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

describe("scripts/archive.ts", () => {
  let root: string;
  let home: string;
  let readings: number;
  /** `export --all`, run here: the archive the restore tests read, whichever of them runs. */
  let exported: { code: number; stdout: string; stderr: string };

  before(async () => {
    root = mkdtempSync(join(tmpdir(), "hub-archive-cli-"));
    home = join(root, "live");
    const { engine } = await fixtureHub(90, { path: hubDatabasePath(home), batch: 30 });
    const s = await engine.admin();
    readings = Number((await s.query<{ n: number }>("SELECT COUNT(*) AS n FROM RAW.SENSOR_READINGS WHERE tenant_id = 'acme'"))[0]!.n);
    await s.close();
    await engine.close();
    exported = await archive(["export", "--all", "--json"], home);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it("exports every tenant to HUB_HOME/archive, restores one into a fresh HUB_HOME, and refuses a corrupt file with exit code 1", async () => {
    const exp = exported;
    assert.equal(exp.code, 0, exp.stderr);
    const runs = JSON.parse(exp.stdout).runs as Array<{ tenant: string; layer: string; files: number }>;
    assert.deepEqual([...new Set(runs.map((r) => r.tenant))], ["acme", "globex"]);
    assert.ok(runs.every((r) => r.files > 0));

    const dr = join(root, "dr");
    const res = await archive(["restore", "--tenant", "acme", "--from", "2026-01-05", "--to", "2026-01-06", "--archive-dir", join(home, "archive"), "--json"], dr);
    assert.equal(res.code, 0, res.stderr);
    const restored = JSON.parse(res.stdout) as { tables: Array<{ table: string; restoredRows: number }>; pipeline: { tasks: number } };
    assert.equal(restored.tables.find((t) => t.table === "RAW.SENSOR_READINGS")!.restoredRows, readings);
    assert.ok(restored.pipeline.tasks > 0, "the task graph ran on the restored rows");

    const victim = "bronze/raw.sensor_readings/tenant=globex/year=2026/month=01/day=06/part-000001.parquet";
    const bytes = readFileSync(join(home, "archive", victim));
    bytes[100]! ^= 0x10;
    writeFileSync(join(home, "archive", victim), bytes);
    const [ver, bad] = await Promise.all([
      archive(["verify"], home),
      archive(["restore", "--tenant", "globex", "--from", "2026-01-06", "--to", "2026-01-06", "--archive-dir", join(home, "archive")], join(root, "dr2")),
    ]);
    assert.equal(ver.code, 1);
    assert.match(ver.stdout, new RegExp(`corrupt .*${victim.replaceAll(".", "\\.")} is corrupt: sha256 expected`));
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^archive: .*is corrupt: sha256 expected [0-9a-f]{64}, actual [0-9a-f]{64}.*nothing was restored/m);
  });

  it("names the problem for an unknown tenant, a bad date, a layer it does not restore and a missing bucket", async () => {
    // Independent runs; in parallel to keep the suite short.
    const dr3 = join(root, "dr3");
    const [unknown, date, layer, s3, notArchived, typo] = await Promise.all([
      archive(["export", "--tenant", "initech"], home),
      archive(["restore", "--tenant", "acme", "--from", "2026-02-30", "--to", "2026-03-01"], home),
      archive(["restore", "--tenant", "acme", "--from", "2026-01-05", "--to", "2026-01-05", "--layer", "gold"], home),
      archive(["export", "--all", "--target", "s3", "--stack", "no-such-stack"], home),
      archive(["restore", "--tenant", "acmee", "--from", "2026-01-05", "--to", "2026-01-05", "--archive-dir", join(home, "archive")], dr3),
      archive(["exprot", "--all"], home),
    ]);
    assert.equal(typo.code, 1);
    assert.equal(typo.stderr, 'archive: unknown command "exprot" (commands: export, restore, verify); did you mean "export"?\n');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /--tenant "initech" is not a tenant in this hub \(tenants in this hub: acme, globex\)/);
    assert.equal(date.code, 1);
    assert.match(date.stderr, /--from "2026-02-30" is not a date YYYY-MM-DD/);
    assert.equal(layer.code, 1);
    assert.match(layer.stderr, /only bronze is restored/);
    assert.equal(s3.code, 1);
    assert.match(s3.stderr, /^archive: --stack "no-such-stack" is not a stack: no Pulumi\.no-such-stack\.yaml \(stacks: acme, globex, platform\)$/m);
    // The archive's tenants are the choices, and the hub is not created for a restore that cannot run.
    assert.equal(notArchived.code, 1);
    assert.match(notArchived.stderr, /^archive: --tenant "acmee" is not a tenant in the archive at file:\/\/\S+ \(archived tenants: acme, globex\); did you mean "acme"\?\n$/);
    assert.equal(existsSync(dr3), false, "no hub made for a refused restore");
  });
});
