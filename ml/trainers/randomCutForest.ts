/**
 * Streaming anomaly detector for 1 Hz machine signals: a robust random cut forest (Guha et al.,
 * ICML 2016, https://proceedings.mlr.press/v48/guha16.html; the algorithm behind SageMaker's built-in
 * RCF). Each of `trees` trees holds a sample of at most `sampleSize` recent points; a point's score
 * is its collusive displacement (CoDisp) averaged over the trees: how many sampled points a tree
 * would have to "move" to isolate it. Memory is bounded by trees × (2 · sampleSize − 1) nodes,
 * whatever the stream length (`size()` reports it).
 *
 * Choices, and why:
 * - features are standardised with the mean and spread of the first `sampleSize` points: RCF cuts a
 *   dimension with probability proportional to its range, so without it spindle speed (0–10 000 rpm)
 *   would drown spindle load (0–100 %);
 * - each tree keeps its sample by reservoir sampling over the last ~`window` points, so the forest
 *   follows a machine whose normal changes, but slowly enough that a fault does not become normal;
 * - a point is an anomaly when log(1 + score) exceeds the running mean + `threshold` standard
 *   deviations of the log-scores of points that were not anomalies. SageMaker suggests 3 σ on the raw
 *   score; CoDisp is heavy-tailed, so the rule is applied to its logarithm, with 4 σ by default: a
 *   1 Hz stream has 86 400 points a day, and 3 σ would flag hundreds of them on clean data.
 */
import type { StreamingDetector } from "../contract.ts";
import { seededRandom } from "./random.ts";

export const RANDOM_CUT_FOREST = "random_cut_forest";

export interface RandomCutForestOptions {
  readonly dimensions: number;
  /** Trees in the forest. Default 50 (SageMaker's default num_trees is 100; 50 halves the cost). */
  readonly trees?: number;
  /** Points each tree keeps. Default 256 (SageMaker's num_samples_per_tree). */
  readonly sampleSize?: number;
  /** Recent points the reservoirs draw from. Default 16 × sampleSize. */
  readonly window?: number;
  /** Flag when log(1 + score) > mean + threshold · sd of recent normal log-scores. Default 4. */
  readonly threshold?: number;
  readonly seed?: number;
}

interface Leaf {
  parent: Internal | null;
  readonly point: Float64Array;
  count: number;
}
interface Internal {
  parent: Internal | null;
  readonly dim: number;
  readonly cut: number;
  left: Node;
  right: Node;
  count: number;
  readonly min: Float64Array;
  readonly max: Float64Array;
}
type Node = Leaf | Internal;
const isLeaf = (n: Node): n is Leaf => (n as Leaf).point !== undefined;

class CutTree {
  root: Node | null = null;
  nodes = 0;
  constructor(private readonly dims: number, private readonly rand: () => number) {}

  insert(point: Float64Array): Leaf {
    if (!this.root) {
      this.nodes = 1;
      return (this.root = { parent: null, point, count: 1 });
    }
    let node: Node = this.root;
    for (;;) {
      const lo = isLeaf(node) ? node.point : node.min;
      const hi = isLeaf(node) ? node.point : node.max;
      // A random cut across the box of the node's points and the new point, by range (the RRCF rule).
      let total = 0;
      for (let d = 0; d < this.dims; d++) total += Math.max(hi[d]!, point[d]!) - Math.min(lo[d]!, point[d]!);
      if (total === 0 && isLeaf(node)) {
        // The same point again: count it on the leaf.
        for (let p: Node | null = node; p; p = p.parent) p.count++;
        return node;
      }
      const { dim, cut, separates } = this.randomCut(lo, hi, point, total);
      if (separates || isLeaf(node)) {
        // isLeaf without separation only happens on a cut exactly at the shared coordinate: treat as separating.
        const leaf: Leaf = { parent: null, point, count: 1 };
        const min = new Float64Array(this.dims), max = new Float64Array(this.dims);
        for (let d = 0; d < this.dims; d++) { min[d] = Math.min(lo[d]!, point[d]!); max[d] = Math.max(hi[d]!, point[d]!); }
        const leftIsNew = point[dim]! <= cut;
        const parent: Internal | null = node.parent;
        const inner: Internal = { parent, dim, cut, left: leftIsNew ? leaf : node, right: leftIsNew ? node : leaf, count: node.count + 1, min, max };
        leaf.parent = inner;
        node.parent = inner;
        if (!parent) this.root = inner;
        else if (parent.left === node) parent.left = inner;
        else parent.right = inner;
        for (let p = parent; p; p = p.parent) p.count++;
        this.nodes += 2;
        return leaf;
      }
      // The point falls inside this box's side: widen the box and go down.
      for (let d = 0; d < this.dims; d++) {
        if (point[d]! < node.min[d]!) node.min[d] = point[d]!;
        if (point[d]! > node.max[d]!) node.max[d] = point[d]!;
      }
      node = point[node.dim]! <= node.cut ? node.left : node.right;
    }
  }

