import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDataset } from '../data/index.js';
import { readModel } from '../onnx/codec.js';
import { foldPreprocessing } from '../onnx/surgery.js';
import { deepfool } from './deepfool.js';
import { fab } from './fab.js';
import { argmax } from './logit-rows.js';
import { onnxDifferentiableModel, type DifferentiableModel, type RowPlan } from './model.js';
import type { Batch } from './types.js';

const samples = fileURLToPath(new URL('../../../resources/samples/', import.meta.url));
const modelPath = `${samples}fmnist-cnn-robust.onnx`;
const imagesPath = `${samples}fmnist-test-1000-images-idx3-ubyte.gz`;
const present = existsSync(modelPath) && existsSync(imagesPath);
const N = 10;

describe.skipIf(!present)('Jacobian rows in chunks (memory plan) on the sample robust CNN', () => {
  const models: (DifferentiableModel & { release(): Promise<void> })[] = [];
  let batch: Batch;
  const load = async (rowPlan?: RowPlan) => {
    const folded = foldPreprocessing(readModel(readFileSync(modelPath), 'fmnist-cnn-robust.onnx'), { mean: [0.286], std: [0.353] });
    const model = await onnxDifferentiableModel(folded, { sampleShape: [1, 28, 28], classes: 10, device: 'cpu', batchSize: rowPlan?.samplesPerCall ?? N, intraOpThreads: 1, rowPlan });
    models.push(model);
    return model;
  };
  let whole: DifferentiableModel;
  let chunked: DifferentiableModel;
  beforeAll(async () => {
    whole = await load();
    // 3 samples per group (a short last group) and 9 rows in chunks of at most 4 (3 + 3 + 3).
    chunked = await load({ samplesPerCall: 3, rowsPerChunk: 4 });
    const data = await readDataset(imagesPath, { limit: N });
    const x = Float32Array.from(data.data, (v) => v / 255);
    const logits = await whole.logits(x, N);
    batch = { x, n: N, classes: Int32Array.from({ length: N }, (_, i) => argmax(logits.subarray(i * 10, (i + 1) * 10))) };
  });
  afterAll(async () => {
    for (const m of models) await m.release();
  });

  it('untargeted FAB finds the same adversarials as with every row in one call', async () => {
    const chunks: number[] = [];
    const a = await fab(whole, batch, { norm: 'linf', steps: 15 });
    const b = await fab(chunked, batch, { norm: 'linf', steps: 15, onRowChunk: (k, of) => chunks.push(of) });
    expect(Array.from(b.norms)).toEqual(Array.from(a.norms));
    expect(b.adv).toEqual(a.adv);
    expect(Array.from(a.success).filter(Boolean).length).toBeGreaterThan(N / 2);
    expect(new Set(chunks)).toEqual(new Set([3]));
  });

  it('DeepFool takes the same steps as with every candidate in one call', async () => {
    for (const norm of ['linf', 'l2'] as const) {
      const a = await deepfool(whole, batch, { norm });
      const b = await deepfool(chunked, batch, { norm });
      expect(b.adv).toEqual(a.adv);
      expect(Array.from(b.iterations)).toEqual(Array.from(a.iterations));
    }
  });
});
