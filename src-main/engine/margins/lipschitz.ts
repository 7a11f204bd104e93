/**
 * Lipschitz estimate of the input margin (Wu and Yu, "Understanding Adversarial Robustness: The
 * Trade-off between Minimum and Average Margin", 2019, eq. 16; reference code
 * watml/rob-margin, estimateLipschitzBound.py): for a sample x with prediction i,
 *
 *   d(x) ~ min( r, min_{k != i} (f_i(x) - f_k(x)) / L_k ),  L_k = max_{z in B_p(x, r)} ||grad (f_i - f_k)(z)||_q
 *
 * with q the dual of p. The maximum is taken over x itself and `samples` points drawn uniformly
 * in the l_p ball, so L_k is a lower estimate of the local Lipschitz constant and the result is
 * an estimate of the lower bound, not a certificate: a gradient norm larger than any sampled
 * one makes the true bound smaller. Exact for a linear classifier (constant gradients) whose
 * boundary lies within r.
 *
 * Departures from the reference, and why:
 * - k runs over the `candidates` classes with the largest logits (the prediction included), as
 *   DeepFool's candidates, so that the cost stays bounded with many classes; with 10 classes or
 *   fewer every class is used, as in the reference.
 * - l_inf and l1 balls are sampled too (the reference implements l2 only): uniform in the cube,
 *   and uniform in the cross-polytope by normalised exponential spacings.
 * - Points are not clipped to the [0,1] box, as in the reference: the bound is on the function.
 * - Each sample's points come from its own seeded stream (seed, dataset index), so an estimate
 *   does not depend on which batch the sample ran in, and a resumed run gives the same values.
 */
import type { DifferentiableModel } from '../attacks/model.js';
import { argmax, othersByLogit } from '../attacks/logit-rows.js';
import { dualNorm, lpNorm } from '../attacks/lp-ball.js';
import type { Norm } from '../attacks/types.js';
import { gaussian, mulberry32, streamSeed } from '../random.js';

export interface LipschitzOptions {
  norm: Norm;
  /** r: the ball's radius, in [0,1] pixel units; also the cap on the estimate. */
  radius: number;
  /** K: random points per sample (x itself is always one more). */
  samples: number;
  seed: number;
  /** Classes with the largest logits, the prediction included, whose boundaries are estimated. */
  candidates?: number;
  /** Points per gradient call; default from the model's row plan, else 64. */
  pointsPerCall?: number;
  /** Fraction of the batch's points done, after each gradient call. */
  onProgress?: (fraction: number) => void;
}

/** Candidate classes per sample, as DeepFool's (the radius and point defaults are src-preload/lipschitz.ts's). */
export const LIPSCHITZ_DEFAULTS = { candidates: 10 } as const;

/**
 * The estimate for each of n samples (x: [n, ...sampleShape]); ids (dataset indices) seed each
 * sample's points. Values lie in [0, radius]: a sample at the boundary gives 0.
 */
export async function lipschitzMargins(model: DifferentiableModel, x: Float32Array, n: number, ids: ArrayLike<number>, options: LipschitzOptions): Promise<Float64Array> {
  validate(model, n, ids, options);
  const per = model.sampleShape.reduce((a, b) => a * b, 1);
  const c = model.classes;
  const rows = Math.min(options.candidates ?? LIPSCHITZ_DEFAULTS.candidates, c) - 1;
  const pointsPerSample = options.samples + 1;
  const clean = await model.logits(x, n);
  const preds = new Int32Array(n);
  const targets = new Int32Array(n * rows);
  for (let s = 0; s < n; s++) {
    const row = clean.subarray(s * c, (s + 1) * c);
    preds[s] = argmax(row);
    targets.set(othersByLogit(row, preds[s], rows), s * rows);
  }
  // L_k per sample and candidate, as the largest dual-norm gradient seen so far.
  const lipschitz = new Float64Array(n * rows);
  const total = n * pointsPerSample;
  const chunk = options.pointsPerCall ?? pointsPerCallOf(model, rows);
  const q = dualNorm(options.norm);
  const points = ballPoints(x, n, per, ids, options);
  for (let start = 0; start < total; start += chunk) {
    const count = Math.min(chunk, total - start);
    const v = new Float32Array(count * rows * c);
    for (let p = 0; p < count; p++) {
      const s = Math.floor((start + p) / pointsPerSample);
      for (let j = 0; j < rows; j++) {
        v[(p * rows + j) * c + preds[s]] = 1;
        v[(p * rows + j) * c + targets[s * rows + j]] = -1;
      }
    }
    const { grad } = await model.vjpRows(points(start, count), v, count, rows);
    for (let p = 0; p < count; p++) {
      const s = Math.floor((start + p) / pointsPerSample);
      for (let j = 0; j < rows; j++) {
        const norm = lpNorm(grad.subarray((p * rows + j) * per, (p * rows + j + 1) * per), q);
        if (norm > lipschitz[s * rows + j]) lipschitz[s * rows + j] = norm;
      }
    }
    options.onProgress?.((start + count) / total);
  }
  const out = new Float64Array(n);
  for (let s = 0; s < n; s++) {
    let best = options.radius;
    for (let j = 0; j < rows; j++) {
      const gap = clean[s * c + preds[s]] - clean[s * c + targets[s * rows + j]];
      const L = lipschitz[s * rows + j];
      // A flat difference (L = 0) never reaches its boundary inside the ball: the cap stands.
      if (L > 0) best = Math.min(best, Math.max(0, gap) / L);
    }
    out[s] = best;
  }
  return out;
}

