import { describe, expect, it } from 'vitest';
import { binnedConsistency } from './binned.js';
import { expectClose, goldens } from './goldens/rank-goldens.js';

describe('binnedConsistency against the paper pipeline in numpy (PAPER-METHODS.md section 5)', () => {
  it.each(goldens.binned.map((c) => [c.name, c]))('%s', (_name, c) => {
    const got = binnedConsistency(c.x, c.y, { trim: c.trim, bins: c.bins, edges: c.edges });
    expect(got.kept).toBe(c.result.kept);
    expect(got.bins.map((b) => b.n)).toEqual(c.result.bins.map((b) => b.n));
    got.bins.forEach((b, k) => {
      const ref = c.result.bins[k];
      expectClose(b.x, ref.x, 1e-12, `bin ${k} x`);
      expectClose(b.y, ref.y, 1e-12, `bin ${k} y`);
      if (ref.sem === null) expect(b.sem).toBeNull();
      else expectClose(b.sem!, ref.sem, 1e-12, `bin ${k} sem`);
    });
  });
});

describe('binnedConsistency behaviour', () => {
  // 0.5, 1, ..., 10: the 5th and 95th percentiles are 0.975 and 9.525, so 1..9.5 are kept (18 samples);
  // the 10th and 90th are 1.45 and 9.05, so 1.5..9 are kept (16).
  const x = Array.from({ length: 20 }, (_, i) => (i + 1) / 2);
  const y = x.map((v) => 2 * v);

  it('keeps x strictly between the trim percentiles', () => {
    expect(binnedConsistency(x, y).kept).toBe(18);
    expect(binnedConsistency(x, y, { trim: [10, 90] }).kept).toBe(16);
    // The minimum and maximum fail the strict inequalities even with no trim.
    expect(binnedConsistency(x, y, { trim: [0, 100] }).kept).toBe(18);
  });

  it("drops the sample at the largest kept x in 'range' mode (the paper's Fig. 7 quirk)", () => {
    const got = binnedConsistency(x, y, { bins: 4 });
    expect(got.kept).toBe(18);
    expect(got.bins.reduce((a, b) => a + b.n, 0)).toBe(17);
  });

  it('drops x below the first edge and at or above the last edge of fixed edges', () => {
    const got = binnedConsistency(x, y, { edges: [2, 4], bins: 2, trim: [0, 100] });
    // Kept x in [2, 4): 2, 2.5, 3, 3.5.
    expect(got.bins.map((b) => b.n)).toEqual([2, 2]);
    expect(got.bins.map((b) => b.x)).toEqual([2.25, 3.25]);
  });

  it('normalises y to [0, 1] over the kept samples', () => {
    // Kept x = 1..9.5 in 17 bins of width 0.5: the first bin holds x = 1 alone, whose y is the minimum.
    const got = binnedConsistency(x, y, { bins: 17 });
    expect(got.bins[0].y).toBe(0);
    expect(Math.max(...got.bins.map((b) => b.y))).toBeLessThan(1);
  });

  it('maps a constant y to 0 instead of dividing by zero', () => {
    const got = binnedConsistency(x, x.map(() => 3));
    for (const b of got.bins) expect(b.y).toBe(0);
  });

  it('gives a bin of one sample a null standard error', () => {
    const got = binnedConsistency([1, 2, 3, 4], [1, 2, 3, 4], { trim: [0, 100], bins: 2, edges: [0, 10] });
    expect(got.bins).toEqual([{ x: 2.5, y: 0.5, sem: expect.any(Number), n: 2 }]);
    const single = binnedConsistency([1, 2, 3], [1, 5, 3], { trim: [0, 100], bins: 10, edges: [0, 2.5] });
    // Only x = 2 survives the strict trim, so its y is the constant of its set and normalises to 0.
    expect(single.bins).toEqual([{ x: 2, y: 0, sem: null, n: 1 }]);
  });

  it('gives no bins when nothing survives the trim', () => {
    expect(binnedConsistency([], [])).toEqual({ bins: [], kept: 0 });
    expect(binnedConsistency([1, 1, 1], [1, 2, 3])).toEqual({ bins: [], kept: 0 });
  });

  it.each([
    ['+Infinity in x (a censored margin)', [1, Infinity], [1, 2], {}],
    ['NaN in x', [NaN, 1], [1, 2], {}],
    ['NaN in y', [1, 2], [NaN, 1], {}],
    ['a length mismatch', [1, 2], [1], {}],
    ['reversed trim', [1, 2], [1, 2], { trim: [95, 5] as [number, number] }],
    ['zero bins', [1, 2], [1, 2], { bins: 0 }],
    ['empty edges', [1, 2], [1, 2], { edges: [1, 1] as [number, number] }],
  ])('throws RangeError on %s', (_name, xs, ys, options) => {
    expect(() => binnedConsistency(xs, ys, options)).toThrow(RangeError);
  });
});
