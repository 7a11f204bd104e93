import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tinyModel, uniform } from '../autodiff/test-harness.js';
import { readModel, writeModel } from '../onnx/codec.js';
import { attr, encode, node } from '../onnx/fixtures/models.js';
import { foldPreprocessing } from '../onnx/surgery.js';
import { onnxDifferentiableModel } from './model.js';

const samples = join(process.cwd(), 'resources', 'samples');

/** vjpRows against plain vjp calls with each sample repeated once per row. */
async function expectRowsMatchReplication(model: Awaited<ReturnType<typeof onnxDifferentiableModel>>, n: number, rows: number): Promise<void> {
  const per = model.sampleShape.reduce((a, b) => a * b, 1);
  const c = model.classes;
  const x = uniform(n * per, 'x', 0, 1);
  const v = uniform(n * rows * c, 'v');
  const got = await model.vjpRows(x, v, n, rows);
  const xs = new Float32Array(n * rows * per);
  for (let i = 0; i < n; i++) for (let r = 0; r < rows; r++) xs.set(x.subarray(i * per, (i + 1) * per), (i * rows + r) * per);
  const want = await model.vjp(xs, v, n * rows);
  expect(got.grad).toHaveLength(n * rows * per);
  let worst = 0;
  let scale = 0;
  want.grad.forEach((w, j) => {
    worst = Math.max(worst, Math.abs(got.grad[j] - w));
    scale = Math.max(scale, Math.abs(w));
  });
  expect(worst / scale).toBeLessThan(1e-5);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < c; j++) expect(got.logits[i * c + j]).toBeCloseTo(want.logits[i * rows * c + j], 5);
  }
}

describe('several vector-Jacobian products per sample (vjpRows)', () => {
  it('share one forward pass per sample on the sample CNN, row by row equal to replicated samples', async () => {
    const onnx = foldPreprocessing(readModel(new Uint8Array(readFileSync(join(samples, 'fmnist-cnn-robust.onnx'))), 'robust.onnx'), { mean: [0.286], std: [0.353] });
    // Batch 20 at 9 rows: runs of 2 samples, so that 5 samples take several runs and a padded one.
    const model = await onnxDifferentiableModel(onnx, { sampleShape: [1, 28, 28], classes: 10, device: 'cpu', batchSize: 20, intraOpThreads: 1 });
    try {
      expect(await model.sharesForwardPass(9)).toBe(true);
      await expectRowsMatchReplication(model, 5, 9);
    } finally {
      await model.release();
    }
  });

  it('fall back to replicated samples where the model cannot share its forward pass (batch fixed in a Reshape)', async () => {
    // Reshape to [2, 12] bakes a batch of 2 into the graph: no second batch size can be probed.
    const onnx = readModel(
      encode(
        tinyModel({
          x: ['n', 3, 4],
          nodes: [node('Reshape', ['x', 'shape'], ['flat']), node('Gemm', ['flat', 'W', 'b'], ['y'], [attr.int('transB', 1)])],
          weights: { W: [5, 12], b: [5] },
          ints: { shape: [2, 12] },
        }),
      ),
      'fixed.onnx',
    );
    const model = await onnxDifferentiableModel(readModel(writeModel(onnx), 'fixed.onnx'), { sampleShape: [3, 4], classes: 5, device: 'cpu', batchSize: 2, intraOpThreads: 1 });
    try {
      expect(await model.sharesForwardPass(2)).toBe(false);
      await expectRowsMatchReplication(model, 1, 2);
    } finally {
      await model.release();
    }
  });
});
