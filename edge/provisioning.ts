/**
 * Device provisioning, locally (credentials in the embedded broker's registry) or in AWS IoT Core
 * (thing, certificate and keys, the tenant's policy, thing group). Both are idempotent: a second
 * run finds everything in place and changes nothing. Secrets and private keys are written to files
 * with mode 0600 and never printed; the result names the files.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  AddThingToThingGroupCommand, AttachPolicyCommand, AttachThingPrincipalCommand, CreateKeysAndCertificateCommand, CreatePolicyCommand,
  CreateThingCommand, CreateThingGroupCommand, DescribeThingCommand, DescribeThingGroupCommand, GetPolicyCommand, ListThingGroupsForThingCommand,
  ListThingPrincipalsCommand, type IoTClient,
} from "@aws-sdk/client-iot";
import { DeviceRegistry } from "./deviceRegistry.ts";
import { tenantDevicePolicy } from "./topicRules.ts";

export interface ProvisionRequest {
  readonly tenantId: string;
  readonly siteId: string;
  readonly devices: number;
  /** Directory for secrets / keys (created mode 0700). */
  readonly credentialsDir: string;
}

export interface ProvisionedDevice {
  readonly thingName: string;
  readonly status: "created" | "exists";
  /** File holding the secret or private key, when created in this run. */
  readonly credentialFile: string | null;
}

/** Thing names: `<tenant>-<site>-d001`, valid topic levels and client ids. */
export function thingNames(tenantId: string, siteId: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${tenantId}-${siteId}-d${String(i + 1).padStart(3, "0")}`);
}

function writeSecretFile(dir: string, name: string, content: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, name);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

/** Register devices in the local registry; each new device's secret goes to `<thing>.secret` (0600). */
export function provisionLocal(registry: DeviceRegistry, req: ProvisionRequest): ProvisionedDevice[] {
  return thingNames(req.tenantId, req.siteId, req.devices).map((thingName) => {
    const secret = registry.addDevice({ thingName, tenantId: req.tenantId, siteId: req.siteId });
    if (secret === null) return { thingName, status: "exists", credentialFile: null };
    return { thingName, status: "created", credentialFile: writeSecretFile(req.credentialsDir, `${thingName}.secret`, `${secret}\n`) };
  });
}

export interface AwsProvisionOptions {
  readonly region: string;
  readonly accountId: string;
  /** Default `hub-<tenant>-devices`. */
  readonly policyName?: string;
  /** Default `hub-<tenant>`. */
  readonly thingGroupName?: string;
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
  for (const thingName of thingNames(req.tenantId, req.siteId, req.devices)) {
    let changed = false;
    if (!(await exists(() => iot.send(new DescribeThingCommand({ thingName }))))) {
      await iot.send(new CreateThingCommand({ thingName, attributePayload: { attributes: { tenant_id: req.tenantId, site_id: req.siteId } } }));
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
