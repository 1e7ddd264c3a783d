/**
 * What a tenant owns, as a file load checks a row against it: its sites (each with the stations
 * its scanners stand at) and its devices (each at its site). The loader is handed this (the
 * composition builds it from the tenant's fleet in its stack file and from the device registry:
 * edge/fleetMembership.ts), so a row naming a site or device the tenant does not have, or another
 * tenant's device, is quarantined instead of landing under the tenant (issue 18: `--tenant acme`
 * had loaded globex's devices).
 */
import { showValue } from "./idGrammar.ts";

export interface TenantMembership {
  readonly tenantId: string;
  /** The tenant's sites, each with its scan stations (a site known only from a registered device has none). */
  readonly sites: ReadonlyMap<string, ReadonlySet<string>>;
  /** The tenant's devices and the site of each. */
  readonly devices: ReadonlyMap<string, string>;
  /** Devices of other tenants, and whose each is, so that a reason can say. */
  readonly foreignDevices: ReadonlyMap<string, string>;
  /** Where the lists come from, for reasons: e.g. `its fleet (Pulumi.acme.yaml) and the device registry`. */
  readonly describedBy: string;
}

function siteProblem(m: TenantMembership, siteId: string): string | null {
  if (m.sites.has(siteId)) return null;
  return `site_id ${showValue(siteId)} is not a site of tenant ${m.tenantId} (its sites: ${[...m.sites.keys()].join(", ") || "none"}; from ${m.describedBy})`;
}

/** Why a reading of (site, device) does not belong to the tenant, or null when it does. */
export function readingMembershipProblem(m: TenantMembership, siteId: string, deviceId: string): string | null {
  const site = m.devices.get(deviceId);
  if (site === siteId) return null;
  if (site !== undefined) return `device_id ${showValue(deviceId)} is a device of tenant ${m.tenantId} at site ${showValue(site)}, not at site_id ${showValue(siteId)}`;
  const owner = m.foreignDevices.get(deviceId);
  if (owner !== undefined) return `device_id ${showValue(deviceId)} is a device of tenant ${owner}, not of ${m.tenantId}`;
  return siteProblem(m, siteId) ?? `device_id ${showValue(deviceId)} is not a device of tenant ${m.tenantId} at site ${showValue(siteId)} (from ${m.describedBy})`;
}

/**
 * Why a note about (site, device) does not belong to the tenant, or null when it does: a note is
 * about a machine (a device at that site) or a station of that site.
 */
export function noteMembershipProblem(m: TenantMembership, siteId: string, deviceId: string): string | null {
  const asDevice = readingMembershipProblem(m, siteId, deviceId);
  if (asDevice === null || m.sites.get(siteId)?.has(deviceId)) return null;
  return m.devices.has(deviceId) || m.foreignDevices.has(deviceId) || !m.sites.has(siteId) ? asDevice : `${asDevice}, nor a station of that site`;
}

/** Why a scan at (site, station) does not belong to the tenant, or null when it does. */
export function scanMembershipProblem(m: TenantMembership, siteId: string, station: string): string | null {
  const stations = m.sites.get(siteId);
  if (!stations) return siteProblem(m, siteId);
  if (stations.has(station)) return null;
  return `station ${showValue(station)} is not a station of site ${showValue(siteId)} of tenant ${m.tenantId} (its stations: ${[...stations].join(", ") || "none"})`;
}
