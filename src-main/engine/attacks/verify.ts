import { argmax } from './logit-rows.js';
import type { DifferentiableModel } from './model.js';
import { perturbationNorms } from './norms.js';
import type { Batch } from './types.js';

export interface VerifiedAdversarials {
  /** 1 where a fresh forward pass saw another class at a point inside [0,1]. */
  found: Uint8Array;
  /** The verified points (the original input where none was found): exactly the arrays that were checked. */
  adv: Float32Array;
  linf: Float64Array;
  l2: Float64Array;
  l1: Float64Array;
}

/**
 * Every margin Brink reports rests on this: a candidate counts only if a fresh forward pass of
 * the stored float32 point gives another class and every value lies in [0,1]. Verified points
 * are then pulled towards the original by bisection along the segment (each kept point is
 * itself verified), which tightens attacks that overshoot on purpose (DeepFool, FAB's eta).
 */
export async function verifyAdversarials(model: DifferentiableModel, batch: Batch, candidates: Float32Array, refineSteps = 10): Promise<VerifiedAdversarials> {
  const { x, n } = batch;
  const per = model.sampleShape.reduce((a, b) => a * b, 1);
  const c = model.classes;
  const adv = new Float32Array(x.subarray(0, n * per));
  const found = new Uint8Array(n);
  const logits = await model.logits(candidates, n);
  for (let i = 0; i < n; i++) {
    const row = candidates.subarray(i * per, (i + 1) * per);
    const inBox = row.every((v) => v >= 0 && v <= 1);
    if (inBox && argmax(logits.subarray(i * c, (i + 1) * c)) !== batch.classes[i]) {
      found[i] = 1;
      adv.set(row, i * per);
    }
  }
  await refine(model, batch, adv, found, refineSteps);
  return {
    found,
    adv,
    linf: perturbationNorms(adv, x, n, per, 'linf'),
    l2: perturbationNorms(adv, x, n, per, 'l2'),
    l1: perturbationNorms(adv, x, n, per, 'l1'),
  };
}

/** Bisection on t in x + t (adv - x): `adv` keeps the smallest t seen adversarial. */
async function refine(model: DifferentiableModel, batch: Batch, adv: Float32Array, found: Uint8Array, steps: number): Promise<void> {
  const per = model.sampleShape.reduce((a, b) => a * b, 1);
  const c = model.classes;
  const rows = [...found.keys()].filter((i) => found[i]);
  if (rows.length === 0) return;
  const target = new Float32Array(rows.length * per);
  rows.forEach((i, r) => target.set(adv.subarray(i * per, (i + 1) * per), r * per));
  const lo = new Float64Array(rows.length);
  const hi = new Float64Array(rows.length).fill(1);
  const probe = new Float32Array(rows.length * per);
  for (let step = 0; step < steps; step++) {
    rows.forEach((i, r) => {
      const t = (lo[r] + hi[r]) / 2;
      for (let k = 0; k < per; k++) {
        const x0 = batch.x[i * per + k];
        probe[r * per + k] = x0 + t * (target[r * per + k] - x0);
      }
    });
    const logits = await model.logits(probe, rows.length);
    rows.forEach((i, r) => {
      const t = (lo[r] + hi[r]) / 2;
      const row = probe.subarray(r * per, (r + 1) * per);
      if (argmax(logits.subarray(r * c, (r + 1) * c)) !== batch.classes[i] && row.every((v) => v >= 0 && v <= 1)) {
        hi[r] = t;
        adv.set(row, i * per);
      } else {
        lo[r] = t;
      }
    });
  }
}
