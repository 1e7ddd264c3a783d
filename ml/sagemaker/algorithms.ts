/**
 * What each built-in algorithm documents about its input, per channel, and about serving. The
 * training job, the channel builder and the model package all read this one table; the test fake
 * (tests/ml/sagemakerFake.ts) keeps its own copy written from the same pages, so a mistake here
 * is caught rather than mirrored.
 *
 * - Random Cut Forest: "The train channel only supports S3DataDistributionType=ShardedByS3Key and
 *   the test channel only supports S3DataDistributionType=FullyReplicated"; CSV or recordIO-protobuf;
 *   inference takes text/csv, application/json, application/x-recordio-protobuf and answers
 *   application/json or application/x-recordio-protobuf.
 *   https://docs.aws.amazon.com/sagemaker/latest/dg/randomcutforest.html#rcf-input_output
 *   Required hyperparameter: feature_dim. https://docs.aws.amazon.com/sagemaker/latest/dg/rcf_hyperparameters.html
 * - K-Means: train channel "recommended S3DataDistributionType=ShardedByS3Key", test channel
 *   "recommended S3DataDistributionType=FullyReplicated"; CSV or recordIO-protobuf; inference takes
 *   text/csv, application/json, application/x-recordio-protobuf.
 *   https://docs.aws.amazon.com/sagemaker/latest/dg/k-means.html#km-inputoutput
 *   Required hyperparameters: feature_dim, k. https://docs.aws.amazon.com/sagemaker/latest/dg/k-means-api-config.html
 * - Unsupervised CSV (RCF, K-Means): "To run unsupervised learning algorithms that don't have a
 *   target, specify the number of label columns in the content type ... 'text/csv;label_size=0'".
 *   https://docs.aws.amazon.com/sagemaker/latest/dg/cdf-training.html
 * - DeepAR: JSON Lines (or Parquet); "By default, the DeepAR model determines the input format from
 *   the file extension (.json, .json.gz, or .parquet) in the specified input path". We name the
 *   objects `data.json` and, as the SDK's DeepAR examples do, send no channel ContentType.
 *   https://docs.aws.amazon.com/sagemaker/latest/dg/deepar.html#deepar-inputoutput
 *   Inference: a JSON request (application/json) or JSON Lines in batch transform; no CSV.
 *   https://docs.aws.amazon.com/sagemaker/latest/dg/deepar-in-formats.html
 *   Required hyperparameters: context_length, epochs, prediction_length, time_freq.
 *   https://docs.aws.amazon.com/sagemaker/latest/dg/deepar_hyperparameters.html
 * The SDK's own channels (src/sagemaker/amazon/amazon_estimator.py, RecordSet) default to
 * ShardedByS3Key for every record set; the per-channel values above are the algorithm pages'.
 */
import type { BuiltInAlgorithm } from "./images.ts";

export type Distribution = "ShardedByS3Key" | "FullyReplicated";

export interface ChannelRule {
  readonly distribution: Distribution;
  /** The channel's ContentType; undefined: none is sent (DeepAR reads the format from the extension). */
  readonly contentType: string | undefined;
  /** The object name each channel's data is written to. */
  readonly fileName: string;
}

export interface AlgorithmRules {
  readonly channels: Readonly<Record<string, ChannelRule>>;
  readonly requiredChannels: readonly string[];
  readonly requiredHyperParameters: readonly string[];
  /** InferenceSpecification.SupportedContentTypes of a package of this algorithm. */
  readonly inferenceContentTypes: readonly string[];
  readonly responseMimeTypes: readonly string[];
  /** Metric names the algorithm documents for FinalMetricDataList (model tuning pages). */
  readonly metrics: readonly string[];
}

const UNSUPERVISED_CSV = "text/csv;label_size=0";

