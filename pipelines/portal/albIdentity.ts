/**
 * Production sign-in (issue 23 §1): the person signed in to Cognito at the load balancer, whose
 * `authenticate-cognito` action forwards their user claims in `x-amzn-oidc-data`, a JWT the ALB
 * signs with ES256. This module checks that header as AWS documents it
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-authenticate-users.html,
 * "User claims encoding and signature verification"):
 *
 * - the algorithm is ES256, nothing else (`none`, HS256 keyed with the public key, RS256 are refused
 *   before any key is touched);
 * - `signer` is our load balancer's ARN: every ALB in a region signs with the same regional keys,
 *   so a header signed by somebody else's ALB verifies and must still be refused;
 * - `iss` is our user pool and `client` our app client; `exp` has not passed;
 * - the key is fetched by `kid` from the regional endpoint only (`https://public-keys.auth.elb.
 *   <region>.amazonaws.com/<kid>`), the kid checked first so it cannot reach another path, cached,
 *   and unknown kids fetched at most a few times a minute;
 * - the ALB pads its base64url parts with `=`, which RFC 7515 does not (hence no JWT library:
 *   several refuse the padding), and the signature is the raw r‖s pair (IEEE P1363).
 *
 * The tenant comes from the `custom:tenant_id` claim (tenantClaim.ts), which the pool's app client
 * cannot write (infra/aws/portal.ts): a person cannot move themselves to another tenant.
 */
import { createPublicKey, verify, type KeyObject } from "node:crypto";
import { TENANT_ID_PATTERN } from "../definitions/governance.ts";
import { TENANT_CLAIM } from "./tenantClaim.ts";

export interface AlbIdentityOptions {
  /** ARN of the load balancer that signs the claims: the `signer` every header must name; required. */
  readonly albArn: string;
  /** The Cognito user pool the people sign in to (`<region>_<id>`); its issuer URL is derived; required. */
  readonly userPoolId: string;
  /** The pool's app client the load balancer signs people in with; required. */
  readonly clientId: string;
  /** Where the ALB's public keys are, ending in `/`; default the ALB's regional endpoint (tests serve their own). */
  readonly keyBaseUrl?: string;
  /** Wall clock in ms; default Date.now. */
  readonly now?: () => number;
  /** Clock difference tolerated on `exp`, seconds; default 60. */
  readonly clockSkewS?: number;
  /** Time limit of one key fetch; default 3000 ms. */
  readonly fetchTimeoutMs?: number;
  /** Key ids not yet cached fetched per minute at most; default 10. */
  readonly keyFetchesPerMinute?: number;
}

/** The person a verified header names. */
export interface AlbPrincipal {
  /** Cognito's `sub`: stable, never reused. */
  readonly subject: string;
  /** The user name as Cognito holds it (falls back to the subject). */
  readonly user: string;
  /** The tenant claim, in the form of a tenant id (the portal still checks it is a tenant it serves). */
  readonly tenant: string;
  /** When the header stops being accepted, ms. */
  readonly expiresAt: number;
}

/** A refused header; `reason` is for the log and never holds the header itself. */
export class IdentityRefused extends Error {
  override readonly name = "IdentityRefused";
}

const ALB_ARN = /^arn:aws[a-z-]*:elasticloadbalancing:([a-z0-9-]+):\d{12}:loadbalancer\/app\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{1,32}$/;
const USER_POOL_ID = /^([a-z]{2}(?:-gov)?-[a-z]+-\d)_[A-Za-z0-9]{1,55}$/;
const CLIENT_ID = /^[A-Za-z0-9]{1,128}$/;
/** AWS's key ids are UUIDs; letters, digits and dashes only, so a kid is one path segment and nothing else. */
const KID = /^[A-Za-z0-9-]{1,64}$/;
/** base64url, with the ALB's `=` padding allowed. */
const PART = /^[A-Za-z0-9_-]+={0,2}$/;
/** Cognito's user name pattern (`[\p{L}\p{M}\p{S}\p{N}\p{P}]+`), bounded. */
const USER_NAME = /^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$/u;
/** The ALB refuses claims over 11 KB; a header larger than this is not one of its. */
const MAX_HEADER = 16 * 1024;
const MAX_KEY_BYTES = 4096;
const KEY_CACHE = 64;

