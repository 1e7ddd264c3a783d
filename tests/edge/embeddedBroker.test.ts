import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import mqtt, { type MqttClient } from "mqtt";
import { DeviceRegistry, INGEST_USERNAME } from "../../edge/deviceRegistry.ts";
import { EmbeddedBroker } from "../../edge/embeddedBroker.ts";
import { telemetryTopic, commandTopic } from "../../edge/topicRules.ts";
import { waitFor } from "../helpers/waitFor.ts";

const opts = { reconnectPeriod: 0, connectTimeout: 5_000 } as const;

async function connect(url: string, clientId: string, username: string, password: string): Promise<MqttClient> {
  return mqtt.connectAsync(url, { ...opts, clientId, username, password });
}

/** The QoS granted for a filter; 128 (0x80) when refused (mqtt.js rejects on a 0x80 SUBACK). */
async function grantedQos(c: MqttClient, filter: string): Promise<number> {
  try {
    return (await c.subscribeAsync(filter, { qos: 1 }))[0]!.qos;
  } catch (e) {
    if ((e as Error).name === "ErrorWithSubackPacket") return 128;
    throw e;
  }
}

/**
 * What the broker does with a QoS 1 publish: "accepted" when it answers with a PUBACK, "refused"
 * when it closes the connection instead (aedes closes a client whose publish authorizePublish
 * refuses). One of the two always happens, so a broker that wrongly accepts fails the test at
 * once rather than leaving it waiting for a close that never comes.
 */
function publishOutcome(c: MqttClient, topic: string): Promise<"accepted" | "refused"> {
  return new Promise((resolve) => {
    c.once("close", () => resolve("refused"));
    c.publishAsync(topic, "{}", { qos: 1 }).then(
      () => resolve("accepted"),
      () => resolve("refused"),
    );
  });
}

