#!/usr/bin/env -S sh -c 'exec node --import "$(dirname "$(realpath "$0")")/lib/tsx.mjs" "$0" "$@"'
/**
 * Offline plan: runs the Pulumi program for one stack under mocks (no CLI, no credentials) and prints
 * every resource it declares with its key inputs, the Snowflake SQL it amounts to, and the policy
 * pack's verdict. Exits 1 on a mandatory violation (or a bad config). For reviewers and CI.
 */
import { runCommand, UserError } from "./lib/command.ts";
import { textTable } from "./lib/textTable.ts";
import { ConfigError, parseStackConfig } from "../infra/config.ts";
import type { DeclaredResource } from "../infra/offline.ts";
import { readStackConfig, stackNames } from "../infra/stackFiles.ts";
import { projectOption, stackOption } from "./lib/optionValues.ts";
import { evaluatePolicies, unreadableIamDocuments } from "../infra/policy/rules.ts";
import { deploySteps, providerRoles } from "../infra/snowflake/providerSql.ts";

const REPO = new URL("..", import.meta.url).pathname;
/** Stands in for the tenant's secret public key, which stack files hold encrypted or not at all. */
const OFFLINE_PUBLIC_KEY = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAofflineplaceholderofflineplaceholderoffline0000";
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

function redact(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(redact);
  if (v && typeof v === "object") {
    if (SECRET_SIG in v) return "[secret]";
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redact(x)]));
  }
  return v;
}

/** A one-line summary of a resource's inputs: scalars, short lists, long text cut. */
function keyInputs(props: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(redact(props) as Record<string, unknown>)) {
    if (v === undefined || v === null || k === "tags") continue;
    let text = typeof v === "string" ? v : JSON.stringify(v);
    text = text.replace(/\s+/g, " ");
    if (text.length > 48) text = `${text.slice(0, 45)}...`;
    parts.push(`${k}=${text}`);
  }
  return parts.join(" ");
}

await runCommand({
  name: "plan",
  description: "run the Pulumi program for one stack under mocks and print its resources, SQL and policy verdict",
  usage: "scripts/plan.ts --stack STACK [--json]",
  options: {
    stack: { type: "string", description: `stack to plan (${stackNames(REPO).join(", ")})` },
    project: { type: "string", description: "folder with Pulumi.yaml and the stack files (default: this repository)" },
    json: { type: "boolean", description: "print one JSON document instead of tables" },
    preview: { type: "boolean", description: "plan as a first `pulumi preview` sees it: provider-computed outputs (ARNs, ids) unknown; what a rule cannot check then is listed, not passed" },
  },
  examples: ["scripts/plan.ts --stack platform", "scripts/plan.ts --stack acme --json | jq .policy"],
  run: async ({ options }) => {
    const ROOT = options.project === undefined ? REPO : projectOption("--project", options.project);
    if (options.stack === undefined) throw new UserError(`--stack is required (one of ${stackNames(ROOT).join(", ")})`);
    const stack = stackOption("--stack", options.stack, ROOT);
    let cfg;
    try {
      const { raw } = readStackConfig(ROOT, stack, { "hub:servicePublicKey": OFFLINE_PUBLIC_KEY });
      cfg = parseStackConfig(stack, raw);
    } catch (e) {
      if (e instanceof ConfigError) throw new UserError(`stack ${stack}: ${e.message}`);
      throw e;
    }
    // Loaded only now: the providers' SDKs take seconds to import, a config error should not wait.
    const { OFFLINE_PACKAGE_LOOKUP, runOffline } = await import("../infra/offline.ts");
    // Served models' packages: a stand-in ARN (version 1), no AWS call.
    const run = await runOffline(cfg, { preview: options.preview === true, packageLookup: OFFLINE_PACKAGE_LOOKUP });
    const resources = run.resources.filter((r) => r.custom);
    const violations = evaluatePolicies(run.resources);
    const unverified = run.resources.flatMap((r) => unreadableIamDocuments(r).map((message) => ({ urn: r.urn, message })));
    const steps = deploySteps(run.resources, providerRoles(run.resources));
    const sql = steps.flatMap((st) => st.sql.map((text) => ({ resource: st.urn.split("::").pop(), type: st.type.split(":").pop(), role: st.role, sql: text })));
    if (options.json) {
      console.log(
        JSON.stringify(
          {
            stack,
            kind: cfg.kind,
            resources: resources.map((r) => ({ type: r.type, name: r.name, inputs: redact(r.props) })),
            sql,
            steps,
            outputs: redact(run.outputs),
            policy: { passed: violations.length === 0, violations, unverified },
          },
          null,
          2,
        ),
      );
    } else {
      console.log(`# Stack ${stack} (${cfg.kind}): ${resources.length} resources\n`);
      console.log(textTable(resources.map((r) => ({ type: r.type, name: r.name, inputs: keyInputs(r.props) }))));
      console.log(`\n# Snowflake SQL (${sql.length} statements in deploy order: Execute runs its SQL verbatim; the rest is what the provider sends for each resource, docs/deploy.md)\n`);
      for (const s of sql) console.log(`-- ${s.resource} [${s.type}, as ${s.role}]\n${s.sql};\n`);
      console.log("# Outputs\n");
      console.log(textTable(Object.entries(redact(run.outputs) as Record<string, unknown>).map(([k, v]) => ({ output: k, value: v }))));
      console.log("\n# Policy pack (hub-guardrails)\n");
      console.log(violations.length === 0 ? "PASS: no mandatory violations" : textTable(violations.map((v) => ({ policy: v.policy, resource: v.urn.split("::").pop(), message: v.message }))));
      if (unverified.length) {
        console.log(`\nUNVERIFIED: ${unverified.length} IAM document(s) unknown in this preview, checked only at \`pulumi up\`:`);
        console.log(textTable(unverified.map((u) => ({ resource: u.urn.split("::").pop(), message: u.message }))));
      }
    }
    if (violations.length) {
      if (!options.json) console.error(`plan: ${violations.length} mandatory policy violation(s)`);
      process.exitCode = 1;
    }
  },
});