/** `https://cognito-idp.<region>.amazonaws.com/<pool id>`, the `iss` of the pool's tokens. */
export function cognitoIssuer(userPoolId: string): string {
  const m = USER_POOL_ID.exec(userPoolId);
  if (!m) throw new Error(`user pool id ${JSON.stringify(userPoolId)} is not <region>_<id>`);
  return `https://cognito-idp.${m[1]}.amazonaws.com/${userPoolId}`;
}

/** The regional endpoint of the ALB's public keys (GovCloud's are on S3, as the page above lists). */
export function albKeyBaseUrl(albArn: string): string {
  const m = ALB_ARN.exec(albArn);
  if (!m) throw new Error(`load balancer ARN ${JSON.stringify(albArn)} is not arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id>`);
  const region = m[1]!;
  if (region.startsWith("us-gov-")) return `https://s3-${region}.amazonaws.com/aws-elb-public-keys-prod-${region}/`;
  return `https://public-keys.auth.elb.${region}.amazonaws.com/`;
}

export class AlbIdentity {
  private readonly issuer: string;
  private readonly keyBaseUrl: string;
  private readonly now: () => number;
  private readonly skewMs: number;
  private readonly keys = new Map<string, Promise<KeyObject>>();
  private readonly fetches: number[] = [];

  constructor(private readonly o: AlbIdentityOptions) {
    this.issuer = cognitoIssuer(o.userPoolId);
    const base = o.keyBaseUrl ?? albKeyBaseUrl(o.albArn);
    if (!ALB_ARN.test(o.albArn)) throw new Error(`load balancer ARN ${JSON.stringify(o.albArn)} is not an application load balancer's ARN`);
    if (!CLIENT_ID.test(o.clientId)) throw new Error(`app client id ${JSON.stringify(o.clientId)} is not letters and digits`);
    if (!base.endsWith("/")) throw new Error(`key base URL ${JSON.stringify(base)} must end with /`);
    this.keyBaseUrl = base;
    this.now = o.now ?? Date.now;
    this.skewMs = (o.clockSkewS ?? 60) * 1000;
  }

  /** The person the header names, or IdentityRefused saying why. */
  async verify(header: string | string[] | undefined): Promise<AlbPrincipal> {
    if (typeof header !== "string" || header === "") throw new IdentityRefused("no signed claims (x-amzn-oidc-data): not through the load balancer's sign-in");
    if (header.length > MAX_HEADER) throw new IdentityRefused(`the claims header is ${header.length} bytes, more than ${MAX_HEADER}`);
    const parts = header.split(".");
    if (parts.length !== 3 || !parts.every((p) => PART.test(p))) throw new IdentityRefused("the claims header is not three base64url parts");
    const [h, p, s] = parts as [string, string, string];
    const head = decodeJson(h, "header");
    // The algorithm first, before any key: this is what refuses `none` and HS256 keyed with the public key.
    if (head["alg"] !== "ES256") throw new IdentityRefused(`algorithm ${JSON.stringify(head["alg"])} is not ES256`);
    const kid = head["kid"];
    if (typeof kid !== "string" || !KID.test(kid)) throw new IdentityRefused(`key id ${JSON.stringify(kid)?.slice(0, 80)} is not an ALB key id`);
    if (head["signer"] !== this.o.albArn) throw new IdentityRefused(`signer ${JSON.stringify(head["signer"])?.slice(0, 200)} is not this portal's load balancer`);
    if (head["iss"] !== this.issuer) throw new IdentityRefused(`issuer ${JSON.stringify(head["iss"])?.slice(0, 200)} is not this portal's user pool`);
    if (head["client"] !== this.o.clientId) throw new IdentityRefused(`client ${JSON.stringify(head["client"])?.slice(0, 200)} is not this portal's app client`);
    const exp = this.expiry(head["exp"], "header");
    const key = await this.key(kid);
    const signature = Buffer.from(s, "base64url");
    // ES256 in JWS is r‖s, 32 bytes each (RFC 7518 §3.4).
    if (signature.length !== 64 || !verify("sha256", Buffer.from(`${h}.${p}`), { key, dsaEncoding: "ieee-p1363" }, signature)) {
      throw new IdentityRefused("the signature does not verify with the load balancer's key");
    }
    const claims = decodeJson(p, "payload");
    if (claims["exp"] !== undefined) this.expiry(claims["exp"], "payload");
    if (claims["iss"] !== undefined && claims["iss"] !== this.issuer) throw new IdentityRefused("the payload's issuer is not this portal's user pool");
    const sub = claims["sub"];
    if (typeof sub !== "string" || sub.length === 0 || sub.length > 256) throw new IdentityRefused("the claims name no subject");
    const tenant = claims[TENANT_CLAIM];
    if (tenant === undefined) throw new IdentityRefused(`the claims carry no ${TENANT_CLAIM}: the person is not assigned to a tenant`);
    if (typeof tenant !== "string" || !TENANT_ID_PATTERN.test(tenant)) throw new IdentityRefused(`${TENANT_CLAIM} ${JSON.stringify(tenant)?.slice(0, 80)} is not a tenant id`);
    const name = claims["username"];
    const user = typeof name === "string" && USER_NAME.test(name) ? name : sub;
    return { subject: sub, user, tenant, expiresAt: exp };
  }

