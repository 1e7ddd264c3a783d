/**
 * The local MQTT broker (aedes on 127.0.0.1): devices authenticate against the DeviceRegistry,
 * and every publish and subscribe is decided by topicRules.canPublish / canSubscribe, the same
 * rules the AWS IoT policy is written from. A refused publish closes the client's connection
 * (aedes does that for an authorizePublish error); a refused subscription is answered with 0x80
 * ([MQTT-3.9.3-2]).
 *
 * Until the ingest identity has subscribed, device connections wait (CONNACK is delayed): the
 * broker keeps nothing durable, so a telemetry message accepted with no subscriber would be lost.
 * `close({ drain })` refuses new work and waits until the ingest has acknowledged what it was sent.
 *
 * A PUBLISH whose payload is over MAX_MESSAGE_BYTES (128 KB, IoT Core's limit), or any other
 * packet over that size, closes the client's connection as soon as its header is read, before
 * its payload is (edge/packetSizeGate.ts): what IoT Core does, without buffering it first.
 *
 * With `tls`, a second listener speaks MQTT over TLS as IoT Core does on port 8883: mutual TLS
 * (TLS 1.2 or 1.3, https://docs.aws.amazon.com/iot/latest/developerguide/protocols.html#connection-protocol-tls),
 * the client certificate must chain to the local CA (edge/localCa.ts) and be within its validity
 * (the TLS layer refuses it otherwise, before any MQTT), and then be registered, ACTIVE and attached
 * to the thing named by the client id (DeviceRegistry.authenticateCertificate). The certificate is
 * the whole identity there: the CONNECT's username and password are ignored, as IoT Core ignores
 * them on an X.509 connection (its device SDKs put usage metrics in the username field, e.g.
 * aws-crt's AWSIoTMetrics), so no password can lend a TLS client another identity; the ingest
 * identity, which authenticates by password only, cannot connect there. The same topic rules and
 * packet-size gate apply on both listeners.
 *
 * With `journal` (serve), a device's telemetry is on disk before its PUBACK and replayed after a
 * crash (edge/brokerJournal.ts): aedes acknowledges a QoS 1 PUBLISH before it delivers it.
 */
import { Aedes, type Client, type Subscription } from "aedes";
import { createHash } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from "node:tls";
import { MAX_MESSAGE_BYTES } from "../pipelines/quality/payloadSchemas.ts";
import { PacketSizeGate, type OversizedPacket } from "./packetSizeGate.ts";
import { TELEMETRY_PREFIX, canPublish, canSubscribe, type Identity } from "./topicRules.ts";
import type { DeviceRegistry } from "./deviceRegistry.ts";
import type { BrokerJournal } from "./brokerJournal.ts";

export interface EmbeddedBrokerOptions {
  readonly registry: DeviceRegistry;
  /** Default 127.0.0.1: the broker is never reachable from other hosts unless asked. */
  readonly host?: string;
  /** Default 0 (any free port). */
  readonly port?: number;
  /** Hold device connections until the ingest identity subscribes. Default true. */
  readonly awaitIngest?: boolean;
  /** Largest PUBLISH payload, and Remaining Length of any other packet, in bytes. Default MAX_MESSAGE_BYTES. */
  readonly maxPayloadBytes?: number;
  /**
   * Devices' telemetry goes to this journal before its PUBACK (brokerJournal.ts), and what an
   * earlier run left there is replayed to the ingest once it subscribes: a crash loses nothing a
   * device was told was received. Default none (the main job's gateway keeps messages until the
   * ingest confirms them instead).
   */
  readonly journal?: BrokerJournal;
  /** MQTT over TLS with device certificates, on a second port of the same host. Default: none. */
  readonly tls?: BrokerTlsOptions;
}

export interface BrokerTlsOptions {
  /** Default 0 (any free port). */
  readonly port?: number;
  /** The broker's private key and certificate (PEM): LocalCa.issueServerCertificate. */
  readonly key: string;
  readonly cert: string;
  /** The CA (PEM) device certificates must chain to: LocalCa.certPem. */
  readonly ca: string;
}

