/**
 * A changed dynamic-table query, end to end. The provider makes `query` ForceNew and creates without
 * OR REPLACE (terraform-provider-snowflake pkg/resources/dynamic_table.go), so Pulumi replaces the
 * dynamic table: delete, then create (deleteBeforeReplace, as the name stays the same). The new table
 * carries no row access policy, no mask and no grant. Everything attached to it names it in
 * `replaceWith`, so the engine replaces those too and their SQL runs again on the new table.
 *
 * The platform component runs under Pulumi's mocks with a transformation that records each
 * resource's options; the engine's rule (a resource whose `replaceWith` names a replaced resource is
 * replaced) is applied to them, and the replay model of the account (tests/helpers/deployReplay.ts)
 * runs the replacement: after it, the table has its row access policy again.
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { declareUnderMocks, type OfflineRun } from "../../infra/offline.ts";
import { SnowflakePlatform } from "../../infra/snowflake/platform.ts";
import { deploySteps, providerRoles, type DeployStep } from "../../infra/snowflake/providerSql.ts";
import { ALERTS } from "../../pipelines/definitions/gold.ts";
import { JOB_STATION_VISITS } from "../../pipelines/definitions/silver.ts";
import { qualifiedName } from "../../pipelines/definitions/types.ts";
import { Account, replay } from "../helpers/deployReplay.ts";

const FIREHOSE_KEY = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"; // not read: no config check here

interface Recorded {
  readonly name: string;
  readonly type: string;
  readonly deleteBeforeReplace: boolean;
  readonly replaceWith: readonly pulumi.Resource[];
}
const recorded: Recorded[] = [];
let platform: SnowflakePlatform;
let run: OfflineRun;

before(async () => {
  run = await declareUnderMocks("platform", () => {
    platform = new SnowflakePlatform(
      "hub",
      { database: "HUB", costCenter: "data-platform", monitorStartTimestamp: "2026-12-01 00:00", firehoseUser: "HUB_FIREHOSE", firehosePublicKey: FIREHOSE_KEY, connection: {} },
      {
        transformations: [
          (a) => {
            recorded.push({ name: a.name, type: a.type, deleteBeforeReplace: !!(a.opts as pulumi.CustomResourceOptions).deleteBeforeReplace, replaceWith: a.opts.replaceWith ?? [] });
            return undefined;
          },
        ],
      },
    );
    return {};
  });
});

/** What the engine replaces when `first` is replaced: it, and every resource whose replaceWith names a replaced one. */
function replacedWith(first: pulumi.Resource): Set<string> {
  const byResource = new Map<pulumi.Resource, string>([[first, "first"]]);
  const out = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const r of recorded) {
      if (!out.has(r.name) && r.replaceWith.some((x) => byResource.has(x))) {
        out.add(r.name);
        grew = true;
      }
    }
  }
  return out;
}

describe("a changed dynamic-table query replaces the table and everything attached to it", () => {
  for (const dt of [ALERTS, JOB_STATION_VISITS]) {
    it(`${qualifiedName(dt)}: delete before create, and its attachments are replaced with it`, () => {
      const slug = qualifiedName(dt).toLowerCase().replaceAll(".", "-").replaceAll("_", "-");
      const self = recorded.find((r) => r.name === `hub-dynamic-table-${slug}`)!;
      assert.equal(self.deleteBeforeReplace, true, "same name: the old one must go first");
      const replaced = replacedWith(platform.objects.get(qualifiedName(dt))!);
      const attachments = recorded.filter((r) => r.name.startsWith(`hub-attach-${slug}-`)).map((r) => r.name);
      assert.ok(attachments.length >= 1);
      assert.deepEqual([...replaced].filter((n) => n.startsWith("hub-attach-")).sort(), attachments.sort());
      for (const n of attachments) assert.equal(recorded.find((r) => r.name === n)!.deleteBeforeReplace, true, `${n}: revert before the new table`);
    });
  }

  it("replayed: after the replacement the new table has its row access policy again; without re-running the attachment it would not", () => {
    const steps = deploySteps(run.resources, providerRoles(run.resources));
    const account = replay(new Account(), steps);
    // The component alone: the note task's ML.ANALYSE_NOTE is made by the program beside it
    // (infra/aws/noteInsights.ts); the whole deploy, with it, is replayed in deployReplay.test.ts.
    const besidesTheNoteFunction = () => account.errors.filter((e) => !/function HUB\.ML\.ANALYSE_NOTE with 2 arguments does not exist$/.test(e));
    assert.deepEqual(besidesTheNoteFunction(), []);
    const name = `HUB.${qualifiedName(ALERTS)}`;
    const slug = qualifiedName(ALERTS).toLowerCase().replaceAll(".", "-").replaceAll("_", "-");
    const replaced = replacedWith(platform.objects.get(qualifiedName(ALERTS))!);
    const stepOf = (n: string) => steps.filter((s) => s.urn.endsWith(`::${n}`));
    // The replacement: the old table dropped (its policies with it), the new one created, then the replaced steps.
    account.objects.delete(name);
    replay(account, stepOf(`hub-dynamic-table-${slug}`));
    assert.deepEqual(account.objects.get(name)!.policies, [], "a new dynamic table has no policy");
    replay(account, [...replaced].flatMap(stepOf) as DeployStep[]);
    assert.deepEqual(besidesTheNoteFunction(), []);
    assert.deepEqual(account.objects.get(name)!.policies, ["HUB.GOVERNANCE.TENANT_ISOLATION"]);
  });
});
