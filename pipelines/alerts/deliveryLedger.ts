/**
 * The delivery worker's reads and writes on the hub: the notifications to deliver (the alert task's
 * outbox OPS.ALERT_NOTIFICATIONS, and the tenant monitors' triggers the engine records in
 * HUB_LOCAL.RESOURCE_MONITOR_EVENTS), and OPS.ALERT_DELIVERIES, one appended row per attempt.
 * Runs as HUB_PIPELINE, as the portal's writes do.
 */
import type { EmbeddedEngine } from "../engine/embeddedEngine.ts";
import { CONTROL_SCHEMA } from "../engine/controlTables.ts";
import { ALERT_DELIVERIES, ALERT_NOTIFICATIONS, type DeliveryStatus } from "../definitions/alerting.ts";
import { PIPELINE_ROLE, tenantObjectOwner } from "../definitions/governance.ts";
import { qualifiedName } from "../definitions/types.ts";
import type { DuckDbWarehouse } from "../warehouse/duckdbWarehouse.ts";
import { alertKey, monitorKey, type Notification } from "./notification.ts";

/** The last attempt of one (notification, channel). */
export interface DeliveryState {
  readonly attempt: number;
  readonly status: DeliveryStatus;
  readonly nextAttemptAt: Date | null;
  readonly raisedAt: Date;
}

export interface DeliveryRow {
  readonly tenantId: string;
  readonly notification: Notification;
  readonly idempotencyKey: string;
  readonly channel: string;
  readonly channelKind: string;
  readonly attempt: number;
  readonly status: DeliveryStatus;
  readonly error: string | null;
  readonly attemptedAt: Date;
  readonly nextAttemptAt: Date | null;
  readonly durationMs: number;
}

const ts = (d: Date) => d.toISOString().replace("T", " ").replace("Z", "");
const stateKey = (notificationKey: string, channel: string) => `${notificationKey}\u0000${channel}`;

export class DeliveryLedger {
  private session: Promise<DuckDbWarehouse> | null = null;

  constructor(private readonly engine: EmbeddedEngine) {}

  private s(): Promise<DuckDbWarehouse> {
    return (this.session ??= this.engine.session({ role: PIPELINE_ROLE }));
  }

  static key = stateKey;

  /**
   * The last attempt of every (notification, channel) of these tenants. A dead letter requeued by
   * `scripts/alerts.ts retry` has a later RETRY row with the same attempt number: it wins.
   */
  async states(tenants: readonly string[]): Promise<Map<string, DeliveryState & { tenantId: string }>> {
    const out = new Map<string, DeliveryState & { tenantId: string }>();
    if (tenants.length === 0) return out;
    const rows = await (await this.s()).query<{
      tenant_id: string; notification_key: string; channel: string; attempt: number | bigint; status: DeliveryStatus; next_attempt_at: Date | null; raised_at: Date;
    }>(
      `SELECT tenant_id, notification_key, channel, attempt, status, next_attempt_at, raised_at FROM ${qualifiedName(ALERT_DELIVERIES)}
       WHERE tenant_id IN (${tenants.map(() => "?").join(", ")})
       QUALIFY ROW_NUMBER() OVER (PARTITION BY tenant_id, notification_key, channel ORDER BY attempt DESC, attempted_at DESC) = 1`,
      { binds: [...tenants] },
    );
    for (const r of rows) {
      out.set(stateKey(r.notification_key, r.channel), {
        tenantId: r.tenant_id, attempt: Number(r.attempt), status: r.status, nextAttemptAt: r.next_attempt_at, raisedAt: r.raised_at,
      });
    }
    return out;
  }

