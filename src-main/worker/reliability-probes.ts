/**
 * The facts behind the reliability checks that only a worker can see (service/run-reliability
 * composes the checks): whether the input gradient of the logit margin is zero at a sample
 * (AutoAttack's check_zero_gradients), and whether two forward passes of one batch agree
 * (AutoAttack's check_randomized). Both cost one extra call per batch or per run.
 */
import type { AttackNorm } from '../../src-preload/contract.js';
import { argmax, bestOtherClass } from '../engine/attacks/logit-rows.js';
import type { DifferentiableModel } from '../engine/attacks/model.js';
import type { WorkerReliabilityFacts } from '../store/run-repo.js';

/** The norm a gradient is measured in to bound a perturbation of the given norm (Hölder). */
const dualOf: Record<AttackNorm, AttackNorm> = { linf: 'l1', l2: 'l2', l1: 'linf' };

/**
 * Per sample, ||grad_x (f_pred - f_second)(x)|| in the dual norm of the run's norm, from one
 * vector-Jacobian product for the batch. `logits` are the clean logits [n, classes] that gave the
 * predictions. Exactly 0 means a gradient attack starting at x has no direction to follow.
 */
export async function marginGradientNorms(model: DifferentiableModel, x: Float32Array, n: number, logits: Float32Array, norm: AttackNorm): Promise<Float64Array> {
  const c = model.classes;
  const v = new Float32Array(n * c);
  for (let i = 0; i < n; i++) {
    const row = logits.subarray(i * c, (i + 1) * c);
    const pred = argmax(row);
    v[i * c + pred] = 1;
    v[i * c + bestOtherClass(row, pred)] = -1;
  }
  const { grad } = await model.vjp(x, v, n);
  const per = grad.length / n;
  const dual = dualOf[norm];
  return Float64Array.from({ length: n }, (_, i) => {
    let acc = 0;
    for (let k = i * per; k < (i + 1) * per; k++) {
      const g = Math.abs(grad[k]);
      if (dual === 'linf') acc = Math.max(acc, g);
      else acc += dual === 'l1' ? g : g * g;
    }
    return dual === 'l2' ? Math.sqrt(acc) : acc;
  });
}

/**
 * Two forward passes of the same n samples compared as AutoAttack's check_randomized does: each
 * logit row divided by its l2 norm, the largest l2 distance between the passes, and how many
 * predictions differ.
 */
export function compareForwardPasses(a: Float32Array, b: Float32Array, n: number): NonNullable<WorkerReliabilityFacts['determinism']> {
  const c = a.length / n;
  let maxNormalizedDiff = 0;
  let maxAbsDiff = 0;
  let predictionsChanged = 0;
  for (let i = 0; i < n; i++) {
    const ra = a.subarray(i * c, (i + 1) * c);
    const rb = b.subarray(i * c, (i + 1) * c);
    if (argmax(ra) !== argmax(rb)) predictionsChanged++;
    const na = l2(ra) + 1e-10;
    const nb = l2(rb) + 1e-10;
    let sq = 0;
    let same = true;
    for (let j = 0; j < c; j++) {
      // NaN and infinities compare as values (identical when both passes give the same one), and stay JSON numbers.
      if (Object.is(ra[j], rb[j])) continue;
      same = false;
      maxAbsDiff = Math.max(maxAbsDiff, Math.min(Math.abs(ra[j] - rb[j]), Number.MAX_VALUE) || Number.MAX_VALUE);
      sq += (ra[j] / na - rb[j] / nb) ** 2;
    }
    // Unit vectors are at most 2 apart; rows that differ in non-finite values get that distance.
    if (!same) maxNormalizedDiff = Math.max(maxNormalizedDiff, Number.isFinite(sq) ? Math.sqrt(sq) : 2);
  }
  return { samples: n, maxNormalizedDiff, maxAbsDiff, predictionsChanged };
}

function l2(row: Float32Array): number {
  let sq = 0;
  for (const v of row) sq += v * v;
  return Math.sqrt(sq);
}
