// Small helpers on one sample's row of logits, shared by the attacks.

/** The predicted class: the first index of the largest logit. */
export function argmax(row: Float32Array): number {
  let best = 0;
  for (let j = 1; j < row.length; j++) if (row[j] > row[best]) best = j;
  return best;
}

/** The class with the largest logit other than `exclude`. */
export function bestOtherClass(row: Float32Array, exclude: number): number {
  let best = exclude === 0 ? 1 : 0;
  for (let j = best + 1; j < row.length; j++) if (j !== exclude && row[j] > row[best]) best = j;
  return best;
}

/** The classes other than `exclude` by decreasing logit (ties to the lower index), at most `k` of them. */
export function othersByLogit(row: Float32Array, exclude: number, k = row.length - 1): number[] {
  const others = [...row.keys()].filter((j) => j !== exclude);
  others.sort((a, b) => row[b] - row[a] || a - b);
  return others.slice(0, k);
}
