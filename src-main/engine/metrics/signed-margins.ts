/**
 * Signed margins (Wu and Yu, "Understanding Adversarial Robustness: The Trade-off between
 * Minimum and Average Margin", 2019): +d for a correctly classified sample, -d for a wrong one,
 * with d the distance to the decision boundary. The minimum margin is the smallest signed margin
 * over the samples; the average margin is the mean of |margin|. Training that raises the minimum
 * while lowering the average trades robustness away, which a checkpoint series shows.
 *
 * Censoring: d = +Infinity (no adversarial example within the budget) or NaN (no margin) is
 * left out of both statistics and counted, so that a censored sample never counts as 0.
 */

export interface SignedMarginSummary {
  /** The signed margins of the samples with a finite d, in sample order. */
  values: Float64Array;
  /** Smallest signed margin; null when no sample has a finite d. */
  minimum: number | null;
  /** Mean of |signed margin|; null when no sample has a finite d. */
  average: number | null;
  /** Samples left out: no finite d. */
  censored: number;
}

export function signedMargins(correct: ArrayLike<number>, distance: ArrayLike<number>): SignedMarginSummary {
  if (correct.length !== distance.length) throw new RangeError(`signedMargins: ${correct.length} correctness flags but ${distance.length} distances`);
  const values: number[] = [];
  let minimum = Infinity;
  let absSum = 0;
  for (let k = 0; k < distance.length; k++) {
    const d = distance[k];
    if (!Number.isFinite(d)) continue;
    const signed = correct[k] ? d : -d;
    values.push(signed);
    if (signed < minimum) minimum = signed;
    absSum += Math.abs(d);
  }
  const n = values.length;
  return { values: Float64Array.from(values), minimum: n ? minimum : null, average: n ? absSum / n : null, censored: distance.length - n };
}