  private expiry(v: unknown, where: string): number {
    // Seconds since the epoch; AWS's page shows the header's `exp` only as "expiration", so digits in a string are taken too.
    const s = typeof v === "string" && /^\d{1,12}$/.test(v) ? Number(v) : v;
    if (typeof s !== "number" || !Number.isFinite(s)) throw new IdentityRefused(`the ${where} has no expiry`);
    const at = s * 1000;
    if (this.now() > at + this.skewMs) throw new IdentityRefused(`the claims expired at ${new Date(at).toISOString()}`);
    return at;
  }

  /** The ALB's public key for `kid`: cached; an unknown kid is fetched at most keyFetchesPerMinute a minute. */
  private key(kid: string): Promise<KeyObject> {
    const hit = this.keys.get(kid);
    if (hit) return hit;
    const t = this.now();
    while (this.fetches.length && t - this.fetches[0]! > 60_000) this.fetches.shift();
    if (this.fetches.length >= (this.o.keyFetchesPerMinute ?? 10)) return Promise.reject(new IdentityRefused(`key ${kid} is not known and too many keys were fetched this minute`));
    this.fetches.push(t);
    const loading = this.fetchKey(kid);
    if (this.keys.size >= KEY_CACHE) this.keys.delete(this.keys.keys().next().value!);
    this.keys.set(kid, loading);
    // A failed fetch is not cached: the next request for that kid counts against the limit again.
    loading.catch(() => this.keys.get(kid) === loading && this.keys.delete(kid));
    return loading;
  }

  private async fetchKey(kid: string): Promise<KeyObject> {
    const url = new URL(kid, this.keyBaseUrl);
    let pem: string;
    try {
      const r = await fetch(url, { redirect: "error", signal: AbortSignal.timeout(this.o.fetchTimeoutMs ?? 3000) });
      if (r.status !== 200) {
        await r.body?.cancel();
        throw new IdentityRefused(`key ${kid}: the key endpoint answered ${r.status}`);
      }
      pem = await boundedText(r, MAX_KEY_BYTES);
    } catch (e) {
      if (e instanceof IdentityRefused) throw e;
      throw new IdentityRefused(`key ${kid}: the key endpoint could not be read (${(e as Error).message})`);
    }
    let key: KeyObject;
    try {
      key = createPublicKey(pem);
    } catch {
      throw new IdentityRefused(`key ${kid}: the key endpoint's answer is not a PEM public key`);
    }
    if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") throw new IdentityRefused(`key ${kid} is not a P-256 key`);
    return key;
  }
}

function decodeJson(part: string, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch {
    throw new IdentityRefused(`the claims ${what} is not JSON`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new IdentityRefused(`the claims ${what} is not a JSON object`);
  return v as Record<string, unknown>;
}

async function boundedText(r: Response, max: number): Promise<string> {
  const declared = Number(r.headers.get("content-length") ?? NaN);
  if (declared > max) {
    await r.body?.cancel();
    throw new IdentityRefused(`the key endpoint's answer is larger than ${max} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const c of r.body ?? []) {
    size += (c as Uint8Array).length;
    if (size > max) throw new IdentityRefused(`the key endpoint's answer is larger than ${max} bytes`);
    chunks.push(c as Uint8Array);
  }
  return Buffer.concat(chunks).toString("utf8");
}
