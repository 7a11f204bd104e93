/**
 * Binary-classifier curves and their summaries, all derived from one helper as scikit-learn derives
 * them from `_binary_clf_curve` (sklearn/metrics/_ranking.py). The score is sorted once
 * (`scoreOrder`) and reused for every label vector: Brink's score, -d_out, does not depend on epsilon,
 * only the labels (d_in <= epsilon) do, so one sort serves the whole epsilon grid and every bootstrap
 * resample (REVIEW.md section 3 item 1; PAPER-METHODS.md section 4).
 *
 * Conventions shared by every function here:
 * - positive = 1 (in Brink: non-robust), negative = 0; higher score = more likely positive;
 * - a sample is predicted positive when score >= threshold, so tied scores always move together;
 * - a curve or summary that needs both classes returns `null` when one is empty (scikit-learn raises
 *   or warns and returns NaN there); caller errors (NaN score, length mismatch, label not 0/1) throw
 *   `RangeError`.
 */

/** The score's stable descending order, computed once per score vector. */
export interface ScoreOrder {
  /** order[k] = index of the k-th highest score; equal scores keep their input order. */
  order: Uint32Array;
  /** sorted[k] = score[order[k]], with -0 stored as +0 (they are the same threshold). */
  sorted: Float64Array;
}

/**
 * Cumulative counts at each distinct score, from the highest down: the output of scikit-learn's
 * `_binary_clf_curve` (without sample weights). Entry k counts the samples with score >= thresholds[k].
 */
export interface ThresholdCounts {
  /** Distinct scores, descending. */
  thresholds: Float64Array;
  /** tps[k] = #{positives with score >= thresholds[k]}. */
  tps: Float64Array;
  /** fps[k] = #{negatives with score >= thresholds[k]}. */
  fps: Float64Array;
  positives: number;
  negatives: number;
}

export interface RocCurve {
  fpr: Float64Array;
  tpr: Float64Array;
  thresholds: Float64Array;
}

export interface PrecisionRecallCurve {
  precision: Float64Array;
  recall: Float64Array;
  thresholds: Float64Array;
}

export interface DetCurve {
  fpr: Float64Array;
  fnr: Float64Array;
  thresholds: Float64Array;
}

export interface OperatingPoint {
  fpr: number;
  tpr: number;
  threshold: number;
}

export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

// The two 32-bit words of a float64, whatever the platform's byte order.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = 1 - HI;

/**
 * Stable descending sort of `score`, as scikit-learn's `argsort(kind="mergesort")[::-1]` (which orders
 * ties the other way round; no result here depends on the order inside a tie group).
 *
 * A comparator sort of an index array takes over half a second for 10^6 scores, so this is an LSD radix
 * sort (16-bit digits) on the float's bits mapped to an unsigned key that increases as the score
 * decreases. LSD radix sorting is stable, and digits on which every key agrees (the low words of
 * integer-valued scores, for example) are skipped. Throws RangeError on NaN; infinities sort as the
 * extremes (scikit-learn rejects them).
 */
export function scoreOrder(score: ArrayLike<number>): ScoreOrder {
  const n = score.length;
  const sorted = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = score[i];
    if (Number.isNaN(s)) throw new RangeError(`score[${i}] is NaN: a score must be a number to be ranked`);
    sorted[i] = s + 0; // -0 + 0 = +0: one key for one threshold
  }
  const words = new Uint32Array(sorted.buffer);
  let hi = new Uint32Array(n);
  let lo = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const h = words[2 * i + HI];
    const l = words[2 * i + LO];
    // Negative floats: bits already grow as the value falls. Non-negative: flip all but the sign bit.
    const negative = h >>> 31 === 1;
    hi[i] = negative ? h : (h ^ 0x7fffffff) >>> 0;
    lo[i] = negative ? l : ~l >>> 0;
  }
  let order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let hi2 = new Uint32Array(n);
  let lo2 = new Uint32Array(n);
  let order2 = new Uint32Array(n);
  const count = new Uint32Array(65536);
  for (const [word, shift] of [['lo', 0], ['lo', 16], ['hi', 0], ['hi', 16]] as const) {
    const keys = word === 'lo' ? lo : hi;
    count.fill(0);
    for (let i = 0; i < n; i++) count[(keys[i] >>> shift) & 0xffff]++;
    if (n === 0 || count[(keys[0] >>> shift) & 0xffff] === n) continue;
    let sum = 0;
    for (let d = 0; d < 65536; d++) {
      const c = count[d];
      count[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const at = count[(keys[i] >>> shift) & 0xffff]++;
      hi2[at] = hi[i];
      lo2[at] = lo[i];
      order2[at] = order[i];
    }
    [hi, hi2, lo, lo2, order, order2] = [hi2, hi, lo2, lo, order2, order];
  }
  const values = sorted.slice();
  for (let k = 0; k < n; k++) sorted[k] = values[order[k]];
  return { order, sorted };
}

