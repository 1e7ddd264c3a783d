/**
 * A tenant's fleet lives in its stack file, next to the rest of what describes the tenant, under
 * keys of its own `fleet` namespace (the Pulumi program reads only `hub:*` keys, so infra ignores
 * them and `pulumi up` is unaffected):
 *
 *   config:
 *     hub:tenantId: acme
 *     fleet:sites: [ { siteId, machines, energyMeters, airSensors, stations, jobsPerHour, bottleneck, jobMix, ... } ]
 *     fleet:calendar: { shifts: [...], dayFactors: { sat: 0.45, sun: 0.1 } }   # optional
 *     fleet:faults: { breakdown: 0.1, ... }                                       # optional, per device per day
 *
 * This is the one source of the example fleets (`EXAMPLE_FLEET`), `npm start` and
 * `scripts/simulate.ts`.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { load } from "js-yaml";
import { FleetSpecError, parseTenantFleet, type TenantFleetSpec } from "./fleetSpec.ts";

/** The repository root, where the stack files are. */
export const PROJECT_DIR = fileURLToPath(new URL("..", import.meta.url));

const FLEET_KEYS = ["sites", "calendar", "faults"] as const;

/** The fleet of stack `stack`, or null when its stack file has no `fleet:sites`. */
export function readStackFleet(dir: string, stack: string): TenantFleetSpec | null {
  const path = join(dir, `Pulumi.${stack}.yaml`);
  if (!existsSync(path)) throw new FleetSpecError(`no stack file ${path} (stacks here: ${fleetStacks(dir).join(", ") || "none with a fleet"})`);
  let doc: { config?: Record<string, unknown> } | null;
  try {
    doc = load(readFileSync(path, "utf8")) as typeof doc;
  } catch (e) {
    throw new FleetSpecError(`${path}: not valid YAML: ${(e as Error).message}`);
  }
  const config = doc?.config ?? {};
  if (config["fleet:sites"] === undefined) return null;
  const unknown = Object.keys(config).filter((k) => k.startsWith("fleet:") && !FLEET_KEYS.includes(k.slice(6) as (typeof FLEET_KEYS)[number]));
  if (unknown.length) throw new FleetSpecError(`${path} ${unknown[0]}: is not a fleet key (known: ${FLEET_KEYS.map((k) => `fleet:${k}`).join(", ")})`);
  const spec: Record<string, unknown> = { tenantId: config["hub:tenantId"] ?? stack, sites: config["fleet:sites"] };
  if (config["fleet:calendar"] !== undefined) spec.calendar = config["fleet:calendar"];
  if (config["fleet:faults"] !== undefined) spec.faults = config["fleet:faults"];
  return parseTenantFleet(spec, path, "fleet:");
}

/** Stacks in `dir` whose stack file describes a fleet, by name. */
export function fleetStacks(dir: string): string[] {
  return readdirSync(dir)
    .map((f) => /^Pulumi\.([^.]+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => !!s && /fleet:sites/.test(readFileSync(join(dir, `Pulumi.${s}.yaml`), "utf8")))
    .sort();
}

/** Every fleet the stack files in `dir` describe. */
export function readAllStackFleets(dir: string): TenantFleetSpec[] {
  return fleetStacks(dir).map((s) => readStackFleet(dir, s)!).filter(Boolean);
}

/** The example tenants' fleets (acme, globex), read from the repository's stack files. */
export const EXAMPLE_FLEET: readonly TenantFleetSpec[] = readAllStackFleets(PROJECT_DIR);