/** Keeps one call's cotangents near the memory plan's rows per call. */
function pointsPerCallOf(model: DifferentiableModel, rows: number): number {
  const plan = model.rowPlan;
  if (!plan) return 64;
  return Math.max(1, Math.floor((plan.samplesPerCall * plan.rowsPerChunk) / rows));
}

/**
 * The points of every sample, sample by sample (x itself first, then its random points), made
 * on demand for one call: a batch's points at once would be n x (K + 1) images.
 */
function ballPoints(x: Float32Array, n: number, per: number, ids: ArrayLike<number>, options: LipschitzOptions): (start: number, count: number) => Float32Array {
  const pointsPerSample = options.samples + 1;
  const streams = Array.from({ length: n }, (_, s) => mulberry32(streamSeed(options.seed, ids[s])));
  const offset = new Float64Array(per);
  return (start, count) => {
    const out = new Float32Array(count * per);
    for (let p = 0; p < count; p++) {
      const s = Math.floor((start + p) / pointsPerSample);
      const centre = x.subarray(s * per, (s + 1) * per);
      if ((start + p) % pointsPerSample === 0) {
        out.set(centre, p * per);
        continue;
      }
      uniformInBall(streams[s], offset, options.norm, options.radius);
      for (let k = 0; k < per; k++) out[p * per + k] = centre[k] + offset[k];
    }
    return out;
  };
}

/** One point drawn uniformly in the l_p ball of radius r around the origin, into `out`. */
export function uniformInBall(next: () => number, out: Float64Array, norm: Norm, r: number): void {
  const d = out.length;
  if (norm === 'linf') {
    for (let k = 0; k < d; k++) out[k] = r * (2 * next() - 1);
    return;
  }
  if (norm === 'l2') {
    // A Gaussian direction, and a radius with density ~ rho^(d-1) (as the reference draws it).
    let size = 0;
    for (let k = 0; k < d; k++) size += (out[k] = gaussian(next)) ** 2;
    const scale = (r * next() ** (1 / d)) / Math.sqrt(size);
    for (let k = 0; k < d; k++) out[k] *= scale;
    return;
  }
  // l1: with E_0..E_d i.i.d. exponential, (E_1..E_d) / sum E is uniform in the simplex's
  // interior {y >= 0, sum y <= 1}; random signs spread it over the cross-polytope.
  let sum = -Math.log(1 - next());
  for (let k = 0; k < d; k++) sum += out[k] = -Math.log(1 - next());
  for (let k = 0; k < d; k++) out[k] = ((next() < 0.5 ? -r : r) * out[k]) / sum;
}

function validate(model: DifferentiableModel, n: number, ids: ArrayLike<number>, o: LipschitzOptions): void {
  if (!(o.radius > 0) || !Number.isFinite(o.radius)) throw new RangeError(`Lipschitz estimate: the radius must be positive and finite, got ${o.radius}`);
  if (!Number.isInteger(o.samples) || o.samples < 1) throw new RangeError(`Lipschitz estimate: samples must be a positive integer, got ${o.samples}`);
  if (o.candidates !== undefined && (!Number.isInteger(o.candidates) || o.candidates < 2)) throw new RangeError(`Lipschitz estimate: candidates must be at least 2, got ${o.candidates}`);
  if (model.classes < 2) throw new RangeError('Lipschitz estimate: the model needs at least two classes');
  if (ids.length < n) throw new RangeError(`Lipschitz estimate: ${n} samples but ${ids.length} ids`);
}
