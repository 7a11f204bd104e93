import { describe, expect, it } from 'vitest';
import { argmax, dualNorm, featureMargin, logitMargin, pairwiseWeightDistances, upperTriangle, vectorNorm } from './margins.js';

function seeded(seed: number) {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32 - 0.5;
  };
}

describe('margins', () => {
  it('takes the logit margin against the runner-up of the predicted class', () => {
    expect(logitMargin([1, 5, 3, 4.5], 0, 4)).toBeCloseTo(0.5);
    expect(logitMargin([0, 0, 9, 1, 2, 7], 3, 3)).toBeCloseTo(5);
    expect(argmax([2, 7, 7])).toBe(1);
  });

  it('pairs each norm with its dual', () => {
    expect([dualNorm('linf'), dualNorm('l2'), dualNorm('l1')]).toEqual(['l1', 'l2', 'linf']);
    expect([vectorNorm([3, -4], 'l2'), vectorNorm([3, -4], 'l1'), vectorNorm([3, -4], 'linf')]).toEqual([5, 7, 4]);
  });

  it('gives the exact distance to the head boundary: moving the features that far ties the two logits', () => {
    const random = seeded(7);
    const classes = 5;
    const features = 8;
    const W = Float32Array.from({ length: classes * features }, random);
    const b = Float32Array.from({ length: classes }, random);
    const z = Float64Array.from({ length: features }, random);
    const logitsOf = (h: ArrayLike<number>) =>
      Float64Array.from({ length: classes }, (_, c) => b[c] + Array.from(h).reduce((s, hk, k) => s + W[c * features + k] * hk, 0));
    const logits = logitsOf(z);
    const i = argmax(logits);
    for (const norm of ['l2', 'linf'] as const) {
      const distances = pairwiseWeightDistances(W, classes, features, dualNorm(norm));
      const margin = featureMargin(logits, 0, classes, distances);
      // Find the binding class and step along the worst-case direction for that norm.
      let j = -1;
      for (let c = 0; c < classes; c++) {
        if (c !== i && Math.abs((logits[i] - logits[c]) / distances[i * classes + c] - margin) < 1e-12) j = c;
      }
      const diff = Float64Array.from({ length: features }, (_, k) => W[j * features + k] - W[i * features + k]);
      const step =
        norm === 'l2' ? diff.map((d) => (d / vectorNorm(diff, 'l2')) * margin) : diff.map((d) => Math.sign(d) * margin);
      const moved = logitsOf(z.map((zk, k) => zk + step[k]));
      expect(moved[i] - moved[j]).toBeCloseTo(0, 9);
      expect(vectorNorm(step, norm)).toBeCloseTo(margin, 12);
    }
  });

  it('lists the C(C-1)/2 distinct pairs', () => {
    const W = Float32Array.from([0, 0, 3, 4, 6, 8]);
    const distances = pairwiseWeightDistances(W, 3, 2, 'l2');
    expect(Array.from(upperTriangle(distances, 3))).toEqual([5, 10, 5]);
  });
});
