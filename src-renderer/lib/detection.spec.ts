import { describe, expect, it } from 'vitest';
import type { DetectionAtEpsilon, Screening } from '../../src-preload/contract';
import {
  algorithm1Boxes,
  boxStats,
  confusionAt,
  detectionAt,
  detectionSeries,
  formatLogitMargin,
  formatMetric,
  formatRate,
  parseTprTarget,
  initialPosition,
  percentileLinear,
  positionNearestTpr,
  positionOf,
  scoreLabel,
  sliderEntries,
  thresholdRates,
  THRESHOLD_TABLE_HEADER,
  thresholdTable,
} from './detection';

// 4 non-robust (positive) and 6 robust samples; logit margins of the positives 0.1, 0.3, 0.6, 2.0,
// of the negatives 0.5, 1.0, 1.5, 2.5, 3.0, 4.0. Flag brittle when logit margin <= threshold.
const thresholds = [
  { logitMargin: 4.0, tp: 4, fp: 6, tn: 0, fn: 0 },
  { logitMargin: 0.1, tp: 1, fp: 0, tn: 6, fn: 3 },
  { logitMargin: 0.3, tp: 2, fp: 0, tn: 6, fn: 2 },
  { logitMargin: 0.5, tp: 2, fp: 1, tn: 5, fn: 2 },
  { logitMargin: 0.6, tp: 3, fp: 1, tn: 5, fn: 1 },
  { logitMargin: 1.0, tp: 3, fp: 2, tn: 4, fn: 1 },
  { logitMargin: 1.5, tp: 3, fp: 3, tn: 3, fn: 1 },
  { logitMargin: 2.0, tp: 4, fp: 3, tn: 3, fn: 0 },
  { logitMargin: 2.5, tp: 4, fp: 4, tn: 2, fn: 0 },
  { logitMargin: 3.0, tp: 4, fp: 5, tn: 1, fn: 0 },
];

function detection(epsilon: number, skipped: string | null = null): DetectionAtEpsilon {
  return {
    epsilon,
    positives: 4,
    negatives: 6,
    skipped,
    auroc: skipped ? null : 0.8125,
    aupr: skipped ? null : 0.7,
    ap: skipped ? null : 0.72,
    fprAt95Tpr: skipped ? null : 0.5,
    fprAt95TprMin: skipped ? null : 0.5,
    roc: [],
    pr: [],
    thresholds: skipped ? [] : thresholds,
  };
}

const screening = (epsilon: number, threshold: number): Screening => ({
  epsilon,
  tprTarget: 0.95,
  threshold,
  tpr: 1,
  fpr: 0.5,
  confusion: { tp: 4, fp: 3, tn: 3, fn: 0 },
});

describe('detectionAt', () => {
  const all = [detection(2 / 255), detection(8 / 255), detection(16 / 255)];
  it('takes the block of the chosen epsilon, else the nearest one', () => {
    expect(detectionAt(all, 8 / 255)?.epsilon).toBe(8 / 255);
    expect(detectionAt(all, 7 / 255)?.epsilon).toBe(8 / 255);
    expect(detectionAt(all, 1)?.epsilon).toBe(16 / 255);
    expect(detectionAt([], 0.1)).toBeNull();
  });
});

describe('thresholdRates and confusionAt', () => {
  it('flags a sample brittle when its logit margin is at most the threshold', () => {
    const at = confusionAt(detection(0.03), 0.6);
    expect(at).toEqual({ logitMargin: 0.6, tp: 3, fp: 1, tn: 5, fn: 1 });
    expect(thresholdRates(at)).toEqual({ tpr: 0.75, fpr: 1 / 6, precision: 0.75, flagged: 4 });
  });

  it('keeps the counts of the last margin until the next one', () => {
    expect(confusionAt(detection(0.03), 0.99).logitMargin).toBe(0.6);
  });

  it('flags nothing below the smallest margin, and has no precision then', () => {
    const none = confusionAt(detection(0.03), 0.05);
    expect(none).toEqual({ logitMargin: 0.05, tp: 0, fp: 0, tn: 6, fn: 4 });
    expect(thresholdRates(none)).toEqual({ tpr: 0, fpr: 0, precision: null, flagged: 0 });
  });

  it('gives no rate without a class', () => {
    expect(thresholdRates({ tp: 0, fp: 2, tn: 3, fn: 0 })).toEqual({ tpr: null, fpr: 0.4, precision: 0, flagged: 2 });
  });
});

