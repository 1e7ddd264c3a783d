/**
 * What counts as a valid value for the options that name something (a tenant, a stack, a month,
 * a day, a time, a count) and the one-line refusal that names the flag, the value and the valid
 * choices. Issue 18 part 5: a mistake is an error, not a quiet success (`cost-report --period
 * 2026-13` and `provision --tenant acmee` used to exit 0). Each set of valid values is read from the
 * one place that defines it (the tenants and stacks from the `Pulumi.<stack>.yaml` files, as
 * `pulumi up` and the local twin read them), and the scripts check their flags with these before
 * any side effect: opening a hub, creating a device, calling the Pulumi CLI.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readStackConfig, stackNames } from "../../infra/stackFiles.ts";
import { stackKind } from "../../infra/config.ts";
import { UserError } from "./command.ts";
import { didYouMean } from "./didYouMean.ts";

/** This repository: the Pulumi project whose stack files name the tenants. */
export const PROJECT_DIR = fileURLToPath(new URL("../..", import.meta.url));

/** `--tenant "acmee" is not a tenant with a stack file (tenants: acme, globex); did you mean "acme"?` */
export function notOneOf(flag: string, value: string, isNot: string, label: string, choices: readonly string[]): UserError {
  return new UserError(`${flag} ${JSON.stringify(value)} ${isNot} (${label}: ${choices.join(", ") || "none"})${didYouMean(value, choices)}`);
}

/** The value when it is one of `choices`, else the one-line refusal. */
export function oneOf<T extends string>(flag: string, value: string, choices: readonly T[], label = "one of"): T {
  if (!(choices as readonly string[]).includes(value)) throw notOneOf(flag, value, "is not valid", label, choices);
  return value as T;
}

/**
 * Tenant ids that have a tenant stack: `hub:tenantId` of every `Pulumi.<stack>.yaml` but
 * `platform` (by default the stack's name). A tenant with rows in a hub but no stack is not one of
 * them: the commands that take `--tenant` act on what the stack provisions (its warehouses and
 * monitors, device policy, model package groups, endpoints).
 */
export function stackTenants(projectDir = PROJECT_DIR): string[] {
  return stackNames(projectDir)
    .filter((s) => stackKind(s) === "tenant")
    .map((s) => readStackConfig(projectDir, s).raw["hub:tenantId"] || s)
    .sort();
}

export function tenantOption(flag: string, value: string, projectDir = PROJECT_DIR): string {
  const tenants = stackTenants(projectDir);
  if (!tenants.includes(value)) throw notOneOf(flag, value, "is not a tenant with a stack file", "tenants", tenants);
  return value;
}

/** A stack with a `Pulumi.<stack>.yaml`; with `kind: "tenant"`, a tenant stack (not `platform`). */
export function stackOption(flag: string, value: string, projectDir = PROJECT_DIR, kind?: "tenant"): string {
  const all = stackNames(projectDir);
  const valid = kind ? all.filter((s) => stackKind(s) === kind) : all;
  if (valid.includes(value)) return value;
  const why = all.includes(value) ? `it is the ${stackKind(value)} stack` : `no Pulumi.${value}.yaml`;
  throw notOneOf(flag, value, `is not a ${kind ? `${kind} ` : ""}stack: ${why}`, kind ? `${kind} stacks` : "stacks", valid);
}

/** A comma-separated list with no empty item (`--tenants ""` or `a,,b` is a mistake, not "all"). */
export function listOption(flag: string, value: string): string[] {
  const items = value.split(",").map((s) => s.trim());
  if (items.some((s) => !s)) throw new UserError(`${flag} ${JSON.stringify(value)} is not a comma-separated list of names`);
  return items;
}

/** A folder holding a Pulumi project (its `Pulumi.yaml`). */
export function projectOption(flag: string, value: string): string {
  if (!existsSync(join(value, "Pulumi.yaml"))) throw new UserError(`${flag} ${JSON.stringify(value)} is not a Pulumi project folder: it has no Pulumi.yaml`);
  return value;
}

/** A UTC date of the calendar (no 2026-02-30), or null. */
function calendarDay(y: number, m: number, d: number): Date | null {
  const t = new Date(0);
  t.setUTCFullYear(y, m - 1, d);
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d ? t : null;
}

/** A calendar month `YYYY-MM`, as the half-open range of its days [first, first of the next). */
export function monthOption(flag: string, value: string): { from: Date; to: Date } {
  const m = /^(\d{4})-(\d{2})$/.exec(value);
  const from = m ? calendarDay(Number(m[1]), Number(m[2]), 1) : null;
  if (!from) throw new UserError(`${flag} ${JSON.stringify(value)} is not a month YYYY-MM (e.g. 2026-01)`);
  const to = new Date(from);
  to.setUTCMonth(to.getUTCMonth() + 1);
  return { from, to };
}

