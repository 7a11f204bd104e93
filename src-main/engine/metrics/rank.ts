/**
 * Rank correlations (Kendall's tau-b, Spearman's rho) and Pearson's r, each as SciPy computes it
 * (scipy.stats.kendalltau, spearmanr, pearsonr; goldens in goldens/rank.json).
 *
 * NaN policy 'raise': a NaN anywhere throws RangeError (SciPy's default, 'propagate', would return
 * NaN and hide the bad sample). +-Infinity are ordinary values for the rank statistics: a censored
 * input margin goes in as +Infinity, ranks above every finite margin, and ties with the other
 * censored samples. Ties are exact equality of the float64 values (-0 equals +0). (SciPy 1.10
 * tests for NaN with isnan(sum(a)), so +Infinity and -Infinity in one array read as NaN there.)
 * Undefined results (fewer than 2 samples, or one side constant) are NaN, never a throw.
 */

/** Dense ranks 0..unique-1 in ascending value order; equal values share a rank. */
export interface DenseRanks {
  ranks: Uint32Array;
  /** Number of distinct values. */
  unique: number;
}

/** scipy.stats.rankdata(values, 'dense') - 1. NaN throws RangeError. */
export function denseRanks(values: ArrayLike<number>): DenseRanks {
  const { ranks, unique } = ranksInOrder(values, argsort([sortKeys(values)]));
  return { ranks, unique };
}

/**
 * scipy.stats.rankdata(values, method='average'): 1-based ranks, each tie group getting the mean
 * of the ranks it spans. NaN throws RangeError; empty input gives an empty array.
 */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const order = argsort([sortKeys(values)]);
  const out = new Float64Array(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && values[order[end]] === values[order[start]]) end++;
    // The group holds ranks start+1..end; SciPy's 0.5 * (cumulative count + previous one + 1).
    const rank = 0.5 * (start + end + 1);
    for (let k = start; k < end; k++) out[order[k]] = rank;
    start = end;
  }
  return out;
}

/**
 * Kendall's tau-b, scipy.stats.kendalltau(x, y) with its default variant='b':
 *   tau_b = (n_c - n_d) / sqrt((n0 - n1)(n0 - n2)),
 * n0 = n(n-1)/2 pairs, n1 and n2 the pairs tied in x and in y, n_c and n_d the concordant and
 * discordant pairs (a pair tied in either variable is neither). Same arithmetic as SciPy:
 * n_c - n_d = n0 - n1 - n2 + n12 - 2 n_d with n12 the pairs tied in both, divided by the two
 * square roots in turn, clamped to [-1, 1].
 *
 * O(n log n), as SciPy: a radix argsort by y gives the dense ranks of y and its ties; a stable
 * radix pass by x on that order gives the (x, y) order, where x ties and joint ties are runs;
 * a Fenwick tree over y ranks counts the discordant pairs (SciPy's `_kendall_dis`). No comparator
 * callbacks anywhere. All counts are integers below 2^53 and exact in float64.
 *
 * NaN when n < 2 or either side is constant (n0 = n1 or n0 = n2); RangeError on NaN input or a
 * length mismatch.
 */
export function kendallTauB(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = sameLength(x, y);
  const keysX = sortKeys(x);
  const byY = argsort([sortKeys(y)]);
  if (n < 2) return NaN;
  const ry = ranksInOrder(y, byY);
  const { tiesX, tiesBoth, discordant } = countPairs(x, ry, argsort([keysX], byY));
  const total = (n * (n - 1)) / 2;
  if (tiesX === total || ry.tiedPairs === total) return NaN;
  const conMinusDis = total - tiesX - ry.tiedPairs + tiesBoth - 2 * discordant;
  const tau = conMinusDis / Math.sqrt(total - tiesX) / Math.sqrt(total - ry.tiedPairs);
  return Math.min(1, Math.max(-1, tau));
}

/**
 * Spearman's rho, scipy.stats.spearmanr(x, y).statistic: Pearson's r of the average ranks
 * (`averageRanks`), so ties share their mean rank and +-Infinity rank like any value.
 * NaN when n < 2 or either side is constant; RangeError on NaN input or a length mismatch.
 */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = sameLength(x, y);
  const ax = averageRanks(x);
  const ay = averageRanks(y);
  if (n < 2) return NaN;
  return correlation(ax, ay);
}

/**
 * Pearson's r, scipy.stats.pearsonr(x, y).statistic: centre both, divide each by its (overflow-safe)
 * Euclidean norm, take the dot product, clamp to [-1, 1]; for n = 2, sign(dx) * sign(dy) as SciPy.
 * NaN when either side is constant, and when n < 2 (where SciPy raises). RangeError on any
 * non-finite value (a censored +Infinity has no place in a linear correlation) or a length mismatch.
 */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = sameLength(x, y);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) throw new RangeError(`non-finite value at index ${i}: Pearson's r needs finite values`);
  }
  if (n < 2) return NaN;
  return correlation(x, y);
}

