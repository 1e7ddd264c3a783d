/**
 * Step 5 of the main job: retrain each tenant's models on what the run landed, register them
 * through the champion/challenger gate, score anomalies and forecasts into the ML tables (which
 * the alert task reads), and score the anomalies against the injected faults.
 */
import type { FaultLabel } from "../../../edge/faultInjection.ts";
import type { MainJobOptions, OpenedHub } from "./mainJob.ts";
import type { AnomalyOutcome, ModelOutcome } from "./runSummary.ts";

export interface ModelStageResult {
  readonly anomalies: ReadonlyMap<string, AnomalyOutcome>;
  readonly models: ReadonlyMap<string, readonly ModelOutcome[]>;
}

export async function retrainAndScore(_hub: OpenedHub, _o: MainJobOptions, _labels: readonly FaultLabel[]): Promise<ModelStageResult> {
  // Wired to ml/ once the retraining flow lands (issue 5); until then the summary shows "–".
  return { anomalies: new Map(), models: new Map() };
}
