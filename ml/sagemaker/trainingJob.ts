/**
 * The SageMaker training target (issue 5, section 5): the training data goes to the archive bucket
 * under the tenant's prefix, CreateTrainingJob runs the region's built-in image with the
 * algorithm's hyperparameters, DescribeTrainingJob is polled with exponential backoff and jitter,
 * and the job's final metrics come back for the same gate as local training.
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTrainingJob.html
 */
import { CreateTrainingJobCommand, DescribeTrainingJobCommand, type CreateTrainingJobCommandInput, type DescribeTrainingJobCommandOutput, type SageMakerClient } from "@aws-sdk/client-sagemaker";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { randomBytes } from "node:crypto";
import type { Metrics, ModelKind } from "../contract.ts";
import { archivePrefix, MODEL_ARTIFACT_PREFIX } from "../../infra/naming.ts";
import { builtInImage, type BuiltInAlgorithm } from "./images.ts";
import { ALGORITHM_RULES, channelRule, checkHyperParameters } from "./algorithms.ts";

export const ALGORITHM_FOR: Readonly<Record<ModelKind, BuiltInAlgorithm>> = {
  forecast: "forecasting-deepar",
  anomaly: "randomcutforest",
  segments: "kmeans",
};

/**
 * A channel's data, in the algorithm's format. Its distribution, ContentType and object name are
 * the algorithm's (`ALGORITHM_RULES` in ./algorithms.ts), not the caller's.
 */
export interface Channel {
  readonly body: string;
}

export interface TrainingJobSpec {
  readonly tenantId: string;
  readonly model: ModelKind;
  readonly channels: Readonly<Record<string, Channel>>;
  /** Strings, as the API wants them. */
  readonly hyperParameters: Readonly<Record<string, string>>;
}

export interface SageMakerTrainingConfig {
  readonly sagemaker: SageMakerClient;
  readonly s3: S3Client;
  readonly bucket: string;
  readonly region: string;
  /** The tenant stack's retraining role (output `retrainingRoleArn`). */
  readonly roleArn: string;
  readonly instanceType?: string;
  readonly kmsKeyId?: string;
  readonly now?: () => Date;
  /** Backoff: first wait, cap, overall limit (ms); sleep and random are injectable for tests. */
  readonly pollBaseMs?: number;
  readonly pollMaxMs?: number;
  readonly maxWaitMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** The random part of the job name (6 hex digits by default); injectable for tests. */
  readonly nameSuffix?: () => string;
}

/**
 * CreateTrainingJob's TrainingJobName: "Pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", length 1..63,
 * and "must be unique within an Amazon Web Services Region in an Amazon Web Services account".
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTrainingJob.html#sagemaker-CreateTrainingJob-request-TrainingJobName
 */
export const TRAINING_JOB_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/**
 * `hub-<tenant>-<model>-<yyyymmddhhmmss>-<suffix>`: the time for people, the random suffix so two
 * runs in the same second (two operators, a retry, `--all` on two machines) never collide. A long
 * tenant id shortens the `hub-<tenant>-<model>` part, never the time or the suffix.
 */
export function jobName(tenantId: string, model: ModelKind, at: Date, suffix: string = randomBytes(3).toString("hex")): string {
  if (!/^[a-z0-9]{1,12}$/.test(suffix)) throw new Error(`job name suffix ${JSON.stringify(suffix)} must be 1..12 lowercase letters or digits`);
  const tail = `-${at.toISOString().replace(/[-:T]/g, "").slice(0, 14)}-${suffix}`;
  const head = `hub-${tenantId}-${model}`.slice(0, 63 - tail.length).replace(/-+$/, "");
  const name = `${head}${tail}`;
  if (!TRAINING_JOB_NAME.test(name) || name.length > 63) throw new Error(`training job name ${JSON.stringify(name)} does not fit ${TRAINING_JOB_NAME.source} (at most 63 characters)`);
  return name;
}

function prefixOf(tenantId: string, model: ModelKind, job: string): string {
  return `${archivePrefix(tenantId)}${MODEL_ARTIFACT_PREFIX}${model}/${job}/`;
}

/** The S3 object's Content-Type for a channel's file (the channel's ContentType, or what the extension says). */
function objectContentType(contentType: string | undefined, fileName: string): string {
  if (contentType) return contentType.split(";")[0]!;
  return fileName.endsWith(".json") ? "application/jsonlines" : "application/octet-stream";
}

/**
 * Everything the service would refuse, and everything the algorithm documents, checked before any
 * data is uploaded or a job is paid for: channels the algorithm takes (and the ones it requires),
 * required hyperparameters, the region's image.
 */
export function checkTrainingSpec(c: Pick<SageMakerTrainingConfig, "region">, spec: TrainingJobSpec): void {
  const algorithm = ALGORITHM_FOR[spec.model];
  for (const name of Object.keys(spec.channels)) channelRule(algorithm, name);
  const missing = ALGORITHM_RULES[algorithm].requiredChannels.filter((n) => !Object.hasOwn(spec.channels, n));
  if (missing.length) throw new Error(`${algorithm} requires the channel(s) ${missing.join(", ")}`);
  checkHyperParameters(algorithm, spec.hyperParameters);
  builtInImage(algorithm, c.region);
}

