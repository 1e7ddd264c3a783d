/** scripts/plan.ts, run as a reviewer runs it: offline, no CLI, no credentials. */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { TABLES } from "../../pipelines/definitions/catalog.ts";
import { qualifiedName } from "../../pipelines/definitions/types.ts";
import { CHILD_PROCESS_BOUND_MS } from "../helpers/childProcessBound.ts";

const run = promisify(execFile);
// node --import tsx rather than the tsx binary: one process per run instead of two.
const TSX = process.execPath;

async function plan(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(TSX, ["--import", "tsx", join("scripts", "plan.ts"), ...args], { timeout: CHILD_PROCESS_BOUND_MS, maxBuffer: 20 * 1024 * 1024 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

const scratch = mkdtempSync(join(tmpdir(), "hub-plan-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe("scripts/plan.ts", { concurrency: 2 }, () => {
  it("plans the platform stack: resources, the SQL each sends in deploy order, a passing verdict (JSON)", async () => {
    const r = await plan(["--stack", "platform", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { kind: string; resources: { type: string }[]; sql: { sql: string; type: string; role: string }[]; policy: { passed: boolean } };
    assert.equal(doc.kind, "platform");
    assert.ok(doc.resources.length > 80);
    // What the provider sends: quoted identifiers, upper-case columns (docs/deploy.md, "What the plan shows").
    for (const t of TABLES.filter((t) => !t.transient)) {
      const create = doc.sql.find((s) => s.sql.startsWith(`CREATE TABLE "HUB"."${t.schema}"."${t.name}" (`));
      assert.ok(create, qualifiedName(t));
      for (const c of t.columns) assert.ok(create.sql.includes(`"${c.name.toUpperCase()}" `), `${qualifiedName(t)}.${c.name}`);
    }
    assert.ok(doc.sql.some((s) => s.type === "Execute" && /^ALTER TABLE HUB\.RAW\.SENSOR_READINGS ADD ROW ACCESS POLICY HUB\.GOVERNANCE\.TENANT_ISOLATION/.test(s.sql)));
    assert.ok(doc.sql.some((s) => s.role === "HUB_PIPELINE" && /^CREATE TASK /.test(s.sql)), "tasks are created as HUB_PIPELINE");
    assert.equal(doc.policy.passed, true);
  });

  it("plans a tenant stack as text, with the secret redacted", async () => {
    const r = await plan(["--stack", "acme"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /# Stack acme \(tenant\)/);
    // A date without a time: Snowflake starts the monitor at the current time, i.e. when it is created.
    assert.match(r.stdout, /CREATE RESOURCE MONITOR "TENANT_ACME_BI_MONITOR" WITH CREDIT_QUOTA = 50 FREQUENCY = MONTHLY START_TIMESTAMP = '\d{4}-\d{2}-\d{2}' /);
    assert.match(r.stdout, /rsaPublicKey=\[secret\]/);
    assert.match(r.stdout, /PASS: no mandatory violations/);
  });

  it("--preview: ARNs unknown as in a first `pulumi preview`; the IAM documents built from them are listed as unverified, not passed", async () => {
    const r = await plan(["--stack", "platform", "--preview", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { outputs: Record<string, unknown>; policy: { unverified: { urn: string; message: string }[] } };
    assert.deepEqual(doc.outputs["kmsKeyArn"], { __pulumiUnknown: true });
    const names = doc.policy.unverified.map((u) => u.urn.split("::").pop()).sort();
    assert.ok(names.includes("hub-firehose-policy") && names.includes("hub-iot-rule-policy"), names.join(", "));
  });

  it("exits 1 on a mandatory violation", async () => {
    copyFileSync("Pulumi.yaml", join(scratch, "Pulumi.yaml"));
    // The stack loosens its own bound; the pack keeps its 300 s.
    writeFileSync(join(scratch, "Pulumi.lax.yaml"), "config:\n  hub:maxAutoSuspendSeconds: 900\n  hub:autoSuspendSeconds: 600\n");
    const r = await plan(["--stack", "lax", "--project", scratch]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /snowflake-warehouse-monitored/);
    assert.match(r.stderr, /1 mandatory policy violation/);
  });

  it("exits 1 with the key and value of a bad config", async () => {
    writeFileSync(join(scratch, "Pulumi.bad.yaml"), "config:\n  hub:tier: gold\n");
    const r = await plan(["--stack", "bad", "--project", scratch]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /config hub:tier: "gold" is not valid/);
  });

  it("refuses an unknown stack", async () => {
    const r = await plan(["--stack", "nope"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no Pulumi\.nope\.yaml/);
  });
});
