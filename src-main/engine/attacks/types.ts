// The shape every attack module shares (AutoAttack style: one file per attack, one entry point,
// options passed per run with documented defaults).

export type Norm = 'linf' | 'l2' | 'l1';

/** n samples, flattened row-major: sample i occupies [i*per, (i+1)*per). */
export interface Batch {
  x: Float32Array;
  n: number;
  /** The class each sample must be moved away from: the model's own prediction (margins), or the label (robust accuracy). */
  classes: Int32Array;
}

export interface AttackResult {
  /** The candidate adversarial examples, same layout as the input; the input itself where the attack failed. */
  adv: Float32Array;
  /** 1 where the attack's own last forward pass saw a changed class. The job re-verifies independently. */
  success: Uint8Array;
  /** Iterations each sample used (until first success, or the budget). */
  iterations: Int32Array;
}

/**
 * Relative slack when comparing a perturbation's norm with an epsilon: a float32 point on the
 * ball's edge measures a few ulps above it. Used wherever "within epsilon" is decided.
 */
export const EPSILON_SLACK = 1e-6;

export function withinEpsilon(norm: number, epsilon: number): boolean {
  return norm <= epsilon * (1 + EPSILON_SLACK);
}

export { mulberry32 } from '../random.js';