  remove(leaf: Leaf): void {
    if (leaf.count > 1) {
      for (let p: Node | null = leaf; p; p = p.parent) p.count--;
      return;
    }
    const parent = leaf.parent;
    this.nodes -= parent ? 2 : 1;
    if (!parent) { this.root = null; return; }
    const sibling = parent.left === leaf ? parent.right : parent.left;
    const grand = parent.parent;
    sibling.parent = grand;
    if (!grand) { this.root = sibling; return; }
    if (grand.left === parent) grand.left = sibling;
    else grand.right = sibling;
    for (let p: Internal | null = grand; p; p = p.parent) {
      p.count--;
      const a = p.left, b = p.right;
      for (let d = 0; d < this.dims; d++) {
        p.min[d] = Math.min(isLeaf(a) ? a.point[d]! : a.min[d]!, isLeaf(b) ? b.point[d]! : b.min[d]!);
        p.max[d] = Math.max(isLeaf(a) ? a.point[d]! : a.max[d]!, isLeaf(b) ? b.point[d]! : b.max[d]!);
      }
    }
  }

  /**
   * CoDisp the point would get if inserted, without inserting it (no allocation): the insertion walk
   * with the same cut rule, then the displacement ratios along the path it would take.
   */
  scoreWithoutInsert(point: Float64Array): number {
    if (!this.root) return 0;
    const path: Node[] = [];
    let node: Node = this.root;
    for (;;) {
      path.push(node);
      const leaf = isLeaf(node);
      const lo = leaf ? (node as Leaf).point : (node as Internal).min;
      const hi = leaf ? (node as Leaf).point : (node as Internal).max;
      let total = 0;
      for (let d = 0; d < this.dims; d++) total += Math.max(hi[d]!, point[d]!) - Math.min(lo[d]!, point[d]!);
      if (total === 0) {
        // Duplicate of a sampled point: displacement as if it joined that leaf.
        return this.ratiosUp(path, node.count + 1, 0);
      }
      const { dim, cut, separates } = this.randomCut(lo, hi, point, total);
      if (separates || leaf) {
        // New leaf (count 1) beside `node`: first ratio node.count / 1, then up the path.
        return this.ratiosUp(path, 1, node.count);
      }
      const inner = node as Internal;
      node = point[inner.dim]! <= inner.cut ? inner.left : inner.right;
    }
  }

  /** Max of sibling/own counts walking up `path` (the last entry is where the point ends), own starting at `ownCount`. */
  /**
   * A random cut of the box [lo, hi] grown to hold `point` (`total` is the sum of its side lengths):
   * a dimension with probability proportional to its side, a uniform position on it, and whether
   * the cut separates the point from the box.
   */
  private randomCut(lo: ArrayLike<number>, hi: ArrayLike<number>, point: Float64Array, total: number): { dim: number; cut: number; separates: boolean } {
    let r = this.rand() * total;
    let dim = 0, cut = 0;
    for (let d = 0; d < this.dims; d++) {
      const a = Math.min(lo[d]!, point[d]!);
      const span = Math.max(hi[d]!, point[d]!) - a;
      if (r < span || d === this.dims - 1) { dim = d; cut = a + Math.min(r, span); break; }
      r -= span;
    }
    const separates = (point[dim]! <= cut && cut < lo[dim]!) || (hi[dim]! <= cut && cut < point[dim]!);
    return { dim, cut, separates };
  }

