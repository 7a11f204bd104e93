import type { AttackNorm, RunWarning } from '../../src-preload/contract.js';
import { formatEpsilon } from '../../src-preload/epsilon.js';

/**
 * The largest distance between two images of d values in [0,1], in each norm: 1 in l_inf, sqrt(d)
 * in l2, d in l1. An epsilon above it lets the attack reach every image from every other, so it
 * is almost surely written in 0-255 units (8 for 8/255).
 */
export function largestDistance(norm: AttackNorm, d: number): number {
  return norm === 'linf' ? 1 : norm === 'l2' ? Math.sqrt(d) : d;
}

const normNames: Record<AttackNorm, string> = { linf: 'ℓ∞', l2: 'ℓ2', l1: 'ℓ1' };

/**
 * A warning for epsilons above the largest distance between two images of shape `sampleShape`,
 * with the epsilons divided by 255 as the suggestion where that makes them plausible (in l_inf,
 * only for whole numbers: 8 is a typo for 8/255, while 300/255 is no typo of anything).
 */
export function epsilonWarning(epsilons: readonly number[], norm: AttackNorm, sampleShape: readonly number[]): RunWarning | null {
  const d = sampleShape.reduce((a, b) => a * b, 1);
  const bound = largestDistance(norm, d);
  const implausible = epsilons.filter((eps) => eps > bound);
  if (implausible.length === 0) return null;
  const rescaled = (eps: number) => eps / 255 <= bound && (norm !== 'linf' || Number.isInteger(eps));
  const suggestion = implausible.every(rescaled) ? epsilons.map((eps) => (eps > bound ? eps / 255 : eps)) : null;
  const written = implausible.map(formatEpsilon).join(', ');
  const limit =
    norm === 'linf'
      ? '1, the largest ℓ∞ distance between two images in [0,1] pixel units'
      : `${formatBound(bound)}, the largest ${normNames[norm]} distance between two ${sampleShape.join('×')} images in [0,1] pixel units (${norm === 'l2' ? '√d' : 'd'})`;
  const ask = suggestion
    ? `did you mean ${implausible.map((eps) => `${formatEpsilon(eps)}/255`).join(', ')}?`
    : 'epsilons are in [0,1] pixel units, e.g. 8/255 for ℓ∞';
  return {
    kind: 'epsilon',
    message: `ε = ${written} ${implausible.length === 1 ? 'is' : 'are'} larger than ${limit}; ${ask}`,
    needsConfirmation: true,
    suggestion,
  };
}

function formatBound(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}