/** Pearson's r of finite values, n >= 2, following scipy.stats.pearsonr step by step. */
function correlation(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  if (isConstant(x) || isConstant(y)) return NaN;
  if (n === 2) return Math.sign(x[1] - x[0]) * Math.sign(y[1] - y[0]);
  const xm = centred(x);
  const ym = centred(y);
  const nx = norm2(xm);
  const ny = norm2(ym);
  let r = 0;
  for (let i = 0; i < n; i++) r += (xm[i] / nx) * (ym[i] / ny);
  return Math.max(Math.min(r, 1), -1);
}

function sameLength(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) throw new RangeError(`x and y differ in length (${x.length} and ${y.length})`);
  return x.length;
}

function isConstant(values: ArrayLike<number>): boolean {
  for (let i = 1; i < values.length; i++) if (values[i] !== values[0]) return false;
  return true;
}

function centred(values: ArrayLike<number>): Float64Array {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  const m = sum / values.length;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i] - m;
  return out;
}

/** Euclidean norm scaled by the largest magnitude, so that squares cannot overflow (BLAS nrm2's aim). */
function norm2(values: Float64Array): number {
  let scale = 0;
  for (let i = 0; i < values.length; i++) scale = Math.max(scale, Math.abs(values[i]));
  if (scale === 0) return 0;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] / scale;
    sum += v * v;
  }
  return scale * Math.sqrt(sum);
}

/** Dense ranks from an ascending argsort, with the tied pairs, sum of t(t-1)/2 over tie groups. */
function ranksInOrder(values: ArrayLike<number>, order: Uint32Array): DenseRanks & { tiedPairs: number } {
  const ranks = new Uint32Array(order.length);
  let rank = -1;
  let run = 0;
  let tiedPairs = 0;
  for (let k = 0; k < order.length; k++) {
    run = k > 0 && values[order[k]] === values[order[k - 1]] ? run + 1 : 0;
    if (run === 0) rank++;
    ranks[order[k]] = rank;
    tiedPairs += run;
  }
  return { ranks, unique: rank + 1, tiedPairs };
}

/** Above this many distinct y ranks the Fenwick tree outgrows the caches and a merge count is faster. */
const TREE_RANKS = 1 << 16;

/**
 * Walks the samples in (x, y) order. x ties and joint ties are runs there. A discordant pair is an
 * earlier sample with a strictly larger y rank (ties in x are ordered by y, so never count). With
 * few distinct y ranks a Fenwick tree of the ranks seen so far counts them (SciPy's way); with many,
 * its random accesses miss the caches, and a merge sort of the rank sequence counts the same
 * inversions with sequential accesses only.
 */
function countPairs(x: ArrayLike<number>, ry: DenseRanks, order: Uint32Array) {
  const ranks = ry.ranks;
  let tiesX = 0;
  let tiesBoth = 0;
  let runX = 0;
  let runBoth = 0;
  for (let k = 1; k < order.length; k++) {
    const i = order[k];
    const j = order[k - 1];
    runX = x[i] === x[j] ? runX + 1 : 0;
    runBoth = runX > 0 && ranks[i] === ranks[j] ? runBoth + 1 : 0;
    tiesX += runX;
    tiesBoth += runBoth;
  }
  const sequence = new Uint32Array(order.length);
  for (let k = 0; k < order.length; k++) sequence[k] = ranks[order[k]];
  const discordant = ry.unique > TREE_RANKS ? mergeInversions(sequence) : treeInversions(sequence, ry.unique);
  return { tiesX, tiesBoth, discordant };
}

/** Pairs k < m with sequence[k] > sequence[m], by a Fenwick tree over the values 0..unique-1. */
export function treeInversions(sequence: Uint32Array, unique: number): number {
  const tree = new Uint32Array(unique + 1);
  let inversions = 0;
  for (let k = 0; k < sequence.length; k++) {
    const r = sequence[k];
    let atOrBelow = 0;
    for (let b = r + 1; b > 0; b -= b & -b) atOrBelow += tree[b];
    inversions += k - atOrBelow;
    for (let b = r + 1; b < tree.length; b += b & -b) tree[b]++;
  }
  return inversions;
}

/** The same count by a bottom-up merge sort (sorts `sequence`): taking from the right run passes every larger value left in the left run. */
export function mergeInversions(sequence: Uint32Array<ArrayBuffer>): number {
  const n = sequence.length;
  let from = sequence;
  let to = new Uint32Array(n);
  let inversions = 0;
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        if (from[i] <= from[j]) to[k++] = from[i++];
        else {
          inversions += mid - i;
          to[k++] = from[j++];
        }
      }
      while (i < mid) to[k++] = from[i++];
      while (j < hi) to[k++] = from[j++];
    }
    [from, to] = [to, from];
  }
  return inversions;
}

