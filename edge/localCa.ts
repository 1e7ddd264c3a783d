/**
 * The hub's local certificate authority: what AWS IoT Core's CA is to things in production, on one
 * machine. It signs the broker's TLS listener certificate and one client certificate per device
 * (CN = thing name), so devices authenticate to the embedded broker as they do to IoT Core on port
 * 8883: mutual TLS with an X.509 certificate registered to, and attached to, the thing.
 *
 * Keys are RSA 2048, made by node:crypto (native and fast); node-forge builds and signs the
 * certificates, which node:crypto cannot. node-forge signs with RSA keys only (ECDSA is an open
 * request, digitalbazaar/forge#532 and #1113), and IoT Core accepts RSA 2048 client certificates
 * (https://docs.aws.amazon.com/iot/latest/developerguide/x509-client-certs.html), so RSA it is.
 *
 * Layout of the CA folder (mode 0700): `ca.cert.pem` and `ca.key.pem` (mode 0600). The folder is
 * built beside its final place and renamed into it, so two processes opening a new hub at once end
 * with one CA, never a key from one and a certificate from the other. A key that others can read
 * is refused, as ssh refuses an unprotected key file.
 */
import { X509Certificate, createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { basename, dirname, join } from "node:path";
import forge from "node-forge";

const DAY_MS = 86_400_000;
/** Validity of the CA (10 years), and the most a certificate it issues may have (1 year). */
export const CA_VALIDITY_DAYS = 3650;
export const MAX_LEAF_VALIDITY_DAYS = 365;
/** notBefore is set this far back, so a device whose clock is a little behind still accepts it. */
const BACKDATE_MS = 5 * 60_000;

/** IoT Core's thing-name grammar (CreateThing: `[a-zA-Z0-9:_-]+`, 1 to 128 characters). */
const THING_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;
/** A DNS name for a server certificate's SAN: letters, digits, dots and dashes. */
const DNS_NAME = /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

export interface IssuedCertificate {
  readonly certPem: string;
  readonly keyPem: string;
  /** SHA-256 of the certificate's DER, lower-case hex: IoT Core's certificate id. */
  readonly fingerprint: string;
  /** Hex, random (RFC 5280 §4.1.2.2: positive, at most 20 octets). */
  readonly serial: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface IssueOptions {
  /** The issuing time (default now); tests issue certificates already expired or not yet valid. */
  readonly now?: Date;
  /** Days of validity, 1 to MAX_LEAF_VALIDITY_DAYS (default 365). */
  readonly days?: number;
}

/** SHA-256 of a certificate's DER (lower-case hex), the id IoT Core gives a certificate. */
export function certificateFingerprint(cert: string | Buffer): string {
  const der = typeof cert === "string" ? new X509Certificate(cert).raw : cert;
  return createHash("sha256").update(der).digest("hex");
}

function rsaKey(): { keyPem: string; forgeKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.PublicKey } {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  return { keyPem, forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e) };
}

/** 16 random bytes with the top bit clear: a positive serial that no two certificates share. */
function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f;
  if (b[0] === 0) b[0] = 1; // no leading zero octet, which DER would strip
  return b.toString("hex");
}

function validityDays(days: number | undefined): number {
  const d = days ?? MAX_LEAF_VALIDITY_DAYS;
  if (!Number.isInteger(d) || d < 1 || d > MAX_LEAF_VALIDITY_DAYS) {
    throw new RangeError(`days ${JSON.stringify(days)}: a certificate's validity is a whole number of days from 1 to ${MAX_LEAF_VALIDITY_DAYS}`);
  }
  return d;
}

export class LocalCa {
  private readonly caCert: forge.pki.Certificate;

  private constructor(
    readonly dir: string,
    /** The CA certificate (PEM): what devices and the broker trust. */
    readonly certPem: string,
    private readonly caKey: forge.pki.rsa.PrivateKey,
  ) {
    this.caCert = forge.pki.certificateFromPem(certPem);
  }

  static certPath(dir: string): string {
    return join(dir, "ca.cert.pem");
  }

  static keyPath(dir: string): string {
    return join(dir, "ca.key.pem");
  }

  /** The CA in `dir`, created there on first use (10 years, RSA 2048); reloaded thereafter. */
  static open(dir: string, opts: { now?: Date } = {}): LocalCa {
    if (!existsSync(LocalCa.keyPath(dir)) && !existsSync(LocalCa.certPath(dir))) LocalCa.create(dir, opts.now ?? new Date());
    return LocalCa.load(dir, opts.now ?? new Date());
  }

