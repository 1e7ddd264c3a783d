/**
 * Training data in each built-in algorithm's input format, its hyperparameters, the gate rule on
 * the metric the job reports, and the naive baseline's figure for that metric, computed here on
 * the same held-back points the job scores. Each channel's distribution, ContentType and object
 * name are the algorithm's documented ones (./algorithms.ts):
 * - DeepAR (forecast): JSON Lines `{"start", "target"}` in `data.json`; `train` ends `prediction_length` hours
 *   before `test`, and the job reports `test:RMSE` on those last hours
 *   (https://docs.aws.amazon.com/sagemaker/latest/dg/deepar.html). Baseline: seasonal naive.
 * - Random Cut Forest (anomaly): CSV `text/csv;label_size=0` of the machine feature vectors. With
 *   no labelled test channel it reports no test metric, so its package waits for manual approval.
 * - K-Means (segments): CSV `text/csv;label_size=0` of the machine profiles; `test:msd` on the same rows. Baseline: one
 *   cluster (the mean squared distance to the overall mean).
 */
import type { Metrics, ModelKind } from "../contract.ts";
import type { GateRule } from "../gate.ts";
import type { TrainingData } from "../modelSpecs.ts";
import { MACHINE_PROFILE_FEATURES } from "../features.ts";
import { STREAM_FEATURES } from "../streamScoring.ts";
import type { Channel } from "./trainingJob.ts";

export const DEEPAR_PREDICTION_LENGTH = 24;

export interface SageMakerInput {
  readonly channels: Readonly<Record<string, Channel>>;
  readonly hyperParameters: Readonly<Record<string, string>>;
  readonly rule: GateRule | null;
  readonly baselineMetrics: Metrics;
}

const fmt = (d: Date) => d.toISOString().slice(0, 19).replace("T", " ");
const target = (vs: readonly number[]) => vs.map((v) => (Number.isFinite(v) ? v : "NaN"));

function deepar(data: TrainingData): SageMakerInput {
  const h = DEEPAR_PREDICTION_LENGTH;
  const usable = data.series.filter((s) => s.points.length > 7 * 24 + h);
  if (usable.length === 0) throw new Error(`DeepAR needs series longer than ${7 * 24 + h} hours; none of ${data.series.length} is`);
  const line = (s: (typeof usable)[number], cut: number) => JSON.stringify({ start: fmt(s.points[0]!.ts), target: target(s.points.slice(0, cut).map((p) => p.value)) });
  const train = usable.map((s) => line(s, s.points.length - h)).join("\n");
  const test = usable.map((s) => line(s, s.points.length)).join("\n");
  // Seasonal naive on the same last `h` hours: the better of yesterday's and last week's value.
  const rmse = (lag: number) => {
    let sq = 0, n = 0;
    for (const s of usable) {
      const y = s.points.map((p) => p.value);
      for (let t = y.length - h; t < y.length; t++) {
        if (Number.isFinite(y[t]!) && Number.isFinite(y[t - lag]!)) { sq += (y[t]! - y[t - lag]!) ** 2; n++; }
      }
    }
    return n ? Math.sqrt(sq / n) : Infinity;
  };
  const baseline = Math.min(rmse(24), rmse(168));
  return {
    channels: { train: { body: train }, test: { body: test } },
    hyperParameters: { time_freq: "H", prediction_length: String(h), context_length: "72", epochs: "50", early_stopping_patience: "10", likelihood: "gaussian" },
    rule: { metric: "test:RMSE", higherIsBetter: false, margin: 0.02 },
    baselineMetrics: Number.isFinite(baseline) ? { "test:RMSE": baseline } : {},
  };
}

function rcf(data: TrainingData): SageMakerInput {
  const rows = [...data.streams.values()].flat();
  if (rows.length < 256) throw new Error(`Random Cut Forest needs at least 256 machine readings with ${STREAM_FEATURES.join(" and ")}, got ${rows.length}`);
  return {
    channels: { train: { body: rows.map((r) => r.join(",")).join("\n") } },
    hyperParameters: { feature_dim: String(STREAM_FEATURES.length), num_samples_per_tree: "256", num_trees: "100" },
    rule: null,
    baselineMetrics: {},
  };
}

function kmeans(data: TrainingData): SageMakerInput {
  const rows = data.profiles.filter((p) => p.features.every(Number.isFinite)).map((p) => p.features);
  if (rows.length < 3) throw new Error(`K-Means needs at least 3 machines with complete profiles, got ${rows.length}`);
  const dims = MACHINE_PROFILE_FEATURES.length;
  const mean = Array.from({ length: dims }, (_, d) => rows.reduce((a, r) => a + r[d]!, 0) / rows.length);
  const msd = rows.reduce((a, r) => a + r.reduce((s, v, d) => s + (v - mean[d]!) ** 2, 0), 0) / rows.length;
  const csv = rows.map((r) => r.join(",")).join("\n");
  return {
    channels: { train: { body: csv }, test: { body: csv } },
    hyperParameters: { k: String(Math.min(3, rows.length - 1)), feature_dim: String(dims), mini_batch_size: String(rows.length), init_method: "kmeans++" },
    rule: { metric: "test:msd", higherIsBetter: false, margin: 0.05 },
    baselineMetrics: { "test:msd": msd },
  };
}

export function sageMakerInput(model: ModelKind, data: TrainingData): SageMakerInput {
  return model === "forecast" ? deepar(data) : model === "anomaly" ? rcf(data) : kmeans(data);
}
