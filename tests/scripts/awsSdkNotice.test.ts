/** Commands that build AWS clients keep stderr clean: the SDK's Node version notice is off. */
import { it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { CHILD_PROCESS_BOUND_MS } from "../helpers/childProcessBound.ts";

it("building the archive's S3 client prints nothing, and the SDK's own switch turns the notice back on", () => {
  const script =
    "const { S3ArchiveStore } = await import('./pipelines/archive/s3ArchiveStore.ts');" +
    "new S3ArchiveStore({ bucket: 'hub-archive-1', kmsKeyId: 'alias/hub', region: 'eu-west-1' });" +
    "await new Promise((r) => setTimeout(r, 50));";
  // Only bounds a hang: tsx compiling the S3 client's import graph took over 30 s on a loaded
  // 2-core machine (the child was killed, status null).
  const BOUND_MS = CHILD_PROCESS_BOUND_MS;
  const run = (env: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8", env: { ...process.env, ...env }, timeout: BOUND_MS });
  const env = { ...process.env };
  delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
  const quiet = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8", env, timeout: BOUND_MS });
  assert.equal(quiet.status, 0, `exit ${quiet.status}, signal ${quiet.signal}: ${quiet.stderr}`);
  assert.equal(quiet.stderr, "");
  // Proof that the notice exists on this Node and that the switch is what silences it.
  const loud = run({ AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "false" });
  assert.equal(loud.status, 0, `exit ${loud.status}, signal ${loud.signal}: ${loud.stderr}`);
  assert.match(loud.stderr, /NodeVersionSupportWarning/);
});
