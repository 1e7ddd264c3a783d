/**
 * The retraining flow (issue 5, section 4): per tenant and model, read features from the
 * warehouse, train a challenger (locally, or as a SageMaker training job), judge it against the
 * naive baseline and the champion with the gate, register it with the reason either way, and write
 * the champion's scores to the ML tables the alert task reads.
 *
 * Bad input (section 7): a challenger that cannot be trained (SeriesError) or whose metrics are not
 * finite is never registered; the outcome says why.
 */
import { SeriesError, type Metrics, type ModelKind, type ModelRecord } from "./contract.ts";
import { decide, unusableMetrics, type GateRule } from "./gate.ts";
import { windowEndingAt, type Window } from "./features.ts";
import { MODEL_SPECS, type ModelSpec, type TrainingData } from "./modelSpecs.ts";
import type { Registry } from "./registry/registry.ts";
import { deleteSeries, insertRows } from "./mlTables.ts";
import { ALGORITHM_FOR, runTrainingJob, TrainingJobError, type SageMakerTrainingConfig } from "./sagemaker/trainingJob.ts";
import { checkRegistrationMetadata } from "./registry/sagemakerRegistry.ts";
import { RegistryError } from "./registry/registry.ts";
import { sageMakerInput } from "./sagemaker/channels.ts";
import type { Warehouse } from "../pipelines/warehouse/warehouse.ts";

export interface RetrainOptions {
  readonly warehouse: Warehouse;
  readonly registry: Registry;
  readonly tenants: readonly string[];
  readonly models: readonly ModelKind[];
  /** The flow's "now": the training window ends at its hour. */
  readonly now: Date;
  /** Days of history trained on. Default 28. */
  readonly windowDays?: number;
  /** Relative margin over the champion, overriding each model's default. */
  readonly margin?: number;
  /** Train and judge, but register and write nothing. */
  readonly dryRun?: boolean;
  readonly codeVersion: string;
  /** Train on SageMaker instead of locally (the registry should then be the SageMaker one). */
  readonly sagemaker?: SageMakerTrainingConfig;
  readonly onProgress?: (p: { done: number; total: number; label: string }) => void;
}

export type Decision = "Approved" | "Rejected" | "PendingManualApproval" | "not registered";

/**
 * Why a requested model could not be trained: no usable model came out of this run, whatever the
 * gate would have said. A gate rejection is not one (a model was trained and judged), nor is a
 * SageMaker dry run. `scripts/retrain.ts` exits 3 when any outcome has one.
 */
export type TrainingFailure = "bad training data" | "bad model" | "training job failed";

export interface RetrainOutcome {
  readonly tenantId: string;
  readonly model: ModelKind;
  readonly decision: Decision;
  readonly reason: string;
  readonly metric: string | null;
  readonly challenger: Metrics | null;
  readonly baseline: Metrics | null;
  readonly champion: { readonly version: number; readonly metrics: Metrics; readonly rescored: boolean } | null;
  /** The version registered (null when nothing was, or on a dry run). */
  readonly version: number | null;
  readonly dryRun: boolean;
  readonly rowsWritten: number;
  readonly excluded: readonly string[];
  readonly trainingJob?: string;
  /** Set when no usable model came out of this run (the reason says why); null otherwise. */
  readonly failure: TrainingFailure | null;
}

function withMargin(rule: GateRule, margin: number | undefined): GateRule {
  return margin === undefined ? rule : { ...rule, margin };
}

export async function retrain(o: RetrainOptions): Promise<RetrainOutcome[]> {
  const window = windowEndingAt(o.now, o.windowDays ?? 28);
  const out: RetrainOutcome[] = [];
  const total = o.tenants.length * o.models.length;
  let done = 0;
  for (const tenantId of o.tenants) {
    for (const model of o.models) {
      o.onProgress?.({ done, total, label: `${tenantId}/${model}` });
      const spec = MODEL_SPECS[model];
      out.push(o.sagemaker ? await onSageMaker(o, spec, tenantId, window, o.sagemaker) : await locally(o, spec, tenantId, window));
      done++;
      o.onProgress?.({ done, total, label: `${tenantId}/${model}` });
    }
  }
  return out;
}

function notRegistered(tenantId: string, model: ModelKind, reason: string, dryRun: boolean, failure: TrainingFailure | null, extra: Partial<RetrainOutcome> = {}): RetrainOutcome {
  return { tenantId, model, decision: "not registered", reason, metric: null, challenger: null, baseline: null, champion: null, version: null, dryRun, rowsWritten: 0, excluded: [], failure, ...extra };
}

