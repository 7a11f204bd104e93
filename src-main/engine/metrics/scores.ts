/**
 * Confidence scores from logits (PAPER-METHODS.md section 9; the authors' scoreslib.py), for
 * ranking samples by how brittle their decision is.
 *
 * Orientation: every score here is oriented so that HIGHER = MORE CONFIDENT, so -score is the
 * detector of brittle (non-robust) decisions, whatever the score. Uncertainty measures are negated
 * for that: entropy becomes -H, energy becomes -E = logsumexp f, DOCTOR's D_alpha and D_beta become
 * -D. The authors' code instead keeps each raw score and negates it when its Kendall tau with d_in
 * is positive (nbutils.py:211-217), an orientation chosen from the data; a fixed orientation cannot
 * flip between models and needs no tau first.
 *
 * Computed in float64 with a stable softmax at temperature 1: with m = max f, e_j = exp(f_j - m),
 * s = sum e_j, p_j = e_j / s and logsumexp f = m + log s. The references are scipy.special's
 * softmax, logsumexp and entropy (goldens in goldens/rank.json).
 */

export const confidenceScoreNames = ['logit-margin', 'probability-margin', 'max-probability', 'entropy', 'energy', 'doctor-alpha', 'doctor-beta'] as const;

export type ConfidenceScoreName = (typeof confidenceScoreNames)[number];

/**
 * For logits of n samples, row-major [n, classes]:
 * - logit-margin: f(1) - f(2), the top logit minus the runner-up (0 when the top two tie);
 * - probability-margin: p(1) - p(2);
 * - max-probability: max p (MSP);
 * - entropy: -H(p) = sum p log p, with 0 log 0 = 0 (log p_j taken as f_j - logsumexp f);
 * - energy: +logsumexp f, i.e. -E with the energy E = -logsumexp f;
 * - doctor-alpha: -(1 - sum p^2) / sum p^2 (DOCTOR's D_alpha, negated);
 * - doctor-beta: -(1 - max p) / max p (DOCTOR's D_beta, negated), which equals -(s - 1).
 * RangeError when classes < 2, when logits.length is not a multiple of classes, or on a
 * non-finite logit (a softmax of an infinite or NaN logit has no meaningful score).
 */
export function confidenceScores(logits: ArrayLike<number>, classes: number): Record<ConfidenceScoreName, Float64Array> {
  if (!Number.isInteger(classes) || classes < 2) throw new RangeError(`confidence scores need at least 2 classes, got ${classes}`);
  if (logits.length % classes !== 0) throw new RangeError(`${logits.length} logits do not split into rows of ${classes}`);
  const n = logits.length / classes;
  const out = Object.fromEntries(confidenceScoreNames.map((name) => [name, new Float64Array(n)])) as Record<ConfidenceScoreName, Float64Array>;
  const e = new Float64Array(classes);
  for (let row = 0; row < n; row++) scoreRow(logits, row * classes, classes, e, out, row);
  return out;
}

function scoreRow(logits: ArrayLike<number>, offset: number, classes: number, e: Float64Array, out: Record<ConfidenceScoreName, Float64Array>, row: number) {
  let top = 0;
  for (let j = 0; j < classes; j++) {
    const f = logits[offset + j];
    if (!Number.isFinite(f)) throw new RangeError(`logit ${j} of sample ${row} is ${f}`);
    if (f > logits[offset + top]) top = j;
  }
  const m = logits[offset + top];
  let second = -Infinity;
  let s = 0;
  // rest = s - 1 = sum of e_j over every class but one argmax, summed without the 1 so that
  // near-one-hot rows keep their precision in 1 - max p and 1 - sum p^2.
  let rest = 0;
  for (let j = 0; j < classes; j++) {
    const f = logits[offset + j];
    e[j] = Math.exp(f - m);
    s += e[j];
    if (j !== top) {
      rest += e[j];
      if (f > second) second = f;
    }
  }
  const lse = m + Math.log(s);
  let plogp = 0;
  let squares = 0;
  let pairs = 0;
  for (let j = 0; j < classes; j++) {
    const p = e[j] / s;
    if (p > 0) plogp += p * (logits[offset + j] - lse);
    squares += e[j] * e[j];
    // s^2 - sum e^2 = sum e_j (s - e_j), with s - e_j = rest + (1 - e_j): exact rest at the argmax.
    pairs += e[j] * (rest + (1 - e[j]));
  }
  out['logit-margin'][row] = m - second;
  out['probability-margin'][row] = (1 - Math.exp(second - m)) / s;
  out['max-probability'][row] = 1 / s;
  out.entropy[row] = plogp;
  out.energy[row] = lse;
  // 0 - v rather than -v: a one-hot row scores +0, not -0.
  out['doctor-alpha'][row] = (0 - pairs) / squares;
  out['doctor-beta'][row] = 0 - rest;
}