  private ratiosUp(path: readonly Node[], ownCount: number, firstSibling: number): number {
    let best = firstSibling / ownCount;
    let own = firstSibling + ownCount;
    if (firstSibling === 0) own = ownCount;
    for (let i = path.length - 1; i > 0; i--) {
      const parent = path[i - 1] as Internal;
      const child = path[i]!;
      const sib = parent.left === child ? parent.right : parent.left;
      best = Math.max(best, sib.count / own);
      own += sib.count;
    }
    return best;
  }

  /** Collusive displacement of a leaf: max over its ancestors of |sibling subtree| / |own subtree|. */
  codisp(leaf: Leaf): number {
    let best = 0;
    for (let node: Node = leaf; node.parent; node = node.parent) {
      const sib = node.parent.left === node ? node.parent.right : node.parent.left;
      best = Math.max(best, sib.count / node.count);
    }
    return best;
  }

  toJSON(): unknown {
    const enc = (n: Node): unknown => (isLeaf(n) ? { p: Array.from(n.point), n: n.count } : [n.dim, n.cut, enc(n.left), enc(n.right)]);
    return this.root ? enc(this.root) : null;
  }

  /** Rebuilds the tree; returns its leaves by point identity so reservoirs can point at them. */
  load(json: unknown): Leaf[] {
    const leaves: Leaf[] = [];
    const dec = (j: unknown, parent: Internal | null): Node => {
      if (!Array.isArray(j)) {
        const { p, n } = j as { p: number[]; n: number };
        const leaf: Leaf = { parent, point: Float64Array.from(p), count: n };
        leaves.push(leaf);
        this.nodes += 1;
        return leaf;
      }
      const [dim, cut, l, r] = j as [number, number, unknown, unknown];
      const node: Internal = { parent, dim, cut, left: null as unknown as Node, right: null as unknown as Node, count: 0, min: new Float64Array(this.dims), max: new Float64Array(this.dims) };
      this.nodes += 1;
      node.left = dec(l, node);
      node.right = dec(r, node);
      node.count = node.left.count + node.right.count;
      for (let d = 0; d < this.dims; d++) {
        const a = node.left, b = node.right;
        node.min[d] = Math.min(isLeaf(a) ? a.point[d]! : a.min[d]!, isLeaf(b) ? b.point[d]! : b.min[d]!);
        node.max[d] = Math.max(isLeaf(a) ? a.point[d]! : a.max[d]!, isLeaf(b) ? b.point[d]! : b.max[d]!);
      }
      return node;
    };
    this.nodes = 0;
    this.root = json === null ? null : dec(json, null);
    return leaves;
  }
}

export interface RandomCutForestJSON {
  readonly algorithm: typeof RANDOM_CUT_FOREST;
  readonly options: Required<RandomCutForestOptions>;
  readonly seen: number;
  readonly rngState: number;
  readonly center: number[] | null;
  readonly scale: number[] | null;
  readonly warmup: number[][];
  readonly scoreMean: number;
  readonly scoreVar: number;
  /** Per tree: its structure and its reservoir (leaf indices in the tree's leaf order, one per sampled arrival). */
  readonly trees: ReadonlyArray<{ readonly tree: unknown; readonly reservoir: number[] }>;
}

export class RandomCutForest implements StreamingDetector {
  readonly algorithm = RANDOM_CUT_FOREST;
  readonly options: Required<RandomCutForestOptions>;
  private readonly trees: CutTree[] = [];
  /** Per tree: the leaves of its sampled points (a leaf appears once per sampled arrival). */
  private readonly reservoirs: Leaf[][] = [];
  private rng: { next: () => number; state: () => number; restore: (state: number) => void };
  private seen = 0;
  private center: Float64Array | null = null;
  private scale: Float64Array | null = null;
  private warmup: number[][] = [];
  private scoreMean = 0;
  private scoreVar = 0;

