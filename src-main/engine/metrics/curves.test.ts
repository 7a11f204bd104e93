import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.js';
import {
  aupr,
  auroc,
  averagePrecision,
  confusionAt,
  detCurve,
  downsampleCurve,
  fprAtTprDet,
  fprAtTprMin,
  precisionRecallCurve,
  rocCurve,
  scoreOrder,
  thresholdCounts,
  type OperatingPoint,
  type ThresholdCounts,
} from './curves.js';

type Curve = Record<string, number[]>;
interface GoldenCase {
  name: string;
  y: number[];
  s: number[];
  targets: number[];
  rocDrop: Curve | null;
  rocAll: Curve | null;
  pr: Curve | null;
  det: Curve | null;
  auroc: number | null;
  aupr: number | null;
  averagePrecision: number | null;
  fprAtTprDet: OperatingPoint[] | null;
  fprAtTprMin: OperatingPoint[] | null;
}

/** JSON with infinities and NaN written as strings (the goldens script's encoding). */
const special: Record<string, number> = { Infinity: Infinity, '-Infinity': -Infinity, NaN: NaN };
const readGoldens = <T>(file: string): T =>
  JSON.parse(readFileSync(new URL(`./goldens/${file}`, import.meta.url), 'utf8'), (_, v) => (typeof v === 'string' && v in special ? special[v] : v));

const cases = readGoldens<{ cases: GoldenCase[] }>('curves.json').cases;
const countsOf = (s: ArrayLike<number>, y: ArrayLike<number>) => thresholdCounts(scoreOrder(s), y);

function expectClose(actual: ArrayLike<number> | number, expected: ArrayLike<number> | number, what: string) {
  const a = typeof actual === 'number' ? [actual] : Array.from(actual);
  const e = typeof expected === 'number' ? [expected] : Array.from(expected);
  expect(a.length, `${what}: length`).toBe(e.length);
  a.forEach((v, k) => {
    if (Number.isFinite(e[k])) expect(Math.abs(v - e[k]), `${what}[${k}]: ${v} vs ${e[k]}`).toBeLessThanOrEqual(1e-12);
    else expect(v, `${what}[${k}]`).toBe(e[k]);
  });
}

function expectCurve(actual: object | null, expected: Curve | null, what: string) {
  if (expected === null) return expect(actual, what).toBeNull();
  expect(actual, what).not.toBeNull();
  for (const key of Object.keys(expected)) expectClose((actual as Curve)[key], expected[key], `${what}.${key}`);
}

/** P(s+ > s-) + 1/2 P(s+ = s-) over all positive-negative pairs. */
function bruteAuroc(s: ArrayLike<number>, y: ArrayLike<number>): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < s.length; i++) {
    for (let j = 0; j < s.length; j++) {
      if (y[i] !== 1 || y[j] !== 0) continue;
      pairs++;
      wins += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
    }
  }
  return wins / pairs;
}

function tieHeavy(seed: number, n: number, levels: number) {
  const random = mulberry32(seed);
  const y = Float64Array.from({ length: n }, () => (random() < 0.4 ? 1 : 0));
  const s = Float64Array.from(y, (label) => Math.floor(random() * levels) + label * Math.floor(random() * 2));
  return { s, y };
}