export interface BrokerStats {
  authFailures: number;
  publishRefused: number;
  subscribeRefused: number;
  telemetryAccepted: number;
  ingestAcks: number;
  /** Connections the broker dropped on a client error (protocol, queue limit, reset). */
  clientErrors: number;
  lastClientError: string | null;
  /** Connections closed on a packet over the size limit (the packet was not read, nor delivered). */
  packetsTooLarge: number;
  /** The last such refusal: whose, what, and how many bytes of the connection had been read by then. */
  lastPacketTooLarge: (OversizedPacket & { readonly clientId: string | null; readonly bytesRead: number }) | null;
  /** The last refused CONNECT: client id and why (never a credential). */
  lastAuthFailure: string | null;
  /** TLS connections refused before MQTT: no certificate, another CA, expired, not yet valid, TLS < 1.2... */
  tlsRefused: number;
  /** Why the last one was: OpenSSL's verification code (CERT_HAS_EXPIRED, ...) or the handshake error. */
  lastTlsRefusal: string | null;
}

/** Thrown in authenticate: aedes answers CONNACK with this return code. */
function authError(code: 4 | 5, message: string): Error & { returnCode: number } {
  return Object.assign(new Error(message), { returnCode: code });
}

export class EmbeddedBroker {
  readonly stats: BrokerStats = {
    authFailures: 0, publishRefused: 0, subscribeRefused: 0, telemetryAccepted: 0, ingestAcks: 0, clientErrors: 0, lastClientError: null,
    packetsTooLarge: 0, lastPacketTooLarge: null, lastAuthFailure: null, tlsRefused: 0, lastTlsRefusal: null,
  };
  private readonly identities = new WeakMap<Client, Identity>();
  /** The certificate a TLS client authenticated with, by fingerprint. */
  private readonly certificates = new WeakMap<Client, string>();
  private ingestReady = false;
  private readonly waiting: Array<(ok: boolean) => void> = [];
  private closing = false;
  private journalTimer: NodeJS.Timeout | null = null;
  /** Leftover journal records replayed to the ingest at start (their acks are not new records'). */
  private replayed = 0;
  private journal: BrokerJournal | null = null;

  private constructor(
    readonly aedes: Aedes,
    private readonly server: Server,
    readonly host: string,
    readonly port: number,
    private readonly tlsServer: TlsServer | null,
    /** The TLS listener's port, or null without `tls`. */
    readonly tlsPort: number | null,
    private readonly registry: DeviceRegistry,
  ) {}

