/**
 * Margins as the run page shows them (issue 10 item 7): the input-margin summary read from the
 * analysis, so that it follows the correct-only view, and Wu & Yu's signed margins.
 */
import type { InputMargins, RunAnalysis } from '../../src-preload/contract';
import { formatSignificant } from './format';

/** The summary's numbers over the samples the analysis covers (every sample, or the correct ones); null without margin attacks. */
export function inputMarginsOf(a: RunAnalysis): InputMargins | null {
  if (!a.norm || a.found + a.censored === 0) return null;
  return {
    norm: a.norm,
    found: a.found,
    censored: a.censored,
    median: a.inputMargin?.median ?? null,
    min: a.inputMargin?.min ?? null,
    max: a.inputMargin?.max ?? null,
    bestBy: a.bestBy,
  };
}

/** A signed margin with its sign always written, '+0.0312' or '−0.0312' (a true minus sign). */
export function formatSigned(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  const text = formatSignificant(Math.abs(value));
  return value === 0 ? text : `${value > 0 ? '+' : '−'}${text}`;
}
