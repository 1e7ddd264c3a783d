/**
 * The SageMaker registry: one Model Package Group per tenant and model (named by
 * `infra/naming.ts`, the function the tenant stack creates the groups with), one model package per
 * version. The record's fields travel in the package itself, so the console and the API show them:
 * - `ModelApprovalStatus` is the approval status, `ApprovalDescription` the gate's reason;
 * - `CustomerMetadataProperties` hold the lineage, metrics and parameters (flattened: keys and
 *   values may only use letters, digits, spaces and `_.:/=+-@`; keys 1..128 characters, values
 *   1..256, 1..50 entries: CustomerMetadataKey / CustomerMetadataValue / CustomerMetadataMap in the
 *   API reference and the service model, botocore data/sagemaker/2017-07-24/service-2.json);
 * - `ModelMetrics.ModelQuality.Statistics` points at the whole record as JSON in the archive bucket,
 *   under the tenant's prefix;
 * - `InferenceSpecification` names the algorithm image and `model.tar.gz` of a SageMaker-trained
 *   model, with the content types that algorithm's inference takes (DeepAR: JSON, no CSV).
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModelPackage.html
 *
 * Rollback also changes what the tenant's endpoint serves (UpdateEndpoint with a new
 * EndpointConfig whose model is the rolled-back package), or says plainly that there is no
 * endpoint and a deploy is needed.
 */
import {
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateModelPackageCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  DescribeModelPackageCommand,
  UpdateEndpointCommand,
  UpdateModelPackageCommand,
  type DescribeModelPackageCommandOutput,
  type SageMakerClient,
} from "@aws-sdk/client-sagemaker";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { ApprovalStatus, Metrics, ModelKind, ModelRecord } from "../contract.ts";
import { archivePrefix, modelPackageGroupName, MODEL_ARTIFACT_PREFIX, servingEndpointName } from "../../infra/naming.ts";
import { DESCRIBE_CONCURRENCY, mapLimit, rollbackPlan, RegistryError, validateDraft, type ModelArtifact, type RecordDraft, type Registry } from "./registry.ts";
import { ALGORITHM_RULES } from "../sagemaker/algorithms.ts";
import { BUILT_IN_ALGORITHMS, type BuiltInAlgorithm } from "../sagemaker/images.ts";
import { modelPackageSummaries } from "./sagemakerRegistryReader.ts";

/** CustomerMetadataKey: 1..128 of letters, digits, spaces and `_.:/=+-@` (API_CreateModelPackage). */
const KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
/** CustomerMetadataValue: 1..256 of the same characters. */
const VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,256}$/u;
/** CustomerMetadataMap: at most 50 entries. */
const MAX_ENTRIES = 50;

/** The record's fields as CustomerMetadataProperties; throws naming the field that does not fit. */
export function encodeMetadata(r: Omit<ModelRecord, "version" | "approvalStatus" | "reason">, modelUri?: string): Record<string, string> {
  const out: Record<string, string> = {
    tenantId: r.tenantId,
    model: r.model,
    algorithm: r.algorithm,
    trainingFrom: r.trainingWindow.from,
    trainingTo: r.trainingWindow.to,
    rowCount: String(r.rowCount),
    dataHash: r.dataHash,
    codeVersion: r.codeVersion,
    createdAt: r.createdAt,
  };
  for (const [k, v] of Object.entries(r.metrics)) out[metricKey("metric", k)] = String(v);
  for (const [k, v] of Object.entries(r.baselineMetrics)) out[metricKey("baseline", k)] = String(v);
  // Parameters are free-form JSON; base64 uses only allowed characters. Split at 256.
  const params = Buffer.from(JSON.stringify(r.parameters)).toString("base64");
  for (let i = 0, n = 0; i < params.length; i += 256, n++) out[`parameters.${n}`] = params.slice(i, i + 256);
  if (modelUri) out["modelUri"] = modelUri;
  for (const [k, v] of Object.entries(out)) {
    if (!KEY.test(k)) throw new RegistryError(`metadata key ${JSON.stringify(k)} cannot be a SageMaker CustomerMetadataProperties key (letters, digits, spaces and _.:/=+-@, 1..128 characters)`);
    if (!VALUE.test(v)) throw new RegistryError(`${k} = ${JSON.stringify(v)} cannot be a SageMaker metadata value (letters, digits, spaces and _.:/=+-@, 1..256 characters)`);
  }
  if (Object.keys(out).length > MAX_ENTRIES) throw new RegistryError(`the record needs ${Object.keys(out).length} metadata entries; SageMaker allows ${MAX_ENTRIES} (fewer metrics or parameters)`);
  return out;
}

