import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.js';
import { bootstrapCi, bootstrapCis, gather, resampleIndices } from './bootstrap.js';
import { denseRanks, kendallTauB } from './rank.js';
import { mean } from './summary.js';

function normalSample(n: number, seed: number): Float64Array {
  const rng = mulberry32(seed);
  // Box-Muller: enough for a sample with a known mean.
  return Float64Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng()) + 10);
}

describe('resampleIndices and gather', () => {
  it('draws n indices in [0, n) with replacement, into the given buffer', () => {
    const buffer = new Uint32Array(8);
    const got = resampleIndices(5, mulberry32(3), buffer);
    expect(got.length).toBe(5);
    expect(got.buffer).toBe(buffer.buffer);
    for (const i of got) expect(i).toBeLessThan(5);
  });

  it('is the same for the same seed', () => {
    expect(resampleIndices(50, mulberry32(9))).toEqual(resampleIndices(50, mulberry32(9)));
  });

  it('gathers source[indices] as float64, into a buffer when given', () => {
    const into = new Float64Array(4);
    const got = gather([10, 20, 30], Uint32Array.from([2, 0, 2]), into);
    expect(Array.from(got)).toEqual([30, 10, 30]);
    expect(got.buffer).toBe(into.buffer);
    expect(Array.from(gather([1, 2], Uint32Array.from([1])))).toEqual([2]);
  });

  it('rejects buffers that are too small', () => {
    expect(() => resampleIndices(5, mulberry32(0), new Uint32Array(4))).toThrow(RangeError);
    expect(() => gather([1, 2], Uint32Array.from([0, 1]), new Float64Array(1))).toThrow(RangeError);
  });
});

describe('bootstrapCi', () => {
  const sample = normalSample(400, 1);
  const meanOf = (indices: Uint32Array) => mean(gather(sample, indices));

  it('gives the same interval for the same seed (deterministic)', () => {
    expect(bootstrapCi(sample.length, meanOf, { seed: 5 })).toEqual(bootstrapCi(sample.length, meanOf, { seed: 5 }));
  });

  it('gives a different interval for another seed', () => {
    expect(bootstrapCi(sample.length, meanOf, { seed: 5 })).not.toEqual(bootstrapCi(sample.length, meanOf, { seed: 6 }));
  });

  it('covers the sample mean, with a width near 2 x 1.96 standard errors', () => {
    const [lo, hi] = bootstrapCi(sample.length, meanOf)!;
    const m = mean(sample);
    expect(lo).toBeLessThan(m);
    expect(hi).toBeGreaterThan(m);
    let ss = 0;
    for (const v of sample) ss += (v - m) ** 2;
    const se = Math.sqrt(ss / (sample.length - 1) / sample.length);
    expect((hi - lo) / (2 * 1.96 * se)).toBeGreaterThan(0.85);
    expect((hi - lo) / (2 * 1.96 * se)).toBeLessThan(1.15);
  });

  it('narrows as the level drops', () => {
    const [lo95, hi95] = bootstrapCi(sample.length, meanOf, { level: 0.95 })!;
    const [lo50, hi50] = bootstrapCi(sample.length, meanOf, { level: 0.5 })!;
    expect(hi50 - lo50).toBeLessThan(hi95 - lo95);
  });

  it('takes numpy.percentile of the statistics at exactly 2.5 and 97.5 for level 0.95', () => {
    // Statistics 0, 1, ..., 999 in a known order: the percentiles of 0..999 are 24.975 and 974.025.
    let call = 0;
    const ci = bootstrapCi(10, () => (call++ * 7919) % 1000, { resamples: 1000 });
    expect(ci).toEqual([24.975, 974.025]);
  });

  it('drops NaN statistics, and is null when fewer than 2 remain', () => {
    let call = 0;
    expect(bootstrapCi(10, () => (call++ % 2 === 0 ? NaN : call), { resamples: 10 })).not.toBeNull();
    expect(bootstrapCi(10, () => NaN, { resamples: 10 })).toBeNull();
    let once = 0;
    expect(bootstrapCi(10, () => (once++ === 0 ? 1 : NaN), { resamples: 10 })).toBeNull();
  });

  it('is null for no samples', () => {
    expect(bootstrapCi(0, () => 1)).toBeNull();
  });

  it('reuses one index buffer across resamples', () => {
    const seen = new Set<ArrayBufferLike>();
    bootstrapCi(20, (indices) => (seen.add(indices.buffer), 0), { resamples: 5 });
    expect(seen.size).toBe(1);
  });

  it.each([
    ['a negative n', -1, {}],
    ['a fractional n', 2.5, {}],
    ['zero resamples', 10, { resamples: 0 }],
    ['level 1', 10, { level: 1 }],
    ['level 0', 10, { level: 0 }],
  ])('rejects %s with RangeError', (_name, n, options) => {
    expect(() => bootstrapCi(n, () => 0, options)).toThrow(RangeError);
  });

  it('gives a Kendall tau interval around the tau of a correlated sample', () => {
    const rng = mulberry32(11);
    const n = 2000;
    const x = Float64Array.from({ length: n }, () => Math.floor(rng() * 20));
    const y = x.map((v) => v + Math.floor(rng() * 20));
    const bx = new Float64Array(n);
    const by = new Float64Array(n);
    const tau = kendallTauB(x, y);
    const [lo, hi] = bootstrapCi(n, (idx) => kendallTauB(gather(x, idx, bx), gather(y, idx, by)), { resamples: 200 })!;
    expect(lo).toBeLessThan(tau);
    expect(hi).toBeGreaterThan(tau);
    expect(hi - lo).toBeLessThan(0.1);
    // Resampling ranks computed once gives the same tau per resample, so the same interval.
    const rx = denseRanks(x).ranks;
    const ry = denseRanks(y).ranks;
    expect(bootstrapCi(n, (idx) => kendallTauB(gather(rx, idx, bx), gather(ry, idx, by)), { resamples: 200 })).toEqual([lo, hi]);
  });
});

describe('bootstrapCis', () => {
  it('gives each statistic the interval bootstrapCi gives it alone, from one shared draw of resamples', () => {
    const rng = mulberry32(3);
    const values = Float64Array.from({ length: 300 }, () => rng());
    const flags = Uint8Array.from(values, (v) => (v > 0.4 ? 1 : 0));
    const meanOf = (idx: Uint32Array) => mean(gather(values, idx));
    const shareOf = (idx: Uint32Array) => mean(gather(flags, idx));
    const options = { resamples: 120, seed: 9 };
    expect(bootstrapCis(values.length, [meanOf, shareOf], options)).toEqual([bootstrapCi(values.length, meanOf, options), bootstrapCi(values.length, shareOf, options)]);
    expect(bootstrapCis(0, [meanOf], options)).toEqual([null]);
  });
});
