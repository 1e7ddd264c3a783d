/**
 * A tenant stack reads the platform stack through a StackReference: every name it reads must be
 * one the platform exports, with the shape it expects. The platform stack is run under mocks here
 * and its real outputs are held to PLATFORM_OUTPUTS (what the tenant program may read: its `out`
 * takes only those names) and to MOCK_PLATFORM_OUTPUTS (what the offline tenant runs are given),
 * names and JSON types; the entry file exports each of them.
 */
import { before, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { MOCK_PLATFORM_OUTPUTS, type OfflineRun } from "../../infra/offline.ts";
import { PLATFORM_OUTPUTS } from "../../infra/program.ts";
import { offlineStack } from "./offlineStack.ts";

let run: OfflineRun;
before(async () => {
  ({ run } = await offlineStack("platform"));
});

const shape = (v: unknown): string => (Array.isArray(v) ? `array of ${[...new Set(v.map(shape))].join("|") || "nothing"}` : v === null ? "null" : typeof v === "object" ? `object {${Object.keys(v as object).sort().map((k) => `${k}: ${shape((v as Record<string, unknown>)[k])}`).join(", ")}}` : typeof v);

it("the platform exports exactly the names a tenant may read, each with the shape the offline tenant runs are given", () => {
  assert.deepEqual(Object.keys(run.outputs).sort(), [...PLATFORM_OUTPUTS].sort());
  assert.deepEqual(Object.keys(MOCK_PLATFORM_OUTPUTS).sort(), [...PLATFORM_OUTPUTS].sort());
  for (const k of PLATFORM_OUTPUTS) assert.equal(shape(MOCK_PLATFORM_OUTPUTS[k]), shape(run.outputs[k]), k);
});

it("the entry file exports each of them as a stack output", () => {
  const entry = readFileSync("infra/index.ts", "utf8");
  for (const k of PLATFORM_OUTPUTS) assert.match(entry, new RegExp(`^export const ${k} = outputs\\["${k}"\\];$`, "m"), k);
});
