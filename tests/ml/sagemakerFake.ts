/**
 * SageMaker (training jobs, a model registry, serving) and an S3 bucket held in test memory, behind
 * aws-sdk-client-mock around the real SDK clients. Each mocked command changes or reads this state
 * the way the service documents it, and refuses what the service or the algorithm documents as
 * refused, with the service's error shape: a `ValidationException` (client fault, HTTP 400) whose
 * message has the API's form, e.g. "1 validation error detected: Value 'x' at 'trainingJobName'
 * failed to satisfy constraint: Member must satisfy regular expression pattern: ..." (as quoted in
 * https://github.com/aws/sagemaker-python-sdk/issues/384 and https://github.com/zenml-io/zenml/issues/1502).
 *
 * The rules are written here from the documentation, independently of ml/sagemaker/algorithms.ts
 * and ml/sagemaker/images.ts, so a mistake in the code is caught, not mirrored (issue 25 §3):
 * - API constraints (lengths, patterns, map sizes): the API reference pages, whose constraints are
 *   those of the service model (botocore data/sagemaker/2017-07-24/service-2.json, 1.43.11):
 *   https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTrainingJob.html
 *   https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModelPackage.html
 * - Channels, content types, hyperparameters per algorithm: the algorithm pages (cited per rule in
 *   ALGORITHMS below).
 * - Images per region: the per-region "Docker Registry Paths" pages for the regions the tests use
 *   (a hand-kept sample, not the generated table). Those pages are retired now
 *   (https://docs.aws.amazon.com/sagemaker/latest/dg-ecr-paths/sagemaker-algo-docker-registry-paths.html);
 *   the sample was read from their last published copies, doc_source/ecr-{eu-west-1,us-east-1,ap-northeast-3}.md
 *   in https://github.com/awsdocs/amazon-sagemaker-developer-guide at a869fa5c9bd1074a85bd23748d0463e322ad8939.
 */
import { mockClient } from "aws-sdk-client-mock";
import {
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateModelPackageCommand,
  CreateTrainingJobCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  DescribeModelPackageCommand,
  DescribeTrainingJobCommand,
  ListModelPackagesCommand,
  ResourceInUse,
  SageMakerClient,
  SageMakerServiceException,
  UpdateEndpointCommand,
  UpdateModelPackageCommand,
  type CreateModelPackageCommandInput,
  type CreateTrainingJobCommandInput,
  type ProductionVariant,
} from "@aws-sdk/client-sagemaker";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";

export const FAKE_REGION = "eu-west-1";
export const FAKE_ACCOUNT = "123456789012";

/** The service's client error: name ValidationException, 400, the message as the API words it. */
export function validationException(message: string): SageMakerServiceException {
  return new SageMakerServiceException({ name: "ValidationException", $fault: "client", $metadata: { httpStatusCode: 400 }, message });
}

/** "N validation error(s) detected: a; b", the form of the API's constraint errors. */
function constraintErrors(errors: string[]): SageMakerServiceException | null {
  if (errors.length === 0) return null;
  return validationException(`${errors.length} validation error${errors.length > 1 ? "s" : ""} detected: ${errors.join("; ")}`);
}

const value = (field: string, v: unknown, constraint: string) => `Value '${typeof v === "string" ? v : JSON.stringify(v)}' at '${field}' failed to satisfy constraint: ${constraint}`;

/** Name constraints from the API reference (TrainingJobName, EndpointConfigName, EndpointName: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}, 63 at most). */
function checkName(errors: string[], field: string, name: string | undefined, pattern = "^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"): void {
  if (name === undefined) return void errors.push(value(field, null, "Member must not be null"));
  if (!new RegExp(`${pattern}$`).test(name)) errors.push(value(field, name, `Member must satisfy regular expression pattern: ${pattern}`));
  if (name.length > 63) errors.push(value(field, name, "Member must have length less than or equal to 63"));
}

