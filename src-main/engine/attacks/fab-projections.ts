// FAB's projection step (Croce & Hein, "Minimally distorted adversarial examples with a fast
// adaptive boundary attack", ICML 2020, section 3.1 and appendix): the smallest l_p step d that
// puts a point t on the hyperplane {z : w·z = b} while t + d stays in the [0,1] box. Semantics
// follow AutoAttack's autoattack/fab_projections.py (projection_linf, projection_l2,
// projection_l1), including what happens when the hyperplane misses the box: every usable
// coordinate then moves all the way to the bound that brings w·z closer to b.
//
// AutoAttack sorts the breakpoints and binary-searches cumulative sums over them, for a whole
// batch at once. Here one sample is solved at a time, and the breakpoint is found by
// quickselect-style partitioning (expected linear time, no full sort); it is the same
// breakpoint, so the step is the same up to rounding.
import type { Norm } from './types.js';

/** Coordinates whose weight is at most this are left alone by the l2 and l1 projections (AutoAttack's 1e-8 mask). */
const TINY_WEIGHT = 1e-8;

/**
 * Reusable buffers for one dimension, so that the attack's inner loop allocates nothing.
 * `d` receives the step.
 */
export class ProjectionWorkspace {
  readonly d: Float64Array;
  /** Per usable coordinate: its breakpoint (l_inf, l2) or |w| (l1), its weight, and its index. */
  private readonly keys: Float64Array;
  private readonly weights: Float64Array;
  private readonly order: Int32Array;

  constructor(readonly dim: number) {
    this.d = new Float64Array(dim);
    this.keys = new Float64Array(dim);
    this.weights = new Float64Array(dim);
    this.order = new Int32Array(dim);
  }

  /**
   * Writes into `this.d` the step from t (`dim` values at `offset`) onto {z : w·z = b} ∩ [0,1]^dim
   * minimising ||d||_p, and returns ||d||_p. t must lie in the box.
   */
  project(norm: Norm, t: Float32Array, offset: number, w: Float64Array, b: number): number {
    if (norm === 'linf') return this.linf(t, offset, w, b);
    if (norm === 'l2') return this.l2(t, offset, w, b);
    return this.l1(t, offset, w, b);
  }

  /**
   * l_inf (projection_linf): every coordinate moves by min(lambda, room_i) towards the bound that
   * closes the gap |w·t - b|, room_i being its distance to that bound; lambda solves
   * sum_i |w_i| min(lambda, room_i) = gap.
   */
  private linf(t: Float32Array, offset: number, w: Float64Array, b: number): number {
    const { d, keys, weights, order } = this;
    const signed = dot(t, offset, w, this.dim) - b;
    const sign = signed >= 0 ? 1 : -1;
    let m = 0;
    for (let i = 0; i < this.dim; i++) {
      const wi = sign * w[i];
      if (wi === 0) continue;
      keys[m] = wi > 0 ? t[offset + i] : 1 - t[offset + i];
      weights[m] = Math.abs(wi);
      order[m] = i;
      m++;
    }
    const lambda = waterLevel(keys, weights, order, m, sign * signed);
    d.fill(0);
    let size = 0;
    for (let k = 0; k < m; k++) {
      const i = order[k];
      const step = Math.min(lambda, keys[k]);
      d[i] = sign * w[i] > 0 ? -step : step;
      if (step > size) size = step;
    }
    return size;
  }

  /**
   * l2 (projection_l2): d_i = -alpha w_i clipped at the box, with alpha solving
   * sum_i w_i^2 min(alpha, r_i) = gap, r_i = room_i / |w_i| being the alpha at which coordinate
   * i reaches its bound.
   */
  private l2(t: Float32Array, offset: number, w: Float64Array, b: number): number {
    const { d, keys, weights, order } = this;
    const signed = dot(t, offset, w, this.dim) - b;
    const sign = signed >= 0 ? 1 : -1;
    let m = 0;
    for (let i = 0; i < this.dim; i++) {
      const wi = sign * w[i];
      if (!(Math.abs(wi) > TINY_WEIGHT)) continue;
      keys[m] = (wi > 0 ? t[offset + i] : 1 - t[offset + i]) / Math.abs(wi);
      weights[m] = wi * wi;
      order[m] = i;
      m++;
    }
    const alpha = waterLevel(keys, weights, order, m, sign * signed);
    d.fill(0);
    let squares = 0;
    for (let k = 0; k < m; k++) {
      const i = order[k];
      const step = -sign * w[i] * Math.min(alpha, keys[k]);
      d[i] = step;
      squares += step * step;
    }
    return Math.sqrt(squares);
  }

