import { describe, expect, it } from 'vitest';
import { ProjectionWorkspace } from './fab-projections.js';
import { mulberry32, type Norm } from './types.js';

// Brute-force references for tiny dimensions: the optimum of each projection problem has a known
// combinatorial structure, so enumerating it is an independent check of the sort-and-scan code.

interface Instance {
  t: Float32Array;
  w: Float64Array;
  b: number;
}

/** t in the box, w Gaussian-ish, b = w·z for a random box point z (feasible) or beyond every corner (infeasible). */
function instance(rng: () => number, dim: number, feasible: boolean): Instance {
  // Some coordinates sit on a bound, as pixels often do.
  const t = Float32Array.from({ length: dim }, () => (rng() < 0.15 ? Math.round(rng()) : rng()));
  const w = Float64Array.from({ length: dim }, () => (rng() < 0.1 ? 0 : 2 * rng() - 1));
  if (w.every((v) => v === 0)) w[0] = 0.5;
  const wt = w.reduce((s, v, i) => s + v * t[i], 0);
  if (feasible) {
    const z = Float64Array.from({ length: dim }, () => rng());
    return { t, w, b: w.reduce((s, v, i) => s + v * z[i], 0) };
  }
  const hi = w.reduce((s, v) => s + Math.max(v, 0), 0);
  const lo = w.reduce((s, v) => s + Math.min(v, 0), 0);
  return { t, w, b: wt > (hi + lo) / 2 ? lo - 0.5 - rng() : hi + 0.5 + rng() };
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function size(d: ArrayLike<number>, norm: Norm): number {
  const a = Array.from(d, Math.abs);
  if (norm === 'linf') return Math.max(0, ...a);
  if (norm === 'l1') return a.reduce((s, v) => s + v, 0);
  return Math.sqrt(a.reduce((s, v) => s + v * v, 0));
}

/** Every assignment of each coordinate to one of `states` values: states^dim tuples. */
function* tuples(dim: number, states: number): Generator<number[]> {
  const s = new Array<number>(dim).fill(0);
  for (;;) {
    yield s.slice();
    let k = 0;
    while (k < dim && ++s[k] === states) s[k++] = 0;
    if (k === dim) return;
  }
}

/** l1: a linear programme, optimal at a vertex where at most one coordinate sits strictly between 0 and its bounds. */
function bruteL1({ t, w, b }: Instance): number {
  const dim = t.length;
  const r = b - dot(w, t);
  let best = Infinity;
  for (let free = 0; free < dim; free++) {
    if (w[free] === 0) continue;
    for (const s of tuples(dim - 1, 3)) {
      const d = new Array<number>(dim).fill(0);
      let rest = 0;
      for (let k = 0, q = 0; k < dim; k++) {
        if (k === free) continue;
        d[k] = [0, -t[k], 1 - t[k]][s[q++]];
        rest += w[k] * d[k];
      }
      d[free] = (r - rest) / w[free];
      if (t[free] + d[free] < -1e-12 || t[free] + d[free] > 1 + 1e-12) continue;
      best = Math.min(best, size(d, 'l1'));
    }
  }
  return best;
}

/** l2: for every split of the coordinates into at-lower, at-upper and free, the free ones move along w. */
function bruteL2({ t, w, b }: Instance): number {
  const dim = t.length;
  const r = b - dot(w, t);
  let best = Infinity;
  for (const s of tuples(dim, 3)) {
    const d = new Array<number>(dim).fill(0);
    let rest = 0;
    let ww = 0;
    for (let k = 0; k < dim; k++) {
      if (s[k] === 1) d[k] = -t[k];
      else if (s[k] === 2) d[k] = 1 - t[k];
      else ww += w[k] * w[k];
      rest += w[k] * d[k];
    }
    if (ww === 0) {
      if (Math.abs(rest - r) < 1e-12) best = Math.min(best, size(d, 'l2'));
      continue;
    }
    const lambda = (r - rest) / ww;
    let inside = true;
    for (let k = 0; k < dim; k++) {
      if (s[k] !== 0) continue;
      d[k] = lambda * w[k];
      if (t[k] + d[k] < -1e-12 || t[k] + d[k] > 1 + 1e-12) inside = false;
    }
    if (inside) best = Math.min(best, size(d, 'l2'));
  }
  return best;
}

/** l_inf: the smallest lambda for which the box ∩ [-lambda, lambda]^D step can reach the hyperplane, by bisection. */
function bruteLinf({ t, w, b }: Instance): number {
  const r = b - dot(w, t);
  const reach = (lambda: number) => {
    let lo = 0;
    let hi = 0;
    for (let k = 0; k < t.length; k++) {
      const a = Math.max(-lambda, -t[k]);
      const c = Math.min(lambda, 1 - t[k]);
      lo += Math.min(w[k] * a, w[k] * c);
      hi += Math.max(w[k] * a, w[k] * c);
    }
    return lo <= r && r <= hi;
  };
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (reach(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

const BRUTE: Record<Norm, (p: Instance) => number> = { linf: bruteLinf, l2: bruteL2, l1: bruteL1 };

describe('FAB projections onto a hyperplane inside the [0,1] box', () => {
  for (const norm of ['linf', 'l2', 'l1'] as const) {
    it(`${norm}: lands on the hyperplane, inside the box, at the brute-force minimal distance`, () => {
      const rng = mulberry32(norm === 'linf' ? 1 : norm === 'l2' ? 2 : 3);
      for (let trial = 0; trial < 300; trial++) {
        const dim = 1 + (trial % 5);
        const p = instance(rng, dim, true);
        const ws = new ProjectionWorkspace(dim);
        const reported = ws.project(norm, p.t, 0, p.w, p.b);
        const z = Array.from(p.t, (v, k) => v + ws.d[k]);
        expect(Math.abs(dot(p.w, z) - p.b)).toBeLessThan(1e-5);
        for (const v of z) {
          expect(v).toBeGreaterThanOrEqual(-1e-12);
          expect(v).toBeLessThanOrEqual(1 + 1e-12);
        }
        expect(reported).toBeCloseTo(size(ws.d, norm), 12);
        expect(Math.abs(reported - BRUTE[norm](p))).toBeLessThan(1e-7);
      }
    });

    it(`${norm}: where the hyperplane misses the box, moves every coordinate to the corner nearest to it`, () => {
      const rng = mulberry32(10 + norm.length);
      for (let trial = 0; trial < 50; trial++) {
        const dim = 1 + (trial % 6);
        const p = instance(rng, dim, false);
        const ws = new ProjectionWorkspace(dim);
        ws.project(norm, p.t, 0, p.w, p.b);
        const towardsLarger = p.b > dot(p.w, p.t);
        for (let k = 0; k < dim; k++) {
          const corner = p.w[k] === 0 ? p.t[k] : (p.w[k] > 0) === towardsLarger ? 1 : 0;
          expect(p.t[k] + ws.d[k]).toBeCloseTo(corner, 12);
        }
      }
    });

    it(`${norm}: a point already on the hyperplane does not move, and an offset into a batch is honoured`, () => {
      const t = Float32Array.from([0.9, 0.9, 0.3, 0.6, 0.2]);
      const w = Float64Array.of(1, -2);
      const ws = new ProjectionWorkspace(2);
      expect(ws.project(norm, t, 2, w, t[2] - 2 * t[3])).toBe(0);
      expect(Array.from(ws.d, Math.abs)).toEqual([0, 0]);
      expect(ws.project(norm, t, 3, w, t[3] - 2 * t[4] + 0.1)).toBeGreaterThan(0);
      expect(dot(w, [t[3] + ws.d[0], t[4] + ws.d[1]])).toBeCloseTo(t[3] - 2 * t[4] + 0.1, 6);
    });
  }

  it('l2 and l1 leave coordinates with |w| <= 1e-8 alone, as AutoAttack masks them', () => {
    const ws = new ProjectionWorkspace(3);
    for (const norm of ['l2', 'l1'] as const) {
      ws.project(norm, Float32Array.of(0.5, 0.5, 0.5), 0, Float64Array.of(1e-9, 1, 0.5), 0.6);
      expect(ws.d[0]).toBe(0);
    }
  });
});
