#!/usr/bin/env -S sh -c 'exec node --import "$(dirname "$(realpath "$0")")/lib/tsx.mjs" "$0" "$@"'
/** Provision devices for a tenant: in the local broker's registry (with certificates from the hub's CA), or in AWS IoT Core. */
import { join } from "node:path";
import { runCommand, UserError } from "./lib/command.ts";
import { textTable } from "./lib/textTable.ts";
// The fleet (its stack files' schema, zod) loads for --fleet; the provisioning (node-forge for the
// local CA, the IoT client) once every flag is checked: --help and a refused flag answer without.
import { DeviceRegistry, deviceRegistryPath } from "../edge/deviceRegistry.ts";
import type { ThingToProvision } from "../edge/provisioning.ts";
import { thingNames } from "../edge/thingNames.ts";
import { hubHome } from "../pipelines/hubHome.ts";
import { numberOption, PROJECT_DIR, tenantOption } from "./lib/optionValues.ts";
import { quietNodeVersionNotice } from "../pipelines/awsSdkNotice.ts";

/** The devices asked for: the tenant's stack fleet (--fleet), or N generic devices of one site. */
async function thingsFor(tenantId: string, options: { fleet: boolean; devices?: string; site?: string }): Promise<ThingToProvision[]> {
  if (options.fleet) {
    if (options.devices !== undefined) throw new UserError("--fleet provisions the devices of the tenant's fleet: leave out --devices");
    if (options.site !== undefined) throw new UserError("--fleet provisions every site of the tenant's fleet: leave out --site");
    const [{ readAllStackFleets }, { fleetThings }] = await Promise.all([import("../edge/fleetStackFile.ts"), import("../edge/fleetDevices.ts")]);
    const spec = readAllStackFleets(PROJECT_DIR).find((s) => s.tenantId === tenantId);
    if (!spec) throw new UserError(`--fleet: the stack file of tenant ${tenantId} has no fleet:sites (see edge/fleetSpec.ts); use --devices N instead`);
    return fleetThings([spec]).map(({ thingName, siteId }) => ({ thingName, tenantId, siteId }));
  }
  if (options.devices === undefined) throw new UserError("--devices N or --fleet is required");
  const n = numberOption("--devices", options.devices, { integer: true, min: 1, max: 10_000, what: "a number of devices" });
  const siteId = options.site ?? "site1";
  return thingNames(tenantId, siteId, n).map((thingName) => ({ thingName, tenantId, siteId }));
}

await runCommand({
  name: "provision",
  description:
    "create device identities for a tenant (idempotent: a second run changes nothing); locally a password and a client certificate from the hub's CA per device; secrets and keys go to files, mode 0600, never to the terminal",
  usage: "scripts/provision.ts --tenant T (--devices N [--site S] | --fleet) [--target local|aws] [--rotate]",
  options: {
    tenant: { type: "string", description: "tenant id: a tenant with a stack file (Pulumi.<stack>.yaml)" },
    devices: { type: "string", description: "number of devices (named <tenant>-<site>-dNNN)" },
    site: { type: "string", description: "site id of those devices (default site1)" },
    fleet: { type: "boolean", description: "the devices of the tenant's stack fleet (fleet:sites): what npm start and simulate --live run" },
    target: { type: "string", description: "where the identities live", choices: ["local", "aws"], default: "local" },
    rotate: { type: "boolean", description: "local: a new secret and certificate for every device; its earlier certificates become INACTIVE" },
    registry: { type: "string", description: "local registry file (default: <hub home>/devices.json, the one the local broker reads)" },
    credentials: { type: "string", description: "directory for secrets and keys (default: <hub home>/edge/credentials/<tenant>)" },
    region: { type: "string", description: "AWS region (aws target; default AWS_REGION)" },
    account: { type: "string", description: "AWS account id for the policy ARNs (aws target; default AWS_ACCOUNT_ID)" },
  },
  examples: [
    "scripts/provision.ts --tenant acme --fleet",
    "scripts/provision.ts --tenant acme --devices 20",
    "scripts/provision.ts --tenant acme --fleet --rotate",
    "scripts/provision.ts --tenant acme --devices 20 --target aws --region eu-west-1 --account 123456789012",
  ],
  run: async ({ options }) => {
    // Checked before anything is created: a device of a tenant with no stack has no thing group
    // or IoT policy to join, and a typo used to leave a device of tenant "acmee" in the registry.
    if (options.tenant === undefined) throw new UserError("--tenant is required");
    const tenantId = tenantOption("--tenant", options.tenant, PROJECT_DIR);
    const things = await thingsFor(tenantId, options);
    const home = hubHome();
    const credentialsDir = options.credentials ?? join(home, "edge", "credentials", tenantId);
    const req = { tenantId, siteId: things[0]!.siteId, devices: things.length, credentialsDir };
    let rows;
    if (options.target === "aws") {
      if (options.rotate) throw new UserError("--rotate is for the local target (in IoT Core: UpdateCertificate INACTIVE and provision a new certificate)");
      const region = options.region ?? process.env.AWS_REGION;
      const accountId = options.account ?? process.env.AWS_ACCOUNT_ID;
      if (!region || !accountId) throw new UserError("--target aws needs --region and --account (or AWS_REGION and AWS_ACCOUNT_ID)");
      const [{ IoTClient }, { provisionAws }] = await Promise.all([import("@aws-sdk/client-iot"), import("../edge/provisioning.ts")]);
      quietNodeVersionNotice();
      rows = await provisionAws(new IoTClient({ region }), req, { region, accountId, things });
    } else {
      const [{ LocalCa, localCaDir }, { provisionLocalThings }] = await Promise.all([import("../edge/localCa.ts"), import("../edge/provisioning.ts")]);
      const ca = LocalCa.open(localCaDir(home));
      rows = provisionLocalThings(DeviceRegistry.open(options.registry ?? deviceRegistryPath(home)), things, credentialsDir, { ca, rotate: options.rotate });
    }
    console.log(textTable(rows.map((r) => ({ thing: r.thingName, status: r.status, certificate: r.certificate?.slice(0, 16) ?? "", credentials: r.credentialFile ?? "" }))));
    const count = (s: string) => rows.filter((r) => r.status === s).length;
    const changed = rows.length - count("exists");
    console.log(`\n${count("created")} created, ${count("renewed")} renewed, ${count("rotated")} rotated, ${count("exists")} already in place (${options.target}${changed ? `; credentials in ${credentialsDir}` : ""})`);
  },
});
