import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deepfool } from './deepfool.js';
import type { DifferentiableModel } from './model.js';
import { constantClassifier, linearClassifier, linearLogits, linearModel, type LinearClassifier } from './test-models.js';
import { verifyAdversarials } from './verify.js';
import { uniform } from '../autodiff/test-harness.js';
import { argmax } from './logit-rows.js';

/** Exact l2 margin of a linear model when the box is inactive: min_j (f_i - f_j) / ||w_i - w_j||_2. */
function l2Margin(lin: LinearClassifier, x: Float32Array, i: number): number {
  const d = lin.weights.length / lin.classes;
  const logits = linearLogits(lin, x.subarray(i * d, (i + 1) * d), 1);
  const pred = argmax(Float32Array.from(logits));
  let best = Infinity;
  for (let j = 0; j < lin.classes; j++) {
    if (j === pred) continue;
    let norm = 0;
    for (let k = 0; k < d; k++) norm += (lin.weights[pred * d + k] - lin.weights[j * d + k]) ** 2;
    best = Math.min(best, (logits[pred] - logits[j]) / Math.sqrt(norm));
  }
  return best;
}

describe('verifyAdversarials', () => {
  const lin = linearClassifier({ seed: 'verify' });
  let model: DifferentiableModel & { release(): Promise<void> };
  beforeAll(async () => {
    model = await linearModel(lin, 16);
  });
  afterAll(() => model.release());

  async function predictions(x: Float32Array, n: number): Promise<Int32Array> {
    const logits = await model.logits(x, n);
    return Int32Array.from({ length: n }, (_, i) => argmax(logits.subarray(i * lin.classes, (i + 1) * lin.classes)));
  }

  it('tightens DeepFool with its default overshoot to within 1% of the exact margin, every point verified', async () => {
    const n = 8;
    const x = uniform(n * 16, 'verify x', 0.45, 0.55);
    const batch = { x, n, classes: await predictions(x, n) };
    const result = await deepfool(model, batch, { norm: 'l2' });
    const verified = await verifyAdversarials(model, batch, result.adv, 12);
    for (let i = 0; i < n; i++) {
      const exact = l2Margin(lin, x, i);
      expect(verified.found[i]).toBe(1);
      expect(verified.l2[i]).toBeGreaterThanOrEqual(exact * (1 - 1e-4));
      expect(verified.l2[i]).toBeLessThanOrEqual(exact * 1.01);
    }
    const fresh = await predictions(verified.adv, n);
    for (let i = 0; i < n; i++) expect(fresh[i]).not.toBe(batch.classes[i]);
  });

  it('refuses candidates that do not change the class or leave the box, and returns the original there', async () => {
    const n = 2;
    const x = uniform(n * 16, 'verify refuse', 0.45, 0.55);
    const batch = { x, n, classes: await predictions(x, n) };
    const outside = new Float32Array(x);
    outside[3] = 1.5;
    const verified = await verifyAdversarials(model, batch, outside);
    expect(Array.from(verified.found)).toEqual([0, 0]);
    expect(verified.adv).toEqual(x);
    expect(Array.from(verified.l2)).toEqual([0, 0]);
  });

  it('finds nothing on a model whose prediction cannot change', async () => {
    const constant = await linearModel(constantClassifier(), 4);
    const x = uniform(16, 'constant', 0, 1);
    const verified = await verifyAdversarials(constant, { x, n: 1, classes: Int32Array.of(0) }, new Float32Array(16).fill(1));
    expect(verified.found[0]).toBe(0);
    await constant.release();
  });
});