describe('curves agree with scikit-learn 1.2.1 (goldens/curves.json)', () => {
  it.each(cases)('$name', (g) => {
    const c = countsOf(g.s, g.y);
    expectCurve(rocCurve(c), g.rocDrop, 'roc_curve(drop_intermediate=True)');
    expectCurve(rocCurve(c, { dropIntermediate: false }), g.rocAll, 'roc_curve(drop_intermediate=False)');
    expectCurve(precisionRecallCurve(c), g.pr, 'precision_recall_curve');
    expectCurve(detCurve(c), g.det, 'det_curve');
    for (const [name, value, expected] of [
      ['roc_auc_score', auroc(c), g.auroc],
      ['auc(recall, precision)', aupr(c), g.aupr],
      ['average_precision_score', averagePrecision(c), g.averagePrecision],
    ] as const) {
      if (expected === null) expect(value, name).toBeNull();
      else expectClose(value!, expected, name);
    }
    g.targets.forEach((target, t) => {
      for (const [name, fn, expected] of [
        ['get_FPR_at_TPR', fprAtTprDet, g.fprAtTprDet],
        ['textbook min FPR', fprAtTprMin, g.fprAtTprMin],
      ] as const) {
        const point = fn(c, target);
        if (expected === null) expect(point, name).toBeNull();
        else {
          // Compared as numbers, not objects: scikit-learn may report a threshold of -0 where Brink says 0.
          const what = `${name} at TPR >= ${target}`;
          expect(point, what).not.toBeNull();
          for (const key of ['fpr', 'tpr', 'threshold'] as const) expectClose(point![key], expected[t][key], `${what}: ${key}`);
        }
      }
    });
  });
});

describe('thresholdCounts', () => {
  it('puts a tie group on one threshold, counted at its last index', () => {
    const c = countsOf([0.5, 0.9, 0.5, 0.1, 0.9], [1, 0, 0, 1, 1]);
    expect(Array.from(c.thresholds)).toEqual([0.9, 0.5, 0.1]);
    expect(Array.from(c.tps)).toEqual([1, 2, 3]);
    expect(Array.from(c.fps)).toEqual([1, 2, 2]);
    expect([c.positives, c.negatives]).toEqual([3, 2]);
  });

  it('treats -0 and +0 as one threshold', () => {
    expect(Array.from(countsOf([-0, 0, -1], [1, 0, 1]).thresholds)).toEqual([0, -1]);
  });

  it('sorts negative, positive and infinite scores descending, ties in input order', () => {
    const s = [-2, 3.5, -Infinity, 0, Infinity, -2, 1e-300, -1e-300, 3.5];
    const { order, sorted } = scoreOrder(s);
    expect(Array.from(sorted)).toEqual([Infinity, 3.5, 3.5, 1e-300, 0, -1e-300, -2, -2, -Infinity]);
    expect(Array.from(order)).toEqual([4, 1, 8, 6, 3, 7, 0, 5, 2]);
  });

  it('gives the same counts from one reused order as from a fresh sort for every label vector', () => {
    const { s } = tieHeavy(11, 500, 7);
    const order = scoreOrder(s);
    const random = mulberry32(5);
    for (let r = 0; r < 20; r++) {
      const y = Float64Array.from(s, () => (random() < 0.3 ? 1 : 0));
      expect(thresholdCounts(order, y)).toEqual(countsOf(Float64Array.from(s), y));
    }
  });

  it.each([
    ['a NaN score', () => scoreOrder([1, NaN])],
    ['a label that is not 0 or 1', () => countsOf([1, 2], [1, 2])],
    ['fewer labels than scores', () => countsOf([1, 2], [1])],
  ])('throws RangeError on %s', (_, call) => {
    expect(call).toThrow(RangeError);
  });

  it('accepts no samples', () => {
    const c = countsOf([], []);
    expect([c.thresholds.length, c.positives, c.negatives]).toEqual([0, 0, 0]);
    expect(auroc(c)).toBeNull();
  });
});

describe('auroc', () => {
  it.each([
    [1, 40, 2],
    [2, 100, 3],
    [3, 257, 10],
    [4, 9, 1],
    [5, 600, 50],
  ])('equals the pairwise P(s+ > s-) + 1/2 P(s+ = s-) on tie-heavy data (seed %i, n=%i, %i levels)', (seed, n, levels) => {
    const { s, y } = tieHeavy(seed, n, levels);
    expect(auroc(countsOf(s, y))).toBeCloseTo(bruteAuroc(s, y), 14);
  });
});

