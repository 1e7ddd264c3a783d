/** The sign-in limiter on its own: the window, Retry-After, and memory bounded under a flood of names. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SignInLimiter } from "../../pipelines/portal/signInLimiter.ts";

test("failures expire with the window, Retry-After counts down to the oldest one's expiry, and a success clears only the user", () => {
  const clock = { now: 0 };
  const l = new SignInLimiter({ perUser: 2, perAddress: 4, windowMs: 10_000 }, () => clock.now);
  l.failed("ANA", "10.0.0.1");
  clock.now = 4_000;
  l.failed("ANA", "10.0.0.1");
  assert.equal(l.waitS("ANA", "10.0.0.2"), 6, "until the first failure is 10 s old");
  assert.equal(l.waitS("BEN", "10.0.0.2"), 0);
  clock.now = 10_000;
  assert.equal(l.waitS("ANA", "10.0.0.2"), 0, "the first failure left the window");
  for (let i = 0; i < 3; i++) l.failed("BEN", "10.0.0.1");
  assert.equal(l.waitS("CLEO", "10.0.0.1"), 4, "the address has four failures in the window (4 s, 10 s × 3): until the 4 s one leaves it");
  l.succeeded("BEN");
  assert.equal(l.waitS("BEN", "10.0.0.3"), 0);
  assert.ok(l.waitS("BEN", "10.0.0.1") > 0, "the address's failures stay");
});

test("a flood of distinct names and addresses keeps at most maxKeys of each", () => {
  const l = new SignInLimiter({ maxKeys: 100 });
  for (let i = 0; i < 5_000; i++) l.failed(`USER-${i}`, `10.0.${i >> 8}.${i & 255}`);
  assert.deepEqual(l.size, { users: 100, addresses: 100 });
});
