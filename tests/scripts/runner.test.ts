/**
 * `npm test` itself: it bounds every test file's run, so a hanging test fails CI instead of
 * holding it until the CI job's own limit. Node 20's runner applies `--test-timeout` to each test
 * file's process as a whole (the file is the runner's test; its tests inherit the bound).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..", "..");
const script = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts["test"]!;
/** The `node ... --test ...` command of `npm test`, after the typecheck. */
const runner = script.split("&&").map((s) => s.trim()).find((s) => s.startsWith("node ") && s.includes("--test"))!;

test("npm test gives every test file a finite timeout", () => {
  const m = /--test-timeout=(\d+)/.exec(runner);
  assert.ok(m, `npm test's runner sets --test-timeout: ${runner}`);
  const ms = Number(m[1]);
  // Above the slowest legitimate file (tests/scripts/cli.test.ts, ~150 s on a busy 2-core machine)
  // with margin, and well below a CI job's limit.
  assert.ok(ms >= 300_000 && ms <= 1_800_000, `--test-timeout=${ms}`);
});

test("a hanging test fails under npm test's runner flags instead of hanging", { timeout: 60_000 }, async () => {
  // The same command with the file list replaced by the fixture and the bound made short.
  const args = runner.split(/\s+/).slice(1).filter((a) => !a.startsWith("tests/") && !a.startsWith("--test-timeout="));
  const started = Date.now();
  // A runner started from inside a test file sees NODE_TEST_CONTEXT and refuses to run files: drop it.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const child = spawn(process.execPath, [...args, "--test-timeout=3000", join("tests", "scripts", "fixtures", "hangingTest.ts")], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr.on("data", (b: Buffer) => (out += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.notEqual(code, 0, out);
  assert.match(out, /timed out after 3000ms/);
  assert.ok(Date.now() - started < 45_000, "the runner stopped it at its bound");
});
