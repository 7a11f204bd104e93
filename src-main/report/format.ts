/** How the report writes numbers: percentages with one decimal, percentage points for differences, epsilons in pixel units and as k/255. */
import type { AttackNorm } from '../../src-preload/contract.js';
import { formatEpsilon } from '../../src-preload/epsilon.js';

export function percent(fraction: number | null | undefined): string {
  return fraction === null || fraction === undefined || Number.isNaN(fraction) ? '–' : `${(100 * fraction).toFixed(1)}%`;
}

/** A difference of two fractions, as percentage points (never "% drop"). */
export function points(fraction: number): string {
  return `${(100 * fraction).toFixed(1)} percentage points`;
}

export function interval(ci: [number, number] | null, as: (v: number) => string = percent): string {
  return ci ? `95% CI ${as(ci[0])} to ${as(ci[1])}` : 'no interval';
}

/** Three significant digits, exponent notation outside [1e-3, 1e4). */
export function num(v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  if (v === Infinity) return 'censored';
  if (v === 0) return '0';
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? String(Number(v.toPrecision(3))) : v.toExponential(2);
}

export function fixed(v: number | null | undefined, digits = 3): string {
  return v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits);
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

export const normNames: Record<AttackNorm, string> = { linf: 'ℓ∞', l2: 'ℓ2', l1: 'ℓ1' };

/** "8/255 (0.0314)" for l_inf epsilons that are k/255, else the pixel value alone. */
export function epsilon(value: number): string {
  const short = formatEpsilon(value);
  return short.includes('/') ? `${short} (${value.toPrecision(3)})` : short;
}

/**
 * Most classes the report lists in full where it reads as prose or a section's table; past it
 * (ImageNet's 1000) it shows the extremes and a summary, and Appendix B and the sidecar keep
 * every class.
 */
export const LISTED_CLASSES = 20;

/** A dataset's samples per class, for the appendix: listed for a few classes, summarised for many. */
export function classCounts(counts: readonly number[]): string {
  if (counts.length === 0) return 'no labels';
  if (counts.length <= LISTED_CLASSES) return `class counts ${counts.join(', ')}`;
  const present = counts.filter((n) => n > 0).sort((a, b) => a - b);
  if (present.length === 0) return `${count(counts.length)} classes, none present`;
  const middle = present.length >> 1;
  const median = present.length % 2 ? present[middle] : (present[middle - 1] + present[middle]) / 2;
  return `${count(counts.length)} classes, ${count(present.length)} of them present with ${count(present[0])} to ${count(present.at(-1)!)} samples each (median ${median}); every count is in the sidecar JSON`;
}
