import { describe, expect, it } from 'vitest';
import { uniform } from '../autodiff/test-harness.js';
import { dualNorm, lpNorm, projectL1Ball, projectL2Ball, projectLinfBall, projectLpBall } from './lp-ball.js';

/** The l1 projection's threshold found independently: bisection on theta in sum max(|v| - theta, 0) = eps. */
function thresholdByBisection(v: Float32Array, eps: number): number {
  let lo = 0;
  let hi = Math.max(...Array.from(v, Math.abs));
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    const mass = Array.from(v).reduce((s, a) => s + Math.max(Math.abs(a) - mid, 0), 0);
    if (mass > eps) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

describe('lp norms', () => {
  it('computes linf, l2 and l1 norms and pairs each with its dual', () => {
    const v = Float32Array.from([3, -4, 0]);
    expect([lpNorm(v, 'linf'), lpNorm(v, 'l2'), lpNorm(v, 'l1')]).toEqual([4, 5, 7]);
    expect([dualNorm('linf'), dualNorm('l2'), dualNorm('l1')]).toEqual(['l1', 'l2', 'linf']);
  });
});

describe('the l1-ball projection (Duchi et al. 2008)', () => {
  it('matches the soft threshold found by bisection, with the signs kept', () => {
    for (const [seed, size, eps] of [['a', 784, 3], ['b', 16, 0.5], ['c', 100, 0.01], ['d', 5, 2.9]] as const) {
      const v = uniform(size, seed, -1, 1);
      const w = Float32Array.from(v);
      projectL1Ball(w, eps);
      const theta = thresholdByBisection(v, eps);
      expect(lpNorm(w, 'l1')).toBeCloseTo(eps, 4);
      for (let k = 0; k < size; k++) {
        expect(w[k]).toBeCloseTo(Math.sign(v[k]) * Math.max(Math.abs(v[k]) - theta, 0), 5);
        expect(w[k] * v[k]).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it('is nearer to v than other points of the ball', () => {
    const v = uniform(32, 'near', -1, 1);
    const w = Float32Array.from(v);
    projectL1Ball(w, 1);
    const distance = (p: Float32Array) => Math.hypot(...Array.from(p, (value, k) => value - v[k]));
    for (let trial = 0; trial < 50; trial++) {
      const other = uniform(32, `other ${trial}`, -1, 1);
      projectLpBall(other, 1, 'l1');
      expect(distance(w)).toBeLessThanOrEqual(distance(other) + 1e-6);
    }
  });

  it('keeps points inside the ball, zeroes everything for eps 0 and handles ties', () => {
    const inside = Float32Array.from([0.1, -0.2, 0.3]);
    projectL1Ball(inside, 1);
    expect(Array.from(inside)).toEqual(Array.from(Float32Array.from([0.1, -0.2, 0.3])));
    const zero = Float32Array.from([0.5, -0.5]);
    projectL1Ball(zero, 0);
    expect(Array.from(zero)).toEqual([0, 0]);
    const ties = Float32Array.from([1, -1, 1, -1]);
    projectL1Ball(ties, 2);
    expect(Array.from(ties)).toEqual([0.5, -0.5, 0.5, -0.5]);
    const one = Float32Array.from([0, 3, 0]);
    projectL1Ball(one, 1);
    expect(Array.from(one)).toEqual([0, 1, 0]);
  });
});

describe('the l2 and linf projections', () => {
  it('scales onto the l2 sphere and clamps into the linf cube; eps = inf changes nothing', () => {
    const v = Float32Array.from([3, -4]);
    projectL2Ball(v, 1);
    expect(v[0]).toBeCloseTo(0.6, 6);
    expect(v[1]).toBeCloseTo(-0.8, 6);
    const c = Float32Array.from([0.3, -0.05, -2]);
    projectLinfBall(c, 0.1);
    expect(Array.from(c)).toEqual(Array.from(Float32Array.from([0.1, -0.05, -0.1])));
    const free = Float32Array.from([5, -5]);
    for (const norm of ['linf', 'l2', 'l1'] as const) projectLpBall(free, Infinity, norm);
    expect(Array.from(free)).toEqual([5, -5]);
  });
});