/**
 * Cumulative true and false positives at each distinct score (scikit-learn `_binary_clf_curve`):
 * walk the scores from the highest down and record the counts at the last index of each tie group,
 * so a tie group is never split. O(n) for an order computed once.
 * `positive[i]` must be 1 (positive) or 0 (negative). An empty class is allowed here; the functions
 * that need both classes return null.
 */
export function thresholdCounts(order: ScoreOrder, positive: ArrayLike<number>): ThresholdCounts {
  const n = order.order.length;
  if (positive.length !== n) throw new RangeError(`${positive.length} labels for ${n} scores`);
  const { sorted } = order;
  let distinct = n > 0 ? 1 : 0;
  for (let k = 1; k < n; k++) if (sorted[k] !== sorted[k - 1]) distinct++;
  const thresholds = new Float64Array(distinct);
  const tps = new Float64Array(distinct);
  const fps = new Float64Array(distinct);
  let tp = 0;
  let fp = 0;
  let group = 0;
  for (let k = 0; k < n; k++) {
    const i = order.order[k];
    const label = positive[i];
    if (label === 1) tp++;
    else if (label === 0) fp++;
    else throw new RangeError(`label ${label} at sample ${i}: labels must be 1 (positive) or 0 (negative)`);
    if (k === n - 1 || sorted[k + 1] !== sorted[k]) {
      thresholds[group] = sorted[k];
      tps[group] = tp;
      fps[group] = fp;
      group++;
    }
  }
  return { thresholds, tps, fps, positives: tp, negatives: fp };
}

const hasBothClasses = (c: ThresholdCounts) => c.positives > 0 && c.negatives > 0;

/**
 * Indices of the points scikit-learn's `drop_intermediate` keeps: the ends, and every point where the
 * second difference of fps or of tps is nonzero (a corner). Collinear points in between never change
 * the curve or its area. Like scikit-learn, nothing is dropped from a curve of two points or fewer.
 */
function cornerIndices(c: ThresholdCounts): number[] {
  const m = c.thresholds.length;
  if (m <= 2) return Array.from({ length: m }, (_, k) => k);
  const keep = [0];
  for (let k = 1; k < m - 1; k++) {
    const bendsFp = c.fps[k + 1] - 2 * c.fps[k] + c.fps[k - 1] !== 0;
    if (bendsFp || c.tps[k + 1] - 2 * c.tps[k] + c.tps[k - 1] !== 0) keep.push(k);
  }
  keep.push(m - 1);
  return keep;
}

/**
 * ROC curve, as scikit-learn `roc_curve(y, s, drop_intermediate=...)`: fpr = fps/N, tpr = tps/P at
 * each kept distinct threshold (descending), preceded by (0, 0) at threshold +Infinity (scikit-learn
 * >= 1.3; 1.2 used max(score) + 1 there). Ties: a tie group is one point. Null when a class is empty
 * (scikit-learn warns and returns NaN for that axis).
 */
export function rocCurve(c: ThresholdCounts, options: { dropIntermediate?: boolean } = {}): RocCurve | null {
  if (!hasBothClasses(c)) return null;
  const kept = (options.dropIntermediate ?? true) ? cornerIndices(c) : Array.from(c.thresholds, (_, k) => k);
  const size = kept.length + 1;
  const fpr = new Float64Array(size);
  const tpr = new Float64Array(size);
  const thresholds = new Float64Array(size);
  thresholds[0] = Infinity;
  kept.forEach((k, j) => {
    fpr[j + 1] = c.fps[k] / c.negatives;
    tpr[j + 1] = c.tps[k] / c.positives;
    thresholds[j + 1] = c.thresholds[k];
  });
  return { fpr, tpr, thresholds };
}

