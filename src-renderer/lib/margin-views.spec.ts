import { describe, expect, it } from 'vitest';
import type { RunAnalysis } from '../../src-preload/contract';
import { formatSigned, inputMarginsOf } from './margin-views';

describe('margin views', () => {
  it('writes a signed margin with its sign, and a true minus sign', () => {
    expect(formatSigned(0.03125)).toBe('+0.03125');
    expect(formatSigned(-0.0312)).toBe('−0.03120');
    expect(formatSigned(0)).toBe('0');
    expect(formatSigned(null)).toBe('—');
  });

  it('reads the input-margin summary from the analysis, so that it follows the correct-only view', () => {
    const analysis = {
      norm: 'linf',
      found: 80,
      censored: 2,
      inputMargin: { min: 0.01, q1: 0.02, median: 0.03, q3: 0.04, max: 0.05, histogram: { edges: [], counts: [] } },
      bestBy: { fab: 70, fmn: 10 },
    } as unknown as RunAnalysis;
    expect(inputMarginsOf(analysis)).toEqual({ norm: 'linf', found: 80, censored: 2, median: 0.03, min: 0.01, max: 0.05, bestBy: { fab: 70, fmn: 10 } });
    expect(inputMarginsOf({ ...analysis, found: 0, censored: 0 })).toBeNull();
    expect(inputMarginsOf({ ...analysis, inputMargin: null, found: 0 })).toMatchObject({ censored: 2, median: null });
  });
});
