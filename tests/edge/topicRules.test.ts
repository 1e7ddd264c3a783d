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

/**
 * Oracles from outside the module: the policy written out by hand as the AWS IoT documentation's
 * thing-policy-variable examples shape it, wildcards a device might smuggle into a level, and the
 * evaluator's deny rule (what mutation testing found untested; docs/mutation.md).
 */
describe("topic rules: the policy document, wildcards and the evaluator", () => {
  it("writes exactly the IoT policy the AWS examples describe, for the tenant, region and account given", () => {
    const T = "${iot:Connection.Thing.ThingName}";
    assert.deepEqual(tenantDevicePolicy("acme", "eu-west-2", "123456789012"), {
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: "iot:Connect", Resource: `arn:aws:iot:eu-west-2:123456789012:client/${T}`, Condition: { Bool: { "iot:Connection.Thing.IsAttached": "true" } } },
        {
          Effect: "Allow",
          Action: "iot:Publish",
          Resource: ["machine", "energy", "air_quality", "rfid"].map((t) => `arn:aws:iot:eu-west-2:123456789012:topic/dt/hub/acme/*/${t}/${T}`),
        },
        // In an IoT policy * matches across "/" (AWS's policy examples), so the allow above would also
        // admit dt/hub/acme/a/b/machine/<thing>: three or more levels between tenant and thing are denied.
        { Effect: "Deny", Action: "iot:Publish", Resource: `arn:aws:iot:eu-west-2:123456789012:topic/dt/hub/acme/*/*/*/${T}` },
        { Effect: "Allow", Action: "iot:Subscribe", Resource: `arn:aws:iot:eu-west-2:123456789012:topicfilter/cmd/hub/acme/*/${T}` },
        { Effect: "Allow", Action: "iot:Receive", Resource: `arn:aws:iot:eu-west-2:123456789012:topic/cmd/hub/acme/*/${T}` },
      ],
    });
    assert.throws(() => tenantDevicePolicy("Acme Corp", "eu-west-2", "123456789012"), (e: unknown) => e instanceof TopicError && e.name === "TopicError" && /tenant "Acme Corp"/.test(e.message));
  });

  it("a device cannot publish with an MQTT wildcard in a level the policy leaves open (the site)", () => {
    for (const site of ["+", "#", "a+b", "x#"]) assert.ok(!canPublish(device, `dt/hub/acme/${site}/machine/m-001`), site);
    assert.ok(!canPublish(device, "dt/hub/acme/plant-1/machine/m-001/#"));
  });

  it("the evaluator: an explicit deny wins over an allow; actions and resources may be one or a list; regex characters are literal", () => {
    const allow = { Effect: "Allow" as const, Action: ["iot:Publish", "iot:Receive"], Resource: "arn:t/a.b/*" };
    const deny = { Effect: "Deny" as const, Action: "iot:Publish", Resource: ["arn:t/a.b/secret"] };
    const doc = { Version: "2012-10-17" as const, Statement: [allow, deny] };
    assert.equal(iotPolicyAllows(doc, "iot:Publish", "arn:t/a.b/open", "m"), true);
    assert.equal(iotPolicyAllows(doc, "iot:Receive", "arn:t/a.b/secret", "m"), true, "the deny names only Publish");
    assert.equal(iotPolicyAllows(doc, "iot:Publish", "arn:t/a.b/secret", "m"), false, "explicit deny wins");
    assert.equal(iotPolicyAllows(doc, "iot:Publish", "arn:t/aXb/open", "m"), false, "a dot in a resource is a dot");
    assert.equal(iotPolicyAllows(doc, "iot:Subscribe", "arn:t/a.b/open", "m"), false, "an action no statement names");
    assert.equal(iotPolicyAllows({ Version: "2012-10-17", Statement: [deny] }, "iot:Publish", "arn:t/a.b/open", "m"), false, "no allow, no access");
  });

  it("refuses a sensor type outside the topic's list, and a command topic's bad level by name", () => {
    assert.throws(() => telemetryTopic("acme", "p", "laser" as never, "d"), (e: unknown) => e instanceof TopicError && e.message === 'sensor type "laser" is not one of machine, energy, air_quality, rfid');
    assert.throws(() => commandTopic("Acme", "p", "d"), /^TopicError: tenant "Acme" is not a topic level/);
    assert.throws(() => commandTopic("acme", "P", "d"), /^TopicError: site "P"/);
    assert.throws(() => commandTopic("acme", "p", "D"), /^TopicError: device id "D"/);
  });

  it("parses only dt/hub topics of lower-case levels", () => {
    assert.equal(parseTelemetryTopic("dt/hux/acme/p/machine/d"), null);
    assert.equal(parseTelemetryTopic("cmd/hub/acme/p/machine/d"), null);
    for (const t of ["dt/hub/Acme/p/machine/d", "dt/hub/acme/P/machine/d", "dt/hub/acme/p/machine/D", "dt/hub/acme/+/machine/d"]) assert.equal(parseTelemetryTopic(t), null, t);
  });

  it("the ingest identity publishes nowhere, not even where a device without a tenant or name would", () => {
    // Ingest has no tenant or thing name: were it judged by a device policy, "undefined" would stand for both.
    assert.equal(canPublish(ingest, "dt/hub/undefined/s/machine/undefined"), false);
  });

  it("the ingest identity may subscribe to any telemetry filter, and to nothing outside dt/hub", () => {
    assert.ok(canSubscribe(ingest, "dt/hub/acme/#"));
    assert.ok(canSubscribe(ingest, "dt/hub/+/+/machine/+"));
    assert.ok(!canSubscribe(ingest, "cmd/hub/#"));
    assert.ok(!canSubscribe(ingest, "xdt/hub/#"));
  });
});
