import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniform } from '../autodiff/test-harness.js';
import { readDataset } from '../data/index.js';
import { readModel } from '../onnx/codec.js';
import { foldPreprocessing } from '../onnx/surgery.js';
import { apgd, checkpointIterations, lossAndGradient, type ApgdLoss, type ApgdOptions } from './apgd.js';
import { minimalEpsilonByBisection } from './apgd-search.js';
import { onnxDifferentiableModel, type DifferentiableModel } from './model.js';
import { perturbationNorms } from './norms.js';
import { linearClassifier, linearModel, linearSamples, type LinearMargin } from './test-models.js';
import type { Batch } from './types.js';

type Released = DifferentiableModel & { release(): Promise<void> };

describe('APGD step-size checkpoints', () => {
  it("are the paper's p_j (0.22, 0.41, 0.57, ...) rounded as the reference rounds them", () => {
    expect(checkpointIterations(100)).toEqual([22, 41, 57, 70, 80, 87, 93, 99]);
    expect(checkpointIterations(10)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(checkpointIterations(1)).toEqual([1]);
  });
});

describe('APGD losses', () => {
  // The gradient of each loss with respect to the logits is the cotangent APGD feeds to the
  // vector-Jacobian product; a central difference checks it on logits without ties.
  it.each<[ApgdLoss, number]>([
    ['ce', -1],
    ['dlr', -1],
    ['dlr-targeted', 5],
    ['dlr-targeted', 2],
  ])('%s (target %i) has the gradient its central difference gives', (loss, target) => {
    for (const y of [0, 3]) {
      const z = uniform(7, `logits ${loss} ${y}`, -3, 3);
      const dz = new Float32Array(7);
      lossAndGradient(loss, z, y, target, dz);
      const h = 1e-3;
      for (let j = 0; j < 7; j++) {
        const plus = Float32Array.from(z, (v, k) => (k === j ? v + h : v));
        const minus = Float32Array.from(z, (v, k) => (k === j ? v - h : v));
        const scratch = new Float32Array(7);
        const numeric = (lossAndGradient(loss, plus, y, target, scratch) - lossAndGradient(loss, minus, y, target, scratch)) / (2 * h);
        expect(dz[j]).toBeCloseTo(numeric, 2);
      }
    }
  });

  it('DLR is the reference formula: -(z_y - max other) / (z_pi1 - z_pi3)', () => {
    const z = Float32Array.from([1, 4, 2, 3]);
    const dz = new Float32Array(4);
    expect(lossAndGradient('dlr', z, 1, -1, dz)).toBeCloseTo(-(4 - 3) / (4 - 2), 6);
    expect(lossAndGradient('dlr', z, 0, -1, dz)).toBeCloseTo(-(1 - 4) / (4 - 2), 6);
    expect(lossAndGradient('dlr-targeted', z, 1, 0, dz)).toBeCloseTo(-(4 - 1) / (4 - (2 + 1) / 2), 6);
  });
});

describe('APGD on a multiclass linear model (exact margins known)', () => {
  // Logits scaled up 100x: the margins stay the same, and the softmax is confident as a trained
  // network's is. At the fixture's own scale (logits ~0.1) the softmax is nearly uniform and the
  // CE gradient points at the mean of the other classes' weights rather than at the nearest
  // boundary, so APGD-CE misses every sample at 1.05x the margin; the DLR losses are scale-invariant.
  const base = linearClassifier({ classes: 4, sampleShape: [1, 4, 4] });
  const lin = { ...base, weights: base.weights.map((w) => Math.fround(100 * w)), bias: base.bias.map((b) => Math.fround(100 * b)) };
  const n = 12;
  let model: Released;
  beforeAll(async () => {
    model = await linearModel(lin);
  });
  afterAll(() => model.release());

  const samplesFor = (norm: 'linf' | 'l2') => {
    const { x, margins } = linearSamples(lin, norm, n, { seed: `apgd ${norm}`, lo: 0.4, hi: 0.6 });
    const batch: Batch = { x, n, classes: Int32Array.from(margins, (m) => m.prediction) };
    return { batch, margins };
  };
  const epsOf = (margins: LinearMargin[], factor: number) => margins.map((m) => factor * m.margin);

  /** Every candidate stays in [0,1] and in its eps-ball, and a fresh forward pass confirms every claimed success. */
  const expectValid = async (batch: Batch, result: { adv: Float32Array; success: Uint8Array }, eps: number[], norm: 'linf' | 'l2') => {
    expect(result.adv.every((v) => v >= 0 && v <= 1)).toBe(true);
    const sizes = perturbationNorms(result.adv, batch.x, n, 16, norm);
    sizes.forEach((size, i) => expect(size).toBeLessThanOrEqual(eps[i] * (1 + 1e-5) + 1e-7));
    // The model's own float32 forward, as the job verifies: bisected adversarials sit within rounding of the boundary.
    const logits = await model.logits(result.adv, n);
    for (let i = 0; i < n; i++) {
      if (!result.success[i]) continue;
      const row = Array.from(logits.subarray(i * 4, i * 4 + 4));
      expect(row.indexOf(Math.max(...row))).not.toBe(batch.classes[i]);
    }
  };

  describe.each<'linf' | 'l2'>(['linf', 'l2'])('%s', (norm) => {
    it.each<ApgdLoss>(['ce', 'dlr-targeted'])('%s breaks every sample at 1.05 x its margin and none at 0.95 x', async (loss) => {
      const { batch, margins } = samplesFor(norm);
      const above = epsOf(margins, 1.05);
      const below = epsOf(margins, 0.95);
      const broken = await apgd(model, batch, { loss, norm, eps: above });
      expect(Array.from(broken.success)).toEqual(Array(n).fill(1));
      await expectValid(batch, broken, above, norm);
      const held = await apgd(model, batch, { loss, norm, eps: below });
      expect(Array.from(held.success)).toEqual(Array(n).fill(0));
      await expectValid(batch, held, below, norm);
      expect(Array.from(held.iterations)).toEqual(Array(n).fill(loss === 'ce' ? 100 : 300));
    });

    it('finds the analytic margin within 2% by bisection over epsilon', async () => {
      const { batch, margins } = samplesFor(norm);
      const top = Math.max(...margins.map((m) => m.margin));
      const result = await minimalEpsilonByBisection(model, batch, { norm, lo: 0, hi: 2 * top, iterations: 20, tolerance: 0.005, attack: { loss: 'dlr-targeted' } });
      expect(Array.from(result.found)).toEqual(Array(n).fill(1));
      result.epsilon.forEach((e, i) => {
        expect(e / margins[i].margin).toBeGreaterThanOrEqual(1);
        expect(e / margins[i].margin).toBeLessThan(1.02);
        expect(result.lower[i]).toBeLessThan(e);
      });
      await expectValid(batch, { adv: result.adv, success: result.found }, Array.from(result.epsilon), norm);
    });
  });

  it('gives identical results for the same seed', async () => {
    const { batch, margins } = samplesFor('l2');
    const options: ApgdOptions = { loss: 'ce', norm: 'l2', eps: epsOf(margins, 1.2), steps: 20, seed: 7 };
    const [a, b] = [await apgd(model, batch, options), await apgd(model, batch, options)];
    expect(a).toEqual(b);
    const other = await apgd(model, batch, { ...options, seed: 8 });
    expect(other.adv).not.toEqual(a.adv);
  });

  it("gives a sample the same result whatever else is in its batch (with the sample's id)", async () => {
    const { batch, margins } = samplesFor('linf');
    const options: ApgdOptions = { loss: 'dlr-targeted', norm: 'linf', eps: epsOf(margins, 1.3), steps: 10 };
    const whole = await apgd(model, batch, options);
    const k = 5;
    const single = await apgd(model, { x: batch.x.slice(k * 16, (k + 1) * 16), n: 1, classes: batch.classes.slice(k, k + 1) }, { ...options, eps: [1.3 * margins[k].margin], sampleIds: [k] });
    expect(single.adv).toEqual(whole.adv.slice(k * 16, (k + 1) * 16));
    expect(single.iterations[0]).toBe(whole.iterations[k]);
  });

  it('counts a sample the model already misclassifies as broken at its clean input', async () => {
    const { batch } = samplesFor('linf');
    const wrong: Batch = { ...batch, classes: Int32Array.from(batch.classes, (c) => (c + 1) % 4) };
    const result = await apgd(model, wrong, { norm: 'linf', eps: 0.001 });
    expect(Array.from(result.success)).toEqual(Array(n).fill(1));
    expect(result.adv).toEqual(batch.x);
    expect(Array.from(result.iterations)).toEqual(Array(n).fill(0));
    const search = await minimalEpsilonByBisection(model, wrong, { norm: 'linf', lo: 0.01, hi: 0.1, iterations: 4 });
    expect(Array.from(search.epsilon)).toEqual(Array(n).fill(0));
  });

  it('reports Infinity where APGD fails at the top of the bracket', async () => {
    const { batch, margins } = samplesFor('l2');
    const result = await minimalEpsilonByBisection(model, batch, { norm: 'l2', lo: 0, hi: 0.5 * Math.min(...margins.map((m) => m.margin)), iterations: 3 });
    expect(Array.from(result.epsilon)).toEqual(Array(n).fill(Infinity));
    expect(Array.from(result.found)).toEqual(Array(n).fill(0));
    expect(result.adv).toEqual(batch.x);
  });

  it('rejects options it cannot honour, saying which', async () => {
    const { batch } = samplesFor('linf');
    await expect(apgd(model, batch, { norm: 'l1', eps: 1 })).rejects.toThrow(/linf and l2 norms, not l1/);
    await expect(apgd(model, batch, { norm: 'linf', eps: [0.1] })).rejects.toThrow(/eps has 1 values for 12 samples/);
    await expect(apgd(model, batch, { norm: 'linf', eps: 0.1, steps: 0 })).rejects.toThrow(/steps must be a whole number/);
    await expect(apgd(model, batch, { norm: 'linf', eps: -1 })).rejects.toThrow(/eps must be finite and >= 0/);
  });
});

// The bundled PGD-trained sample, when present; its manifest gives PGD-20 robust accuracy 0.692
// at l_inf eps 0.1 on the 1000-image sample set.
const samples = fileURLToPath(new URL('../../../resources/samples/', import.meta.url));
const present = existsSync(`${samples}fmnist-cnn-robust.onnx`) && existsSync(`${samples}fmnist-test-1000-images-idx3-ubyte.gz`);

describe.skipIf(!present)('APGD on the robust fmnist sample CNN', () => {
  let model: Released;
  let batch: Batch;
  beforeAll(async () => {
    const onnx = foldPreprocessing(readModel(readFileSync(`${samples}fmnist-cnn-robust.onnx`), 'fmnist-cnn-robust.onnx'), { mean: [0.286], std: [0.353] });
    model = await onnxDifferentiableModel(onnx, { sampleShape: [1, 28, 28], classes: 10, device: 'cpu', batchSize: 32 });
    const data = await readDataset(`${samples}fmnist-test-1000-images-idx3-ubyte.gz`, { limit: 32 });
    batch = { x: Float32Array.from(data.data, (v) => v / 255), n: 32, classes: data.labels };
  });
  afterAll(() => model.release());

  it('gives a robust accuracy at l_inf eps 0.1 near the manifest PGD-20 figure, with valid candidates', async () => {
    const clean = await model.logits(batch.x, 32);
    const correct = Array.from(batch.classes).filter((y, i) => {
      const row = Array.from(clean.subarray(i * 10, i * 10 + 10));
      return row.indexOf(Math.max(...row)) === y;
    }).length;
    const result = await apgd(model, batch, { loss: 'ce', norm: 'linf', eps: 0.1 });
    const robust = result.success.reduce((a, s) => a + (s ? 0 : 1), 0) / 32;
    console.log(`fmnist-cnn-robust, 32 samples: clean accuracy ${correct / 32}, APGD-CE (100 steps) robust accuracy ${robust} at l_inf 0.1`);
    expect(robust).toBeGreaterThanOrEqual(0.4);
    expect(robust).toBeLessThanOrEqual(Math.min(0.9, correct / 32));
    expect(result.adv.every((v) => v >= 0 && v <= 1)).toBe(true);
    perturbationNorms(result.adv, batch.x, 32, 784, 'linf').forEach((d) => expect(d).toBeLessThanOrEqual(0.1 + 1e-6));
    const logits = await model.logits(result.adv, 32);
    result.success.forEach((s, i) => {
      if (!s) return;
      const row = Array.from(logits.subarray(i * 10, i * 10 + 10));
      expect(row.indexOf(Math.max(...row))).not.toBe(batch.classes[i]);
    });
  });
});