  /**
   * l1 (projection_l1): spend the budget on the coordinates with the largest |w_i| first, each
   * moved to its bound, until the next one can close the remaining gap on its own. Coordinates
   * of equal |w_i| may be taken in any order (AutoAttack's argsort does not fix one either).
   */
  private l1(t: Float32Array, offset: number, w: Float64Array, b: number): number {
    const { d, keys, weights, order } = this;
    const signed = dot(t, offset, w, this.dim) - b;
    const sign = signed >= 0 ? 1 : -1;
    let gap = sign * signed;
    let m = 0;
    for (let i = 0; i < this.dim; i++) {
      const wi = sign * w[i];
      if (!(Math.abs(wi) > TINY_WEIGHT)) continue;
      keys[m] = Math.abs(wi);
      weights[m] = Math.abs(wi) * (wi > 0 ? t[offset + i] : 1 - t[offset + i]); // how much of the gap it can close
      order[m] = i;
      m++;
    }
    d.fill(0);
    // Coordinates still undecided are [lo, hi); those before lo moved to their bound, those from hi stay.
    let lo = 0;
    let hi = m;
    while (lo < hi && gap > 0) {
      // Largest |w| first: [lo, a) above the pivot, [a, c) equal to it, [c, hi) below.
      const [a, c] = partition(keys, weights, order, lo, hi, pivotOf(keys, lo, hi), true);
      const larger = sum(weights, lo, a);
      if (larger >= gap) {
        hi = a;
        continue;
      }
      for (let k = lo; k < a; k++) this.toBound(t, offset, w, sign, order[k]);
      gap -= larger;
      for (let k = a; k < c; k++) {
        const i = order[k];
        if (weights[k] >= gap) {
          d[i] = (sign * w[i] > 0 ? -gap : gap) / keys[k];
          gap = 0;
          break;
        }
        this.toBound(t, offset, w, sign, i);
        gap -= weights[k];
      }
      lo = c;
    }
    let size = 0;
    for (let i = 0; i < this.dim; i++) size += Math.abs(d[i]);
    return size;
  }

  private toBound(t: Float32Array, offset: number, w: Float64Array, sign: number, i: number): void {
    this.d[i] = sign * w[i] > 0 ? -t[offset + i] : 1 - t[offset + i];
  }
}

function dot(t: Float32Array, offset: number, w: Float64Array, dim: number): number {
  let s = 0;
  for (let i = 0; i < dim; i++) s += w[i] * t[offset + i];
  return s;
}

/**
 * The level lambda >= 0 with G(lambda) = sum_k weights_k min(lambda, caps_k) = target, for
 * weights > 0 and caps >= 0 (the first m entries, permuted in place with `order`). G is
 * increasing and piecewise linear with a kink at every cap, so partitioning the caps around a
 * pivot and evaluating G there tells on which side lambda lies. Infinity when G never reaches
 * the target, i.e. the hyperplane lies beyond the box: each coordinate then takes its whole
 * cap, as in AutoAttack's infeasible branch.
 */
function waterLevel(caps: Float64Array, weights: Float64Array, order: Int32Array, m: number, target: number): number {
  if (!(target > 0)) return 0;
  let capped = 0; // sum of weight * cap over entries known to have cap <= lambda
  let slope = 0; // sum of weight over entries known to have cap >= lambda
  let lo = 0;
  let hi = m;
  while (lo < hi) {
    const pivot = pivotOf(caps, lo, hi);
    // [lo, a) below the pivot, [a, c) equal to it, [c, hi) above.
    const [a, c] = partition(caps, weights, order, lo, hi, pivot, false);
    let below = 0;
    for (let k = lo; k < a; k++) below += weights[k] * caps[k];
    const equal = sum(weights, a, c);
    const above = sum(weights, c, hi);
    if (capped + below + pivot * (equal + slope + above) >= target) {
      slope += equal + above;
      hi = a;
    } else {
      capped += below + pivot * equal;
      lo = c;
    }
  }
  return slope > 0 ? (target - capped) / slope : Infinity;
}

function sum(values: Float64Array, from: number, to: number): number {
  let s = 0;
  for (let k = from; k < to; k++) s += values[k];
  return s;
}

/** Median of the first, middle and last key of [lo, hi). */
function pivotOf(keys: Float64Array, lo: number, hi: number): number {
  const x = keys[lo];
  const y = keys[(lo + hi) >>> 1];
  const z = keys[hi - 1];
  return x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
}

/**
 * Three-way partition of [lo, hi) around `pivot` (Dijkstra's Dutch flag), moving keys, weights
 * and order together; ascending, or descending if `descending`. Returns [a, c]: [lo, a) before
 * the pivot, [a, c) equal to it, [c, hi) after it.
 */
function partition(keys: Float64Array, weights: Float64Array, order: Int32Array, lo: number, hi: number, pivot: number, descending: boolean): [number, number] {
  let a = lo;
  let i = lo;
  let c = hi;
  while (i < c) {
    const k = keys[i];
    if (descending ? k > pivot : k < pivot) swap(keys, weights, order, a++, i++);
    else if (descending ? k < pivot : k > pivot) swap(keys, weights, order, i, --c);
    else i++;
  }
  return [a, c];
}

function swap(keys: Float64Array, weights: Float64Array, order: Int32Array, i: number, j: number): void {
  const k = keys[i];
  keys[i] = keys[j];
  keys[j] = k;
  const v = weights[i];
  weights[i] = weights[j];
  weights[j] = v;
  const o = order[i];
  order[i] = order[j];
  order[j] = o;
}
