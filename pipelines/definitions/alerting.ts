/**
 * Threshold rules, the breaches the score task finds, and the notifications the alert task sends.
 * Model scores (ML.ANOMALIES) join the alerts when the ML issue lands.
 */
import { col, type StreamDef, type TableDef } from "./types.ts";

export interface AlertRule {
  readonly rule_id: string;
  readonly sensor_type: string;
  readonly metric: string;
  /** `>` / `<` against `threshold`, or `=` against `match_text` for text metrics. */
  readonly comparison: ">" | "<" | "=";
  readonly threshold: number | null;
  readonly match_text: string | null;
  readonly severity: "INFO" | "WARNING" | "CRITICAL";
  readonly description: string;
  /**
   * The breach must last this long (seconds of consecutive breaching readings of the device's
   * metric) before it raises an alert; null: at once. At most MAX_RULE_DURATION_S.
   */
  readonly min_duration_s: number | null;
}

/**
 * The longest `min_duration_s` a rule may have: the alert task looks that far (plus a minute of
 * reading gaps) back into silver, and bounds the look by it.
 */
export const MAX_RULE_DURATION_S = 3600;
/** The longest gap between two readings that a run of breaching readings survives; a longer one starts it anew. */
export const RULE_DURATION_GRACE_S = 60;

export const DEFAULT_ALERT_RULES: readonly AlertRule[] = [
  // A machine stops on its own for minutes at a time (setups, short stops); DOWN for 10 minutes
  // is a breakdown worth waking someone for. Without the duration every short stop was an alert.
  { rule_id: "MACHINE_DOWN", sensor_type: "MACHINE", metric: "state", comparison: "=", threshold: null, match_text: "DOWN", severity: "CRITICAL", description: "machine reports DOWN for 10 minutes", min_duration_s: 600 },
  { rule_id: "SPINDLE_OVERLOAD", sensor_type: "MACHINE", metric: "spindle_load_pct", comparison: ">", threshold: 110, match_text: null, severity: "WARNING", description: "spindle load above 110 %", min_duration_s: null },
  { rule_id: "MACHINE_OVERTEMP", sensor_type: "MACHINE", metric: "temperature_c", comparison: ">", threshold: 90, match_text: null, severity: "WARNING", description: "machine temperature above 90 °C", min_duration_s: null },
  { rule_id: "LOW_POWER_FACTOR", sensor_type: "ENERGY", metric: "power_factor", comparison: "<", threshold: 0.8, match_text: null, severity: "WARNING", description: "power factor below 0.8", min_duration_s: null },
  { rule_id: "PM25_UNHEALTHY", sensor_type: "AIR_QUALITY", metric: "pm25_ugm3", comparison: ">", threshold: 55.4, match_text: null, severity: "CRITICAL", description: "PM2.5 in the EPA 'unhealthy' band or worse", min_duration_s: null },
  { rule_id: "PM25_SENSITIVE", sensor_type: "AIR_QUALITY", metric: "pm25_ugm3", comparison: ">", threshold: 35.4, match_text: null, severity: "WARNING", description: "PM2.5 unhealthy for sensitive groups", min_duration_s: null },
  { rule_id: "CO2_HIGH", sensor_type: "AIR_QUALITY", metric: "co2_ppm", comparison: ">", threshold: 1500, match_text: null, severity: "WARNING", description: "CO2 above 1500 ppm: ventilate", min_duration_s: null },
];

export const ALERT_RULES: TableDef = {
  kind: "table",
  schema: "OPS",
  name: "ALERT_RULES",
  comment: "Threshold rules the score task evaluates on every new metric.",
  columns: [
    col("rule_id", "varchar", "rule id", { nullable: false }),
    col("sensor_type", "varchar", "sensor type it applies to", { nullable: false }),
    col("metric", "varchar", "metric it watches", { nullable: false }),
    col("comparison", "varchar", "> | < | =", { nullable: false }),
    col("threshold", "double", "numeric threshold"),
    col("match_text", "varchar", "text value that breaches (for =)"),
    col("severity", "varchar", "INFO | WARNING | CRITICAL", { nullable: false }),
    col("description", "varchar", "what it means"),
    col("min_duration_s", "double", `seconds of consecutive breaching readings before an alert (NULL: at once); at most ${MAX_RULE_DURATION_S}, the alert task's look-back`),
  ],
  seed: () => DEFAULT_ALERT_RULES.map((r) => ({ ...r })),
};

export const RULE_BREACHES: TableDef = {
  kind: "table",
  schema: "CORE",
  name: "RULE_BREACHES",
  comment: "Every normalised metric that breached a rule, with a score (how far past the threshold).",
  appendOnly: true,
  columns: [
    col("tenant_id", "varchar", "tenant", { nullable: false }),
    col("site_id", "varchar", "site"),
    col("device_id", "varchar", "device"),
    col("sensor_type", "varchar", "sensor type"),
    col("ts", "timestamp", "reading time", { nullable: false }),
    col("seq", "bigint", "reading sequence number"),
    col("metric", "varchar", "metric"),
    col("value", "double", "numeric value"),
    col("value_text", "varchar", "text value"),
    col("rule_id", "varchar", "rule", { nullable: false }),
    col("severity", "varchar", "severity"),
    col("threshold", "double", "threshold"),
    col("score", "double", "value / threshold for >, threshold / value for <, 1 for ="),
    col("scored_at", "timestamp", "when the score task ran"),
  ],
};

