/** `serve --portal-sign-in`: the flags that turn on production sign-in, each mistake named by flag. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { UserError } from "../../scripts/lib/command.ts";
import { AlbIdentity } from "../../pipelines/portal/albIdentity.ts";
import { portalIdentity } from "../../scripts/lib/serve/portalSignIn.ts";
import { ALB, CLIENT, POOL } from "../helpers/albClaims.ts";

const refused = (f: Parameters<typeof portalIdentity>[0], why: RegExp) =>
  assert.throws(() => portalIdentity(f), (e: unknown) => e instanceof UserError && why.test(e.message), JSON.stringify(f));

test("users is the default and takes no Cognito flags; cognito-alb needs all three, each checked", () => {
  assert.equal(portalIdentity({}), undefined);
  assert.ok(portalIdentity({ mode: "cognito-alb", albArn: ALB, userPoolId: POOL, clientId: CLIENT }) instanceof AlbIdentity);
  refused({ mode: "users", albArn: ALB }, /--portal-alb-arn only go with --portal-sign-in cognito-alb/);
  refused({ mode: "cognito-alb", albArn: ALB }, /needs --portal-user-pool-id, --portal-client-id/);
  refused({ mode: "cognito-alb", albArn: "arn:aws:iam::123456789012:role/x", userPoolId: POOL, clientId: CLIENT }, /load balancer ARN "arn:aws:iam/);
  refused({ mode: "cognito-alb", albArn: ALB, userPoolId: "pool", clientId: CLIENT }, /user pool id "pool"/);
  refused({ mode: "cognito-alb", albArn: ALB, userPoolId: POOL, clientId: "a b" }, /app client id "a b"/);
  refused({ mode: "oidc" }, /--portal-sign-in "oidc" is not one of users, cognito-alb/);
});

test("--portal-data: twin is the default and takes no class; snowflake needs its environment, each mistake named", async () => {
  const { portalDataOption } = await import("../../scripts/lib/serve/portalDataOption.ts");
  const { generateKeyPairSync } = await import("node:crypto");
  const key = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } }).privateKey;
  const env = { SNOWFLAKE_ACCOUNT: "acme-prod", SNOWFLAKE_USER: "HUB_PORTAL_SVC", SNOWFLAKE_DATABASE: "HUB", HUB_SNOWFLAKE_PRIVATE_KEY: key };
  const refusedData = (f: Parameters<typeof portalDataOption>[0], e: NodeJS.ProcessEnv, why: RegExp) =>
    assert.throws(() => portalDataOption(f, e), (x: unknown) => x instanceof UserError && why.test(x.message) && !x.message.includes("PRIVATE KEY-----"), JSON.stringify(f));
  assert.equal(portalDataOption({}, {}), undefined);
  const sf = portalDataOption({ mode: "snowflake" }, env);
  assert.equal(sf?.target, "snowflake");
  assert.equal(sf?.dialect.name, "snowflake");
  refusedData({ mode: "twin", workloadClass: "bi" }, env, /--portal-workload-class only goes with --portal-data snowflake/);
  refusedData({ mode: "snowflake", workloadClass: "BI WH" }, env, /--portal-workload-class "BI WH" must be a workload class/);
  refusedData({ mode: "snowflake" }, {}, /needs SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER, SNOWFLAKE_DATABASE, HUB_SNOWFLAKE_PRIVATE_KEY/);
  refusedData({ mode: "snowflake" }, { ...env, HUB_SNOWFLAKE_PRIVATE_KEY: "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n" }, /privateKey could not be read as a PEM private key/);
  refusedData({ mode: "snowflake" }, { ...env, SNOWFLAKE_ACCESS_URL: "https://x.example/path" }, /accessUrl must be an http\(s\) URL with no path/);
  refusedData({ mode: "lake" }, env, /--portal-data "lake" is not one of twin, snowflake/);
  // The live stream's bound on warehouse reads: 5 minutes unless given, never under the warehouse's 60 s auto-suspend.
  assert.deepEqual(sf?.live, { minWarehouseMs: 300_000 });
  assert.deepEqual(portalDataOption({ mode: "snowflake", liveInterval: "900" }, env)?.live, { minWarehouseMs: 900_000 });
  refusedData({ mode: "twin", liveInterval: "300" }, env, /--portal-live-interval only goes with --portal-data snowflake/);
  for (const bad of ["30", "0", "-5", "1e9", "five", ""]) refusedData({ mode: "snowflake", liveInterval: bad }, env, /--portal-live-interval .* must be seconds \(60 to 86400\)/);
});

test("--portal-cognito-domain and --portal-logout-uri: both or neither, only with cognito-alb, each value checked", async () => {
  const { portalSignOut } = await import("../../scripts/lib/serve/portalSignIn.ts");
  const alb = { mode: "cognito-alb", albArn: ALB, userPoolId: POOL, clientId: CLIENT };
  const domain = "hub-portal.auth.eu-west-1.amazoncognito.com";
  const signOutRefused = (f: Parameters<typeof portalSignOut>[0], why: RegExp) =>
    assert.throws(() => portalSignOut(f), (e: unknown) => e instanceof UserError && why.test(e.message), JSON.stringify(f));
  assert.equal(portalSignOut(alb), undefined);
  assert.deepEqual(portalSignOut({ ...alb, cognitoDomain: domain, logoutUri: "https://portal.example.com/portal/" }), { cognitoDomain: domain, clientId: CLIENT, logoutUri: "https://portal.example.com/portal/" });
  signOutRefused({ cognitoDomain: domain, logoutUri: "https://portal.example.com/portal/" }, /only go with --portal-sign-in cognito-alb/);
  signOutRefused({ ...alb, cognitoDomain: domain }, /--portal-logout-uri must be given with --portal-cognito-domain/);
  signOutRefused({ ...alb, cognitoDomain: "evil.example.com/x", logoutUri: "https://portal.example.com/portal/" }, /Cognito domain "evil\.example\.com\/x"/);
  signOutRefused({ ...alb, cognitoDomain: domain, logoutUri: "http://portal.example.com/portal/" }, /logout URI "http:\/\/portal\.example\.com\/portal\/" must be an https URL/);
});
