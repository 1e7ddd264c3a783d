/** The command-line entry points, run as a user runs them (tsx in a child process). */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, chmodSync, existsSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ALL_OBJECTS, objectName } from "../../pipelines/definitions/catalog.ts";

const run = promisify(execFile);
const TSX = join(process.cwd(), "node_modules", ".bin", "tsx");

async function cli(script: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(TSX, [join("scripts", script), ...args], { env: { ...process.env, ...env }, timeout: 120_000, maxBuffer: 20 * 1024 * 1024 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

describe("commands run from anywhere", () => {
  const elsewhere = tmpdir();
  const direct = async (file: string, args: string[], cwd = elsewhere) => {
    try {
      const r = await run(file, args, { cwd, timeout: 120_000 });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (e) {
      const x = e as { code: number; stdout: string; stderr: string };
      return { code: x.code, stdout: x.stdout, stderr: x.stderr };
    }
  };

  it("a script runs by its own shebang from another directory", async () => {
    const r = await direct(join(process.cwd(), "scripts", "sql.ts"), ["--help"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^sql: run Snowflake SQL against the local hub/);
  });

  it("`hub` lists every script with a line each, runs one by name from another directory, and names an unknown one", async () => {
    const hub = join(process.cwd(), "scripts", "hub.ts");
    const list = await direct(hub, ["--help"]);
    assert.equal(list.code, 0, list.stderr);
    const scripts = readdirSync(join(process.cwd(), "scripts")).filter((f) => f.endsWith(".ts") && f !== "hub.ts").map((f) => f.slice(0, -3));
    for (const s of scripts) assert.match(list.stdout, new RegExp(`^  ${s} +\\S`, "m"), `${s} is listed with its description`);
    const sql = await direct(hub, ["sql", "--help"]);
    assert.equal(sql.code, 0, sql.stderr);
    assert.match(sql.stdout, /^sql: run Snowflake SQL against the local hub/);
    const typo = await direct(hub, ["sqll"]);
    assert.equal(typo.code, 1);
    assert.equal(typo.stdout, "");
    assert.match(typo.stderr.trim(), /^hub: unknown command "sqll" \(commands: .*\); did you mean "sql"\?$/);
  });
});

describe("scripts/objects.ts", () => {
  it("prints every object's Snowflake DDL in dependency order", async () => {
    const r = await cli("objects.ts", ["--dialect", "snowflake"]);
    assert.equal(r.code, 0, r.stderr);
    let last = -1;
    for (const o of ALL_OBJECTS) {
      const at = r.stdout.indexOf(`-- ${objectName(o)}\n`);
      assert.ok(at > last, `${objectName(o)} is printed after what it depends on`);
      last = at;
    }
    // A task graph is resumed leaves first, its root last.
    const resumed = (t: string) => r.stdout.indexOf(`ALTER TASK OPS.${t} RESUME;`);
    assert.ok(resumed("RAISE_ALERTS") >= 0 && resumed("RAISE_ALERTS") < resumed("SCORE_READINGS"));
    assert.ok(resumed("SCORE_READINGS") < resumed("VALIDATE_READINGS"), "the root after its children");
  });

  it("prints one object in the DuckDB dialect", async () => {
    const r = await cli("objects.ts", ["--dialect", "duckdb", "--object", "ENERGY_HOURLY"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /CREATE TABLE IF NOT EXISTS ANALYTICS\.ENERGY_HOURLY/);
    assert.doesNotMatch(r.stdout, /MACHINE_UTILIZATION_HOURLY/);
  });

  it("names a bad option value and exits 1", async () => {
    const r = await cli("objects.ts", ["--dialect", "oracle"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--dialect "oracle" is not one of snowflake, duckdb/);
    const u = await cli("objects.ts", ["--object", "NOPE"]);
    assert.equal(u.code, 1);
    assert.match(u.stderr, /--object "NOPE" is not a defined object/);
  });

  it("documents itself with --help", async () => {
    const r = await cli("objects.ts", ["--help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: scripts\/objects\.ts --dialect snowflake\|duckdb/);
  });
});

describe("scripts/start.ts and scripts/sql.ts on a hub that start.ts made", () => {
  let home: string;
  /** The run every test here reads: made once, here, so that any one of them runs alone. */
  let started: { code: number; stdout: string; stderr: string };
  before(async () => {
    home = mkdtempSync(join(tmpdir(), "hub-cli-"));
    started = await cli("start.ts", ["--hours", "0.25", "--json", "--fresh", "--history-days", "0"], { HUB_HOME: home });
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  it("runs a short slice of the hub and prints a summary per tenant as JSON", () => {
    const r = started;
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as { tenants: Array<{ tenantId: string; rawReadings: number; normalizedMetrics: number }> };
    assert.deepEqual(summary.tenants.map((t) => t.tenantId), ["acme", "globex"]);
    for (const t of summary.tenants) assert.ok(t.rawReadings > 0 && t.normalizedMetrics > t.rawReadings, JSON.stringify(t));
  });

  it("`npm start --silent -- --json`, the documented JSON invocation, prints JSON alone", async () => {
    const r = await run("npm", ["start", "--silent", "--", "--json", "--hours", "0.05", "--history-days", "0"], { env: { ...process.env, HUB_HOME: home }, timeout: 120_000, maxBuffer: 20 * 1024 * 1024 });
    assert.doesNotThrow(() => JSON.parse(r.stdout), r.stdout.slice(0, 200));
  });

  it("answers queries as a tenant role with that tenant's rows only", async () => {
    const r = await cli("sql.ts", ["--role", "TENANT_ACME_ROLE", "--json", "SELECT DISTINCT tenant_id FROM CORE.SENSOR_READINGS_NORMALIZED"], { HUB_HOME: home });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), [{ sql: "SELECT DISTINCT tenant_id FROM CORE.SENSOR_READINGS_NORMALIZED", columns: ["TENANT_ID"], rows: [["acme"]] }]);
  });

  it("runs several Snowflake statements in order, printing each result as SnowSQL does", async () => {
    const r = await cli("sql.ts", ["--role", "TENANT_ACME_ROLE", "SELECT CURRENT_ROLE(); USE SCHEMA ANALYTICS; SELECT COUNT(*) AS n FROM MACHINE_UTILIZATION_HOURLY WHERE hour <= CURRENT_TIMESTAMP()"], { HUB_HOME: home });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^CURRENT_ROLE\(\)\n-+\nTENANT_ACME_ROLE\n1 Row\(s\) produced\.\n\nStatement executed successfully\.\n\n *N\n-+\n[1-9]\d*\n1 Row\(s\) produced\./);
  });

  it("prints TIMESTAMP_NTZ without a zone and TIMESTAMP_TZ with its offset, as SnowSQL's default format does", async () => {
    const r = await cli("sql.ts", ["SELECT '2026-01-02 03:04:05.5'::TIMESTAMP_NTZ AS ntz, '2026-01-02 03:04:05'::TIMESTAMP_TZ AS tz"], { HUB_HOME: home });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^NTZ {22}TZ\n-{23}  -{29}\n2026-01-02 03:04:05\.500  2026-01-02 03:04:05\.000 \+0000\n/);
  });

  it("refuses a role the hub does not know, naming it and the roles it has, and exits 1", async () => {
    const r = await cli("sql.ts", ["--role", "TENANT_ACMEE_ROLE", "SELECT 1"], { HUB_HOME: home });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr.trim(), 'sql: --role "TENANT_ACMEE_ROLE" is not a role of this hub (roles: HUB_ADMIN, HUB_PIPELINE, HUB_REPORTING, HUB_PORTAL, TENANT_ACME_ROLE, TENANT_GLOBEX_ROLE)');
  });

  it("reports a SQL error with its Snowflake code and exits 1", async () => {
    const r = await cli("sql.ts", ["SELECT * FROM NOPE.NOPE"], { HUB_HOME: home });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /002003 \(42S02\)/);
  });

  it("reports the run's cost per tenant and warehouse, with allocations that add up to the meter", async () => {
    const r = await cli("cost-report.ts", ["--format", "json"], { HUB_HOME: home });
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { totals: { credits: number }; warehouses: Array<{ warehouse: string; credits: number }>; tenants: Array<{ credits: number }> };
    assert.ok(report.totals.credits > 0, "the pipeline's warehouses were billed");
    const allocated = report.tenants.reduce((s, t) => s + t.credits, 0);
    assert.ok(Math.abs(allocated - report.totals.credits) < 1e-6, `${allocated} vs ${report.totals.credits}`);
    // The shared pipeline warehouses, and each tenant's own from its stack file (acme standard: BI; globex premium: BI and ML).
    assert.deepEqual(report.warehouses.map((w) => w.warehouse), ["HUB_ANALYTICS_WH", "HUB_TRANSFORM_WH", "TENANT_ACME_BI_WH", "TENANT_GLOBEX_BI_WH", "TENANT_GLOBEX_ML_WH"]);
  });

  it("forecasts a stack before deploy and flags schedules that keep a warehouse awake", async () => {
    const r = await cli("cost-report.ts", ["--what-if", "--stack", "platform"], { HUB_HOME: home });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /HUB_TRANSFORM_WH\s+XSMALL\s+720/);
    assert.match(r.stdout, /HUB_TRANSFORM_WH never sleeps/);
    assert.match(r.stdout, /Why the shipped pipeline never sleeps/, "the shipped defaults fail the check with their reason");
    assert.match(r.stdout, /Dynamic tables: (\d+) of \1 refresh incrementally \(REFRESH_MODE = INCREMENTAL\)\n/, "every refresh's mode, none full today");
    const acme = await cli("cost-report.ts", ["--what-if", "--stack", "acme"], { HUB_HOME: home });
    assert.match(acme.stdout, /TENANT_ACME_BI_WH is suspended by TENANT_ACME_BI_MONITOR \(SUSPEND at 100%\) on day \d+\.\d of the 30-day month/);
    const bad = await cli("cost-report.ts", ["--what-if", "--stack", "nope"], { HUB_HOME: home });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /no Pulumi\.nope\.yaml/);
  });
});

describe("scripts/start.ts before it touches the hub", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "hub-cli-refusals-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses a step outside [1, 240] minutes, naming the flag and the value, before touching the hub", async () => {
    for (const step of ["0", "241", "1.5"]) {
      const r = await cli("start.ts", ["--step", step, "--quiet"], { HUB_HOME: join(dir, "never-made") });
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, new RegExp(`--step "${step.replace(".", "\\.")}" must be whole minutes in \\[1, 240\\]`));
      assert.equal(existsSync(join(dir, "never-made")), false);
    }
  });

  // Cases that fail for every user, root included (CI runs as root, and root ignores permission bits).
  it("says clearly when HUB_HOME is under a regular file, or is one", async () => {
    const file = join(dir, "a-file");
    writeFileSync(file, "not a folder");
    const under = await cli("start.ts", ["--hours", "0.01", "--quiet"], { HUB_HOME: join(file, "hub") });
    assert.equal(under.code, 1, under.stdout);
    assert.equal(under.stderr.trim(), `start: HUB_HOME ${join(file, "hub")} is not writable (ENOTDIR); set HUB_HOME to a writable folder`);
    const itself = await cli("start.ts", ["--hours", "0.01", "--quiet"], { HUB_HOME: file });
    assert.equal(itself.code, 1, itself.stdout);
    assert.equal(itself.stderr.trim(), `start: HUB_HOME ${file} is not writable (ENOTDIR: it is a file, not a folder); set HUB_HOME to a writable folder`);
    assert.equal(readFileSync(file, "utf8"), "not a folder", "the file is left as it was");
  });

  it("says clearly when HUB_HOME's folder denies writing", { skip: process.getuid?.() === 0 ? "root ignores permission bits (the regular-file cases above cover root)" : false }, async () => {
    const ro = join(dir, "readonly");
    mkdirSync(ro);
    chmodSync(ro, 0o500);
    try {
      const r = await cli("start.ts", ["--hours", "0.01", "--quiet"], { HUB_HOME: join(ro, "hub") });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /is not writable \(EACCES\)/);
    } finally {
      chmodSync(ro, 0o700);
    }
  });
});
