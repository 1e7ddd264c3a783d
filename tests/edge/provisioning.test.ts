import { after, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { mockClient } from "aws-sdk-client-mock";
import {
  AddThingToThingGroupCommand, AttachPolicyCommand, AttachThingPrincipalCommand, CreateKeysAndCertificateCommand, CreatePolicyCommand,
  CreateThingCommand, CreateThingGroupCommand, DescribeThingCommand, DescribeThingGroupCommand, GetPolicyCommand, IoTClient,
  ListThingGroupsForThingCommand, ListThingPrincipalsCommand, ResourceNotFoundException,
} from "@aws-sdk/client-iot";
import { spawnSync } from "node:child_process";
import mqtt from "mqtt";
import { DeviceRegistry, deviceRegistryPath } from "../../edge/deviceRegistry.ts";
import { EmbeddedBroker } from "../../edge/embeddedBroker.ts";
import { provisionAws, provisionLocal } from "../../edge/provisioning.ts";
import { tenantDevicePolicy } from "../../edge/topicRules.ts";
import { removeDir, tempDir } from "./edgeStack.ts";
import { CHILD_PROCESS_BOUND_MS } from "../helpers/childProcessBound.ts";

const notFound = () => new ResourceNotFoundException({ message: "not found", $metadata: {} });
const PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY-----\nsecret-key-material\n-----END RSA PRIVATE KEY-----\n";

describe("provisioning, local", () => {
  const dir = tempDir("prov-");
  after(() => removeDir(dir));

  it("registers devices, writes each secret to a 0600 file, and a second run changes nothing", () => {
    const path = join(dir, "devices.json");
    const req = { tenantId: "acme", siteId: "plant1", devices: 3, credentialsDir: join(dir, "creds") };
    const first = provisionLocal(DeviceRegistry.open(path), req);
    assert.deepEqual(first.map((d) => d.status), ["created", "created", "created"]);
    const file = first[0]!.credentialFile!;
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const secret = readFileSync(file, "utf8").trim();
    const registry = DeviceRegistry.open(path);
    assert.deepEqual(registry.authenticate("acme-plant1-d001", "acme-plant1-d001", secret), { kind: "device", tenantId: "acme", thingName: "acme-plant1-d001" });
    assert.ok(!readFileSync(path, "utf8").includes(secret), "the registry keeps no secret");
    const before = readFileSync(path, "utf8");
    const second = provisionLocal(DeviceRegistry.open(path), req);
    assert.deepEqual(second.map((d) => d.status), ["exists", "exists", "exists"]);
    assert.equal(readFileSync(path, "utf8"), before);
  });
});

describe("provisioning, local, through the script", () => {
  const home = tempDir("prov-home-");
  after(() => removeDir(home));

  it("a device provisioned by scripts/provision.ts connects to the broker the main job starts on the same hub folder, and publishes", async () => {
    const r = spawnSync(join(process.cwd(), "scripts", "provision.ts"), ["--tenant", "acme", "--devices", "1", "--site", "plant9"], {
      encoding: "utf8", env: { ...process.env, HUB_HOME: home }, timeout: CHILD_PROCESS_BOUND_MS,
    });
    assert.equal(r.status, 0, r.stderr);
    const secret = readFileSync(join(home, "edge", "credentials", "acme", "acme-plant9-d001.secret"), "utf8").trim();
    // The registry the main job's broker opens (scripts/lib/hub/liveEdge.ts), found by its path.
    const broker = await EmbeddedBroker.start({ registry: DeviceRegistry.open(deviceRegistryPath(home)), port: 0, awaitIngest: false });
    try {
      const client = await mqtt.connectAsync(broker.url, { clientId: "acme-plant9-d001", username: "acme-plant9-d001", password: secret, reconnectPeriod: 0 });
      await client.publishAsync("dt/hub/acme/plant9/machine/acme-plant9-d001", "{}", { qos: 1 });
      await client.endAsync();
      await assert.rejects(mqtt.connectAsync(broker.url, { clientId: "acme-plant9-d001", username: "acme-plant9-d001", password: "wrong", reconnectPeriod: 0 }));
    } finally {
      await broker.close();
    }
  });
});

describe("provisioning, AWS IoT Core", () => {
  const iot = mockClient(IoTClient);
  const dir = tempDir("prov-aws-");
  const req = { tenantId: "acme", siteId: "plant1", devices: 2, credentialsDir: join(dir, "creds") };
  const opts = { region: "eu-west-1", accountId: "123456789012" };
  beforeEach(() => iot.reset());
  after(() => {
    iot.restore();
    removeDir(dir);
  });

  it("creates the policy, group, things, certificates and attachments, with the documented request shapes", async () => {
    iot.on(GetPolicyCommand).rejects(notFound()).on(DescribeThingGroupCommand).rejects(notFound()).on(DescribeThingCommand).rejects(notFound());
    iot.on(CreatePolicyCommand).resolves({}).on(CreateThingGroupCommand).resolves({}).on(CreateThingCommand).resolves({});
    iot.on(ListThingPrincipalsCommand).resolves({ principals: [] }).on(ListThingGroupsForThingCommand).resolves({ thingGroups: [] });
    let n = 0;
    iot.on(CreateKeysAndCertificateCommand).callsFake(() => {
      n++;
      return { certificateArn: `arn:aws:iot:eu-west-1:123456789012:cert/c${n}`, certificateId: `c${n}`, certificatePem: "CERT", keyPair: { PrivateKey: PRIVATE_KEY, PublicKey: "PUB" } };
    });
    const logged: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => void logged.push(a.join(" "));
    let result;
    try {
      result = await provisionAws(iot as unknown as IoTClient, req, opts);
    } finally {
      console.log = log;
    }
    assert.deepEqual(result.map((r) => r.status), ["created", "created"]);
    assert.deepEqual(iot.commandCalls(CreatePolicyCommand)[0]!.args[0].input, {
      policyName: "hub-acme-devices",
      policyDocument: JSON.stringify(tenantDevicePolicy("acme", "eu-west-1", "123456789012")),
      tags: [{ Key: "tenant_id", Value: "acme" }],
    });
    assert.deepEqual(iot.commandCalls(CreateThingCommand).map((c) => c.args[0].input), [
      { thingName: "acme-plant1-d001", attributePayload: { attributes: { tenant_id: "acme", site_id: "plant1" } } },
      { thingName: "acme-plant1-d002", attributePayload: { attributes: { tenant_id: "acme", site_id: "plant1" } } },
    ]);
    assert.deepEqual(iot.commandCalls(CreateKeysAndCertificateCommand)[0]!.args[0].input, { setAsActive: true });
    assert.deepEqual(iot.commandCalls(AttachPolicyCommand)[0]!.args[0].input, { policyName: "hub-acme-devices", target: "arn:aws:iot:eu-west-1:123456789012:cert/c1" });
    assert.deepEqual(iot.commandCalls(AttachThingPrincipalCommand)[1]!.args[0].input, { thingName: "acme-plant1-d002", principal: "arn:aws:iot:eu-west-1:123456789012:cert/c2" });
    assert.deepEqual(iot.commandCalls(AddThingToThingGroupCommand)[0]!.args[0].input, { thingGroupName: "hub-acme", thingName: "acme-plant1-d001" });
    const key = result[0]!.credentialFile!;
    assert.equal(readFileSync(key, "utf8"), PRIVATE_KEY);
    assert.equal(statSync(key).mode & 0o777, 0o600);
    assert.ok(!logged.join("\n").includes("secret-key-material"), "no key is logged");
  });

  it("creates a fleet's things each with its own site (provision.ts --fleet --target aws)", async () => {
    iot.on(GetPolicyCommand).resolves({ policyName: "hub-acme-devices" }).on(DescribeThingGroupCommand).resolves({ thingGroupName: "hub-acme" });
    iot.on(DescribeThingCommand).rejects(notFound()).on(CreateThingCommand).resolves({});
    iot.on(ListThingPrincipalsCommand).resolves({ principals: ["arn:aws:iot:eu-west-1:123456789012:cert/c1"] });
    iot.on(ListThingGroupsForThingCommand).resolves({ thingGroups: [{ groupName: "hub-acme" }] });
    const things = [
      { thingName: "acme-plant-1-m-001", tenantId: "acme", siteId: "acme-plant-1" },
      { thingName: "acme-plant-2-rfid", tenantId: "acme", siteId: "acme-plant-2" },
    ];
    const result = await provisionAws(iot as unknown as IoTClient, req, { ...opts, things });
    assert.deepEqual(result.map((r) => r.thingName), ["acme-plant-1-m-001", "acme-plant-2-rfid"]);
    assert.deepEqual(iot.commandCalls(CreateThingCommand).map((c) => c.args[0].input.attributePayload?.attributes?.site_id), ["acme-plant-1", "acme-plant-2"]);
  });

  it("is idempotent: a second run against complete things creates nothing", async () => {
    iot.on(GetPolicyCommand).resolves({ policyName: "hub-acme-devices" }).on(DescribeThingGroupCommand).resolves({ thingGroupName: "hub-acme" });
    iot.on(DescribeThingCommand).resolves({ thingName: "x" });
    iot.on(ListThingPrincipalsCommand).resolves({ principals: ["arn:aws:iot:eu-west-1:123456789012:cert/c1"] });
    iot.on(ListThingGroupsForThingCommand).resolves({ thingGroups: [{ groupName: "hub-acme" }] });
    const result = await provisionAws(iot as unknown as IoTClient, req, opts);
    assert.deepEqual(result.map((r) => r.status), ["exists", "exists"]);
    const created = new Set(["CreatePolicyCommand", "CreateThingGroupCommand", "CreateThingCommand", "CreateKeysAndCertificateCommand", "AttachPolicyCommand", "AttachThingPrincipalCommand", "AddThingToThingGroupCommand"]);
    const names = iot.calls().map((c) => (c.args[0] as object).constructor.name);
    assert.ok(names.includes("DescribeThingCommand"), "calls are told apart by command name");
    assert.deepEqual(names.filter((name) => created.has(name)), []);
  });
});
