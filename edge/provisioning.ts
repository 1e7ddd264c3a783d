/**
 * Device provisioning, locally (credentials in the embedded broker's registry, certificates from
 * the hub's local CA, edge/localCa.ts) or in AWS IoT Core
 * (thing, certificate and keys, the tenant's policy, thing group). Both are idempotent: a second
 * run finds everything in place and changes nothing. Secrets and private keys are written to files
 * with mode 0600 and never printed; the result names the files.
 */
import { X509Certificate } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  AddThingToThingGroupCommand, AttachPolicyCommand, AttachThingPrincipalCommand, CreateKeysAndCertificateCommand, CreatePolicyCommand,
  CreateThingCommand, CreateThingGroupCommand, DescribeThingCommand, DescribeThingGroupCommand, GetPolicyCommand, ListThingGroupsForThingCommand,
  ListThingPrincipalsCommand, type IoTClient,
} from "@aws-sdk/client-iot";
import { DeviceRegistry } from "./deviceRegistry.ts";
import { certificateFingerprint, type LocalCa } from "./localCa.ts";
import { tenantDevicePolicy } from "./topicRules.ts";
import { thingNames } from "./thingNames.ts";

export interface ProvisionRequest {
  readonly tenantId: string;
  readonly siteId: string;
  readonly devices: number;
  /** Directory for secrets / keys (created mode 0700). */
  readonly credentialsDir: string;
}

export interface ProvisionedDevice {
  readonly thingName: string;
  /**
   * created: new in this run; exists: in place and its credentials files work (nothing changed);
   * renewed: its secret or certificate file was missing, stale (rotated elsewhere), from another
   * CA or within RENEW_BEFORE_DAYS of expiry, so a new one was issued; rotated: new ones on --rotate.
   */
  readonly status: "created" | "exists" | "renewed" | "rotated";
  /** File holding the secret or private key, when written in this run. */
  readonly credentialFile: string | null;
  /** The device certificate's fingerprint (local target with a CA). */
  readonly certificate?: string;
}

/** A device to provision: its thing name, tenant and site. */
export interface ThingToProvision {
  readonly thingName: string;
  readonly tenantId: string;
  readonly siteId: string;
}

export interface LocalProvisionOptions {
  /** Also issue each device a client certificate from this CA (MQTT over TLS). */
  readonly ca?: LocalCa;
  /** Issue every device a new secret and certificate; its earlier certificates become INACTIVE. */
  readonly rotate?: boolean;
  /** The time certificates are checked and issued at (default now). */
  readonly now?: Date;
}

/** A certificate this close to its end is replaced by the next provisioning run. */
export const RENEW_BEFORE_DAYS = 30;

export { thingNames } from "./thingNames.ts";

function writeSecretFile(dir: string, name: string, content: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, name);
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600); // the mode above applies only when the file is created
  return path;
}

/** Credential file names in a device's credentials folder (the same as the AWS target's). */
export const credentialFiles = {
  secret: (thing: string) => `${thing}.secret`,
  certificate: (thing: string) => `${thing}.cert.pem`,
  privateKey: (thing: string) => `${thing}.private.key`,
  /** The CA the broker's certificate chains to, for the device to verify the broker with. */
  ca: "ca.cert.pem",
} as const;

function readIfExists(path: string): string | null {
  return existsSync(path) ? readFileSync(path, "utf8") : null;
}

/** Does the certificate in `certPem` still work: ours, ACTIVE, attached to `thing`, from `ca`, not about to expire? */
function certificateWorks(registry: DeviceRegistry, ca: LocalCa, thing: string, certPem: string | null, keyPem: string | null, now: Date): string | null {
  if (certPem === null || keyPem === null) return null;
  let x: X509Certificate;
  try {
    x = new X509Certificate(certPem);
  } catch {
    return null;
  }
  const fingerprint = certificateFingerprint(x.raw);
  const entry = registry.certificate(fingerprint);
  if (!entry || entry.thingName !== thing || entry.status !== "ACTIVE") return null;
  const caCert = new X509Certificate(ca.certPem);
  if (!x.checkIssued(caCert) || !x.verify(caCert.publicKey)) return null;
  if (Date.parse(x.validTo) - now.getTime() < RENEW_BEFORE_DAYS * 86_400_000) return null;
  return fingerprint;
}

