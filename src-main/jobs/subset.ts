import type { Subset } from '../../src-preload/contract.js';
import { UserError } from '../errors.js';

/** mulberry32: a tiny seeded generator, so that a random subset is the same on every machine. */
function mulberry32(seed: number): () => number {
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
 * The dataset indices a run evaluates, in ascending order (so that reads stream through the
 * stored chunks). Position p of the run is the p-th entry.
 */
export function subsetIndices(subset: Subset, datasetCount: number): Int32Array {
  if (subset.mode === 'all') return Int32Array.from({ length: datasetCount }, (_, i) => i);
  if (subset.count > datasetCount) throw new UserError(`the dataset has ${datasetCount} samples; cannot take ${subset.count}`);
  if (subset.mode === 'first') return Int32Array.from({ length: subset.count }, (_, i) => i);
  // Partial Fisher-Yates: the first `count` slots are a uniform sample without replacement.
  const random = mulberry32(subset.seed);
  const pool = Int32Array.from({ length: datasetCount }, (_, i) => i);
  for (let i = 0; i < subset.count; i++) {
    const j = i + Math.floor(random() * (datasetCount - i));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, subset.count).sort();
}
