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

/** Refuses hyperparameters that lack one the algorithm requires, naming it (before anything is uploaded or paid for). */
export function checkHyperParameters(algorithm: BuiltInAlgorithm, hp: Readonly<Record<string, string>>): void {
  const missing = ALGORITHM_RULES[algorithm].requiredHyperParameters.filter((k) => !hp[k]);
  if (missing.length) throw new Error(`${algorithm} requires the hyperparameter(s) ${missing.join(", ")}; given: ${Object.keys(hp).sort().join(", ") || "none"}`);
}
