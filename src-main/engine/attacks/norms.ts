import type { Norm } from './types.js';

/** ||a_i - b_i||_p for each of n samples of `per` values. */
export function perturbationNorms(a: Float32Array, b: Float32Array, n: number, per: number, norm: Norm): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let acc = 0;
    for (let k = i * per; k < (i + 1) * per; k++) {
      const d = Math.abs(a[k] - b[k]);
      if (norm === 'linf') acc = Math.max(acc, d);
      else if (norm === 'l1') acc += d;
      else acc += d * d;
    }
    out[i] = norm === 'l2' ? Math.sqrt(acc) : acc;
  }
  return out;
}

/** Clamps every value into the valid pixel box [0, 1], in place. */
export function clipToBox(x: Float32Array): Float32Array {
  for (let k = 0; k < x.length; k++) x[k] = x[k] < 0 ? 0 : x[k] > 1 ? 1 : x[k];
  return x;
}
