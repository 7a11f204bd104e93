import { describe, expect, it } from 'vitest';
import { signedMargins } from './signed-margins.js';

describe('signed margins (Wu & Yu)', () => {
  it('signs by correctness: the minimum is the most negative wrong sample, the average is the mean of |d|', () => {
    const s = signedMargins([1, 0, 1, 0], [0.5, 0.2, 0.1, 0.4]);
    expect(Array.from(s.values)).toEqual([0.5, -0.2, 0.1, -0.4]);
    expect(s.minimum).toBe(-0.4);
    expect(s.average).toBeCloseTo(0.3, 12);
    expect(s.censored).toBe(0);
  });

  it('is the smallest correct margin when every sample is correct', () => {
    expect(signedMargins([1, 1, 1], [0.3, 0.05, 0.2]).minimum).toBe(0.05);
  });

  it('leaves censored samples (no adversarial within budget) and absent margins out, and counts them', () => {
    const s = signedMargins([1, 1, 0], [Infinity, 0.2, NaN]);
    expect(Array.from(s.values)).toEqual([0.2]);
    expect(s).toMatchObject({ minimum: 0.2, average: 0.2, censored: 2 });
    expect(signedMargins([1], [Infinity])).toMatchObject({ minimum: null, average: null, censored: 1 });
  });

  it('refuses columns of different lengths', () => {
    expect(() => signedMargins([1], [0.1, 0.2])).toThrow(RangeError);
  });
});
