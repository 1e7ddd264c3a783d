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
import { evaluatePolicies, T } from "../infra/policy/rules.ts";
import { ALL_OBJECTS, TASKS } from "../pipelines/definitions/catalog.ts";
import { resourceMonitorSql, resumeTasksSql, snowflakeStatements } from "../pipelines/render/snowflakeDdl.ts";
import type { MonitorFrequency, WarehouseSize } from "../pipelines/definitions/types.ts";

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

interface SqlLine {
  readonly object: string;
  readonly kind: string;
  /** execute: run verbatim by an Execute resource; provider: what the provider resource amounts to. */
  readonly via: "execute" | "provider";
  readonly sql: string;
}

function snowflakeSql(kind: "platform" | "tenant", resources: readonly DeclaredResource[]): SqlLine[] {
  const executed = new Set(resources.filter((r) => r.type === T.execute).map((r) => String(r.props["execute"])));
  const out: SqlLine[] = [];
  if (kind === "platform") {
    for (const o of ALL_OBJECTS) {
      for (const s of snowflakeStatements(o)) out.push({ object: s.object, kind: s.kind, via: executed.has(s.sql) ? "execute" : "provider", sql: s.sql });
    }
    for (const s of resumeTasksSql(TASKS)) out.push({ object: s.object, kind: s.kind, via: "provider", sql: s.sql });
    return out;
  }
  for (const m of resources.filter((r) => r.type === "snowflake:index/resourceMonitor:ResourceMonitor")) {
    const p = m.props;
    out.push({
      object: String(p["name"]),
      kind: "create",
      via: "provider",
      sql: resourceMonitorSql({ kind: "resource_monitor", name: String(p["name"]), creditQuota: Number(p["creditQuota"]), frequency: p["frequency"] as MonitorFrequency, notifyAt: p["notifyTriggers"] as number[], suspendAt: Number(p["suspendTrigger"]), suspendImmediateAt: Number(p["suspendImmediateTrigger"]) }),
    });
  }
  for (const w of resources.filter((r) => r.type === T.warehouse)) {
    const p = w.props;
    for (const s of snowflakeStatements({ kind: "warehouse", name: String(p["name"]), comment: String(p["comment"] ?? ""), size: p["warehouseSize"] as WarehouseSize, autoSuspendSeconds: Number(p["autoSuspend"]), autoResume: p["autoResume"] === "true", initiallySuspended: p["initiallySuspended"] === true, resourceMonitor: String(p["resourceMonitor"]) })) {
      out.push({ object: s.object, kind: s.kind, via: "provider", sql: s.sql });
    }
  }
  for (const r of resources.filter((r) => r.type === "snowflake:index/accountRole:AccountRole")) out.push({ object: String(r.props["name"]), kind: "create", via: "provider", sql: `CREATE ROLE IF NOT EXISTS ${r.props["name"]}` });
  for (const r of resources.filter((r) => r.type === "snowflake:index/grantPrivilegesToAccountRole:GrantPrivilegesToAccountRole")) {
    const p = r.props as Record<string, any>;
    const on = p["onAccountObject"] ? `${p["onAccountObject"].objectType} ${p["onAccountObject"].objectName}` : p["onSchema"] ? `SCHEMA ${p["onSchema"].schemaName}` : `${p["onSchemaObject"].objectType} ${p["onSchemaObject"].objectName}`;
    out.push({ object: String(p["accountRoleName"]), kind: "grant", via: "provider", sql: `GRANT ${p["privileges"].join(", ")} ON ${on} TO ROLE ${p["accountRoleName"]}` });
  }
  for (const r of resources.filter((r) => r.type === T.execute)) out.push({ object: "GOVERNANCE.TENANT_MAP", kind: "seed", via: "execute", sql: String(r.props["execute"]) });
  return out;
}

await runCommand({
  name: "plan",
  description: "run the Pulumi program for one stack under mocks and print its resources, SQL and policy verdict",
  usage: "scripts/plan.ts --stack STACK [--json]",
  options: {
    stack: { type: "string", description: `stack to plan (${stackNames(REPO).join(", ")})` },
    project: { type: "string", description: "folder with Pulumi.yaml and the stack files (default: this repository)" },
    json: { type: "boolean", description: "print one JSON document instead of tables" },
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
    const { runOffline } = await import("../infra/offline.ts");
    const run = await runOffline(cfg);
    const resources = run.resources.filter((r) => r.custom);
    const violations = evaluatePolicies(run.resources);
    const sql = snowflakeSql(cfg.kind, run.resources);
    if (options.json) {
      console.log(
        JSON.stringify(
          {
            stack,
            kind: cfg.kind,
            resources: resources.map((r) => ({ type: r.type, name: r.name, inputs: redact(r.props) })),
            sql,
            outputs: redact(run.outputs),
            policy: { passed: violations.length === 0, violations },
          },
          null,
          2,
        ),
      );
    } else {
      console.log(`# Stack ${stack} (${cfg.kind}): ${resources.length} resources\n`);
      console.log(textTable(resources.map((r) => ({ type: r.type, name: r.name, inputs: keyInputs(r.props) }))));
      console.log(`\n# Snowflake SQL (${sql.length} statements; "execute" runs verbatim, "provider" is what the provider resource does)\n`);
      for (const s of sql) console.log(`-- ${s.object} [${s.kind}, ${s.via}]\n${s.sql};\n`);
      console.log("# Outputs\n");
      console.log(textTable(Object.entries(redact(run.outputs) as Record<string, unknown>).map(([k, v]) => ({ output: k, value: v }))));
      console.log("\n# Policy pack (hub-guardrails)\n");
      console.log(violations.length === 0 ? "PASS: no mandatory violations" : textTable(violations.map((v) => ({ policy: v.policy, resource: v.urn.split("::").pop(), message: v.message }))));
    }
    if (violations.length) {
      if (!options.json) console.error(`plan: ${violations.length} mandatory policy violation(s)`);
      process.exitCode = 1;
    }
  },
});