/** The longest name CreateTrainingJob takes: stands for the job name while it is not known yet. */
const LONGEST_JOB_NAME = "j".repeat(63);

/**
 * Before a training job is paid for: would the package this job registers fit CreateModelPackage's
 * metadata limits? Encodes the draft as it will be (the job's name in `parameters.trainingJob`, one
 * entry per metric the algorithm documents plus any the gate needs) and throws the RegistryError
 * that registering would throw, naming the field and value.
 */
export function checkRegistrationMetadata(
  draft: Omit<ModelRecord, "version" | "approvalStatus" | "reason" | "metrics" | "createdAt">,
  algorithm: BuiltInAlgorithm,
  extraMetrics: readonly string[] = [],
): void {
  const metrics = Object.fromEntries([...new Set([...ALGORITHM_RULES[algorithm].metrics, ...extraMetrics])].map((m) => [m, 0]));
  encodeMetadata({ ...draft, parameters: { ...draft.parameters, trainingJob: LONGEST_JOB_NAME }, metrics, createdAt: new Date(0).toISOString() });
}

/** The built-in algorithm an image URI names (its repository), or null. */
export function algorithmOfImageUri(image: string): BuiltInAlgorithm | null {
  const repo = /\/([a-z-]+):[^/]+$/.exec(image)?.[1];
  return BUILT_IN_ALGORITHMS.find((a) => a === repo) ?? null;
}

/** InferenceSpecification for a SageMaker-trained model: the content types its algorithm's inference takes. */
export function inferenceSpecification(artifact: { readonly image: string; readonly modelDataUrl: string }) {
  const algorithm = algorithmOfImageUri(artifact.image);
  if (!algorithm) throw new RegistryError(`image ${artifact.image} is not one of the built-in algorithms ${BUILT_IN_ALGORITHMS.join(", ")}; its content types are not known`);
  const rules = ALGORITHM_RULES[algorithm];
  return {
    Containers: [{ Image: artifact.image, ModelDataUrl: artifact.modelDataUrl }],
    SupportedContentTypes: [...rules.inferenceContentTypes],
    SupportedResponseMIMETypes: [...rules.responseMimeTypes],
  };
}

/** What a rollback did to the endpoint serving the model. */
export interface ServingChange {
  readonly endpoint: string;
  /** updated: the endpoint now serves the package; unchanged: it already did; not deployed: there is no endpoint. */
  readonly action: "updated" | "unchanged" | "not deployed";
  readonly message: string;
  readonly endpointConfig?: string;
}

/**
 * `metric.<name>`; a name with characters a key may not hold (DeepAR's per-quantile losses would
 * read `test:wQuantileLoss[0.5]`) is stored as `metric64.<base64 of the name>`: base64 uses only
 * letters, digits and `+/=`, which keys allow, so a job's metrics always fit.
 */
function metricKey(prefix: "metric" | "baseline", name: string): string {
  const plain = `${prefix}.${name}`;
  if (KEY.test(plain)) return plain;
  const encoded = `${prefix}64.${Buffer.from(name).toString("base64")}`;
  if (!KEY.test(encoded)) throw new RegistryError(`${prefix} name ${JSON.stringify(name)} is too long for a SageMaker CustomerMetadataProperties key (1..128 characters; ${encoded.length} as ${prefix}64.<base64>)`);
  return encoded;
}

