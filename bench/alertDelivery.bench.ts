/**
 * Alert delivery throughput (docs/alerts.md): 1,000 alerts through the delivery worker to a webhook
 * on 127.0.0.1 (signing, one POST each, one OPS.ALERT_DELIVERIES row each), against bare signed
 * POSTs of the same bodies to the same receiver in the same run. The ratio is what the worker's
 * bookkeeping costs on top of the HTTP itself.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EmbeddedEngine } from "../pipelines/engine/embeddedEngine.ts";
import { SimulatedClock } from "../pipelines/engine/clock.ts";
import { parseTenantAlerting, type WebhookChannel } from "../pipelines/alerts/alertChannels.ts";
import { DeliveryWorker } from "../pipelines/alerts/deliveryWorker.ts";
import { WebhookSender } from "../pipelines/alerts/webhookSender.ts";
import type { Notification } from "../pipelines/alerts/notification.ts";
import { timed, type Benchmark, type Figure } from "./harness.ts";

const ALERTS = 1000;

export const alertDeliveryBenchmark: Benchmark = {
  name: "alerts",
  description: "alert delivery: 1,000 alerts through the worker to a local webhook, against bare signed POSTs",
  async run({ scale, progress }): Promise<Figure[]> {
    const n = Math.max(50, Math.round(ALERTS * scale));
    const dir = mkdtempSync(join(tmpdir(), "hub-bench-alerts-"));
    const server = http.createServer((req, res) => {
      req.resume();
      req.on("end", () => res.writeHead(204).end());
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const engine = await EmbeddedEngine.open({ path: join(dir, "alerts.duckdb"), clock: new SimulatedClock("2026-01-05T12:00:00Z") });
    try {
      const admin = await engine.admin();
      await admin.execute(`INSERT INTO OPS.ALERT_NOTIFICATIONS (tenant_id, site_id, device_id, rule_id, severity, window_start, first_ts, worst_score, message, raised_at)
        SELECT 'acme', 's1', 'm' || i, 'MACHINE_DOWN', 'CRITICAL', TIMESTAMP '2026-01-05 10:00:00', TIMESTAMP '2026-01-05 10:00:00', 1, 'down', TIMESTAMP '2026-01-05 11:00:00'
        FROM range(${n}) r(i)`);
      await admin.close();
      const alerting = parseTenantAlerting({ "alerts:channels": [{ name: "hook", kind: "webhook", url }] });
      const notes: Notification[] = Array.from({ length: n }, (_, i) => ({
        tenantId: "acme", source: "ALERT", key: `alert/acme/m${i}/MACHINE_DOWN/2026-01-05T10`, severity: "CRITICAL", raisedAt: new Date(), title: "t", message: "down", fields: {},
      }));
      progress(`reference: ${n} bare signed POSTs…`);
      const bare = await timed(() => new WebhookSender(alerting.channels[0] as WebhookChannel, "bench-secret").send(notes));
      progress(`${n} alerts through the worker…`);
      const w = await DeliveryWorker.open({
        engine, home: dir, log: () => undefined, perChannel: 50, env: { HUB_ALERT_SECRET_ACME_HOOK: "bench-secret" }, tenants: [{ tenantId: "acme", alerting }],
      });
      const worker = await timed(async () => {
        while ([...w.counts.values()].reduce((a, c) => a + c.delivered, 0) < n) await w.runOnce();
      });
      await w.close();
      const perS = (ms: number) => (n / ms) * 1000;
      return [
        {
          name: "alerts.worker_deliveries_per_s",
          value: perS(worker.ms),
          unit: "deliveries/s",
          description: `alerts delivered by the worker to a local webhook, each signed, POSTed and recorded (${n})`,
          reference: { name: "bare signed POSTs", value: perS(bare.ms), unit: "POSTs/s" },
          ratio: worker.ms / bare.ms,
          ratioMeaning: "worker time / bare POST time",
        },
      ];
    } finally {
      server.close();
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