  static async start(opts: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
    const host = opts.host ?? "127.0.0.1";
    const awaitIngest = opts.awaitIngest ?? true;
    let self: EmbeddedBroker | null = null;
    /** Connections that came in on the TLS listener: their identity is their certificate. */
    const tlsConnections = new WeakSet<object>();
    const aedes = await Aedes.createBroker({
      authenticate: (client, username, password, done) => {
        const b = self!;
        let id: Identity | null = null;
        if (b.closing) {
          b.stats.lastAuthFailure = `${client.id}: broker is closing`;
        } else if (tlsConnections.has(client.conn)) {
          // The listener has checked the chain and validity; here: registered, ACTIVE, attached.
          const conn = client.conn as unknown as TLSSocket;
          const raw = conn.authorized ? (conn.getPeerCertificate().raw as Buffer | undefined) : undefined;
          const fingerprint = raw ? createHash("sha256").update(raw).digest("hex") : null;
          const outcome = fingerprint ? opts.registry.authenticateCertificate(client.id, fingerprint) : { refused: "no client certificate" };
          if ("identity" in outcome) {
            id = outcome.identity;
            b.certificates.set(client, fingerprint!);
          } else b.stats.lastAuthFailure = `${client.id}: ${outcome.refused}`;
        } else {
          id = opts.registry.authenticate(client.id, username, password);
          if (!id) b.stats.lastAuthFailure = `${client.id}: bad username or password`;
        }
        if (!id) {
          b.stats.authFailures++;
          // [MQTT-3.2.2-3] return codes: 4 bad user name or password; 5 not authorized (a certificate refused).
          return tlsConnections.has(client.conn) ? done(authError(5, "not authorized") as never, null) : done(authError(4, "bad username or password") as never, null);
        }
        b.identities.set(client, id);
        if (id.kind === "ingest" || !awaitIngest || b.ingestReady) return done(null, true);
        b.waiting.push((ok) => (ok ? done(null, true) : done(authError(5, "broker is closing") as never, null)));
      },
      authorizePublish: (client, packet, callback) => {
        const b = self!;
        const id = client ? b.identities.get(client) : undefined;
        if (!id || b.closing || !canPublish(id, packet.topic) || !b.certificateStillActive(client!)) {
          b.stats.publishRefused++;
          return callback(new Error(`publish to ${packet.topic} refused`));
        }
        if (!packet.topic.startsWith(`${TELEMETRY_PREFIX}/`)) return callback(null);
        if (!opts.journal) {
          b.stats.telemetryAccepted++;
          return callback(null);
        }
        // On disk before aedes sends the PUBACK (it does once this callback says yes).
        opts.journal.append(packet.topic, packet.payload as Buffer).then(
          () => {
            b.stats.telemetryAccepted++;
            callback(null);
          },
          (e: Error) => callback(new Error(`publish to ${packet.topic} not journaled: ${e.message}`)),
        );
      },
      authorizeSubscribe: (client, sub: Subscription, callback) => {
        const b = self!;
        const id = b.identities.get(client);
        if (!id || !canSubscribe(id, sub.topic) || !b.certificateStillActive(client)) {
          b.stats.subscribeRefused++;
          return callback(null, null); // SUBACK 0x80 for this filter
        }
        callback(null, sub);
      },
    });
    aedes.on("subscribe", (subs, client) => {
      const b = self!;
      if (b.identities.get(client)?.kind === "ingest" && subs.some((s) => s.topic === `${TELEMETRY_PREFIX}/#`)) b.openGate();
    });
    aedes.on("ack", (_packet, client) => {
      if (client && self!.identities.get(client)?.kind === "ingest") self!.stats.ingestAcks++;
    });
    aedes.on("clientError", (client, err) => {
      self!.stats.clientErrors++;
      self!.stats.lastClientError = `${client.id}: ${err.message}`;
    });
    const limit = opts.maxPayloadBytes ?? MAX_MESSAGE_BYTES;
    const connection = (socket: Socket) => {
      const client = aedes.handle(socket);
      // aedes reads with 'readable' and read(); a 'data' listener then sees each chunk as read()
      // returns it, without switching the socket to flowing mode (Node's stream docs: "'readable'
      // takes precedence"), so the gate follows every byte aedes parses, in order, and copies none.
      const gate = new PacketSizeGate(limit, limit);
      const onData = (chunk: Buffer) => {
        const refused = gate.feed(chunk);
        if (!refused) return;
        socket.off("data", onData);
        const b = self!;
        b.stats.packetsTooLarge++;
        b.stats.lastPacketTooLarge = { ...refused, clientId: client.id ?? null, bytesRead: socket.bytesRead };
        socket.destroy();
      };
      socket.on("data", onData);
    };
    const server = createServer(connection);
    const tlsServer = opts.tls
      ? createTlsServer(
          // rejectUnauthorized is false so that the refusal below can say why (Node's own refusal
          // destroys the socket without a reason: the log would read "socket hang up" for an
          // expired certificate); the check is made before aedes sees a byte, and again in
          // authenticate.
          { key: opts.tls.key, cert: opts.tls.cert, ca: [opts.tls.ca], requestCert: true, rejectUnauthorized: false, minVersion: "TLSv1.2" },
          (socket: TLSSocket) => {
            if (!socket.authorized) {
              self!.stats.tlsRefused++;
              const cert = socket.getPeerCertificate();
              self!.stats.lastTlsRefusal = cert?.raw ? String(socket.authorizationError ?? "certificate not verified") : "no client certificate";
              socket.destroy();
              return;
            }
            tlsConnections.add(socket);
            connection(socket);
          },
        )
      : null;
    tlsServer?.on("tlsClientError", (err) => {
      // Refused in the handshake itself: a protocol version or cipher below the floor, not TLS at all.
      self!.stats.tlsRefused++;
      self!.stats.lastTlsRefusal = err.message;
    });
    const listen = (srv: Server | TlsServer, port: number) =>
      new Promise<void>((resolve, reject) => {
        srv.once("error", reject);
        srv.listen(port, host, () => {
          srv.off("error", reject);
          resolve();
        });
      });
    try {
      await listen(server, opts.port ?? 0);
      if (tlsServer) await listen(tlsServer, opts.tls?.port ?? 0);
    } catch (e) {
      // A port in use: close the broker and what listens already, or they keep the process alive.
      if (server.listening) server.close();
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      throw e;
    }
    const tlsPort = tlsServer ? (tlsServer.address() as AddressInfo).port : null;
    self = new EmbeddedBroker(aedes, server, host, (server.address() as AddressInfo).port, tlsServer, tlsPort, opts.registry);
    self.journal = opts.journal ?? null;
    return self;
  }

