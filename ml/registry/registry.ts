/**
 * The model registry behind one interface, with two targets holding the same record fields
 * (`ModelRecord`, ARCHITECTURE.md "ML contract"): the local folder `.hub/models/<tenant>/<model>/<version>/`
 * and a SageMaker Model Package Group per tenant and model.
 *
 * The champion is the latest Approved version. A rollback makes an older version champion by
 * marking the versions after it Rejected, with the reason, so "latest Approved" stays the one rule
 * on both targets (SageMaker deploys the latest Approved package the same way).
 */
import type { ApprovalStatus, Metrics, ModelKind, ModelRecord } from "../contract.ts";
import { TENANT_ID_PATTERN } from "../../pipelines/definitions/governance.ts";

/** What the flow registers; the registry assigns `version` and `createdAt`. */
export type RecordDraft = Omit<ModelRecord, "version" | "createdAt">;

/**
 * The fitted model: a JSON document (local trainers), or an artifact a SageMaker training job
 * wrote, with the algorithm's inference image, so a package can be deployed as is.
 */
export type ModelArtifact =
  | { readonly kind: "json"; readonly body: unknown }
  | { readonly kind: "sagemaker"; readonly modelDataUrl: string; readonly image: string };

export interface Registry {
  readonly target: "local" | "sagemaker";
  /** Store a new version; refuses a draft with a missing field or a non-finite metric. */
  register(draft: RecordDraft, artifact: ModelArtifact): Promise<ModelRecord>;
  /** Every version, oldest first. */
  list(tenantId: string, model: ModelKind): Promise<ModelRecord[]>;
  /** The latest Approved version, or null. */
  champion(tenantId: string, model: ModelKind): Promise<ModelRecord | null>;
  /** The stored artifact of a version. */
  artifact(tenantId: string, model: ModelKind, version: number): Promise<ModelArtifact>;
  /**
   * Make `to` (default: the Approved version before the champion) the champion: it becomes
   * Approved and every later Approved version Rejected, each with `why` in its reason.
   */
  rollback(tenantId: string, model: ModelKind, opts: { to?: number; why: string }): Promise<ModelRecord>;
}

export class RegistryError extends Error {
  override readonly name = "RegistryError";
}

export const MODEL_KINDS: readonly ModelKind[] = ["forecast", "anomaly", "segments"];
export const APPROVAL_STATUSES: readonly ApprovalStatus[] = ["Approved", "Rejected", "PendingManualApproval"];

function checkMetrics(field: string, m: Metrics): void {
  if (typeof m !== "object" || m === null) throw new RegistryError(`${field} must be an object of numbers, got ${JSON.stringify(m)}`);
  for (const [k, v] of Object.entries(m)) {
    if (typeof v !== "number" || !Number.isFinite(v)) throw new RegistryError(`${field}.${k} = ${String(v)} is not a finite number; a model with such a metric is not registered`);
  }
}

/**
 * The checks both targets apply before storing anything: a record with a bad field is refused
 * whole (a model trained on bad data never reaches the registry).
 */
export function validateDraft(d: RecordDraft): void {
  if (!TENANT_ID_PATTERN.test(d.tenantId)) throw new RegistryError(`tenantId ${JSON.stringify(d.tenantId)} is not a tenant id`);
  if (!MODEL_KINDS.includes(d.model)) throw new RegistryError(`model ${JSON.stringify(d.model)} is not one of ${MODEL_KINDS.join(", ")}`);
  if (!d.algorithm) throw new RegistryError("algorithm is empty");
  if (!APPROVAL_STATUSES.includes(d.approvalStatus)) throw new RegistryError(`approvalStatus ${JSON.stringify(d.approvalStatus)} is not one of ${APPROVAL_STATUSES.join(", ")}`);
  if (!d.reason) throw new RegistryError("reason is empty: the gate's decision is always recorded");
  if (!Number.isInteger(d.rowCount) || d.rowCount <= 0) throw new RegistryError(`rowCount ${d.rowCount} must be a positive integer`);
  if (!/^[0-9a-f]{64}$/.test(d.dataHash)) throw new RegistryError(`dataHash ${JSON.stringify(d.dataHash)} is not a sha256 hex digest`);
  if (!d.codeVersion) throw new RegistryError("codeVersion is empty");
  for (const k of ["from", "to"] as const) {
    const v = d.trainingWindow?.[k];
    if (typeof v !== "string" || Number.isNaN(Date.parse(v))) throw new RegistryError(`trainingWindow.${k} ${JSON.stringify(v)} is not an ISO time`);
  }
  if (Date.parse(d.trainingWindow.from) > Date.parse(d.trainingWindow.to)) {
    throw new RegistryError(`trainingWindow.from ${d.trainingWindow.from} is after trainingWindow.to ${d.trainingWindow.to}`);
  }
  checkMetrics("metrics", d.metrics);
  checkMetrics("baselineMetrics", d.baselineMetrics);
  if (Object.keys(d.metrics).length === 0 && d.approvalStatus !== "PendingManualApproval") {
    throw new RegistryError("metrics is empty: only a model waiting for manual approval may have none");
  }
}

/** The version `rollback` goes to, and the Approved versions after it that get Rejected. */
export function rollbackPlan(records: readonly ModelRecord[], to: number | undefined): { target: ModelRecord; demote: ModelRecord[] } {
  const approved = records.filter((r) => r.approvalStatus === "Approved").sort((a, b) => a.version - b.version);
  const champion = approved.at(-1);
  let target: ModelRecord | undefined;
  if (to === undefined) {
    if (!champion) throw new RegistryError("there is no champion to roll back from");
    target = approved.at(-2);
    if (!target) throw new RegistryError(`version ${champion.version} is the only Approved version; name one with --to`);
  } else {
    target = records.find((r) => r.version === to);
    if (!target) throw new RegistryError(`version ${to} does not exist; versions: ${records.map((r) => r.version).join(", ") || "none"}`);
  }
  const demote = approved.filter((r) => r.version > target.version);
  return { target, demote };
}

/** How many Describe calls a registry makes at once (SageMaker throttles bursts per account). */
export const DESCRIBE_CONCURRENCY = 4;

/** `fn` over `items` with at most `limit` calls in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
