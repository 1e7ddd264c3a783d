/** A premium tenant stack (globex) under mocks: own schema, own KMS key, bigger warehouses per workload class. */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { evaluatePolicies, T } from "../../infra/policy/rules.ts";
import type { OfflineRun } from "../../infra/offline.ts";
import { offlineStack, ofType, policyStatements } from "./offlineStack.ts";

let run: OfflineRun;
before(async () => {
  ({ run } = await offlineStack("globex"));
});

describe("tenant stack (premium)", () => {
  it("the example stack serves a model (hub:servedModels), so the serving path runs offline: the newest Approved package behind a serverless endpoint", () => {
    assert.deepEqual(run.outputs["servingEndpoints"], { forecast: "hub-globex-forecast" });
    const [model] = ofType(run, "aws:sagemaker/model:Model");
    assert.match(String(model!.props["primaryContainer"].modelPackageName), /:model-package\/hub-globex-forecast\/1$/);
    assert.equal(ofType(run, "aws:sagemaker/endpoint:Endpoint").length, 1);
  });

  it("a MEDIUM warehouse and a monitor per workload class", () => {
    const whs = ofType(run, T.warehouse).map((w) => `${w.props["name"]}:${w.props["warehouseSize"]}:${w.props["resourceMonitor"]}`).sort();
    assert.deepEqual(whs, ["TENANT_GLOBEX_BI_WH:MEDIUM:TENANT_GLOBEX_BI_MONITOR", "TENANT_GLOBEX_ML_WH:MEDIUM:TENANT_GLOBEX_ML_MONITOR"]);
    for (const m of ofType(run, "snowflake:index/resourceMonitor:ResourceMonitor")) {
      assert.equal(m.props["creditQuota"], 300);
      assert.deepEqual(m.props["notifyUsers"], ["GLOBEX_OPS"]);
    }
  });

  it("a schema of its own, with create rights there only", () => {
    const [schema] = ofType(run, "snowflake:index/schema:Schema");
    assert.equal(schema!.props["name"], "TENANT_GLOBEX");
    const creates = ofType(run, "snowflake:index/grantPrivilegesToAccountRole:GrantPrivilegesToAccountRole").filter((g) => g.props["privileges"].some((p: string) => p.startsWith("CREATE")));
    assert.deepEqual(creates.map((g) => g.props["onSchema"].schemaName), ['"HUB"."TENANT_GLOBEX"']);
  });

  it("a KMS key of its own, rotating, used by its retraining role", () => {
    // Besides the alert topic's own key (tests/infra/alertTopic.test.ts).
    const keys = ofType(run, T.kmsKey).filter((k) => !k.name.startsWith("globex-alerts-"));
    assert.equal(keys.length, 1);
    assert.equal(keys[0]!.props["enableKeyRotation"], true);
    const kms = policyStatements(ofType(run, "aws:iam/rolePolicy:RolePolicy")[0]!.props["policy"]).find((s) => [s.Action].flat().includes("kms:Decrypt"))!;
    assert.equal([kms.Resource].flat().length, 2, "the platform key (archive) and its own key");
  });

  it("its TENANT_MAP row grants personal data", () => {
    assert.match(ofType(run, T.execute)[0]!.props["execute"], /'TENANT_GLOBEX_ROLE', 'globex', TRUE/);
  });

  it("passes every mandatory rule of the policy pack", () => assert.deepEqual(evaluatePolicies(run.resources), []));
});
