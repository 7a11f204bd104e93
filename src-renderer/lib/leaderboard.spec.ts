import { describe, expect, it } from 'vitest';
import type { LeaderboardMargin, LeaderboardRow } from '../../src-preload/contract';
import { heatColor, heatPosition, sortLeaderboard } from './leaderboard';

function margin(family: LeaderboardMargin['family'], median: number | null): LeaderboardMargin {
  return { family, title: family, runId: 'r-000000000001', median, medianParameter: median, unit: 'u', samples: 10, found: 10, censored: 0, kendallTau: null, threshold: 1, auroc: null, fprAt95Tpr: null };
}

function row(name: string, robust: number | null, margins: LeaderboardMargin[]): LeaderboardRow {
  return {
    comparison: 'd/all',
    modelId: `m-${name.padEnd(12, '0')}`,
    modelName: name,
    modelSha256: 'ab',
    architecture: { parameters: 1, nodes: 1, opTypes: 1, opset: 13, inputSize: [1, 28, 28] },
    samples: 10,
    runs: [],
    cleanAccuracy: 0.9,
    attack:
      robust === null
        ? null
        : { runId: 'r-000000000001', norm: 'linf', epsilon: 0.1, robustAccuracy: robust, robustAccuracySource: 'all attacks', kendallTau: 0.5, auroc: 0.9, fprAt95Tpr: 0.2, verifiedShare: 1, censoredShare: 0 },
    margins,
    meanCorruptionAccuracy: null,
    runTimeMs: 1000,
    settingsChanged: false,
  };
}

describe('the leaderboard table and heat map', () => {
  const a = row('a', 0.5, [margin('linf', 0.02), margin('rotation', 30)]);
  const b = row('b', 0.8, [margin('linf', 0.1), margin('rotation', 10)]);
  const c = row('c', null, [margin('linf', 0.06), margin('rotation', null)]);

  it('sorts by a column either way, rows without a value last', () => {
    expect(sortLeaderboard([a, b, c], 'robust', true).map((r) => r.modelName)).toEqual(['b', 'a', 'c']);
    expect(sortLeaderboard([a, b, c], 'robust', false).map((r) => r.modelName)).toEqual(['a', 'b', 'c']);
    expect(sortLeaderboard([c, b, a], 'model', false).map((r) => r.modelName)).toEqual(['a', 'b', 'c']);
  });

  it('places each median by its ratio to its column’s geometric mean, whatever the unit; beyond range and 0 are the ends', () => {
    // linf: 0.02, 0.1, 0.06; geometric mean (0.00012)^(1/3) = 0.0493.
    const gm = Math.cbrt(0.02 * 0.1 * 0.06);
    expect(heatPosition([a, b, c], c, 'linf')).toBeCloseTo(0.5 + 0.5 * Math.log2(0.06 / gm), 12);
    // More than twice above or below the mean: the full colour.
    expect(heatPosition([a, b, c], b, 'linf')).toBe(1);
    expect(heatPosition([a, b, c], a, 'linf')).toBe(0);
    // rotation: 30 and 10 (geometric mean 17.32), c beyond range.
    expect(heatPosition([a, b, c], a, 'rotation')).toBeCloseTo(0.5 + 0.5 * Math.log2(30 / Math.sqrt(300)), 12);
    expect(heatPosition([a, b, c], c, 'rotation')).toBe(1);
    expect(heatPosition([a, b, c], a, 'brightness')).toBeNull();
    expect(heatPosition([a], a, 'linf')).toBe(0.5);
    // Two models a few percent apart stay near the middle.
    const near = [row('p', 0.5, [margin('rotation', 17.49)]), row('q', 0.5, [margin('rotation', 17.37)])];
    for (const r of near) expect(Math.abs(heatPosition(near, r, 'rotation')! - 0.5)).toBeLessThan(0.01);
    expect(heatPosition([row('z', 0.5, [margin('linf', 0)]), a], row('z', 0.5, [margin('linf', 0)]), 'linf')).toBe(0);
  });

  it('runs the colour scale from orange through grey to blue', () => {
    expect(heatColor(0)).toBe('rgb(240, 166, 120)');
    expect(heatColor(0.5)).toBe('rgb(238, 240, 243)');
    expect(heatColor(1)).toBe('rgb(79, 119, 214)');
    expect(heatColor(2)).toBe(heatColor(1));
  });
});
