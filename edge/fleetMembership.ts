/**
 * A tenant's membership for file loads (pipelines/ingest/tenantMembership.ts), from the two
 * places that say what a tenant owns: its fleet in its stack file (`fleet:sites`: the sites, their
 * stations, and the devices the simulator and `npm start` run, named as syntheticFleet.ts names
 * them) and the device registry (devices provisioned with `scripts/provision.ts`, each with its
 * tenant and site). Every tenant's fleet is read too, so that a reason can name whose device a
 * foreign one is.
 */
import { existsSync } from "node:fs";
import { fleetStacks, readStackFleet } from "./fleetStackFile.ts";
import { SyntheticFleet } from "./syntheticFleet.ts";
import { DeviceRegistry, type DeviceEntry } from "./deviceRegistry.ts";
import type { TenantMembership } from "../pipelines/ingest/tenantMembership.ts";

/** The registered devices in these registry files (the ones that exist). */
export function registeredDevices(paths: readonly string[]): DeviceEntry[] {
  return paths.filter((p) => existsSync(p)).flatMap((p) => DeviceRegistry.open(p).devices);
}

/** What `tenantId` owns, by the stack files in `projectDir` and the registered `devices`. */
export function tenantMembership(projectDir: string, tenantId: string, devices: readonly DeviceEntry[]): TenantMembership {
  const sites = new Map<string, Set<string>>();
  const own = new Map<string, string>();
  const foreign = new Map<string, string>();
  const specs = fleetStacks(projectDir).map((s) => readStackFleet(projectDir, s)!);
  for (const spec of specs) {
    if (spec.tenantId === tenantId) for (const s of spec.sites) sites.set(s.siteId, new Set(s.stations));
  }
  if (specs.length > 0) {
    // The devices the fleet runs, named as the simulator names them (no faults: only the names matter).
    for (const d of new SyntheticFleet(specs, 0, new Date(0), { faults: false }).devices()) {
      if (d.tenantId === tenantId) own.set(d.deviceId, d.siteId);
      else foreign.set(d.deviceId, d.tenantId);
    }
  }
  for (const d of devices) {
    if (d.tenantId !== tenantId) {
      if (!own.has(d.thingName)) foreign.set(d.thingName, d.tenantId);
      continue;
    }
    own.set(d.thingName, d.siteId);
    foreign.delete(d.thingName);
    if (!sites.has(d.siteId)) sites.set(d.siteId, new Set());
  }
  const fleet = specs.some((s) => s.tenantId === tenantId) ? `its fleet (Pulumi.${tenantId}.yaml)` : `its stack file (no fleet:sites)`;
  return { tenantId, sites, devices: own, foreignDevices: foreign, describedBy: `${fleet} and the device registry${devices.length ? "" : " (no devices registered)"}` };
}