describe('slider positions', () => {
  const entries = sliderEntries(detection(0.03));
  it('orders the positions by increasing logit margin', () => {
    expect(entries.map((e) => e.logitMargin)).toEqual([0.1, 0.3, 0.5, 0.6, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0]);
  });

  it('finds the nearest position to a threshold', () => {
    expect(positionOf(entries, 0.52)).toBe(2);
    expect(positionOf(entries, 1.6)).toBe(5);
    expect(positionOf(entries, -3)).toBe(0);
    expect(positionOf([], 1)).toBe(-1);
    // A curve point that flags nothing has no margin: the slider goes to its lowest position.
    expect(positionOf(entries, -Infinity)).toBe(0);
  });

  it('starts nearest TPR 0.95 with the lowest FPR when screening is at another epsilon', () => {
    // TPR 1 first reached at margin 2.0 (FPR 0.5); 0.75 is farther from 0.95.
    expect(positionNearestTpr(entries, 0.95)).toBe(6);
    expect(initialPosition(entries, 0.03, screening(0.05, 0.3))).toBe(6);
    expect(initialPosition(entries, 0.03, null)).toBe(6);
  });

  it('starts at the screening threshold when screening was calibrated at this epsilon', () => {
    expect(initialPosition(entries, 0.03, screening(0.03, 0.3))).toBe(1);
  });
});

describe('formatting', () => {
  it('prints areas and rates to three decimals, and a dash when missing', () => {
    expect(formatMetric('AUROC', 0.91264)).toBe('AUROC 0.913');
    expect(formatMetric('AUPR', null)).toBe('AUPR —');
    expect(formatRate(1)).toBe('1.000');
  });

  it('prints logit margins to three significant digits, with a true minus sign', () => {
    expect(formatLogitMargin(1.2345)).toBe('1.23');
    expect(formatLogitMargin(0.04257404804229736)).toBe('0.0426');
    expect(formatLogitMargin(-0.5)).toBe('−0.500');
    expect(formatLogitMargin(12.34)).toBe('12.3');
    expect(formatLogitMargin(123.4)).toBe('123');
    expect(formatLogitMargin(0)).toBe('0');
    expect(formatLogitMargin(0.00041)).toBe('4.10e-4');
    expect(formatLogitMargin(-Infinity)).toBe('−∞');
  });

  it('names every score as the table shows it', () => {
    expect(scoreLabel('energy').label).toBe('−energy (logsumexp)');
    expect(scoreLabel('entropy').label).toBe('negative entropy');
    expect(scoreLabel('feature-margin-linf').label).toBe('feature-space margin (ℓ∞)');
  });
});

describe('detectionSeries', () => {
  it('keeps the epsilons with both classes, in order', () => {
    const series = detectionSeries([detection(16 / 255), detection(1 / 255, 'no non-robust sample at this ε'), detection(4 / 255)]);
    expect(series.map((p) => p.epsilon)).toEqual([4 / 255, 16 / 255]);
    expect(series[0]).toEqual({ epsilon: 4 / 255, auroc: 0.8125, aupr: 0.7 });
  });
});

