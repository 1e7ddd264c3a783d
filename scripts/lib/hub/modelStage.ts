/**
 * Step 5 of the main job: retrain each tenant's models on what the hub holds (ml/retrainFlow.ts:
 * features from the warehouse, the champion/challenger gate, the local registry under
 * HUB_HOME/models), which writes the champions' scores to the ML tables the alert task reads; the
 * approved streaming detector then scores the machines' 1 Hz signals; and the hourly anomaly flags
 * are scored against the faults the simulator injected, per device, event by event — and so are the
 * hub's own alerts (alertScoring.ts), which exist from the first hour, when the models do not yet.
 */
import { codeVersion } from "../../../ml/codeVersion.ts";
import type { FaultLabel } from "../../../edge/faultInjection.ts";
import { retrain, type RetrainOutcome } from "../../../ml/retrainFlow.ts";
import { LocalRegistry } from "../../../ml/registry/index.ts";
import { scoreStream } from "../../../ml/streamScoring.ts";
import { scoreEventsPerDevice } from "../../../ml/evaluation/eventScore.ts";
import type { ModelKind } from "../../../ml/contract.ts";
import type { MainJobOptions, OpenedHub } from "./mainJob.ts";
import type { AnomalyOutcome, ModelOutcome } from "./runSummary.ts";
import { alertOutcome, type AlertOutcome } from "./alertScoring.ts";

export interface ModelStageResult {
  readonly anomalies: ReadonlyMap<string, AnomalyOutcome>;
  /** The run's alerts (threshold and model) against the injected faults, per tenant. */
  readonly alertsOnFaults: ReadonlyMap<string, AlertOutcome>;
  readonly models: ReadonlyMap<string, readonly ModelOutcome[]>;
  readonly outcomes: readonly RetrainOutcome[];
}

const MODELS: readonly ModelKind[] = ["forecast", "anomaly", "segments"];
const HOUR_MS = 3_600_000;

function outcomeRow(o: RetrainOutcome): ModelOutcome {
  const m = o.metric;
  return {
    model: o.model, metric: m ?? "–",
    challenger: m && o.challenger ? o.challenger[m] ?? null : null,
    champion: m && o.champion ? o.champion.metrics[m] ?? null : null,
    baseline: m && o.baseline ? o.baseline[m] ?? null : null,
    decision: o.decision, reason: o.reason,
  };
}

/** Hourly anomaly flags of a tenant's devices against the injected fault windows of the same device. */
async function anomalyOutcome(hub: OpenedHub, tenantId: string, labels: readonly FaultLabel[], from: Date): Promise<AnomalyOutcome | null> {
  const flags = await hub.engine.control<{ series_id: string; ts: Date }>(
    `SELECT series_id, ts FROM ML.ANOMALIES WHERE tenant_id = '${tenantId.replaceAll("'", "''")}' AND is_anomaly
     QUALIFY ROW_NUMBER() OVER (PARTITION BY series_id, ts ORDER BY scored_at DESC) = 1`,
  );
  const scored = await hub.engine.control<{ t0: Date | null }>(`SELECT MIN(ts) AS t0 FROM ML.ANOMALIES WHERE tenant_id = '${tenantId.replaceAll("'", "''")}'`);
  const t0 = scored[0]?.t0;
  if (!t0) return null;
  // Only the faults inside the scored hours can be found.
  const mine = labels.filter((l) => l.tenantId === tenantId && l.end.getTime() > Math.max(t0.getTime(), from.getTime()));
  // series_id is "<feature>:<device>".
  const deviceFlags = flags.map((f) => ({ deviceId: f.series_id.split(":").slice(1).join(":"), at: f.ts }));
  const s = scoreEventsPerDevice(deviceFlags, mine, HOUR_MS);
  return { injected: s.windows, detected: s.detected, flagged: s.flags, falseFlags: s.falseFlags, precision: s.precision, recall: s.recall, f1: s.f1 };
}

export async function retrainAndScore(hub: OpenedHub, o: MainJobOptions, labels: readonly FaultLabel[], from: Date): Promise<ModelStageResult> {
  const tenants = hub.tenants.map((t) => t.tenantId);
  o.onStage?.(`retraining ${MODELS.join(", ")} for ${tenants.join(", ")}`);
  const registry = new LocalRegistry(o.home, () => hub.clock.now());
  const session = await hub.engine.admin();
  let outcomes: RetrainOutcome[];
  try {
    outcomes = await retrain({
      warehouse: session, registry, tenants, models: MODELS, now: hub.clock.now(), codeVersion: codeVersion(),
      onProgress: (p) => o.onStage?.(`  ${p.done}/${p.total} ${p.label}`),
    });
    for (const t of tenants) await scoreStream(session, registry, t, { now: hub.clock.now() });
  } finally {
    await session.close();
  }
  // The model scores reach the alerts through the task graph (it wakes on the ML streams).
  await hub.engine.runUntil(new Date(hub.clock.now().getTime() + 2 * 60_000));
  const anomalies = new Map<string, AnomalyOutcome>();
  const alertsOnFaults = new Map<string, AlertOutcome>();
  const models = new Map<string, ModelOutcome[]>();
  for (const t of tenants) {
    const a = await anomalyOutcome(hub, t, labels, from);
    if (a) anomalies.set(t, a);
    alertsOnFaults.set(t, await alertOutcome(hub.engine, t, labels, from));
    models.set(t, outcomes.filter((x) => x.tenantId === t).map(outcomeRow));
  }
  return { anomalies, alertsOnFaults, models, outcomes };
}
