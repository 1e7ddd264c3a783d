/**
 * Reads `Pulumi.yaml` and `Pulumi.<stack>.yaml` the way the CLI would hand them to the program (for
 * `scripts/plan.ts` and the tests, which run without the CLI): the project's defaults, overridden by
 * the stack's values; structured values as JSON text; secure values as a placeholder.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { load } from "js-yaml";
import type { RawConfig } from "./config.ts";

export interface ProjectFile {
  readonly name: string;
  readonly config: Record<string, { type?: string; description?: string; default?: unknown; secret?: boolean; value?: unknown }>;
}

export function readProject(dir: string): ProjectFile {
  const doc = load(readFileSync(join(dir, "Pulumi.yaml"), "utf8")) as ProjectFile;
  return { ...doc, config: doc.config ?? {} };
}

/** Stack names with a `Pulumi.<stack>.yaml` in the project folder. */
export function stackNames(dir: string): string[] {
  return readdirSync(dir)
    .map((f) => /^Pulumi\.([^.]+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => !!s)
    .sort();
}

/** Tenant stacks in the project folder (every stack but `platform`). */
export function tenantStackNames(dir: string): string[] {
  return stackNames(dir).filter((s) => s !== "platform");
}

const asText = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));

/** A secure value is ciphertext only the CLI can decrypt; offline it stands in as this. */
export const OFFLINE_SECRET = (key: string) => `offline-placeholder-for-${key}`;

/**
 * Raw config of a stack: keys `namespace:key`, values as Pulumi hands them to the program.
 * `secretFallbacks` stand in for secrets the stack holds as ciphertext or not at all.
 */
export function readStackConfig(dir: string, stack: string, secretFallbacks: Readonly<Record<string, string>> = {}): { raw: RawConfig; secrets: string[] } {
  const project = readProject(dir);
  const raw: Record<string, string> = {};
  const qualify = (k: string) => (k.includes(":") ? k : `${project.name}:${k}`);
  for (const [k, spec] of Object.entries(project.config)) {
    const v = spec.default ?? spec.value;
    if (v !== undefined) raw[qualify(k)] = asText(v);
  }
  const doc = load(readFileSync(join(dir, `Pulumi.${stack}.yaml`), "utf8")) as { config?: Record<string, unknown> } | null;
  const secrets: string[] = [];
  for (const [k, v] of Object.entries(doc?.config ?? {})) {
    const key = qualify(k);
    if (v && typeof v === "object" && "secure" in (v as object)) {
      raw[key] = secretFallbacks[key] ?? OFFLINE_SECRET(key);
      secrets.push(key);
    } else raw[key] = asText(v);
  }
  // A secret the stack file does not hold (set later with `pulumi config set --secret`) stands in.
  for (const [key, v] of Object.entries(secretFallbacks)) {
    if (!raw[key]) {
      raw[key] = v;
      secrets.push(key);
    }
  }
  return { raw, secrets };
}
