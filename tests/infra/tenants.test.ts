/**
 * scripts/tenants.ts against a stub `pulumi` on PATH that records its arguments and replays canned
 * output, and with no `pulumi` on PATH at all.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";
import { CHILD_PROCESS_BOUND_MS } from "../helpers/childProcessBound.ts";

const run = promisify(execFile);
// node --import tsx rather than the tsx binary: one process per run instead of two.
const TSX = process.execPath;
const STUB_BIN = join(process.cwd(), "tests", "infra", "fixtures", "bin");
const scratch = mkdtempSync(join(tmpdir(), "hub-tenants-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

// A PATH with nothing on it: the script runs on process.execPath and needs no other program.
const NO_CLI = mkdtempSync(join(tmpdir(), "hub-no-pulumi-"));
after(() => rmSync(NO_CLI, { recursive: true, force: true }));

let calls = 0;
async function tenants(args: string[], fail: string[] = [], path = `${STUB_BIN}${delimiter}${process.env["PATH"]}`): Promise<{ code: number; stdout: string; stderr: string; cli: string[][] }> {
  const log = join(scratch, `calls-${++calls}.jsonl`);
  const env = { ...process.env, PATH: path, PULUMI_STUB_LOG: log, PULUMI_STUB_FAIL: fail.join(","), PULUMI_HOME: join(scratch, "home") };
  let r: { code: number; stdout: string; stderr: string };
  try {
    const x = await run(TSX, ["--import", "tsx", join("scripts", "tenants.ts"), ...args], { env, timeout: CHILD_PROCESS_BOUND_MS });
    r = { code: 0, stdout: x.stdout, stderr: x.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    r = { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
  const cli = existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l) as string[]) : [];
  return { ...r, cli };
}

const stackOf = (args: string[]) => args[args.indexOf("--stack") + 1];

describe("scripts/tenants.ts", { concurrency: 2 }, () => {
  it("previews every tenant stack with the policy pack, carries on past a failure, exits 1 with a summary", async () => {
    const r = await tenants(["preview", "--all", "--policy-pack", "infra/policy"], ["globex"]);
    assert.equal(r.code, 1, r.stderr);
    const previews = r.cli.filter((a) => a[0] === "preview");
    assert.deepEqual(previews.map(stackOf).sort(), ["acme", "globex"], "every tenant stack, not the platform");
    for (const a of previews) assert.equal(a[a.indexOf("--policy-pack") + 1], "infra/policy");
    assert.match(r.stdout, /\[acme\] Previewing update \(acme\)/, "progress from the CLI, prefixed with the stack");
    assert.match(r.stdout, /\[globex\] preview failed .*Incorrect username or password/);
    assert.match(r.stdout, /^acme\s+ok\s+create 3, same 10/m);
    assert.match(r.stdout, /^globex\s+failed\s+-/m);
    assert.match(r.stdout, /preview: 1 ok, 1 failed/);
  });

  it("brings one stack up without a second preview", async () => {
    const r = await tenants(["up", "--stack", "acme"]);
    assert.equal(r.code, 0, r.stderr);
    const up = r.cli.find((a) => a[0] === "up")!;
    assert.deepEqual(up.slice(0, 3), ["up", "--yes", "--skip-preview"]);
    assert.equal(stackOf(up), "acme");
    assert.match(r.stdout, /up: 1 ok, 0 failed/);
  });

  it("destroys, and fails when the CLI fails", async () => {
    const r = await tenants(["destroy", "--stack", "acme"], ["acme"]);
    assert.equal(r.code, 1);
    assert.deepEqual(r.cli.find((a) => a[0] === "destroy")!.slice(0, 3), ["destroy", "--yes", "--skip-preview"]);
    assert.match(r.stdout, /destroy: 0 ok, 1 failed/);
  });

  it("prints the outputs the scripts need, secrets hidden", async () => {
    const r = await tenants(["outputs", "--stack", "acme", "--stack", "globex", "--concurrency", "1"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^acme\s+archivePrefix\s+tenant=acme\//m);
    assert.match(r.stdout, /^globex\s+warehouseNames\s+\{"bi":"TENANT_GLOBEX_BI_WH"\}/m);
    assert.match(r.stdout, /retrainingRoleArn\s+\[secret\]/);
  });

  it("lists the tenant stacks with tier and deployment state", async () => {
    const r = await tenants(["list"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.cli.map((a) => a.slice(0, 2).join(" ")), ["version", "stack ls"]);
    assert.match(r.stdout, /^acme\s+acme\s+standard\s+2026-11-20T10:00:00.000Z\s+28$/m);
    assert.match(r.stdout, /^globex\s+globex\s+premium\s+no stack/m);
  });

  it("refuses unclear requests before calling the CLI", async () => {
    const cases = [[], ["apply", "--all"], ["up"], ["up", "--stack", "nope"], ["up", "--stack", "acme", "--all"], ["up", "--all", "--concurrency", "0"], ["destroy", "--all", "--policy-pack", "infra/policy"]];
    const results = await Promise.all(cases.map((args) => tenants(args)));
    results.forEach((r, i) => {
      const args = cases[i]!.join(" ");
      assert.equal(r.code, 1, `${args}: ${r.stderr}`);
      assert.match(r.stderr, /^tenants: /);
      assert.deepEqual(r.cli, [], `${args} calls no CLI`);
    });
  });
});

describe("scripts/tenants.ts without the Pulumi CLI", { concurrency: 2 }, () => {
  const INSTALL = "install it from https://www.pulumi.com/docs/install/ and put it on PATH";

  it("lists the tenant stacks from their files, the deployment state unknown, and says in one line what is missing", async () => {
    const r = await tenants(["list"], [], NO_CLI);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^acme\s+acme\s+standard\s+unknown\s*$/m);
    assert.match(r.stdout, /^globex\s+globex\s+premium\s+unknown\s*$/m);
    assert.equal(r.stderr, `tenants: deployment state unknown: no \`pulumi\` on PATH; ${INSTALL}\n`);
  });

  it("refuses what needs the CLI in one line naming what is missing and how to get it, with nothing on stdout", async () => {
    const cases = [["preview", "--all"], ["outputs", "--stack", "acme"]];
    const results = await Promise.all(cases.map((args) => tenants(args, [], NO_CLI)));
    results.forEach((r, i) => {
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stdout, "");
      assert.equal(r.stderr, `tenants: ${cases[i]![0]} needs the Pulumi CLI and there is no \`pulumi\` on PATH: ${INSTALL}; scripts/plan.ts runs the program offline without it\n`);
    });
  });

  it("names an unknown stack and the stacks there are, CLI or not", async () => {
    const r = await tenants(["up", "--stack", "acmee"], [], NO_CLI);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'tenants: --stack "acmee" is not a stack: no Pulumi.acmee.yaml (stacks: acme, globex, platform); did you mean "acme"?\n');
  });
});