  /** Alerts of these tenants raised at or after `since` (the alert task's time). */
  async alerts(tenants: readonly string[], since: Date): Promise<Notification[]> {
    if (tenants.length === 0) return [];
    const rows = await (await this.s()).query<{
      tenant_id: string; site_id: string | null; device_id: string; rule_id: string; severity: string | null; window_start: Date;
      first_ts: Date | null; worst_score: number | null; message: string | null; raised_at: Date;
    }>(
      `SELECT tenant_id, site_id, device_id, rule_id, severity, window_start, first_ts, worst_score, message, raised_at FROM ${qualifiedName(ALERT_NOTIFICATIONS)}
       WHERE raised_at >= CAST(? AS TIMESTAMP) AND tenant_id IN (${tenants.map(() => "?").join(", ")}) ORDER BY raised_at, tenant_id, device_id, rule_id`,
      { binds: [ts(since), ...tenants] },
    );
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      source: "ALERT" as const,
      key: alertKey(r.tenant_id, r.device_id, r.rule_id, r.window_start),
      severity: (["INFO", "WARNING", "CRITICAL"].includes(r.severity ?? "") ? r.severity : "WARNING") as Notification["severity"],
      raisedAt: r.raised_at,
      title: `${r.rule_id} on ${r.device_id}${r.site_id ? ` (${r.site_id})` : ""}`,
      message: r.message ?? `${r.rule_id} on ${r.device_id}`,
      fields: {
        site_id: r.site_id, device_id: r.device_id, rule_id: r.rule_id, window_start: r.window_start.toISOString(),
        first_ts: r.first_ts ? r.first_ts.toISOString() : null, worst_score: r.worst_score === null ? null : Number(r.worst_score),
      },
    }));
  }

  /**
   * Triggers of the tenants' own resource monitors (TENANT_<ID>_...) fired at or after `since`.
   * The platform's shared monitors belong to no tenant: they notify the operators through
   * Snowflake's notify users (hub:notifyUsers), not a tenant's channels.
   */
  async monitorEvents(tenants: readonly string[], since: Date): Promise<Notification[]> {
    if (tenants.length === 0) return [];
    const rows = await this.engine.control<{
      monitor_name: string; interval_start: Date; threshold_pct: number; action: string; fired_at: Date; used_credits: number | null; credit_quota: number | null; warehouses: string | null;
    }>(
      `SELECT monitor_name, interval_start, threshold_pct, action, fired_at, used_credits, credit_quota, warehouses FROM ${CONTROL_SCHEMA}.RESOURCE_MONITOR_EVENTS
       WHERE fired_at >= TIMESTAMP '${ts(since)}' ORDER BY fired_at`,
    );
    const out: Notification[] = [];
    for (const r of rows) {
      const tenant = tenantObjectOwner(r.monitor_name, tenants);
      if (!tenant) continue;
      const pct = Number(r.threshold_pct);
      const suspends = r.action !== "NOTIFY";
      out.push({
        tenantId: tenant,
        source: "MONITOR",
        key: monitorKey(tenant, r.monitor_name, r.interval_start, pct),
        severity: suspends ? "CRITICAL" : "WARNING",
        raisedAt: r.fired_at,
        title: `${r.monitor_name} reached ${pct} % of its credit quota (${r.action})`,
        message: `Resource monitor ${r.monitor_name} reached ${pct} % of its quota (${Number(r.used_credits ?? 0).toFixed(2)} of ${r.credit_quota ?? "?"} credits): ${r.action}${suspends ? ` — warehouses ${r.warehouses ?? ""} suspended` : ""}.`,
        fields: {
          monitor_name: r.monitor_name, action: r.action, threshold_pct: pct, interval_start: r.interval_start.toISOString(),
          used_credits: r.used_credits === null ? null : Number(r.used_credits), credit_quota: r.credit_quota === null ? null : Number(r.credit_quota), warehouses: r.warehouses,
        },
      });
    }
    return out;
  }

  async record(rows: readonly DeliveryRow[]): Promise<void> {
    if (rows.length === 0) return;
    const one = "(?, ?, ?, ?, ?, CAST(? AS TIMESTAMP), ?, ?, ?, ?, ?, CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP), ?)";
    await (await this.s()).execute(
      `INSERT INTO ${qualifiedName(ALERT_DELIVERIES)} (tenant_id, notification_key, idempotency_key, source, severity, raised_at, channel, channel_kind, attempt, status, error, attempted_at, next_attempt_at, duration_ms)
       VALUES ${rows.map(() => one).join(", ")}`,
      {
        binds: rows.flatMap((r) => [
          r.tenantId, r.notification.key, r.idempotencyKey, r.notification.source, r.notification.severity, ts(r.notification.raisedAt),
          r.channel, r.channelKind, r.attempt, r.status, r.error, ts(r.attemptedAt), r.nextAttemptAt ? ts(r.nextAttemptAt) : null, Math.round(r.durationMs),
        ]),
        tag: { job: "alert-delivery" },
      },
    );
  }

  async close(): Promise<void> {
    if (this.session) await (await this.session).close().catch(() => undefined);
    this.session = null;
  }
}