function numbers(meta: Record<string, string>, prefix: "metric" | "baseline"): Metrics {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(meta)) {
    if (k.startsWith(`${prefix}.`)) out[k.slice(prefix.length + 1)] = Number(v);
    else if (k.startsWith(`${prefix}64.`)) out[Buffer.from(k.slice(prefix.length + 3), "base64").toString("utf8")] = Number(v);
  }
  return out;
}

/** A described package back to a `ModelRecord`. */
export function decodePackage(p: Pick<DescribeModelPackageCommandOutput, "ModelPackageVersion" | "ModelApprovalStatus" | "ApprovalDescription" | "CustomerMetadataProperties">): ModelRecord {
  const m = p.CustomerMetadataProperties ?? {};
  const chunks = Object.keys(m).filter((k) => k.startsWith("parameters.")).sort((a, b) => Number(a.split(".")[1]) - Number(b.split(".")[1]));
  const params = chunks.length ? (JSON.parse(Buffer.from(chunks.map((k) => m[k]).join(""), "base64").toString("utf8")) as Record<string, unknown>) : {};
  return {
    tenantId: m["tenantId"] ?? "",
    model: (m["model"] ?? "") as ModelKind,
    version: p.ModelPackageVersion ?? 0,
    algorithm: m["algorithm"] ?? "",
    parameters: params,
    trainingWindow: { from: m["trainingFrom"] ?? "", to: m["trainingTo"] ?? "" },
    rowCount: Number(m["rowCount"]),
    dataHash: m["dataHash"] ?? "",
    codeVersion: m["codeVersion"] ?? "",
    metrics: numbers(m, "metric"),
    baselineMetrics: numbers(m, "baseline"),
    approvalStatus: (p.ModelApprovalStatus ?? "PendingManualApproval") as ApprovalStatus,
    reason: p.ApprovalDescription ?? "",
    createdAt: m["createdAt"] ?? "",
  };
}

export interface SageMakerRegistryOptions {
  readonly sagemaker: SageMakerClient;
  readonly s3: S3Client;
  /** The archive bucket (platform stack output `archiveBucketName`). */
  readonly bucket: string;
  readonly now?: () => Date;
}

export class SageMakerRegistry implements Registry {
  readonly target = "sagemaker" as const;
  private readonly now: () => Date;

  constructor(private readonly o: SageMakerRegistryOptions) {
    this.now = o.now ?? (() => new Date());
  }

  /** Where a version's record JSON and (local trainers) model JSON go, before the version is known. */
  private key(tenantId: string, model: ModelKind, createdAt: string, dataHash: string, file: string): string {
    return `${archivePrefix(tenantId)}${MODEL_ARTIFACT_PREFIX}${model}/${createdAt.replace(/[-:.]/g, "")}-${dataHash.slice(0, 12)}/${file}`;
  }

