#!/usr/bin/env -S sh -c 'exec node --import "$(dirname "$(realpath "$0")")/lib/tsx.mjs" "$0" "$@"'
/**
 * Tenant fleet operations on the Pulumi Automation API: list, preview, up, destroy or read the
 * outputs of one stack or every tenant stack, a few at a time. Shows progress as it goes, ends with
 * a summary table, carries on past a failed stack and exits 1 if any failed. preview, up, destroy
 * and outputs need the Pulumi CLI (the Automation API drives it) and credentials, and refuse in
 * one line without it; `list` reads the stack files and adds the deployment state when the CLI can
 * give it. `scripts/plan.ts` is the offline counterpart.
 */
import type { Stack } from "@pulumi/pulumi/automation/index.js";
import { runCommand, UserError } from "./lib/command.ts";
import { textTable } from "./lib/textTable.ts";
import { readStackConfig, stackNames } from "../infra/stackFiles.ts";
import { stackKind } from "../infra/config.ts";
import { numberOption, projectOption, stackOption } from "./lib/optionValues.ts";
import { PULUMI_INSTALL, pulumiErrorLine, pulumiOnPath, requirePulumi } from "./lib/pulumiCli.ts";

const REPO = new URL("..", import.meta.url).pathname;
const COMMANDS = ["list", "preview", "up", "destroy", "outputs"] as const;
type FleetCommand = (typeof COMMANDS)[number];

interface StackResult {
  stack: string;
  result: "ok" | "failed";
  changes: string;
  seconds: number;
  detail: string;
}

