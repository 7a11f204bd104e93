/**
 * Margins of a linear-head classifier, computed from logits (DESIGN.md section 5).
 * Every margin is taken with respect to the model's own prediction i = argmax f(x).
 */
export type Norm = 'linf' | 'l2' | 'l1';

/** argmax with ties resolved to the lowest index, as numpy and PyTorch do. */
export function argmax(values: ArrayLike<number>, offset = 0, length = values.length - offset): number {
  let best = 0;
  for (let j = 1; j < length; j++) if (values[offset + j] > values[offset + best]) best = j;
  return best;
}

/** d_out(x) = f_i(x) - max_{j != i} f_j(x). */
export function logitMargin(logits: ArrayLike<number>, offset: number, classes: number): number {
  const i = argmax(logits, offset, classes);
  let runnerUp = -Infinity;
  for (let j = 0; j < classes; j++) if (j !== i && logits[offset + j] > runnerUp) runnerUp = logits[offset + j];
  return logits[offset + i] - runnerUp;
}

/** The dual exponent q of p: the feature margin for an l_p perturbation divides by ||w_i - w_j||_q. */
export function dualNorm(norm: Norm): Norm {
  return norm === 'linf' ? 'l1' : norm === 'l1' ? 'linf' : 'l2';
}

export function vectorNorm(v: ArrayLike<number>, norm: Norm): number {
  let acc = 0;
  for (let k = 0; k < v.length; k++) {
    const a = Math.abs(v[k]);
    if (norm === 'linf') acc = Math.max(acc, a);
    else if (norm === 'l1') acc += a;
    else acc += a * a;
  }
  return norm === 'l2' ? Math.sqrt(acc) : acc;
}

/**
 * Pairwise ||w_i - w_j||_q for a head W of shape [C, D] (row-major), as a C x C matrix.
 * This is also the equidistance statistic of the head.
 */
export function pairwiseWeightDistances(weights: Float32Array, classes: number, features: number, norm: Norm): Float64Array {
  const out = new Float64Array(classes * classes);
  const diff = new Float64Array(features);
  for (let i = 0; i < classes; i++) {
    for (let j = i + 1; j < classes; j++) {
      for (let k = 0; k < features; k++) diff[k] = weights[i * features + k] - weights[j * features + k];
      const d = vectorNorm(diff, norm);
      out[i * classes + j] = d;
      out[j * classes + i] = d;
    }
  }
  return out;
}

/**
 * Distance in the penultimate space to the head's nearest boundary for an l_p perturbation:
 * min_{j != i} (f_i - f_j) / ||w_i - w_j||_q, with distances from pairwiseWeightDistances(W, dual(p)).
 */
export function featureMargin(logits: ArrayLike<number>, offset: number, classes: number, distances: Float64Array): number {
  const i = argmax(logits, offset, classes);
  let best = Infinity;
  for (let j = 0; j < classes; j++) {
    if (j === i) continue;
    const d = distances[i * classes + j];
    const m = d > 0 ? (logits[offset + i] - logits[offset + j]) / d : Infinity;
    if (m < best) best = m;
  }
  return best;
}

/** The C(C-1)/2 distinct pairwise distances, upper triangle in row order. */
export function upperTriangle(matrix: Float64Array, classes: number): Float64Array {
  const out = new Float64Array((classes * (classes - 1)) / 2);
  let n = 0;
  for (let i = 0; i < classes; i++) for (let j = i + 1; j < classes; j++) out[n++] = matrix[i * classes + j];
  return out;
}
