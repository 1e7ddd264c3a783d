/**
 * What the delivery worker sends: one notification (an alert of OPS.ALERT_NOTIFICATIONS, or a
 * trigger of one of the tenant's resource monitors), its key, and the idempotency key receivers
 * dedupe on. The JSON body is the same for every channel kind (webhook body, SNS message,
 * EventBridge detail); email gets a text rendering of it.
 */
import { createHash } from "node:crypto";

export interface Notification {
  readonly tenantId: string;
  readonly source: "ALERT" | "MONITOR";
  /** alert/<tenant>/<device>/<rule>/<hour> or monitor/<tenant>/<monitor>/<interval start>/<percent>: unique per notification. */
  readonly key: string;
  readonly severity: "INFO" | "WARNING" | "CRITICAL";
  readonly raisedAt: Date;
  readonly title: string;
  readonly message: string;
  /** The fields of the source row, for receivers that route on them. */
  readonly fields: Readonly<Record<string, string | number | null>>;
}

const iso = (d: Date) => d.toISOString();
/** Hours as the alert task keys them (DATE_TRUNC('hour')): 2026-01-05T08. */
const hourOf = (d: Date) => iso(d).slice(0, 13);

export function alertKey(tenant: string, device: string, rule: string, windowStart: Date): string {
  return `alert/${tenant}/${device}/${rule}/${hourOf(windowStart)}`;
}

export function monitorKey(tenant: string, monitor: string, intervalStart: Date, percent: number): string {
  return `monitor/${tenant}/${monitor}/${iso(intervalStart)}/${percent}`;
}

/**
 * The key a receiver dedupes on: the same for every attempt of a notification (and on every
 * channel), header- and Message-ID-safe. A digest of the notification key, so it carries no
 * device or rule names into mail headers.
 */
export function idempotencyKey(notificationKey: string): string {
  return `hub-${createHash("sha256").update(notificationKey).digest("hex").slice(0, 40)}`;
}

/** The body every channel carries. `version` changes only when a field is removed or changes meaning. */
export function notificationBody(n: Notification): Record<string, unknown> {
  return {
    version: 1,
    idempotency_key: idempotencyKey(n.key),
    notification_key: n.key,
    tenant_id: n.tenantId,
    source: n.source,
    severity: n.severity,
    raised_at: iso(n.raisedAt),
    title: n.title,
    message: n.message,
    ...n.fields,
  };
}

export function notificationText(n: Notification): string {
  const lines = [n.message, "", `tenant: ${n.tenantId}`, `severity: ${n.severity}`, `raised at: ${iso(n.raisedAt)}`];
  for (const [k, v] of Object.entries(n.fields)) if (v !== null) lines.push(`${k}: ${v}`);
  lines.push("", `notification: ${n.key}`, `idempotency key: ${idempotencyKey(n.key)}`);
  return `${lines.join("\n")}\n`;
}
