/**
 * Object keys in the archive, built in one place from a validated tenant id, and the check that
 * an export for one tenant writes only under that tenant's prefixes.
 *
 * Data:      `<layer>/<schema.table>/tenant=<t>/year=<yyyy>/month=<mm>/day=<dd>/<file>.parquet`
 *            (Hive-style partitions, so DuckDB, Athena and Snowflake external tables read a table
 *            folder with the partitions as columns).
 * Manifests: `manifests/tenant=<t>/<layer>/run-<nnnnnn>.json`.
 */
import { TENANT_ID_PATTERN } from "../definitions/governance.ts";
import { ARCHIVED_TABLES, LAYERS, tableFolder, type Layer } from "./archivedTables.ts";

export const MANIFEST_ROOT = "manifests";

export class TenantConfinementError extends Error {
  override readonly name = "TenantConfinementError";
}

export function checkTenantId(tenant: string): string {
  if (!TENANT_ID_PATTERN.test(tenant)) {
    throw new Error(`tenant id ${JSON.stringify(tenant)} must match ${TENANT_ID_PATTERN} (lower-case letters, digits, dashes)`);
  }
  return tenant;
}

/** `YYYY-MM-DD` → its parts; refuses anything else. */
export function dayParts(day: string): { year: string; month: string; day: string } {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m || Number.isNaN(Date.parse(`${day}T00:00:00Z`)) || new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) !== day) {
    throw new Error(`day ${JSON.stringify(day)} is not a calendar date YYYY-MM-DD`);
  }
  return { year: m[1]!, month: m[2]!, day: m[3]! };
}

export function dataKey(layer: Layer, table: string, tenant: string, day: string, file: string): string {
  checkTenantId(tenant);
  const p = dayParts(day);
  if (!/^[a-z0-9-]+\.parquet$/.test(file)) throw new Error(`archive file name ${JSON.stringify(file)} is not <name>.parquet`);
  return `${layer}/${tableFolder(table)}/tenant=${tenant}/year=${p.year}/month=${p.month}/day=${p.day}/${file}`;
}

export function runSeqText(seq: number): string {
  return String(seq).padStart(6, "0");
}

export function manifestKey(tenant: string, layer: Layer, seq: number): string {
  checkTenantId(tenant);
  return `${MANIFEST_ROOT}/tenant=${tenant}/${layer}/run-${runSeqText(seq)}.json`;
}

export function manifestPrefix(tenant: string, layer?: Layer): string {
  checkTenantId(tenant);
  return `${MANIFEST_ROOT}/tenant=${tenant}/${layer ? `${layer}/` : ""}`;
}

/** Every prefix a tenant's export may write under. */
export function tenantPrefixes(tenant: string): string[] {
  checkTenantId(tenant);
  return [...ARCHIVED_TABLES.map((t) => `${t.layer}/${tableFolder(t.table)}/tenant=${tenant}/`), manifestPrefix(tenant)];
}

const SAFE_KEY = /^[a-z0-9][a-z0-9=_./-]*$/;

/**
 * Throws unless `key` lies under one of the tenant's prefixes. Called before every write: a bug
 * that builds a key from the wrong tenant stops here instead of writing into another tenant's data.
 */
export function assertTenantKey(tenant: string, key: string): void {
  const prefixes = tenantPrefixes(tenant);
  const ok = SAFE_KEY.test(key) && !key.includes("..") && !key.includes("//") && prefixes.some((p) => key.startsWith(p));
  if (!ok) throw new TenantConfinementError(`refusing to write ${JSON.stringify(key)}: it is outside tenant ${tenant}'s archive prefixes`);
}

export interface ParsedDataKey {
  readonly layer: Layer;
  readonly table: string;
  readonly tenant: string;
  readonly day: string;
  readonly file: string;
}

/** The parts of a data key, or null for anything that is not one (manifests, stray objects). */
export function parseDataKey(key: string): ParsedDataKey | null {
  const m = /^([a-z]+)\/([a-z_]+\.[a-z_]+)\/tenant=([a-z0-9-]+)\/year=(\d{4})\/month=(\d{2})\/day=(\d{2})\/([^/]+)$/.exec(key);
  if (!m || !(LAYERS as readonly string[]).includes(m[1]!)) return null;
  return { layer: m[1] as Layer, table: m[2]!.toUpperCase(), tenant: m[3]!, day: `${m[4]}-${m[5]}-${m[6]}`, file: m[7]! };
}
