import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.js';
import { ALGORITHM1_ALPHAS, algorithm1Study, calibrateThreshold, drawSubset, estimateRobustAccuracy, type MarginData } from './algorithm1.js';
import { robustAccuracy } from './robust.js';

interface Expected {
  threshold: number;
  alpha: number;
  subsetRobustAccuracy: number;
  subsetEstimate: number;
  estimate: number;
}
interface Dataset {
  name: string;
  epsilon: number;
  inputMargin: number[];
  logitMargin: number[];
  correct: number[];
  robustAccuracy: number;
  subsets: number[][];
  expected: (Expected | null)[];
}

/** JSON with infinities and NaN written as strings (the goldens script's encoding). */
const special: Record<string, number> = { Infinity: Infinity, '-Infinity': -Infinity, NaN: NaN };
const goldens: { alphas: number[]; datasets: Dataset[] } = JSON.parse(
  readFileSync(new URL('./goldens/algorithm1.json', import.meta.url), 'utf8'),
  (_, v) => (typeof v === 'string' && v in special ? special[v] : v),
);

const subsetCases = goldens.datasets.flatMap((data) =>
  data.subsets.map((subset, k) => ({ name: `${data.name}: subset ${k} of ${subset.length}`, data, subset, expected: data.expected[k] })),
);

function syntheticData(seed: number, n: number): MarginData {
  const random = mulberry32(seed);
  const inputMargin = Float64Array.from({ length: n }, () => (random() < 0.1 ? Infinity : random() * 0.1));
  const logitMargin = Float64Array.from(inputMargin, (d) => Math.round((Math.min(d, 0.2) * 20 + random()) * 100) / 100);
  const correct = Uint8Array.from({ length: n }, () => (random() < 0.85 ? 1 : 0));
  return { inputMargin, logitMargin, correct };
}

describe('Algorithm 1 agrees with the Python transcription of the authors code (goldens/algorithm1.json)', () => {
  it('searches the authors alpha grid', () => {
    expect(ALGORITHM1_ALPHAS).toEqual(goldens.alphas);
  });

  it.each(goldens.datasets)('$name: robust accuracy over all samples', (data) => {
    expect(robustAccuracy(data.correct, data.inputMargin, data.epsilon)).toBe(data.robustAccuracy);
  });

  it.each(subsetCases)('$name', ({ data, subset, expected }) => {
    const calibration = calibrateThreshold(data, subset, data.epsilon);
    if (expected === null) return expect(calibration).toBeNull();
    expect(calibration).toEqual({
      threshold: expected.threshold,
      alpha: expected.alpha,
      subsetRobustAccuracy: expected.subsetRobustAccuracy,
      subsetEstimate: expected.subsetEstimate,
    });
    expect(estimateRobustAccuracy(data.logitMargin, data.correct, calibration!.threshold)).toBe(expected.estimate);
  });
});

describe('calibrateThreshold', () => {
  it.each([
    ['only non-robust samples', [0, 1]],
    ['only robust samples, one of them censored', [2, 3]],
  ])('is null for a subset of %s', (_, subset) => {
    const data = { inputMargin: [0.01, 0.02, 0.5, Infinity], logitMargin: [0.1, 0.2, 0.3, 0.4], correct: [1, 1, 1, 1] };
    expect(calibrateThreshold(data, subset, 0.03)).toBeNull();
  });

  it('picks the earliest alpha when several estimates are equally near', () => {
    // Perfectly consistent margins: every alpha gives the same threshold and the exact answer.
    const data = { inputMargin: [0.01, 0.02, 0.05, 0.06], logitMargin: [1, 2, 5, 6], correct: [1, 1, 1, 1] };
    expect(calibrateThreshold(data, [0, 1, 2, 3], 0.03)).toEqual({ threshold: 2, alpha: 0.8, subsetRobustAccuracy: 0.5, subsetEstimate: 0.5 });
  });

  it('throws RangeError on an index outside the data', () => {
    expect(() => calibrateThreshold(syntheticData(1, 10), [0, 10], 0.05)).toThrow(RangeError);
  });
});

