/**
 * The fleet simulator as real devices against a running broker (`scripts/simulate.ts --live`):
 * every device of the fleets connects on its own, with its own provisioned credentials (its client
 * certificate over mqtts://, its password over mqtt://), and publishes what the simulator makes as
 * simulated time passes: `speed` simulated seconds per wall second, readings stamped in simulated
 * time. Delivery is the gateway's (edge/gateway.ts): per-device batches of at most 128 KB, QoS 1,
 * one message in flight per device, a durable store-and-forward queue per device on disk, so a
 * broker that goes away costs nothing but time, and what is still queued at a stop is sent by
 * the next run.
 *
 * Simulated time runs ahead of the wall clock when `speed` > 1; the hub quarantines a reading more
 * than TIMESTAMP_LIMITS.maxFutureSeconds (300 s) ahead of its arrival (payloadSchemas.ts), so a
 * long fast run should start in the past (`backfillStart` gives the start that ends at the wall
 * clock). Each run records where its simulated time ended, and the next one does not start before
 * it: readings' sequence numbers are their time (syntheticFleet.ts), and silver deduplicates on
 * (tenant, device, seq), so going back over simulated time already sent would be dropped as copies.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import mqtt from "mqtt";
import { Gateway, type DeviceReading, type GatewayDevice, type GatewayStats } from "./gateway.ts";
import { SyntheticFleet, type TenantFleetSpec } from "./syntheticFleet.ts";
import { fleetThings, queueSiteScans, type FleetThing } from "./fleetDevices.ts";
import { credentialFiles } from "./provisioning.ts";
import { TIMESTAMP_LIMITS } from "../pipelines/quality/metricRules.ts";
import type { RawReading, RawScan } from "../pipelines/ingest/rawRecords.ts";

/** A problem with what the user gave (credentials, broker): one line, no stack. */
export class LiveFleetError extends Error {
  override readonly name = "LiveFleetError";
}

export interface LiveFleetOptions {
  /** mqtt://host:port (passwords) or mqtts://host:port (client certificates). */
  readonly url: string;
  readonly specs: readonly TenantFleetSpec[];
  /** Folder with one folder per tenant of credentials, as scripts/provision.ts writes them. */
  readonly credentialsDir: string;
  /** Folder of the devices' store-and-forward queues and of the run state. */
  readonly queueDir: string;
  /** Simulated seconds per wall second (1: real time). */
  readonly speed: number;
  /** Simulated start (a whole second); moved to the last run's end when that is later. */
  readonly start: Date;
  /** Simulated hours to run; none: until stop(). */
  readonly hours?: number;
  readonly seed: number;
  readonly faults?: boolean;
  /** Wall milliseconds between windows handed to the gateway. Default 1000 / min(speed, 10), at least 100. */
  readonly tickMs?: number;
  /** Wall clock (tests). Default Date.now. */
  readonly wallNow?: () => number;
}

export interface LiveFleetCounts {
  readonly devices: number;
  /** Simulated time reached. */
  readonly simulatedTo: Date;
  /** Readings and scans handed to the devices' queues in this run. */
  readonly published: number;
  /** Acknowledged by the broker (PUBACK) in this run. */
  readonly acknowledged: number;
  /** Still in the queues (sent next run), earlier runs' leftovers included. */
  readonly queued: number;
  /** Dropped or refused by the queues' overflow policy (counted, never silent). */
  readonly dropped: number;
  /** Left queued by an earlier run when this one started. */
  readonly carriedOver: number;
  readonly connects: number;
  readonly connectFailures: number;
}

interface RunState {
  /** ISO time the last run's simulated clock reached. */
  readonly simulatedTo: string;
}

const STATE_FILE = "live-state.json";

/** The start at which a run of `hours` at `speed` ends at the wall clock `now` (a backfill that never runs ahead). */
export function backfillStart(now: Date, hours: number, speed: number): Date {
  const simMs = hours * 3_600_000;
  return new Date(Math.floor((now.getTime() - simMs + simMs / speed) / 1000) * 1000);
}

/** How many wall seconds until simulated time is more than the hub's future limit ahead; null if never. */
export function secondsUntilAhead(speed: number, startAheadMs = 0): number | null {
  if (speed <= 1) return startAheadMs > TIMESTAMP_LIMITS.maxFutureSeconds * 1000 ? 0 : null;
  return Math.max(0, (TIMESTAMP_LIMITS.maxFutureSeconds * 1000 - startAheadMs) / 1000 / (speed - 1));
}

