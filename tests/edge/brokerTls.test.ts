/**
 * The embedded broker's MQTT-over-TLS listener, attacked: what IoT Core refuses on port 8883 must be
 * refused here, at the layer IoT Core refuses it (the TLS handshake for the certificate's chain,
 * validity and protocol version; CONNACK "not authorized" for its registration, state and
 * attachment; a closed connection for a publish outside the policy). A real aedes broker on
 * 127.0.0.1 port 0, real mqtt.js clients, real TLS, certificates from a real local CA.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { connect as tlsConnect, createServer as createTlsServer } from "node:tls";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import forge from "node-forge";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { DeviceRegistry, INGEST_USERNAME } from "../../edge/deviceRegistry.ts";
import { EmbeddedBroker } from "../../edge/embeddedBroker.ts";
import { LocalCa, type IssuedCertificate } from "../../edge/localCa.ts";
import { telemetryTopic } from "../../edge/topicRules.ts";
import { MAX_MESSAGE_BYTES } from "../../pipelines/quality/payloadSchemas.ts";
import { waitFor } from "../helpers/waitFor.ts";
import { removeDir, tempDir } from "./edgeStack.ts";

const ACME = "acme-plant-1-m-001";
const ACME_2 = "acme-plant-1-m-002";
const GLOBEX = "globex-hq-m-001";
const DAY_MS = 86_400_000;
const INGEST_SECRET = "ingest-secret-for-tls-tests";

/** What became of a connection attempt: "connected", or how it was refused. */
function attempt(url: string, opts: IClientOptions): Promise<{ outcome: string; client: MqttClient }> {
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5_000, ...opts });
  return new Promise((resolve) => {
    client.once("connect", () => resolve({ outcome: "connected", client }));
    client.once("error", (e) => resolve({ outcome: `error: ${e.message}`, client }));
    client.once("close", () => resolve({ outcome: "closed", client }));
  });
}

/** A publish's fate: "accepted" (PUBACK) or "refused" (the broker closed the connection instead). */
function publishOutcome(c: MqttClient, topic: string, payload: string | Buffer = "{}"): Promise<"accepted" | "refused"> {
  return new Promise((resolve) => {
    c.once("close", () => resolve("refused"));
    c.publishAsync(topic, payload, { qos: 1 }).then(() => resolve("accepted"), () => resolve("refused"));
  });
}

/** A self-signed client certificate that names the local CA as its issuer: a forgery, not a chain. */
function forgedCertificate(thingName: string, issuerName: forge.pki.CertificateField[]): { cert: string; key: string } {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const key = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const fk = forge.pki.privateKeyFromPem(key) as forge.pki.rsa.PrivateKey;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(fk.n, fk.e);
  cert.serialNumber = "0badc0de";
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + DAY_MS);
  cert.setSubject([{ name: "commonName", value: thingName }]);
  cert.setIssuer(issuerName);
  cert.setExtensions([{ name: "extKeyUsage", clientAuth: true }]);
  cert.sign(fk, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key };
}