/** Runs `work` over `items`, at most `n` at a time; a rejection is the item's, not the pool's. */
async function pool<T, R>(items: readonly T[], n: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

function changeText(changes: Record<string, number> | undefined): string {
  const entries = Object.entries(changes ?? {}).filter(([, n]) => n > 0);
  return entries.length ? entries.map(([k, n]) => `${k} ${n}`).join(", ") : "-";
}

/** The outputs the scripts use, flattened for a table. */
function outputRows(stack: string, outputs: Record<string, { value: unknown; secret: boolean }>): Record<string, unknown>[] {
  return Object.entries(outputs).map(([k, o]) => ({ stack, output: k, value: o.secret ? "[secret]" : o.value }));
}

await runCommand({
  name: "tenants",
  description: "list, preview, up, destroy or read the outputs of tenant stacks through the Pulumi Automation API",
  usage: "scripts/tenants.ts list|preview|up|destroy|outputs [--stack S ... | --all] [--policy-pack DIR] [--concurrency N]",
  options: {
    stack: { type: "string", multiple: true, description: "a stack to act on (repeatable)" },
    all: { type: "boolean", description: "every tenant stack (every Pulumi.<stack>.yaml but platform)" },
    "policy-pack": { type: "string", description: "policy pack folder for preview and up (e.g. infra/policy)" },
    concurrency: { type: "string", description: "stacks run at the same time", default: "2" },
    project: { type: "string", description: "folder with Pulumi.yaml and the stack files (default: this repository)" },
  },
  examples: ["scripts/tenants.ts list", "scripts/tenants.ts preview --all --policy-pack infra/policy", "scripts/tenants.ts up --stack acme", "scripts/tenants.ts outputs --stack acme --stack globex"],
  run: async ({ options, positionals }) => {
    const command = positionals[0] as FleetCommand | undefined;
    if (!command || !COMMANDS.includes(command) || positionals.length > 1) throw new UserError(`give one command: ${COMMANDS.join(", ")}`);
    const root = options.project === undefined ? REPO : projectOption("--project", options.project);
    const known = stackNames(root);
    const concurrency = numberOption("--concurrency", options.concurrency, { integer: true, min: 1, max: 16 });
    const picked = options.stack ?? [];
    if (picked.length && options.all) throw new UserError("give --stack or --all, not both");
    const tenants = known.filter((s) => stackKind(s) === "tenant");
    const stacks = options.all || (command === "list" && picked.length === 0) ? tenants : picked;
    if (stacks.length === 0) throw new UserError(`give --stack S or --all (stacks: ${known.join(", ")})`);
    for (const s of stacks) stackOption("--stack", s, root);
    const policyPacks = options["policy-pack"] !== undefined ? [options["policy-pack"]] : [];
    if (policyPacks.length && command !== "preview" && command !== "up") throw new UserError("--policy-pack applies to preview and up only");

    if (command === "list") {
      // The stack files say which stacks there are; only the deployment state needs the CLI (and
      // its backend), so without it the list still prints and says what is missing.
      let remote: Map<string, { lastUpdate?: string; resourceCount?: number }> | null = null;
      let unknownWhy = pulumiOnPath() ? "" : `no \`pulumi\` on PATH; ${PULUMI_INSTALL}`;
      if (!unknownWhy) {
        try {
          const { LocalWorkspace } = await import("@pulumi/pulumi/automation/index.js");
          const ws = await LocalWorkspace.create({ workDir: root });
          remote = new Map((await ws.listStacks()).map((s) => [s.name.split("/").pop()!, s]));
        } catch (e) {
          unknownWhy = `the Pulumi CLI failed: ${pulumiErrorLine(e)}`;
        }
      }
      console.log(
        textTable(
          stacks.map((s) => {
            const { raw } = readStackConfig(root, s);
            const r = remote?.get(s);
            const deployed = remote ? (r ? (r.lastUpdate ?? "never") : "no stack") : "unknown";
            return { stack: s, tenant: raw["hub:tenantId"] || s, tier: raw["hub:tier"] || "standard", deployed, resources: r?.resourceCount ?? null };
          }),
        ),
      );
      if (unknownWhy) console.error(`tenants: deployment state unknown: ${unknownWhy}`);
      return;
    }

    requirePulumi(command, "scripts/plan.ts runs the program offline without it");
    // Loaded once the request is known to be sound: the Pulumi SDK takes a while to import.
    const { LocalWorkspace } = await import("@pulumi/pulumi/automation/index.js");

    const started = Date.now();
    console.log(`${command} ${stacks.length} stack(s), ${concurrency} at a time${policyPacks.length ? `, policy pack ${policyPacks[0]}` : ""}`);
    const outputs: Record<string, unknown>[] = [];
    let done = 0;
    const results = await pool(stacks, concurrency, async (name): Promise<StackResult> => {
      const t0 = Date.now();
      const prefix = `[${name}]`;
      const onOutput = (text: string) => {
        for (const line of text.split("\n")) if (line.trim()) console.log(`${prefix} ${line}`);
      };
      console.log(`${prefix} ${command} started`);
      let result: StackResult;
      try {
        const stack: Stack = await LocalWorkspace.selectStack({ stackName: name, workDir: root });
        let changes = "-";
        if (command === "preview") changes = changeText((await stack.preview({ onOutput, policyPacks })).changeSummary);
        else if (command === "up") changes = changeText((await stack.up({ onOutput, policyPacks })).summary.resourceChanges);
        else if (command === "destroy") changes = changeText((await stack.destroy({ onOutput })).summary.resourceChanges);
        else {
          const o = await stack.outputs();
          outputs.push(...outputRows(name, o));
          changes = `${Object.keys(o).length} outputs`;
        }
        result = { stack: name, result: "ok", changes, seconds: (Date.now() - t0) / 1000, detail: "" };
      } catch (e) {
        // The CLI's own error line is the useful one; the Automation API wraps it in a command dump.
        const detail = pulumiErrorLine(e);
        result = { stack: name, result: "failed", changes: "-", seconds: (Date.now() - t0) / 1000, detail };
      }
      done++;
      console.log(`${prefix} ${command} ${result.result} (${done}/${stacks.length})${result.detail ? `: ${result.detail}` : ""}`);
      return result;
    });

    if (outputs.length) console.log(`\n${textTable(outputs.sort((a, b) => String(a["stack"]).localeCompare(String(b["stack"]))))}`);
    console.log(`\n${textTable(results.map((r) => ({ ...r, seconds: Math.round(r.seconds * 10) / 10 })))}`);
    const failed = results.filter((r) => r.result === "failed");
    console.log(`\n${command}: ${results.length - failed.length} ok, ${failed.length} failed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (failed.length) process.exitCode = 1;
  },
});
