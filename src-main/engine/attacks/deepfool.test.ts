import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkResult } from './attack-checks.js';
import { deepfool } from './deepfool.js';
import type { DifferentiableModel } from './model.js';
import { constantClassifier, linearClassifier, linearModel, linearSamples } from './test-models.js';
import type { Batch } from './types.js';

type Released = DifferentiableModel & { release(): Promise<void> };
const lin = linearClassifier();
let model: Released;
let constant: Released;
beforeAll(async () => {
  [model, constant] = await Promise.all([linearModel(lin), linearModel(constantClassifier())]);
});
afterAll(async () => {
  await Promise.all([model.release(), constant.release()]);
});

const MIN_MARGIN = { linf: 0.03, l2: 0.08 } as const;

function linearBatch(norm: 'l2' | 'linf', n = 8) {
  const { x, margins } = linearSamples(lin, norm, n, { minMargin: MIN_MARGIN[norm], seed: `deepfool ${norm}` });
  const batch: Batch = { x, n, classes: Int32Array.from(margins, (m) => m.prediction) };
  return { batch, margins: margins.map((m) => m.margin) };
}

describe('DeepFool on a linear classifier (exact margins in closed form)', () => {
  for (const norm of ['l2', 'linf'] as const) {
    it(`finds the ${norm} margin within 1% in one step`, async () => {
      const { batch, margins } = linearBatch(norm);
      const before = Float32Array.from(batch.x);
      // The default overshoot (2%) would put every norm 2% above the margin: see the next test.
      const result = await deepfool(model, batch, { norm, overshoot: 0.002 });
      const checked = await checkResult(model, batch, result, norm);
      expect(Array.from(result.success)).toEqual(Array(8).fill(1));
      expect(checked.changed).toEqual(Array(8).fill(true));
      expect(checked.inBox).toBe(true);
      expect(Array.from(result.iterations)).toEqual(Array(8).fill(1));
      margins.forEach((margin, i) => {
        expect(checked.norms[i] / margin).toBeGreaterThan(1 - 1e-5);
        expect(checked.norms[i] / margin).toBeLessThan(1.01);
      });
      expect(batch.x).toEqual(before);
    });

    it(`applies the overshoot as Foolbox does, (1 + overshoot) * (distance + 1e-4), for ${norm}`, async () => {
      const { batch, margins } = linearBatch(norm, 4);
      const result = await deepfool(model, batch, { norm });
      const { norms } = await checkResult(model, batch, result, norm);
      margins.forEach((margin, i) => expect(norms[i] / (1.02 * (margin + 1e-4))).toBeCloseTo(1, 4));
    });
  }

  it('considers only the candidate classes: with 2, the one with the largest clean logit', async () => {
    const { batch, margins } = linearBatch('l2');
    const result = await deepfool(model, batch, { norm: 'l2', candidates: 2, overshoot: 0.002 });
    const { norms, changed } = await checkResult(model, batch, result, 'l2');
    expect(changed.every(Boolean)).toBe(true);
    margins.forEach((margin, i) => expect(norms[i]).toBeGreaterThan(margin * (1 - 1e-5)));
  });
});

describe('DeepFool where no adversarial example can be found', () => {
  it('reports failure and returns the input unchanged for a constant classifier', async () => {
    const { batch } = linearBatch('l2', 3);
    const result = await deepfool(constant, { ...batch, classes: new Int32Array(3) }, { norm: 'linf', steps: 5 });
    expect(Array.from(result.success)).toEqual([0, 0, 0]);
    expect(Array.from(result.iterations)).toEqual([5, 5, 5]);
    expect(result.adv).toEqual(batch.x);
  });

  it('counts a sample the model already puts in another class as a success with no perturbation', async () => {
    const { batch } = linearBatch('l2', 2);
    const classes = Int32Array.from(batch.classes, (c) => (c + 1) % lin.classes);
    const result = await deepfool(model, { ...batch, classes }, { norm: 'l2' });
    expect(Array.from(result.success)).toEqual([1, 1]);
    expect(Array.from(result.iterations)).toEqual([0, 0]);
    expect(result.adv).toEqual(batch.x);
  });

  it('rejects l1 and a single candidate class with a readable error', async () => {
    const { batch } = linearBatch('l2', 1);
    await expect(deepfool(model, batch, { norm: 'l1' as 'l2' })).rejects.toThrow(/l2 and linf/);
    await expect(deepfool(model, batch, { norm: 'l2', candidates: 1 })).rejects.toThrow(/at least 2 candidate/);
  });
});
