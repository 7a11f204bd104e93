import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkResult } from './attack-checks.js';
import { fmn } from './fmn.js';
import type { DifferentiableModel } from './model.js';
import { constantClassifier, linearClassifier, linearModel, linearSamples } from './test-models.js';
import type { Batch, Norm } from './types.js';

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

const MIN_MARGIN = { linf: 0.03, l2: 0.08, l1: 0.15 } as const;

function linearBatch(norm: Norm, n = 8) {
  const { x, margins } = linearSamples(lin, norm, n, { minMargin: MIN_MARGIN[norm], seed: `fmn ${norm}` });
  const batch: Batch = { x, n, classes: Int32Array.from(margins, (m) => m.prediction) };
  return { batch, margins };
}

describe('FMN on a linear classifier (exact margins in closed form)', () => {
  for (const norm of ['linf', 'l2', 'l1'] as const) {
    it(`finds the ${norm} margin within 1% where the nearest boundary is the runner-up's, and never goes below it`, async () => {
      const { batch, margins } = linearBatch(norm);
      const before = Float32Array.from(batch.x);
      const result = await fmn(model, batch, { norm });
      const checked = await checkResult(model, batch, result, norm);
      expect(Array.from(result.success)).toEqual(Array(8).fill(1));
      expect(checked.changed).toEqual(Array(8).fill(true));
      expect(checked.inBox).toBe(true);
      // FMN's loss pushes towards the class with the second largest logit; where another
      // class's boundary is nearer (in this norm), it finds the runner-up's boundary instead.
      const reachable = margins.filter((m) => m.nearest === m.runnerUp).length;
      expect(reachable).toBeGreaterThanOrEqual(6);
      margins.forEach((m, i) => {
        expect(checked.norms[i] / m.margin).toBeGreaterThan(1 - 1e-5);
        if (m.nearest === m.runnerUp) expect(checked.norms[i] / m.margin).toBeLessThan(1.01);
      });
      expect(batch.x).toEqual(before);
    });
  }

  it('gives the same result when run twice (options per run, nothing kept between runs)', async () => {
    const { batch } = linearBatch('l2', 3);
    const [first, second] = [await fmn(model, batch, { norm: 'l2', steps: 20 }), await fmn(model, batch, { norm: 'l2', steps: 20 })];
    expect(second).toEqual(first);
  });
});

describe('FMN where no adversarial example is found', () => {
  it('reports failure and returns the input for a sample out of reach of its budget', async () => {
    const { batch } = linearBatch('l2', 2);
    // One step of length 1e-3 cannot cover a margin of at least 0.08.
    const result = await fmn(model, batch, { norm: 'l2', steps: 1, alphaInit: 1e-3 });
    expect(Array.from(result.success)).toEqual([0, 0]);
    expect(Array.from(result.iterations)).toEqual([1, 1]);
    expect(result.adv).toEqual(batch.x);
  });

  it('reports failure and returns the input for a constant classifier', async () => {
    const { batch } = linearBatch('linf', 3);
    const result = await fmn(constant, { ...batch, classes: new Int32Array(3) }, { norm: 'linf', steps: 10 });
    expect(Array.from(result.success)).toEqual([0, 0, 0]);
    expect(result.adv).toEqual(batch.x);
  });

  it('counts a sample the model already puts in another class as a success with no perturbation', async () => {
    const { batch } = linearBatch('l1', 2);
    const classes = Int32Array.from(batch.classes, (c) => (c + 1) % lin.classes);
    const result = await fmn(model, { ...batch, classes }, { norm: 'l1', steps: 5 });
    expect(Array.from(result.success)).toEqual([1, 1]);
    expect(Array.from(result.iterations)).toEqual([0, 0]);
    expect(result.adv).toEqual(batch.x);
  });

  it('rejects unknown norms and out-of-range options with a readable error', async () => {
    const { batch } = linearBatch('l2', 1);
    await expect(fmn(model, batch, { norm: 'l0' as Norm })).rejects.toThrow(/linf, l2 and l1/);
    await expect(fmn(model, batch, { norm: 'l2', gammaInit: 1 })).rejects.toThrow(/gammaInit/);
    await expect(fmn(model, batch, { norm: 'l2', steps: 1.5 })).rejects.toThrow(/steps/);
    await expect(fmn(model, { ...batch, classes: Int32Array.of(7) }, { norm: 'l2' })).rejects.toThrow(/class 7/);
  });
});