describe("MQTT over TLS with device certificates (the embedded broker as IoT Core on 8883)", () => {
  let dir: string;
  let ca: LocalCa;
  let registry: DeviceRegistry;
  let broker: EmbeddedBroker;
  let url: string;
  const clients: MqttClient[] = [];
  const certs: Record<string, IssuedCertificate> = {};

  /** Connect over TLS as `thing` with `cert` (default: its registered ACTIVE certificate). */
  async function asDevice(clientId: string, cert: { certPem: string; keyPem: string }, extra: IClientOptions = {}) {
    const r = await attempt(url, { clientId, cert: cert.certPem, key: cert.keyPem, ca: ca.certPem, ...extra });
    clients.push(r.client);
    return r;
  }

  before(async () => {
    dir = tempDir("broker-tls-");
    ca = LocalCa.open(join(dir, "ca"));
    registry = DeviceRegistry.inMemory();
    registry.setIngestSecret(INGEST_SECRET);
    for (const [thingName, tenantId, siteId] of [[ACME, "acme", "acme-plant-1"], [ACME_2, "acme", "acme-plant-1"], [GLOBEX, "globex", "hq"]] as const) {
      registry.addDevice({ thingName, tenantId, siteId });
      certs[thingName] = ca.issueDeviceCertificate(thingName);
      registry.registerCertificate({ fingerprint: certs[thingName]!.fingerprint, thingName, notAfter: certs[thingName]!.notAfter });
    }
    const server = ca.issueServerCertificate();
    broker = await EmbeddedBroker.start({ registry, awaitIngest: false, tls: { key: server.keyPem, cert: server.certPem, ca: ca.certPem } });
    url = broker.tlsUrl!;
  });

  after(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => undefined);
    await broker.close();
    removeDir(dir);
  });

  it("listens for TLS on 127.0.0.1 beside the plain listener", () => {
    assert.match(url, /^mqtts:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(broker.tlsPort, broker.port);
  });

  it("a registered, ACTIVE certificate connects as its thing and publishes under its own topic", async () => {
    const { outcome, client } = await asDevice(ACME, certs[ACME]!);
    assert.equal(outcome, "connected");
    assert.equal(await publishOutcome(client, telemetryTopic("acme", "acme-plant-1", "machine", ACME)), "accepted");
  });

  it("refuses a client that presents no certificate before any MQTT, its username and password notwithstanding", async () => {
    const before = broker.stats.tlsRefused;
    const { outcome } = await attempt(url, { clientId: ACME, ca: ca.certPem, username: ACME, password: "whatever" });
    assert.notEqual(outcome, "connected");
    await waitFor(() => broker.stats.tlsRefused > before, "the broker to count the refusal");
    assert.equal(broker.stats.lastTlsRefusal, "no client certificate");
  });

  it("refuses a certificate from another CA, even for a registered thing name", async () => {
    const other = LocalCa.open(join(dir, "other-ca")).issueDeviceCertificate(ACME);
    const before = broker.stats.tlsRefused;
    const { outcome } = await asDevice(ACME, other);
    assert.notEqual(outcome, "connected");
    await waitFor(() => broker.stats.tlsRefused > before, "the broker to count the refusal");
    assert.match(broker.stats.lastTlsRefusal ?? "", /^UNABLE_TO_VERIFY_LEAF_SIGNATURE$/);
  });

  it("refuses a self-signed certificate that names the local CA as its issuer", async () => {
    const caName = forge.pki.certificateFromPem(ca.certPem).subject.attributes as forge.pki.CertificateField[];
    const forged = forgedCertificate(ACME, caName);
    const before = broker.stats.tlsRefused;
    const { outcome } = await asDevice(ACME, { certPem: forged.cert, keyPem: forged.key });
    assert.notEqual(outcome, "connected");
    await waitFor(() => broker.stats.tlsRefused > before, "the broker to count the refusal");
    assert.match(broker.stats.lastTlsRefusal ?? "", /^(CERT_SIGNATURE_FAILURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/);
  });

  it("refuses an expired certificate and one not yet valid, registered ACTIVE both", async () => {
    const expired = ca.issueDeviceCertificate(ACME, { now: new Date(Date.now() - 400 * DAY_MS), days: 30 });
    const early = ca.issueDeviceCertificate(ACME, { now: new Date(Date.now() + 10 * DAY_MS), days: 30 });
    for (const c of [expired, early]) registry.registerCertificate({ fingerprint: c.fingerprint, thingName: ACME, notAfter: c.notAfter });
    for (const [c, why] of [[expired, /^CERT_HAS_EXPIRED$/], [early, /^CERT_NOT_YET_VALID$/]] as const) {
      const before = broker.stats.tlsRefused;
      const { outcome } = await asDevice(ACME, c);
      assert.notEqual(outcome, "connected");
      await waitFor(() => broker.stats.tlsRefused > before, "the broker to count the refusal");
      assert.match(broker.stats.lastTlsRefusal ?? "", why);
    }
  });

  it("refuses a certificate of the CA that is not registered", async () => {
    const unregistered = ca.issueDeviceCertificate(ACME);
    const { outcome } = await asDevice(ACME, unregistered);
    assert.match(outcome, /Not authorized/i);
    assert.equal(broker.stats.lastAuthFailure, `${ACME}: unknown certificate`);
  });

  it("refuses a registered certificate that is INACTIVE, or REVOKED", async () => {
    for (const status of ["INACTIVE", "REVOKED"] as const) {
      const c = ca.issueDeviceCertificate(ACME_2);
      registry.registerCertificate({ fingerprint: c.fingerprint, thingName: ACME_2, notAfter: c.notAfter }, status);
      const { outcome } = await asDevice(ACME_2, c);
      assert.match(outcome, /Not authorized/i, status);
      assert.equal(broker.stats.lastAuthFailure, `${ACME_2}: certificate ${status}`);
    }
    // Deactivating the device's good certificate stops its next connection.
    registry.setCertificateStatus(certs[ACME_2]!.fingerprint, "INACTIVE");
    try {
      assert.match((await asDevice(ACME_2, certs[ACME_2]!)).outcome, /Not authorized/i);
    } finally {
      registry.setCertificateStatus(certs[ACME_2]!.fingerprint, "ACTIVE");
    }
    assert.equal((await asDevice(ACME_2, certs[ACME_2]!)).outcome, "connected");
  });

  it("a connected device whose certificate is deactivated has its next publish refused, and its connection closed", async () => {
    const c = ca.issueDeviceCertificate(ACME_2);
    registry.registerCertificate({ fingerprint: c.fingerprint, thingName: ACME_2, notAfter: c.notAfter });
    const { outcome, client } = await asDevice(ACME_2, c);
    assert.equal(outcome, "connected");
    const topic = telemetryTopic("acme", "acme-plant-1", "machine", ACME_2);
    assert.equal(await publishOutcome(client, topic), "accepted");
    registry.setCertificateStatus(c.fingerprint, "INACTIVE");
    assert.equal(await publishOutcome(client, topic), "refused");
  });

  it("refuses a valid certificate whose client id names another thing, of its tenant or another", async () => {
    for (const other of [ACME_2, GLOBEX, "hub-ingest"]) {
      const { outcome } = await asDevice(other, certs[ACME]!);
      assert.match(outcome, /Not authorized/i, other);
      assert.equal(broker.stats.lastAuthFailure, `${other}: client id is not the certificate's thing`);
    }
  });

  it("takes no identity from a username and password on TLS: the ingest's own credentials do not let a device read telemetry", async () => {
    const { outcome, client } = await asDevice(ACME, certs[ACME]!, { username: INGEST_USERNAME, password: INGEST_SECRET });
    assert.equal(outcome, "connected");
    const granted = await client.subscribeAsync("dt/hub/#", { qos: 1 }).then((g) => g[0]!.qos, (e: Error) => (e.name === "ErrorWithSubackPacket" ? 128 : -1));
    assert.equal(granted, 128);
    // ...and the certificate's identity still holds: its own topic is open to it.
    assert.equal(await publishOutcome(client, telemetryTopic("acme", "acme-plant-1", "machine", ACME)), "accepted");
  });

  it("a device of tenant A cannot publish under tenant B, nor as another device of its own tenant", async () => {
    for (const topic of [telemetryTopic("globex", "hq", "machine", GLOBEX), telemetryTopic("globex", "hq", "machine", ACME), telemetryTopic("acme", "acme-plant-1", "machine", ACME_2)]) {
      const { outcome, client } = await asDevice(ACME, certs[ACME]!);
      assert.equal(outcome, "connected");
      const refusedBefore = broker.stats.publishRefused;
      assert.equal(await publishOutcome(client, topic), "refused", topic);
      assert.equal(broker.stats.publishRefused, refusedBefore + 1);
    }
  });

  it("refuses a TLS 1.1 client in the handshake (the same client is accepted by a TLS 1.0+ server: it does speak 1.1)", async () => {
    const device = certs[ACME]!;
    const oldTls = { minVersion: "TLSv1.1", maxVersion: "TLSv1.1", ciphers: "DEFAULT@SECLEVEL=0", cert: device.certPem, key: device.keyPem, ca: ca.certPem } as const;
    const handshake = (port: number) =>
      new Promise<string>((resolve) => {
        const s = tlsConnect({ host: "127.0.0.1", port, ...oldTls }, () => {
          resolve(`connected ${s.getProtocol()}`);
          s.end();
        });
        s.on("error", (e) => resolve(`error: ${e.message}`));
      });
    const server = ca.issueServerCertificate();
    const control = createTlsServer({ key: server.keyPem, cert: server.certPem, minVersion: "TLSv1", ciphers: "DEFAULT@SECLEVEL=0" }, (s) => s.end());
    await new Promise<void>((ok) => control.listen(0, "127.0.0.1", ok));
    try {
      assert.equal(await handshake((control.address() as AddressInfo).port), "connected TLSv1.1");
    } finally {
      control.close();
    }
    const before = broker.stats.tlsRefused;
    assert.match(await handshake(broker.tlsPort!), /protocol version/);
    await waitFor(() => broker.stats.tlsRefused > before, "the broker to count the refusal");
    assert.match(broker.stats.lastTlsRefusal ?? "", /unsupported protocol/);
  });

  it("closes a TLS connection on a publish over 128 KB, before it is delivered", async () => {
    const { outcome, client } = await asDevice(ACME, certs[ACME]!);
    assert.equal(outcome, "connected");
    const accepted = broker.stats.telemetryAccepted;
    const tooLarge = broker.stats.packetsTooLarge;
    assert.equal(await publishOutcome(client, telemetryTopic("acme", "acme-plant-1", "machine", ACME), Buffer.alloc(MAX_MESSAGE_BYTES + 1, 0x20)), "refused");
    assert.equal(broker.stats.packetsTooLarge, tooLarge + 1);
    assert.equal(broker.stats.lastPacketTooLarge?.bytes, MAX_MESSAGE_BYTES + 1);
    assert.equal(broker.stats.telemetryAccepted, accepted);
  });

  it("a TLS port in use fails the start with EADDRINUSE and leaves the plain port free", async () => {
    const free = createNetServer();
    await new Promise<void>((ok) => free.listen(0, "127.0.0.1", ok));
    const plainPort = (free.address() as AddressInfo).port;
    await new Promise<void>((ok) => free.close(() => ok()));
    const server = ca.issueServerCertificate();
    await assert.rejects(
      EmbeddedBroker.start({ registry, awaitIngest: false, port: plainPort, tls: { port: broker.tlsPort!, key: server.keyPem, cert: server.certPem, ca: ca.certPem } }),
      (e: NodeJS.ErrnoException) => e.code === "EADDRINUSE",
    );
    // The plain listener it had opened is closed again: the port can be bound.
    const again = createNetServer();
    await new Promise<void>((ok, fail) => again.once("error", fail).listen(plainPort, "127.0.0.1", ok));
    await new Promise<void>((ok) => again.close(() => ok()));
  });

  it("keeps the plain listener's password login working beside TLS", async () => {
    const secret = registry.addDevice({ thingName: ACME, tenantId: "acme", siteId: "acme-plant-1" }, { rotate: true })!;
    const { outcome, client } = await attempt(broker.url, { clientId: ACME, username: ACME, password: secret });
    clients.push(client);
    assert.equal(outcome, "connected");
    assert.equal(await publishOutcome(client, telemetryTopic("acme", "acme-plant-1", "machine", ACME)), "accepted");
  });
});