  async register(draft: RecordDraft, artifact: ModelArtifact): Promise<ModelRecord> {
    validateDraft(draft);
    const createdAt = this.now().toISOString();
    // Everything CreateModelPackage would refuse, before anything is written.
    encodeMetadata({ ...draft, createdAt }, artifact.kind === "json" ? `s3://${this.o.bucket}/${this.key(draft.tenantId, draft.model, createdAt, draft.dataHash, "model.json")}` : undefined);
    if (artifact.kind === "sagemaker") inferenceSpecification(artifact);
    const group = modelPackageGroupName(draft.tenantId, draft.model);
    let modelUri: string | undefined;
    if (artifact.kind === "json") {
      const key = this.key(draft.tenantId, draft.model, createdAt, draft.dataHash, "model.json");
      await this.o.s3.send(new PutObjectCommand({ Bucket: this.o.bucket, Key: key, Body: JSON.stringify(artifact.body), ContentType: "application/json" }));
      modelUri = `s3://${this.o.bucket}/${key}`;
    }
    const metadata = encodeMetadata({ ...draft, createdAt }, modelUri);
    const recordKey = this.key(draft.tenantId, draft.model, createdAt, draft.dataHash, "record.json");
    await this.o.s3.send(
      new PutObjectCommand({ Bucket: this.o.bucket, Key: recordKey, Body: JSON.stringify({ ...draft, createdAt }), ContentType: "application/json" }),
    );
    let created;
    try {
      created = await this.o.sagemaker.send(
        new CreateModelPackageCommand({
          ModelPackageGroupName: group,
          ModelPackageDescription: `${draft.algorithm} for ${draft.tenantId}/${draft.model}, trained on ${draft.trainingWindow.from}..${draft.trainingWindow.to}`.slice(0, 1024),
          ModelApprovalStatus: draft.approvalStatus,
          CustomerMetadataProperties: metadata,
          ModelMetrics: { ModelQuality: { Statistics: { ContentType: "application/json", S3Uri: `s3://${this.o.bucket}/${recordKey}` } } },
          ...(artifact.kind === "sagemaker" ? { InferenceSpecification: inferenceSpecification(artifact) } : {}),
        }),
      );
    } catch (e) {
      // The tenant stack creates one group per name in hub:models; say so rather than echo the API.
      const msg = (e as Error).message;
      if (/does not exist|not found/i.test(msg)) throw new RegistryError(`model package group ${group} does not exist: add "${draft.model}" to hub:models of the tenant stack and run pulumi up (${msg})`);
      throw e;
    }
    if (!created.ModelPackageArn) throw new RegistryError(`CreateModelPackage in ${group} returned no ModelPackageArn`);
    // The reason goes in ApprovalDescription, which CreateModelPackage does not take.
    await this.o.sagemaker.send(new UpdateModelPackageCommand({ ModelPackageArn: created.ModelPackageArn, ApprovalDescription: draft.reason.slice(0, 1024) }));
    return decodePackage(await this.describe(created.ModelPackageArn));
  }

