import { describe, expect, it } from 'vitest';
import { describeBin, equidistanceBoxes, histogramBars, logitPairs, robustnessSeries } from './chart-data';

describe('histogramBars', () => {
  it('puts each bin at its centre and keeps its edges', () => {
    const bars = histogramBars({ edges: [0, 1, 2, 4], counts: [5, 0, 12] });
    expect(bars).toEqual([
      { x: 0.5, y: 5, from: 0, to: 1 },
      { x: 1.5, y: 0, from: 1, to: 2 },
      { x: 3, y: 12, from: 2, to: 4 },
    ]);
    expect(describeBin(bars[0], false)).toBe('[0, 1.000): 5 samples');
    expect(describeBin(bars[2], true)).toBe('[2.000, 4.000]: 12 samples');
  });

  it('ignores counts without both edges', () => {
    expect(histogramBars({ edges: [0, 1], counts: [3, 4] })).toHaveLength(1);
    expect(histogramBars({ edges: [], counts: [] })).toEqual([]);
  });
});

describe('equidistanceBoxes', () => {
  it('scales each norm by its own median and reports max/min', () => {
    const [l1, l2] = equidistanceBoxes({
      linf: { min: 8, q1: 9, median: 10, q3: 11, max: 12 },
      l2: { min: 1, q1: 1.5, median: 2, q3: 2.5, max: 4 },
      pairs: 45,
    });
    expect(l1.relative).toEqual({ min: 0.8, q1: 0.9, median: 1, q3: 1.1, max: 1.2 });
    expect(l1.spread).toBe(1.5);
    expect(l2.relative).toEqual({ min: 0.5, q1: 0.75, median: 1, q3: 1.25, max: 2 });
    expect(l2.raw.max).toBe(4);
  });
});

describe('robustnessSeries', () => {
  const rows = [
    { epsilon: 8 / 255, fromMargins: 0.4, byAttack: { 'apgd-ce': 0.45 }, combined: 0.38 },
    { epsilon: 2 / 255, fromMargins: 0.7, byAttack: { 'apgd-ce': 0.72 }, combined: 0.69 },
  ];

  it('starts every source at the clean accuracy and sorts by epsilon', () => {
    const series = robustnessSeries(rows, 0.9, (key) => key);
    expect(series.map((s) => s.key)).toEqual(['fromMargins', 'apgd-ce', 'combined']);
    expect(series[1].points).toEqual([
      { x: 0, y: 0.9 },
      { x: 2 / 255, y: 0.72 },
      { x: 8 / 255, y: 0.45 },
    ]);
  });

  it('leaves out sources that did not run, and the combined line when it repeats the only one', () => {
    const series = robustnessSeries(
      rows.map((row) => ({ ...row, fromMargins: null })),
      0.9,
      (key) => key,
    );
    expect(series.map((s) => s.key)).toEqual(['apgd-ce']);
  });
});

describe('logitPairs', () => {
  it('shows every class of a small model', () => {
    expect(logitPairs([1, 2], [2, 1], [0]).pairs).toEqual([
      { index: 0, clean: 1, adversarial: 2 },
      { index: 1, clean: 2, adversarial: 1 },
    ]);
  });

  it('keeps the named classes and the largest logits of a large model, in class order', () => {
    const logits = Array.from({ length: 100 }, (_, i) => (i === 50 ? 9 : i === 7 ? 8 : -i));
    const { pairs, hidden } = logitPairs(logits, null, [99, 7], 4);
    expect(pairs.map((pair) => pair.index)).toEqual([0, 7, 50, 99]);
    expect(hidden).toBe(96);
  });
});