/**
 * Give each device working local credentials in `credentialsDir`, changing nothing that already
 * works: `<thing>.secret` for the plain listener (password), and with a CA `<thing>.cert.pem` and
 * `<thing>.private.key` for the TLS listener, plus the CA's certificate (`ca.cert.pem`). Every
 * file mode 0600. A second run finds everything in place and changes nothing.
 */
export function provisionLocalThings(registry: DeviceRegistry, things: readonly ThingToProvision[], credentialsDir: string, opts: LocalProvisionOptions = {}): ProvisionedDevice[] {
  const now = opts.now ?? new Date();
  if (opts.ca && readIfExists(join(credentialsDir, credentialFiles.ca)) !== opts.ca.certPem) writeSecretFile(credentialsDir, credentialFiles.ca, opts.ca.certPem);
  return things.map((t) => {
    let created = false;
    let changed = false;
    let credentialFile: string | null = null;
    const secretPath = join(credentialsDir, credentialFiles.secret(t.thingName));
    if (!registry.has(t.thingName)) {
      credentialFile = writeSecretFile(credentialsDir, credentialFiles.secret(t.thingName), `${registry.addDevice({ thingName: t.thingName, tenantId: t.tenantId, siteId: t.siteId })!}\n`);
      created = true;
    } else {
      const onFile = readIfExists(secretPath)?.trim();
      if (opts.rotate || !onFile || !registry.secretMatches(t.thingName, onFile)) {
        // The registry holds only a hash: a lost or stale secret can only be replaced.
        const secret = registry.addDevice({ thingName: t.thingName, tenantId: t.tenantId, siteId: t.siteId }, { rotate: true })!;
        credentialFile = writeSecretFile(credentialsDir, credentialFiles.secret(t.thingName), `${secret}\n`);
        changed = true;
      }
    }
    let certificate: string | undefined;
    if (opts.ca) {
      const certPath = join(credentialsDir, credentialFiles.certificate(t.thingName));
      const keyPath = join(credentialsDir, credentialFiles.privateKey(t.thingName));
      const working = opts.rotate ? null : certificateWorks(registry, opts.ca, t.thingName, readIfExists(certPath), readIfExists(keyPath), now);
      if (working) {
        certificate = working;
      } else {
        if (opts.rotate) for (const c of registry.certificates(t.thingName)) if (c.status === "ACTIVE") registry.setCertificateStatus(c.fingerprint, "INACTIVE");
        const issued = opts.ca.issueDeviceCertificate(t.thingName, { now });
        // Key first: a certificate file never points at a key that is not there yet.
        credentialFile = writeSecretFile(credentialsDir, credentialFiles.privateKey(t.thingName), issued.keyPem);
        writeSecretFile(credentialsDir, credentialFiles.certificate(t.thingName), issued.certPem);
        registry.registerCertificate({ fingerprint: issued.fingerprint, thingName: t.thingName, notAfter: issued.notAfter });
        certificate = issued.fingerprint;
        if (!created) changed = true;
      }
    }
    const status = created ? "created" : !changed ? "exists" : opts.rotate ? "rotated" : "renewed";
    return { thingName: t.thingName, status, credentialFile, ...(certificate ? { certificate } : {}) };
  });
}

/** Register `req.devices` devices `<tenant>-<site>-dNNN` (see provisionLocalThings). */
export function provisionLocal(registry: DeviceRegistry, req: ProvisionRequest, opts: LocalProvisionOptions = {}): ProvisionedDevice[] {
  const things = thingNames(req.tenantId, req.siteId, req.devices).map((thingName) => ({ thingName, tenantId: req.tenantId, siteId: req.siteId }));
  return provisionLocalThings(registry, things, req.credentialsDir, opts);
}

