/**
 * The binned consistency plot of Ngnawe et al. 2024 (PAPER-METHODS.md section 5: Fig. 2, 6 and 7):
 * a score y against the input margin x, as medians per x-bin with standard-error bars.
 * Reproduces the authors' numpy pipeline (`lq2`, `plx` in nbutils.py) step by step; goldens in
 * goldens/rank.json come from that pipeline transcribed in numpy.
 */
import { linspace, median, quantileSorted } from './summary.js';

export interface BinnedPoint {
  /** Median x of the bin (the authors' variable is called `means` but holds medians). */
  x: number;
  /** Median of the min-max normalised y of the bin. */
  y: number;
  /** Standard error of the mean of the bin's y, std(y, ddof=1)/sqrt(n); null for a bin of one. */
  sem: number | null;
  n: number;
}

export interface BinnedConsistency {
  /** The non-empty bins, in ascending x. */
  bins: BinnedPoint[];
  /** Samples left after trimming x, before binning. */
  kept: number;
}

export interface BinnedOptions {
  /** Percentiles of x; samples strictly between them are kept. [5, 95] when left out. */
  trim?: [number, number];
  /** Number of bins; 20 when left out (the paper's Fig. 7 uses 15). */
  bins?: number;
  /**
   * Outer bin edges: a fixed [lo, hi] (Fig. 2 and 6 use [0, 0.15]) or 'range' for
   * [min, max] of the kept x (Fig. 7). 'range' when left out.
   */
  edges?: 'range' | [number, number];
}

/**
 * The paper's pipeline:
 * 1. keep the samples with p_lo < x < p_hi (strict), p = numpy.percentile(x, trim), 'linear';
 * 2. min-max normalise y over the kept samples, (y - min)/(max - min); constant y gives all 0
 *    (the authors' code would divide by zero);
 * 3. edges = numpy.linspace(lo, hi, bins + 1);
 * 4. bin with numpy.digitize(x, edges) (right=False): bin b holds edges[b-1] <= x < edges[b].
 *    x below edges[0] and x >= edges[bins] are dropped. In 'range' mode the last edge is the
 *    largest kept x, so the sample(s) at the maximum are dropped: the quirk of the paper's Fig. 7,
 *    kept here so that the plot matches (when every kept x is equal, no bin remains);
 * 5. per non-empty bin: numpy.median of x and of y, and std(y, ddof=1)/sqrt(n) (null for n = 1,
 *    where numpy gives NaN).
 *
 * x must be finite (pass verified margins only: a censored margin has no place on the x axis);
 * y must be finite too. RangeError on a non-finite value, a length mismatch or bad options.
 * No samples kept gives no bins.
 */
export function binnedConsistency(x: ArrayLike<number>, y: ArrayLike<number>, options: BinnedOptions = {}): BinnedConsistency {
  const [pLo, pHi] = options.trim ?? [5, 95];
  const bins = options.bins ?? 20;
  const edgeOption = options.edges ?? 'range';
  checkInputs(x, y, pLo, pHi, bins, edgeOption);

  const sortedX = Float64Array.from(x).sort();
  const lower = quantileSorted(sortedX, pLo / 100);
  const upper = quantileSorted(sortedX, pHi / 100);
  const keptX: number[] = [];
  const keptY: number[] = [];
  for (let i = 0; i < x.length; i++) {
    if (x[i] > lower && x[i] < upper) {
      keptX.push(x[i]);
      keptY.push(y[i]);
    }
  }
  if (keptX.length === 0) return { bins: [], kept: 0 };

  const normY = minMaxNormalise(keptY);
  const [lo, hi] = edgeOption === 'range' ? extent(keptX) : edgeOption;
  const edges = linspace(lo, hi, bins + 1);
  const members: number[][] = Array.from({ length: bins }, () => []);
  for (let i = 0; i < keptX.length; i++) {
    const b = digitize(keptX[i], edges);
    if (b >= 1 && b <= bins) members[b - 1].push(i);
  }
  const points = members.filter((m) => m.length > 0).map((m) => binPoint(m, keptX, normY));
  return { bins: points, kept: keptX.length };
}

function checkInputs(x: ArrayLike<number>, y: ArrayLike<number>, pLo: number, pHi: number, bins: number, edges: 'range' | [number, number]) {
  if (x.length !== y.length) throw new RangeError(`x and y differ in length (${x.length} and ${y.length})`);
  if (!(pLo >= 0 && pLo <= pHi && pHi <= 100)) throw new RangeError(`trim percentiles [${pLo}, ${pHi}] must satisfy 0 <= lo <= hi <= 100`);
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`binned consistency needs a positive whole number of bins, got ${bins}`);
  if (edges !== 'range' && !(Number.isFinite(edges[0]) && Number.isFinite(edges[1]) && edges[0] < edges[1])) {
    throw new RangeError(`bin edges [${edges[0]}, ${edges[1]}] are not a finite interval`);
  }
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) throw new RangeError(`x[${i}] = ${x[i]}: binned consistency needs finite input margins`);
    if (!Number.isFinite(y[i])) throw new RangeError(`y[${i}] = ${y[i]}: binned consistency needs finite scores`);
  }
}

/** [min, max] by a loop: Math.min(...values) overflows the call stack on large arrays. */
function extent(values: number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return [lo, hi];
}

function minMaxNormalise(values: number[]): Float64Array {
  const [lo, hi] = extent(values);
  const out = new Float64Array(values.length);
  if (hi > lo) for (let i = 0; i < values.length; i++) out[i] = (values[i] - lo) / (hi - lo);
  return out;
}

/** numpy.digitize(v, edges, right=False) for ascending edges: the number of edges <= v. */
function digitize(v: number, edges: number[]): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function binPoint(members: number[], xs: number[], ys: Float64Array): BinnedPoint {
  const bx = members.map((i) => xs[i]);
  const by = members.map((i) => ys[i]);
  const n = members.length;
  return { x: median(bx), y: median(by), sem: n > 1 ? sampleStd(by) / Math.sqrt(n) : null, n };
}

/** numpy.std(values, ddof=1): two-pass, mean first, then the mean squared deviation over n - 1. */
function sampleStd(values: number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  const m = sum / values.length;
  let ss = 0;
  for (const v of values) ss += (v - m) * (v - m);
  return Math.sqrt(ss / (values.length - 1));
}
