/*
 * What the Pulumi CLI loads for this policy pack (PulumiPolicy.yaml `main`, package.json `main`).
 *
 * For analyzers the Node language host runs
 *   node <@pulumi/pulumi/cmd/run-policy-pack/index.js> <nodeargs...> <engine address> <pack dir>
 * so `nodeargs` (e.g. `--import tsx`) land after the script and never reach Node, and that runner
 * turns on ts-node, which refuses the `.ts` import extensions the whole codebase uses (TS5097,
 * exit 32; issue 20). The runner require()s this CommonJS file (ts-node leaves .cjs alone), which
 * registers tsx's ESM loader and imports the real entry, index.ts, with it. The runner awaits the
 * exported promise, so a failure to load is the runner's failure, reported as such.
 */
"use strict";

module.exports = (async () => {
  const { register } = await import("tsx/esm/api");
  register();
  return import("./index.ts");
})();
