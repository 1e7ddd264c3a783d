/** Device certificates in the registry: IoT Core's certificate states, attachment to one thing. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { DeviceRegistry } from "../../edge/deviceRegistry.ts";
import { removeDir, tempDir } from "./edgeStack.ts";

const FP_A = "a".repeat(64);
const FP_B = "b".repeat(64);
const notAfter = new Date("2027-12-01T00:00:00Z");

function registryWithTwoThings(): DeviceRegistry {
  const r = DeviceRegistry.inMemory();
  r.addDevice({ thingName: "acme-m-001", tenantId: "acme", siteId: "plant1" });
  r.addDevice({ thingName: "globex-m-001", tenantId: "globex", siteId: "hq" });
  return r;
}

describe("device certificates in the registry", () => {
  it("an ACTIVE certificate proves the thing it is attached to, with the thing's tenant", () => {
    const r = registryWithTwoThings();
    r.registerCertificate({ fingerprint: FP_A, thingName: "acme-m-001", notAfter });
    assert.deepEqual(r.authenticateCertificate("acme-m-001", FP_A), { identity: { kind: "device", tenantId: "acme", thingName: "acme-m-001" } });
  });

  it("an INACTIVE or REVOKED certificate, an unknown one, or another thing's client id proves nothing", () => {
    const r = registryWithTwoThings();
    r.registerCertificate({ fingerprint: FP_A, thingName: "acme-m-001", notAfter });
    assert.deepEqual(r.authenticateCertificate("globex-m-001", FP_A), { refused: "client id is not the certificate's thing" });
    assert.deepEqual(r.authenticateCertificate("acme-m-001", FP_B), { refused: "unknown certificate" });
    r.setCertificateStatus(FP_A, "INACTIVE");
    assert.deepEqual(r.authenticateCertificate("acme-m-001", FP_A), { refused: "certificate INACTIVE" });
    r.setCertificateStatus(FP_A, "ACTIVE");
    assert.ok("identity" in r.authenticateCertificate("acme-m-001", FP_A));
    r.setCertificateStatus(FP_A, "REVOKED");
    assert.deepEqual(r.authenticateCertificate("acme-m-001", FP_A), { refused: "certificate REVOKED" });
  });

  it("a revoked certificate keeps that state: neither ACTIVE nor INACTIVE again (as in IoT Core)", () => {
    const r = registryWithTwoThings();
    r.registerCertificate({ fingerprint: FP_A, thingName: "acme-m-001", notAfter }, "REVOKED");
    assert.throws(() => r.setCertificateStatus(FP_A, "ACTIVE"), /is REVOKED: a revoked certificate cannot be made ACTIVE/);
    assert.throws(() => r.setCertificateStatus(FP_A, "INACTIVE"), /is REVOKED: a revoked certificate cannot be made INACTIVE/);
    assert.throws(() => r.setCertificateStatus(FP_A, "PENDING_TRANSFER" as never), /certificate status "PENDING_TRANSFER": one of ACTIVE, INACTIVE, REVOKED/);
  });

  it("refuses a certificate for an unregistered thing, one attached elsewhere, and a malformed fingerprint", () => {
    const r = registryWithTwoThings();
    assert.throws(() => r.registerCertificate({ fingerprint: FP_A, thingName: "nobody", notAfter }), /thing nobody is not registered/);
    r.registerCertificate({ fingerprint: FP_A, thingName: "acme-m-001", notAfter });
    assert.throws(() => r.registerCertificate({ fingerprint: FP_A, thingName: "globex-m-001", notAfter }), /is attached to acme-m-001, not globex-m-001/);
    assert.throws(() => r.registerCertificate({ fingerprint: "AB:CD", thingName: "acme-m-001", notAfter }), /fingerprint "AB:CD": 64 lower-case hex digits/);
  });

  it("rotating a device's password keeps its certificates", () => {
    const r = registryWithTwoThings();
    r.registerCertificate({ fingerprint: FP_A, thingName: "acme-m-001", notAfter });
    assert.ok(r.addDevice({ thingName: "acme-m-001", tenantId: "acme", siteId: "plant1" }, { rotate: true }));
    assert.ok("identity" in r.authenticateCertificate("acme-m-001", FP_A));
  });

  it("a broker's registry sees a certificate another process registered, or deactivated, in the file", () => {
    const dir = tempDir("reg-");
    try {
      const path = join(dir, "devices.json");
      const broker = DeviceRegistry.open(path);
      const provision = DeviceRegistry.open(path);
      provision.addDevice({ thingName: "acme-m-001", tenantId: "acme", siteId: "plant1" });
      provision.registerCertificate({ fingerprint: FP_A, thingName: "acme-m-001", notAfter });
      assert.ok("identity" in broker.authenticateCertificate("acme-m-001", FP_A));
      provision.setCertificateStatus(FP_A, "INACTIVE");
      assert.deepEqual(broker.authenticateCertificate("acme-m-001", FP_A), { refused: "certificate INACTIVE" });
    } finally {
      removeDir(dir);
    }
  });

  it("opens a registry file written before certificates existed", () => {
    const dir = tempDir("reg-");
    try {
      const path = join(dir, "devices.json");
      writeFileSync(path, JSON.stringify({ version: 1, devices: { "acme-m-001": { thingName: "acme-m-001", tenantId: "acme", siteId: "p", secretHash: "x$y$z" } } }));
      const r = DeviceRegistry.open(path);
      assert.deepEqual(r.certificates(), []);
      r.registerCertificate({ fingerprint: FP_A, thingName: "acme-m-001", notAfter });
      assert.equal(DeviceRegistry.open(path).certificates("acme-m-001")[0]?.status, "ACTIVE");
    } finally {
      removeDir(dir);
    }
  });
});
