/**
 * The webhook sender against receivers that misbehave, on 127.0.0.1 port 0: one that never
 * answers, one that drops the connection, one that redirects to another host (never followed), one
 * that throttles with Retry-After; and the signature a receiver checks.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { createHmac } from "node:crypto";
import type { AddressInfo } from "node:net";
import { parseTenantAlerting, type WebhookChannel } from "../../pipelines/alerts/alertChannels.ts";
import { WebhookSender } from "../../pipelines/alerts/webhookSender.ts";
import { backoffMs } from "../../pipelines/alerts/deliveryOutcome.ts";
import type { Notification } from "../../pipelines/alerts/notification.ts";

const NOTE: Notification = {
  tenantId: "acme", source: "ALERT", key: "alert/acme/m1/MACHINE_DOWN/2026-01-05T09", severity: "CRITICAL",
  raisedAt: new Date("2026-01-05T09:30:00Z"), title: "MACHINE_DOWN on m1", message: "m1 down", fields: {},
};

async function serve(handler: http.RequestListener): Promise<{ url: string; hits: () => number; close(): Promise<void> }> {
  let hits = 0;
  const server = http.createServer((req, res) => {
    hits++;
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    hits: () => hits,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const channel = (url: string, timeoutMs = 500): WebhookChannel =>
  parseTenantAlerting({ "alerts:channels": [{ name: "hook", kind: "webhook", url, timeoutMs }] }).channels[0] as WebhookChannel;

describe("webhook delivery to hostile receivers", () => {
  it("a receiver that never answers costs at most timeoutMs and is tried again", async () => {
    const r = await serve(() => undefined);
    try {
      const t0 = Date.now();
      const [o] = await new WebhookSender(channel(r.url, 300), "s").send([NOTE]);
      assert.ok(Date.now() - t0 < 3000, "bounded by the timeout, not by the receiver");
      assert.deepEqual(o, { ok: false, permanent: false, error: "timed out after 300 ms" });
    } finally {
      await r.close();
    }
  });

  it("a receiver that reads the request and drops the connection is tried again", async () => {
    const r = await serve((req) => req.on("data", () => undefined).on("end", () => req.socket.destroy()));
    try {
      const [o] = await new WebhookSender(channel(r.url), "s").send([NOTE]);
      assert.ok(o && !o.ok && !o.permanent, JSON.stringify(o));
      assert.match(o.ok ? "" : o.error, /ECONNRESET|socket hang up/);
    } finally {
      await r.close();
    }
  });

  it("a redirect to another host is not followed: the other host gets nothing, and it is permanent", async () => {
    const other = await serve((_req, res) => res.writeHead(200).end());
    const r = await serve((_req, res) => res.writeHead(307, { location: other.url.replace("127.0.0.1", "localhost") }).end());
    try {
      const [o] = await new WebhookSender(channel(r.url), "s").send([NOTE]);
      assert.ok(o && !o.ok && o.permanent, JSON.stringify(o));
      assert.match(o.ok ? "" : o.error, /HTTP 307: redirect \(Location localhost:\d+\) not followed/);
      assert.equal(other.hits(), 0);
    } finally {
      await r.close();
      await other.close();
    }
  });

  it("429 with Retry-After is tried again no sooner than asked (within maxBackoff); 408 is tried again; 404 and 401 are permanent", async () => {
    const statuses = [429, 408, 404, 401];
    const r = await serve((_req, res) => {
      const s = statuses.shift()!;
      res.writeHead(s, s === 429 ? { "retry-after": "120" } : {}).end();
    });
    try {
      const out = await new WebhookSender(channel(r.url), "s").send([NOTE, NOTE, NOTE, NOTE]);
      assert.deepEqual(out.map((o) => (o.ok ? "ok" : o.permanent ? "permanent" : "retry")), ["retry", "retry", "permanent", "permanent"]);
      const throttled = out[0]!;
      assert.ok(!throttled.ok);
      const policy = { maxAttempts: 6, initialBackoffS: 30, maxBackoffS: 3600, maxAgeHours: 24 };
      assert.equal(backoffMs(policy, 1, throttled.retryAfterS), 120_000);
      assert.equal(backoffMs({ ...policy, maxBackoffS: 60 }, 1, throttled.retryAfterS), 60_000, "a Retry-After beyond maxBackoff is capped");
      assert.deepEqual([1, 2, 3, 8].map((a) => backoffMs(policy, a)), [30_000, 60_000, 120_000, 3_600_000], "doubling, capped at maxBackoffS");
    } finally {
      await r.close();
    }
  });

  it("the receiver can verify the signature with the shared secret, and a wrong secret does not verify", async () => {
    let ok: boolean | null = null;
    const r = await serve((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        const expected = `sha256=${createHmac("sha256", "shared-secret").update(body).digest("hex")}`;
        ok = req.headers["x-hub-signature-256"] === expected;
        res.writeHead(ok ? 204 : 401).end();
      });
    });
    try {
      assert.deepEqual((await new WebhookSender(channel(r.url), "shared-secret").send([NOTE]))[0], { ok: true, detail: "HTTP 204" });
      assert.equal(ok, true);
      const wrong = (await new WebhookSender(channel(r.url), "another-secret").send([NOTE]))[0]!;
      assert.ok(!wrong.ok && wrong.permanent);
    } finally {
      await r.close();
    }
  });
});
