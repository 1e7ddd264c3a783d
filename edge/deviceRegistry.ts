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
 *
 * Device certificates (MQTT over TLS, edge/localCa.ts) are recorded by their SHA-256 fingerprint,
 * IoT Core's certificate id, each attached to one thing and in one of IoT Core's certificate states
 * that a user may set: ACTIVE, INACTIVE, REVOKED. Only an ACTIVE certificate authenticates
 * (https://docs.aws.amazon.com/iot/latest/apireference/API_UpdateCertificate.html: "Certificates
 * must be in the ACTIVE state to authenticate devices"), and a revoked one keeps that state for
 * good (https://docs.aws.amazon.com/iot/latest/developerguide/revoke-ca-cert.html: "Once a
 * certificate is revoked, it's status can't be changed"). A registry backed by a file re-reads it when
 * another process (scripts/provision.ts) has changed it, before it authenticates a connection: a
 * device provisioned, or a certificate deactivated, while the broker runs is known at the next
 * connection.
 */
import { createHmac, randomBytes, scryptSync, timingSafeEqual } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Identity } from "./topicRules.ts";
import { withFileLock } from "./fileLock.ts";

/** The username the ingest worker connects with; the only identity that may read telemetry. */
export const INGEST_USERNAME = "hub-ingest";

export interface DeviceEntry {
  readonly thingName: string;
  readonly tenantId: string;
  readonly siteId: string;
  /** `scrypt$<salt b64>$<hash b64>`, or `hmac-sha256$<salt b64>$<hash b64>` for a generated secret */
  readonly secretHash: string;
}

/** The certificate states a user sets in IoT Core (UpdateCertificate's newStatus, less the internal ones). */
export const CERTIFICATE_STATUSES = ["ACTIVE", "INACTIVE", "REVOKED"] as const;
export type CertificateStatus = (typeof CERTIFICATE_STATUSES)[number];

export interface CertificateEntry {
  /** SHA-256 of the certificate's DER, lower-case hex (IoT Core's certificate id). */
  readonly fingerprint: string;
  /** The thing it is attached to: the only client id it may connect as. */
  readonly thingName: string;
  readonly status: CertificateStatus;
  /** ISO 8601: the end of its validity (TLS refuses it after; kept to list what expires when). */
  readonly notAfter: string;
  readonly registeredAt: string;
}

export interface RegistryFile {
  readonly version: 1;
  readonly devices: Record<string, DeviceEntry>;
  /** Hash of the ingest identity's secret, when set. */
  readonly ingestSecretHash?: string;
  /** Device certificates by fingerprint (absent in files from before TLS). */
  readonly certificates?: Record<string, CertificateEntry>;
}

/** Why a certificate did not authenticate, for the broker's counters and log. */
export type CertificateRefusal = "unknown certificate" | `certificate ${Exclude<CertificateStatus, "ACTIVE">}` | "client id is not the certificate's thing" | "thing not registered";

const FINGERPRINT = /^[0-9a-f]{64}$/;

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

function readRegistryFile(path: string): RegistryFile | null {
  if (!existsSync(path)) return null;
  const data = JSON.parse(readFileSync(path, "utf8")) as RegistryFile;
  if (data.version !== 1) throw new Error(`${path}: registry version ${String(data.version)} is not supported (1)`);
  return data;
}

type RegistryData = { devices: Record<string, DeviceEntry>; ingestSecretHash?: string; certificates: Record<string, CertificateEntry> };

function registryData(data: RegistryFile | null): RegistryData {
  return {
    devices: { ...(data?.devices ?? {}) },
    ...(data?.ingestSecretHash ? { ingestSecretHash: data.ingestSecretHash } : {}),
    certificates: { ...(data?.certificates ?? {}) },
  };
}

export class DeviceRegistry {
  private data: RegistryData;
  /** The file's mtime and size when last read or written (refresh re-reads on a change). */
  private seen = "";

  private constructor(private readonly path: string | null, data: RegistryFile | null) {
    this.data = registryData(data);
    this.seen = this.fileStamp();
  }

  /** An in-memory registry (tests). */
  static inMemory(): DeviceRegistry {
    return new DeviceRegistry(null, null);
  }

  /** The registry in `path`, empty if the file does not exist yet. */
  static open(path: string): DeviceRegistry {
    return new DeviceRegistry(path, readRegistryFile(path));
  }

  private fileStamp(): string {
    if (!this.path) return "";
    try {
      const st = statSync(this.path);
      return `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch {
      return "";
    }
  }

  /** Re-read the file if another process changed it since this registry last read or wrote it. */
  refresh(): void {
    if (!this.path) return;
    const stamp = this.fileStamp();
    if (stamp === this.seen) return;
    this.data = registryData(readRegistryFile(this.path));
    this.seen = stamp;
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
    return this.change(() => {
      const existing = this.data.devices[d.thingName];
      if (existing && existing.tenantId !== d.tenantId) {
        throw new Error(`device ${d.thingName} is registered to tenant ${existing.tenantId}, not ${d.tenantId}`);
      }
      if (existing && !opts.rotate) return { result: null, changed: false };
      const secret = opts.secret ?? newSecret();
      this.data.devices[d.thingName] = { ...d, secretHash: hashSecret(secret, { generated: opts.secret === undefined }) };
      return { result: secret, changed: true };
    });
  }

  /** Set the ingest identity's secret. */
  setIngestSecret(secret: string): void {
    // Hashed (scrypt, ~20 ms) before taking the lock, which other processes wait for.
    const hash = hashSecret(secret);
    this.change(() => {
      this.data.ingestSecretHash = hash;
      return { result: undefined, changed: true };
    });
  }

  /** Is `secret` the device's current secret? (A secret file left stale by a rotation is not.) */
  secretMatches(thingName: string, secret: string): boolean {
    this.refresh();
    const d = this.device(thingName);
    return !!d && verifySecret(secret, d.secretHash);
  }

  /** The device registered as `thingName`, if any. */
  device(thingName: string): DeviceEntry | undefined {
    return Object.hasOwn(this.data.devices, thingName) ? this.data.devices[thingName] : undefined;
  }

  /** Every certificate, or those attached to `thingName`. */
  certificates(thingName?: string): CertificateEntry[] {
    const all = Object.values(this.data.certificates);
    return thingName === undefined ? all : all.filter((c) => c.thingName === thingName);
  }

  certificate(fingerprint: string): CertificateEntry | undefined {
    return Object.hasOwn(this.data.certificates, fingerprint) ? this.data.certificates[fingerprint] : undefined;
  }

  /**
   * Record a device certificate, attached to a registered thing, ACTIVE unless `status` says
   * otherwise (RegisterCertificate + AttachThingPrincipal in IoT Core). A certificate already
   * recorded for the same thing is left as it is; for another thing it is refused.
   */
  registerCertificate(c: { fingerprint: string; thingName: string; notAfter: Date }, status: CertificateStatus = "ACTIVE"): CertificateEntry {
    if (!FINGERPRINT.test(c.fingerprint)) throw new Error(`certificate fingerprint ${JSON.stringify(c.fingerprint)}: 64 lower-case hex digits (SHA-256 of the DER)`);
    if (!CERTIFICATE_STATUSES.includes(status)) throw new Error(`certificate status ${JSON.stringify(status)}: one of ${CERTIFICATE_STATUSES.join(", ")}`);
    return this.change(() => {
      if (!this.has(c.thingName)) throw new Error(`thing ${c.thingName} is not registered: register the device before attaching a certificate to it`);
      const existing = this.certificate(c.fingerprint);
      if (existing) {
        if (existing.thingName !== c.thingName) throw new Error(`certificate ${c.fingerprint} is attached to ${existing.thingName}, not ${c.thingName}`);
        return { result: existing, changed: false };
      }
      const entry: CertificateEntry = { fingerprint: c.fingerprint, thingName: c.thingName, status, notAfter: c.notAfter.toISOString(), registeredAt: new Date().toISOString() };
      this.data.certificates[c.fingerprint] = entry;
      return { result: entry, changed: true };
    });
  }

  /** UpdateCertificate: ACTIVE ⇄ INACTIVE, either to REVOKED; a revoked certificate stays revoked (no other state). */
  setCertificateStatus(fingerprint: string, status: CertificateStatus): CertificateEntry {
    if (!CERTIFICATE_STATUSES.includes(status)) throw new Error(`certificate status ${JSON.stringify(status)}: one of ${CERTIFICATE_STATUSES.join(", ")}`);
    return this.change(() => {
      const existing = this.certificate(fingerprint);
      if (!existing) throw new Error(`certificate ${fingerprint} is not registered`);
      if (existing.status === "REVOKED" && status !== "REVOKED") throw new Error(`certificate ${fingerprint} is REVOKED: a revoked certificate cannot be made ${status} (issue a new one)`);
      const entry = { ...existing, status };
      this.data.certificates[fingerprint] = entry;
      return { result: entry, changed: true };
    });
  }

  /** Is this certificate (still) ACTIVE? Re-reads the file if another process changed it. */
  isCertificateActive(fingerprint: string): boolean {
    this.refresh();
    return this.certificate(fingerprint)?.status === "ACTIVE";
  }

  /**
   * The identity a TLS client certificate proves (the TLS layer has already checked its chain to
   * the local CA and its validity period): it must be registered, ACTIVE, and attached to the
   * thing named by the client id (the IoT policy's iot:Connect on client/${iot:Connection.Thing.ThingName}
   * with iot:Connection.Thing.IsAttached, edge/topicRules.ts).
   */
  authenticateCertificate(clientId: string, fingerprint: string): { identity: Identity } | { refused: CertificateRefusal } {
    this.refresh();
    const c = this.certificate(fingerprint);
    if (!c) return { refused: "unknown certificate" };
    if (c.status !== "ACTIVE") return { refused: `certificate ${c.status}` };
    if (clientId !== c.thingName) return { refused: "client id is not the certificate's thing" };
    const d = this.device(c.thingName);
    if (!d) return { refused: "thing not registered" };
    return { identity: { kind: "device", tenantId: d.tenantId, thingName: d.thingName } };
  }

  /** The identity these credentials prove, or null. The client id must equal the thing name. */
  authenticate(clientId: string, username: string | undefined, password: Buffer | string | undefined): Identity | null {
    if (username === undefined || password === undefined) return null;
    this.refresh();
    const secret = typeof password === "string" ? password : password.toString("utf8");
    if (username === INGEST_USERNAME) {
      return this.data.ingestSecretHash && verifySecret(secret, this.data.ingestSecretHash) ? { kind: "ingest" } : null;
    }
    const d = Object.hasOwn(this.data.devices, username) ? this.data.devices[username] : undefined;
    if (!d || clientId !== d.thingName || !verifySecret(secret, d.secretHash)) return null;
    return { kind: "device", tenantId: d.tenantId, thingName: d.thingName };
  }

  /**
   * A change read, made and written under the registry's lock file: serve, provision and npm start
   * each change devices.json, and without it one's read-modify-write could drop another's device.
   */
  private change<T>(fn: () => { result: T; changed: boolean }): T {
    const run = () => {
      this.refresh();
      const { result, changed } = fn();
      if (changed) this.save();
      return result;
    };
    if (!this.path) return run();
    mkdirSync(dirname(this.path), { recursive: true });
    return withFileLock(`${this.path}.lock`, run);
  }

  private save(): void {
    if (!this.path) return;
    mkdirSync(dirname(this.path), { recursive: true });
    // A temporary file of this process's own: two processes saving at once (serve and provision)
    // would otherwise write one file and the second rename would find it gone.
    const tmp = `${this.path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    const file: RegistryFile = { version: 1, ...this.data };
    writeFileSync(tmp, JSON.stringify(file, null, 2), { mode: 0o600 });
    renameSync(tmp, this.path);
    this.seen = this.fileStamp();
  }
}