  private static create(dir: string, now: Date): void {
    const key = rsaKey();
    const cert = forge.pki.createCertificate();
    cert.publicKey = key.publicKey;
    cert.serialNumber = randomSerial();
    cert.validity.notBefore = new Date(now.getTime() - BACKDATE_MS);
    cert.validity.notAfter = new Date(now.getTime() + CA_VALIDITY_DAYS * DAY_MS);
    const name = [{ name: "commonName", value: "Manufacturing Data Hub local CA" }, { name: "organizationName", value: "hub (local)" }];
    cert.setSubject(name);
    cert.setIssuer(name);
    cert.setExtensions([
      // pathLen 0: it signs leaves only, never another CA.
      { name: "basicConstraints", cA: true, pathLenConstraint: 0, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
      { name: "subjectKeyIdentifier" },
    ]);
    cert.sign(key.forgeKey, forge.md.sha256.create());
    mkdirSync(dirname(dir), { recursive: true });
    const tmp = join(dirname(dir), `.${basename(dir)}-${process.pid}-${randomBytes(4).toString("hex")}`);
    mkdirSync(tmp, { mode: 0o700 });
    try {
      writeFileSync(LocalCa.keyPath(tmp), key.keyPem, { mode: 0o600 });
      writeFileSync(LocalCa.certPath(tmp), forge.pki.certificateToPem(cert), { mode: 0o644 });
      renameSync(tmp, dir);
    } catch (e) {
      // Another process made the CA first (the target is a folder with files now): use that one.
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "ENOTEMPTY" && code !== "EEXIST") throw e;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  private static load(dir: string, now: Date): LocalCa {
    const keyPath = LocalCa.keyPath(dir);
    const certPath = LocalCa.certPath(dir);
    for (const p of [keyPath, certPath]) {
      if (!existsSync(p)) throw new Error(`local CA ${dir}: ${basename(p)} is missing (the CA is incomplete; restore it, or remove ${dir} to make a new CA and re-provision every device)`);
    }
    const mode = statSync(keyPath).mode & 0o777;
    if (mode & 0o077) {
      throw new Error(`local CA key ${keyPath} has mode ${mode.toString(8).padStart(4, "0")}: others can read it; run chmod 600 ${keyPath}`);
    }
    const certPem = readFileSync(certPath, "utf8");
    const key = forge.pki.privateKeyFromPem(readFileSync(keyPath, "utf8")) as forge.pki.rsa.PrivateKey;
    const ca = new LocalCa(dir, certPem, key);
    const pub = ca.caCert.publicKey as forge.pki.rsa.PublicKey;
    if (pub.n.compareTo(key.n) !== 0) throw new Error(`local CA ${dir}: ca.key.pem is not the key of ca.cert.pem`);
    if (ca.caCert.validity.notAfter.getTime() <= now.getTime()) {
      throw new Error(`local CA ${dir} expired on ${ca.caCert.validity.notAfter.toISOString()}: remove ${dir} to make a new CA and re-provision every device`);
    }
    return ca;
  }

  /** SHA-256 of the CA certificate's DER. */
  get fingerprint(): string {
    return certificateFingerprint(this.certPem);
  }

  get notAfter(): Date {
    return this.caCert.validity.notAfter;
  }

  /**
   * A certificate for the broker's TLS listener: subject alternative names 127.0.0.1, localhost
   * and `hosts` (IP addresses as IP entries, names as DNS entries), for server authentication.
   */
  issueServerCertificate(hosts: readonly string[] = [], opts: IssueOptions = {}): IssuedCertificate {
    const names = new Set(["127.0.0.1", "localhost", ...hosts]);
    const altNames = [...names].map((h) => {
      if (isIP(h)) return { type: 7, ip: h };
      if (!DNS_NAME.test(h)) throw new Error(`host ${JSON.stringify(h)}: not an IP address or a DNS name`);
      return { type: 2, value: h };
    });
    return this.issue(hosts[0] ?? "127.0.0.1", opts, [
      { name: "basicConstraints", cA: false, critical: true },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames },
    ]);
  }

  /** A device's client certificate: CN = its thing name, client authentication only. */
  issueDeviceCertificate(thingName: string, opts: IssueOptions = {}): IssuedCertificate {
    if (!THING_NAME.test(thingName)) {
      throw new Error(`thing name ${JSON.stringify(thingName)}: letters, digits, ':', '_' or '-', 1 to 128 characters (IoT Core's thing-name grammar)`);
    }
    return this.issue(thingName, opts, [
      { name: "basicConstraints", cA: false, critical: true },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
      { name: "extKeyUsage", clientAuth: true },
    ]);
  }

  private issue(commonName: string, opts: IssueOptions, extensions: object[]): IssuedCertificate {
    const days = validityDays(opts.days);
    const now = (opts.now ?? new Date()).getTime();
    const notBefore = new Date(now - BACKDATE_MS);
    // Never past the CA's own end: a chain is only as valid as its shortest link.
    const notAfter = new Date(Math.min(now + days * DAY_MS, this.caCert.validity.notAfter.getTime()));
    const key = rsaKey();
    const cert = forge.pki.createCertificate();
    cert.publicKey = key.publicKey;
    cert.serialNumber = randomSerial();
    cert.validity.notBefore = notBefore;
    cert.validity.notAfter = notAfter;
    cert.setSubject([{ name: "commonName", value: commonName }]);
    cert.setIssuer(this.caCert.subject.attributes);
    cert.setExtensions([
      ...extensions,
      { name: "subjectKeyIdentifier" },
      { name: "authorityKeyIdentifier", keyIdentifier: this.caCert.generateSubjectKeyIdentifier().getBytes() },
    ]);
    cert.sign(this.caKey, forge.md.sha256.create());
    const certPem = forge.pki.certificateToPem(cert);
    return { certPem, keyPem: key.keyPem, fingerprint: certificateFingerprint(certPem), serial: cert.serialNumber, notBefore, notAfter };
  }
}

/** The hub's CA folder: `<hub home>/ca` (the broker's TLS listener and `provision.ts` share it). */
export function localCaDir(home: string): string {
  return join(home, "ca");
}
