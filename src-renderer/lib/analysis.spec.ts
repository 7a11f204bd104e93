import { describe, expect, it } from 'vitest';
import { atEpsilon, epsilonText, logTick, pickEpsilon, robustSteps, sameEpsilon, scatterSeries, steps255, threatModel } from './analysis';

describe('sameEpsilon', () => {
  it('holds 8/255 equal to itself after arithmetic, and tells neighbours of the grid apart', () => {
    expect(sameEpsilon(8 / 255, (8 * 0.1) / 25.5)).toBe(true);
    expect(sameEpsilon(8 / 255, 9 / 255)).toBe(false);
  });
});

describe('pickEpsilon', () => {
  const grid = [1 / 255, 2 / 255, 8 / 255];

  it('keeps the selection while the grid has it, else falls back to the audit epsilon', () => {
    expect(pickEpsilon(grid, 2 / 255, 8 / 255)).toBe(2 / 255);
    expect(pickEpsilon(grid, 0.5, 8 / 255)).toBe(8 / 255);
    expect(pickEpsilon(grid, null, 1 / 255)).toBe(1 / 255);
  });
});

describe('atEpsilon', () => {
  it('finds the entry at an epsilon, or null', () => {
    const list = [{ epsilon: 0.1, v: 1 }, { epsilon: 0.2, v: 2 }];
    expect(atEpsilon(list, 0.2)?.v).toBe(2);
    expect(atEpsilon(list, 0.3)).toBeNull();
  });
});

describe('epsilon text', () => {
  it('writes pixel units and 8-bit steps', () => {
    expect(steps255(8 / 255)).toBe('8/255');
    expect(steps255(0.03)).toBe('7.65/255');
    expect(epsilonText(8 / 255)).toBe('0.03137 (8/255)');
  });

  it('puts n, norm, epsilon and the censored count on one line', () => {
    expect(threatModel({ samples: 1000, norm: 'linf', censored: 12 }, 8 / 255)).toBe('n = 1,000 · ℓ∞ · ε = 0.03137 (8/255) · 12 censored');
    expect(threatModel({ samples: 5, norm: null, censored: 0 }, null)).toBe('n = 5 · 0 censored');
  });
});

describe('scatterSeries', () => {
  const points = [
    { position: 0, inputMargin: 0.1, logitMargin: 2, correct: true },
    { position: 1, inputMargin: 0.2, logitMargin: 0, correct: false },
    { position: 2, inputMargin: 0.3, logitMargin: 1, correct: false },
  ];

  it('splits the points by correctness and keeps their positions', () => {
    const series = scatterSeries(points, false, false);
    expect(series.correct).toEqual([{ x: 0.1, y: 2, position: 0 }]);
    expect(series.wrong.map((p) => p.position)).toEqual([1, 2]);
    expect(series.hidden).toBe(0);
  });

  it('counts instead of drawing the points a log axis cannot place', () => {
    const series = scatterSeries(points, false, true);
    expect(series.wrong.map((p) => p.position)).toEqual([2]);
    expect(series.hidden).toBe(1);
  });
});

describe('robustSteps', () => {
  it('starts at the clean accuracy, steps down at each margin and ends at the axis limit', () => {
    const curve = [
      { epsilon: 0, robustAccuracy: 0.9 },
      { epsilon: 0.01, robustAccuracy: 0.7 },
      { epsilon: 0.5, robustAccuracy: 0.1 },
    ];
    expect(robustSteps(curve, 0.9, 0.1)).toEqual([
      { x: 0, y: 0.9 },
      { x: 0.01, y: 0.7 },
      { x: 0.1, y: 0.7 },
    ]);
  });
});

describe('logTick', () => {
  it('labels 1, 2 and 5 times a power of ten only', () => {
    expect([0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.2, 1, 3, 10].map(logTick)).toEqual(['0.01', '0.02', '', '0.05', '', '0.1', '0.2', '1', '', '10']);
    expect(logTick(0)).toBe('');
  });
});
