/**
 * The local CA, checked from outside: OpenSSL (`openssl verify`, a second implementation of chain
 * and purpose checking) and node:crypto's X509Certificate read what node-forge wrote.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate, createPrivateKey } from "node:crypto";
import { execFileSync } from "node:child_process";
import { chmodSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LocalCa, MAX_LEAF_VALIDITY_DAYS } from "../../edge/localCa.ts";
import { removeDir, tempDir } from "./edgeStack.ts";

const DAY_MS = 86_400_000;

/** `openssl verify` of `certPem` against `caPem` for a purpose: "ok" or OpenSSL's complaint. */
function opensslVerify(dir: string, caPem: string, certPem: string, purpose: "sslclient" | "sslserver"): string {
  writeFileSync(join(dir, "v-ca.pem"), caPem);
  writeFileSync(join(dir, "v-leaf.pem"), certPem);
  try {
    execFileSync("openssl", ["verify", "-purpose", purpose, "-CAfile", join(dir, "v-ca.pem"), join(dir, "v-leaf.pem")], { stdio: "pipe" });
    return "ok";
  } catch (e) {
    return String((e as { stdout?: Buffer }).stdout ?? "") + String((e as { stderr?: Buffer }).stderr ?? "");
  }
}

describe("local CA", () => {
  it("is created on first use with its key readable by its owner only, and the same CA is reloaded after", () => {
    const home = tempDir("ca-");
    try {
      const dir = join(home, "ca");
      const first = LocalCa.open(dir);
      assert.equal(statSync(LocalCa.keyPath(dir)).mode & 0o777, 0o600);
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      const again = LocalCa.open(dir);
      assert.equal(again.fingerprint, first.fingerprint);
      assert.equal(again.certPem, first.certPem);
      const ca = new X509Certificate(first.certPem);
      assert.equal(ca.ca, true);
      const years = (Date.parse(ca.validTo) - Date.now()) / (365 * DAY_MS);
      assert.ok(years > 9.9 && years < 10.1, `CA valid for ${years} years`);
      // A certificate issued after the reload chains to the CA made before it.
      assert.equal(opensslVerify(home, first.certPem, again.issueDeviceCertificate("acme-plant-1-m-001").certPem, "sslclient"), "ok");
    } finally {
      removeDir(home);
    }
  });

  it("refuses a CA key that others can read, naming the file and the fix", () => {
    const home = tempDir("ca-");
    try {
      const dir = join(home, "ca");
      LocalCa.open(dir);
      chmodSync(LocalCa.keyPath(dir), 0o644);
      assert.throws(() => LocalCa.open(dir), (e: Error) => e.message.includes(LocalCa.keyPath(dir)) && e.message.includes("0644") && e.message.includes("chmod 600"));
    } finally {
      removeDir(home);
    }
  });

  it("refuses a CA folder with its certificate but not its key, rather than making a second CA", () => {
    const home = tempDir("ca-");
    try {
      const dir = join(home, "ca");
      LocalCa.open(dir);
      rmSync(LocalCa.keyPath(dir));
      assert.throws(() => LocalCa.open(dir), /ca\.key\.pem is missing/);
    } finally {
      removeDir(home);
    }
  });

  it("issues device certificates that chain to it for client authentication only, CN = thing name, one year, random serials", () => {
    const home = tempDir("ca-");
    try {
      const ca = LocalCa.open(join(home, "ca"));
      const a = ca.issueDeviceCertificate("acme-plant-1-m-001");
      const b = ca.issueDeviceCertificate("acme-plant-1-m-001");
      const x = new X509Certificate(a.certPem);
      assert.equal(x.subject, "CN=acme-plant-1-m-001");
      assert.ok(x.checkIssued(new X509Certificate(ca.certPem)));
      assert.ok(x.verify(new X509Certificate(ca.certPem).publicKey));
      assert.equal(x.ca, false);
      assert.ok(x.checkPrivateKey(createPrivateKey(a.keyPem)));
      // The fingerprint is the SHA-256 of the DER: node's own fingerprint256 is the same, in another spelling.
      assert.equal(a.fingerprint, x.fingerprint256.replaceAll(":", "").toLowerCase());
      assert.notEqual(a.serial, b.serial);
      assert.notEqual(a.fingerprint, b.fingerprint);
      const days = (Date.parse(x.validTo) - Date.parse(x.validFrom)) / DAY_MS;
      assert.ok(days <= MAX_LEAF_VALIDITY_DAYS + 1 && days > MAX_LEAF_VALIDITY_DAYS - 1, `valid ${days} days`);
      assert.equal(opensslVerify(home, ca.certPem, a.certPem, "sslclient"), "ok");
      assert.match(opensslVerify(home, ca.certPem, a.certPem, "sslserver"), /unsuitable certificate purpose/);
      // Another CA's certificate does not chain to this one.
      const other = LocalCa.open(join(home, "other-ca"));
      assert.match(opensslVerify(home, ca.certPem, other.issueDeviceCertificate("acme-plant-1-m-001").certPem, "sslclient"), /unable to get local issuer certificate/);
    } finally {
      removeDir(home);
    }
  });

  it("issues the broker's certificate for 127.0.0.1, localhost and the hosts asked for", () => {
    const home = tempDir("ca-");
    try {
      const ca = LocalCa.open(join(home, "ca"));
      const s = ca.issueServerCertificate(["hub.local", "10.0.0.5"]);
      const x = new X509Certificate(s.certPem);
      for (const name of ["IP Address:127.0.0.1", "DNS:localhost", "DNS:hub.local", "IP Address:10.0.0.5"]) assert.ok(x.subjectAltName?.includes(name), `${name} in ${x.subjectAltName}`);
      assert.equal(x.checkHost("hub.local"), "hub.local");
      assert.equal(x.checkIP("127.0.0.1"), "127.0.0.1");
      assert.equal(x.checkHost("evil.example"), undefined);
      assert.equal(opensslVerify(home, ca.certPem, s.certPem, "sslserver"), "ok");
      assert.throws(() => ca.issueServerCertificate(["bad host!"]), /host "bad host!": not an IP address or a DNS name/);
    } finally {
      removeDir(home);
    }
  });

  it("refuses a thing name outside IoT Core's grammar and a validity outside 1 to 365 days", () => {
    const home = tempDir("ca-");
    try {
      const ca = LocalCa.open(join(home, "ca"));
      assert.throws(() => ca.issueDeviceCertificate("acme/m1"), /thing name "acme\/m1"/);
      assert.throws(() => ca.issueDeviceCertificate(""), /thing name ""/);
      assert.throws(() => ca.issueDeviceCertificate("x", { days: 0 }), /days 0/);
      assert.throws(() => ca.issueDeviceCertificate("x", { days: 366 }), /days 366/);
      // A certificate is never valid past its CA.
      const late = ca.issueDeviceCertificate("x", { now: new Date(ca.notAfter.getTime() - 10 * DAY_MS) });
      assert.ok(late.notAfter.getTime() <= ca.notAfter.getTime());
      assert.equal(readFileSync(LocalCa.certPath(join(home, "ca")), "utf8"), ca.certPem);
    } finally {
      removeDir(home);
    }
  });
});