  constructor(options: RandomCutForestOptions) {
    const sampleSize = options.sampleSize ?? 256;
    this.options = {
      dimensions: options.dimensions, trees: options.trees ?? 50, sampleSize, window: options.window ?? 16 * sampleSize,
      threshold: options.threshold ?? 4, seed: options.seed ?? 1,
    };
    const o = this.options;
    if (!Number.isInteger(o.dimensions) || o.dimensions < 1) throw new Error(`random cut forest: dimensions must be a positive integer, got ${o.dimensions}`);
    if (!Number.isInteger(o.trees) || o.trees < 1) throw new Error(`random cut forest: trees must be a positive integer, got ${o.trees}`);
    if (!Number.isInteger(o.sampleSize) || o.sampleSize < 4) throw new Error(`random cut forest: sampleSize must be an integer ≥ 4, got ${o.sampleSize}`);
    if (!(o.window >= o.sampleSize)) throw new Error(`random cut forest: window (${o.window}) must be at least sampleSize (${o.sampleSize})`);
    this.rng = seededRandom(o.seed);
    const rand = this.rng.next;
    for (let t = 0; t < o.trees; t++) {
      this.trees.push(new CutTree(o.dimensions, rand));
      this.reservoirs.push([]);
    }
  }

  /** Nodes held across all trees: at most trees × (2 · sampleSize − 1), however many points were seen. */
  size(): number {
    return this.trees.reduce((a, t) => a + t.nodes, 0) + this.warmup.length;
  }

  static maxSize(o: Pick<RandomCutForestOptions, "trees" | "sampleSize">): number {
    return (o.trees ?? 50) * (2 * (o.sampleSize ?? 256) - 1);
  }

  get pointsSeen(): number {
    return this.seen;
  }

  update(raw: readonly number[]): { score: number; isAnomaly: boolean } {
    const o = this.options;
    if (raw.length !== o.dimensions) throw new Error(`random cut forest: point has ${raw.length} values, expected ${o.dimensions}`);
    for (let d = 0; d < raw.length; d++) if (!Number.isFinite(raw[d]!)) throw new Error(`random cut forest: value ${d} of the point is ${raw[d]}, not a finite number`);
    this.seen++;
    if (!this.center) {
      // Warm-up: learn the feature scales first, then build the trees from the buffered points.
      this.warmup.push([...raw]);
      if (this.warmup.length < o.sampleSize) return { score: 0, isAnomaly: false };
      this.fitScales();
      const buffered = this.warmup;
      this.warmup = [];
      for (const p of buffered) this.insertAll(this.normalise(p), true);
      return { score: 0, isAnomaly: false };
    }
    const score = this.insertAll(this.normalise(raw), false);
    // CoDisp is heavy-tailed; its logarithm is close enough to normal for a mean + k·sd rule.
    const ls = Math.log1p(score);
    const sd = Math.sqrt(this.scoreVar);
    const warm = this.seen > 2 * o.sampleSize;
    const isAnomaly = warm && ls > this.scoreMean + o.threshold * sd;
    if (!isAnomaly) {
      // Running mean/variance of normal log-scores over roughly the reservoir window.
      const a = this.seen <= 2 * o.sampleSize ? 1 / (this.seen - o.sampleSize) : 1 / o.window;
      const diff = ls - this.scoreMean;
      this.scoreMean += a * diff;
      this.scoreVar = (1 - a) * (this.scoreVar + a * diff * diff);
    }
    return { score, isAnomaly };
  }

  /**
   * Mean CoDisp of a point without inserting it or moving the running score statistics: what
   * SageMaker's RCF inference answers (its endpoint never learns from what it scores). 0 while the
   * forest is still in its warm-up (no trees yet).
   */
  score(raw: readonly number[]): number {
    if (raw.length !== this.options.dimensions) throw new Error(`random cut forest: point has ${raw.length} values, expected ${this.options.dimensions}`);
    for (let d = 0; d < raw.length; d++) if (!Number.isFinite(raw[d]!)) throw new Error(`random cut forest: value ${d} of the point is ${raw[d]}, not a finite number`);
    if (!this.center) return 0;
    const point = this.normalise(raw);
    // The walk draws random cuts; starting each score from the same random state makes a point's
    // score depend on the forest and the point only (the same request, the same answer).
    const state = this.rng.state();
    let total = 0;
    for (const tree of this.trees) total += tree.scoreWithoutInsert(point);
    this.rng.restore(state);
    return total / this.trees.length;
  }