function readCredentials(things: readonly FleetThing[], root: string, tls: boolean): GatewayDevice[] {
  const missing = new Map<string, string[]>();
  const out: GatewayDevice[] = [];
  for (const t of things) {
    const dir = join(root, t.tenantId);
    const files = tls ? [credentialFiles.certificate(t.thingName), credentialFiles.privateKey(t.thingName), credentialFiles.ca] : [credentialFiles.secret(t.thingName)];
    const absent = files.filter((f) => !existsSync(join(dir, f)));
    if (absent.length) {
      missing.set(t.tenantId, [...(missing.get(t.tenantId) ?? []), join(dir, absent[0]!)]);
      continue;
    }
    const base = { thingName: t.thingName, tenantId: t.tenantId, siteId: t.siteId, sensorType: t.sensorType };
    const read = (f: string) => readFileSync(join(dir, f), "utf8");
    out.push(
      tls
        ? { ...base, tls: { cert: read(files[0]!), key: read(files[1]!), ca: read(files[2]!) } }
        : { ...base, password: read(files[0]!).trim() },
    );
  }
  if (missing.size) {
    const [tenant, files] = [...missing][0]!;
    const more = [...missing].reduce((n, [, f]) => n + f.length, 0) - 1;
    throw new LiveFleetError(
      `no ${tls ? "certificate" : "password"} for ${files.length} device(s) of tenant ${tenant}: ${files[0]} is missing${more > 0 ? ` (and ${more} more)` : ""}; ` +
        `run scripts/provision.ts --tenant ${tenant} --fleet first${[...missing.keys()].length > 1 ? ` (and for ${[...missing.keys()].slice(1).join(", ")})` : ""}`,
    );
  }
  return out;
}

/**
 * One device's connection, made once before the run: a broker that cannot be reached, or that
 * refuses the credentials, is said plainly here rather than retried in silence by the gateway.
 */
async function probe(url: string, d: GatewayDevice): Promise<void> {
  try {
    const client = await mqtt.connectAsync(url, {
      clientId: d.thingName, reconnectPeriod: 0, connectTimeout: 10_000,
      ...(d.tls ? { cert: d.tls.cert, key: d.tls.key, ca: d.tls.ca } : { username: d.thingName, password: d.password }),
    });
    await client.endAsync();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const text = `${err.code ?? ""} ${err.message}`;
    if (/ECONNREFUSED|EHOSTUNREACH|ENOTFOUND|ETIMEDOUT|connack timeout|EAI_AGAIN/i.test(text)) {
      throw new LiveFleetError(`cannot reach the broker at ${url} (${err.code ?? err.message}): is the hub running (npm run serve)? Its address is in <hub home>/serve.json`);
    }
    if (/altnames|ERR_TLS_CERT_ALTNAME_INVALID/i.test(text)) {
      throw new LiveFleetError(`the broker's certificate is not for the host in ${url} (${err.message}): use 127.0.0.1, localhost or a host the hub issued its certificate for`);
    }
    if (/self.signed|unable to verify|UNABLE_TO_GET_ISSUER|DEPTH_ZERO|CERT_/i.test(text)) {
      throw new LiveFleetError(`the broker at ${url} presented a certificate the devices' CA does not sign (${err.message}): provision with the same hub home as the broker's`);
    }
    if (/Not authorized|Bad username or password|socket hang up|ECONNRESET/i.test(text)) {
      throw new LiveFleetError(
        `the broker at ${url} refused device ${d.thingName} (${err.message}): its credentials are not the broker's registry's; run scripts/provision.ts --tenant ${d.tenantId} --fleet with the broker's hub home`,
      );
    }
    throw new LiveFleetError(`connecting to ${url} as ${d.thingName} failed: ${err.message}`);
  }
}

export class LiveFleet {
  private stopping = false;
  private wake: (() => void) | null = null;
  private simTo: number;
  private readonly end: number | null;
  private readonly startCounts: GatewayStats;

  private constructor(
    private readonly opts: LiveFleetOptions,
    private readonly fleet: SyntheticFleet,
    private readonly gateway: Gateway,
    readonly devices: readonly GatewayDevice[],
    /** The simulated start actually used (the last run's end, when later than asked). */
    readonly start: Date,
  ) {
    this.simTo = start.getTime();
    this.end = opts.hours === undefined ? null : start.getTime() + opts.hours * 3_600_000;
    this.startCounts = gateway.stats();
  }

