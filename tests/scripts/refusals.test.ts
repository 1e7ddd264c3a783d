/**
 * A mistake is an error, not a quiet success (issue 18 part 5): each script, run as a user runs it,
 * refuses an unknown tenant or stack, a malformed period, day or time and an out-of-range count
 * with exit 1, one line on stderr naming the flag, the value and the valid choices, nothing on
 * stdout, and no side effect (the hub folder, the device registry and the output folder are as they
 * were). The values themselves (zero and negative hours, empty numbers, platform as a tenant...)
 * are checked in-process in optionValues.test.ts; one process per case here proves a flag's
 * wiring, two at a time.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import { SimulatedClock } from "../../pipelines/engine/clock.ts";
import { hubDatabasePath } from "../../pipelines/hubHome.ts";
import { DeviceRegistry, deviceRegistryPath } from "../../edge/deviceRegistry.ts";
import { provisionLocal } from "../../edge/provisioning.ts";
import { PROJECT_DIR, readStackFleet } from "../../edge/fleetStackFile.ts";
import { CHILD_PROCESS_BOUND_MS } from "../helpers/childProcessBound.ts";

const run = promisify(execFile);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(script: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  try {
    const r = await run(process.execPath, ["--import", "tsx", join("scripts", script), ...args], { env: { ...process.env, ...env }, timeout: CHILD_PROCESS_BOUND_MS });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

/** Every file under `dir` with the sha256 of its bytes: equal before and after means untouched. */
function filesUnder(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = createHash("sha256").update(readFileSync(p)).digest("hex");
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

type Case = readonly [args: readonly string[], stderr: RegExp];

/** Runs the cases two at a time; each must be refused in one line, with nothing on stdout. */
async function refuses(script: string, cases: readonly Case[], env: Record<string, string> = {}): Promise<void> {
  const results: Run[] = [];
  for (let i = 0; i < cases.length; i += 2) results.push(...(await Promise.all(cases.slice(i, i + 2).map(([args]) => cli(script, [...args], env)))));
  results.forEach((r, i) => {
    const [args, pattern] = cases[i]!;
    const label = `${script} ${args.map((a) => JSON.stringify(a)).join(" ")}`;
    assert.equal(r.code, 1, `${label} exits 1, not ${r.code}: ${r.stderr}${r.stdout.slice(0, 300)}`);
    assert.equal(r.stdout, "", `${label}: nothing on stdout`);
    assert.match(r.stderr, /^[^\n]+\n$/, `${label}: one line on stderr, not ${JSON.stringify(r.stderr)}`);
    assert.match(r.stderr.trimEnd(), pattern, label);
  });
}

const TENANT_ACMEE = /--tenant "acmee" is not a tenant with a stack file \(tenants: acme, globex\); did you mean "acme"\?$/;

describe("scripts refuse what they cannot do, in one line, before any side effect", { concurrency: 1 }, () => {
  let root: string;
  let home: string;
  let registryFile: string;
  before(async () => {
    root = mkdtempSync(join(tmpdir(), "hub-refusals-"));
    home = join(root, "hub");
    // An (empty) hub, so that the old scripts got past "there is no hub" and did something.
    const engine = await EmbeddedEngine.open({ path: hubDatabasePath(home), clock: new SimulatedClock("2026-01-29T00:00:00Z") });
    await engine.close();
    registryFile = deviceRegistryPath(home);
    provisionLocal(DeviceRegistry.open(registryFile), { tenantId: "acme", siteId: "site1", devices: 1, credentialsDir: join(home, "edge", "credentials", "acme") });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it("cost-report: a month that is not one (or empty), an unknown tenant, a day not in the calendar", async () => {
    const was = filesUnder(home);
    await refuses(
      "cost-report.ts",
      [
        [["--period", "2026-13"], /^cost-report: --period "2026-13" is not a month YYYY-MM \(e\.g\. 2026-01\)$/],
        [["--period", ""], /^cost-report: --period "" is not a month YYYY-MM/],
        [["--tenant", "acmee"], new RegExp(`^cost-report: ${TENANT_ACMEE.source}`)],
        [["--from", "2026-02-30", "--to", "2026-03-01"], /^cost-report: --from "2026-02-30" is not a date YYYY-MM-DD \(e\.g\. 2026-01-31\)$/],
      ],
      { HUB_HOME: home },
    );
    assert.deepEqual(filesUnder(home), was, "the hub is untouched");
  });

  it("retrain: an unknown tenant, a day not in the calendar; the hub and the registry stay as they were", async () => {
    const was = filesUnder(home);
    await refuses(
      "retrain.ts",
      [
        [["--tenant", "acmee"], new RegExp(`^retrain: ${TENANT_ACMEE.source}`)],
        [["--tenant", "acme", "--now", "2026-02-30T00:00:00Z"], /^retrain: --now "2026-02-30T00:00:00Z" is not an ISO 8601 time: YYYY-MM-DD or YYYY-MM-DDTHH:MM\[:SS\]\[Z\|±HH:MM\]/],
      ],
      { HUB_HOME: home },
    );
    assert.deepEqual(filesUnder(home), was);
  });

  it("provision: an unknown tenant creates no device (the registry file is byte for byte the same), nor does a device count of 0", async () => {
    const registry = readFileSync(registryFile);
    const was = filesUnder(home);
    await refuses(
      "provision.ts",
      [
        [["--tenant", "acmee", "--devices", "2"], new RegExp(`^provision: ${TENANT_ACMEE.source}`)],
        [["--tenant", "acme", "--devices", "0"], /^provision: --devices "0" must be a number of devices in \[1, 10000\]$/],
        // The AWS target's own check, before any AWS client is made (the script's other branch).
        [["--tenant", "acme", "--devices", "1", "--target", "aws"], /^provision: --target aws needs --region and --account \(or AWS_REGION and AWS_ACCOUNT_ID\)$/],
      ],
      { HUB_HOME: home, AWS_REGION: "", AWS_ACCOUNT_ID: "" },
    );
    assert.deepEqual(readFileSync(registryFile), registry);
    assert.deepEqual(filesUnder(home), was, "no credentials written either");
  });

  it("score: an unknown tenant, before the hub is opened or AWS called", async () => {
    const was = filesUnder(home);
    await refuses(
      "score.ts",
      [
        [["--tenant", "acmee", "--model", "forecast"], new RegExp(`^score: ${TENANT_ACMEE.source}`)],
      ],
      { HUB_HOME: home, AWS_REGION: "eu-west-1" },
    );
    assert.deepEqual(filesUnder(home), was);
  });

  it("simulate: a start not in the calendar, an unknown tenant (of the stack files or of a spec); no output folder", async () => {
    const out = join(root, "sim");
    const spec = join(root, "acme-fleet.json");
    writeFileSync(spec, JSON.stringify(readStackFleet(PROJECT_DIR, "acme")));
    await refuses("simulate.ts", [
      [["--tenant", "acme", "--start", "2026-02-30T00:00:00Z", "--hours", "0.1", "--out", out], /^simulate: --start "2026-02-30T00:00:00Z" is not an ISO 8601 time/],
      [["--tenant", "acmee", "--out", out], /^simulate: --tenant "acmee" is not a tenant stack with a fleet \(fleet:sites\) \(tenant stacks with a fleet: acme, globex\); did you mean "acme"\?$/],
      [["--spec", spec, "--tenant", "acme,acmee", "--hours", "0.1", "--out", out], /^simulate: --tenant "acmee" is not a tenant of \S+acme-fleet\.json \(tenants: acme\); did you mean "acme"\?$/],
      // --live: the flags of one mode are refused in the other, and the broker's address checked before any connection.
      [["--broker", "mqtt://127.0.0.1:1883", "--out", out], /^simulate: --broker needs --live$/],
      [["--live", "--out", out], /^simulate: --out is for files: --live publishes to --broker$/],
      [["--live"], /^simulate: --live needs --broker mqtt:\/\/HOST:PORT or mqtts:\/\/HOST:PORT/],
      [["--live", "--broker", "http://127.0.0.1:1883", "--tenant", "acme"], /^simulate: --broker "http:\/\/127\.0\.0\.1:1883": mqtt:\/\/HOST:PORT or mqtts:\/\/HOST:PORT$/],
      [["--live", "--broker", "mqtt://127.0.0.1:1883", "--speed", "0"], /^simulate: --speed "0" must be/],
      [["--live", "--broker", "mqtt://127.0.0.1:1883", "--tenant", "acmee"], /^simulate: --tenant "acmee" is not a tenant stack with a fleet/],
    ]);
    assert.equal(existsSync(out), false, "nothing simulated");
  });

  it("start: an unknown or empty --tenants, before the hub folder is made", async () => {
    const fresh = join(root, "never-made");
    await refuses(
      "start.ts",
      [
        [["--tenants", "acmee"], /^start: --tenants "acmee" is not a tenant stack: no Pulumi\.acmee\.yaml \(tenant stacks: acme, globex\); did you mean "acme"\?$/],
        [["--tenants", ""], /^start: --tenants "" is not a comma-separated list of names$/],
      ],
      { HUB_HOME: fresh },
    );
    assert.equal(existsSync(fresh), false);
  });

  it("plan: an unknown stack, a project folder that is not one", async () => {
    await refuses("plan.ts", [
      [["--stack", "acmee"], /^plan: --stack "acmee" is not a stack: no Pulumi\.acmee\.yaml \(stacks: acme, globex, platform\); did you mean "acme"\?$/],
      [["--stack", "acme", "--project", join(root, "nope")], /^plan: --project "\S+nope" is not a Pulumi project folder: it has no Pulumi\.yaml$/],
    ]);
  });
});
