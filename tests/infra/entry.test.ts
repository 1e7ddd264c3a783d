/**
 * infra/index.ts, the file `pulumi up` runs: under mocks, with stack config set the way the CLI sets
 * it (strings, JSON for lists, the public key as a secret), it builds the tenant stack and exports
 * what the scripts read.
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { MOCK_PLATFORM_OUTPUTS } from "../../infra/offline.ts";
import { readStackConfig } from "../../infra/stackFiles.ts";
import { TEST_PUBLIC_KEY } from "./offlineStack.ts";

const types: string[] = [];
let entry: Record<string, unknown>;

const value = <T>(o: unknown) => new Promise<T>((resolve) => pulumi.output(o as pulumi.Output<T>).apply((v) => resolve(v as T)));

before(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (a) => {
        types.push(a.type);
        if (a.type === "pulumi:pulumi:StackReference") return { id: a.name, state: { name: a.inputs.name, outputs: MOCK_PLATFORM_OUTPUTS, secretOutputNames: [] } };
        return { id: `${a.name}-id`, state: { ...a.inputs, arn: `arn:aws:mock:::${a.name}` } };
      },
      call: (a) => (a.token.endsWith("getRegion") ? { region: "eu-west-1", name: "eu-west-1", id: "eu-west-1" } : a.token.endsWith("getCallerIdentity") ? { accountId: "123456789012", arn: "arn", userId: "u", id: "123456789012" } : a.inputs),
    },
    "hub",
    "acme",
    false,
    "organization",
  );
  const { raw } = readStackConfig(process.cwd(), "acme");
  pulumi.runtime.setAllConfig({ ...raw, "hub:servicePublicKey": TEST_PUBLIC_KEY } as Record<string, string>, ["hub:servicePublicKey"]);
  entry = (await import("../../infra/index.ts")) as Record<string, unknown>;
});

describe("infra/index.ts", () => {
  it("reads the stack config and builds a tenant stack", async () => {
    assert.equal(entry["stackKind"], "tenant");
    assert.equal(await value(entry["tenantId"]), "acme");
    await value(entry["warehouseNames"]); // registration is asynchronous
    assert.ok(types.includes("hub:snowflake:Tenant") && types.includes("hub:aws:Tenant"));
    assert.ok(!types.includes("hub:snowflake:Platform"));
  });

  it("exports bucket, prefix, endpoint, model package groups and warehouse names", async () => {
    assert.equal(await value(entry["archiveBucketName"]), MOCK_PLATFORM_OUTPUTS.archiveBucketName);
    assert.equal(await value(entry["archivePrefix"]), "tenant=acme/");
    assert.equal(await value(entry["privateLinkEndpointId"]), MOCK_PLATFORM_OUTPUTS.privateLinkEndpointId);
    assert.deepEqual(await value(entry["modelPackageGroups"]), { anomaly: "hub-acme-anomaly", forecast: "hub-acme-forecast", segments: "hub-acme-segments" });
    assert.deepEqual(await value(entry["warehouseNames"]), { bi: "TENANT_ACME_BI_WH" });
  });
});
