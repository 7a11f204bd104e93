/**
 * Test support (not used by the app): what every attack test checks of a result, against a
 * fresh forward pass of the model.
 */
import { argmax } from './logit-rows.js';
import type { DifferentiableModel } from './model.js';
import { perturbationNorms } from './norms.js';
import type { AttackResult, Batch, Norm } from './types.js';

/** Re-exported for the attack tests, which import their helpers from here. */
export { median } from '../metrics/summary.js';

export interface CheckedResult {
  /** Per sample: the prediction at the returned point differs from batch.classes. */
  changed: boolean[];
  /** Every value of the returned points is in [0,1]. */
  inBox: boolean;
  /** ||adv - x|| in the given norm, per sample. */
  norms: Float64Array;
}

export async function checkResult(model: DifferentiableModel, batch: Batch, result: AttackResult, norm: Norm): Promise<CheckedResult> {
  const per = model.sampleShape.reduce((a, b) => a * b, 1);
  const logits = await model.logits(result.adv, batch.n);
  const c = model.classes;
  return {
    changed: Array.from({ length: batch.n }, (_, i) => argmax(logits.subarray(i * c, (i + 1) * c)) !== batch.classes[i]),
    inBox: result.adv.every((v) => v >= 0 && v <= 1),
    norms: perturbationNorms(result.adv, batch.x, batch.n, per, norm),
  };
}
