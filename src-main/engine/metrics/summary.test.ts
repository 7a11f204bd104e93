import { describe, expect, it } from 'vitest';
import { expectClose, goldens } from './goldens/rank-goldens.js';
import { censoredMedian, fiveNumbers, histogram, linspace, mean, median, quantileSorted } from './summary.js';

describe('quantileSorted, fiveNumbers, mean and median against numpy', () => {
  it.each(goldens.quantile.map((c) => [c.name, c]))('%s: numpy.percentile (linear) at every q', (_name, c) => {
    const sorted = Float64Array.from(c.values).sort();
    c.q.forEach((q, k) => expectClose(quantileSorted(sorted, q / 100), c.percentile[k], 1e-12, `q=${q}`));
  });

  it.each(goldens.quantile.map((c) => [c.name, c]))('%s: fiveNumbers is percentile at 0, 25, 50, 75, 100', (_name, c) => {
    const at = (q: number) => c.percentile[c.q.indexOf(q)];
    const five = fiveNumbers(c.values);
    expectClose(five.min, at(0));
    expectClose(five.q1, at(25));
    expectClose(five.median, at(50));
    expectClose(five.q3, at(75));
    expectClose(five.max, at(100));
  });

  it.each(goldens.quantile.map((c) => [c.name, c]))('%s: numpy.median and numpy.mean', (_name, c) => {
    expectClose(median(c.values), c.median);
    expectClose(mean(c.values), c.mean);
  });
});

describe('summary edge cases', () => {
  it('summarises like numpy.percentile with linear interpolation (moved from margins)', () => {
    expect(fiveNumbers([4, 1, 3, 2])).toEqual({ min: 1, q1: 1.75, median: 2.5, q3: 3.25, max: 4 });
    expect(fiveNumbers([5])).toEqual({ min: 5, q1: 5, median: 5, q3: 5, max: 5 });
  });

  it('fiveNumbers throws RangeError on empty input', () => {
    expect(() => fiveNumbers([])).toThrow(RangeError);
  });

  it('fiveNumbers propagates NaN to every field, as numpy does', () => {
    expect(fiveNumbers([1, NaN, 2])).toEqual({ min: NaN, q1: NaN, median: NaN, q3: NaN, max: NaN });
  });

  it('mean, median and quantileSorted are NaN on empty input', () => {
    expect(mean([])).toBeNaN();
    expect(median([])).toBeNaN();
    expect(quantileSorted([], 0.5)).toBeNaN();
  });

  it('median averages the two middle values and propagates NaN', () => {
    expect(median([3, 1, 4, 2])).toBe(2.5);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([1, NaN])).toBeNaN();
  });

  it('quantiles of censored (+Infinity) values are the order statistic, not numpy\'s inf * 0 = NaN', () => {
    expect(quantileSorted([1, Infinity, Infinity], 0.5)).toBe(Infinity);
    expect(quantileSorted([1, 2, Infinity], 0.5)).toBe(2);
    expect(quantileSorted([1, 2, Infinity], 0.75)).toBe(Infinity);
    expect(quantileSorted([-Infinity, 1, 2], 0.25)).toBe(-Infinity);
    expect(quantileSorted([-Infinity, Infinity], 0.5)).toBeNaN();
  });

  it('quantileSorted rejects q outside [0, 1]', () => {
    expect(() => quantileSorted([1, 2], 1.5)).toThrow(RangeError);
    expect(() => quantileSorted([1, 2], NaN)).toThrow(RangeError);
  });

  it('linspace ends exactly at stop', () => {
    expect(linspace(0, 0.15, 21)[20]).toBe(0.15);
    expect(linspace(2, 3, 1)).toEqual([2]);
    expect(linspace(2, 3, 0)).toEqual([]);
  });
});

describe('histogram against numpy.histogram', () => {
  it.each(goldens.histogram.map((c) => [c.name, c]))('%s: same edges and counts', (_name, c) => {
    const got = histogram(c.values, { bins: c.bins, range: c.range ?? undefined });
    expect(got.counts).toEqual(c.counts);
    expect(got.edges.length).toBe(c.edges.length);
    got.edges.forEach((e, k) => expectClose(e, c.edges[k], 1e-15, `edge ${k}`));
  });
});

describe('histogram policy', () => {
  it('gives no bins for empty input', () => {
    expect(histogram([])).toEqual({ edges: [], counts: [] });
    expect(histogram([NaN, Infinity])).toEqual({ edges: [], counts: [] });
  });

  it.each([
    ['v = 2', [2, 2, 2], [1.9, 2.1]],
    ['v = -4', [-4], [-4.2, -3.8]],
    ['v = 0', [0, 0], [-0.5, 0.5]],
  ])('puts constant input %s into one bin of half-width 5 %% of |v| (0.5 at 0)', (_name, values, edges) => {
    const got = histogram(values, { bins: 10 });
    expect(got.counts).toEqual([values.length]);
    got.edges.forEach((e, k) => expect(e).toBeCloseTo(edges[k], 15));
  });

  it('ignores non-finite values (censored margins) and counts the rest', () => {
    const got = histogram([0, 1, Infinity, NaN, -Infinity, 2], { bins: 2 });
    expect(got).toEqual({ edges: [0, 1, 2], counts: [1, 2] });
  });

  it('closes the last bin on the right and ignores values outside the range', () => {
    expect(histogram([-1, 0, 0.5, 1, 2], { bins: 2, range: [0, 1] })).toEqual({ edges: [0, 0.5, 1], counts: [1, 2] });
  });

  it('defaults to 30 bins', () => {
    expect(histogram([0, 1]).counts.length).toBe(30);
  });

  it.each([
    ['zero bins', { bins: 0 }],
    ['fractional bins', { bins: 2.5 }],
    ['reversed range', { range: [1, 0] as [number, number] }],
    ['infinite range', { range: [0, Infinity] as [number, number] }],
  ])('rejects %s with RangeError', (_name, options) => {
    expect(() => histogram([0, 1], options)).toThrow(RangeError);
  });
});

describe('censoredMedian', () => {
  it.each([
    ['no censored sample: the 0.5-quantile', [3, 1, 2, 4], 2.5],
    ['censored ranked above every found margin', [5, Infinity, 1, 2, Infinity], 5],
    ['the middle pair found, censored beyond it', [1, 2, Infinity, 3, 4, Infinity], 3.5],
    ['half censored: beyond the range searched', [1, Infinity], null],
    ['most censored', [Infinity, Infinity, 0.3], null],
    ['empty', [], null],
  ])('%s', (_name, values, expected) => {
    expect(censoredMedian(values)).toBe(expected);
  });
});
