/** The topic contract and its authorisation, as both the embedded broker and IoT Core apply it. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  canPublish,
  canSubscribe,
  commandTopic,
  iotPolicyAllows,
  parseTelemetryTopic,
  telemetryTopic,
  tenantDevicePolicy,
  TopicError,
  type Identity,
} from "../../edge/topicRules.ts";

const device: Identity = { kind: "device", tenantId: "acme", thingName: "m-001" };
const ingest: Identity = { kind: "ingest" };

describe("topic rules", () => {
  it("builds and parses telemetry topics", () => {
    const t = telemetryTopic("acme", "plant-1", "machine", "m-001");
    assert.equal(t, "dt/hub/acme/plant-1/machine/m-001");
    assert.deepEqual(parseTelemetryTopic(t), { tenantId: "acme", siteId: "plant-1", sensorType: "machine", deviceId: "m-001" });
    assert.equal(commandTopic("acme", "plant-1", "m-001"), "cmd/hub/acme/plant-1/m-001");
  });

  it("refuses topic levels that are not lower-case names, naming the field and value", () => {
    assert.throws(() => telemetryTopic("Acme", "p", "machine", "d"), (e: unknown) => e instanceof TopicError && /tenant "Acme"/.test(e.message));
    assert.throws(() => telemetryTopic("acme", "p/1", "machine", "d"), /site "p\/1"/);
    assert.throws(() => telemetryTopic("acme", "p", "machine", "#"), /device id "#"/);
    assert.equal(parseTelemetryTopic("dt/hub/acme/p/laser/d"), null);
    assert.equal(parseTelemetryTopic("dt/hub/acme/p/machine/d/extra"), null);
  });

  it("lets a device publish only under its own tenant and thing name", () => {
    assert.ok(canPublish(device, "dt/hub/acme/plant-1/machine/m-001"));
    assert.ok(canPublish(device, "dt/hub/acme/plant-2/energy/m-001"));
    assert.ok(!canPublish(device, "dt/hub/globex/plant-1/machine/m-001"), "another tenant");
    assert.ok(!canPublish(device, "dt/hub/acme/plant-1/machine/m-002"), "another device");
    assert.ok(!canPublish(device, "dt/hub/acme/plant-1/x/machine/m-001"), "an extra level");
    assert.ok(!canPublish(device, "cmd/hub/acme/plant-1/m-001"), "its own command topic");
    assert.ok(!canPublish(ingest, "dt/hub/acme/plant-1/machine/m-001"), "ingest only reads");
  });

  it("lets a device subscribe only to its own commands, and only ingest to all telemetry", () => {
    assert.ok(canSubscribe(device, "cmd/hub/acme/plant-1/m-001"));
    assert.ok(!canSubscribe(device, "cmd/hub/acme/plant-1/m-002"));
    // IoT Core compares a filter's wildcards literally against the policy: `+` for the site still
    // names only this thing's command topics, `#` would reach others and is refused.
    assert.ok(canSubscribe(device, "cmd/hub/acme/+/m-001"));
    assert.ok(!canSubscribe(device, "cmd/hub/acme/#"));
    assert.ok(!canSubscribe(device, "dt/hub/#"));
    assert.ok(!canSubscribe(device, "dt/hub/acme/#"));
    assert.ok(!canSubscribe(device, "#"));
    assert.ok(canSubscribe(ingest, "dt/hub/#"));
    assert.ok(!canSubscribe(ingest, "#"));
  });

  it("writes an IoT policy scoped by the thing-name variable that allows exactly that", () => {
    const doc = tenantDevicePolicy("acme", "eu-west-2", "123456789012");
    const topic = (t: string) => `arn:aws:iot:eu-west-2:123456789012:topic/${t}`;
    assert.ok(iotPolicyAllows(doc, "iot:Connect", "arn:aws:iot:eu-west-2:123456789012:client/m-001", "m-001"));
    assert.ok(!iotPolicyAllows(doc, "iot:Connect", "arn:aws:iot:eu-west-2:123456789012:client/m-002", "m-001"));
    assert.ok(iotPolicyAllows(doc, "iot:Publish", topic("dt/hub/acme/s/air_quality/m-001"), "m-001"));
    assert.ok(!iotPolicyAllows(doc, "iot:Publish", topic("dt/hub/acme/s/air_quality/m-001"), "m-002"));
    assert.ok(!iotPolicyAllows(doc, "iot:Publish", topic("dt/hub/globex/s/machine/m-001"), "m-001"));
    assert.match(JSON.stringify(doc), /\$\{iot:Connection\.Thing\.ThingName\}/);
  });

  it("matches a policy's `*` as IoT Core does, across `/`, and denies the extra levels it would admit, locally and in the deployed policy alike", () => {
    const policy = tenantDevicePolicy("acme", "eu-west-1", "123456789012");
    const topic = (t: string) => `arn:aws:iot:eu-west-1:123456789012:topic/${t}`;
    // IoT Core's `*` crosses levels: a bare allow on dt/hub/acme/* admits a deep topic.
    const bare = { Version: "2012-10-17" as const, Statement: [{ Effect: "Allow" as const, Action: "iot:Publish", Resource: topic("dt/hub/acme/*") }] };
    assert.equal(iotPolicyAllows(bare, "iot:Publish", topic("dt/hub/acme/a/b/c/d"), "m-001"), true);
    // `?` is one character.
    const one = { Version: "2012-10-17" as const, Statement: [{ Effect: "Allow" as const, Action: "iot:Publish", Resource: topic("dt/hub/acme/p?") }] };
    assert.deepEqual([iotPolicyAllows(one, "iot:Publish", topic("dt/hub/acme/p1"), "x"), iotPolicyAllows(one, "iot:Publish", topic("dt/hub/acme/p12"), "x")], [true, false]);
    // The tenant policy: the valid six-level topic is allowed; an extra level (which the ingest rule
    // dt/hub/+/+/+/+ would never read) is denied, by the same document the broker evaluates.
    assert.equal(iotPolicyAllows(policy, "iot:Publish", topic("dt/hub/acme/plant-1/machine/m-001"), "m-001"), true);
    assert.equal(iotPolicyAllows(policy, "iot:Publish", topic("dt/hub/acme/plant-1/extra/machine/m-001"), "m-001"), false);
    assert.equal(canPublish(device, "dt/hub/acme/plant-1/extra/machine/m-001"), false);
  });
});
