/** Stack configuration: checked up front, every key documented, errors that name the key and value. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CONFIG_KEYS, ConfigError, PROJECT, parseStackConfig, stackKind } from "../../infra/config.ts";
import { readProject, readStackConfig, stackNames } from "../../infra/stackFiles.ts";

const ROOT = process.cwd();
const KEY = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0";
const SECRET = { "hub:servicePublicKey": KEY };

function stack(name: string, overrides: Record<string, string | undefined> = {}) {
  const { raw } = readStackConfig(ROOT, name, SECRET);
  return parseStackConfig(name, { ...raw, ...overrides });
}

function throwsConfig(fn: () => unknown, key: string, value?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError, `a ConfigError, got ${String(e)}`);
    assert.equal(e.key, key);
    assert.match(e.message, new RegExp(`config ${key}:`));
    if (value !== undefined) assert.ok(e.message.includes(value), `the message ${JSON.stringify(e.message)} shows the value ${value}`);
    return true;
  });
}

describe("Pulumi.yaml", () => {
  const project = readProject(ROOT);

  it("is a nodejs project whose program is infra/", () => {
    assert.equal(project.name, PROJECT);
    const doc = project as unknown as { runtime: { name: string; options: Record<string, unknown> }; main: string };
    assert.equal(doc.runtime.name, "nodejs");
    assert.match(String(doc.runtime.options["nodeargs"]), /--import tsx/);
    assert.equal(doc.main, "infra/");
  });

  it("documents every key the program reads, with a description and the same default", () => {
    for (const k of CONFIG_KEYS) {
      const spec = project.config[`${PROJECT}:${k.key}`];
      assert.ok(spec, `hub:${k.key} is declared`);
      assert.ok((spec.description ?? "").length > 10, `hub:${k.key} has a description`);
      assert.deepEqual(spec.default, k.default, `hub:${k.key} default`);
      assert.equal(spec.type, k.type, `hub:${k.key} type`);
    }
    assert.deepEqual(Object.keys(project.config).sort(), CONFIG_KEYS.map((k) => `${PROJECT}:${k.key}`).sort(), "and nothing else");
  });

  it("stack files set only documented hub keys", () => {
    const names = stackNames(ROOT);
    assert.deepEqual(names, ["acme", "globex", "platform"]);
    const known = new Set(CONFIG_KEYS.map((k) => `hub:${k.key}`));
    for (const s of names) {
      const { raw } = readStackConfig(ROOT, s);
      for (const k of Object.keys(raw).filter((k) => k.startsWith("hub:"))) assert.ok(known.has(k), `${s}: ${k} is documented`);
    }
  });
});

describe("the example stacks", () => {
  it("platform is the platform kind with the lifecycle 30 → 90 → expiry", () => {
    const c = stack("platform");
    assert.equal(c.kind, "platform");
    if (c.kind !== "platform") return;
    assert.deepEqual([c.archiveIaDays, c.archiveGlacierDays, c.archiveExpirationDays], [30, 90, 730]);
    assert.equal(c.subnetIds.length, 2);
  });

  it("acme is a standard tenant with one BI warehouse", () => {
    const c = stack("acme");
    assert.equal(c.kind, "tenant");
    if (c.kind !== "tenant") return;
    assert.equal(c.tier, "standard");
    assert.equal(c.platformStack, "organization/hub/platform");
    assert.deepEqual(
      c.warehouses.map((w) => [w.workloadClass, w.size, w.creditQuota, w.frequency, w.notifyAt, w.suspendAt, w.suspendImmediateAt]),
      [["bi", "XSMALL", 50, "MONTHLY", [75, 90], 100, 110]],
    );
  });

  it("globex is a premium tenant with BI and ML warehouses", () => {
    const c = stack("globex");
    assert.ok(c.kind === "tenant" && c.tier === "premium");
    if (c.kind !== "tenant") return;
    assert.deepEqual(c.warehouses.map((w) => `${w.workloadClass}:${w.size}:${w.creditQuota}`), ["bi:MEDIUM:300", "ml:MEDIUM:300"]);
    assert.equal(c.piiAccess, true);
  });

  it("a stack is the platform by name, every other stack a tenant", () => {
    assert.equal(stackKind("platform"), "platform");
    assert.equal(stackKind("acme"), "tenant");
  });
});

describe("a bad config gives a clear error", () => {
  it("names a bad tier and its value", () => throwsConfig(() => stack("acme", { "hub:tier": "gold" }), "hub:tier", '"gold"'));
  it("names a bad tenant id", () => throwsConfig(() => stack("acme", { "hub:tenantId": "Acme Corp" }), "hub:tenantId", '"Acme Corp"'));
  it("names a missing secret key without echoing anything", () => {
    const { raw } = readStackConfig(ROOT, "acme");
    throwsConfig(() => parseStackConfig("acme", raw), "hub:servicePublicKey");
  });
  it("hides the value of a malformed public key", () => {
    assert.throws(() => stack("acme", { "hub:servicePublicKey": "not-a-key" }), (e: Error) => e instanceof ConfigError && !e.message.includes("not-a-key"));
  });
  it("names a bad warehouse size", () => throwsConfig(() => stack("acme", { "hub:warehouseSize": "HUGE" }), "hub:warehouseSize", '"HUGE"'));
  it("names a non-integer quota", () => throwsConfig(() => stack("acme", { "hub:creditQuota": "lots" }), "hub:creditQuota", '"lots"'));
  it("refuses a NOTIFY at or above SUSPEND", () => throwsConfig(() => stack("acme", { "hub:notifyAt": "[75, 100]" }), "hub:notifyAt"));
  it("refuses SUSPEND_IMMEDIATE at or below SUSPEND", () => throwsConfig(() => stack("acme", { "hub:suspendImmediateAt": "100" }), "hub:suspendImmediateAt", "100"));
  it("refuses an auto-suspend above the bound", () => throwsConfig(() => stack("acme", { "hub:autoSuspendSeconds": "600" }), "hub:autoSuspendSeconds", "600"));
  it("names a model the hub does not train", () => throwsConfig(() => stack("acme", { "hub:models": '["anomaly", "clustering"]' }), "hub:models", "clustering"));
  it("refuses a list that is not a list", () => throwsConfig(() => stack("acme", { "hub:workloadClasses": "bi,ml" }), "hub:workloadClasses", "bi,ml"));
  it("names a required platform key that is unset", () => throwsConfig(() => stack("platform", { "hub:vpcId": "" }), "hub:vpcId"));
  it("names a malformed VPC CIDR", () => throwsConfig(() => stack("platform", { "hub:vpcCidr": "10.0.0.0" }), "hub:vpcCidr", "10.0.0.0"));
  it("refuses an expiry before Glacier's 90-day minimum", () => throwsConfig(() => stack("platform", { "hub:archiveExpirationDays": "120" }), "hub:archiveExpirationDays", "120"));
  it("refuses an IA transition before 30 days", () => throwsConfig(() => stack("platform", { "hub:archiveIaDays": "7" }), "hub:archiveIaDays", "7"));
});
