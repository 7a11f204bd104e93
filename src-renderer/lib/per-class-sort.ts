import type { ClassAnalysis } from '../../src-preload/contract';

/** The per-class table's sortable columns: with 1000 classes, sorting is how the most affected are found. */
export type PerClassSortKey = 'label' | 'samples' | 'accuracy' | 'robustAccuracy' | 'medianInputMargin' | 'censored' | 'kendallTau' | 'auroc';

/**
 * The classes ordered by one column; classes without a figure there (—) come last either way, and
 * ties keep the label order, so the order is the same on every render.
 */
export function sortClasses(rows: readonly ClassAnalysis[], key: PerClassSortKey, descending: boolean): ClassAnalysis[] {
  const sign = descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    const x = a[key];
    const y = b[key];
    if (x === null || y === null) return x === y ? a.label - b.label : x === null ? 1 : -1;
    return sign * (x - y) || a.label - b.label;
  });
}
