/**
 * The grammar of identifiers in loaded files (tenant, site, device, station, job, operator,
 * product): an allowlist. An id is the characters below and nothing else, so everything a
 * spreadsheet would run (a first `=`, `+`, `-` or `@`: OWASP "CSV injection"), control characters
 * (tab, CR, NUL, U+0085), look-alike letters from other scripts and padding all fail it without
 * being listed one by one. Issue 18: `=HYPERLINK(...)` from a CSV and `=cmd|' /C calc'!A0` from an
 * XLSX had both landed as device ids.
 *
 * - tenant: TENANT_ID_PATTERN, the tenant id every other part of the hub checks;
 * - site, device, station, job, operator: one MQTT topic level as edge/topicRules.ts defines it
 *   (a device id is a topic level and a thing name), which is also edge/fleetSpec.ts's id;
 * - product and variant: names people give (`P-100`, `STD`), so upper case and `.` as well.
 */
import { TENANT_ID_PATTERN } from "../definitions/governance.ts";

export type IdKind = "tenant" | "site" | "device" | "station" | "job" | "operator" | "product";

/** Site, device, station, job and operator ids: lower-case letters, digits, `-` and `_`, at most 64. */
export const ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** Product ids and variants: letters, digits, `-`, `_` and `.`, starting with a letter or digit, at most 64. */
export const PRODUCT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const GRAMMAR: Readonly<Record<IdKind, { pattern: RegExp; says: string }>> = {
  tenant: { pattern: TENANT_ID_PATTERN, says: "a lower-case letter, then lower-case letters, digits or '-', 2 to 31 in all" },
  site: { pattern: ID_PATTERN, says: "lower-case letters, digits, '-' or '_', starting with a letter or digit, at most 64" },
  device: { pattern: ID_PATTERN, says: "lower-case letters, digits, '-' or '_', starting with a letter or digit, at most 64" },
  station: { pattern: ID_PATTERN, says: "lower-case letters, digits, '-' or '_', starting with a letter or digit, at most 64" },
  job: { pattern: ID_PATTERN, says: "lower-case letters, digits, '-' or '_', starting with a letter or digit, at most 64" },
  operator: { pattern: ID_PATTERN, says: "lower-case letters, digits, '-' or '_', starting with a letter or digit, at most 64" },
  product: { pattern: PRODUCT_PATTERN, says: "letters, digits, '-', '_' or '.', starting with a letter or digit, at most 64" },
};

/** The identifier columns of a loaded file and the grammar each follows. */
export const ID_COLUMN_KINDS: Readonly<Record<string, IdKind>> = {
  tenant_id: "tenant",
  site_id: "site",
  device_id: "device",
  station: "station",
  job_id: "job",
  operator_id: "operator",
  product_id: "product",
  product_variant: "product",
};

/**
 * A value as a reason shows it: quoted, every character outside printable ASCII as `\uXXXX` (so a
 * tab, a NUL or a Cyrillic `а` is visible in the reason and in a terminal), cut after 60 characters
 * with the full length said.
 */
export function showValue(value: unknown): string {
  if (typeof value !== "string") return value === undefined ? "missing" : (JSON.stringify(value) ?? String(value));
  const shown = value.length > 60 ? value.slice(0, 60) : value;
  const escaped = shown.replace(/[^\x20-\x7e]|["\\]/g, (c) => (c === '"' || c === "\\" ? `\\${c}` : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
  return value.length > 60 ? `"${escaped}..." (${value.length} characters)` : `"${escaped}"`;
}

/** Why `value` is not an id of `kind` (naming what a spreadsheet would do with it), or null when it is one. */
export function idProblem(kind: IdKind, value: unknown): string | null {
  const { pattern, says } = GRAMMAR[kind];
  if (typeof value !== "string") return `is not text: ${kind} ids are ${says}`;
  if (pattern.test(value)) return null;
  const first = value.trimStart()[0];
  const why = first !== undefined && "=+-@".includes(first)
    ? "; it starts with '" + first + "', which a spreadsheet runs as a formula"
    : /[\u0000-\u001f\u007f-\u009f]/.test(value) ? "; it holds a control character" : "";
  return `is not a ${kind} id (${says})${why}`;
}
