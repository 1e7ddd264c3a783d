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