export interface AwsProvisionOptions {
  readonly region: string;
  readonly accountId: string;
  /** Default `hub-<tenant>-devices`. */
  readonly policyName?: string;
  /** Default `hub-<tenant>`. */
  readonly thingGroupName?: string;
  /** The devices, each with its site (e.g. a stack's fleet); default `req.devices` devices `<tenant>-<site>-dNNN`. */
  readonly things?: readonly ThingToProvision[];
}

function isNotFound(e: unknown): boolean {
  return (e as { name?: string }).name === "ResourceNotFoundException";
}

async function exists(fn: () => Promise<unknown>): Promise<boolean> {
  try {
    await fn();
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}

/**
 * CreateThing, CreateKeysAndCertificate, AttachPolicy, AttachThingPrincipal, AddThingToThingGroup
 * for each device not yet complete; the tenant's policy (from topicRules) and thing group are
 * created once. The certificate goes to `<thing>.cert.pem`, the private key to
 * `<thing>.private.key`, both mode 0600.
 */
export async function provisionAws(iot: IoTClient, req: ProvisionRequest, opts: AwsProvisionOptions): Promise<ProvisionedDevice[]> {
  const policyName = opts.policyName ?? `hub-${req.tenantId}-devices`;
  const thingGroupName = opts.thingGroupName ?? `hub-${req.tenantId}`;
  if (!(await exists(() => iot.send(new GetPolicyCommand({ policyName }))))) {
    const policyDocument = JSON.stringify(tenantDevicePolicy(req.tenantId, opts.region, opts.accountId));
    await iot.send(new CreatePolicyCommand({ policyName, policyDocument, tags: [{ Key: "tenant_id", Value: req.tenantId }] }));
  }
  if (!(await exists(() => iot.send(new DescribeThingGroupCommand({ thingGroupName }))))) {
    await iot.send(new CreateThingGroupCommand({ thingGroupName, tags: [{ Key: "tenant_id", Value: req.tenantId }] }));
  }
  const out: ProvisionedDevice[] = [];
  const things = opts.things ?? thingNames(req.tenantId, req.siteId, req.devices).map((thingName) => ({ thingName, tenantId: req.tenantId, siteId: req.siteId }));
  for (const { thingName, siteId } of things) {
    let changed = false;
    if (!(await exists(() => iot.send(new DescribeThingCommand({ thingName }))))) {
      await iot.send(new CreateThingCommand({ thingName, attributePayload: { attributes: { tenant_id: req.tenantId, site_id: siteId } } }));
      changed = true;
    }
    let credentialFile: string | null = null;
    const principals = (await iot.send(new ListThingPrincipalsCommand({ thingName }))).principals ?? [];
    if (principals.length === 0) {
      const cert = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
      if (!cert.certificateArn || !cert.certificatePem || !cert.keyPair?.PrivateKey) throw new Error(`CreateKeysAndCertificate for ${thingName} returned no certificate`);
      credentialFile = writeSecretFile(req.credentialsDir, `${thingName}.private.key`, cert.keyPair.PrivateKey);
      writeSecretFile(req.credentialsDir, `${thingName}.cert.pem`, cert.certificatePem);
      await iot.send(new AttachPolicyCommand({ policyName, target: cert.certificateArn }));
      await iot.send(new AttachThingPrincipalCommand({ thingName, principal: cert.certificateArn }));
      changed = true;
    }
    const groups = (await iot.send(new ListThingGroupsForThingCommand({ thingName }))).thingGroups ?? [];
    if (!groups.some((g) => g.groupName === thingGroupName)) {
      await iot.send(new AddThingToThingGroupCommand({ thingGroupName, thingName }));
      changed = true;
    }
    out.push({ thingName, status: changed ? "created" : "exists", credentialFile });
  }
  return out;
}
