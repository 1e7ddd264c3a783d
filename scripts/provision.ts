#!/usr/bin/env -S sh -c 'exec node --import "$(dirname "$(realpath "$0")")/lib/tsx.mjs" "$0" "$@"'
/** Provision devices for a tenant: in the local broker's registry, or in AWS IoT Core. */
import { join } from "node:path";
import { IoTClient } from "@aws-sdk/client-iot";
import { runCommand, UserError } from "./lib/command.ts";
import { textTable } from "./lib/textTable.ts";
import { DeviceRegistry, deviceRegistryPath } from "../edge/deviceRegistry.ts";
import { provisionAws, provisionLocal } from "../edge/provisioning.ts";
import { hubHome } from "../pipelines/hubHome.ts";
import { numberOption, PROJECT_DIR, tenantOption } from "./lib/optionValues.ts";
import { quietNodeVersionNotice } from "../pipelines/awsSdkNotice.ts";

await runCommand({
  name: "provision",
  description: "create device identities for a tenant (idempotent: a second run changes nothing); secrets and keys go to files, mode 0600, never to the terminal",
  usage: "scripts/provision.ts --tenant T --devices N [--site S] [--target local|aws]",
  options: {
    tenant: { type: "string", description: "tenant id: a tenant with a stack file (Pulumi.<stack>.yaml)" },
    devices: { type: "string", description: "number of devices" },
    site: { type: "string", description: "site id", default: "site1" },
    target: { type: "string", description: "where the identities live", choices: ["local", "aws"], default: "local" },
    registry: { type: "string", description: "local registry file (default: <hub home>/devices.json, the one the local broker reads)" },
    credentials: { type: "string", description: "directory for secrets and keys (default: <hub home>/edge/credentials/<tenant>)" },
    region: { type: "string", description: "AWS region (aws target; default AWS_REGION)" },
    account: { type: "string", description: "AWS account id for the policy ARNs (aws target; default AWS_ACCOUNT_ID)" },
  },
  examples: ["scripts/provision.ts --tenant acme --devices 20", "scripts/provision.ts --tenant acme --devices 20 --target aws --region eu-west-1 --account 123456789012"],
  run: async ({ options }) => {
    // Checked before anything is created: a device of a tenant with no stack has no thing group
    // or IoT policy to join, and a typo used to leave a device of tenant "acmee" in the registry.
    if (options.tenant === undefined) throw new UserError("--tenant is required");
    const tenantId = tenantOption("--tenant", options.tenant, PROJECT_DIR);
    if (options.devices === undefined) throw new UserError("--devices N is required");
    const n = numberOption("--devices", options.devices, { integer: true, min: 1, max: 10_000, what: "a number of devices" });
    const home = hubHome();
    const req = { tenantId, siteId: options.site ?? "site1", devices: n, credentialsDir: options.credentials ?? join(home, "edge", "credentials", tenantId) };
    let rows;
    if (options.target === "aws") {
      const region = options.region ?? process.env.AWS_REGION;
      const accountId = options.account ?? process.env.AWS_ACCOUNT_ID;
      if (!region || !accountId) throw new UserError("--target aws needs --region and --account (or AWS_REGION and AWS_ACCOUNT_ID)");
      quietNodeVersionNotice();
      rows = await provisionAws(new IoTClient({ region }), req, { region, accountId });
    } else {
      rows = provisionLocal(DeviceRegistry.open(options.registry ?? deviceRegistryPath(home)), req);
    }
    console.log(textTable(rows.map((r) => ({ thing: r.thingName, status: r.status, credentials: r.credentialFile ?? "" }))));
    const created = rows.filter((r) => r.status === "created").length;
    console.log(`\n${created} created, ${rows.length - created} already in place (${options.target})`);
  },
});