/**
 * Precision-recall curve, as scikit-learn 1.2 `precision_recall_curve(y, s)`: one point per distinct
 * threshold in ascending threshold order (all of them: no `drop_intermediate`, and the curve does not
 * stop at the first full-recall point, which scikit-learn < 1.1 did), then the end point
 * (precision 1, recall 0) with no threshold. precision = tps/(tps+fps), recall = tps/P.
 * Ties: a tie group is one point. Null with no positives (scikit-learn warns and sets recall to 1);
 * no negatives is fine (precision 1 everywhere).
 */
export function precisionRecallCurve(c: ThresholdCounts): PrecisionRecallCurve | null {
  if (c.positives === 0) return null;
  const m = c.thresholds.length;
  const precision = new Float64Array(m + 1);
  const recall = new Float64Array(m + 1);
  const thresholds = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    const j = m - 1 - k;
    precision[j] = c.tps[k] / (c.tps[k] + c.fps[k]);
    recall[j] = c.tps[k] / c.positives;
    thresholds[j] = c.thresholds[k];
  }
  precision[m] = 1;
  recall[m] = 0;
  return { precision, recall, thresholds };
}

/**
 * Forward (descending-threshold) index range [first, last] of scikit-learn's `det_curve`: it starts at
 * the last threshold whose fps still equals that of the highest threshold and stops at the first
 * threshold where every positive is caught (fnr = 0).
 */
function detRange(c: ThresholdCounts): [number, number] {
  let first = 0;
  while (first + 1 < c.fps.length && c.fps[first + 1] === c.fps[0]) first++;
  let last = 0;
  while (c.tps[last] !== c.positives) last++;
  return [first, last];
}

/**
 * Detection error tradeoff curve, as scikit-learn `det_curve(y, s)` (1.2; later versions add
 * `drop_intermediate=False`, the same output by default): fpr = fps/N and fnr = (P - tps)/P over the
 * range of `detRange`, in ascending threshold order, so fpr falls and fnr rises. Ties: a tie group is
 * one point. Null when a class is empty (scikit-learn raises).
 */
export function detCurve(c: ThresholdCounts): DetCurve | null {
  if (!hasBothClasses(c)) return null;
  const [first, last] = detRange(c);
  const size = last - first + 1;
  const fpr = new Float64Array(size);
  const fnr = new Float64Array(size);
  const thresholds = new Float64Array(size);
  for (let j = 0; j < size; j++) {
    const k = last - j;
    fpr[j] = c.fps[k] / c.negatives;
    fnr[j] = (c.positives - c.tps[k]) / c.positives;
    thresholds[j] = c.thresholds[k];
  }
  return { fpr, fnr, thresholds };
}

/**
 * AUROC = P(s+ > s-) + 1/2 P(s+ = s-), as scikit-learn `roc_auc_score` (the trapezoid over the ROC
 * points; a tie group is one diagonal segment, hence the half credit). Summed in integer counts,
 * sum of dFP * (TP_k + TP_{k-1}) over 2PN, which is exact below 2^53 and leaves one rounding.
 * Null when a class is empty (scikit-learn raises).
 */
export function auroc(c: ThresholdCounts): number | null {
  if (!hasBothClasses(c)) return null;
  let area = 0;
  let fp = 0;
  let tp = 0;
  for (let k = 0; k < c.thresholds.length; k++) {
    area += (c.fps[k] - fp) * (c.tps[k] + tp);
    fp = c.fps[k];
    tp = c.tps[k];
  }
  return area / (2 * c.positives * c.negatives);
}

/**
 * The paper's AUPR: scikit-learn `auc(recall, precision)` over `precisionRecallCurve`, the trapezoid
 * between consecutive PR points including the end point (recall 0, precision 1). This is not
 * `average_precision_score` (PAPER-METHODS.md section 4). Ties: a tie group is one point, joined to
 * its neighbours by straight lines. Null with no positives.
 */
export function aupr(c: ThresholdCounts): number | null {
  if (c.positives === 0) return null;
  let area = 0;
  let recall = 0;
  let precision = 1;
  for (let k = 0; k < c.thresholds.length; k++) {
    const r = c.tps[k] / c.positives;
    const p = c.tps[k] / (c.tps[k] + c.fps[k]);
    area += ((r - recall) * (p + precision)) / 2;
    recall = r;
    precision = p;
  }
  return area;
}

/**
 * Average precision, as scikit-learn `average_precision_score`: sum over thresholds of
 * (R_k - R_{k-1}) * P_k, a step function with no interpolation. Ties: a tie group is one step.
 * Null with no positives (scikit-learn warns and returns a meaningless value).
 */
