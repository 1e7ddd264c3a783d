/**
 * How the main job and serve compose the delivery worker: no channel anywhere is said once and is
 * not an error; at the end of `npm start` what the run raised is delivered, a retry that falls due
 * within the wait is waited for, and one that does not stays pending for the next run.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { adminQuery, testEngine } from "../helpers/engine.ts";
import { parseTenantAlerting } from "../../pipelines/alerts/alertChannels.ts";
import { deliverAtEnd, NO_CHANNELS, openAlertDelivery } from "../../scripts/lib/hub/alertDelivery.ts";
import type { TenantTwin } from "../../scripts/lib/hub/tenantTwin.ts";

const twin = (tenantId: string, alerts: Record<string, unknown>) => ({ tenantId, config: { alerting: parseTenantAlerting(alerts) } }) as unknown as Pick<TenantTwin, "tenantId" | "config">;

describe("alert delivery in the main job", () => {
  it("with no channel configured, opens nothing and says so once, as info", async () => {
    const { engine } = await testEngine();
    const said: Array<[string, string]> = [];
    try {
      const w = await openAlertDelivery({ engine, tenants: [twin("acme", {}), twin("globex", {})], home: tmpdir(), log: (level, msg) => void said.push([level, msg]) });
      assert.equal(w, null);
      assert.deepEqual(said, [["info", NO_CHANNELS]]);
    } finally {
      await engine.close();
    }
  });

  it("at the end of a run: delivers, waits for a retry due within maxWaitMs, leaves a later one pending", async () => {
    const { engine } = await testEngine("2026-01-05T10:00:00Z");
    const home = mkdtempSync(join(tmpdir(), "hub-alerts-end-"));
    const plans: Record<string, number[]> = { "/quick": [500, 200], "/slow": [503] };
    const server = http.createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        const p = plans[req.url!]!;
        res.writeHead(p.length > 1 ? p.shift()! : p[0]!).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const s = await engine.admin();
      for (const t of ["acme", "globex"]) {
        await s.execute(
          `INSERT INTO OPS.ALERT_NOTIFICATIONS (tenant_id, site_id, device_id, rule_id, severity, window_start, first_ts, worst_score, message, raised_at)
           VALUES (?, 's1', 'd1', 'MACHINE_DOWN', 'CRITICAL', TIMESTAMP '2026-01-05 09:00:00', TIMESTAMP '2026-01-05 09:00:00', 1, 'down', TIMESTAMP '2026-01-05 09:30:00')`,
          { binds: [t] },
        );
      }
      await s.close();
      // acme's retry falls due 1 s after its first attempt, globex's 60 s after: a wait of 30 s
      // takes the one and leaves the other. (It was 1.5 s: on a loaded machine the first pass alone
      // took over 0.5 s, acme's retry fell past the wait and stayed pending.)
      const summary = await deliverAtEnd({
        engine, home, maxWaitMs: 30_000, log: () => undefined,
        env: { HUB_ALERT_SECRET_ACME_HOOK: "a", HUB_ALERT_SECRET_GLOBEX_HOOK: "g" },
        tenants: [
          twin("acme", { "alerts:channels": [{ name: "hook", kind: "webhook", url: `${base}/quick` }], "alerts:delivery": { initialBackoffS: 1 } }),
          twin("globex", { "alerts:channels": [{ name: "hook", kind: "webhook", url: `${base}/slow` }], "alerts:delivery": { initialBackoffS: 60, maxBackoffS: 60 } }),
        ],
      });
      assert.deepEqual(summary, { channels: 2, delivered: 1, deadLetters: 0, pending: 1 });
      const rows = await adminQuery<{ tenant_id: string; attempt: number; status: string }>(engine, "SELECT tenant_id, attempt, status FROM OPS.ALERT_DELIVERIES ORDER BY tenant_id, attempt");
      assert.deepEqual(rows.map((r) => [r.tenant_id, Number(r.attempt), r.status]), [["acme", 1, "RETRY"], ["acme", 2, "DELIVERED"], ["globex", 1, "RETRY"]]);
    } finally {
      server.close();
      await engine.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
