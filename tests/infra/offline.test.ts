/**
 * infra/offline.ts knows the program has finished declaring from Pulumi's own RPC accounting, not
 * from a quiet spell: a resource whose input arrives late, and resources declared inside apply()
 * callbacks, one inside another, are all recorded. (One mocked program per process: the runtime is
 * global.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { declareUnderMocks } from "../../infra/offline.ts";

/** A resource of a made-up provider: under mocks, any type token will do. */
class Thing extends pulumi.CustomResource {
  constructor(name: string, args: { value: pulumi.Input<string> }) {
    super("test:index:Thing", name, args);
  }
}

test("records every resource the program declares, however late its inputs or its declaration", async () => {
  const run = await declareUnderMocks("offline-test", () => {
    // An input a slow source provides (a file read, a lookup): the resource is declared at once
    // and registered when the value arrives, long after everything else went quiet.
    const late = new Promise<string>((resolve) => setTimeout(() => resolve("arrived"), 1_500));
    new Thing("late-input", { value: late });
    // Resources declared only once another's outputs are known, two levels deep.
    const first = new Thing("first", { value: "a" });
    first.urn.apply(() => {
      const second = new Thing("made-in-apply", { value: "b" });
      second.urn.apply(() => new Thing("made-in-nested-apply", { value: "c" }));
    });
    return {};
  });
  assert.deepEqual(run.resources.map((r) => r.name).sort(), ["first", "late-input", "made-in-apply", "made-in-nested-apply"]);
  assert.equal(run.resources.find((r) => r.name === "late-input")!.props["value"], "arrived");
});
