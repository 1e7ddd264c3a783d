/**
 * The channel configuration is an allowlist: every bad value is refused with an error naming the
 * field and the value; secrets come only from the environment or a 0600 file.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { AlertConfigError, DEFAULT_DELIVERY, isLoopbackHost, parseTenantAlerting, type EmailChannel, type EventBridgeChannel } from "../../pipelines/alerts/alertChannels.ts";
import { channelSecret, secretEnvName, secretFilePath } from "../../pipelines/alerts/channelSecrets.ts";

const hook = (extra: Record<string, unknown> = {}) => ({ name: "hook", kind: "webhook", url: "https://hooks.acme.example/hub", ...extra });
const mail = (extra: Record<string, unknown> = {}, smtp: Record<string, unknown> = {}) => ({
  name: "mail", kind: "email", to: ["ops@acme.example"], from: "hub@acme.example", smtp: { host: "smtp.acme.example", ...smtp }, ...extra,
});

function refuses(config: Record<string, unknown>, field: string, value: unknown): void {
  assert.throws(
    () => parseTenantAlerting(config),
    (e: unknown) => {
      assert.ok(e instanceof AlertConfigError, String(e));
      assert.equal(e.field, field);
      assert.deepEqual(e.value, value);
      assert.ok(e.message.includes(field));
      return true;
    },
  );
}

describe("alerts:* keys", () => {
  it("no keys: no channels and the default policy, not an error", () => {
    assert.deepEqual(parseTenantAlerting({ "hub:tenantId": "acme" }), { channels: [], delivery: DEFAULT_DELIVERY, topicSubscribers: [] });
  });

  it("parses every channel kind with its defaults", () => {
    const a = parseTenantAlerting({
      "alerts:channels": [
        hook(), mail(), mail({ name: "tls465" }, { port: 465 }),
        { name: "topic", kind: "sns", topicArn: "arn:aws:sns:eu-west-1:123456789012:hub-acme-alerts" },
        { name: "bus", kind: "eventbridge" },
        { name: "local", kind: "webhook", url: "http://127.0.0.1:8080/x", minSeverity: "CRITICAL" },
      ],
      "alerts:delivery": { maxAttempts: 3 },
      "alerts:topicSubscribers": ["oncall@acme.example"],
    });
    assert.deepEqual(a.channels.map((c) => [c.name, c.kind, c.minSeverity]), [
      ["hook", "webhook", "INFO"], ["mail", "email", "INFO"], ["tls465", "email", "INFO"], ["topic", "sns", "INFO"], ["bus", "eventbridge", "INFO"], ["local", "webhook", "CRITICAL"],
    ]);
    const m = a.channels[1] as EmailChannel;
    const m465 = a.channels[2] as EmailChannel;
    const bus = a.channels[4] as EventBridgeChannel;
    assert.deepEqual(m.smtp, { host: "smtp.acme.example", port: 587, tls: "starttls", user: null });
    assert.equal(m465.smtp.tls, "implicit");
    assert.deepEqual([bus.busName, bus.region], ["default", null]);
    assert.equal(a.delivery.maxAttempts, 3);
    assert.deepEqual(a.topicSubscribers, ["oncall@acme.example"]);
  });

  it("refuses unknown keys, at every level, naming them", () => {
    refuses({ "alerts:channel": [] }, "alerts alerts:channel", []);
    refuses({ "alerts:channels": [hook({ secret: "x" })] }, "alerts alerts:channels[0].secret", "x");
    refuses({ "alerts:channels": [mail({}, { password: "p" })] }, "alerts alerts:channels[0].smtp.password", "p");
    refuses({ "alerts:delivery": { retries: 3 } }, "alerts alerts:delivery.retries", 3);
    refuses({ "alerts:channels": [{ ...hook(), kind: "slack" }] }, "alerts alerts:channels[0].kind", "slack");
  });

  it("refuses bad URLs: plain http off this machine, credentials in the URL, other schemes, not a URL", () => {
    refuses({ "alerts:channels": [hook({ url: "http://hooks.acme.example/hub" })] }, "alerts alerts:channels[0].url", "http://hooks.acme.example/hub");
    refuses({ "alerts:channels": [hook({ url: "http://10.0.0.5/hub" })] }, "alerts alerts:channels[0].url", "http://10.0.0.5/hub");
    refuses({ "alerts:channels": [hook({ url: "https://user:pw@hooks.acme.example/" })] }, "alerts alerts:channels[0].url", "https://***@hooks.acme.example/");
    refuses({ "alerts:channels": [hook({ url: "ftp://hooks.acme.example/" })] }, "alerts alerts:channels[0].url", "ftp://hooks.acme.example/");
    refuses({ "alerts:channels": [hook({ url: "hooks.acme.example" })] }, "alerts alerts:channels[0].url", "hooks.acme.example");
    refuses({ "alerts:channels": [hook({ url: 42 })] }, "alerts alerts:channels[0].url", 42);
    for (const ok of ["http://127.0.0.1:9/x", "http://localhost/x", "http://[::1]:80/x", "https://10.0.0.5/hub"]) {
      assert.equal(parseTenantAlerting({ "alerts:channels": [hook({ url: ok })] }).channels.length, 1, ok);
    }
  });

  it("refuses bad addresses, hosts, ports, TLS modes and numbers", () => {
    refuses({ "alerts:channels": [mail({ to: ["ops"] })] }, "alerts alerts:channels[0].to[0]", "ops");
    refuses({ "alerts:channels": [mail({ to: ["a@b.example", "Ops <ops@acme.example>"] })] }, "alerts alerts:channels[0].to[1]", "Ops <ops@acme.example>");
    refuses({ "alerts:channels": [mail({ to: [] })] }, "alerts alerts:channels[0].to", []);
    refuses({ "alerts:channels": [mail({ from: "hub@acme.example\r\nBcc: x@evil.example" })] }, "alerts alerts:channels[0].from", "hub@acme.example\r\nBcc: x@evil.example");
    refuses({ "alerts:channels": [mail({ from: ["a@acme.example", "b@acme.example"] })] }, "alerts alerts:channels[0].from", ["a@acme.example", "b@acme.example"]);
    refuses({ "alerts:channels": [mail({}, { port: 70000 })] }, "alerts alerts:channels[0].smtp.port", 70000);
    refuses({ "alerts:channels": [mail({}, { port: "25" })] }, "alerts alerts:channels[0].smtp.port", "25");
    refuses({ "alerts:channels": [mail({}, { host: "smtp acme" })] }, "alerts alerts:channels[0].smtp.host", "smtp acme");
    refuses({ "alerts:channels": [mail({}, { tls: "none" })] }, "alerts alerts:channels[0].smtp.tls", "none");
    refuses({ "alerts:channels": [mail({}, { tls: "ssl" })] }, "alerts alerts:channels[0].smtp.tls", "ssl");
    refuses({ "alerts:channels": [hook({ timeoutMs: 0 })] }, "alerts alerts:channels[0].timeoutMs", 0);
    refuses({ "alerts:channels": [hook({ minSeverity: "LOW" })] }, "alerts alerts:channels[0].minSeverity", "LOW");
    refuses({ "alerts:channels": [hook(), hook()] }, "alerts alerts:channels[1].name", "hook");
    refuses({ "alerts:channels": [hook({ name: "Ops Hook" })] }, "alerts alerts:channels[0].name", "Ops Hook");
    refuses({ "alerts:channels": [{ name: "t", kind: "sns", topicArn: "arn:aws:sns:eu-west-1:123:t" }] }, "alerts alerts:channels[0].topicArn", "arn:aws:sns:eu-west-1:123:t");
    refuses({ "alerts:delivery": { maxAttempts: 0 } }, "alerts alerts:delivery.maxAttempts", 0);
    refuses({ "alerts:delivery": { initialBackoffS: 60, maxBackoffS: 30 } }, "alerts alerts:delivery.maxBackoffS", 30);
    refuses({ "alerts:topicSubscribers": ["not-an-address"] }, "alerts alerts:topicSubscribers[0]", "not-an-address");
    assert.equal(parseTenantAlerting({ "alerts:channels": [mail({}, { host: "127.0.0.1", tls: "none" })] }).channels.length, 1, "plain SMTP to loopback");
  });

  it("loopback means this machine only", () => {
    assert.deepEqual(["127.0.0.1", "127.8.9.10", "localhost", "[::1]", "::1"].map(isLoopbackHost), [true, true, true, true, true]);
    assert.deepEqual(["10.0.0.1", "localhost.evil.example", "0.0.0.0", "::", "128.0.0.1", "::ffff:7f00:1"].map(isLoopbackHost), [false, false, false, false, false, false]);
  });
});

describe("channel secrets", () => {
  it("come from the environment first, then from a file only its owner can read", () => {
    const home = mkdtempSync(join(tmpdir(), "hub-secrets-"));
    try {
      assert.equal(secretEnvName("acme-2", "ops-hook"), "HUB_ALERT_SECRET_ACME_2_OPS_HOOK");
      const none = channelSecret(home, "acme", "hook", {});
      assert.equal(none.secret, null);
      assert.match(none.secret === null ? none.problem : "", /HUB_ALERT_SECRET_ACME_HOOK/);
      assert.deepEqual(channelSecret(home, "acme", "hook", { HUB_ALERT_SECRET_ACME_HOOK: "from-env" }), { secret: "from-env", from: "$HUB_ALERT_SECRET_ACME_HOOK" });
      const path = secretFilePath(home, "acme", "hook");
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, "from-file\n", { mode: 0o644 });
      chmodSync(path, 0o644);
      const open = channelSecret(home, "acme", "hook", {});
      assert.equal(open.secret, null, "a file others may read is refused");
      assert.match(open.secret === null ? open.problem : "", /mode 644.*chmod 600/);
      assert.ok(!(open.secret === null ? open.problem : "").includes("from-file"), "the problem never shows the secret");
      chmodSync(path, 0o600);
      assert.deepEqual(channelSecret(home, "acme", "hook", {}), { secret: "from-file", from: path });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
