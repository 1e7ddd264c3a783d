/**
 * A throwaway PKI for TLS tests: a CA, a server certificate for 127.0.0.1 and a client certificate
 * per device (CN = thing name, as IoT Core issues them), all SHA-256 with 2048-bit keys (OpenSSL 3
 * refuses weaker). Keys come from node:crypto (fast, native); node-forge only builds and signs the
 * certificates, which node:crypto cannot.
 */
import { generateKeyPairSync } from "node:crypto";
import forge from "node-forge";

function keyPair(): { privatePem: string; publicKey: forge.pki.PublicKey; privateKey: forge.pki.rsa.PrivateKey } {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const privatePem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const fk = forge.pki.privateKeyFromPem(privatePem) as forge.pki.rsa.PrivateKey;
  return { privatePem, privateKey: fk, publicKey: forge.pki.setRsaPublicKey(fk.n, fk.e) };
}

let serial = 1;
function certificate(
  subjectCn: string,
  publicKey: forge.pki.PublicKey,
  issuer: { cn: string; key: forge.pki.rsa.PrivateKey },
  extensions: object[],
): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = String(serial++).padStart(2, "0");
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  cert.setSubject([{ name: "commonName", value: subjectCn }]);
  cert.setIssuer([{ name: "commonName", value: issuer.cn }]);
  cert.setExtensions(extensions);
  cert.sign(issuer.key, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

export interface TestPki {
  readonly ca: string;
  readonly server: { readonly cert: string; readonly key: string };
  client(cn: string): { readonly cert: string; readonly key: string };
}

export function testPki(caCn = "hub-test-ca"): TestPki {
  const ca = keyPair();
  const caCert = certificate(caCn, ca.publicKey, { cn: caCn, key: ca.privateKey }, [
    { name: "basicConstraints", cA: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true },
  ]);
  const issue = (cn: string, extensions: object[]) => {
    const k = keyPair();
    return { cert: certificate(cn, k.publicKey, { cn: caCn, key: ca.privateKey }, extensions), key: k.privatePem };
  };
  return {
    ca: caCert,
    server: issue("127.0.0.1", [{ name: "extKeyUsage", serverAuth: true }, { name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] }]),
    client: (cn) => issue(cn, [{ name: "extKeyUsage", clientAuth: true }]),
  };
}
