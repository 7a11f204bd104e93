/**
 * mulberry32: a tiny seeded PRNG (uniform in [0, 1)), so that random subsets and random starts
 * are the same on every machine and in every process for a given seed.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit seed from (seed, sample id, attempt), mixed so that neighbouring ids give unrelated streams. */
export function streamSeed(seed: number, id: number, attempt = 0): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  for (const v of [id, attempt]) {
    h = Math.imul(h ^ (v >>> 0), 0xcc9e2d51);
    h = Math.imul((h << 15) | (h >>> 17), 0x1b873593);
    h ^= h >>> 13;
  }
  return h >>> 0;
}

/** A standard normal draw by Box-Muller; 1 - u keeps the logarithm finite. */
export function gaussian(next: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}
