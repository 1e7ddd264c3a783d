/**
 * A hub for file-load tests, composed as scripts/load.ts composes it: the warehouse file (an
 * engine), a landing on it, the file instance, and each tenant's membership from the repository's
 * stack files (acme, globex) plus any registered devices a test adds.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import { FileIo } from "../../pipelines/engine/fileIo.ts";
import { ChannelLanding } from "../../pipelines/ingest/channelLanding.ts";
import { loadFile, type FileLoadOptions, type FileLoadResult } from "../../pipelines/ingest/fileLoad.ts";
import { PROJECT_DIR } from "../../edge/fleetStackFile.ts";
import { tenantMembership } from "../../edge/fleetMembership.ts";
import type { DeviceEntry } from "../../edge/deviceRegistry.ts";

export interface LoadHub {
  readonly engine: EmbeddedEngine;
  readonly landing: ChannelLanding;
  readonly files: FileIo;
  /** Registered devices (as the device registry would hold them) the memberships include. */
  readonly devices: DeviceEntry[];
  load(tenant: string, path: string, opts?: Partial<FileLoadOptions>): Promise<FileLoadResult>;
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  close(): Promise<void>;
}

export async function openLoadHub(dbPath: string): Promise<LoadHub> {
  const engine = await EmbeddedEngine.open({ path: dbPath });
  const landing = await ChannelLanding.onEngine(engine);
  const files = await FileIo.open();
  const devices: DeviceEntry[] = [];
  return {
    engine, landing, files, devices,
    load: (tenant, path, opts = {}) => loadFile(landing, tenant, path, { files, membership: tenantMembership(PROJECT_DIR, tenant, devices), ...opts }),
    query: (sql) => engine.control(sql),
    close: async () => {
      files.close();
      await landing.close();
      await engine.close();
    },
  };
}

/** A registered device of a tenant (the registry's other fields do not matter to a load). */
export function registered(tenantId: string, siteId: string, thingName: string): DeviceEntry {
  return { thingName, tenantId, siteId, secretHash: "scrypt$x$x" };
}

const run = promisify(execFile);

/** `scripts/load.ts ARGS` in a child process on hub home `home`: its exit code, stdout and stderr. */
export async function loadCli(home: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const tsx = join(process.cwd(), "node_modules", ".bin", "tsx");
  try {
    const r = await run(tsx, ["scripts/load.ts", ...args], { env: { ...process.env, HUB_HOME: home }, maxBuffer: 64 << 20 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}
