/**
 * The gateway's production transport: MQTT over TLS with the device's X.509 certificate, as AWS IoT
 * Core requires (port 8883, mutual TLS, client id = thing name). A real TLS server on 127.0.0.1 plays
 * IoT Core: it accepts only clients whose certificate its CA signed, takes the thing name from the
 * certificate's CN, and applies the same topic rules (edge/topicRules.ts) that the IoT policy is
 * generated from.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type TLSSocket } from "node:tls";
import type { AddressInfo } from "node:net";
import { Aedes } from "aedes";
import mqtt from "mqtt";
import { Gateway } from "../../edge/gateway.ts";
import { canPublish } from "../../edge/topicRules.ts";
import { machineReadings, removeDir, tempDir } from "./edgeStack.ts";
import { testPki } from "../helpers/certificates.ts";

const THING = "acme-plant-1-m-001";

describe("gateway over TLS with the device's certificate (IoT Core's transport)", () => {
  // A CA standing in for IoT Core's, the endpoint's certificate and the device's, both signed by it.
  const pki = testPki();
  const device = pki.client(THING);
  let aedes: Aedes;
  let server: ReturnType<typeof createServer>;
  let port: number;
  let dir: string;
  const received: Array<{ topic: string; payload: string }> = [];

  before(async () => {
    dir = tempDir("gw-tls-");
    aedes = await Aedes.createBroker({
      // IoT Core: the client id must be the thing named by the certificate.
      authenticate: (client, _u, _p, done) => {
        const cn = (client.conn as unknown as TLSSocket).getPeerCertificate?.().subject?.CN;
        done(null, cn === client.id);
      },
      authorizePublish: (client, packet, cb) =>
        cb(client && canPublish({ kind: "device", tenantId: "acme", thingName: client.id }, packet.topic) ? null : new Error(`refused ${packet.topic}`)),
    });
    aedes.subscribe("dt/hub/#", (packet, cb) => {
      received.push({ topic: packet.topic, payload: packet.payload.toString() });
      cb();
    }, () => undefined);
    server = createServer({ key: pki.server.key, cert: pki.server.cert, ca: [pki.ca], requestCert: true, rejectUnauthorized: true }, aedes.handle as never);
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    await new Promise<void>((ok) => server.close(() => ok()));
    await new Promise<void>((ok) => aedes.close(() => ok()));
    removeDir(dir);
  });

  it("connects with the device certificate and delivers its readings on its own topic", async () => {
    const gateway = new Gateway({
      url: `mqtts://127.0.0.1:${port}`, dir,
      devices: [{ thingName: THING, tenantId: "acme", siteId: "acme-plant-1", sensorType: "machine", tls: { cert: device.cert, key: device.key, ca: pki.ca } }],
    }).start();
    try {
      gateway.add(THING, machineReadings(5, 0, new Date("2026-01-05T08:00:00Z")));
      await gateway.drained(15_000);
      assert.equal(gateway.stats().sentReadings, 5);
      const deadline = Date.now() + 5_000;
      while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(received[0]?.topic, `dt/hub/acme/acme-plant-1/machine/${THING}`);
      assert.equal((JSON.parse(received[0]!.payload) as { readings: unknown[] }).readings.length, 5);
    } finally {
      await gateway.stop();
    }
  });

  it("refuses a client without a certificate the endpoint's CA signed", async () => {
    const client = mqtt.connect(`mqtts://127.0.0.1:${port}`, { clientId: THING, ca: pki.ca, reconnectPeriod: 0, connectTimeout: 3_000 });
    const outcome = await new Promise<string>((resolve) => {
      client.once("connect", () => resolve("connected"));
      client.once("error", (e) => resolve(`error: ${e.message}`));
      client.once("close", () => resolve("closed"));
    });
    client.end(true);
    assert.notEqual(outcome, "connected", "mutual TLS rejects it");
  });
});