export const RULE_BREACHES_STREAM: StreamDef = {
  kind: "stream",
  schema: "CORE",
  name: "RULE_BREACHES_STREAM",
  comment: "New breaches for the alert task.",
  on: "CORE.RULE_BREACHES",
  appendOnly: true,
};

export const ALERT_NOTIFICATIONS: TableDef = {
  kind: "table",
  schema: "OPS",
  name: "ALERT_NOTIFICATIONS",
  comment: "Outbox: one notification per (tenant, device, rule, hour) the first time it breaches.",
  appendOnly: true,
  columns: [
    col("tenant_id", "varchar", "tenant", { nullable: false }),
    col("site_id", "varchar", "site"),
    col("device_id", "varchar", "device"),
    col("rule_id", "varchar", "rule", { nullable: false }),
    col("severity", "varchar", "severity"),
    col("window_start", "timestamp", "hour of the breach", { nullable: false }),
    col("first_ts", "timestamp", "first breaching reading in the batch"),
    col("worst_score", "double", "highest score in the batch"),
    col("message", "varchar", "human-readable text"),
    col("raised_at", "timestamp", "when the alert task ran"),
  ],
};

/**
 * Who acknowledged which alert window, and when (issue 23: the portal's alerts page). An audit
 * trail, append-only: acknowledging again adds a row, nothing is updated or deleted. The alert is
 * named by ANALYTICS.ALERTS's key (tenant, device, rule, hour). Tenants read their own rows through
 * the row access policy; the portal writes them for the signed-in user's tenant only.
 */
export const ALERT_ACKNOWLEDGEMENTS: TableDef = {
  kind: "table",
  schema: "OPS",
  name: "ALERT_ACKNOWLEDGEMENTS",
  comment: "Audit trail: who acknowledged which alert window (ANALYTICS.ALERTS key) and when.",
  appendOnly: true,
  columns: [
    col("tenant_id", "varchar", "tenant", { nullable: false }),
    col("device_id", "varchar", "device of the alert", { nullable: false }),
    col("rule_id", "varchar", "rule of the alert", { nullable: false }),
    col("window_start", "timestamp", "hour of the alert window", { nullable: false }),
    col("acknowledged_by", "varchar", "the portal user who acknowledged it", { nullable: false }),
    col("acknowledged_at", "timestamp", "when, UTC", { nullable: false }),
    col("note", "varchar", "what the user wrote, at most 500 characters"),
  ],
};

/** Outcomes of one delivery attempt (OPS.ALERT_DELIVERIES.status). */
export const DELIVERY_STATUSES = ["DELIVERED", "RETRY", "DEAD_LETTER"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * Every attempt to deliver a notification (an OPS.ALERT_NOTIFICATIONS row, or a resource-monitor
 * trigger of one of the tenant's monitors) to one of the tenant's channels (docs/alerts.md). An
 * audit trail, append-only like the outbox it drains: a retry is a new row with the next attempt
 * number. A (notification, channel) pair is settled once it has a DELIVERED or DEAD_LETTER row;
 * until then its last RETRY row says when the delivery worker tries again. Tenants read their own
 * rows through the row access policy, as they read their alerts.
 */
export const ALERT_DELIVERIES: TableDef = {
  kind: "table",
  schema: "OPS",
  name: "ALERT_DELIVERIES",
  comment: "Every attempt to deliver an alert or monitor notification to a tenant's channel: status, error, next attempt.",
  appendOnly: true,
  columns: [
    col("tenant_id", "varchar", "tenant", { nullable: false, cardinality: "low" }),
    col("notification_key", "varchar", "the notification: alert/<tenant>/<device>/<rule>/<hour> or monitor/<tenant>/<monitor>/<interval>/<percent>", { nullable: false }),
    col("idempotency_key", "varchar", "what receivers dedupe on: the webhook's Idempotency-Key header, the email's Message-ID", { nullable: false }),
    col("source", "varchar", "ALERT | MONITOR", { nullable: false, cardinality: "low" }),
    col("severity", "varchar", "INFO | WARNING | CRITICAL", { cardinality: "low" }),
    col("raised_at", "timestamp", "when the notification was raised (the alert task's or the monitor's time), UTC", { nullable: false }),
    col("channel", "varchar", "the channel's name in the tenant's alerts:channels", { nullable: false, cardinality: "low" }),
    col("channel_kind", "varchar", "webhook | email | sns | eventbridge", { nullable: false, cardinality: "low" }),
    col("attempt", "bigint", "1 for the first attempt, then 2, 3, ...", { nullable: false }),
    col("status", "varchar", "DELIVERED | RETRY (tried again at next_attempt_at) | DEAD_LETTER (given up: the last error)", { nullable: false, cardinality: "low" }),
    col("error", "varchar", "why the attempt failed (no secrets), NULL when delivered"),
    col("attempted_at", "timestamp", "when the attempt ended, UTC", { nullable: false }),
    col("next_attempt_at", "timestamp", "when a RETRY is tried again, UTC; NULL otherwise"),
    col("duration_ms", "double", "how long the attempt took"),
  ],
};