  /**
   * A TLS client's certificate is checked again at each publish and subscribe: IoT Core disconnects
   * devices "within a few minutes" of their certificate leaving ACTIVE (UpdateCertificate); here a
   * deactivated or revoked certificate's next publish is refused, which closes the connection.
   */
  private certificateStillActive(client: Client): boolean {
    const fingerprint = this.certificates.get(client);
    return fingerprint === undefined || this.registry.isCertificateActive(fingerprint);
  }

  get url(): string {
    return `mqtt://${this.host}:${this.port}`;
  }

  /** mqtts://host:port of the TLS listener, or null without `tls`. */
  get tlsUrl(): string | null {
    return this.tlsPort === null ? null : `mqtts://${this.host}:${this.tlsPort}`;
  }

  /** Device connections authenticated and held until the ingest subscribes (awaitIngest). */
  get heldConnections(): number {
    return this.waiting.length;
  }

  private openGate(): void {
    this.ingestReady = true;
    if (this.journal) void this.replayJournal(this.journal);
    else for (const release of this.waiting.splice(0)) release(true);
  }

  /**
   * What an earlier run journaled goes to the ingest again (it drops what it had committed), before
   * any device is let in; then those segments go, and new segments are released every few seconds
   * as the ingest acknowledges their records.
   */
  private async replayJournal(journal: BrokerJournal): Promise<void> {
    for (const r of journal.leftover) {
      await new Promise<void>((resolve) => this.aedes.publish({ cmd: "publish", topic: r.topic, payload: r.payload, qos: 1, retain: false, dup: false }, () => resolve()));
    }
    this.replayed = journal.leftover.length;
    // Bounded: an ingest that never acknowledges leaves the old segments for the next start.
    const until = Date.now() + 120_000;
    while (this.stats.ingestAcks < this.replayed && !this.closing && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    if (!this.closing && this.stats.ingestAcks >= this.replayed) journal.releaseLeftover();
    for (const release of this.waiting.splice(0)) release(!this.closing);
    this.journalTimer = setInterval(() => void this.releaseJournal(), 5_000);
    this.journalTimer.unref();
  }

  private async releaseJournal(): Promise<void> {
    if (!this.journal) return;
    await this.journal.rotate();
    this.journal.release(this.stats.ingestAcks - this.replayed);
  }

  /**
   * Stop: refuse new connections and publishes; with `drainMs`, wait (at most that long) until
   * the ingest has acknowledged every telemetry message accepted, so a restart loses nothing.
   */
  async close(opts: { drainMs?: number } = {}): Promise<void> {
    this.closing = true;
    this.server.close();
    this.tlsServer?.close();
    if (opts.drainMs && this.ingestReady) {
      const until = Date.now() + opts.drainMs;
      while (this.stats.ingestAcks < this.stats.telemetryAccepted && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    for (const release of this.waiting.splice(0)) release(false);
    if (this.journalTimer) clearInterval(this.journalTimer);
    if (this.journal) {
      // Drained: what the ingest acknowledged leaves the journal; the rest is replayed next start.
      await this.releaseJournal().catch(() => undefined);
      await this.journal.close();
    }
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
    for (const srv of [this.server, this.tlsServer]) {
      await new Promise<void>((resolve) => {
        if (!srv?.listening) return resolve();
        srv.close(() => resolve());
      });
    }
  }
}
