/**
 * Summary statistics of one sample: quantiles, five-number summaries, mean, median and histograms.
 * Each function names the numpy function it reproduces; the goldens in goldens/rank.json come from
 * that function (tools/goldens/make_metric_goldens_rank.py), and the tests hold agreement to 1e-12.
 *
 * Policy for degenerate input, written once here:
 * - empty input: `fiveNumbers` throws (there is no minimum to report); `mean`, `median` and
 *   `quantileSorted` return NaN; `histogram` returns no bins.
 * - constant input: every quantile is that value; `histogram` makes one bin of half-width
 *   5 % of |v| (0.5 at v = 0) around it, so that the bar has a readable width on any scale.
 */

export interface FiveNumbers {
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
}

export interface Histogram {
  edges: number[];
  counts: number[];
}

export interface HistogramOptions {
  /** Number of equal-width bins; 30 when left out. */
  bins?: number;
  /** Outer edges [lo, hi]; the finite min and max of the values when left out. */
  range?: [number, number];
}

/**
 * The q-quantile (0 <= q <= 1) of values already sorted ascending, by numpy's default 'linear'
 * method (numpy.quantile(a, q), Hyndman-Fan type 7): position h = (n - 1) q, then linear
 * interpolation between the order statistics floor(h) and floor(h) + 1.
 *
 * The interpolation is numpy's `_lerp` operation for operation (a + (b - a) t below t = 0.5,
 * b - (b - a)(1 - t) from 0.5), so results agree with numpy to the last bit on finite input.
 * Differs from numpy only around infinities (censored values), where numpy's arithmetic gives
 * inf * 0 or inf - inf = NaN: an integral position or equal neighbours return the order statistic,
 * and a point strictly between a finite value and an infinity is that infinity.
 * NaN when sorted is empty; ties need no care (equal neighbours interpolate to themselves).
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile ${q} is outside [0, 1]`);
  const n = sorted.length;
  if (n === 0) return NaN;
  const position = (n - 1) * q;
  const lo = Math.floor(position);
  if (lo >= n - 1) return sorted[n - 1];
  const a = sorted[lo];
  const b = sorted[lo + 1];
  const t = position - lo;
  if (t === 0 || a === b) return a;
  const diff = b - a;
  // Between a finite value and an infinity, any interior point is that infinity (numpy: NaN).
  if (diff === Infinity) return a === -Infinity ? (b === Infinity ? NaN : a) : b;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/**
 * The median of margins where censored samples (no flip found within range) are +Infinity and
 * rank above every found one: the 0.5-quantile of `quantileSorted` over every sample. Null when
 * it falls on or beside a censored sample (half or more censored) and on empty input, since the
 * median is then only known to be beyond the range searched.
 */
export function censoredMedian(margins: ArrayLike<number>): number | null {
  const med = margins.length ? quantileSorted(sortedCopy(margins), 0.5) : NaN;
  return Number.isFinite(med) ? med : null;
}

/**
 * min, quartiles, median and max by numpy.percentile(values, [0, 25, 50, 75, 100]) ('linear').
 * Throws RangeError on empty input. NaN anywhere makes every field NaN, as numpy propagates it.
 */
export function fiveNumbers(values: ArrayLike<number>): FiveNumbers {
  if (values.length === 0) throw new RangeError('fiveNumbers of an empty sample');
  const sorted = sortedCopy(values);
  // Float64Array.sort puts NaN last, so one look at the end finds any.
  if (Number.isNaN(sorted[sorted.length - 1])) return { min: NaN, q1: NaN, median: NaN, q3: NaN, max: NaN };
  return {
    min: sorted[0],
    q1: quantileSorted(sorted, 0.25),
    median: quantileSorted(sorted, 0.5),
    q3: quantileSorted(sorted, 0.75),
    max: sorted[sorted.length - 1],
  };
}

/** Arithmetic mean (numpy.mean); NaN on empty input, and NaN propagates. */
export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return values.length === 0 ? NaN : sum / values.length;
}

/**
 * numpy.median: the middle order statistic, or (a + b) / 2 of the two middle ones for even n
 * (numpy averages them, which can differ from the 0.5-quantile of `quantileSorted` in the last bit).
 * NaN on empty input; NaN anywhere gives NaN.
 */
export function median(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return NaN;
  const sorted = sortedCopy(values);
  if (Number.isNaN(sorted[n - 1])) return NaN;
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * numpy.linspace(start, stop, count): start + k * step with step = (stop - start)/(count - 1),
 * the last value set to stop exactly, and numpy's k/div * delta form when the step underflows to 0.
 */
export function linspace(start: number, stop: number, count: number): number[] {
  if (count <= 0) return [];
  if (count === 1) return [start];
  const div = count - 1;
  const delta = stop - start;
  const step = delta / div;
  const out = new Array<number>(count);
  for (let k = 0; k < count; k++) out[k] = (step === 0 ? (k / div) * delta : k * step) + start;
  out[count - 1] = stop;
  return out;
}

/**
 * Equal-width histogram with numpy.histogram(values, bins, range) semantics: counts[k] holds the
 * values in [edges[k], edges[k+1]), the last bin is closed on the right, values outside the range
 * are ignored, and the bin index is numpy's (x - lo) * bins/(hi - lo) corrected by one where
 * rounding put a value on the wrong side of an edge.
 *
 * Differs from numpy on purpose: non-finite values (NaN, +-Infinity, such as censored margins)
 * are ignored instead of raising; empty input (after that) gives { edges: [], counts: [] };
 * a zero-width range (constant input, or range lo = hi) gives one bin [v - h, v + h] with
 * h = 0.05|v|, or 0.5 at v = 0 (numpy widens by 0.5 always).
 */
export function histogram(values: ArrayLike<number>, options: HistogramOptions = {}): Histogram {
  const bins = options.bins ?? 30;
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`histogram needs a positive whole number of bins, got ${bins}`);
  const finite = finiteValues(values);
  if (finite.length === 0) return { edges: [], counts: [] };
  const [lo, hi] = options.range ?? extent(finite);
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi) throw new RangeError(`histogram range [${lo}, ${hi}] is not a finite interval`);
  if (lo === hi) {
    const h = lo === 0 ? 0.5 : 0.05 * Math.abs(lo);
    return { edges: [lo - h, lo + h], counts: [finite.length] };
  }
  const edges = linspace(lo, hi, bins + 1);
  const counts = new Array<number>(bins).fill(0);
  const scale = bins / (hi - lo);
  for (let i = 0; i < finite.length; i++) {
    const v = finite[i];
    if (v < lo || v > hi) continue;
    let k = Math.trunc((v - lo) * scale);
    if (k === bins) k--;
    if (v < edges[k]) k--;
    else if (v >= edges[k + 1] && k !== bins - 1) k++;
    counts[k]++;
  }
  return { edges, counts };
}

function sortedCopy(values: ArrayLike<number>): Float64Array {
  // A typed array sorts numerically in native code (no comparator), NaN last.
  return Float64Array.from(values).sort();
}

function finiteValues(values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) out[n++] = values[i];
  return out.subarray(0, n);
}

function extent(values: Float64Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (values[i] < lo) lo = values[i];
    if (values[i] > hi) hi = values[i];
  }
  return [lo, hi];
}