  private fitScales(): void {
    const d = this.options.dimensions;
    const n = this.warmup.length;
    this.center = new Float64Array(d);
    this.scale = new Float64Array(d);
    for (let k = 0; k < d; k++) {
      let s = 0;
      for (const p of this.warmup) s += p[k]!;
      const m = s / n;
      let v = 0;
      for (const p of this.warmup) v += (p[k]! - m) ** 2;
      this.center[k] = m;
      // A feature that did not move during warm-up keeps unit scale: any later change is then large.
      this.scale[k] = Math.sqrt(v / n) || 1;
    }
  }

  private normalise(p: readonly number[]): Float64Array {
    const out = new Float64Array(p.length);
    for (let k = 0; k < p.length; k++) out[k] = (p[k]! - this.center![k]!) / this.scale![k]!;
    return out;
  }

  /** Scores the point in every tree (inserting it where the reservoir keeps it) and returns the mean CoDisp. */
  private insertAll(point: Float64Array, keep: boolean): number {
    const o = this.options;
    let total = 0;
    for (let t = 0; t < this.trees.length; t++) {
      const tree = this.trees[t]!;
      const res = this.reservoirs[t]!;
      if (keep || res.length < o.sampleSize) {
        const leaf = tree.insert(point);
        total += tree.codisp(leaf);
        res.push(leaf);
      } else if (this.rng.next() < o.sampleSize / Math.min(this.seen, o.window)) {
        const victim = Math.floor(this.rng.next() * res.length);
        tree.remove(res[victim]!);
        const leaf = tree.insert(point);
        total += tree.codisp(leaf);
        res[victim] = leaf;
      } else {
        // Most points after warm-up are scored and not kept: no insert, no remove.
        total += tree.scoreWithoutInsert(point);
      }
    }
    return total / this.trees.length;
  }

  toJSON(): RandomCutForestJSON {
    return {
      algorithm: RANDOM_CUT_FOREST, options: this.options, seen: this.seen, rngState: this.rng.state(),
      center: this.center ? Array.from(this.center) : null, scale: this.scale ? Array.from(this.scale) : null,
      warmup: this.warmup, scoreMean: this.scoreMean, scoreVar: this.scoreVar,
      trees: this.trees.map((tree, t) => {
        // Leaves in the same depth-first order `load` rebuilds them in.
        const order = new Map<Leaf, number>();
        const walk = (n: Node | null): void => {
          if (!n) return;
          if (isLeaf(n)) order.set(n, order.size);
          else { walk(n.left); walk(n.right); }
        };
        walk(tree.root);
        return { tree: tree.toJSON(), reservoir: this.reservoirs[t]!.map((l) => order.get(l)!) };
      }),
    };
  }

  static fromJSON(json: RandomCutForestJSON): RandomCutForest {
    if (json?.algorithm !== RANDOM_CUT_FOREST) throw new Error(`not a ${RANDOM_CUT_FOREST} model: algorithm ${(json as { algorithm?: unknown })?.algorithm}`);
    const f = new RandomCutForest(json.options);
    // seededRandom(seed) starts from `seed` as its state, so the saved state continues the same sequence.
    f.rng = seededRandom(json.rngState | 0);
    const rand = f.rng.next;
    f.trees.length = 0;
    f.reservoirs.length = 0;
    for (const t of json.trees) {
      const tree = new CutTree(json.options.dimensions, rand);
      const leaves = tree.load(t.tree);
      f.trees.push(tree);
      f.reservoirs.push(t.reservoir.map((i) => leaves[i]!));
    }
    f.seen = json.seen;
    f.center = json.center ? Float64Array.from(json.center) : null;
    f.scale = json.scale ? Float64Array.from(json.scale) : null;
    f.warmup = json.warmup.map((p) => [...p]);
    f.scoreMean = json.scoreMean;
    f.scoreVar = json.scoreVar;
    return f;
  }
}

export function loadStreamingDetector(json: RandomCutForestJSON): RandomCutForest {
  return RandomCutForest.fromJSON(json);
}
