/**
 * Segmentation of machines by their utilisation and energy profile: k-means with k-means++ seeding
 * (Arthur & Vassilvitskii 2007), k chosen by the mean silhouette over `kRange`. Features are
 * standardised first (z-scores), so kWh does not outweigh a utilisation share. Each k keeps the best of
 * `restarts` seeded runs (lowest within-cluster sum of squares), so one unlucky seeding does not
 * decide k.
 */
import type { Segmentation } from "../contract.ts";
import { silhouette } from "../evaluation/silhouette.ts";
import { seededRandom } from "./random.ts";

export interface SegmentInput {
  readonly id: string;
  readonly features: readonly number[];
}

export interface KMeansOptions {
  /** Feature names, in the order of each input's `features`. */
  readonly features: readonly string[];
  /** Candidate k values, inclusive. Default [2, min(8, n − 1)]. */
  readonly kRange?: readonly [number, number];
  readonly seed?: number;
  readonly restarts?: number;
  readonly maxIterations?: number;
}

export interface SegmentationModel extends Segmentation {
  /** Silhouette for every k tried: the evidence for the chosen k. */
  readonly silhouetteByK: Readonly<Record<number, number>>;
  /** Standardisation used: feature − mean, / sd. Centroids are in the original units. */
  readonly mean: readonly number[];
  readonly sd: readonly number[];
  readonly seed: number;
  /** The segment of a new feature vector (nearest centroid). */
  assign(features: readonly number[]): number;
  toJSON(): SegmentationJSON;
}

export interface SegmentationJSON extends Segmentation {
  readonly silhouetteByK: Readonly<Record<number, number>>;
  readonly mean: readonly number[];
  readonly sd: readonly number[];
  readonly seed: number;
}

export function segmentMachines(inputs: readonly SegmentInput[], options: KMeansOptions): SegmentationModel {
  const n = inputs.length;
  const dims = options.features.length;
  if (n < 3) throw new Error(`segmentation: needs at least 3 machines, got ${n}`);
  const ids = new Set<string>();
  for (const x of inputs) {
    if (ids.has(x.id)) throw new Error(`segmentation: machine ${x.id} appears twice`);
    ids.add(x.id);
    if (x.features.length !== dims) throw new Error(`segmentation: machine ${x.id} has ${x.features.length} features, expected ${dims} (${options.features.join(", ")})`);
    x.features.forEach((v, d) => {
      if (!Number.isFinite(v)) throw new Error(`segmentation: machine ${x.id} feature ${options.features[d]} is ${v}`);
    });
  }
  const [kMin, kMax] = options.kRange ?? [2, Math.min(8, n - 1)];
  if (!(Number.isInteger(kMin) && Number.isInteger(kMax) && kMin >= 2 && kMax >= kMin && kMax < n)) {
    throw new Error(`segmentation: kRange must satisfy 2 ≤ min ≤ max < machines (${n}), got [${kMin}, ${kMax}]`);
  }
  const seed = options.seed ?? 1;
  const mean: number[] = [], sd: number[] = [];
  for (let d = 0; d < dims; d++) {
    const m = inputs.reduce((a, x) => a + x.features[d]!, 0) / n;
    const v = inputs.reduce((a, x) => a + (x.features[d]! - m) ** 2, 0) / n;
    mean.push(m);
    sd.push(Math.sqrt(v) || 1);
  }
  const z = inputs.map((x) => x.features.map((v, d) => (v - mean[d]!) / sd[d]!));
  const distinct = new Set(z.map((p) => p.join(","))).size;
  if (distinct < 2) throw new Error(`segmentation: all ${n} machines have the same features; there is nothing to segment`);

  const silhouetteByK: Record<number, number> = {};
  let best: { k: number; s: number; labels: number[]; centroids: number[][] } | null = null;
  for (let k = kMin; k <= Math.min(kMax, distinct); k++) {
    const run = bestOfRestarts(z, k, seed, options.restarts ?? 5, options.maxIterations ?? 100);
    if (new Set(run.labels).size < 2) continue;
    const s = silhouette(z, run.labels);
    silhouetteByK[k] = s;
    if (!best || s > best.s + 1e-12) best = { k, s, ...run };
  }
  if (!best) throw new Error("segmentation: no k in the range produced two or more clusters");
  const centroids = best.centroids.map((c) => c.map((v, d) => v * sd[d]! + mean[d]!));
  const json: SegmentationJSON = {
    algorithm: "kmeans++", k: best.k, silhouette: best.s, centroids, features: [...options.features],
    assignments: inputs.map((x, i) => ({ id: x.id, segment: best!.labels[i]! })), silhouetteByK, mean, sd, seed,
  };
  return loadSegmentation(json);
}

