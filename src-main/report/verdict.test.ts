import { describe, expect, it } from 'vitest';
import { defaultVerdictThresholds, type ReliabilityCheck, type RunAnalysis } from '../../src-preload/contract.js';
import { decideVerdict } from './verdict.js';

function analysis(accuracy: number, robust: number | null): RunAnalysis {
  return {
    norm: robust === null ? null : 'linf',
    accuracy,
    samples: 200,
    auditEpsilon: 8 / 255,
    robustAccuracy: robust === null ? [] : [{ epsilon: 8 / 255, fromMargins: robust + 0.01, ci: [robust - 0.05, robust + 0.05], apgdCe: robust, apgdT: null, combined: robust }],
  } as unknown as RunAnalysis;
}

const review: ReliabilityCheck = { id: 'censored-share', status: 'review', title: 'Censored share', finding: '', action: '' };

describe('the verdict', () => {
  it.each([
    [0.9, 0.85, 'pass', 'within the 10.0 percentage points limit'],
    [0.9, 0.75, 'review', 'above the 10.0 percentage points pass limit'],
    [0.9, 0.6, 'fail', 'above the 20.0 percentage points review limit'],
  ])('clean %f and robust %f (every attack) give %s', (clean, robust, level, limit) => {
    const v = decideVerdict(analysis(clean, robust), [], defaultVerdictThresholds);
    expect(v.level).toBe(level);
    expect(v.drop).toBeCloseTo(clean - robust, 12);
    expect(v.sentence).toContain(limit);
    expect(v.sentence).toContain(`robust accuracy is ${(100 * robust).toFixed(1)}%`);
  });

  it('caps a pass at review when a reliability check asks for review, and says so', () => {
    const v = decideVerdict(analysis(0.9, 0.88), [review], defaultVerdictThresholds);
    expect(v.level).toBe('review');
    expect(v.sentence).toContain('1 reliability check asks for review');
  });

  it('follows the thresholds the auditor set', () => {
    expect(decideVerdict(analysis(0.9, 0.75), [], { passDrop: 0.2, reviewDrop: 0.3, consistentTau: 0.5 }).level).toBe('pass');
  });

  it('assesses nothing without an attack', () => {
    expect(decideVerdict(analysis(0.9, null), [], defaultVerdictThresholds)).toMatchObject({ level: 'not-assessed', drop: null });
  });
});