  private describe(arn: string): Promise<DescribeModelPackageCommandOutput> {
    return this.o.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: arn }));
  }

  private summaries(tenantId: string, model: ModelKind, status?: ApprovalStatus): Promise<{ arn: string; version: number }[]> {
    return modelPackageSummaries(this.o.sagemaker, modelPackageGroupName(tenantId, model), status);
  }

  async list(tenantId: string, model: ModelKind): Promise<ModelRecord[]> {
    return mapLimit(await this.summaries(tenantId, model), DESCRIBE_CONCURRENCY, async (s) => decodePackage(await this.describe(s.arn)));
  }

  async champion(tenantId: string, model: ModelKind): Promise<ModelRecord | null> {
    const latest = (await this.summaries(tenantId, model, "Approved")).at(-1);
    return latest ? decodePackage(await this.describe(latest.arn)) : null;
  }

  async artifact(tenantId: string, model: ModelKind, version: number): Promise<ModelArtifact> {
    const s = (await this.summaries(tenantId, model)).find((x) => x.version === version);
    if (!s) throw new RegistryError(`no model package version ${version} in ${modelPackageGroupName(tenantId, model)}`);
    const p = await this.describe(s.arn);
    const container = p.InferenceSpecification?.Containers?.[0];
    if (container?.ModelDataUrl && container.Image) return { kind: "sagemaker", modelDataUrl: container.ModelDataUrl, image: container.Image };
    const uri = p.CustomerMetadataProperties?.["modelUri"];
    const m = uri ? /^s3:\/\/([^/]+)\/(.+)$/.exec(uri) : null;
    if (!m) throw new RegistryError(`model package ${s.arn} has neither an inference container nor a modelUri`);
    const obj = await this.o.s3.send(new GetObjectCommand({ Bucket: m[1], Key: m[2] }));
    return { kind: "json", body: JSON.parse(await obj.Body!.transformToString()) };
  }

  async rollback(tenantId: string, model: ModelKind, opts: { to?: number; why: string }): Promise<ModelRecord & { readonly serving: ServingChange }> {
    const summaries = await this.summaries(tenantId, model);
    const records = await mapLimit(summaries, DESCRIBE_CONCURRENCY, async (s) => decodePackage(await this.describe(s.arn)));
    const { target, demote } = rollbackPlan(records, opts.to);
    const arn = (v: number) => summaries.find((s) => s.version === v)!.arn;
    for (const r of demote) {
      await this.o.sagemaker.send(
        new UpdateModelPackageCommand({
          ModelPackageArn: arn(r.version),
          ModelApprovalStatus: "Rejected",
          ApprovalDescription: `rolled back to version ${target.version}: ${opts.why} (was: ${r.reason})`.slice(0, 1024),
        }),
      );
    }
    if (target.approvalStatus !== "Approved" || demote.length > 0) {
      await this.o.sagemaker.send(
        new UpdateModelPackageCommand({
          ModelPackageArn: arn(target.version),
          ModelApprovalStatus: "Approved",
          ApprovalDescription: `made champion by rollback: ${opts.why} (was ${target.approvalStatus}: ${target.reason})`.slice(0, 1024),
        }),
      );
    }
    const record = decodePackage(await this.describe(arn(target.version)));
    return { ...record, serving: await this.serve(tenantId, model, target.version, arn(target.version)) };
  }

  /**
   * Make the tenant's endpoint serve a package version: a Model from the package (the execution
   * role of the model it serves now), an EndpointConfig copying the current variant with that model,
   * and UpdateEndpoint (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html:
   * the endpoint switches configs without downtime). No endpoint: says a deploy is needed.
   */
  async serve(tenantId: string, model: ModelKind, version: number, packageArn: string): Promise<ServingChange> {
    const endpoint = servingEndpointName(tenantId, model);
    let current;
    try {
      current = await this.o.sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpoint }));
    } catch (e) {
      if ((e as Error).name === "ValidationException" && /could not find endpoint/i.test((e as Error).message)) {
        return { endpoint, action: "not deployed", message: `no endpoint ${endpoint} serves ${tenantId}/${model}: a deploy is needed to serve v${version} (list "${model}" in hub:servedModels of the tenant stack and run pulumi up; it deploys the latest Approved package, now v${version})` };
      }
      throw e;
    }
    const config = await this.o.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: current.EndpointConfigName }));
    const variant = config.ProductionVariants?.[0];
    if (!variant?.ModelName) throw new RegistryError(`endpoint ${endpoint} (config ${current.EndpointConfigName}) has no model variant to replace; redeploy it with pulumi up`);
    const served = await this.o.sagemaker.send(new DescribeModelCommand({ ModelName: variant.ModelName }));
    if (served.PrimaryContainer?.ModelPackageName === packageArn) {
      return { endpoint, action: "unchanged", message: `endpoint ${endpoint} already serves v${version}`, endpointConfig: current.EndpointConfigName };
    }
    const stamp = this.now().toISOString().replace(/[-:TZ.]/g, "").slice(0, 14);
    const name = `${endpoint.slice(0, 40).replace(/-+$/, "")}-v${version}-${stamp}`;
    await this.o.sagemaker.send(new CreateModelCommand({ ModelName: name, ExecutionRoleArn: served.ExecutionRoleArn, PrimaryContainer: { ModelPackageName: packageArn }, Tags: [{ Key: "tenant", Value: tenantId }, { Key: "model-package-group", Value: modelPackageGroupName(tenantId, model) }] }));
    await this.o.sagemaker.send(new CreateEndpointConfigCommand({ EndpointConfigName: name, ProductionVariants: [{ ...variant, ModelName: name }], Tags: [{ Key: "tenant", Value: tenantId }] }));
    await this.o.sagemaker.send(new UpdateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: name }));
    return { endpoint, action: "updated", message: `endpoint ${endpoint} is switching to v${version} (EndpointConfig ${name}; was ${current.EndpointConfigName})`, endpointConfig: name };
  }
}
