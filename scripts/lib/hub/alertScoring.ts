/**
 * The hub's own alerts (OPS.ALERT_NOTIFICATIONS) scored against the faults the simulator injected,
 * per tenant and event by event, with the rule the anomaly model is scored by
 * (ml/evaluation/eventScore.ts): a fault counts as found when an alert of the same device falls in
 * its window; an alert inside no fault window of its device is a false alert.
 *
 * Tolerance: an alert's instant is its `first_ts`, given the same one-hour span the model's hourly
 * flags get. That is also what the outbox needs: it keeps one notification per (device, rule, hour),
 * so a fault's breaches can be folded into a notification whose first breach came earlier in that
 * hour; such an alert still counts for the fault.
 *
 * Per fault kind the outcome also says which threshold rules watch the fault's metric on its sensor
 * type, so a kind no rule can see (a stuck air temperature, an energy surge) shows as such rather
 * than as a detector that happened to miss.
 */
import { FAULT_KINDS, FAULT_SHAPES, type FaultKind, type FaultLabel } from "../../../edge/faultInjection.ts";
import { scoreEventsPerDevice, type EventScore } from "../../../ml/evaluation/eventScore.ts";
import { groupBy } from "../../../pipelines/groupBy.ts";

/** The span an alert's `first_ts` is given, as the model's hourly flags are (see the module comment). */
export const ALERT_SPAN_MS = 3_600_000;

export interface TenantAlert {
  readonly deviceId: string;
  readonly ruleId: string;
  readonly firstTs: Date;
}

/** A threshold rule as OPS.ALERT_RULES holds it (what the per-kind visibility is read from). */
export interface WatchingRule {
  readonly ruleId: string;
  readonly sensorType: string;
  readonly metric: string;
}

export interface FaultKindOutcome {
  readonly kind: FaultKind;
  /** The metric the fault shows in (its label's `metric`). */
  readonly metric: string;
  readonly injected: number;
  /** Faults of this kind an alert of their device fell in (any rule: the device-level rule above). */
  readonly found: number;
  /** Threshold rules on the fault's sensor type and metric; empty: thresholds cannot see this kind. */
  readonly rules: readonly string[];
}

export interface AlertRuleOutcome {
  readonly ruleId: string;
  readonly alerts: number;
  /** Of those, alerts inside no fault window of their device. */
  readonly outsideFaults: number;
}

/** The run's alerts against the faults injected in the run's window (event level, micro-averaged over devices). */
export interface AlertOutcome {
  readonly injected: number;
  readonly found: number;
  readonly alerts: number;
  readonly falseAlerts: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** Every fault kind, injected or not (a kind with no rule is invisible to thresholds either way). */
  readonly byKind: readonly FaultKindOutcome[];
  readonly byRule: readonly AlertRuleOutcome[];
}

/** Per device: the device's alerts against its faults; `faults` are one tenant's, already cut to the run. */
function perDevice(alerts: readonly TenantAlert[], faults: readonly FaultLabel[]): EventScore {
  return scoreEventsPerDevice(alerts.map((a) => ({ deviceId: a.deviceId, at: a.firstTs })), faults, ALERT_SPAN_MS);
}

/** Score one tenant's alerts against its faults (both already cut to the run). */
export function scoreAlerts(alerts: readonly TenantAlert[], faults: readonly FaultLabel[], rules: readonly WatchingRule[]): AlertOutcome {
  const all = perDevice(alerts, faults);
  const byKind = FAULT_KINDS.map((kind) => {
    const shape = FAULT_SHAPES[kind];
    const s = perDevice(alerts, faults.filter((f) => f.fault === kind));
    const watching = rules.filter((r) => r.sensorType === shape.sensorType && r.metric === shape.metric).map((r) => r.ruleId);
    return { kind, metric: shape.metric, injected: s.windows, found: s.detected, rules: [...new Set(watching)].sort() };
  });
  const byRule = [...groupBy(alerts, (x) => x.ruleId)]
    .map(([ruleId, mine]) => ({ ruleId, alerts: mine.length, outsideFaults: perDevice(mine, faults).falseFlags }))
    .sort((a, b) => b.alerts - a.alerts || a.ruleId.localeCompare(b.ruleId));
  return {
    injected: all.windows, found: all.detected, alerts: all.flags, falseAlerts: all.falseFlags,
    precision: all.precision, recall: all.recall, f1: all.f1, byKind, byRule,
  };
}

/** Whether an alert counts for one of its device's faults (the same test scoreEvents makes). */
export function alertInFault(alert: TenantAlert, faults: readonly FaultLabel[]): boolean {
  const a = alert.firstTs.getTime();
  return faults.some((f) => f.deviceId === alert.deviceId && a < f.end.getTime() && a + ALERT_SPAN_MS > f.start.getTime());
}

/** The run's alerts of a tenant: raised for readings from `from` on. */
export async function tenantAlerts(engine: ControlQueries, tenantId: string, from: Date): Promise<TenantAlert[]> {
  const fromSql = from.toISOString().replace("T", " ").replace("Z", "");
  return (
    await engine.control<{ device_id: string; rule_id: string; first_ts: Date }>(
      `SELECT device_id, rule_id, first_ts FROM OPS.ALERT_NOTIFICATIONS
       WHERE tenant_id = '${tenantId.replaceAll("'", "''")}' AND device_id IS NOT NULL AND first_ts >= TIMESTAMP '${fromSql}' ORDER BY first_ts, device_id, rule_id`,
    )
  ).map((r) => ({ deviceId: r.device_id, ruleId: r.rule_id, firstTs: r.first_ts }));
}

/** The subset of the engine the outcome reads through (the embedded engine's control queries). */
export interface ControlQueries {
  control<T>(sql: string): Promise<T[]>;
}

/**
 * A tenant's alerts raised for readings from `from` on, against its faults that reach past `from`
 * (the labels of the run), with the threshold rules as the warehouse holds them.
 */
export async function alertOutcome(engine: ControlQueries, tenantId: string, labels: readonly FaultLabel[], from: Date): Promise<AlertOutcome> {
  const alerts = await tenantAlerts(engine, tenantId, from);
  const rules = (await engine.control<{ rule_id: string; sensor_type: string; metric: string }>(
    "SELECT rule_id, sensor_type, metric FROM OPS.ALERT_RULES",
  )).map((r) => ({ ruleId: r.rule_id, sensorType: r.sensor_type, metric: r.metric }));
  const faults = labels.filter((l) => l.tenantId === tenantId && l.end.getTime() > from.getTime());
  return scoreAlerts(alerts, faults, rules);
}
