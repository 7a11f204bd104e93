/**
 * Jacobian mode: K cotangents per sample in one run of the gradient model, by repeating each
 * sample K times along the batch axis (FAB needs every logit difference's gradient, DeepFool
 * the top classes'). The gradient model itself is unchanged; only the feeds are.
 */

export interface JacobianFeeds {
  /** [B*K, ...sample]: sample b at rows b*K .. b*K+K-1. */
  x: Float32Array;
  xDims: number[];
  /** [B*K, C]: the cotangents, row b*K+j is sample b's j-th. */
  v: Float32Array;
  vDims: number[];
}

/**
 * @param x [B, ...sample] row-major
 * @param cotangents [B, K, C] row-major
 */
export function jacobianFeeds(x: Float32Array, xDims: readonly number[], cotangents: Float32Array, k: number): JacobianFeeds {
  const batch = xDims[0];
  const sample = x.length / batch;
  const classes = cotangents.length / (batch * k);
  if (!Number.isInteger(sample) || !Number.isInteger(classes) || k < 1) {
    throw new Error(`cotangents of length ${cotangents.length} do not fit ${batch} samples × ${k} per sample`);
  }
  const repeated = new Float32Array(x.length * k);
  for (let b = 0; b < batch; b++) {
    const one = x.subarray(b * sample, (b + 1) * sample);
    for (let j = 0; j < k; j++) repeated.set(one, (b * k + j) * sample);
  }
  return { x: repeated, xDims: [batch * k, ...xDims.slice(1)], v: cotangents, vDims: [batch * k, classes] };
}

/** The identity per sample ([B, C, C]): with it, row j of a sample's result is the gradient of logit j. */
export function classBasis(batch: number, classes: number): Float32Array {
  const v = new Float32Array(batch * classes * classes);
  for (let b = 0; b < batch; b++) for (let c = 0; c < classes; c++) v[(b * classes + c) * classes + c] = 1;
  return v;
}

/** Views of a [B*K, ...sample] result as result[b][j] (no copies). */
export function splitJacobian(gradient: Float32Array, batch: number, k: number): Float32Array[][] {
  const size = gradient.length / (batch * k);
  return Array.from({ length: batch }, (_, b) => Array.from({ length: k }, (_, j) => gradient.subarray((b * k + j) * size, (b * k + j + 1) * size)));
}