export function loadSegmentation(json: SegmentationJSON): SegmentationModel {
  if (json?.algorithm !== "kmeans++") throw new Error(`not a kmeans++ segmentation: algorithm ${(json as { algorithm?: unknown })?.algorithm}`);
  const zCentroids = json.centroids.map((c) => c.map((v, d) => (v - json.mean[d]!) / json.sd[d]!));
  return {
    ...json,
    assign(features) {
      if (features.length !== json.features.length) throw new Error(`segmentation: expected ${json.features.length} features, got ${features.length}`);
      const p = features.map((v, d) => (v - json.mean[d]!) / json.sd[d]!);
      return nearest(p, zCentroids).index;
    },
    toJSON: () => json,
  };
}

function bestOfRestarts(z: number[][], k: number, seed: number, restarts: number, maxIter: number): { labels: number[]; centroids: number[][]; inertia: number } {
  let best: { labels: number[]; centroids: number[][]; inertia: number } | null = null;
  for (let r = 0; r < restarts; r++) {
    const rand = seededRandom((seed * 1_000_003 + k * 101 + r) | 0).next;
    const run = lloyd(z, plusPlus(z, k, rand), maxIter);
    if (!best || run.inertia < best.inertia) best = run;
  }
  return best!;
}

/** k-means++ seeding: each next centre is drawn with probability ∝ squared distance to the nearest chosen one. */
function plusPlus(z: number[][], k: number, rand: () => number): number[][] {
  const centres = [z[Math.floor(rand() * z.length)]!.slice()];
  const d2 = z.map((p) => sq(p, centres[0]!));
  while (centres.length < k) {
    const total = d2.reduce((a, b) => a + b, 0);
    let r = rand() * total;
    let pick = d2.length - 1;
    for (let i = 0; i < d2.length; i++) {
      if ((r -= d2[i]!) < 0) { pick = i; break; }
    }
    centres.push(z[pick]!.slice());
    for (let i = 0; i < z.length; i++) d2[i] = Math.min(d2[i]!, sq(z[i]!, centres[centres.length - 1]!));
  }
  return centres;
}

function lloyd(z: number[][], centres: number[][], maxIter: number): { labels: number[]; centroids: number[][]; inertia: number } {
  const k = centres.length;
  const dims = z[0]!.length;
  let labels = new Array<number>(z.length).fill(-1);
  for (let it = 0; it < maxIter; it++) {
    let changed = false;
    const next = z.map((p) => nearest(p, centres).index);
    for (let i = 0; i < z.length; i++) if (next[i] !== labels[i]) changed = true;
    labels = next;
    if (!changed) break;
    const sums = Array.from({ length: k }, () => new Array<number>(dims).fill(0));
    const counts = new Array<number>(k).fill(0);
    z.forEach((p, i) => { counts[labels[i]!]!++; p.forEach((v, d) => (sums[labels[i]!]![d]! += v)); });
    // An emptied cluster keeps its centre (it may win points back next round).
    for (let c = 0; c < k; c++) if (counts[c]! > 0) centres[c] = sums[c]!.map((s) => s / counts[c]!);
  }
  // Renumber segments by first appearance so the same clustering always gets the same numbers.
  const order = new Map<number, number>();
  for (const l of labels) if (!order.has(l)) order.set(l, order.size);
  const outCentres: number[][] = [];
  for (const [old] of [...order.entries()].sort((a, b) => a[1] - b[1])) outCentres.push(centres[old]!);
  const outLabels = labels.map((l) => order.get(l)!);
  const inertia = z.reduce((a, p, i) => a + sq(p, outCentres[outLabels[i]!]!), 0);
  return { labels: outLabels, centroids: outCentres, inertia };
}

function nearest(p: readonly number[], centres: readonly (readonly number[])[]): { index: number; d2: number } {
  let index = 0, d2 = Infinity;
  centres.forEach((c, i) => {
    const d = sq(p, c);
    if (d < d2) { d2 = d; index = i; }
  });
  return { index, d2 };
}

function sq(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let d = 0; d < a.length; d++) s += (a[d]! - b[d]!) ** 2;
  return s;
}
