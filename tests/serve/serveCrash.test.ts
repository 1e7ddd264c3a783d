/**
 * SIGKILL in the middle of ingest, then a restart on the same ports: a device that keeps
 * publishing (QoS 1, store-and-forward) loses nothing and lands nothing twice. What the broker
 * acknowledged is in its journal (edge/brokerJournal.ts) and is replayed; what it had not
 * acknowledged the device sends again; the ingest drops what it had committed.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeviceRegistry, deviceRegistryPath } from "../../edge/deviceRegistry.ts";
import { Gateway } from "../../edge/gateway.ts";
import { ServedSession } from "../../pipelines/serve/servedSession.ts";
import { startServe, type Served } from "../helpers/serveProcess.ts";
import { waitFor } from "../helpers/waitFor.ts";

const READINGS = 3_000;
const PER_MESSAGE = 20;

describe("serve after SIGKILL", () => {
  const home = mkdtempSync(join(tmpdir(), "hub-crash-"));
  let served: Served | undefined;
  let device: Gateway | undefined;
  after(async () => {
    await device?.stop().catch(() => undefined);
    await served?.stop("SIGKILL").catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
  });

  it("loses no acknowledged reading and lands none twice when killed mid-ingest and started again", async () => {
    const first = await startServe(home, ["--tenants", "acme"]);
    served = first;
    const thing = { thingName: "acme-crash-m1", tenantId: "acme", siteId: "acme-plant-1" };
    const password = DeviceRegistry.open(deviceRegistryPath(home)).addDevice(thing)!;
    device = new Gateway({
      url: first.info.mqtt, dir: join(home, "device-queue"), devices: [{ ...thing, sensorType: "machine", password }],
      backoff: { baseMs: 50, capMs: 500 },
    });
    device.start();
    await device.connected();
    const t0 = Date.now() - READINGS * 1000;
    // Published in bursts while the hub runs; the kill comes once some are in, many not yet.
    let seq = 0;
    const publishing = (async () => {
      while (seq < READINGS) {
        const batch = Array.from({ length: PER_MESSAGE }, () => {
          seq++;
          return { ts: new Date(t0 + seq * 1000), seq, metrics: { state: "RUNNING", period_s: 1, spindle_load_pct: seq % 100, temperature_c: 40 } };
        });
        device!.add(thing.thingName, batch);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await waitFor(() => device!.stats().sentReadings >= READINGS / 4, "a quarter of the readings to be acknowledged", 60_000);
    const killed = await first.stop("SIGKILL");
    assert.equal(killed.signal, "SIGKILL");
    const acknowledgedBeforeKill = device.stats().sentReadings;
    await publishing;
    assert.ok(acknowledgedBeforeKill < READINGS, "the kill came mid-ingest");
    // Same ports: the device's gateway reconnects by itself and sends what was not acknowledged.
    const port = (url: string) => new URL(url).port;
    served = await startServe(home, ["--tenants", "acme", "--mqtt-port", port(first.info.mqtt), "--http-port", port(first.info.http)]);
    await device.drained(120_000);
    const session = await ServedSession.open(served.info, { role: "HUB_ADMIN" });
    try {
      let counts: unknown[] = [];
      await waitFor(async () => {
        const [r] = await session.execute(`SELECT COUNT(*), COUNT(DISTINCT seq) FROM RAW.SENSOR_READINGS WHERE device_id = '${thing.thingName}'`);
        counts = r!.rows[0]!.map(Number);
        return Number(counts[0]) >= READINGS;
      }, "every reading to be committed", 60_000).catch(() => undefined);
      assert.deepEqual(counts, [READINGS, READINGS], "every reading exactly once");
    } finally {
      await session.close();
    }
  });
});
