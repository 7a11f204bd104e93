import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDataset } from '../data/index.js';
import { readModel } from '../onnx/codec.js';
import { foldPreprocessing } from '../onnx/surgery.js';
import { fab, type FabOptions } from './fab.js';
import { onnxDifferentiableModel, type DifferentiableModel } from './model.js';
import { perturbationNorms } from './norms.js';
import { constantClassifier, linearClassifier, linearLogits, linearModel, linearSamples, type LinearClassifier } from './test-models.js';
import type { Norm } from './types.js';

const NORMS: Norm[] = ['linf', 'l2', 'l1'];
const PER = 16;

function argmaxRows(logits: ArrayLike<number>, n: number, c: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => {
    let best = 0;
    for (let j = 1; j < c; j++) if (logits[i * c + j] > logits[i * c + best]) best = j;
    return best;
  });
}

describe('FAB on a multiclass linear model (closed-form margins, box inactive)', () => {
  const lin = linearClassifier({ classes: 4, sampleShape: [1, 4, 4] });
  let model: DifferentiableModel & { release(): Promise<void> };
  beforeAll(async () => {
    model = await linearModel(lin);
  });
  afterAll(() => model.release());

  const samples = (norm: Norm, n = 8) => linearSamples(lin, norm, n, { lo: 0.4, hi: 0.6, minMargin: 1e-3, seed: `fab ${norm}` });

  for (const norm of NORMS) {
    it(`${norm}: untargeted FAB finds the analytic margin within 1%, with adversarial examples in the box`, async () => {
      const { x, margins } = samples(norm);
      const n = margins.length;
      const classes = Int32Array.from(margins, (m) => m.prediction);
      const out = await fab(model, { x, n, classes }, { norm, steps: 10 });
      const predicted = argmaxRows(linearLogits(lin, out.adv, n), n, lin.classes);
      const sizes = perturbationNorms(out.adv, x, n, PER, norm);
      for (let i = 0; i < n; i++) {
        expect(out.success[i]).toBe(1);
        expect(predicted[i]).not.toBe(classes[i]);
        expect(out.norms[i]).toBeCloseTo(sizes[i], 6);
        expect(sizes[i]).toBeGreaterThanOrEqual(margins[i].margin * (1 - 1e-4));
        expect(sizes[i]).toBeLessThanOrEqual(margins[i].margin * 1.01);
        expect(out.iterations[i]).toBe(1);
      }
      expect(out.adv.every((v) => v >= 0 && v <= 1)).toBe(true);
    });

    it(`${norm}: targeted FAB over all other classes finds the same margin; one target, that class's boundary`, async () => {
      const { x, margins } = samples(norm, 4);
      const n = margins.length;
      const classes = Int32Array.from(margins, (m) => m.prediction);
      const all = await fab(model, { x, n, classes }, { norm, steps: 10, targeted: 3 });
      const one = await fab(model, { x, n, classes }, { norm, steps: 10, targeted: 1 });
      const logits = linearLogits(lin, x, n);
      for (let i = 0; i < n; i++) {
        expect(all.success[i]).toBe(1);
        expect(all.norms[i]).toBeGreaterThanOrEqual(margins[i].margin * (1 - 1e-4));
        expect(all.norms[i]).toBeLessThanOrEqual(margins[i].margin * 1.01);
        // The runner-up by clean logit is the only target; crossing into any class counts.
        const row = Array.from(logits.subarray(i * 4, i * 4 + 4));
        const second = [0, 1, 2, 3].filter((j) => j !== classes[i]).sort((a, b) => row[b] - row[a])[0];
        const towardsSecond = (row[classes[i]] - row[second]) / dualLength(lin, classes[i], second, norm);
        expect(one.success[i]).toBe(1);
        expect(one.norms[i]).toBeGreaterThanOrEqual(margins[i].margin * (1 - 1e-4));
        expect(one.norms[i]).toBeLessThanOrEqual(towardsSecond * 1.01);
      }
    });
  }

  it('with a finite eps, counts only adversarial examples within eps and returns the input otherwise', async () => {
    const { x, margins } = samples('l2', 6);
    const n = margins.length;
    const classes = Int32Array.from(margins, (m) => m.prediction);
    const eps = [...margins.map((m) => m.margin)].sort((a, b) => a - b)[2] * 1.02;
    const out = await fab(model, { x, n, classes }, { norm: 'l2', steps: 10, restarts: 2, eps });
    for (let i = 0; i < n; i++) {
      const inside = margins[i].margin * 1.01 <= eps;
      const outside = margins[i].margin > eps;
      if (inside) expect(out.success[i]).toBe(1);
      if (outside) {
        expect(out.success[i]).toBe(0);
        expect(out.norms[i]).toBe(Infinity);
        expect(Array.from(out.adv.subarray(i * PER, (i + 1) * PER))).toEqual(Array.from(x.subarray(i * PER, (i + 1) * PER)));
        expect(out.iterations[i]).toBe(20);
      }
    }
  });

  it('restarts from random starts are reproducible with a seed and never make the best worse', async () => {
    const { x, margins } = samples('linf', 4);
    const n = margins.length;
    const classes = Int32Array.from(margins, (m) => m.prediction);
    const options: FabOptions = { norm: 'linf', steps: 5, restarts: 3, seed: 42 };
    const [a, b, single] = await Promise.all([fab(model, { x, n, classes }, options), fab(model, { x, n, classes }, options), fab(model, { x, n, classes }, { ...options, restarts: 1 })]);
    expect(Array.from(a.adv)).toEqual(Array.from(b.adv));
    for (let i = 0; i < n; i++) expect(a.norms[i]).toBeLessThanOrEqual(single.norms[i]);
    expect(a.adv.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('a sample already outside its class has margin 0 without iterations', async () => {
    const { x, margins } = samples('l2', 2);
    const classes = Int32Array.from(margins, (m, i) => (i === 0 ? (m.prediction + 1) % 4 : m.prediction));
    const out = await fab(model, { x, n: 2, classes }, { norm: 'l2', steps: 5 });
    expect(out.success[0]).toBe(1);
    expect(out.norms[0]).toBe(0);
    expect(out.iterations[0]).toBe(0);
    expect(out.success[1]).toBe(1);
  });

  it('reports progress per iteration over every target and restart, and stops when aborted', async () => {
    const { x, margins } = samples('l1', 2);
    const classes = Int32Array.from(margins, (m) => m.prediction);
    const seen: [number, number][] = [];
    await fab(model, { x, n: 2, classes }, { norm: 'l1', steps: 3, restarts: 2, targeted: 2, onProgress: (done, total) => seen.push([done, total]) });
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => [i + 1, 12]));
    const controller = new AbortController();
    controller.abort(new Error('cancelled by the user'));
    await expect(fab(model, { x, n: 2, classes }, { norm: 'l1', signal: controller.signal })).rejects.toThrow('cancelled by the user');
  });

  it('rejects bad options and inputs outside [0,1] with a readable message', async () => {
    const x = new Float32Array(PER).fill(0.5);
    const batch = { x, n: 1, classes: Int32Array.of(0) };
    await expect(fab(model, batch, { norm: 'linf', steps: 0 })).rejects.toThrow(/steps must be a positive integer/);
    await expect(fab(model, batch, { norm: 'linf', beta: 1.5 })).rejects.toThrow(/beta/);
    await expect(fab(model, batch, { norm: 'linf', eps: 0 })).rejects.toThrow(/eps/);
    await expect(fab(model, { ...batch, x: new Float32Array(PER).fill(1.5) }, { norm: 'linf' })).rejects.toThrow(/sample 0 has value 1.5 outside \[0, 1\]/);
  });
});

describe('FAB on a classifier whose prediction cannot change', () => {
  it('reports no adversarial example (success 0, the input back), never a zero margin', async () => {
    const model = await linearModel(constantClassifier());
    const x = new Float32Array(2 * PER).fill(0.5);
    for (const norm of NORMS) {
      const out = await fab(model, { x, n: 2, classes: Int32Array.of(0, 0) }, { norm, steps: 3, restarts: 2 });
      expect(Array.from(out.success)).toEqual([0, 0]);
      expect(Array.from(out.norms)).toEqual([Infinity, Infinity]);
      expect(Array.from(out.adv)).toEqual(Array.from(x));
      expect(Array.from(out.iterations)).toEqual([6, 6]);
    }
    await model.release();
  });
});

function dualLength(lin: LinearClassifier, i: number, j: number, norm: Norm): number {
  const features = lin.weights.length / lin.classes;
  const dw = Array.from({ length: features }, (_, k) => Math.abs(lin.weights[i * features + k] - lin.weights[j * features + k]));
  if (norm === 'linf') return dw.reduce((a, b) => a + b, 0);
  if (norm === 'l1') return Math.max(...dw);
  return Math.sqrt(dw.reduce((a, b) => a + b * b, 0));
}

// The bundled adversarially trained Fashion-MNIST CNN, with its normalisation folded in.
const root = (p: string) => fileURLToPath(new URL(`../../../resources/samples/${p}`, import.meta.url));
const modelPath = root('fmnist-cnn-robust.onnx');
const imagesPath = root('fmnist-test-1000-images-idx3-ubyte.gz');

describe.skipIf(!existsSync(modelPath) || !existsSync(imagesPath))('FAB on the sample robust CNN', () => {
  const n = 16;
  let model: Awaited<ReturnType<typeof onnxDifferentiableModel>>;
  let x: Float32Array;
  let classes: Int32Array;
  beforeAll(async () => {
    const onnx = foldPreprocessing(readModel(readFileSync(modelPath), 'fmnist-cnn-robust.onnx'), { mean: [0.286], std: [0.353] });
    model = await onnxDifferentiableModel(onnx, { sampleShape: [1, 28, 28], classes: 10, device: 'cpu', batchSize: 160 });
    const data = await readDataset(imagesPath, { limit: n });
    x = Float32Array.from(data.data, (v) => v / 255);
    classes = argmaxRows(await model.logits(x, n), n, 10);
  });
  afterAll(() => model.release());

  for (const norm of ['linf', 'l2'] as const) {
    it(`${norm}: every success is verified by a fresh forward pass, inside [0,1], with a positive norm`, async () => {
      const start = performance.now();
      const out = await fab(model, { x, n, classes }, { norm, steps: 20 });
      const seconds = (performance.now() - start) / 1000;
      const fresh = argmaxRows(await model.logits(out.adv, n), n, 10);
      const sizes = perturbationNorms(out.adv, x, n, 784, norm);
      let found = 0;
      for (let i = 0; i < n; i++) {
        if (!out.success[i]) continue;
        found++;
        expect(fresh[i]).not.toBe(classes[i]);
        expect(sizes[i]).toBeGreaterThan(0);
        expect(sizes[i]).toBeCloseTo(out.norms[i], 6);
      }
      expect(out.adv.every((v) => v >= 0 && v <= 1)).toBe(true);
      expect(found).toBeGreaterThanOrEqual(n - 1);
      const sorted = Array.from(out.norms).filter(Number.isFinite).sort((a, b) => a - b);
      const median = (sorted[(sorted.length - 1) >> 1] + sorted[sorted.length >> 1]) / 2;
      console.log(`FAB ${norm}, 20 steps: ${found}/${n} found, median ${median.toFixed(4)}, ${seconds.toFixed(2)} s`);
    });
  }
});
