/**
 * The option checks every script shares (scripts/lib/optionValues.ts, didYouMean.ts, the runner's
 * parse errors), value by value and in-process: the scripts' own tests spawn each script only to
 * prove the wiring (tests/scripts/refusals.test.ts).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dayOption, listOption, monthOption, numberOption, projectOption, stackOption, stackTenants, tenantOption, timeOption } from "../../scripts/lib/optionValues.ts";
import { closestChoice, editDistance } from "../../scripts/lib/didYouMean.ts";
import { runCommand, UserError } from "../../scripts/lib/command.ts";

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The refusal's message, asserting it is a one-line UserError. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof UserError, `a UserError, not ${String(e)}`);
    assert.doesNotMatch(e.message, /\n/, "one line");
    return e.message;
  }
  assert.fail("accepted");
}

describe("did you mean", () => {
  it("suggests the one close choice, ignoring case, and nothing when none or two are close", () => {
    assert.equal(editDistance("acmee", "acme"), 1);
    assert.equal(closestChoice("acmee", ["acme", "globex"]), "acme");
    assert.equal(closestChoice("ACME", ["acme", "globex"]), "acme");
    assert.equal(closestChoice("initech", ["acme", "globex"]), undefined);
    assert.equal(closestChoice("ab", ["aa", "bb"]), undefined, "a tie is no suggestion");
    assert.equal(closestChoice("acme", ["acme"]), undefined, "the value itself is no suggestion");
  });
});

describe("tenants and stacks come from the Pulumi.<stack>.yaml files", () => {
  it("a tenant is the tenant id of a tenant stack; anything else is refused naming the value and the tenants", () => {
    assert.deepEqual(stackTenants(), ["acme", "globex"]);
    assert.equal(tenantOption("--tenant", "acme"), "acme");
    assert.equal(refusal(() => tenantOption("--tenant", "acmee")), '--tenant "acmee" is not a tenant with a stack file (tenants: acme, globex); did you mean "acme"?');
    for (const bad of ["", "platform", "ACME ", "initech", "acme,globex"]) assert.match(refusal(() => tenantOption("--tenant", bad)), new RegExp(`^--tenant ${escape(JSON.stringify(bad))} is not a tenant with a stack file \\(tenants: acme, globex\\)`));
  });

  it("a tenant stack's hub:tenantId, not its file name, is the tenant", () => {
    const dir = mkdtempSync(join(tmpdir(), "hub-optvals-"));
    try {
      copyFileSync("Pulumi.yaml", join(dir, "Pulumi.yaml"));
      writeFileSync(join(dir, "Pulumi.platform.yaml"), "config: {}\n");
      writeFileSync(join(dir, "Pulumi.eu-acme.yaml"), "config:\n  hub:tenantId: acme\n");
      writeFileSync(join(dir, "Pulumi.initech.yaml"), "config: {}\n");
      assert.deepEqual(stackTenants(dir), ["acme", "initech"]);
      assert.match(refusal(() => tenantOption("--tenant", "eu-acme", dir)), /\(tenants: acme, initech\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a stack has a stack file; a tenant stack is not platform", () => {
    assert.equal(stackOption("--stack", "platform"), "platform");
    assert.equal(refusal(() => stackOption("--stack", "nope")), '--stack "nope" is not a stack: no Pulumi.nope.yaml (stacks: acme, globex, platform)');
    assert.equal(refusal(() => stackOption("--tenants", "platform", undefined, "tenant")), '--tenants "platform" is not a tenant stack: it is the platform stack (tenant stacks: acme, globex)');
    assert.equal(refusal(() => stackOption("--stack", "globx", undefined, "tenant")), '--stack "globx" is not a tenant stack: no Pulumi.globx.yaml (tenant stacks: acme, globex); did you mean "globex"?');
    assert.match(refusal(() => projectOption("--project", "/no/such/folder")), /--project "\/no\/such\/folder" is not a Pulumi project folder: it has no Pulumi\.yaml/);
  });

  it("a list has no empty item", () => {
    assert.deepEqual(listOption("--tenants", "acme, globex"), ["acme", "globex"]);
    for (const bad of ["", "acme,", ",", "acme,,globex"]) assert.match(refusal(() => listOption("--tenants", bad)), /is not a comma-separated list of names/);
  });
});

describe("periods, days and times", () => {
  it("a month is YYYY-MM with a month of the year", () => {
    assert.deepEqual(monthOption("--period", "2026-02"), { from: new Date("2026-02-01T00:00:00Z"), to: new Date("2026-03-01T00:00:00Z") });
    assert.deepEqual(monthOption("--period", "2026-12").to, new Date("2027-01-01T00:00:00Z"));
    for (const bad of ["2026-13", "2026-00", "2026-1", "13-2026", "", "2026-01-01", "2026/01", " 2026-01", "202601"]) {
      assert.equal(refusal(() => monthOption("--period", bad)), `--period ${JSON.stringify(bad)} is not a month YYYY-MM (e.g. 2026-01)`);
    }
  });

  it("a day is a date of the calendar, YYYY-MM-DD", () => {
    assert.deepEqual(dayOption("--from", "2024-02-29"), new Date("2024-02-29T00:00:00Z"));
    for (const bad of ["2026-02-30", "2025-02-29", "2026-13-01", "2026-1-5", "05-01-2026", "", "2026-01-05T00:00:00Z", "today"]) {
      assert.equal(refusal(() => dayOption("--to", bad)), `--to ${JSON.stringify(bad)} is not a date YYYY-MM-DD (e.g. 2026-01-31)`);
    }
  });

  it("a time is ISO 8601, UTC unless an offset is given", () => {
    assert.deepEqual(timeOption("--now", "2026-01-22"), new Date("2026-01-22T00:00:00Z"));
    assert.deepEqual(timeOption("--now", "2026-01-22T06:30"), new Date("2026-01-22T06:30:00Z"));
    assert.deepEqual(timeOption("--now", "2026-01-22T06:30:15.5Z"), new Date("2026-01-22T06:30:15.500Z"));
    assert.deepEqual(timeOption("--now", "2026-01-22T06:30:00+02:00"), new Date("2026-01-22T04:30:00Z"));
    assert.deepEqual(timeOption("--now", "2026-01-22T00:30:00-01:00"), new Date("2026-01-22T01:30:00Z"));
    for (const bad of ["2026", "March 5", "2026-02-30T00:00:00Z", "2026-01-22T24:00Z", "2026-01-22T10:60Z", "2026-01-22 10:00", "", "1737504000000", "2026-01-22T10:00+15:00"]) {
      assert.match(refusal(() => timeOption("--start", bad)), new RegExp(`^--start ${escape(JSON.stringify(bad))} is not an ISO 8601 time: YYYY-MM-DD or YYYY-MM-DDTHH:MM\\[:SS\\]\\[Z\\|±HH:MM\\]`));
    }
  });

  it("a number is in its range; empty, zero and negative hours are range errors naming the value", () => {
    assert.equal(numberOption("--hours", "0.25", { above: 0, max: 744, what: "a number of hours" }), 0.25);
    for (const bad of ["0", "-1", "", " ", "745", "1e999", "NaN", "two"]) {
      assert.equal(refusal(() => numberOption("--hours", bad, { above: 0, max: 744, what: "a number of hours" })), `--hours ${JSON.stringify(bad)} must be a number of hours in (0, 744]`);
    }
    assert.equal(refusal(() => numberOption("--window-days", "1.5", { integer: true, min: 1 })), '--window-days "1.5" must be an integer ≥ 1');
    assert.equal(refusal(() => numberOption("--margin", "1", { min: 0, below: 1 })), '--margin "1" must be a number in [0, 1)');
    assert.equal(refusal(() => numberOption("--seed", "", { integer: true })), '--seed "" must be an integer');
    assert.equal(refusal(() => numberOption("--threshold", "0", { above: 0 })), '--threshold "0" must be a number > 0');
  });
});

describe("the runner's parse errors", () => {
  async function stderrOf(argv: string[]): Promise<{ code: number | string | undefined; lines: string[] }> {
    const lines: string[] = [];
    const error = console.error;
    const before = process.exitCode;
    console.error = (...a: unknown[]) => lines.push(a.join(" "));
    try {
      await runCommand({ name: "demo", description: "d", usage: "demo", options: { tenant: { type: "string", description: "t" }, model: { type: "string", description: "m", choices: ["forecast", "anomaly"] } }, run: () => {} }, argv);
      return { code: process.exitCode, lines };
    } finally {
      console.error = error;
      process.exitCode = before;
    }
  }

  it("are one line, with a did-you-mean for an unknown option or choice", async () => {
    assert.deepEqual(await stderrOf(["--tenantt", "acme"]), { code: 1, lines: ["demo: unknown option --tenantt; did you mean --tenant? (see --help)"] });
    assert.deepEqual(await stderrOf(["--tenant"]), { code: 1, lines: ["demo: Option '--tenant <value>' argument missing (see --help)"] });
    const dash = await stderrOf(["--tenant", "-x"]);
    assert.equal(dash.lines.length, 1);
    assert.match(dash.lines[0]!, /^demo: Option '--tenant' argument is ambiguous\. .* use '--tenant=-XYZ'\. \(see --help\)$/);
    assert.deepEqual(await stderrOf(["--model", "forcast"]), { code: 1, lines: ['demo: --model "forcast" is not one of forecast, anomaly; did you mean "forecast"?'] });
  });

  it("take a negative number after an option as its value, so the option's own check names it", async () => {
    const seen: unknown[] = [];
    const argvOf = async (argv: string[]) => {
      await runCommand({ name: "demo", description: "d", usage: "demo", options: { hours: { type: "string", description: "h", short: "H" }, quiet: { type: "boolean", description: "q" } }, run: ({ options, positionals }) => void seen.push([options.hours, positionals]) }, argv);
      return seen.pop();
    };
    assert.deepEqual(await argvOf(["--hours", "-3"]), ["-3", []]);
    assert.deepEqual(await argvOf(["-H", "-0.5", "x"]), ["-0.5", ["x"]]);
    assert.deepEqual(await argvOf(["--hours", "-.5"]), ["-.5", []]);
    assert.deepEqual(await argvOf(["--quiet", "--hours=-3"]), ["-3", []]);
    // Not a number: still the option forgotten, as before.
    const dash = await stderrOf(["--tenant", "-x"]);
    assert.match(dash.lines[0]!, /argument is ambiguous/);
  });
});
