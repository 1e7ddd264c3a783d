/**
 * The portal's models page as serve composes it: the registry's versions newest first with the
 * gate's decisions and reasons, the champion marked with its drift, read for one tenant only.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalRegistry, type RecordDraft } from "../../ml/registry/index.ts";
import { portalModels } from "../../scripts/lib/serve/portalModels.ts";
import { tenantRoleName } from "../../pipelines/definitions/governance.ts";
import { fixtureEngineWithAcme } from "../pipelines/fixture.ts";

function draft(over: Partial<RecordDraft> = {}): RecordDraft {
  return {
    tenantId: "acme", model: "forecast", algorithm: "seasonal_profile_ar1", parameters: {},
    trainingWindow: { from: "2026-01-05T08:00:00.000Z", to: "2026-01-05T08:00:00.000Z" }, rowCount: 1,
    dataHash: "a".repeat(64), codeVersion: "test", metrics: { mase: 0.8 }, baselineMetrics: { mase: 1.0 },
    approvalStatus: "Approved", reason: "mase 0.8 beats the baseline's 1.0; no champion yet", ...over,
  };
}

test("the models page lists a tenant's versions newest first with the gate's reasons, the champion and its drift, and nothing of another tenant", async () => {
  const home = mkdtempSync(join(tmpdir(), "portal-models-"));
  const engine = await fixtureEngineWithAcme();
  try {
    const registry = new LocalRegistry(home);
    await registry.register(draft(), { kind: "json", body: 1 });
    await registry.register(draft({ approvalStatus: "Rejected", reason: "mase 1.2 does not beat the champion's 0.8" }), { kind: "json", body: 2 });
    const models = portalModels({ registry, tenantSession: (t) => engine.session({ role: tenantRoleName(t) }), now: () => engine.clock.now() });
    const acme = await models("acme");
    assert.deepEqual(acme.versions.map((v) => [v.model, v.version, v.status, v.champion]), [["forecast", 2, "Rejected", false], ["forecast", 1, "Approved", true]]);
    assert.equal(acme.versions[0]!.reason, "mase 1.2 does not beat the champion's 0.8");
    assert.deepEqual(acme.versions[1]!.baseline, { mase: 1 });
    assert.match(acme.versions[1]!.drift ?? "", /^(stable|retrain|no data)/);
    assert.equal(acme.versions[0]!.drift, null);
    await engine.grantTenantRole("globex");
    assert.deepEqual((await models("globex")).versions, []);
  } finally {
    await engine.close();
    rmSync(home, { recursive: true, force: true });
  }
});
