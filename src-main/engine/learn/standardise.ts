export interface Standardisation {
  mean: Float32Array;
  std: Float32Array;
}

/**
 * Per-column mean and population std (ddof 0, as scikit-learn's StandardScaler) of the rows
 * `rows` of a row-major [n, k] matrix. A constant column gets std 1, so it standardises to 0
 * instead of dividing by zero.
 */
export function standardisation(x: Float32Array, k: number, rows: ArrayLike<number>): Standardisation {
  const mean = new Float64Array(k);
  const sq = new Float64Array(k);
  for (let r = 0; r < rows.length; r++) for (let j = 0; j < k; j++) mean[j] += x[rows[r] * k + j];
  for (let j = 0; j < k; j++) mean[j] /= rows.length;
  for (let r = 0; r < rows.length; r++) {
    for (let j = 0; j < k; j++) {
      const d = x[rows[r] * k + j] - mean[j];
      sq[j] += d * d;
    }
  }
  const std = Float32Array.from(sq, (s) => Math.sqrt(s / rows.length) || 1);
  return { mean: Float32Array.from(mean), std };
}

/** The rows `rows` of x, standardised, as a new row-major [rows.length, k] matrix. */
export function standardisedRows(x: Float32Array, k: number, rows: ArrayLike<number>, s: Standardisation): Float32Array {
  const out = new Float32Array(rows.length * k);
  for (let r = 0; r < rows.length; r++) for (let j = 0; j < k; j++) out[r * k + j] = (x[rows[r] * k + j] - s.mean[j]) / s.std[j];
  return out;
}
