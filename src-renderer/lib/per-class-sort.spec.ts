import { describe, expect, it } from 'vitest';
import type { ClassAnalysis } from '../../src-preload/contract';
import { sortClasses } from './per-class-sort';

const row = (label: number, robustAccuracy: number | null, samples = 10): ClassAnalysis => ({
  label,
  name: null,
  samples,
  accuracy: 0.9,
  robustAccuracy,
  medianInputMargin: null,
  censored: 0,
  kendallTau: null,
  auroc: null,
});

describe('sorting the per-class table', () => {
  const rows = [row(3, 0.5), row(0, null), row(1, 0.2), row(2, 0.5), row(4, 0.9)];
  const labels = (sorted: ClassAnalysis[]) => sorted.map((r) => r.label);

  it('orders by a column either way, ties by label, classes without a figure last', () => {
    expect(labels(sortClasses(rows, 'robustAccuracy', false))).toEqual([1, 2, 3, 4, 0]);
    expect(labels(sortClasses(rows, 'robustAccuracy', true))).toEqual([4, 2, 3, 1, 0]);
    expect(labels(sortClasses(rows, 'label', false))).toEqual([0, 1, 2, 3, 4]);
    expect(labels(sortClasses(rows, 'label', true))).toEqual([4, 3, 2, 1, 0]);
  });

  it('leaves the rows it was given as they were', () => {
    sortClasses(rows, 'robustAccuracy', true);
    expect(labels(rows)).toEqual([3, 0, 1, 2, 4]);
  });
});
