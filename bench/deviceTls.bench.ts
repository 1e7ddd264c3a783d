/**
 * What device certificates cost against passwords, on the same broker in the same run:
 *
 * - connecting a fleet: every device opens its own connection at once (TLS handshake with its
 *   client certificate and the registry check, against CONNECT with a password), time until all
 *   have their CONNACK;
 * - publishing: the live simulator (edge/liveFleet.ts) pushes one simulated hour of a 40-machine
 *   site as fast as it can (batched QoS 1 messages through each device's store-and-forward queue),
 *   readings acknowledged per second, over mqtts:// against mqtt://.
 *
 * The broker has no ingest behind it (awaitIngest off): this is the transport's cost, not the hub's.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { DeviceRegistry } from "../edge/deviceRegistry.ts";
import { EmbeddedBroker } from "../edge/embeddedBroker.ts";
import { LocalCa } from "../edge/localCa.ts";
import { fleetThings } from "../edge/fleetDevices.ts";
import { LiveFleet } from "../edge/liveFleet.ts";
import { credentialFiles, provisionLocalThings } from "../edge/provisioning.ts";
import type { TenantFleetSpec } from "../edge/fleetSpec.ts";
import { median, timed, type Benchmark, type Figure } from "./harness.ts";

const ROUNDS = 3;

function spec(machines: number): TenantFleetSpec {
  return { tenantId: "acme", sites: [{ siteId: "bench-1", machines, energyMeters: 4, airSensors: 4, stations: [], jobsPerHour: 0 }] };
}

export const deviceTlsBenchmark: Benchmark = {
  name: "device-tls",
  description: "devices with client certificates (mqtts) against passwords (mqtt): fleet connect time and live publish throughput",
  async run({ scale, progress }): Promise<Figure[]> {
    const home = mkdtempSync(join(tmpdir(), "bench-tls-"));
    const machines = Math.max(4, Math.round(40 * scale));
    const fleet = spec(machines);
    const registry = DeviceRegistry.inMemory();
    const ca = LocalCa.open(join(home, "ca"));
    const creds = join(home, "credentials");
    const things = fleetThings([fleet]).map(({ thingName, tenantId, siteId }) => ({ thingName, tenantId, siteId }));
    progress(`provisioning ${things.length} devices (RSA 2048 keys)`);
    provisionLocalThings(registry, things, join(creds, "acme"), { ca });
    const server = ca.issueServerCertificate();
    const broker = await EmbeddedBroker.start({ registry, awaitIngest: false, tls: { key: server.keyPem, cert: server.certPem, ca: ca.certPem } });
    const read = (f: string) => readFileSync(join(creds, "acme", f), "utf8");
    try {
      const connectAll = async (tls: boolean): Promise<number> => {
        const { result: clients, ms } = await timed(() =>
          Promise.all(
            things.map((t) =>
              mqtt.connectAsync(tls ? broker.tlsUrl! : broker.url, {
                clientId: t.thingName, reconnectPeriod: 0,
                ...(tls
                  ? { cert: read(credentialFiles.certificate(t.thingName)), key: read(credentialFiles.privateKey(t.thingName)), ca: ca.certPem }
                  : { username: t.thingName, password: read(credentialFiles.secret(t.thingName)).trim() }),
              }),
            ),
          ),
        );
        await Promise.all(clients.map((c: MqttClient) => c.endAsync()));
        return ms;
      };
      const connectPlain: number[] = [];
      const connectTls: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        connectPlain.push(await connectAll(false));
        connectTls.push(await connectAll(true));
      }
      progress(`connect: plain ${median(connectPlain).toFixed(0)} ms, tls ${median(connectTls).toFixed(0)} ms for ${things.length} devices`);

      const publish = async (tls: boolean, round: number): Promise<number> => {
        const live = await LiveFleet.open({
          url: tls ? broker.tlsUrl! : broker.url, specs: [fleet], credentialsDir: creds, queueDir: join(home, `q-${tls ? "tls" : "plain"}-${round}`),
          speed: 1_000_000, start: new Date("2026-01-05T08:00:00Z"), hours: 1, seed: 1, faults: false,
        });
        const { result, ms } = await timed(() => live.run({ drainMs: 600_000 }));
        if (result.queued > 0) throw new Error(`device-tls: ${result.queued} readings still queued after the run`);
        return result.acknowledged / (ms / 1000);
      };
      const ratePlain: number[] = [];
      const rateTls: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        ratePlain.push(await publish(false, r));
        rateTls.push(await publish(true, r));
      }
      progress(`publish: plain ${median(ratePlain).toFixed(0)} readings/s, tls ${median(rateTls).toFixed(0)} readings/s`);
      return [
        {
          name: "device_tls.fleet_connect_ms", value: median(connectTls), unit: "ms",
          description: `${things.length} devices connecting at once over mqtts with client certificates, until every CONNACK (median of ${ROUNDS})`,
          reference: { name: "the same devices with passwords over mqtt", value: median(connectPlain), unit: "ms" },
          ratio: median(connectTls) / median(connectPlain), ratioMeaning: "TLS / plain (cost of the handshakes)",
        },
        {
          name: "device_tls.live_publish_rate", value: median(rateTls), unit: "readings/s",
          description: `simulate --live pushing one simulated hour of ${machines} machines, 4 meters, 4 air sensors over mqtts, acknowledged (median of ${ROUNDS})`,
          reference: { name: "the same over mqtt with passwords", value: median(ratePlain), unit: "readings/s" },
          ratio: median(rateTls) / median(ratePlain), ratioMeaning: "TLS / plain",
        },
      ];
    } finally {
      await broker.close();
      rmSync(home, { recursive: true, force: true });
    }
  },
};
