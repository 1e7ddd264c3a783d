/**
 * Alert delivery in the hub's two compositions (docs/alerts.md): `serve` kicks the delivery worker
 * every few seconds beside its engine tick; `npm start` delivers once at the end of its run and
 * waits a bounded time for retries. Both read each tenant's channels from its stack file (the
 * `alerts:*` keys its TenantConfig carries). With no channel anywhere, the worker is not opened.
 */
import type { EmbeddedEngine } from "../../../pipelines/engine/embeddedEngine.ts";
import { DeliveryWorker, type SenderFactory, type WorkerLog } from "../../../pipelines/alerts/deliveryWorker.ts";
import type { TenantTwin } from "./tenantTwin.ts";

/** Said once when no tenant has a channel: not an error. */
export const NO_CHANNELS = "no alert channels configured (alerts:channels in a tenant's stack file; docs/alerts.md): alerts stay in OPS.ALERT_NOTIFICATIONS";

export interface AlertDeliveryOptions {
  readonly engine: EmbeddedEngine;
  readonly tenants: readonly Pick<TenantTwin, "tenantId" | "config">[];
  readonly home: string;
  readonly log: WorkerLog;
  readonly senders?: SenderFactory;
  readonly env?: NodeJS.ProcessEnv;
}

/** The worker for the tenants' channels, or null (and NO_CHANNELS said) when none has one. */
export async function openAlertDelivery(o: AlertDeliveryOptions): Promise<DeliveryWorker | null> {
  const tenants = o.tenants.filter((t) => t.config.alerting.channels.length > 0).map((t) => ({ tenantId: t.tenantId, alerting: t.config.alerting }));
  if (tenants.length === 0) {
    o.log("info", NO_CHANNELS);
    return null;
  }
  return DeliveryWorker.open({ engine: o.engine, tenants, home: o.home, log: o.log, ...(o.senders ? { senders: o.senders } : {}), ...(o.env ? { env: o.env } : {}) });
}

export interface AlertDeliverySummary {
  /** Channels delivered to (configured, with their secret). */
  readonly channels: number;
  readonly delivered: number;
  readonly deadLetters: number;
  /** Notifications still waiting for a retry when the run ended; the next run (or serve) tries them. */
  readonly pending: number;
}

/** `npm start`'s end: deliver what the run raised; wait at most `maxWaitMs` for retries that fall due. */
export async function deliverAtEnd(o: AlertDeliveryOptions & { readonly maxWaitMs: number }): Promise<AlertDeliverySummary | null> {
  const w = await openAlertDelivery(o);
  if (!w) return null;
  try {
    const { pending } = await w.drain(o.maxWaitMs);
    let delivered = 0;
    let deadLetters = 0;
    for (const c of w.counts.values()) {
      delivered += c.delivered;
      deadLetters += c.deadLetters;
    }
    return { channels: w.channelCount, delivered, deadLetters, pending };
  } finally {
    await w.close();
  }
}