/** Upload each channel to `s3://bucket/tenant=<t>/models/<model>/<job>/<channel>/<file>` (file named as the algorithm reads it); returns the channel prefixes. */
export async function exportTrainingData(c: SageMakerTrainingConfig, spec: TrainingJobSpec, job: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, ch] of Object.entries(spec.channels)) {
    const rule = channelRule(ALGORITHM_FOR[spec.model], name);
    const key = `${prefixOf(spec.tenantId, spec.model, job)}${name}/${rule.fileName}`;
    await c.s3.send(new PutObjectCommand({ Bucket: c.bucket, Key: key, Body: ch.body, ContentType: objectContentType(rule.contentType, rule.fileName), ...(c.kmsKeyId ? { ServerSideEncryption: "aws:kms", SSEKMSKeyId: c.kmsKeyId } : {}) }));
    out[name] = `s3://${c.bucket}/${prefixOf(spec.tenantId, spec.model, job)}${name}/`;
  }
  return out;
}

export function trainingJobRequest(c: SageMakerTrainingConfig, spec: TrainingJobSpec, job: string, channelUris: Readonly<Record<string, string>>): CreateTrainingJobCommandInput {
  return {
    TrainingJobName: job,
    AlgorithmSpecification: { TrainingImage: builtInImage(ALGORITHM_FOR[spec.model], c.region), TrainingInputMode: "File" },
    RoleArn: c.roleArn,
    HyperParameters: { ...spec.hyperParameters },
    InputDataConfig: Object.entries(channelUris).map(([name, uri]) => {
      const rule = channelRule(ALGORITHM_FOR[spec.model], name);
      return {
        ChannelName: name,
        ...(rule.contentType ? { ContentType: rule.contentType } : {}),
        DataSource: { S3DataSource: { S3DataType: "S3Prefix", S3Uri: uri, S3DataDistributionType: rule.distribution } },
      };
    }),
    OutputDataConfig: { S3OutputPath: `s3://${c.bucket}/${prefixOf(spec.tenantId, spec.model, job)}output/`, ...(c.kmsKeyId ? { KmsKeyId: c.kmsKeyId } : {}) },
    ResourceConfig: { InstanceType: (c.instanceType ?? "ml.m5.large") as NonNullable<CreateTrainingJobCommandInput["ResourceConfig"]>["InstanceType"], InstanceCount: 1, VolumeSizeInGB: 10 },
    StoppingCondition: { MaxRuntimeInSeconds: 3600 },
    Tags: [{ Key: "tenant", Value: spec.tenantId }, { Key: "model", Value: spec.model }],
  };
}

/**
 * A training job that ran and gave no model (failed, stopped, still running at the limit, no
 * artifacts): that model's outcome, not the whole run's, so the flow carries on with the others.
 */
export class TrainingJobError extends Error {
  override readonly name = "TrainingJobError";
}

/** Poll until the job ends: waits grow ×2 from `pollBaseMs` up to `pollMaxMs`, each with up to 50 % jitter. */
export async function waitForTrainingJob(c: SageMakerTrainingConfig, job: string): Promise<DescribeTrainingJobCommandOutput> {
  const sleep = c.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = c.random ?? Math.random;
  const base = c.pollBaseMs ?? 15_000;
  const cap = c.pollMaxMs ?? 300_000;
  const limit = c.maxWaitMs ?? 6 * 3_600_000;
  let waited = 0;
  for (let attempt = 0; ; attempt++) {
    const d = await c.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: job }));
    if (d.TrainingJobStatus === "Completed") return d;
    if (d.TrainingJobStatus === "Failed" || d.TrainingJobStatus === "Stopped") {
      throw new TrainingJobError(`training job ${job} ${d.TrainingJobStatus.toLowerCase()}: ${d.FailureReason ?? "no reason given"}`);
    }
    const delay = Math.round(Math.min(cap, base * 2 ** attempt) * (0.5 + random() / 2));
    if (waited + delay > limit) throw new TrainingJobError(`training job ${job} still ${d.TrainingJobStatus} (${d.SecondaryStatus ?? ""}) after ${Math.round(waited / 1000)} s; it keeps running in SageMaker`);
    await sleep(delay);
    waited += delay;
  }
}

/** FinalMetricDataList as metrics (names as the algorithm reports them, e.g. `test:RMSE`). */
export function finalMetrics(d: DescribeTrainingJobCommandOutput): Metrics {
  return Object.fromEntries((d.FinalMetricDataList ?? []).filter((m) => m.MetricName && m.Value !== undefined).map((m) => [m.MetricName!, m.Value!]));
}

export interface TrainingJobResult {
  readonly job: string;
  readonly metrics: Metrics;
  readonly modelDataUrl: string;
  readonly image: string;
  readonly channels: Readonly<Record<string, string>>;
}

/** Export, create, wait, read: one training job end to end. */
export async function runTrainingJob(c: SageMakerTrainingConfig, spec: TrainingJobSpec): Promise<TrainingJobResult> {
  checkTrainingSpec(c, spec);
  const job = jobName(spec.tenantId, spec.model, (c.now ?? (() => new Date()))(), c.nameSuffix?.());
  const channels = await exportTrainingData(c, spec, job);
  const request = trainingJobRequest(c, spec, job, channels);
  await c.sagemaker.send(new CreateTrainingJobCommand(request));
  const done = await waitForTrainingJob(c, job);
  const modelDataUrl = done.ModelArtifacts?.S3ModelArtifacts;
  if (!modelDataUrl) throw new TrainingJobError(`training job ${job} completed without model artifacts`);
  return { job, metrics: finalMetrics(done), modelDataUrl, image: request.AlgorithmSpecification!.TrainingImage!, channels };
}