async function locally(o: RetrainOptions, spec: ModelSpec, tenantId: string, window: Window): Promise<RetrainOutcome> {
  const rule = withMargin(spec.rule, o.margin);
  const dryRun = o.dryRun ?? false;
  const data = await spec.load(o.warehouse, tenantId, window);
  let challenger;
  try {
    challenger = spec.train(data);
  } catch (e) {
    if (e instanceof SeriesError || e instanceof Error) return notRegistered(tenantId, spec.kind, `bad training data: ${e.message}`, dryRun, "bad training data");
    throw e;
  }
  const bad = unusableMetrics(challenger.metrics, rule);
  if (bad) return notRegistered(tenantId, spec.kind, `bad model: ${bad}`, dryRun, "bad model", { challenger: challenger.metrics, baseline: challenger.baselineMetrics, metric: rule.metric, excluded: challenger.excluded });

  const championRecord = await o.registry.champion(tenantId, spec.kind);
  const champion = championRecord ? await championFigures(o.registry, spec, championRecord, data) : null;
  const decision = decide({ challenger: challenger.metrics, baseline: challenger.baselineMetrics, champion, rule });
  const base = {
    tenantId, model: spec.kind, decision: decision.status, reason: decision.reason, metric: rule.metric, challenger: challenger.metrics,
    baseline: challenger.baselineMetrics, champion: champion ? { version: champion.record.version, metrics: champion.metrics, rescored: champion.rescored } : null,
    dryRun, excluded: challenger.excluded, failure: null,
  };
  if (dryRun) return { ...base, version: null, rowsWritten: 0 };
  const record = await o.registry.register(
    {
      tenantId, model: spec.kind, algorithm: challenger.algorithm, parameters: challenger.parameters, trainingWindow: data.window,
      rowCount: data.rowCount, dataHash: data.dataHash, codeVersion: o.codeVersion, metrics: challenger.metrics,
      baselineMetrics: challenger.baselineMetrics, approvalStatus: decision.status, reason: decision.reason,
    },
    { kind: "json", body: challenger.artifact },
  );
  // The champion after the decision scores: the new model if it won, else the one in place.
  const scorer = record.approvalStatus === "Approved" ? { record, artifact: challenger.artifact } : championRecord ? { record: championRecord, artifact: await jsonArtifact(o.registry, championRecord) } : null;
  const rowsWritten = scorer?.artifact ? await writeScores(o, spec, tenantId, data, scorer.record, scorer.artifact) : 0;
  return { ...base, version: record.version, rowsWritten };
}

async function jsonArtifact(registry: Registry, r: ModelRecord): Promise<unknown> {
  const a = await registry.artifact(r.tenantId, r.model, r.version);
  return a.kind === "json" ? a.body : null;
}

/**
 * The champion re-scored on this run's held-back data when its model loads here and has not seen
 * that data; its recorded metrics (measured on its own held-back data) otherwise.
 */
async function championFigures(registry: Registry, spec: ModelSpec, record: ModelRecord, data: TrainingData) {
  const artifact = await jsonArtifact(registry, record);
  const rescored = artifact ? spec.rescore(artifact, data, new Date(record.trainingWindow.to)) : null;
  return rescored ? { record, metrics: rescored, rescored: true } : { record, metrics: record.metrics, rescored: false };
}

async function writeScores(o: RetrainOptions, spec: ModelSpec, tenantId: string, data: TrainingData, record: ModelRecord, artifact: unknown): Promise<number> {
  let rows: Record<string, unknown>[] = spec.score(artifact, data).map((r) => ({ ...r, tenant_id: tenantId, model_version: record.version, algorithm: record.algorithm, scored_at: o.now }));
  const wh = o.warehouse;
  if (spec.table === "ML.ANOMALIES") {
    // Append-only: only hours after the last one already scored for the series.
    const marks = await wh.query<{ series_id: string; ts: Date }>(`SELECT series_id, MAX(ts) AS ts FROM ML.ANOMALIES WHERE tenant_id = ? GROUP BY series_id`, {
      binds: [tenantId], tag: { tenant: tenantId, job: "ml:write:ML.ANOMALIES" },
    });
    const mark = new Map(marks.map((m) => [m.series_id, new Date(m.ts).getTime()]));
    rows = rows.filter((r) => (r["ts"] as Date).getTime() > (mark.get(r["series_id"] as string) ?? -Infinity));
    return insertRows(wh, "ML.ANOMALIES", ["tenant_id", "series_id", "ts", "y", "forecast", "lower_bound", "upper_bound", "is_anomaly", "percentile", "distance", "model_version", "algorithm", "scored_at"], rows, tenantId);
  }
  const ids = [...new Set(rows.map((r) => r["series_id"] as string))];
  await deleteSeries(wh, spec.table, tenantId, ids);
  if (spec.table === "ML.FORECASTS") {
    return insertRows(wh, "ML.FORECASTS", ["tenant_id", "series_id", "ts", "forecast", "lower_bound", "upper_bound", "model_version", "algorithm", "scored_at"], rows, tenantId);
  }
  return insertRows(wh, "ML.SEGMENTS", ["tenant_id", "series_id", "segment", "features", "model_version", "algorithm", "scored_at"], rows, tenantId, ["features"]);
}

