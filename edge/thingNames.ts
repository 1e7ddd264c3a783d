/**
 * The names `scripts/provision.ts --devices N` gives, apart from the provisioning (node-forge, the
 * IoT client) so the command checks its flags and names its things before it loads either.
 */

/** Thing names: `<tenant>-<site>-d001`, valid topic levels and client ids. */
export function thingNames(tenantId: string, siteId: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${tenantId}-${siteId}-d${String(i + 1).padStart(3, "0")}`);
}