describe('estimateRobustAccuracy', () => {
  it('counts correct samples with d_out strictly above lambda', () => {
    expect(estimateRobustAccuracy([0.5, 1, 2, 3], [1, 1, 0, 1], 1)).toBe(1 / 4);
  });
});

describe('drawSubset', () => {
  it('draws distinct indices in range, the same for the same seed', () => {
    const a = drawSubset(1000, 300, mulberry32(9));
    expect(new Set(a).size).toBe(300);
    expect(Math.max(...a)).toBeLessThan(1000);
    expect(a).toEqual(drawSubset(1000, 300, mulberry32(9)));
    expect(a).not.toEqual(drawSubset(1000, 300, mulberry32(10)));
  });

  it('draws every index when size equals n, and refuses more', () => {
    expect(Array.from(drawSubset(5, 5, mulberry32(1))).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(() => drawSubset(5, 6, mulberry32(1))).toThrow(RangeError);
  });
});

describe('algorithm1Study', () => {
  const data = syntheticData(4, 600);
  const epsilon = 0.05;

  it('is deterministic for a seed and changes with it', () => {
    const a = algorithm1Study(data, epsilon, { seed: 7, repeats: 4 });
    expect(algorithm1Study(data, epsilon, { seed: 7, repeats: 4 })).toEqual(a);
    expect(algorithm1Study(data, epsilon, { seed: 8, repeats: 4 })[0].subsets).not.toEqual(a[0].subsets);
  });

  it('skips sizes larger than the data and keeps one equal to it', () => {
    expect(algorithm1Study(data, epsilon, { sizes: [100, 600, 601, 5000], repeats: 2 }).map((s) => s.n)).toEqual([100, 600]);
  });

  it('draws the subsets of one size independently of the other sizes asked for', () => {
    const alone = algorithm1Study(data, epsilon, { sizes: [200], repeats: 3 })[0];
    const withOthers = algorithm1Study(data, epsilon, { sizes: [50, 200], repeats: 3 })[1];
    expect(withOthers).toEqual(alone);
  });

  it('reports each repeat as calibrateThreshold on its subset applied to all samples', () => {
    const [size] = algorithm1Study(data, epsilon, { sizes: [100], repeats: 5 });
    const truth = robustAccuracy(data.correct, data.inputMargin, epsilon);
    size.subsets.forEach((subset, k) => {
      const calibration = calibrateThreshold(data, subset, epsilon)!;
      expect(size.thresholds[k]).toBe(calibration.threshold);
      expect(size.estimates[k]).toBe(estimateRobustAccuracy(data.logitMargin, data.correct, calibration.threshold));
      expect(size.absErrors[k]).toBe(Math.abs(size.estimates[k] - truth));
    });
    const mean = size.absErrors.reduce((s, v) => s + v, 0) / size.absErrors.length;
    expect(size.meanAbsError).toBeCloseTo(mean, 15);
    expect(size.sdAbsError).toBeCloseTo(Math.sqrt(size.absErrors.reduce((s, v) => s + (v - mean) ** 2, 0) / size.absErrors.length), 15);
  });

  it('leaves out repeats whose subset holds one class, and says how many', () => {
    // 1 non-robust sample in 100: most subsets of 5 hold only robust samples.
    const sparse = { ...data, inputMargin: Float64Array.from(data.inputMargin, (_, i) => (i % 100 === 0 ? 0 : Infinity)) };
    const [size] = algorithm1Study(sparse, epsilon, { sizes: [5], repeats: 20 });
    expect(size.oneClassRepeats).toBeGreaterThan(0);
    expect(size.estimates.length + size.oneClassRepeats).toBe(20);
    for (const key of ['subsets', 'thresholds', 'alphas', 'subsetTaus', 'absErrors'] as const) expect(size[key].length).toBe(size.estimates.length);
  });

  it('gives null summaries when no repeat could be calibrated', () => {
    const allRobust = { ...data, inputMargin: new Float64Array(600).fill(Infinity) };
    const [size] = algorithm1Study(allRobust, epsilon, { sizes: [50], repeats: 3 });
    expect([size.oneClassRepeats, size.meanAbsError, size.sdAbsError]).toEqual([3, null, null]);
  });
});