/** Two 32-bit words per value whose unsigned order (hi, then lo) is the numeric order of the values. */
interface SortKeys {
  hi: Uint32Array;
  lo: Uint32Array;
}

const littleEndian = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * IEEE-754 bits made order-preserving as unsigned integers: flip every bit of a negative value,
 * only the sign bit of a positive one. -0 is folded into +0 first, so the two tie as numpy's ==
 * says they do. Values that are all whole numbers in [0, 2^32) (dense ranks, counts) are their own
 * low word instead, so that the radix sort needs one or two passes for them instead of up to eight.
 * NaN throws RangeError (the module's NaN policy).
 */
function sortKeys(values: ArrayLike<number>): SortKeys {
  const n = values.length;
  let whole = true;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (Number.isNaN(v)) throw new RangeError(`NaN at index ${i}: rank statistics take no NaN (policy 'raise')`);
    if (whole && !(v >= 0 && v <= 0xffffffff && Math.floor(v) === v)) whole = false;
  }
  if (whole) return { hi: new Uint32Array(n), lo: Uint32Array.from(values) };
  const bits = new Float64Array(n);
  for (let i = 0; i < n; i++) bits[i] = values[i] === 0 ? 0 : values[i];
  const words = new Uint32Array(bits.buffer);
  const [hiAt, loAt] = littleEndian ? [1, 0] : [0, 1];
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const h = words[2 * i + hiAt];
    const l = words[2 * i + loAt];
    const negative = h >>> 31 === 1;
    hi[i] = negative ? ~h >>> 0 : (h | 0x80000000) >>> 0;
    lo[i] = negative ? ~l >>> 0 : l;
  }
  return { hi, lo };
}

/**
 * A stable LSD radix argsort by several keys, the least significant first (so [y, x] orders by
 * x, then y), continuing from `initial` when given (a stable sort of that order): one
 * counting-sort pass per digit of each 32-bit word, skipping digits that every value shares
 * (integer-valued data leave most low mantissa digits at zero). Linear in n per digit.
 */
function argsort(keys: SortKeys[], initial?: Uint32Array): Uint32Array {
  const n = keys.length ? keys[0].hi.length : 0;
  // Digits wide enough for few passes, narrow enough that clearing the counters stays cheap beside n.
  const bits = n < 1 << 12 ? 8 : n < 1 << 18 ? 11 : 16;
  const digits = Math.ceil(32 / bits);
  const buckets = 1 << bits;
  const counts = new Uint32Array(digits * buckets);
  let order = initial ? initial.slice() : new Uint32Array(n);
  if (!initial) for (let i = 0; i < n; i++) order[i] = i;
  let spare = new Uint32Array(n);
  for (const key of keys) {
    for (const word of [key.lo, key.hi]) {
      digitHistograms(word, bits, counts);
      for (let d = 0; d < digits; d++) {
        const count = counts.subarray(d * buckets, (d + 1) * buckets);
        if (startsFromCounts(count, n)) {
          scatter(word, d * bits, buckets - 1, order, spare, count);
          [order, spare] = [spare, order];
        }
      }
    }
  }
  return order;
}

/** The counts of every digit of a word in one scan: counts[d * 2^bits + digit d]. */
function digitHistograms(word: Uint32Array, bits: number, counts: Uint32Array): void {
  counts.fill(0);
  if (bits === 8) {
    for (let i = 0; i < word.length; i++) {
      const w = word[i];
      counts[w & 0xff]++;
      counts[0x100 + ((w >>> 8) & 0xff)]++;
      counts[0x200 + ((w >>> 16) & 0xff)]++;
      counts[0x300 + (w >>> 24)]++;
    }
  } else if (bits === 11) {
    for (let i = 0; i < word.length; i++) {
      const w = word[i];
      counts[w & 0x7ff]++;
      counts[0x800 + ((w >>> 11) & 0x7ff)]++;
      counts[0x1000 + (w >>> 22)]++;
    }
  } else {
    for (let i = 0; i < word.length; i++) {
      const w = word[i];
      counts[w & 0xffff]++;
      counts[0x10000 + (w >>> 16)]++;
    }
  }
}

/** Counts to start offsets, in place; false when one bucket holds all n (the pass would change nothing). */
function startsFromCounts(count: Uint32Array, n: number): boolean {
  let start = 0;
  for (let b = 0; b < count.length; b++) {
    const c = count[b];
    if (c === n) return false;
    count[b] = start;
    start += c;
  }
  return true;
}

/** One stable counting-sort pass of `order` into `out` by the digit at `shift`. */
function scatter(word: Uint32Array, shift: number, mask: number, order: Uint32Array, out: Uint32Array, start: Uint32Array): void {
  for (let i = 0; i < order.length; i++) {
    const v = order[i];
    out[start[(word[v] >>> shift) & mask]++] = v;
  }
}
