/** A whole local edge path for tests: registry, broker, streaming ingest on a temp warehouse file. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeviceRegistry, INGEST_USERNAME } from "../../edge/deviceRegistry.ts";
import { EmbeddedBroker } from "../../edge/embeddedBroker.ts";
import type { GatewayDevice } from "../../edge/gateway.ts";
import { ChannelLanding } from "../../pipelines/ingest/channelLanding.ts";
import { StreamingIngest } from "../../pipelines/ingest/streamingIngest.ts";
import { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";

export const INGEST_SECRET = "test-ingest-secret";

export function tempDir(prefix = "edge-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Register devices and return them with their secrets, ready for a Gateway. */
export function registerDevices(registry: DeviceRegistry, devices: ReadonlyArray<Omit<GatewayDevice, "password">>): GatewayDevice[] {
  return devices.map((d) => ({ ...d, password: registry.addDevice({ thingName: d.thingName, tenantId: d.tenantId, siteId: d.siteId })! }));
}

export async function startIngest(url: string, dbPath: string): Promise<StreamingIngest> {
  return StreamingIngest.start({ url, username: INGEST_USERNAME, password: INGEST_SECRET, landing: await ChannelLanding.open(dbPath) });
}

export async function startBroker(registry: DeviceRegistry, port = 0): Promise<EmbeddedBroker> {
  registry.setIngestSecret(INGEST_SECRET);
  return EmbeddedBroker.start({ registry, port });
}

/** Rows of a query on the warehouse file (opened after the ingest closed it). */
export async function queryWarehouse<T = Record<string, unknown>>(dbPath: string, sql: string, opts: { silver?: boolean } = {}): Promise<T[]> {
  const engine = await EmbeddedEngine.open({ path: dbPath });
  try {
    if (opts.silver) await engine.executeTask("OPS.VALIDATE_READINGS");
    return await engine.control<T>(sql);
  } finally {
    await engine.close();
  }
}

export function machineReadings(n: number, from: number, start: Date): Array<{ ts: Date; seq: number; metrics: Record<string, unknown> }> {
  return Array.from({ length: n }, (_, i) => ({
    ts: new Date(start.getTime() + (from + i) * 1000),
    seq: from + i,
    metrics: { state: "RUNNING", period_s: 1, cycles: 0, good_parts: 0, ideal_cycle_s: 30, spindle_load_pct: 40 + ((from + i) % 20) },
  }));
}