describe('boxStats', () => {
  // Expected values from matplotlib.cbook.boxplot_stats (whis=1.5) on numpy 2.4, as plt.boxplot draws them.
  const cases = [
    {
      values: [0.012, 0.034, 0.005, 0.021, 0.018, 0.2, 0.011, 0.027, 0.009, 0.015],
      q1: 0.01125, median: 0.0165, q3: 0.025500000000000002, whiskerLow: 0.005, whiskerHigh: 0.034, mean: 0.0352, outliers: [0.2],
    },
    { values: [1, 2, 3, 4, 100], q1: 2, median: 3, q3: 4, whiskerLow: 1, whiskerHigh: 4, mean: 22, outliers: [100] },
    { values: [0.5], q1: 0.5, median: 0.5, q3: 0.5, whiskerLow: 0.5, whiskerHigh: 0.5, mean: 0.5, outliers: [] },
    { values: [3, 3, 3, 10], q1: 3, median: 3, q3: 4.75, whiskerLow: 3, whiskerHigh: 4.75, mean: 4.75, outliers: [10] },
    { values: [-5, 0.1, 0.2, 0.3, 0.4, 0.45], q1: 0.125, median: 0.25, q3: 0.375, whiskerLow: 0.1, whiskerHigh: 0.45, mean: -0.5916666666666667, outliers: [-5] },
    {
      values: [0.007000000000000006, 0.013000000000000012, 0.0030000000000000027, 0.021, 0.009, 0.011, 0.017],
      q1: 0.008000000000000004, median: 0.011, q3: 0.015000000000000006, whiskerLow: 0.0030000000000000027, whiskerHigh: 0.021, mean: 0.011571428571428576, outliers: [],
    },
  ];

  it.each(cases)('matches matplotlib on $values', ({ values, mean, ...expected }) => {
    const stats = boxStats(values)!;
    expect(stats.mean).toBeCloseTo(mean, 12);
    expect({ q1: stats.q1, median: stats.median, q3: stats.q3, whiskerLow: stats.whiskerLow, whiskerHigh: stats.whiskerHigh, outliers: stats.outliers }).toEqual(expected);
    expect(stats.n).toBe(values.length);
  });

  it('has nothing to show without values', () => {
    expect(boxStats([])).toBeNull();
    expect(boxStats([Number.NaN])).toBeNull();
  });

  it('interpolates percentiles as numpy does', () => {
    expect(percentileLinear([1, 2, 3, 4], 0.25)).toBe(1.75);
    expect(percentileLinear([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(percentileLinear([7], 0.75)).toBe(7);
  });
});

describe('algorithm1Boxes', () => {
  it('orders the subset sizes and counts the repeats that had both classes', () => {
    const rows = algorithm1Boxes({
      epsilon: 8 / 255,
      robustAccuracy: 0.5,
      seed: 1,
      withForward: null,
      sizes: [
        { n: 100, repeats: 10, estimates: [0.5, 0.52], thresholds: [1, 1.1], absErrors: [0, 0.02], meanAbsError: 0.01, sdAbsError: 0.014 },
        { n: 50, repeats: 10, estimates: [], thresholds: [], absErrors: [], meanAbsError: null, sdAbsError: null },
      ],
    });
    expect(rows.map((r) => [r.n, r.used, r.repeats])).toEqual([[50, 0, 10], [100, 2, 10]]);
    expect(rows[0].stats).toBeNull();
    expect(rows[1].stats?.median).toBe(0.01);
  });
});

describe('parseTprTarget', () => {
  it('takes a percentage as a fraction, to a tenth of a percent', () => {
    expect(parseTprTarget('90')).toEqual({ ok: true, target: 0.9 });
    expect(parseTprTarget(' 97.5 ')).toEqual({ ok: true, target: 0.975 });
    expect(parseTprTarget('99.9')).toEqual({ ok: true, target: 0.999 });
  });

  it('refuses what is not a percentage a screening threshold can reach', () => {
    for (const text of ['', 'abc', '49', '100', '0.95']) {
      expect(parseTprTarget(text)).toEqual({ ok: false, message: 'the TPR target is a percentage from 50 to 99.9' });
    }
  });
});

describe('thresholdTable', () => {
  it('gives each threshold its confusion counts and rates, null where a rate is undefined', () => {
    const detection: DetectionAtEpsilon = {
      epsilon: 0.1,
      positives: 2,
      negatives: 2,
      skipped: null,
      auroc: 1,
      aupr: 1,
      ap: 1,
      fprAt95Tpr: 0,
      fprAt95TprMin: 0,
      roc: [],
      pr: [],
      thresholds: [
        { logitMargin: 0.5, tp: 1, fp: 0, tn: 2, fn: 1 },
        { logitMargin: 2, tp: 2, fp: 2, tn: 0, fn: 0 },
      ],
    };
    expect(thresholdTable(detection)).toEqual([
      [0.5, 1, 0, 2, 1, 0.5, 0, 1],
      [2, 2, 2, 0, 0, 1, 1, 0.5],
    ]);
    expect(THRESHOLD_TABLE_HEADER).toHaveLength(8);
  });
});