/** Registry accounts per region: the "K-Means", "Random Cut Forest" and "DeepAR Forecasting" rows of each region's page (see the header). */
const IMAGE_ACCOUNTS: Record<string, Record<string, string>> = {
  "eu-west-1": { randomcutforest: "438346466558", kmeans: "438346466558", "forecasting-deepar": "224300973850" },
  "us-east-1": { randomcutforest: "382416733822", kmeans: "382416733822", "forecasting-deepar": "522234722520" },
  "ap-northeast-3": { randomcutforest: "867004704886", kmeans: "867004704886", "forecasting-deepar": "867004704886" },
};

interface ChannelDoc {
  readonly distribution: readonly string[];
  readonly contentTypes: readonly (string | undefined)[];
}
interface AlgorithmDoc {
  readonly channels: Readonly<Record<string, ChannelDoc>>;
  readonly required: readonly string[];
  /** "Valid values" of some hyperparameters, as a pattern or an integer range. */
  readonly values: Readonly<Record<string, RegExp | readonly [number, number]>>;
  /** Object extensions a channel without ContentType must use (DeepAR reads the format from them). */
  readonly extensions?: readonly string[];
  readonly inference: readonly string[];
}

const POSITIVE = [1, Number.MAX_SAFE_INTEGER] as const;

const ALGORITHMS: Record<string, AlgorithmDoc> = {
  // https://docs.aws.amazon.com/sagemaker/latest/dg/randomcutforest.html#rcf-input_output: "The train
  // channel only supports S3DataDistributionType=ShardedByS3Key and the test channel only supports
  // S3DataDistributionType=FullyReplicated"; CSV (unsupervised: text/csv;label_size=0, cdf-training.html;
  // labelled test: text/csv;label_size=1) or recordIO-protobuf.
  // Required: feature_dim (https://docs.aws.amazon.com/sagemaker/latest/dg/rcf_hyperparameters.html).
  randomcutforest: {
    channels: {
      train: { distribution: ["ShardedByS3Key"], contentTypes: ["text/csv;label_size=0", "application/x-recordio-protobuf"] },
      test: { distribution: ["FullyReplicated"], contentTypes: ["text/csv;label_size=1", "application/x-recordio-protobuf"] },
    },
    required: ["feature_dim"],
    values: { feature_dim: [1, 10000], num_samples_per_tree: [1, 2048], num_trees: [50, 1000] },
    inference: ["text/csv", "application/json", "application/x-recordio-protobuf"],
  },
  // https://docs.aws.amazon.com/sagemaker/latest/dg/k-means.html#km-inputoutput: train "recommended
  // ShardedByS3Key", test "recommended FullyReplicated" (held here as required); CSV without a label
  // column is text/csv;label_size=0 (cdf-training.html). Required: feature_dim, k (k-means-api-config.html).
  kmeans: {
    channels: {
      train: { distribution: ["ShardedByS3Key"], contentTypes: ["text/csv;label_size=0", "application/x-recordio-protobuf"] },
      test: { distribution: ["FullyReplicated"], contentTypes: ["text/csv;label_size=0", "application/x-recordio-protobuf"] },
    },
    required: ["feature_dim", "k"],
    values: { feature_dim: POSITIVE, k: POSITIVE, mini_batch_size: POSITIVE, init_method: /^(random|kmeans\+\+)$/ },
    inference: ["text/csv", "application/json", "application/x-recordio-protobuf"],
  },
  // https://docs.aws.amazon.com/sagemaker/latest/dg/deepar.html#deepar-inputoutput: train and test,
  // JSON Lines (gzip, Parquet); "determines the input format from the file extension (.json, .json.gz,
  // or .parquet)". No CSV, for training or inference (deepar-in-formats.html).
  // Required: context_length, epochs, prediction_length, time_freq (deepar_hyperparameters.html).
  "forecasting-deepar": {
    channels: {
      train: { distribution: ["FullyReplicated", "ShardedByS3Key"], contentTypes: [undefined] },
      test: { distribution: ["FullyReplicated", "ShardedByS3Key"], contentTypes: [undefined] },
    },
    required: ["context_length", "epochs", "prediction_length", "time_freq"],
    // time_freq: "An integer followed by M, W, D, H, or min"; the SDK's DeepAR examples send "H".
    values: { time_freq: /^\d*(M|W|D|H|min)$/, prediction_length: POSITIVE, context_length: POSITIVE, epochs: POSITIVE, likelihood: /^(gaussian|beta|negative-binomial|student-T|deterministic-L1)$/ },
    extensions: [".json", ".json.gz", ".parquet"],
    inference: ["application/json", "application/jsonlines"],
  },
};