export const ALGORITHM_RULES: Readonly<Record<BuiltInAlgorithm, AlgorithmRules>> = {
  randomcutforest: {
    // A labelled test channel would be text/csv;label_size=1 (FullyReplicated); we send none.
    channels: { train: { distribution: "ShardedByS3Key", contentType: UNSUPERVISED_CSV, fileName: "data.csv" } },
    requiredChannels: ["train"],
    requiredHyperParameters: ["feature_dim"],
    inferenceContentTypes: ["text/csv", "application/json", "application/x-recordio-protobuf"],
    responseMimeTypes: ["application/json", "application/x-recordio-protobuf"],
    // With a labelled test channel only (https://docs.aws.amazon.com/sagemaker/latest/dg/random-cut-forest-tuning.html).
    metrics: ["test:f1"],
  },
  kmeans: {
    channels: {
      train: { distribution: "ShardedByS3Key", contentType: UNSUPERVISED_CSV, fileName: "data.csv" },
      test: { distribution: "FullyReplicated", contentType: UNSUPERVISED_CSV, fileName: "data.csv" },
    },
    requiredChannels: ["train"],
    requiredHyperParameters: ["feature_dim", "k"],
    inferenceContentTypes: ["text/csv", "application/json", "application/x-recordio-protobuf"],
    responseMimeTypes: ["application/json", "application/x-recordio-protobuf"],
    // https://docs.aws.amazon.com/sagemaker/latest/dg/k-means-tuning.html
    metrics: ["test:msd", "test:ssd"],
  },
  "forecasting-deepar": {
    channels: {
      train: { distribution: "FullyReplicated", contentType: undefined, fileName: "data.json" },
      test: { distribution: "FullyReplicated", contentType: undefined, fileName: "data.json" },
    },
    requiredChannels: ["train"],
    requiredHyperParameters: ["context_length", "epochs", "prediction_length", "time_freq"],
    inferenceContentTypes: ["application/json", "application/jsonlines"],
    responseMimeTypes: ["application/json", "application/jsonlines"],
    // https://docs.aws.amazon.com/sagemaker/latest/dg/deepar-tuning.html
    metrics: ["test:RMSE", "test:mean_wQuantileLoss", "train:final_loss"],
  },
};

/** The rule for one channel of an algorithm; an error naming the channels it takes. */
export function channelRule(algorithm: BuiltInAlgorithm, channel: string): ChannelRule {
  const rules = ALGORITHM_RULES[algorithm].channels;
  const rule = Object.hasOwn(rules, channel) ? rules[channel] : undefined;
  if (!rule) throw new Error(`${algorithm} takes no ${JSON.stringify(channel)} channel here; channels: ${Object.keys(rules).join(", ")}`);
  return rule;
}

/** A documented "Valid values" rule: a test and the page's wording. */
interface ValidValues {
  readonly test: (v: string) => boolean;
  readonly doc: string;
}
const int = (min: number, max = Number.MAX_SAFE_INTEGER): ValidValues => ({
  test: (v) => /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max,
  doc: max === Number.MAX_SAFE_INTEGER ? (min === 1 ? "a positive integer" : `an integer >= ${min}`) : `an integer in ${min}..${max}`,
});
const oneOf = (...values: string[]): ValidValues => ({ test: (v) => values.includes(v), doc: `one of ${values.join(", ")}` });

/**
 * "Valid values" of the hyperparameters this hub sends, from the hyperparameter pages cited in the
 * header. DeepAR's time_freq reads "An integer followed by M, W, D, H, or min"; AWS's own DeepAR
 * examples send "H", so the integer is taken as optional.
 */
export const HYPERPARAMETER_VALUES: Readonly<Record<BuiltInAlgorithm, Readonly<Record<string, ValidValues>>>> = {
  randomcutforest: { feature_dim: int(1, 10_000), num_samples_per_tree: int(1, 2048), num_trees: int(50, 1000) },
  kmeans: { feature_dim: int(1), k: int(1), mini_batch_size: int(1), epochs: int(1), init_method: oneOf("random", "kmeans++") },
  "forecasting-deepar": {
    time_freq: { test: (v) => /^\d*(M|W|D|H|min)$/.test(v), doc: "an integer followed by M, W, D, H or min (e.g. 5min)" },
    prediction_length: int(1), context_length: int(1), epochs: int(1), early_stopping_patience: int(0),
    likelihood: oneOf("gaussian", "beta", "negative-binomial", "student-T", "deterministic-L1"),
  },
};

/**
 * Refuses hyperparameters that lack one the algorithm requires, or have a value outside what its
 * page documents, naming it (before anything is uploaded or paid for).
 */
export function checkHyperParameters(algorithm: BuiltInAlgorithm, hp: Readonly<Record<string, string>>): void {
  const missing = ALGORITHM_RULES[algorithm].requiredHyperParameters.filter((k) => !hp[k]);
  if (missing.length) throw new Error(`${algorithm} requires the hyperparameter(s) ${missing.join(", ")}; given: ${Object.keys(hp).sort().join(", ") || "none"}`);
  const rules = HYPERPARAMETER_VALUES[algorithm];
  for (const [k, v] of Object.entries(hp)) {
    const rule = Object.hasOwn(rules, k) ? rules[k] : undefined;
    if (rule && !rule.test(v)) throw new Error(`${algorithm} hyperparameter ${k} = ${JSON.stringify(v)} is not ${rule.doc}`);
  }
}
