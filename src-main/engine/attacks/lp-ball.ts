// Norms of one sample's values and Euclidean projections onto l_p balls around the origin, in
// place on one sample's row (a subarray of a flat batch). Sums run in float64.
import type { Norm } from './types.js';

/** ||v||_p for p in {inf, 2, 1}. */
export function lpNorm(v: Float32Array, norm: Norm): number {
  let acc = 0;
  for (let k = 0; k < v.length; k++) {
    const a = Math.abs(v[k]);
    if (norm === 'linf') acc = a > acc ? a : acc;
    else if (norm === 'l1') acc += a;
    else acc += a * a;
  }
  return norm === 'l2' ? Math.sqrt(acc) : acc;
}

/** The dual of an l_p norm (1/p + 1/q = 1): linf <-> l1, l2 <-> l2. */
export function dualNorm(norm: Norm): Norm {
  return norm === 'linf' ? 'l1' : norm === 'l1' ? 'linf' : 'l2';
}

/** Clamps every value into [-eps, eps]. */
export function projectLinfBall(v: Float32Array, eps: number): void {
  for (let k = 0; k < v.length; k++) v[k] = v[k] > eps ? eps : v[k] < -eps ? -eps : v[k];
}

/** Scales v down to length eps when it is longer (the norm floored at 1e-6, as adv-lib's fmn does). */
export function projectL2Ball(v: Float32Array, eps: number): void {
  const factor = eps / Math.max(lpNorm(v, 'l2'), 1e-6);
  if (factor >= 1) return;
  for (let k = 0; k < v.length; k++) v[k] *= factor;
}

/**
 * Euclidean projection onto { w : ||w||_1 <= eps } by sorting (Duchi, Shalev-Shwartz, Singer and
 * Chandra, "Efficient Projections onto the l1-Ball for Learning in High Dimensions", ICML 2008,
 * Figure 1, applied to |v| with the signs put back): with u = |v| sorted in decreasing order,
 * rho = max { j : u_j - (sum_{r<=j} u_r - eps) / j > 0 }, theta = (sum_{r<=rho} u_r - eps) / rho,
 * and w_k = sign(v_k) max(|v_k| - theta, 0).
 */
export function projectL1Ball(v: Float32Array, eps: number): void {
  if (!(eps > 0)) {
    v.fill(0);
    return;
  }
  if (lpNorm(v, 'l1') <= eps) return;
  // Sorted increasing and read from the end: u_j below is the j-th largest |v_k|.
  const sorted = Float64Array.from(v, Math.abs).sort();
  let cumsum = 0;
  let theta = 0;
  for (let j = 0; j < sorted.length; j++) {
    const u = sorted[sorted.length - 1 - j];
    cumsum += u;
    const candidate = (cumsum - eps) / (j + 1);
    // The condition holds exactly for j <= rho (Duchi et al., Lemma 2); taking the last j that
    // meets it, rather than stopping at the first that fails, is the definition and robust to rounding.
    if (u - candidate > 0) theta = candidate;
  }
  for (let k = 0; k < v.length; k++) {
    const a = Math.abs(v[k]) - theta;
    v[k] = a > 0 ? Math.sign(v[k]) * a : 0;
  }
}

/** Projects v onto the eps-ball of the norm, in place. */
export function projectLpBall(v: Float32Array, eps: number, norm: Norm): void {
  if (eps === Infinity) return;
  if (norm === 'linf') projectLinfBall(v, eps);
  else if (norm === 'l2') projectL2Ball(v, eps);
  else projectL1Ball(v, eps);
}
