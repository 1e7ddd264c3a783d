#!/usr/bin/env -S sh -c 'exec node --import "$(dirname "$(realpath "$0")")/lib/tsx.mjs" "$0" "$@"'
/**
 * `hub <command> [options]`: every script of scripts/ behind one command, the package's `bin`. It
 * runs the script of that name with the rest of the arguments, so `hub sql --help` is
 * `scripts/sql.ts --help`, from any directory.
 */
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { didYouMean } from "./lib/didYouMean.ts";

/** One line each, in the order a newcomer meets them (`hub <command> --help` has the rest). */
const COMMANDS: Readonly<Record<string, string>> = {
  start: "run the hub on the embedded default: a simulated day of the tenants' fleets, end to end",
  serve: "run the hub as a service on the wall clock: MQTT (and TLS) for devices, a Snowflake endpoint for tools, upload and scan APIs, /metrics",
  sql: "run Snowflake SQL against the local hub as a role (tenant roles see only their rows)",
  objects: "print the warehouse objects' SQL, for Snowflake or the local engine",
  "cost-report": "credits, money and chargeback per tenant, from the monitors and metering",
  retrain: "train, gate and register the ML models per tenant",
  score: "score recent data with a served model",
  archive: "export, restore and verify the Parquet archive",
  load: "load CSV, XLSX, JSON or JSON-lines files for a tenant",
  simulate: "run the fleet simulator to files",
  provision: "provision device identities, locally or in AWS IoT Core",
  plan: "show what `pulumi up` would create for a stack, offline",
  tenants: "list the tenant stacks, or preview / deploy them with the Pulumi CLI",
  users: "add, list or remove the tenant users who sign in to the portal and the SQL endpoint",
  alerts: "where the tenants' alerts were delivered: deliveries, dead letters, retry, a test notification to a channel",
  "build-portal": "bundle the operator portal's front end (npm run build:portal; pretest and preserve run it)",
  "sagemaker-images": "regenerate the SageMaker built-in images' account per region from the SDK's configuration",
  "train-note-model": "retrain the offline operator-note model from the labelled notes' training part (--check: is the shipped model current)",
  mutate: "mutation testing of the core modules, for developers (npm run mutate; not part of npm test)",
};

const here = fileURLToPath(new URL(".", import.meta.url));
const scripts = readdirSync(here).filter((f) => f.endsWith(".ts") && f !== "hub.ts").map((f) => f.slice(0, -3)).sort();

function help(): string {
  const width = Math.max(...scripts.map((s) => s.length));
  return [
    "hub: the Manufacturing Data Hub's commands",
    "",
    "Usage: hub <command> [options]     (hub <command> --help for its options)",
    "",
    "Commands:",
    ...scripts.map((s) => `  ${s.padEnd(width)}  ${COMMANDS[s] ?? ""}`),
  ].join("\n");
}

const [command, ...rest] = process.argv.slice(2);
if (command === undefined || command === "--help" || command === "-h" || command === "help") {
  console.log(help());
} else if (!scripts.includes(command)) {
  console.error(`hub: unknown command ${JSON.stringify(command)} (commands: ${scripts.join(", ")})${didYouMean(command, scripts)}`);
  process.exitCode = 1;
} else {
  // The script reads its arguments from process.argv.slice(2), as when it runs directly.
  process.argv.splice(2, process.argv.length - 2, ...rest);
  await import(new URL(`./${command}.ts`, import.meta.url).href);
}