export function averagePrecision(c: ThresholdCounts): number | null {
  if (c.positives === 0) return null;
  let sum = 0;
  let tp = 0;
  for (let k = 0; k < c.thresholds.length; k++) {
    sum += ((c.tps[k] - tp) / c.positives) * (c.tps[k] / (c.tps[k] + c.fps[k]));
    tp = c.tps[k];
  }
  return sum;
}

function checkTarget(target: number): void {
  if (!(target >= 0 && target <= 1)) throw new RangeError(`target TPR ${target} is not in [0, 1]`);
}

/**
 * TPR exactly as the paper's code computes it: 1 - fnr with fnr = (P - tps)/P, in float64. It can
 * differ from tps/P in the last bit, which decides `tpr >= target` when target is itself a fraction
 * with denominator P (0.95 with P = 20, say).
 */
const paperTpr = (c: ThresholdCounts, k: number) => 1 - (c.positives - c.tps[k]) / c.positives;

/**
 * FPR at a target TPR as the paper computes it (`get_FPR_at_TPR`, scoreslib.py:176-181, from
 * melanibe/failure_detection_benchmark): on scikit-learn's `det_curve`, tpr = 1 - fnr and
 * `i = argmin(tpr[tpr >= target])`. The qualifying points form a prefix of the DET curve (TPR falls
 * along it), so this is the FIRST DET point of the lowest TPR plateau that still reaches the target:
 * the point of that plateau with the lowest threshold and the LARGEST FPR. Compare `fprAtTprMin`.
 * Predicted positive when score >= threshold. Null when a class is empty (det_curve raises).
 */
export function fprAtTprDet(c: ThresholdCounts, target = 0.95): OperatingPoint | null {
  checkTarget(target);
  if (!hasBothClasses(c)) return null;
  const [first, last] = detRange(c);
  let k = first;
  while (paperTpr(c, k) < target) k++;
  while (k < last && paperTpr(c, k + 1) === paperTpr(c, k)) k++;
  return { fpr: c.fps[k] / c.negatives, tpr: paperTpr(c, k), threshold: c.thresholds[k] };
}

/**
 * The textbook FPR at a target TPR: the minimum FPR over thresholds with TPR >= target, with the
 * highest threshold that reaches the target (on the TPR plateau this is the point with the fewest
 * false positives). TPR is computed as in `fprAtTprDet` (`paperTpr`) so that the two readings differ
 * only in the point they pick. A target of 0 is met by predicting nothing positive (threshold +Infinity).
 * Null when a class is empty.
 */
export function fprAtTprMin(c: ThresholdCounts, target = 0.95): OperatingPoint | null {
  checkTarget(target);
  if (!hasBothClasses(c)) return null;
  if (target === 0) return { fpr: 0, tpr: 0, threshold: Infinity };
  let k = 0;
  while (paperTpr(c, k) < target) k++;
  return { fpr: c.fps[k] / c.negatives, tpr: paperTpr(c, k), threshold: c.thresholds[k] };
}

/**
 * Confusion counts when a sample is predicted positive iff score >= threshold: binary search for the
 * last distinct score >= threshold. Any threshold is allowed, including +-Infinity; NaN throws.
 */
export function confusionAt(c: ThresholdCounts, threshold: number): Confusion {
  if (Number.isNaN(threshold)) throw new RangeError('threshold is NaN');
  let lo = 0;
  let hi = c.thresholds.length; // answer: the number of distinct scores >= threshold
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (c.thresholds[mid] >= threshold) lo = mid + 1;
    else hi = mid;
  }
  const tp = lo > 0 ? c.tps[lo - 1] : 0;
  const fp = lo > 0 ? c.fps[lo - 1] : 0;
  return { tp, fp, tn: c.negatives - fp, fn: c.positives - tp };
}

/**
 * At most `limit` evenly spaced indices into a curve of n points, always keeping the first and the
 * last, for drawing a curve of 10^6 points on a chart of a few hundred pixels. All n indices when
 * n <= limit.
 */
export function downsampleCurve(n: number, limit = 500): Uint32Array {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`curve length ${n} is not a count`);
  if (!Number.isInteger(limit) || limit < 2) throw new RangeError(`limit ${limit} must be an integer >= 2`);
  if (n <= limit) return Uint32Array.from({ length: n }, (_, k) => k);
  const step = (n - 1) / (limit - 1);
  return Uint32Array.from({ length: limit }, (_, k) => (k === limit - 1 ? n - 1 : Math.round(k * step)));
}
