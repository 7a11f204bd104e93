/**
 * Robust accuracy from per-sample input margins (DESIGN.md section 5; PAPER-METHODS.md section 6).
 * A sample is robust at epsilon when it is classified correctly and its input margin d_in is
 * strictly greater than epsilon, the paper's `correct & ~(d_in <= eps)`. A failed attack is censored:
 * d_in = +Infinity, robust at every epsilon (the paper instead records 0, i.e. never robust).
 * A NaN margin is never robust (NaN > epsilon is false), as the paper's own non-robust test,
 * `~(d_in > eps)`, also labels it.
 */

export interface RobustAccuracyPoint {
  epsilon: number;
  robustAccuracy: number;
}

function checkLengths(correct: ArrayLike<number>, inputMargin: ArrayLike<number>): void {
  if (correct.length !== inputMargin.length) {
    throw new RangeError(`${correct.length} correctness flags for ${inputMargin.length} input margins`);
  }
}

/**
 * Fraction of samples with correct = 1 and inputMargin > epsilon, over all samples (misclassified
 * ones included, as RobustBench counts). NaN for no samples.
 */
export function robustAccuracy(correct: ArrayLike<number>, inputMargin: ArrayLike<number>, epsilon: number): number {
  checkLengths(correct, inputMargin);
  let robust = 0;
  for (let i = 0; i < correct.length; i++) if (correct[i] === 1 && inputMargin[i] > epsilon) robust++;
  return robust / correct.length;
}

/**
 * Robust accuracy as a function of epsilon >= 0, a non-increasing step function. Its value at any
 * epsilon is the `robustAccuracy` of the last point with point.epsilon <= epsilon:
 * - the first point is (0, robustAccuracy(correct, inputMargin, 0)), so margins <= 0 only set its value;
 * - then one point per distinct finite margin d > 0 of a correct sample, in increasing order, with the
 *   value AT d, robustAccuracy(..., d). Because robustness needs d_in > epsilon, the samples with
 *   margin d already count as broken there: the value at d equals the value just after d;
 * - censored samples (+Infinity) never drop out, so the last value is the censored correct fraction.
 * Empty input gives an empty curve.
 */
export function robustAccuracyCurve(correct: ArrayLike<number>, inputMargin: ArrayLike<number>): RobustAccuracyPoint[] {
  checkLengths(correct, inputMargin);
  const n = correct.length;
  if (n === 0) return [];
  const breaks: number[] = [];
  for (let i = 0; i < n; i++) if (correct[i] === 1 && inputMargin[i] > 0) breaks.push(inputMargin[i]);
  const sorted = Float64Array.from(breaks).sort();
  let robust = sorted.length;
  const curve = [{ epsilon: 0, robustAccuracy: robust / n }];
  for (let k = 0; k < sorted.length && Number.isFinite(sorted[k]); ) {
    const epsilon = sorted[k];
    while (k < sorted.length && sorted[k] === epsilon) {
      robust--;
      k++;
    }
    curve.push({ epsilon, robustAccuracy: robust / n });
  }
  return curve;
}