function algorithmOf(image: string | undefined, region: string): string | null {
  const m = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([a-z-]+):1$/.exec(image ?? "");
  if (!m || m[2] !== region) return null;
  return IMAGE_ACCOUNTS[region]?.[m[3]!] === m[1] ? m[3]! : null;
}

interface FakePackage {
  arn: string;
  group: string;
  version: number;
  status: string;
  approvalDescription?: string;
  metadata: Record<string, string>;
  inference?: CreateModelPackageCommandInput["InferenceSpecification"];
  created: Date;
}

interface FakeJob {
  input: CreateTrainingJobCommandInput;
  status: string;
}

export interface FakeOptions {
  /** Model package groups that exist (the tenant stack creates them); default: acme's and globex's three. */
  readonly groups?: readonly string[];
  /** Endpoints that exist (deployed by the tenant stack), each serving a package ARN. */
  readonly endpoints?: Readonly<Record<string, string>>;
}

const METADATA_CHARS = "[\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@]";

export function fakeSageMaker(o: FakeOptions = {}) {
  const sagemaker = new SageMakerClient({ region: FAKE_REGION, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  const s3 = new S3Client({ region: FAKE_REGION, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  const sm = mockClient(sagemaker);
  const s3m = mockClient(s3);
  const packages: FakePackage[] = [];
  const groups = new Set(o.groups ?? ["acme", "globex"].flatMap((t) => ["forecast", "anomaly", "segments"].map((m) => `hub-${t}-${m}`)));
  const objects = new Map<string, string>();
  const jobs = new Map<string, FakeJob>();
  const models = new Map<string, { ExecutionRoleArn?: string; PrimaryContainer?: { ModelPackageName?: string } }>();
  const endpointConfigs = new Map<string, ProductionVariant[]>();
  const endpoints = new Map<string, string>();
  let tick = 0;

  // Endpoints the stack deployed: a model from the package, a serverless config, the endpoint.
  for (const [name, packageArn] of Object.entries(o.endpoints ?? {})) {
    models.set(`${name}-model-0`, { ExecutionRoleArn: `arn:aws:iam::${FAKE_ACCOUNT}:role/${name}-serving`, PrimaryContainer: { ModelPackageName: packageArn } });
    endpointConfigs.set(`${name}-config-0`, [{ VariantName: "AllTraffic", ModelName: `${name}-model-0`, ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 } }]);
    endpoints.set(name, `${name}-config-0`);
  }

  // --- CreateTrainingJob -----------------------------------------------------------------------
  sm.on(CreateTrainingJobCommand).callsFake((i: CreateTrainingJobCommandInput) => {
    const errors: string[] = [];
    checkName(errors, "trainingJobName", i.TrainingJobName);
    // HyperParameters: map of at most 100 entries, keys ≤ 256, values ≤ 2500 characters (API_CreateTrainingJob).
    const hp = i.HyperParameters ?? {};
    if (Object.keys(hp).length > 100) errors.push(value("hyperParameters", hp, "Member must have length less than or equal to 100"));
    for (const [k, v] of Object.entries(hp)) {
      if (typeof v !== "string") errors.push(value(`hyperParameters.${k}`, v, "Member must be a string"));
      else if (v.length > 2500) errors.push(value(`hyperParameters.${k}`, v, "Member must have length less than or equal to 2500"));
    }
    for (const c of i.InputDataConfig ?? []) {
      if (!/^[A-Za-z0-9.\-_]{1,64}$/.test(c.ChannelName ?? "")) errors.push(value("inputDataConfig.member.channelName", c.ChannelName, "Member must satisfy regular expression pattern: [A-Za-z0-9\\.\\-_]+"));
      const d = c.DataSource?.S3DataSource?.S3DataDistributionType;
      if (d !== undefined && d !== "FullyReplicated" && d !== "ShardedByS3Key") errors.push(value("inputDataConfig.member.dataSource.s3DataSource.s3DataDistributionType", d, "Member must satisfy enum value set: [FullyReplicated, ShardedByS3Key]"));
    }
    const err = constraintErrors(errors);
    if (err) throw err;
    if (jobs.has(i.TrainingJobName!)) {
      // "Training job names must be unique within an AWS account and region" (API_CreateTrainingJob, ResourceInUse).
      throw new ResourceInUse({ message: `Training job names must be unique within an AWS account and region, and a training job with this name already exists (arn:aws:sagemaker:${FAKE_REGION}:${FAKE_ACCOUNT}:training-job/${i.TrainingJobName!.toLowerCase()})`, $metadata: { httpStatusCode: 400 } });
    }
    const algorithm = algorithmOf(i.AlgorithmSpecification?.TrainingImage, FAKE_REGION);
    if (!algorithm) throw validationException(`Image ${i.AlgorithmSpecification?.TrainingImage} is not a built-in algorithm image in ${FAKE_REGION} (sagemaker-algo-docker-registry-paths)`);
    const doc = ALGORITHMS[algorithm]!;
    // The algorithm's documented channels; the container fails on others, the pages say which.
    for (const c of i.InputDataConfig ?? []) {
      const rule = doc.channels[c.ChannelName!];
      if (!rule) throw validationException(`${algorithm} does not support the channel ${c.ChannelName}; supported: ${Object.keys(doc.channels).join(", ")}`);
      const dist = c.DataSource?.S3DataSource?.S3DataDistributionType ?? "FullyReplicated";
      if (!rule.distribution.includes(dist)) throw validationException(`${algorithm}: the ${c.ChannelName} channel supports S3DataDistributionType ${rule.distribution.join(" or ")}, not ${dist}`);
      if (!rule.contentTypes.includes(c.ContentType)) throw validationException(`${algorithm}: the ${c.ChannelName} channel does not support ContentType ${c.ContentType ?? "(none)"}; supported: ${rule.contentTypes.map((t) => t ?? "(none: format from the file extension)").join(", ")}`);
      const uri = c.DataSource?.S3DataSource?.S3Uri ?? "";
      const keys = [...objects.keys()].filter((k) => `s3://${k}`.startsWith(uri));
      if (keys.length === 0) throw validationException(`No S3 objects found under S3 URL "${uri}" given in input data source. Please ensure that the bucket exists in the selected region (${FAKE_REGION}), that objects exist under that S3 prefix, and that the role "${i.RoleArn}" has "s3:ListBucket" permissions on bucket "${uri.split("/")[2]}".`);
      if (doc.extensions && c.ContentType === undefined) {
        const bad = keys.filter((k) => !doc.extensions!.some((x) => k.endsWith(x)));
        if (bad.length) throw validationException(`${algorithm} reads the format from the file extension (${doc.extensions.join(", ")}) when no ContentType is given: ${bad.join(", ")}`);
      }
    }
    for (const r of Object.keys(doc.channels).filter((n) => n === "train")) {
      if (!(i.InputDataConfig ?? []).some((c) => c.ChannelName === r)) throw validationException(`${algorithm} requires the ${r} channel`);
    }
    const missing = doc.required.filter((k) => !hp[k]);
    if (missing.length) throw validationException(`${algorithm} requires the hyperparameter(s) ${missing.join(", ")}`);
    for (const [k, rule] of Object.entries(doc.values)) {
      const v = hp[k];
      if (v === undefined) continue;
      const ok = rule instanceof RegExp ? rule.test(v) : /^\d+$/.test(v) && Number(v) >= rule[0] && Number(v) <= rule[1];
      if (!ok) throw validationException(`${algorithm}: hyperparameter ${k} = ${v} is not a valid value (${rule instanceof RegExp ? rule.source : `integer ${rule[0]}..${rule[1]}`})`);
    }
    jobs.set(i.TrainingJobName!, { input: i, status: "InProgress" });
    return { TrainingJobArn: `arn:aws:sagemaker:${FAKE_REGION}:${FAKE_ACCOUNT}:training-job/${i.TrainingJobName}` };
  });
  sm.on(DescribeTrainingJobCommand).callsFake((i) => {
    const j = jobs.get(i.TrainingJobName);
    if (!j) throw validationException("Requested resource not found.");
    return { TrainingJobName: i.TrainingJobName, TrainingJobStatus: j.status };
  });

  // --- Model packages --------------------------------------------------------------------------
  sm.on(CreateModelPackageCommand).callsFake((i: CreateModelPackageCommandInput) => {
    const errors: string[] = [];
    // CustomerMetadataProperties: 1..50 entries; keys 1..128, values 1..256, of letters, digits,
    // spaces and _.:/=+-@ (API_CreateModelPackage, CustomerMetadataKey / CustomerMetadataValue).
    const meta = i.CustomerMetadataProperties;
    if (meta) {
      const n = Object.keys(meta).length;
      if (n < 1 || n > 50) errors.push(value("customerMetadataProperties", `${n} entries`, "Member must have length less than or equal to 50"));
      for (const [k, v] of Object.entries(meta)) {
        if (!new RegExp(`^${METADATA_CHARS}{1,128}$`, "u").test(k)) errors.push(value("customerMetadataProperties", k, `Map keys must satisfy constraint: [Member must have length less than or equal to 128, Member must satisfy regular expression pattern: ([\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@]*)\${1,128}]`));
        if (!new RegExp(`^${METADATA_CHARS}{1,256}$`, "u").test(v)) errors.push(value(`customerMetadataProperties.${k}`, v, `Map value must satisfy constraint: [Member must have length less than or equal to 256, Member must satisfy regular expression pattern: ([\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@]*)\${1,256}]`));
      }
    }
    if ((i.ModelPackageDescription?.length ?? 0) > 1024) errors.push(value("modelPackageDescription", i.ModelPackageDescription, "Member must have length less than or equal to 1024"));
    const err = constraintErrors(errors);
    if (err) throw err;
    const group = i.ModelPackageGroupName!;
    if (!groups.has(group)) throw validationException(`Model Package Group ${group} does not exist.`);
    for (const c of i.InferenceSpecification?.Containers ?? []) {
      const algorithm = algorithmOf(c.Image, FAKE_REGION);
      if (!algorithm) throw validationException(`Image ${c.Image} is not a built-in algorithm image in ${FAKE_REGION}`);
      const bad = (i.InferenceSpecification?.SupportedContentTypes ?? []).filter((t) => !ALGORITHMS[algorithm]!.inference.includes(t));
      if (bad.length) throw validationException(`${algorithm} inference does not take ${bad.join(", ")}; it takes ${ALGORITHMS[algorithm]!.inference.join(", ")}`);
    }
    const version = packages.filter((p) => p.group === group).length + 1;
    const arn = `arn:aws:sagemaker:${FAKE_REGION}:${FAKE_ACCOUNT}:model-package/${group}/${version}`;
    packages.push({ arn, group, version, status: i.ModelApprovalStatus ?? "PendingManualApproval", metadata: { ...i.CustomerMetadataProperties }, inference: i.InferenceSpecification, created: new Date(1_700_000_000_000 + tick++ * 1000) });
    return { ModelPackageArn: arn };
  });
  const find = (arn: string) => {
    const p = packages.find((x) => x.arn === arn);
    if (!p) throw validationException(`ModelPackage ${arn} does not exist.`);
    return p;
  };
  sm.on(UpdateModelPackageCommand).callsFake((i) => {
    const p = find(i.ModelPackageArn);
    if (i.ModelApprovalStatus) p.status = i.ModelApprovalStatus;
    if (i.ApprovalDescription !== undefined) p.approvalDescription = i.ApprovalDescription;
    return { ModelPackageArn: p.arn };
  });
  let describes = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  sm.on(DescribeModelPackageCommand).callsFake(async (i) => {
    describes++;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      await new Promise((r) => setImmediate(r));
      const p = find(i.ModelPackageName);
      return {
        ModelPackageArn: p.arn, ModelPackageGroupName: p.group, ModelPackageVersion: p.version, ModelApprovalStatus: p.status,
        ApprovalDescription: p.approvalDescription, CustomerMetadataProperties: p.metadata, InferenceSpecification: p.inference, CreationTime: p.created,
      };
    } finally {
      inFlight--;
    }
  });
  // Pages of two, to exercise NextToken.
  sm.on(ListModelPackagesCommand).callsFake((i) => {
    let list = packages.filter((p) => p.group === i.ModelPackageGroupName && (!i.ModelApprovalStatus || p.status === i.ModelApprovalStatus));
    list = [...list].sort((a, b) => a.created.getTime() - b.created.getTime());
    if (i.SortOrder === "Descending") list.reverse();
    const start = Number(i.NextToken ?? 0);
    const page = list.slice(start, start + Math.min(2, i.MaxResults ?? 2));
    return {
      ModelPackageSummaryList: page.map((p) => ({ ModelPackageArn: p.arn, ModelPackageGroupName: p.group, ModelPackageVersion: p.version, ModelApprovalStatus: p.status, CreationTime: p.created })),
      NextToken: start + page.length < list.length ? String(start + page.length) : undefined,
    };
  });

  // --- Serving ---------------------------------------------------------------------------------
  // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html: an endpoint
  // changes what it serves by switching to another EndpointConfig; a Model made from a package
  // names it as PrimaryContainer.ModelPackageName (API_ContainerDefinition).
  const endpointArn = (name: string) => `arn:aws:sagemaker:${FAKE_REGION}:${FAKE_ACCOUNT}:endpoint/${name.toLowerCase()}`;
  sm.on(DescribeEndpointCommand).callsFake((i) => {
    const config = endpoints.get(i.EndpointName);
    if (!config) throw validationException(`Could not find endpoint "${endpointArn(i.EndpointName)}".`);
    return { EndpointName: i.EndpointName, EndpointArn: endpointArn(i.EndpointName), EndpointConfigName: config, EndpointStatus: "InService" };
  });
  sm.on(DescribeEndpointConfigCommand).callsFake((i) => {
    const variants = endpointConfigs.get(i.EndpointConfigName);
    if (!variants) throw validationException(`Could not find endpoint configuration "${i.EndpointConfigName}".`);
    return { EndpointConfigName: i.EndpointConfigName, ProductionVariants: variants };
  });
  sm.on(DescribeModelCommand).callsFake((i) => {
    const m = models.get(i.ModelName);
    if (!m) throw validationException(`Could not find model "${i.ModelName}".`);
    return { ModelName: i.ModelName, ...m };
  });
  sm.on(CreateModelCommand).callsFake((i) => {
    const errors: string[] = [];
    checkName(errors, "modelName", i.ModelName, "^[a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?");
    const err = constraintErrors(errors);
    if (err) throw err;
    if (models.has(i.ModelName!)) throw validationException(`Cannot create already existing model "${i.ModelName}".`);
    const pkg = i.PrimaryContainer?.ModelPackageName;
    if (!pkg) throw validationException("PrimaryContainer must name ModelPackageName here");
    find(pkg);
    models.set(i.ModelName!, { ExecutionRoleArn: i.ExecutionRoleArn, PrimaryContainer: { ModelPackageName: pkg } });
    return { ModelArn: `arn:aws:sagemaker:${FAKE_REGION}:${FAKE_ACCOUNT}:model/${i.ModelName}` };
  });
  sm.on(CreateEndpointConfigCommand).callsFake((i) => {
    const errors: string[] = [];
    checkName(errors, "endpointConfigName", i.EndpointConfigName);
    const err = constraintErrors(errors);
    if (err) throw err;
    if (endpointConfigs.has(i.EndpointConfigName!)) throw validationException(`Cannot create already existing endpoint configuration "${i.EndpointConfigName}".`);
    for (const v of i.ProductionVariants ?? []) if (!models.has(v.ModelName!)) throw validationException(`Could not find model "${v.ModelName}".`);
    endpointConfigs.set(i.EndpointConfigName!, [...(i.ProductionVariants ?? [])]);
    return { EndpointConfigArn: `arn:aws:sagemaker:${FAKE_REGION}:${FAKE_ACCOUNT}:endpoint-config/${i.EndpointConfigName}` };
  });
  sm.on(UpdateEndpointCommand).callsFake((i) => {
    if (!endpoints.has(i.EndpointName)) throw validationException(`Could not find endpoint "${endpointArn(i.EndpointName)}".`);
    if (!endpointConfigs.has(i.EndpointConfigName)) throw validationException(`Could not find endpoint configuration "${i.EndpointConfigName}".`);
    endpoints.set(i.EndpointName, i.EndpointConfigName);
    return { EndpointArn: endpointArn(i.EndpointName) };
  });

  // --- S3 --------------------------------------------------------------------------------------
  s3m.on(PutObjectCommand).callsFake((i) => {
    objects.set(`${i.Bucket}/${i.Key}`, String(i.Body));
    return { ETag: '"x"' };
  });
  s3m.on(GetObjectCommand).callsFake((i) => {
    const body = objects.get(`${i.Bucket}/${i.Key}`);
    if (body === undefined) throw Object.assign(new Error("The specified key does not exist."), { name: "NoSuchKey" });
    return { Body: { transformToString: async () => body } };
  });
  s3m.on(ListObjectsV2Command).callsFake((i) => ({
    Contents: [...objects.keys()].filter((k) => k.startsWith(`${i.Bucket}/${i.Prefix ?? ""}`)).map((k) => ({ Key: k.slice(`${i.Bucket}/`.length) })),
  }));

  /** What an endpoint serves now: the package ARN of its config's first variant's model. */
  const served = (endpoint: string) => {
    const config = endpoints.get(endpoint);
    const model = config ? endpointConfigs.get(config)?.[0]?.ModelName : undefined;
    return model ? models.get(model)?.PrimaryContainer?.ModelPackageName : undefined;
  };
  /** Finish a job as SageMaker would: status, metrics, artifacts. */
  const finishJob = (name: string, status: string, extra: Record<string, unknown> = {}) => {
    const j = jobs.get(name);
    if (!j) throw new Error(`no job ${name}; jobs: ${[...jobs.keys()].join(", ")}`);
    j.status = status;
    sm.on(DescribeTrainingJobCommand, { TrainingJobName: name }).resolves({ TrainingJobName: name, TrainingJobStatus: status as never, ...extra });
  };
  return {
    sagemaker, s3, sm, s3m, packages, objects, jobs, groups, endpoints, endpointConfigs, models, served, finishJob,
    concurrency: () => ({ describes, maxInFlight }),
    restore: () => {
      sm.restore();
      s3m.restore();
    },
  };
}
