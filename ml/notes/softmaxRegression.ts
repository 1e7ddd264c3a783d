/**
 * Multinomial logistic regression over sparse binary features, trained by full-batch AdaGrad with an
 * L2 penalty: no randomness anywhere (the order of features and examples is fixed), so the same
 * training notes give the same weights to the last digit. Small on purpose: a few hundred notes and
 * some thousands of features train in well under a second.
 */

export interface SoftmaxModel {
  readonly classes: readonly string[];
  /** Sorted feature names; `weights[i]` holds one weight per class for `features[i]`. */
  readonly features: readonly string[];
  readonly weights: readonly (readonly number[])[];
  readonly bias: readonly number[];
}

export interface TrainOptions {
  readonly epochs?: number;
  readonly learningRate?: number;
  readonly l2?: number;
  /** Keep features seen in at least this many training examples. */
  readonly minCount?: number;
  /** Weight each class by (n / (classes × count))^balance: 0 = none, 1 = fully balanced. */
  readonly balance?: number;
}

export interface Example {
  readonly features: ReadonlySet<string>;
  readonly label: string;
}

export function trainSoftmax(examples: readonly Example[], classes: readonly string[], opts: TrainOptions = {}): SoftmaxModel {
  const { epochs = 300, learningRate = 0.3, l2 = 1e-3, minCount = 2, balance = 0.5 } = opts;
  const counts = new Map<string, number>();
  for (const e of examples) for (const f of e.features) counts.set(f, (counts.get(f) ?? 0) + 1);
  const features = [...counts].filter(([, c]) => c >= minCount).map(([f]) => f).sort();
  const index = new Map(features.map((f, i) => [f, i]));
  const K = classes.length;
  const rows = examples.map((e) => ({ x: [...e.features].map((f) => index.get(f)).filter((i): i is number => i !== undefined).sort((a, b) => a - b), y: classes.indexOf(e.label) }));
  for (const [i, r] of rows.entries()) if (r.y < 0) throw new Error(`example ${i}: label ${JSON.stringify(examples[i]!.label)} is not one of ${classes.join(", ")}`);
  const perClass = classes.map((_, k) => rows.filter((r) => r.y === k).length);
  const classWeight = perClass.map((c) => (c === 0 ? 0 : Math.pow(rows.length / (K * c), balance)));
  // Flat arrays (feature i, class k at i * K + k): the dense AdaGrad step over every weight is most of the time.
  const F = features.length;
  const W = new Float64Array(F * K);
  const b = new Float64Array(K);
  const gW = new Float64Array(F * K);
  const gb = new Float64Array(K);
  const hW = new Float64Array(F * K).fill(1e-8);
  const hb = new Float64Array(K).fill(1e-8);
  const p = new Float64Array(K);
  const n = rows.length;
  for (let epoch = 0; epoch < epochs; epoch++) {
    gW.fill(0);
    gb.fill(0);
    for (const r of rows) {
      flatScores(W, b, r.x, p);
      const cw = classWeight[r.y]!;
      for (let k = 0; k < K; k++) {
        const d = cw * (p[k]! - (k === r.y ? 1 : 0));
        gb[k]! += d;
        for (const i of r.x) gW[i * K + k]! += d;
      }
    }
    for (let k = 0; k < K; k++) {
      const g = gb[k]! / n;
      hb[k]! += g * g;
      b[k]! -= (learningRate * g) / Math.sqrt(hb[k]!);
    }
    for (let j = 0; j < F * K; j++) {
      const g = gW[j]! / n + l2 * W[j]!;
      hW[j]! += g * g;
      W[j]! -= (learningRate * g) / Math.sqrt(hW[j]!);
    }
  }
  // Six significant digits: the shipped file diffs cleanly and answers the same to any test's precision.
  const round = (v: number) => Number(v.toPrecision(6));
  return { classes: [...classes], features, weights: features.map((_, i) => [...W.subarray(i * K, i * K + K)].map(round)), bias: [...b].map(round) };
}

function flatScores(W: Float64Array, b: Float64Array, x: readonly number[], out: Float64Array): void {
  const K = b.length;
  let max = -Infinity;
  for (let k = 0; k < K; k++) {
    let s = b[k]!;
    for (const i of x) s += W[i * K + k]!;
    out[k] = s;
    if (s > max) max = s;
  }
  softmaxInPlace(out, max);
}

function softmaxInPlace(out: Float64Array, max: number): void {
  let z = 0;
  for (let k = 0; k < out.length; k++) {
    out[k] = Math.exp(out[k]! - max);
    z += out[k]!;
  }
  for (let k = 0; k < out.length; k++) out[k]! /= z;
}

function scores(W: readonly (readonly number[])[], b: ArrayLike<number>, x: readonly number[], out: Float64Array): void {
  const K = b.length;
  let max = -Infinity;
  for (let k = 0; k < K; k++) {
    let s = b[k]!;
    for (const i of x) s += W[i]![k]!;
    out[k] = s;
    if (s > max) max = s;
  }
  softmaxInPlace(out, max);
}

/** A trained model ready to score: the feature index built once. */
export class SoftmaxScorer {
  private readonly index: Map<string, number>;
  constructor(readonly model: SoftmaxModel) {
    this.index = new Map(model.features.map((f, i) => [f, i]));
  }

  /** Class probabilities, in `model.classes` order. */
  probabilities(features: ReadonlySet<string>): number[] {
    const x = [...features].map((f) => this.index.get(f)).filter((i): i is number => i !== undefined).sort((a, b) => a - b);
    const out = new Float64Array(this.model.classes.length);
    scores(this.model.weights, this.model.bias, x, out);
    return [...out];
  }

  /** One feature's weight for one class (0 for a feature the model does not know). */
  weight(feature: string, cls: number): number {
    const i = this.index.get(feature);
    return i === undefined ? 0 : this.model.weights[i]![cls]!;
  }
}
