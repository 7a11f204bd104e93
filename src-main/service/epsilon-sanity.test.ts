import { describe, expect, it } from 'vitest';
import { epsilonWarning, largestDistance } from './epsilon-sanity.js';

const mnist = [1, 28, 28];

describe('epsilonWarning', () => {
  it('passes epsilons within the largest distance between two [0,1] images', () => {
    expect(epsilonWarning([8 / 255, 0.3, 1], 'linf', mnist)).toBeNull();
    expect(epsilonWarning([0.5, 28], 'l2', mnist)).toBeNull();
    expect(epsilonWarning([10, 784], 'l1', mnist)).toBeNull();
    expect(epsilonWarning([], 'linf', mnist)).toBeNull();
  });

  it('asks "did you mean 8/255?" for an l_inf epsilon of 8, suggesting every epsilon over 255', () => {
    const warning = epsilonWarning([2 / 255, 8], 'linf', mnist);
    expect(warning).toMatchObject({ kind: 'epsilon', needsConfirmation: true });
    expect(warning?.message).toBe('ε = 8 is larger than 1, the largest ℓ∞ distance between two images in [0,1] pixel units; did you mean 8/255?');
    expect(warning?.suggestion?.[0]).toBeCloseTo(2 / 255, 12);
    expect(warning?.suggestion?.[1]).toBeCloseTo(8 / 255, 12);
  });

  it('flags 300/255 in l_inf without a suggestion: it is no typo of k/255', () => {
    const warning = epsilonWarning([300 / 255], 'linf', mnist);
    expect(warning?.message).toMatch(/^ε = 300\/255 is larger than 1, .*; epsilons are in \[0,1\] pixel units, e\.g\. 8\/255 for ℓ∞$/);
    expect(warning?.suggestion).toBeNull();
  });

  it('bounds l2 by sqrt(d) and l1 by d, suggesting the value over 255', () => {
    expect(largestDistance('l2', 784)).toBe(28);
    expect(largestDistance('l1', 784)).toBe(784);
    const l2 = epsilonWarning([128], 'l2', mnist);
    expect(l2?.message).toBe('ε = 128 is larger than 28, the largest ℓ2 distance between two 1×28×28 images in [0,1] pixel units (√d); did you mean 128/255?');
    expect(l2?.suggestion?.[0]).toBeCloseTo(128 / 255, 12);
    const l1 = epsilonWarning([1000, 2000], 'l1', mnist);
    expect(l1?.message).toMatch(/^ε = 1000, 2000 are larger than 784, the largest ℓ1 distance .* \(d\); did you mean 1000\/255, 2000\/255\?$/);
    expect(epsilonWarning([1e6], 'l1', mnist)?.suggestion).toBeNull();
  });
});