  /** Read every device's credentials, check one connection, and open the devices' queues. */
  static async open(opts: LiveFleetOptions): Promise<LiveFleet> {
    const scheme = /^(mqtts?):\/\/[^/]+$/.exec(opts.url)?.[1];
    if (!scheme) throw new LiveFleetError(`--broker ${JSON.stringify(opts.url)}: mqtt://HOST:PORT or mqtts://HOST:PORT`);
    if (!(opts.speed > 0) || !Number.isFinite(opts.speed)) throw new LiveFleetError(`speed ${opts.speed}: a positive number of simulated seconds per wall second`);
    const things = fleetThings(opts.specs);
    const devices = readCredentials(things, opts.credentialsDir, scheme === "mqtts");
    await probe(opts.url, devices[0]!);
    mkdirSync(opts.queueDir, { recursive: true });
    const statePath = join(opts.queueDir, STATE_FILE);
    const last = existsSync(statePath) ? Date.parse((JSON.parse(readFileSync(statePath, "utf8")) as RunState).simulatedTo) : NaN;
    const start = new Date(Math.max(Math.floor(opts.start.getTime() / 1000) * 1000, Number.isFinite(last) ? last : 0));
    const fleet = new SyntheticFleet(opts.specs, opts.seed, start, { faults: opts.faults ?? true });
    const gateway = new Gateway({ url: opts.url, dir: opts.queueDir, devices });
    return new LiveFleet(opts, fleet, gateway, devices, start);
  }

  /**
   * Run until `hours` of simulated time have been published (or stop() is called), then wait up to
   * `drainMs` for the broker to acknowledge what is queued, and stop the connections. Resolves with
   * the counts; what is not acknowledged stays queued on disk for the next run.
   */
  async run(opts: { drainMs?: number; onProgress?: (c: LiveFleetCounts) => void } = {}): Promise<LiveFleetCounts> {
    const wallNow = this.opts.wallNow ?? Date.now;
    const tickMs = this.opts.tickMs ?? Math.max(100, Math.round(1000 / Math.min(this.opts.speed, 10)));
    const wall0 = wallNow();
    const sim0 = this.simTo;
    this.gateway.start();
    try {
      while (!this.stopping) {
        const target = sim0 + (wallNow() - wall0) * this.opts.speed;
        const to = this.end === null ? target : Math.min(this.end, target);
        await this.publishUntil(to);
        opts.onProgress?.(this.counts());
        if (this.end !== null && to >= this.end) break;
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, tickMs);
          this.wake = () => (clearTimeout(t), resolve());
        });
        this.wake = null;
      }
      // A stop publishes what the simulated clock has reached, so the counts cover it.
      if (this.stopping) {
        const target = sim0 + (wallNow() - wall0) * this.opts.speed;
        await this.publishUntil(this.end === null ? target : Math.min(this.end, target));
      }
      writeFileSync(join(this.opts.queueDir, STATE_FILE), JSON.stringify({ simulatedTo: new Date(this.simTo).toISOString() } satisfies RunState));
      await this.gateway.drained(opts.drainMs ?? 10_000).catch(() => undefined);
    } finally {
      await this.gateway.stop();
    }
    return this.counts();
  }

  /** Ask run() to finish: publish up to now, flush, stop. */
  stop(): void {
    this.stopping = true;
    this.wake?.();
  }

  private async publishUntil(to: number): Promise<void> {
    if (to <= this.simTo) return;
    this.simTo = to;
    this.add(this.fleet.readingsUntil(new Date(to)), this.fleet.scansUntil(new Date(to)));
    // Let the devices' sender loops run between windows.
    await new Promise((resolve) => setImmediate(resolve));
  }

  private add(readings: readonly RawReading[], scans: readonly RawScan[]): void {
    const byDevice = new Map<string, DeviceReading[]>();
    for (const r of readings) {
      let list = byDevice.get(r.deviceId);
      if (!list) byDevice.set(r.deviceId, (list = []));
      list.push({ ts: r.ts, seq: r.seq, metrics: (r.payload as { metrics: Record<string, unknown> }).metrics });
    }
    for (const [device, list] of byDevice) this.gateway.add(device, list);
    queueSiteScans(this.gateway, scans);
  }

  counts(): LiveFleetCounts {
    const g = this.gateway.stats();
    const s = this.startCounts;
    return {
      devices: this.devices.length,
      simulatedTo: new Date(this.simTo),
      published: g.producedReadings,
      acknowledged: g.sentReadings,
      queued: g.queuedReadings,
      dropped: g.droppedReadings - s.droppedReadings + g.rejectedReadings - s.rejectedReadings,
      carriedOver: s.queuedReadings,
      connects: g.connects,
      connectFailures: g.connectFailures,
    };
  }
}
