import type { Subset } from '../../src-preload/contract.js';
import { mulberry32 } from '../engine/random.js';
import { UserError } from '../errors.js';

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
