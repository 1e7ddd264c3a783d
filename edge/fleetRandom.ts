/**
 * The simulator's randomness: small, fast and reproducible. Every device, site and fault plan has
 * its own stream seeded from (seed, tenant, device, ...), so what one device draws never depends
 * on another, nor on how a run is cut into windows.
 */

/** mulberry32: tiny, fast, good enough for simulation, and reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * FNV-1a over the parts joined with "|", then murmur3's finaliser: a 32-bit seed for one stream.
 * The finaliser matters: FNV alone leaves seeds of "day 1" and "day 2" close, and mulberry32's
 * first draws from close seeds are correlated.
 */
export function hashSeed(...parts: (string | number)[]): number {
  let h = 2166136261;
  for (const ch of parts.join("|")) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 16777619);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** An exponential draw with the given mean. */
export function exponential(rand: () => number, mean: number): number {
  return -Math.log(1 - rand()) * mean;
}

/** A Poisson draw (Knuth; fine for the small means used here). */
export function poisson(rand: () => number, mean: number): number {
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = rand(); p > limit; p *= rand()) k++;
  return k;
}

/** Index of the first cumulative share above a uniform draw. */
export function pickIndex(rand: () => number, cdf: Float64Array): number {
  const r = rand();
  let i = 0;
  while (i < cdf.length - 1 && r >= cdf[i]!) i++;
  return i;
}
