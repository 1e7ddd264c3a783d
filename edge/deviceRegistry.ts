/**
 * The embedded broker's local device registry: who may connect, as which identity. Secrets are
 * stored only as salted hashes, compared in constant time, and never logged; the file is written
 * with mode 0600. `scripts/provision.ts --target local` fills it.
 *
 * Two hash schemes: a secret someone chose (the ingest identity's, or one passed in) gets scrypt,
 * whose work factor is what slows the guessing of a human-chosen password; a secret the registry
 * generated itself (192 random bits) gets a salted HMAC-SHA256 — no work factor makes 2^192 guesses
 * any less impossible, and scrypt's ~30 ms per hash and per connection was the main job's largest
 * fixed cost (two per device per run). Both verify.
 */
import { createHmac, randomBytes, scryptSync, timingSafeEqual } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Identity } from "./topicRules.ts";

/** The username the ingest worker connects with; the only identity that may read telemetry. */
export const INGEST_USERNAME = "hub-ingest";

export interface DeviceEntry {
  readonly thingName: string;
  readonly tenantId: string;
  readonly siteId: string;
  /** `scrypt$<salt b64>$<hash b64>`, or `hmac-sha256$<salt b64>$<hash b64>` for a generated secret */
  readonly secretHash: string;
}

export interface RegistryFile {
  readonly version: 1;
  readonly devices: Record<string, DeviceEntry>;
  /** Hash of the ingest identity's secret, when set. */
  readonly ingestSecretHash?: string;
}

const KEY_LEN = 32;

/** `generated`: the secret came from `newSecret()` (random, full entropy), not from a person. */
export function hashSecret(secret: string, opts: { generated?: boolean } = {}): string {
  const salt = randomBytes(16);
  if (opts.generated) return `${HMAC}$${salt.toString("base64")}$${hmac(secret, salt).toString("base64")}`;
  // N=2^14 (the default): ~20 ms per check, paid once per connection.
  const hash = scryptSync(secret, salt, KEY_LEN);
  return `scrypt$${salt.toString("base64")}$${hash.toString("base64")}`;
}

const HMAC = "hmac-sha256";

function hmac(secret: string, salt: Buffer): Buffer {
  return createHmac("sha256", salt).update(secret, "utf8").digest();
}

export function verifySecret(secret: string, stored: string): boolean {
  const [scheme, salt, hash] = stored.split("$");
  if ((scheme !== "scrypt" && scheme !== HMAC) || !salt || !hash) return false;
  const expected = Buffer.from(hash, "base64");
  const actual = scheme === HMAC ? hmac(secret, Buffer.from(salt, "base64")) : scryptSync(secret, Buffer.from(salt, "base64"), expected.length);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A fresh random secret (what a device is given once, at provisioning). */
export function newSecret(): string {
  return randomBytes(24).toString("base64url");
}

/**
 * The hub's one device registry: the file the local broker authenticates against, which
 * `scripts/provision.ts --target local` writes to and the main job adds its fleet to.
 */
export function deviceRegistryPath(home: string): string {
  return join(home, "devices.json");
}

export class DeviceRegistry {
  private data: { devices: Record<string, DeviceEntry>; ingestSecretHash?: string };
  /** The file as this object last read or wrote it (see reloadIfChanged). */
  private stamp = "";

  private constructor(private readonly path: string | null, data: RegistryFile | null) {
    this.data = { devices: { ...(data?.devices ?? {}) }, ...(data?.ingestSecretHash ? { ingestSecretHash: data.ingestSecretHash } : {}) };
  }

  /** An in-memory registry (tests). */
  static inMemory(): DeviceRegistry {
    return new DeviceRegistry(null, null);
  }

  /** The registry in `path`, empty if the file does not exist yet. */
  static open(path: string): DeviceRegistry {
    const data = existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as RegistryFile) : null;
    if (data && data.version !== 1) throw new Error(`${path}: registry version ${String(data.version)} is not supported (1)`);
    const registry = new DeviceRegistry(path, data);
    if (data) registry.stamp = fileStamp(path);
    return registry;
  }

  get devices(): readonly DeviceEntry[] {
    return Object.values(this.data.devices);
  }

  has(thingName: string): boolean {
    return Object.hasOwn(this.data.devices, thingName);
  }

  /**
   * Register a device and return its secret (shown once; only the hash is kept). A device already
   * registered keeps its secret unless `rotate`: then null is returned for it.
   */
  addDevice(d: { thingName: string; tenantId: string; siteId: string }, opts: { rotate?: boolean; secret?: string } = {}): string | null {
    const existing = this.data.devices[d.thingName];
    if (existing && existing.tenantId !== d.tenantId) {
      throw new Error(`device ${d.thingName} is registered to tenant ${existing.tenantId}, not ${d.tenantId}`);
    }
    if (existing && !opts.rotate) return null;
    const secret = opts.secret ?? newSecret();
    this.data.devices[d.thingName] = { ...d, secretHash: hashSecret(secret, { generated: opts.secret === undefined }) };
    this.save();
    return secret;
  }

  /** Set the ingest identity's secret. */
  setIngestSecret(secret: string): void {
    this.data.ingestSecretHash = hashSecret(secret);
    this.save();
  }

  /**
   * Read the file again if another process changed it since this one last read or wrote it:
   * `serve` holds the registry while `scripts/provision.ts` adds devices to it.
   */
  reloadIfChanged(): void {
    if (!this.path || !existsSync(this.path)) return;
    const stamp = fileStamp(this.path);
    if (stamp === this.stamp) return;
    const data = JSON.parse(readFileSync(this.path, "utf8")) as RegistryFile;
    if (data.version !== 1) throw new Error(`${this.path}: registry version ${String(data.version)} is not supported (1)`);
    this.data = { devices: { ...(data.devices ?? {}) }, ...(data.ingestSecretHash ? { ingestSecretHash: data.ingestSecretHash } : {}) };
    this.stamp = stamp;
  }

  /** The identity these credentials prove, or null. The client id must equal the thing name. */
  authenticate(clientId: string, username: string | undefined, password: Buffer | string | undefined): Identity | null {
    if (username === undefined || password === undefined) return null;
    this.reloadIfChanged();
    const secret = typeof password === "string" ? password : password.toString("utf8");
    if (username === INGEST_USERNAME) {
      return this.data.ingestSecretHash && verifySecret(secret, this.data.ingestSecretHash) ? { kind: "ingest" } : null;
    }
    const d = Object.hasOwn(this.data.devices, username) ? this.data.devices[username] : undefined;
    if (!d || clientId !== d.thingName || !verifySecret(secret, d.secretHash)) return null;
    return { kind: "device", tenantId: d.tenantId, thingName: d.thingName };
  }

  private save(): void {
    if (!this.path) return;
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    const file: RegistryFile = { version: 1, ...this.data };
    writeFileSync(tmp, JSON.stringify(file, null, 2), { mode: 0o600 });
    renameSync(tmp, this.path);
    this.stamp = fileStamp(this.path);
  }
}

/** Modification time and size: changes whenever another process rewrites the file (write + rename). */
function fileStamp(path: string): string {
  const st = statSync(path);
  return `${st.mtimeMs}:${st.size}:${st.ino}`;
}
