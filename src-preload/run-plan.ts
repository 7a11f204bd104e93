// A run's memory plan in words, the same in the run log, the CLI and the run page.
import type { RunPlan } from './contract.js';

/** Bytes as a person reads them: "1.4 GB", "350 MB". */
export function bytesText(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'unknown';
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${Math.round(bytes / 1e6)} MB`;
  return `${Math.max(1, Math.round(bytes / 1e3))} kB`;
}

const BUDGET_SOURCES: Record<RunPlan['budgetSource'], string> = {
  set: 'set',
  'free memory': 'a share of the free memory',
  'gpu memory': "a share of the GPU's free memory",
};

/**
 * "4.0 GB budget (set), 8 samples per gradient call, 100 of 999 Jacobian rows per call, expected
 * peak 3.9 GB (plus 180 MB the job process held before)": the budget covers the gradient sessions
 * and the attacks' working memory, the process's own baseline is measured and shown beside.
 */
export function planText(plan: RunPlan): string {
  const budget = `${bytesText(plan.budgetBytes)} budget (${plan.budgetNote ?? BUDGET_SOURCES[plan.budgetSource]})`;
  const rows = plan.rowsPerChunk < plan.rows ? `${plan.rowsPerChunk} of ${plan.rows} Jacobian rows per call` : `all ${plan.rows} Jacobian rows per call`;
  const over = plan.fits ? '' : ' — over the budget even at one sample and one row; the job may run out of memory';
  const base = plan.baseBytes ? ` (plus ${bytesText(plan.baseBytes)} the job process held before)` : '';
  return `${budget}, ${plan.batch} sample${plan.batch === 1 ? '' : 's'} per gradient call, ${rows}, expected peak ${bytesText(plan.expectedPeakBytes)}${base}${over}`;
}
