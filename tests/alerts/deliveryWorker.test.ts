/**
 * The delivery worker on a real (in-memory) hub, with real receivers on 127.0.0.1: what lands in
 * OPS.ALERT_DELIVERIES, retries on the wall clock the test moves, dead letters, idempotency keys
 * that stay the same across re-deliveries, resource-monitor notifications, and a tenant that sees
 * only its own deliveries.
 */
import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { adminQuery, testEngine } from "../helpers/engine.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import type { SimulatedClock } from "../../pipelines/engine/clock.ts";
import { parseTenantAlerting } from "../../pipelines/alerts/alertChannels.ts";
import { DeliveryWorker, type WorkerLog } from "../../pipelines/alerts/deliveryWorker.ts";
import { secretEnvName } from "../../pipelines/alerts/channelSecrets.ts";
import { signBody } from "../../pipelines/alerts/webhookSender.ts";
import { CONTROL_SCHEMA } from "../../pipelines/engine/controlTables.ts";

interface Hit {
  readonly body: string;
  readonly headers: http.IncomingHttpHeaders;
}

/** A receiver on 127.0.0.1 port 0 that answers each request with the next status of `script` (then the last). */
async function receiver(script: number[]): Promise<{ url: string; hits: Hit[]; set(s: number[]): void; close(): Promise<void> }> {
  const hits: Hit[] = [];
  let plan = script;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      hits.push({ body: Buffer.concat(chunks).toString(), headers: req.headers });
      const status = plan.length > 1 ? plan.shift()! : plan[0]!;
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    hits,
    set: (s) => {
      plan = s;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const SECRET = "test-signing-secret-not-real";
const logs: Array<{ level: string; msg: string; fields?: Record<string, unknown> }> = [];
const log: WorkerLog = (level, msg, fields) => void logs.push({ level, msg, ...(fields ? { fields } : {}) });

async function insertAlert(engine: EmbeddedEngine, tenant: string, device: string, rule: string, severity: string, windowStart: string, raisedAt: string): Promise<void> {
  const s = await engine.admin();
  try {
    await s.execute(
      `INSERT INTO OPS.ALERT_NOTIFICATIONS (tenant_id, site_id, device_id, rule_id, severity, window_start, first_ts, worst_score, message, raised_at)
       VALUES (?, 's1', ?, ?, ?, CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP), 1.5, ?, CAST(? AS TIMESTAMP))`,
      { binds: [tenant, device, rule, severity, windowStart, windowStart, `${rule} on ${device}`, raisedAt] },
    );
  } finally {
    await s.close();
  }
}

describe("the alert delivery worker", () => {
  let engine: EmbeddedEngine;
  let clock: SimulatedClock;
  let home: string;
  let wall: number;
  const now = () => new Date(wall);

  before(async () => {
    ({ engine, clock } = await testEngine("2026-01-05T10:00:00Z"));
    await engine.grantTenantRole("acme");
    await engine.grantTenantRole("globex");
    home = mkdtempSync(join(tmpdir(), "hub-alerts-"));
  });
  after(async () => {
    await engine.close();
    rmSync(home, { recursive: true, force: true });
  });
  beforeEach(async () => {
    wall = Date.parse("2026-03-01T00:00:00Z");
    logs.length = 0;
    const s = await engine.admin();
    await s.execute("DELETE FROM OPS.ALERT_NOTIFICATIONS");
    await s.close();
    // ALERT_DELIVERIES is append-only for sessions; the test clears it underneath them.
    const c = await engine.rawConnection();
    await c.run("DELETE FROM OPS.ALERT_DELIVERIES");
    await c.run(`DELETE FROM ${CONTROL_SCHEMA}.RESOURCE_MONITOR_EVENTS`);
    c.closeSync();
  });

  const open = (tenants: Array<{ tenantId: string; url: string; extra?: Record<string, unknown> }>, delivery: Record<string, unknown> = {}) =>
    DeliveryWorker.open({
      engine, home, log, now,
      env: Object.fromEntries(tenants.map((t) => [secretEnvName(t.tenantId, "hook"), SECRET])),
      tenants: tenants.map((t) => ({
        tenantId: t.tenantId,
        alerting: parseTenantAlerting({
          "alerts:channels": [{ name: "hook", kind: "webhook", url: t.url, timeoutMs: 1000, ...t.extra }],
          "alerts:delivery": { maxAttempts: 3, initialBackoffS: 10, maxBackoffS: 60, ...delivery },
        }),
      })),
    });

  const deliveries = (where = "") =>
    adminQuery<{ tenant_id: string; notification_key: string; idempotency_key: string; attempt: number; status: string; error: string | null; next_attempt_at: Date | null; channel_kind: string; source: string }>(
      engine, `SELECT * FROM OPS.ALERT_DELIVERIES ${where} ORDER BY notification_key, attempt`,
    );

  it("delivers a new alert once, signed, and records DELIVERED; a second pass sends nothing", async () => {
    const r = await receiver([200]);
    await insertAlert(engine, "acme", "m1", "MACHINE_DOWN", "CRITICAL", "2026-01-05 09:00:00", "2026-01-05 09:30:00");
    const w = await open([{ tenantId: "acme", url: r.url }]);
    await w.runOnce();
    await w.runOnce();
    await w.close();
    await r.close();
    assert.equal(r.hits.length, 1);
    const hit = r.hits[0]!;
    assert.equal(hit.headers["x-hub-signature-256"], signBody(SECRET, hit.body), "the signature is HMAC-SHA256 of the exact body");
    const body = JSON.parse(hit.body);
    assert.equal(body.notification_key, "alert/acme/m1/MACHINE_DOWN/2026-01-05T09");
    assert.equal(hit.headers["idempotency-key"], body.idempotency_key);
    assert.equal(body.severity, "CRITICAL");
    const rows = await deliveries();
    assert.deepEqual(rows.map((x) => [x.notification_key, Number(x.attempt), x.status, x.channel_kind, x.source]), [["alert/acme/m1/MACHINE_DOWN/2026-01-05T09", 1, "DELIVERED", "webhook", "ALERT"]]);
  });

  it("tries again after 500 with the backoff, with the same idempotency key, and records RETRY then DELIVERED", async () => {
    const r = await receiver([500, 200]);
    await insertAlert(engine, "acme", "m2", "SPINDLE_OVERLOAD", "WARNING", "2026-01-05 09:00:00", "2026-01-05 09:10:00");
    const w = await open([{ tenantId: "acme", url: r.url }]);
    await w.runOnce();
    let rows = await deliveries();
    assert.deepEqual(rows.map((x) => [Number(x.attempt), x.status, x.error]), [[1, "RETRY", "HTTP 500"]]);
    assert.equal(rows[0]!.next_attempt_at!.toISOString(), "2026-03-01T00:00:10.000Z", "first backoff: initialBackoffS");
    await w.runOnce();
    assert.equal(r.hits.length, 1, "not before next_attempt_at");
    wall += 10_000;
    await w.runOnce();
    await w.close();
    await r.close();
    rows = await deliveries();
    assert.deepEqual(rows.map((x) => [Number(x.attempt), x.status]), [[1, "RETRY"], [2, "DELIVERED"]]);
    assert.equal(r.hits[0]!.headers["idempotency-key"], r.hits[1]!.headers["idempotency-key"], "a re-delivery carries the same key");
  });

  it("gives up after maxAttempts with a DEAD_LETTER row holding the last error, counted and logged", async () => {
    const r = await receiver([503]);
    await insertAlert(engine, "acme", "m3", "MACHINE_OVERTEMP", "WARNING", "2026-01-05 09:00:00", "2026-01-05 09:10:00");
    const w = await open([{ tenantId: "acme", url: r.url }]);
    for (let i = 0; i < 5; i++) {
      await w.runOnce();
      wall += 60_000;
    }
    await w.close();
    await r.close();
    const rows = await deliveries();
    assert.deepEqual(rows.map((x) => [Number(x.attempt), x.status]), [[1, "RETRY"], [2, "RETRY"], [3, "DEAD_LETTER"]]);
    assert.equal(rows[2]!.error, "HTTP 503");
    assert.equal(r.hits.length, 3, "nothing after the dead letter");
    assert.equal(w.deadLetters().get("acme"), 1);
    assert.equal(w.counts.get("webhook")?.deadLetters, 1);
    assert.ok(logs.some((l) => l.level === "warn" && /dead letter/.test(l.msg)));
  });

  it("dead-letters a 400 at once, with no retry", async () => {
    const r = await receiver([400]);
    await insertAlert(engine, "acme", "m4", "MACHINE_DOWN", "CRITICAL", "2026-01-05 09:00:00", "2026-01-05 09:10:00");
    const w = await open([{ tenantId: "acme", url: r.url }]);
    await w.runOnce();
    wall += 3_600_000;
    await w.runOnce();
    await w.close();
    await r.close();
    const rows = await deliveries();
    assert.deepEqual(rows.map((x) => [Number(x.attempt), x.status]), [[1, "DEAD_LETTER"]]);
    assert.match(rows[0]!.error!, /HTTP 400/);
  });

  it("honours minSeverity, and does not replay alerts older than maxAgeHours to a channel that never tried them", async () => {
    const r = await receiver([200]);
    await insertAlert(engine, "acme", "m5", "CO2_HIGH", "WARNING", "2026-01-05 09:00:00", "2026-01-05 09:10:00");
    await insertAlert(engine, "acme", "m6", "MACHINE_DOWN", "CRITICAL", "2026-01-05 09:00:00", "2026-01-05 09:10:00");
    await insertAlert(engine, "acme", "m7", "MACHINE_DOWN", "CRITICAL", "2026-01-03 09:00:00", "2026-01-03 09:10:00");
    const w = await open([{ tenantId: "acme", url: r.url, extra: { minSeverity: "CRITICAL" } }]);
    await w.runOnce();
    await w.close();
    await r.close();
    assert.deepEqual((await deliveries()).map((x) => x.notification_key), ["alert/acme/m6/MACHINE_DOWN/2026-01-05T09"]);
  });

  it("delivers the tenant's own resource-monitor triggers, not the platform's nor another tenant's", async () => {
    const r = await receiver([200]);
    const c = await engine.rawConnection();
    await c.run(`INSERT INTO ${CONTROL_SCHEMA}.RESOURCE_MONITOR_EVENTS VALUES
      ('TENANT_ACME_BI_MONITOR', TIMESTAMP '2026-01-01 00:00:00', 90, 'NOTIFY', TIMESTAMP '2026-01-05 09:40:00', 45, 50, 'TENANT_ACME_BI_WH'),
      ('TENANT_ACME_BI_MONITOR', TIMESTAMP '2026-01-01 00:00:00', 100, 'SUSPEND', TIMESTAMP '2026-01-05 09:50:00', 50, 50, 'TENANT_ACME_BI_WH'),
      ('TENANT_GLOBEX_BI_MONITOR', TIMESTAMP '2026-01-01 00:00:00', 90, 'NOTIFY', TIMESTAMP '2026-01-05 09:40:00', 45, 50, 'TENANT_GLOBEX_BI_WH'),
      ('HUB_TRANSFORM_MONITOR', TIMESTAMP '2026-01-01 00:00:00', 75, 'NOTIFY', TIMESTAMP '2026-01-05 09:40:00', 750, 1000, 'HUB_TRANSFORM_WH')`);
    c.closeSync();
    const w = await open([{ tenantId: "acme", url: r.url }]);
    await w.runOnce();
    await w.close();
    await r.close();
    const bodies = r.hits.map((h) => JSON.parse(h.body));
    assert.deepEqual(bodies.map((b) => [b.source, b.monitor_name, b.action, b.severity]), [
      ["MONITOR", "TENANT_ACME_BI_MONITOR", "NOTIFY", "WARNING"],
      ["MONITOR", "TENANT_ACME_BI_MONITOR", "SUSPEND", "CRITICAL"],
    ]);
  });

  it("a tenant reads only its own deliveries (row access policy), the admin reads all", async () => {
    const a = await receiver([200]);
    const g = await receiver([400]);
    await insertAlert(engine, "acme", "m8", "MACHINE_DOWN", "CRITICAL", "2026-01-05 09:00:00", "2026-01-05 09:10:00");
    await insertAlert(engine, "globex", "g1", "PM25_UNHEALTHY", "CRITICAL", "2026-01-05 09:00:00", "2026-01-05 09:10:00");
    const w = await open([{ tenantId: "acme", url: a.url }, { tenantId: "globex", url: g.url }]);
    await w.runOnce();
    await w.close();
    await a.close();
    await g.close();
    assert.equal(a.hits.length, 1);
    assert.equal(JSON.parse(a.hits[0]!.body).tenant_id, "acme", "a tenant's channel gets only its alerts");
    assert.equal(g.hits.length, 1);
    assert.equal(JSON.parse(g.hits[0]!.body).tenant_id, "globex");
    assert.equal((await deliveries()).length, 2);
    const s = await engine.session({ role: "TENANT_ACME_ROLE" });
    try {
      const mine = await s.query<{ tenant_id: string; status: string }>("SELECT tenant_id, status FROM OPS.ALERT_DELIVERIES");
      assert.deepEqual(mine.map((x) => [x.tenant_id, x.status]), [["acme", "DELIVERED"]], "globex's dead letter is not visible to acme");
    } finally {
      await s.close();
    }
  });

  it("skips a webhook without a secret, says so once, and delivers nothing for it (no dead letter)", async () => {
    const r = await receiver([200]);
    await insertAlert(engine, "acme", "m9", "MACHINE_DOWN", "CRITICAL", "2026-01-05 09:00:00", "2026-01-05 09:10:00");
    const w = await DeliveryWorker.open({
      engine, home, log, now, env: {},
      tenants: [{ tenantId: "acme", alerting: parseTenantAlerting({ "alerts:channels": [{ name: "hook", kind: "webhook", url: r.url }] }) }],
    });
    await w.runOnce();
    await w.close();
    await r.close();
    assert.equal(w.channelCount, 0);
    assert.equal(r.hits.length, 0);
    assert.equal((await deliveries()).length, 0);
    const warned = logs.filter((l) => l.level === "warn");
    assert.equal(warned.length, 1);
    assert.match(warned[0]!.msg, /HUB_ALERT_SECRET_ACME_HOOK/);
    assert.ok(!warned[0]!.msg.includes(SECRET));
  });

  it("close(maxWaitMs) does not wait out a stalled receiver; the attempt is still recorded when it ends", async () => {
    let arrived!: () => void;
    const requested = new Promise<void>((r) => (arrived = r));
    const stalled = http.createServer(() => arrived());
    await new Promise<void>((r) => stalled.listen(0, "127.0.0.1", r));
    await insertAlert(engine, "acme", "m11", "MACHINE_DOWN", "CRITICAL", "2026-01-05 09:00:00", "2026-01-05 09:10:00");
    const w = await open([{ tenantId: "acme", url: `http://127.0.0.1:${(stalled.address() as AddressInfo).port}/hook`, extra: { timeoutMs: 30_000 } }]);
    w.kick();
    await requested;
    const t0 = Date.now();
    await w.close(200);
    assert.ok(Date.now() - t0 < 5000, "bounded by maxWaitMs, not by the receiver's 30 s timeout");
    assert.ok(logs.some((l) => l.level === "warn" && /still in flight/.test(l.msg)));
    // The receiver goes away: the attempt ends (retry) and its row is written after all.
    stalled.closeAllConnections();
    stalled.close();
    for (let i = 0; i < 100 && (await deliveries()).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual((await deliveries()).map((x) => [x.notification_key, x.status]), [["alert/acme/m11/MACHINE_DOWN/2026-01-05T09", "RETRY"]]);
  });

  it("a new worker picks up a pending retry from the table (a restart loses nothing)", async () => {
    const r = await receiver([500, 200]);
    await insertAlert(engine, "acme", "m10", "MACHINE_DOWN", "CRITICAL", "2026-01-05 09:00:00", "2026-01-05 09:10:00");
    const w1 = await open([{ tenantId: "acme", url: r.url }]);
    await w1.runOnce();
    await w1.close();
    // Days later on the engine's clock (it only moves forward: this test runs last): past
    // maxAgeHours, but a retry is not a new notification.
    clock.advance(3 * 86_400_000);
    wall += 10_000;
    const w2 = await open([{ tenantId: "acme", url: r.url }]);
    await w2.runOnce();
    await w2.close();
    await r.close();

    assert.deepEqual((await deliveries()).map((x) => [Number(x.attempt), x.status]), [[1, "RETRY"], [2, "DELIVERED"]]);
  });
});
