import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.js';
import { robustAccuracy, robustAccuracyCurve } from './robust.js';

describe('robustAccuracy', () => {
  const correct = [1, 1, 1, 0, 1];
  const inputMargin = [0.1, 0.3, Infinity, 0.5, NaN];
  it.each([
    ['counts a correct sample whose margin exceeds epsilon', 0.2, 2 / 5],
    ['does not count a margin equal to epsilon (robust needs d_in > epsilon)', 0.3, 1 / 5],
    ['keeps a censored sample robust at every epsilon', 1e9, 1 / 5],
    ['never counts a misclassified sample, whatever its margin', 0.4, 1 / 5],
    ['never counts a NaN margin', 0, 3 / 5],
  ])('%s', (_, epsilon, expected) => {
    expect(robustAccuracy(correct, inputMargin, epsilon)).toBe(expected);
  });

  it('is NaN for no samples', () => {
    expect(robustAccuracy([], [], 0.1)).toBeNaN();
  });

  it('throws RangeError on a length mismatch', () => {
    expect(() => robustAccuracy([1], [], 0.1)).toThrow(RangeError);
  });
});

describe('robustAccuracyCurve', () => {
  it('steps down at each distinct margin of a correct sample, already at that epsilon', () => {
    const curve = robustAccuracyCurve([1, 1, 1, 1, 0, 1, 1], [0.2, 0.1, 0.2, Infinity, 0.05, 0, 0.4]);
    expect(curve).toEqual([
      { epsilon: 0, robustAccuracy: 5 / 7 },
      { epsilon: 0.1, robustAccuracy: 4 / 7 },
      { epsilon: 0.2, robustAccuracy: 2 / 7 },
      { epsilon: 0.4, robustAccuracy: 1 / 7 },
    ]);
  });

  it('gives at every epsilon the value robustAccuracy gives there', () => {
    const random = mulberry32(3);
    const n = 300;
    const correct = Float64Array.from({ length: n }, () => (random() < 0.8 ? 1 : 0));
    const margin = Float64Array.from({ length: n }, () => (random() < 0.1 ? Infinity : Math.round(random() * 40) / 100));
    const curve = robustAccuracyCurve(correct, margin);
    const valueAt = (epsilon: number) => curve.filter((p) => p.epsilon <= epsilon).at(-1)!.robustAccuracy;
    for (const epsilon of [0, 0.005, 0.1, 0.105, 0.2, 0.39, 0.4, 0.41, 5]) {
      expect(valueAt(epsilon), `epsilon ${epsilon}`).toBe(robustAccuracy(correct, margin, epsilon));
    }
  });

  it.each([
    ['is empty for no samples', [], [], []],
    ['is one point when every correct sample is censored', [1, 0], [Infinity, 0.1], [{ epsilon: 0, robustAccuracy: 0.5 }]],
  ])('%s', (_, correct, margin, expected) => {
    expect(robustAccuracyCurve(correct, margin)).toEqual(expected);
  });
});
