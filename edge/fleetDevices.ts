/**
 * The devices a tenant's fleet runs, as things: every sensor the simulator makes (named as
 * syntheticFleet.ts names them) and one RFID scanner per site, each with the topic sensor type it
 * publishes under. One list for the three places that must agree on it: `npm start` (which
 * registers them in its broker), `scripts/provision.ts --fleet` (which gives them credentials) and
 * `scripts/simulate.ts --live` (which connects as them).
 */
import { SyntheticFleet, type TenantFleetSpec } from "./syntheticFleet.ts";
import type { TopicSensorType } from "./topicRules.ts";
import type { RawScan } from "../pipelines/ingest/rawRecords.ts";
import type { Gateway } from "./gateway.ts";
import { MAX_MESSAGE_BYTES } from "../pipelines/quality/payloadSchemas.ts";
import { groupBy } from "../pipelines/groupBy.ts";

export interface FleetThing {
  readonly thingName: string;
  readonly tenantId: string;
  readonly siteId: string;
  readonly sensorType: TopicSensorType;
}

/** The scanner that reads a site's RFID tags: one per site. */
export function scannerId(siteId: string): string {
  return `${siteId}-rfid`;
}

const TOPIC_TYPE = { MACHINE: "machine", ENERGY: "energy", AIR_QUALITY: "air_quality" } as const;

/** Every device of these fleets: sensors site by site (machines, meters, air), then the scanners. */
export function fleetThings(specs: readonly TenantFleetSpec[]): FleetThing[] {
  // Only the names and types matter here: no faults, any seed and start.
  const sim = new SyntheticFleet(specs, 0, new Date(0), { faults: false });
  const sensors = sim.devices().map((d) => ({ thingName: d.deviceId, tenantId: d.tenantId, siteId: d.siteId, sensorType: TOPIC_TYPE[d.sensorType] }));
  const scanners = sim.tenants.flatMap((t) => t.sites.map((s) => ({ thingName: scannerId(s.spec.siteId), tenantId: t.tenantId, siteId: s.spec.siteId, sensorType: "rfid" as const })));
  return [...sensors, ...scanners];
}

/** A simulated scan as a scanner message carries it (payloadSchemas.ts scanV1: RAW.JOB_SCANS' columns). */
export function scanMessageItem(s: RawScan): Record<string, string | null> {
  return { job_id: s.jobId, product_id: s.productId, product_variant: s.productVariant, station: s.station, scan_ts: s.scanTs.toISOString(), operator_id: s.operatorId };
}

/**
 * Queue scans on their site's scanner, in as few messages as fit the size limit (a site's scans
 * halved until they do): what npm start's edge and `simulate --live` both send.
 */
export function queueSiteScans(gateway: Gateway, scans: readonly RawScan[]): void {
  for (const [site, list] of groupBy(scans, (s) => s.siteId)) queueScans(gateway, scannerId(site), list.map(scanMessageItem));
}

function queueScans(gateway: Gateway, scanner: string, scans: readonly object[]): void {
  if (scans.length === 0) return;
  const { queued, bytes } = gateway.addScans(scanner, scans);
  // Queued, or refused by the queue's overflow policy (which counts it).
  if (queued || bytes <= MAX_MESSAGE_BYTES) return;
  if (scans.length === 1) throw new Error(`${scanner}: one scan is ${bytes} bytes, over the message limit`);
  const half = Math.ceil(scans.length / 2);
  queueScans(gateway, scanner, scans.slice(0, half));
  queueScans(gateway, scanner, scans.slice(half));
}
