/**
 * The load balancer's side of production sign-in, for tests: a P-256 key pair made here, its public
 * key served by an http server on 127.0.0.1 as AWS's regional key endpoint serves it (PEM at
 * `/<kid>`), and headers signed as the ALB signs `x-amzn-oidc-data` (ES256, base64url parts with
 * `=` padding kept, r‖s signature), any field overridable to forge a bad one.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { TENANT_CLAIM } from "../../pipelines/portal/tenantClaim.ts";

export const ALB = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/hub-portal/50dc6c495c0c9188";
export const POOL = "eu-west-1_AbCdEf123";
export const ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123";
export const CLIENT = "4l6m2abc9defghijklmnop0qrs";
export const KID = "5a4bd0a5-8d6c-4f5e-9b3a-1c2d3e4f5a6b";

export const pem = (k: KeyObject) => k.export({ type: "spki", format: "pem" }).toString();
/** base64url as the ALB writes it: with `=` padding kept. */
export const b64 = (x: Buffer | string) => Buffer.from(x).toString("base64").replaceAll("+", "-").replaceAll("/", "_");

export interface Forge {
  readonly header?: Record<string, unknown>;
  readonly claims?: Record<string, unknown>;
  readonly key?: KeyObject;
}

export interface AlbKeys {
  /** Base URL of the key endpoint, ending in `/`. */
  readonly keyBaseUrl: string;
  /** kid → PEM the endpoint answers (tests add their own). */
  readonly served: Map<string, string>;
  /** Paths asked of the endpoint, in order. */
  readonly asked: string[];
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** A header as the ALB makes it for `alice` of acme at `nowS`, with any field overridden. */
  sign(nowS: number, f?: Forge): string;
  close(): Promise<void>;
}

export async function startAlbKeys(): Promise<AlbKeys> {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const served = new Map<string, string>([[KID, pem(publicKey)]]);
  const asked: string[] = [];
  const server = http.createServer((req, res) => {
    asked.push(req.url ?? "");
    const body = served.get((req.url ?? "").slice(1));
    if (body === undefined) return void res.writeHead(404).end("no such key");
    res.writeHead(200, { "content-type": "text/plain" }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    keyBaseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    served,
    asked,
    privateKey,
    publicKey,
    sign: (nowS, f = {}) => {
      const header = { alg: "ES256", kid: KID, signer: ALB, iss: ISSUER, client: CLIENT, exp: nowS + 120, ...f.header };
      const payload = { sub: "8f3e-alice", username: "alice", email: "alice@acme.example", [TENANT_CLAIM]: "acme", exp: nowS + 120, iss: ISSUER, ...f.claims };
      const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}`;
      const sig = sign("sha256", Buffer.from(input), { key: f.key ?? privateKey, dsaEncoding: "ieee-p1363" });
      return `${input}.${b64(sig)}`;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
