import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDataset } from '../data/index.js';
import { readModel } from '../onnx/codec.js';
import { foldPreprocessing } from '../onnx/surgery.js';
import { minimalEpsilonByBisection } from './apgd-search.js';
import { fab } from './fab.js';
import { argmax } from './logit-rows.js';
import { onnxDifferentiableModel, type DifferentiableModel } from './model.js';
import { verifyAdversarials } from './verify.js';

const samples = join(process.cwd(), 'resources', 'samples');

/**
 * The check on a real model: minimal-norm FAB must not report larger margins than the
 * smallest epsilon at which APGD succeeds, found by bisection, on the same samples.
 */
describe('FAB against a bisection over APGD epsilon on the sample robust CNN', () => {
  let model: DifferentiableModel & { release(): Promise<void> };
  const n = 12;
  let x: Float32Array;
  let classes: Int32Array;

  beforeAll(async () => {
    const onnx = foldPreprocessing(readModel(new Uint8Array(readFileSync(join(samples, 'fmnist-cnn-robust.onnx'))), 'robust.onnx'), { mean: [0.286], std: [0.353] });
    model = await onnxDifferentiableModel(onnx, { sampleShape: [1, 28, 28], classes: 10, device: 'cpu', batchSize: 128, intraOpThreads: 1 });
    const data = await readDataset(join(samples, 'fmnist-test-1000-images-idx3-ubyte.gz'), { limit: n });
    x = Float32Array.from(data.data, (v) => v / 255);
    const logits = await model.logits(x, n);
    classes = Int32Array.from({ length: n }, (_, i) => argmax(logits.subarray(i * 10, (i + 1) * 10)));
  });
  afterAll(() => model.release());

  // FAB is not always at or below APGD's bisection: on these 12 samples it is above it by 1-5% on
  // 4, and bench/fab-vs-apgd.ts shows PyTorch's reference FAB above it on the same samples with
  // the same margins (18 of 32), whatever the steps, restarts or targets. The bound below guards
  // that measured gap, so that a weaker FAB fails here.
  it('finds linf margins within 6% of the smallest epsilon APGD needs, every one verified and positive', async () => {
    const batch = { x, n, classes };
    const found = await fab(model, batch, { norm: 'linf', steps: 100, restarts: 1, seed: 0 });
    const verified = await verifyAdversarials(model, batch, found.adv);
    const search = await minimalEpsilonByBisection(model, batch, {
      norm: 'linf',
      lo: 0,
      hi: 0.5,
      iterations: 10,
      attack: { loss: 'ce', steps: 50, restarts: 1, seed: 0 },
    });
    for (let i = 0; i < n; i++) {
      expect(verified.found[i]).toBe(1);
      expect(verified.linf[i]).toBeGreaterThan(0);
      // The bisection's bracket is 0.5 / 2^10 wide.
      expect(verified.linf[i]).toBeLessThanOrEqual(1.06 * (search.epsilon[i] + 0.5 / 2 ** 10));
    }
  }, 120_000);
});
