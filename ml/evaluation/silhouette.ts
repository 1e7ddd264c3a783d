/**
 * Mean silhouette coefficient (Rousseeuw 1987): for each point, a = mean distance to its own
 * cluster, b = smallest mean distance to another cluster, s = (b - a) / max(a, b); a point alone in
 * its cluster scores 0. Euclidean distance; O(n²), fine for fleets of hundreds of machines.
 */
export function silhouette(points: readonly (readonly number[])[], labels: readonly number[]): number {
  const n = points.length;
  if (labels.length !== n) throw new Error(`silhouette: ${n} points but ${labels.length} labels`);
  const k = new Set(labels).size;
  if (k < 2 || k >= n) throw new Error(`silhouette: needs 2 ≤ clusters < points, got ${k} clusters for ${n} points`);
  const ids = [...new Set(labels)];
  const index = new Map(ids.map((c, i) => [c, i]));
  const size = new Array<number>(ids.length).fill(0);
  for (const l of labels) size[index.get(l)!]!++;
  let total = 0;
  const sums = new Float64Array(ids.length);
  for (let i = 0; i < n; i++) {
    sums.fill(0);
    for (let j = 0; j < n; j++) if (j !== i) sums[index.get(labels[j]!)!]! += distance(points[i]!, points[j]!);
    const own = index.get(labels[i]!)!;
    if (size[own]! <= 1) continue; // s(i) = 0 by definition
    const a = sums[own]! / (size[own]! - 1);
    let b = Infinity;
    for (let c = 0; c < ids.length; c++) if (c !== own) b = Math.min(b, sums[c]! / size[c]!);
    const m = Math.max(a, b);
    total += m === 0 ? 0 : (b - a) / m;
  }
  return total / n;
}

export function distance(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let d = 0; d < a.length; d++) s += (a[d]! - b[d]!) ** 2;
  return Math.sqrt(s);
}
