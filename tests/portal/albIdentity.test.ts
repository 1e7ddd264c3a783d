/**
 * The load balancer's signed claims (x-amzn-oidc-data) as a forger meets the check: real ES256
 * signatures from keys made here, the "regional key endpoint" an http server on 127.0.0.1, and
 * every kind of bad header: another algorithm (none, HS256 keyed with the public key), expired,
 * another signer, issuer or client, an unknown or path-like key id, a tampered payload, another
 * key, and tenant claims that are missing, not a tenant id, or an injection.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHmac, generateKeyPairSync } from "node:crypto";
import { AlbIdentity, IdentityRefused, albKeyBaseUrl, cognitoIssuer } from "../../pipelines/portal/albIdentity.ts";
import { TENANT_CLAIM } from "../../pipelines/portal/tenantClaim.ts";
import { ALB, CLIENT, ISSUER, KID, POOL, b64, pem, startAlbKeys, type AlbKeys, type Forge } from "../helpers/albClaims.ts";

const OTHER_ALB = "arn:aws:elasticloadbalancing:eu-west-1:999999999999:loadbalancer/app/someone-else/0123456789abcdef";
const stranger = generateKeyPairSync("ec", { namedCurve: "prime256v1" });

let clock = Date.UTC(2026, 11, 5, 12, 0, 0);
const nowS = () => Math.floor(clock / 1000);

let alb: AlbKeys;
before(async () => {
  alb = await startAlbKeys();
});
after(() => alb.close());

const claims = (f: Forge = {}) => alb.sign(nowS(), f);

const identity = (o: { keyFetchesPerMinute?: number } = {}) => new AlbIdentity({ albArn: ALB, userPoolId: POOL, clientId: CLIENT, keyBaseUrl: alb.keyBaseUrl, now: () => clock, ...o });

async function refused(id: AlbIdentity, header: string | undefined, why: RegExp): Promise<void> {
  await assert.rejects(id.verify(header), (e: unknown) => e instanceof IdentityRefused && why.test(e.message), `expected a refusal matching ${why}`);
}

describe("the ALB's signed claims", () => {
  test("a header the load balancer signed names the person and their tenant; the key is fetched once", async () => {
    const id = identity();
    const before = alb.asked.length;
    const p = await id.verify(claims());
    assert.deepEqual({ user: p.user, tenant: p.tenant, subject: p.subject }, { user: "alice", tenant: "acme", subject: "8f3e-alice" });
    await id.verify(claims({ claims: { sub: "9a-bob", username: "bob" } }));
    assert.equal(alb.asked.length - before, 1, "the key is cached");
  });

  test("the derived addresses are AWS's: the pool's issuer and the ALB's regional key endpoint", () => {
    assert.equal(cognitoIssuer(POOL), ISSUER);
    assert.equal(albKeyBaseUrl(ALB), "https://public-keys.auth.elb.eu-west-1.amazonaws.com/");
    assert.throws(() => cognitoIssuer("eu-west-1_../x"), /not <region>_<id>/);
    assert.throws(() => albKeyBaseUrl("arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/x/abc"), /not arn:aws:elasticloadbalancing/);
  });

  test("no header, or one that is not three base64url parts, is refused", async () => {
    const id = identity();
    await refused(id, undefined, /no signed claims/);
    await refused(id, "", /no signed claims/);
    await refused(id, "a.b", /three base64url parts/);
    await refused(id, `${claims()}.x`, /three base64url parts/);
    await refused(id, "e30.e30.a+b", /three base64url parts/);
    await refused(id, `${b64("not json")}.${b64("{}")}.${b64("sig")}`, /header is not JSON/);
    await refused(id, "x".repeat(20_000), /more than/);
  });

  test("alg none, HS256 keyed with the public key, and ES384 are refused before any key is used", async () => {
    const id = identity();
    const header = (alg: string) => b64(JSON.stringify({ alg, kid: KID, signer: ALB, iss: ISSUER, client: CLIENT, exp: nowS() + 60 }));
    const payload = b64(JSON.stringify({ sub: "x", [TENANT_CLAIM]: "acme" }));
    await refused(id, `${header("none")}.${payload}.`, /three base64url parts/);
    await refused(id, `${header("none")}.${payload}.${b64("x")}`, /algorithm "none" is not ES256/);
    const hsInput = `${header("HS256")}.${payload}`;
    const hs = createHmac("sha256", pem(alb.publicKey)).update(hsInput).digest();
    await refused(id, `${hsInput}.${b64(hs)}`, /algorithm "HS256" is not ES256/);
    await refused(id, claims({ header: { alg: "ES384" } }), /algorithm "ES384"/);
    await refused(id, claims({ header: { alg: "es256" } }), /algorithm "es256"/);
  });

  test("another load balancer's header is refused even though AWS's regional key verifies it", async () => {
    await refused(identity(), claims({ header: { signer: OTHER_ALB } }), /signer .* is not this portal's load balancer/);
  });

  test("another pool, another app client, an expired header or expired claims are refused", async () => {
    const id = identity();
    await refused(id, claims({ header: { iss: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other" } }), /issuer .* is not this portal's user pool/);
    await refused(id, claims({ header: { client: "someoneelsesclient" } }), /client .* is not this portal's app client/);
    await refused(id, claims({ header: { exp: nowS() - 61 } }), /expired/);
    await refused(id, claims({ header: { exp: undefined } }), /header has no expiry/);
    await refused(id, claims({ header: { exp: "soon" } }), /header has no expiry/);
    await refused(id, claims({ header: { exp: String(nowS() - 3600) } }), /expired/);
    assert.equal((await id.verify(claims({ header: { exp: String(nowS() + 60) } }))).tenant, "acme", "digits in a string are an expiry");
    await refused(id, claims({ claims: { exp: nowS() - 3600 } }), /expired/);
    await refused(id, claims({ claims: { iss: "https://evil.example" } }), /payload's issuer/);
    // Within the tolerated clock difference.
    assert.equal((await id.verify(claims({ header: { exp: nowS() - 30 } }))).tenant, "acme");
  });

  test("a tampered payload, a signature by another key or a truncated signature does not verify", async () => {
    const id = identity();
    const [h, , s] = claims().split(".");
    const otherPayload = b64(JSON.stringify({ sub: "8f3e-alice", username: "alice", [TENANT_CLAIM]: "globex", exp: nowS() + 120 }));
    await refused(id, `${h}.${otherPayload}.${s}`, /signature does not verify/);
    await refused(id, claims({ key: stranger.privateKey }), /signature does not verify/);
    await refused(id, `${h}.${claims().split(".")[1]}.${b64(Buffer.from(s!, "base64url").subarray(0, 40))}`, /signature does not verify/);
  });

  test("an unknown kid is asked of the key endpoint and refused; a kid that is not an id is never sent anywhere", async () => {
    const id = identity();
    const before = alb.asked.length;
    await refused(id, claims({ header: { kid: "00000000-0000-0000-0000-000000000000" } }), /answered 404/);
    assert.equal(alb.asked.length - before, 1);
    for (const kid of ["../../latest/meta-data", "a/b", "x?y=1", "%2e%2e", "", 7]) {
      await refused(id, claims({ header: { kid } }), /is not an ALB key id/);
    }
    assert.equal(alb.asked.length - before, 1, "no request for a kid that is not an id");
  });

  test("unknown kids are fetched at most keyFetchesPerMinute times a minute", async () => {
    const id = identity({ keyFetchesPerMinute: 3 });
    const before = alb.asked.length;
    for (let i = 0; i < 6; i++) await refused(id, claims({ header: { kid: `unknown-${i}` } }), /answered 404|too many keys/);
    assert.equal(alb.asked.length - before, 3);
    clock += 61_000;
    await refused(id, claims({ header: { kid: "unknown-9" } }), /answered 404/);
    assert.equal(alb.asked.length - before, 4);
  });

  test("a key endpoint answer that is not a P-256 public key is refused", async () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 });
    const p384 = generateKeyPairSync("ec", { namedCurve: "secp384r1" });
    alb.served.set("rsa-key", pem(rsa.publicKey));
    alb.served.set("p384-key", pem(p384.publicKey));
    alb.served.set("junk-key", "hello");
    alb.served.set("huge-key", "x".repeat(10_000));
    const id = identity();
    await refused(id, claims({ header: { kid: "rsa-key" } }), /not a P-256 key/);
    await refused(id, claims({ header: { kid: "p384-key" } }), /not a P-256 key/);
    await refused(id, claims({ header: { kid: "junk-key" } }), /not a PEM public key/);
    await refused(id, claims({ header: { kid: "huge-key" } }), /larger than 4096 bytes/);
  });

  test("the tenant claim must be there and be a tenant id: missing, empty, a list, SQL or a path is refused", async () => {
    const id = identity();
    await refused(id, claims({ claims: { [TENANT_CLAIM]: undefined } }), /carry no custom:tenant_id/);
    for (const t of ["", "ACME", "acme' OR '1'='1", "acme\n", "../globex", "acme;globex", ["acme"], 7, null, "a".repeat(40)]) {
      await refused(id, claims({ claims: { [TENANT_CLAIM]: t } }), /is not a tenant id/);
    }
    // A claim under another name is not the tenant.
    await refused(id, claims({ claims: { [TENANT_CLAIM]: undefined, tenant_id: "acme", "custom:tenant": "acme" } }), /carry no/);
  });

  test("a claim without a subject is refused; a user name outside Cognito's pattern falls back to the subject", async () => {
    const id = identity();
    await refused(id, claims({ claims: { sub: undefined } }), /no subject/);
    assert.equal((await id.verify(claims({ claims: { username: "al ice" } }))).user, "8f3e-alice");
  });
});
