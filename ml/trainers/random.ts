/** Seeded randomness for the trainers: the same seed gives the same model (mulberry32, 32-bit state). */
export function seededRandom(seed: number): { next: () => number; state: () => number; restore: (state: number) => void } {
  if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  let a = seed >>> 0;
  return {
    next: () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
    state: () => a,
    restore: (state: number) => {
      a = state >>> 0;
    },
  };
}
