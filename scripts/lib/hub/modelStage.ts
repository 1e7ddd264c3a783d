/**
 * Step 5 of the main job: retrain each tenant's models on what the hub holds (ml/retrainFlow.ts:
 * features from the warehouse, the champion/challenger gate, the local registry under
 * HUB_HOME/models), which writes the champions' scores to the ML tables the alert task reads; the
 * approved streaming detector then scores the machines' 1 Hz signals; and the hourly anomaly flags
 * are scored against the faults the simulator injected, per device, event by event — and so are the
 * hub's own alerts (alertScoring.ts), which exist from the first hour, when the models do not yet.
 */
import { codeVersion } from "../../../ml/codeVersion.ts";
import type { FaultKind, FaultLabel } from "../../../edge/faultInjection.ts";
import { retrain, type RetrainOutcome } from "../../../ml/retrainFlow.ts";
import { LocalRegistry } from "../../../ml/registry/index.ts";
import { scoreStream } from "../../../ml/streamScoring.ts";
import { scoreEventsPerDevice, sumEventScores } from "../../../ml/evaluation/eventScore.ts";
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

/**
 * The hourly series each fault kind shows in, as the anomaly model names its series
 * (`<feature>:<device>`, ml/modelSpecs.ts ANOMALY_FEATURES); null: no hourly series shows it (a
 * stuck reading changes how often the value changes, which hourly means do not keep).
 */
export const FAULT_SERIES_FEATURE: Readonly<Record<FaultKind, string | null>> = {
  breakdown: "down_share", energy_surge: "kwh", drift: "co2_ppm", pm25_spike: "pm25_ugm3", stuck: null,
};

/** One flagged hour of a series, and every series scored in the period. */
export interface ScoredSeries {
  readonly flags: ReadonlyArray<{ readonly seriesId: string; readonly ts: Date }>;
  readonly seriesIds: readonly string[];
}

const deviceOf = (seriesId: string) => seriesId.split(":").slice(1).join(":");

/**
 * The anomaly model's flags of the run's period against the faults injected in it, event by event
 * and per device. A fault is the model's to find when the model scored the series its kind shows in
 * on its device; the others (no series, or a kind no hourly series shows) are counted apart as
 * `unscored`, not as misses. A flag is false when it falls in no fault window of its device (a
 * flag during any fault of the device is not a false alarm, as for the alerts, alertScoring.ts).
 */
export function scoreAnomalyFlags(scored: ScoredSeries, faults: readonly FaultLabel[]): AnomalyOutcome {
  const series = new Set(scored.seriesIds);
  const watched = faults.filter((f) => {
    const feature = FAULT_SERIES_FEATURE[f.fault];
    return feature !== null && series.has(`${feature}:${f.deviceId}`);
  });
  const flags = scored.flags.map((f) => ({ deviceId: deviceOf(f.seriesId), at: f.ts }));
  const found = scoreEventsPerDevice(flags, watched, HOUR_MS);
  const falseFlags = scoreEventsPerDevice(flags, faults, HOUR_MS).falseFlags;
  const s = sumEventScores([{ ...found, falseFlags }]);
  return { injected: s.windows, unscored: faults.length - watched.length, detected: s.detected, flagged: s.flags, falseFlags: s.falseFlags, precision: s.precision, recall: s.recall, f1: s.f1 };
}

/**
 * A tenant's anomaly flags from `from` on against its faults that reach past `from`. The model
 * scores the last 48 hours, which on a hub with history begin in the history's hours: those carry no
 * fault labels (the history's faults are not written to labels.jsonl), so they are left out rather
 * than read as false flags. Null while nothing of the period has been scored.
 */
async function anomalyOutcome(hub: OpenedHub, tenantId: string, labels: readonly FaultLabel[], from: Date): Promise<AnomalyOutcome | null> {
  const t = tenantId.replaceAll("'", "''");
  const since = `TIMESTAMP '${from.toISOString().slice(0, 23).replace("T", " ")}'`;
  const rows = await hub.engine.control<{ series_id: string; ts: Date; is_anomaly: boolean }>(
    `SELECT series_id, ts, is_anomaly FROM ML.ANOMALIES WHERE tenant_id = '${t}' AND ts >= ${since}
     QUALIFY ROW_NUMBER() OVER (PARTITION BY series_id, ts ORDER BY scored_at DESC) = 1`,
  );
  if (rows.length === 0) return null;
  const flags = rows.filter((r) => r.is_anomaly).map((r) => ({ seriesId: r.series_id, ts: r.ts }));
  const faults = labels.filter((l) => l.tenantId === tenantId && l.end.getTime() > from.getTime());
  return scoreAnomalyFlags({ flags, seriesIds: [...new Set(rows.map((r) => r.series_id))] }, faults);
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
