/**
 * Percentile bootstrap confidence intervals (Efron's percentile method; the 'percentile' method of
 * scipy.stats.bootstrap, with Brink's own seeded generator so that an interval is the same on
 * every machine for a given seed).
 */
import { mulberry32 } from '../random.js';
import { quantileSorted } from './summary.js';

export interface BootstrapOptions {
  /** Number of resamples; 1000 when left out. */
  resamples?: number;
  /** Seed of mulberry32; 0 when left out. */
  seed?: number;
  /** Coverage of the interval, in (0, 1); 0.95 when left out. */
  level?: number;
}

/**
 * n indices drawn uniformly with replacement from 0..n-1, floor(rng() * n) each, written into
 * `into` when given (into itself when its length is n, else a view of its first n entries), so that
 * a loop of resamples allocates nothing.
 */
export function resampleIndices(n: number, rng: () => number, into?: Uint32Array): Uint32Array {
  const out = into ? (into.length === n ? into : into.subarray(0, n)) : new Uint32Array(n);
  if (out.length < n) throw new RangeError(`the index buffer holds ${out.length} entries, ${n} needed`);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rng() * n);
  return out;
}

/**
 * source[indices[i]] for each i, as float64: how a statistic reads one resample of a column.
 * Writes into `into` when given (into itself when the lengths agree, else a view of its first
 * indices.length entries), so a statistic can keep one buffer per column across all resamples.
 */
export function gather(source: ArrayLike<number>, indices: Uint32Array, into?: Float64Array): Float64Array {
  const out = into ? (into.length === indices.length ? into : into.subarray(0, indices.length)) : new Float64Array(indices.length);
  if (out.length < indices.length) throw new RangeError(`the buffer holds ${out.length} entries, ${indices.length} needed`);
  for (let i = 0; i < indices.length; i++) out[i] = source[indices[i]];
  return out;
}

/**
 * Percentile bootstrap interval of a statistic of n samples.
 *
 * Each of `resamples` resamples draws n indices with replacement (`resampleIndices`, mulberry32
 * seeded with `seed`, so the interval is deterministic) and calls statistic(indices). The same
 * Uint32Array is reused for every resample: a statistic must read it during the call and not keep
 * it (copy it if it must). Statistics that come out NaN (a resample where the statistic is
 * undefined, such as a constant resample for a correlation) are dropped, which conditions the
 * interval on the statistic being defined. The interval is numpy.percentile(kept, [a, 100 - a])
 * with a = (100 - 100 level)/2 ('linear' method), so level 0.95 gives exactly [2.5, 97.5].
 *
 * For a rank statistic, gather from ranks computed once (`denseRanks(x).ranks`): resamples of the
 * ranks have the same order and ties as resamples of the values, so the statistic is the same, and
 * small whole numbers take fewer radix-sort passes.
 *
 * null when fewer than 2 statistics are kept (including n = 0). RangeError for a negative or
 * fractional n, a resample count below 1, or a level outside (0, 1).
 */
export function bootstrapCi(n: number, statistic: (indices: Uint32Array) => number, options: BootstrapOptions = {}): [number, number] | null {
  return bootstrapCis(n, [statistic], options)[0];
}

/**
 * Intervals of several statistics of the same n samples from the same resamples (one draw of
 * indices per resample, shared): each interval equals `bootstrapCi` of that statistic alone with
 * the same options, at the cost of one draw instead of one per statistic.
 */
export function bootstrapCis(n: number, statistics: ((indices: Uint32Array) => number)[], options: BootstrapOptions = {}): ([number, number] | null)[] {
  const resamples = options.resamples ?? 1000;
  const level = options.level ?? 0.95;
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`bootstrap needs a whole number of samples, got ${n}`);
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`bootstrap needs at least one resample, got ${resamples}`);
  if (!(level > 0 && level < 1)) throw new RangeError(`bootstrap level ${level} is outside (0, 1)`);
  if (n === 0) return statistics.map(() => null);
  const rng = mulberry32(options.seed ?? 0);
  const indices = new Uint32Array(n);
  const kept = statistics.map(() => new Float64Array(resamples));
  const counts = new Array<number>(statistics.length).fill(0);
  for (let r = 0; r < resamples; r++) {
    resampleIndices(n, rng, indices);
    statistics.forEach((statistic, k) => {
      const value = statistic(indices);
      if (!Number.isNaN(value)) kept[k][counts[k]++] = value;
    });
  }
  const alpha = (100 - 100 * level) / 2;
  return kept.map((values, k) => {
    if (counts[k] < 2) return null;
    const sorted = values.subarray(0, counts[k]).sort();
    return [quantileSorted(sorted, alpha / 100), quantileSorted(sorted, (100 - alpha) / 100)];
  });
}