describe('one class', () => {
  const onlyPositives = countsOf([0.3, 0.1, 0.3], [1, 1, 1]);
  const onlyNegatives = countsOf([0.3, 0.1, 0.3], [0, 0, 0]);
  it.each([
    ['rocCurve', (c: ThresholdCounts) => rocCurve(c)],
    ['detCurve', detCurve],
    ['auroc', auroc],
    ['fprAtTprDet', (c: ThresholdCounts) => fprAtTprDet(c)],
    ['fprAtTprMin', (c: ThresholdCounts) => fprAtTprMin(c)],
  ])('%s is null with no negatives and with no positives', (_, fn) => {
    expect(fn(onlyPositives)).toBeNull();
    expect(fn(onlyNegatives)).toBeNull();
  });

  it.each([
    ['precisionRecallCurve', precisionRecallCurve],
    ['aupr', aupr],
    ['averagePrecision', averagePrecision],
  ])('%s is null with no positives but defined with no negatives', (_, fn) => {
    expect(fn(onlyNegatives)).toBeNull();
    expect(fn(onlyPositives)).not.toBeNull();
  });
});

describe('FPR at a target TPR', () => {
  // Positives at 4, 3, 2, 1; three negatives just below each: TPR plateaus of three points.
  const s = [4, 3, 2, 1, 3.5, 3.4, 3.3, 2.5, 2.4, 2.3, 1.5, 1.4, 1.3, 0.5, 0.4, 0.3];
  const y = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  const c = countsOf(s, y);

  it('reads the paper point at the largest FPR of the TPR plateau and the textbook point at the smallest', () => {
    expect(fprAtTprDet(c, 0.5)).toEqual({ fpr: 6 / 12, tpr: 0.5, threshold: 2.3 });
    expect(fprAtTprMin(c, 0.5)).toEqual({ fpr: 3 / 12, tpr: 0.5, threshold: 3 });
  });

  it('predicts positive when score >= threshold', () => {
    const point = fprAtTprMin(c, 0.75)!;
    const confusion = confusionAt(c, point.threshold);
    expect(confusion.tp / (confusion.tp + confusion.fn)).toBe(point.tpr);
    expect(confusion.fp / (confusion.fp + confusion.tn)).toBe(point.fpr);
  });

  it('throws RangeError on a target outside [0, 1]', () => {
    expect(() => fprAtTprDet(c, 1.5)).toThrow(RangeError);
    expect(() => fprAtTprMin(c, NaN)).toThrow(RangeError);
  });
});

describe('confusionAt', () => {
  const c = countsOf([0.5, 0.9, 0.5, 0.1, 0.9], [1, 0, 0, 1, 1]);
  it.each([
    ['above every score: nothing predicted positive', Infinity, { tp: 0, fp: 0, tn: 2, fn: 3 }],
    ['equal to a score: its tie group is predicted positive', 0.5, { tp: 2, fp: 2, tn: 0, fn: 1 }],
    ['between scores: the higher ones are predicted positive', 0.7, { tp: 1, fp: 1, tn: 1, fn: 2 }],
    ['at or below every score: everything predicted positive', 0.1, { tp: 3, fp: 2, tn: 0, fn: 0 }],
    ['-Infinity: everything predicted positive', -Infinity, { tp: 3, fp: 2, tn: 0, fn: 0 }],
  ])('%s', (_, threshold, expected) => {
    expect(confusionAt(c, threshold)).toEqual(expected);
  });
});

describe('downsampleCurve', () => {
  it.each([
    ['keeps every index of a short curve', 4, 500, [0, 1, 2, 3]],
    ['keeps first and last of a long one, evenly spaced', 101, 5, [0, 25, 50, 75, 100]],
    ['returns nothing for an empty curve', 0, 500, []],
  ])('%s', (_, n, limit, expected) => {
    expect(Array.from(downsampleCurve(n, limit))).toEqual(expected);
  });

  it('returns exactly limit distinct increasing indices', () => {
    const picked = downsampleCurve(1_000_003, 500);
    expect(picked.length).toBe(500);
    expect(picked[499]).toBe(1_000_002);
    for (let k = 1; k < picked.length; k++) expect(picked[k]).toBeGreaterThan(picked[k - 1]);
  });
});
