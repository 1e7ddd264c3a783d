/**
 * Local provisioning with certificates: every device gets a password and a client certificate from
 * the hub's CA in its credentials folder; a second run changes nothing; what no longer works (a
 * secret rotated elsewhere, lost files, a certificate of an earlier CA) is replaced; --rotate
 * replaces everything and deactivates the old certificates.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { DeviceRegistry, deviceRegistryPath } from "../../edge/deviceRegistry.ts";
import { LocalCa, certificateFingerprint, localCaDir } from "../../edge/localCa.ts";
import { credentialFiles, provisionLocalThings } from "../../edge/provisioning.ts";
import { readStackFleet } from "../../edge/fleetStackFile.ts";
import { removeDir, tempDir } from "./edgeStack.ts";

const things = [
  { thingName: "acme-plant-1-m-001", tenantId: "acme", siteId: "acme-plant-1" },
  { thingName: "acme-plant-1-rfid", tenantId: "acme", siteId: "acme-plant-1" },
];

function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f), "utf8")]));
}

describe("local provisioning with device certificates", () => {
  const home = tempDir("prov-cert-");
  after(() => removeDir(home));
  const registryPath = join(home, "devices.json");
  const creds = join(home, "creds");

  it("writes a secret, a certificate, its key and the CA's certificate, mode 0600, and registers the certificate ACTIVE", () => {
    const ca = LocalCa.open(localCaDir(home));
    const rows = provisionLocalThings(DeviceRegistry.open(registryPath), things, creds, { ca });
    assert.deepEqual(rows.map((r) => r.status), ["created", "created"]);
    for (const f of [credentialFiles.ca, ...things.flatMap((t) => [credentialFiles.secret(t.thingName), credentialFiles.certificate(t.thingName), credentialFiles.privateKey(t.thingName)])]) {
      assert.equal(statSync(join(creds, f)).mode & 0o777, 0o600, f);
    }
    assert.equal(readFileSync(join(creds, credentialFiles.ca), "utf8"), ca.certPem);
    const fp = certificateFingerprint(readFileSync(join(creds, credentialFiles.certificate("acme-plant-1-m-001")), "utf8"));
    assert.equal(rows[0]!.certificate, fp);
    assert.deepEqual(DeviceRegistry.open(registryPath).authenticateCertificate("acme-plant-1-m-001", fp), { identity: { kind: "device", tenantId: "acme", thingName: "acme-plant-1-m-001" } });
    assert.ok(!readFileSync(registryPath, "utf8").includes("PRIVATE KEY"), "the registry holds no key");
  });

  it("a second run changes nothing: not the registry, not a credentials file", () => {
    const registryBefore = readFileSync(registryPath, "utf8");
    const filesBefore = snapshot(creds);
    const rows = provisionLocalThings(DeviceRegistry.open(registryPath), things, creds, { ca: LocalCa.open(localCaDir(home)) });
    assert.deepEqual(rows.map((r) => r.status), ["exists", "exists"]);
    assert.equal(readFileSync(registryPath, "utf8"), registryBefore);
    assert.deepEqual(snapshot(creds), filesBefore);
  });

  it("replaces a secret rotated elsewhere (as npm start rotates its fleet's) and lost certificate files, and only those", () => {
    const registry = DeviceRegistry.open(registryPath);
    registry.addDevice(things[0]!, { rotate: true }); // the file's secret is stale now
    rmSync(join(creds, credentialFiles.certificate(things[1]!.thingName)));
    const rows = provisionLocalThings(DeviceRegistry.open(registryPath), things, creds, { ca: LocalCa.open(localCaDir(home)) });
    assert.deepEqual(rows.map((r) => r.status), ["renewed", "renewed"]);
    const secret = readFileSync(join(creds, credentialFiles.secret(things[0]!.thingName)), "utf8").trim();
    assert.ok(DeviceRegistry.open(registryPath).secretMatches(things[0]!.thingName, secret));
    const fp = certificateFingerprint(readFileSync(join(creds, credentialFiles.certificate(things[1]!.thingName)), "utf8"));
    assert.equal(DeviceRegistry.open(registryPath).certificate(fp)?.status, "ACTIVE");
  });

  it("replaces certificates of an earlier CA", () => {
    rmSync(localCaDir(home), { recursive: true });
    const ca = LocalCa.open(localCaDir(home));
    const rows = provisionLocalThings(DeviceRegistry.open(registryPath), things, creds, { ca });
    assert.deepEqual(rows.map((r) => r.status), ["renewed", "renewed"]);
    assert.equal(readFileSync(join(creds, credentialFiles.ca), "utf8"), ca.certPem);
  });

  it("--rotate issues new credentials and deactivates every earlier certificate", () => {
    const registry = DeviceRegistry.open(registryPath);
    const old = registry.certificates(things[0]!.thingName).filter((c) => c.status === "ACTIVE").map((c) => c.fingerprint);
    assert.ok(old.length > 0);
    const rows = provisionLocalThings(DeviceRegistry.open(registryPath), things, creds, { ca: LocalCa.open(localCaDir(home)), rotate: true });
    assert.deepEqual(rows.map((r) => r.status), ["rotated", "rotated"]);
    const after = DeviceRegistry.open(registryPath);
    for (const fp of old) assert.equal(after.certificate(fp)?.status, "INACTIVE");
    assert.deepEqual(after.certificates(things[0]!.thingName).filter((c) => c.status === "ACTIVE").map((c) => c.fingerprint), [rows[0]!.certificate]);
  });
});

describe("scripts/provision.ts --fleet", () => {
  const home = tempDir("prov-fleet-");
  after(() => removeDir(home));
  const run = (...args: string[]) =>
    spawnSync(join(process.cwd(), "scripts", "provision.ts"), args, { encoding: "utf8", env: { ...process.env, HUB_HOME: home }, timeout: 120_000 });

  it("provisions every device the tenant's stack fleet runs (sensors of each site, one scanner per site), with certificates", () => {
    const r = run("--tenant", "acme", "--fleet");
    assert.equal(r.status, 0, r.stderr);
    // The fleet from the stack file itself, counted by hand: machines, meters, air sensors, a scanner.
    const spec = readStackFleet(process.cwd(), "acme")!;
    const expected = spec.sites.flatMap((s) => [
      ...Array.from({ length: s.machines }, (_, i) => `${s.siteId}-m-${String(i + 1).padStart(3, "0")}`),
      ...Array.from({ length: s.energyMeters }, (_, i) => `${s.siteId}-e-${String(i + 1).padStart(3, "0")}`),
      ...Array.from({ length: s.airSensors }, (_, i) => `${s.siteId}-aq-${String(i + 1).padStart(3, "0")}`),
      `${s.siteId}-rfid`,
    ]);
    const registry = DeviceRegistry.open(deviceRegistryPath(home));
    assert.deepEqual(registry.devices.map((d) => d.thingName).sort(), [...expected].sort());
    assert.deepEqual(registry.certificates().map((c) => c.thingName).sort(), [...expected].sort());
    assert.match(r.stdout, new RegExp(`${expected.length} created, 0 renewed, 0 rotated, 0 already in place`));
    assert.ok(!r.stdout.includes("PRIVATE KEY") && !r.stderr.includes("PRIVATE KEY"));
  });

  it("refuses --fleet with --devices, and neither of the two, before creating anything", () => {
    const both = run("--tenant", "acme", "--fleet", "--devices", "3");
    assert.equal(both.status, 1);
    assert.match(both.stderr, /--fleet provisions the devices of the tenant's fleet: leave out --devices/);
    const none = run("--tenant", "acme");
    assert.equal(none.status, 1);
    assert.match(none.stderr, /--devices N or --fleet is required/);
  });
});