async function onSageMaker(o: RetrainOptions, spec: ModelSpec, tenantId: string, window: Window, c: SageMakerTrainingConfig): Promise<RetrainOutcome> {
  const dryRun = o.dryRun ?? false;
  const data = await spec.load(o.warehouse, tenantId, window, "sagemaker");
  let input;
  try {
    input = sageMakerInput(spec.kind, data);
  } catch (e) {
    return notRegistered(tenantId, spec.kind, `bad training data: ${(e as Error).message}`, dryRun, "bad training data");
  }
  // What CreateModelPackage would refuse is refused before the training job is paid for.
  try {
    checkRegistrationMetadata(
      { tenantId, model: spec.kind, algorithm: `sagemaker:${ALGORITHM_FOR[spec.kind]}`, parameters: { ...input.hyperParameters }, trainingWindow: data.window, rowCount: data.rowCount, dataHash: data.dataHash, codeVersion: o.codeVersion, baselineMetrics: input.baselineMetrics },
      ALGORITHM_FOR[spec.kind],
      input.rule ? [input.rule.metric] : [],
    );
  } catch (e) {
    if (e instanceof RegistryError) return notRegistered(tenantId, spec.kind, `bad model: no training job started, its model package would be refused: ${e.message}`, dryRun, "bad model");
    throw e;
  }
  if (dryRun) {
    return { ...notRegistered(tenantId, spec.kind, `dry run: would start a ${Object.keys(input.channels).join("+")} training job`, true, null), decision: "not registered" };
  }
  let job;
  try {
    job = await runTrainingJob(c, { tenantId, model: spec.kind, channels: input.channels, hyperParameters: input.hyperParameters });
  } catch (e) {
    // A job that failed in SageMaker is this model's outcome; an SDK or credentials error is not
    // (it would fail every model alike) and still ends the run.
    if (e instanceof TrainingJobError) return notRegistered(tenantId, spec.kind, e.message, dryRun, "training job failed");
    throw e;
  }
  const championRecord = await o.registry.champion(tenantId, spec.kind);
  let status: "Approved" | "Rejected" | "PendingManualApproval";
  let reason: string;
  const rule = input.rule ? withMargin(input.rule, o.margin) : null;
  if (!rule) {
    status = "PendingManualApproval";
    reason = `training job ${job.job} reports no test metric (no labelled data): a person approves it`;
  } else {
    const bad = unusableMetrics(job.metrics, rule);
    if (bad) return notRegistered(tenantId, spec.kind, `bad model: training job ${job.job}: ${bad}`, dryRun, "bad model", { challenger: job.metrics, metric: rule.metric, trainingJob: job.job });
    const d = decide({ challenger: job.metrics, baseline: input.baselineMetrics, champion: championRecord ? { record: championRecord, metrics: championRecord.metrics, rescored: false } : null, rule });
    status = d.status;
    reason = d.reason;
  }
  const record = await o.registry.register(
    {
      tenantId, model: spec.kind, algorithm: `sagemaker:${job.image.split("/")[1]!.split(":")[0]}`, parameters: { ...input.hyperParameters, trainingJob: job.job },
      trainingWindow: data.window, rowCount: data.rowCount, dataHash: data.dataHash, codeVersion: o.codeVersion,
      metrics: job.metrics, baselineMetrics: input.baselineMetrics, approvalStatus: status, reason,
    },
    { kind: "sagemaker", modelDataUrl: job.modelDataUrl, image: job.image },
  );
  return {
    tenantId, model: spec.kind, decision: status, reason, metric: rule?.metric ?? null, challenger: job.metrics, baseline: input.baselineMetrics,
    champion: championRecord ? { version: championRecord.version, metrics: championRecord.metrics, rescored: false } : null,
    version: record.version, dryRun, rowsWritten: 0, excluded: [], trainingJob: job.job, failure: null,
  };
}