describe("embedded broker", () => {
  const registry = DeviceRegistry.inMemory();
  let broker: EmbeddedBroker;
  let secretA = "";
  let secretB = "";
  const clients: MqttClient[] = [];

  before(async () => {
    secretA = registry.addDevice({ thingName: "acme-m-001", tenantId: "acme", siteId: "plant1" })!;
    secretB = registry.addDevice({ thingName: "globex-m-001", tenantId: "globex", siteId: "hq" })!;
    registry.setIngestSecret("ingest-secret");
    broker = await EmbeddedBroker.start({ registry, awaitIngest: false });
  });
  after(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => undefined);
    await broker.close();
  });

  it("binds to loopback on a free port", () => {
    assert.equal(broker.host, "127.0.0.1");
    assert.ok(broker.port > 0);
  });

  it("keeps only a hash of each secret: salted HMAC for a generated one, scrypt for one a person chose", () => {
    const entry = registry.devices.find((d) => d.thingName === "acme-m-001")!;
    assert.match(entry.secretHash, /^hmac-sha256\$/);
    assert.ok(!entry.secretHash.includes(secretA));
    const chosen = DeviceRegistry.inMemory();
    chosen.addDevice({ thingName: "acme-m-009", tenantId: "acme", siteId: "plant1" }, { secret: "correct horse battery staple" });
    assert.match(chosen.devices[0]!.secretHash, /^scrypt\$/);
    assert.deepEqual(chosen.authenticate("acme-m-009", "acme-m-009", "correct horse battery staple"), { kind: "device", tenantId: "acme", thingName: "acme-m-009" });
    assert.equal(chosen.authenticate("acme-m-009", "acme-m-009", "correct horse battery stapler"), null);
  });

  it("refuses a wrong password, an unknown device and a client id that is not the thing name", async () => {
    await assert.rejects(connect(broker.url, "acme-m-001", "acme-m-001", "wrong"));
    await assert.rejects(connect(broker.url, "nobody", "nobody", secretA));
    await assert.rejects(connect(broker.url, "other-id", "acme-m-001", secretA));
    assert.ok(broker.stats.authFailures >= 3);
  });

  it("lets a device publish under its own tenant and device id, delivered to ingest", async () => {
    const ingest = await connect(broker.url, "ingest-1", INGEST_USERNAME, "ingest-secret");
    clients.push(ingest);
    const granted = await ingest.subscribeAsync("dt/hub/#", { qos: 1 });
    assert.equal(granted[0]!.qos, 1);
    const got = new Promise<string>((resolve) => ingest.once("message", (topic) => resolve(topic)));
    const dev = await connect(broker.url, "acme-m-001", "acme-m-001", secretA);
    clients.push(dev);
    const topic = telemetryTopic("acme", "plant1", "machine", "acme-m-001");
    await dev.publishAsync(topic, "{}", { qos: 1 });
    assert.equal(await got, topic);
  });

  it("a device of tenant A cannot publish under tenant B", async () => {
    const dev = await connect(broker.url, "acme-m-001", "acme-m-001", secretA);
    clients.push(dev);
    const before = broker.stats.publishRefused;
    assert.equal(await publishOutcome(dev, telemetryTopic("globex", "hq", "machine", "acme-m-001")), "refused");
    assert.equal(broker.stats.publishRefused, before + 1);
  });

  it("a device cannot publish as another device of its own tenant", async () => {
    const dev = await connect(broker.url, "acme-m-001", "acme-m-001", secretA);
    clients.push(dev);
    const before = broker.stats.publishRefused;
    assert.equal(await publishOutcome(dev, telemetryTopic("acme", "plant1", "machine", "acme-m-002")), "refused");
    assert.equal(broker.stats.publishRefused, before + 1);
  });

  it("a device of tenant A cannot subscribe to tenant B's data, nor to dt/hub/#", async () => {
    const dev = await connect(broker.url, "acme-m-001", "acme-m-001", secretA);
    clients.push(dev);
    for (const filter of ["dt/hub/globex/#", "dt/hub/#", "#", telemetryTopic("globex", "hq", "machine", "globex-m-001")]) {
      assert.equal(await grantedQos(dev, filter), 128, `${filter} must be refused`);
    }
  });

  it("a device may subscribe only to its own command topic", async () => {
    const dev = await connect(broker.url, "globex-m-001", "globex-m-001", secretB);
    clients.push(dev);
    assert.equal(await grantedQos(dev, commandTopic("globex", "hq", "globex-m-001")), 1);
    assert.equal(await grantedQos(dev, commandTopic("globex", "hq", "globex-m-002")), 128);
  });

  it("the ingest identity may read telemetry but publish nothing", async () => {
    const ingest = await connect(broker.url, "ingest-2", INGEST_USERNAME, "ingest-secret");
    clients.push(ingest);
    assert.equal((await ingest.subscribeAsync("dt/hub/#", { qos: 1 }))[0]!.qos, 1);
    const before = broker.stats.publishRefused;
    for (const [i, topic] of [telemetryTopic("acme", "plant1", "machine", "acme-m-001"), commandTopic("acme", "plant1", "acme-m-001")].entries()) {
      const c = await connect(broker.url, `ingest-publisher-${i}`, INGEST_USERNAME, "ingest-secret");
      clients.push(c);
      assert.equal(await publishOutcome(c, topic), "refused", topic);
    }
    assert.equal(broker.stats.publishRefused, before + 2);
  });
});

describe("embedded broker, awaiting ingest", () => {
  it("holds device connections until the ingest identity subscribes to dt/hub/#", async () => {
    const registry = DeviceRegistry.inMemory();
    const secret = registry.addDevice({ thingName: "acme-e-001", tenantId: "acme", siteId: "plant1" })!;
    registry.setIngestSecret("s");
    const broker = await EmbeddedBroker.start({ registry });
    try {
      let connected = false;
      const dev = connect(broker.url, "acme-e-001", "acme-e-001", secret).then((c) => ((connected = true), c));
      // Authenticated and held: the broker answers no CONNACK until the ingest is there.
      await waitFor(() => broker.heldConnections === 1, "the device's connection to be held");
      assert.equal(connected, false);
      const ingest = await connect(broker.url, "ingest", INGEST_USERNAME, "s");
      await ingest.subscribeAsync("dt/hub/#", { qos: 1 });
      const c = await dev;
      assert.ok(c.connected);
      await c.endAsync(true);
      await ingest.endAsync(true);
    } finally {
      await broker.close();
    }
  });
});