/** A calendar day `YYYY-MM-DD`, at 00:00 UTC. */
export function dayOption(flag: string, value: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const d = m ? calendarDay(Number(m[1]), Number(m[2]), Number(m[3])) : null;
  if (!d) throw new UserError(`${flag} ${JSON.stringify(value)} is not a date YYYY-MM-DD (e.g. 2026-01-31)`);
  return d;
}

const TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * An ISO 8601 time: `YYYY-MM-DD` (00:00) or `YYYY-MM-DDTHH:MM[:SS[.mmm]]` with `Z` or `±HH:MM`;
 * without an offset it is UTC, the hub's clock, not the machine's zone (as `new Date` would read
 * it). `Date` alone also takes "2026", "March 5" and rolls 2026-02-30 over to March: refused here.
 */
export function timeOption(flag: string, value: string): Date {
  const m = TIME.exec(value);
  const refuse = () => new UserError(`${flag} ${JSON.stringify(value)} is not an ISO 8601 time: YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM] (UTC unless an offset is given)`);
  if (!m) throw refuse();
  const day = calendarDay(Number(m[1]), Number(m[2]), Number(m[3]));
  const [h, min, s] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  const zone = m[8] && m[8] !== "Z" ? /^([+-])(\d{2}):(\d{2})$/.exec(m[8]) : null;
  const offsetMinutes = zone ? (zone[1] === "-" ? -1 : 1) * (Number(zone[2]) * 60 + Number(zone[3])) : 0;
  if (!day || h > 23 || min > 59 || s > 59 || (zone && (Number(zone[2]) > 14 || Number(zone[3]) > 59))) throw refuse();
  return new Date(day.getTime() + ((h * 60 + min - offsetMinutes) * 60 + s) * 1000 + Number((m[7] ?? "0").padEnd(3, "0")));
}

export interface NumberRange {
  /** Smallest value allowed. */
  readonly min?: number;
  /** The value must be greater than this (an open lower bound). */
  readonly above?: number;
  /** Largest value allowed. */
  readonly max?: number;
  /** The value must be less than this (an open upper bound). */
  readonly below?: number;
  readonly integer?: boolean;
  /** What the number is, in the refusal: "a number of hours" (default "an integer" or "a number"). */
  readonly what?: string;
}

function rangeText(r: NumberRange): string {
  const lo = r.above !== undefined ? `(${r.above}` : r.min !== undefined ? `[${r.min}` : undefined;
  const hi = r.below !== undefined ? `${r.below})` : r.max !== undefined ? `${r.max}]` : undefined;
  if (lo && hi) return ` in ${lo}, ${hi}`;
  if (lo) return r.above !== undefined ? ` > ${r.above}` : ` ≥ ${r.min}`;
  if (hi) return r.below !== undefined ? ` < ${r.below}` : ` ≤ ${r.max}`;
  return "";
}

/** A number in range; "" is not 0 (`Number("")` is), "-1" and "0" hours are range errors naming the value. */
export function numberOption(flag: string, value: string | undefined, r: NumberRange = {}): number {
  const n = value === undefined || value.trim() === "" ? NaN : Number(value);
  const ok =
    Number.isFinite(n) && (!r.integer || Number.isInteger(n)) && (r.min === undefined || n >= r.min) && (r.above === undefined || n > r.above) &&
    (r.max === undefined || n <= r.max) && (r.below === undefined || n < r.below);
  if (!ok) throw new UserError(`${flag} ${JSON.stringify(value ?? "")} must be ${r.what ?? (r.integer ? "an integer" : "a number")}${rangeText(r)}`);
  return n;
}

/**
 * An ISO 4217 currency code that this Node knows how to print (`Intl.NumberFormat` refuses one it
 * does not: a typo such as "UDS" is caught here, not in the middle of a report).
 */
export function currencyOption(flag: string, value: string): string {
  const code = value.toUpperCase();
  let known = /^[A-Z]{3}$/.test(code);
  if (known) {
    try {
      known = (Intl.supportedValuesOf("currency") as string[]).includes(code);
    } catch {
      known = false;
    }
  }
  if (!known) throw new UserError(`${flag} ${JSON.stringify(value)} is not an ISO 4217 currency code (e.g. USD, EUR, GBP, JPY)`);
  return code;
}
