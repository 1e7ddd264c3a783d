/**
 * Tenancy and data governance: the role → tenant map, the row access policy that reads it, the
 * masking policy on personal data, and the tags used for cost attribution.
 */
import { col, type MaskingPolicyDef, type RowAccessPolicyDef, type TableDef, type TagDef } from "./types.ts";
import type { Dialect } from "../dialect/index.ts";

/** Roles that see every tenant's rows: the operators' admin role and the pipeline's own role. */
export const ALL_TENANT_ROLES = ["HUB_ADMIN", "HUB_PIPELINE"] as const;
export const ADMIN_ROLE = "HUB_ADMIN";
export const PIPELINE_ROLE = "HUB_PIPELINE";

/** Tenant ids: lower-case letters, digits and dashes; they appear in topics, roles and paths. */
export const TENANT_ID_PATTERN = /^[a-z][a-z0-9-]{1,30}$/;

/**
 * The prefix of every account-level object a tenant stack creates for its tenant (its warehouses,
 * monitors, service user, premium schema): `TENANT_<ID>_`, the id upper-cased, dashes as
 * underscores. infra/naming.ts builds the names; the embedded engine tells a tenant's warehouses
 * by it.
 */
export function tenantObjectPrefix(tenantId: string): string {
  tenantRoleName(tenantId); // validates the id
  return `TENANT_${tenantId.toUpperCase().replaceAll("-", "_")}_`;
}

/**
 * What follows a tenant's prefix in the names of its own account objects: `<CLASS>_WH`,
 * `<CLASS>_MONITOR` (a workload class has no underscore: infra/config.ts WORKLOAD_CLASS) or `SVC`
 * (infra/naming.ts). Nothing else: TENANT_ACME_ also begins TENANT_ACME_A_BI_WH, acme-a's.
 */
const OWN_OBJECT_SUFFIX = /^(?:[A-Z][A-Z0-9]*_(?:WH|MONITOR)|SVC)$/;

/**
 * The tenant of `tenants` whose account object (warehouse, resource monitor, service user) `name`
 * is, or null. By the whole name, never by the prefix alone: one tenant id may begin another
 * (acme, acme-a), and the prefix of the first begins the second's names. Ids map to prefixes one
 * to one (dashes become underscores, and ids have no underscore), so at most one tenant matches.
 */
export function tenantObjectOwner(name: string, tenants: readonly string[]): string | null {
  for (const t of tenants) {
    const prefix = tenantObjectPrefix(t);
    if (name.startsWith(prefix) && OWN_OBJECT_SUFFIX.test(name.slice(prefix.length))) return t;
  }
  return null;
}

/**
 * The tenant whose own warehouse `name` is (`TENANT_<ID>_<CLASS>_WH`), read from the name alone,
 * or null for any other name. A workload class has no underscore, so the last segment before `_WH`
 * is the class and everything before it the id (dashes written as underscores; ids have none).
 */
export function warehouseTenant(name: string): string | null {
  const m = /^TENANT_([A-Z0-9_]+)_([A-Z][A-Z0-9]*)_WH$/.exec(name);
  if (!m) return null;
  const id = m[1]!.toLowerCase().replaceAll("_", "-");
  return TENANT_ID_PATTERN.test(id) && tenantObjectOwner(name, [id]) === id ? id : null;
}

/**
 * A tenant's warehouse of one workload class (one per class: a monitor attaches to warehouses, not
 * to tags). infra/naming.ts creates it under this name; the portal's Snowflake reads run on it.
 */
export function tenantWarehouseName(tenantId: string, workloadClass: string): string {
  return `${tenantObjectPrefix(tenantId)}${workloadClass.toUpperCase()}_WH`;
}

/** The account role through which a tenant reads its analytics (created per tenant stack). */
export function tenantRoleName(tenantId: string): string {
  if (!TENANT_ID_PATTERN.test(tenantId)) {
    throw new Error(`tenant id ${JSON.stringify(tenantId)} must match ${TENANT_ID_PATTERN} (lower-case letters, digits, dashes)`);
  }
  return `TENANT_${tenantId.toUpperCase().replaceAll("-", "_")}_ROLE`;
}

export const TENANT_MAP: TableDef = {
  kind: "table",
  schema: "GOVERNANCE",
  name: "TENANT_MAP",
  comment: "Which account role may see which tenant's rows, and whether it may see personal data.",
  columns: [
    col("role_name", "varchar", "account role, upper case", { nullable: false }),
    col("tenant_id", "varchar", "tenant the role may read", { nullable: false }),
    col("pii_access", "boolean", "role may read unmasked operator ids", { nullable: false }),
    col("granted_at", "timestamp", "when the row was written"),
  ],
};

function roleList(d: Dialect): string {
  return ALL_TENANT_ROLES.map((r) => d.literal(r)).join(", ");
}

// https://docs.snowflake.com/en/user-guide/security-row-using#mapping-tables
export const TENANT_ISOLATION: RowAccessPolicyDef = {
  kind: "row_access_policy",
  schema: "GOVERNANCE",
  name: "TENANT_ISOLATION",
  comment: "A tenant role sees only rows of the tenants TENANT_MAP gives it.",
  // Not named tenant_id: inside the EXISTS it would bind to the map's own column.
  argument: { name: "row_tenant_id", type: "varchar" },
  column: "tenant_id",
  body: (d, arg) =>
    `${d.currentRole()} IN (${roleList(d)}) OR EXISTS (SELECT 1 FROM GOVERNANCE.TENANT_MAP m ` +
    `WHERE m.role_name = ${d.currentRole()} AND m.tenant_id = ${arg})`,
};

export const MASKED_VALUE = "***MASKED***";

// https://docs.snowflake.com/en/user-guide/security-column-ddm-use
export const PII_MASK: MaskingPolicyDef = {
  kind: "masking_policy",
  schema: "GOVERNANCE",
  name: "PII_MASK",
  comment: "Operator ids are shown only to roles with pii_access in TENANT_MAP.",
  argument: { name: "val", type: "varchar" },
  body: (d, arg) =>
    `CASE WHEN ${d.currentRole()} IN (${roleList(d)}) OR EXISTS (SELECT 1 FROM GOVERNANCE.TENANT_MAP m ` +
    `WHERE m.role_name = ${d.currentRole()} AND m.pii_access) THEN ${arg} ELSE ${d.literal(MASKED_VALUE)} END`,
};

export const TENANT_TAG: TagDef = {
  kind: "tag",
  schema: "GOVERNANCE",
  name: "TENANT",
  comment: "Tenant that owns or is billed for the object.",
};

export const COST_CENTER_TAG: TagDef = {
  kind: "tag",
  schema: "GOVERNANCE",
  name: "COST_CENTER",
  comment: "Cost centre the object's credits are charged to.",
};
