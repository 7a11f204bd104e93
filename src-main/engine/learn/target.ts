import type { AttackNorm } from '../../../src-preload/contract.js';

/**
 * The largest distance an attack confined to the [0,1] pixel box can report for a sample of
 * `size` values: the box's diameter, 1 in l_inf, sqrt(size) in l2, size in l1. A censored
 * sample (no adversarial found) enters training at this bound, the attack's whole budget.
 */
export function marginBound(norm: AttackNorm, size: number): number {
  return norm === 'linf' ? 1 : norm === 'l2' ? Math.sqrt(size) : size;
}

export interface MarginTargets {
  /** sqrt(d_in / bound) per sample, in [0, 1] where the network's sigmoid can reach it. */
  target: Float32Array;
  /** 1 where the sample was censored and entered at the bound. */
  censored: Uint8Array;
  /** The bound the margins were divided by (1 in l_inf: the authors' plain sqrt(d_in)). */
  bound: number;
}

/**
 * The regression target: the authors' code regresses sqrt(d_in) (l_inf margins of at most 1, so
 * within the sigmoid's range); other norms are first divided by the bound, which keeps the same
 * ranking and the same range. `inputMargin`: +Infinity where censored; NaN (no margin attack) is refused.
 */
export function marginTargets(inputMargin: ArrayLike<number>, norm: AttackNorm, sampleSize: number): MarginTargets {
  const bound = marginBound(norm, sampleSize);
  const n = inputMargin.length;
  const target = new Float32Array(n);
  const censored = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const d = inputMargin[k];
    if (Number.isNaN(d)) throw new RangeError(`sample ${k} has no input margin: a pseudo-margin learns from a run with a minimal-norm attack`);
    censored[k] = d === Infinity ? 1 : 0;
    target[k] = Math.sqrt(Math.min(d, bound) / bound);
  }
  return { target, censored, bound };
}

/** The input margin a network output stands for: the inverse of the target's scaling. */
export const marginOfOutput = (output: number, bound: number): number => output * output * bound;
