import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDataset } from '../data/index.js';
import { readModel } from '../onnx/codec.js';
import { foldPreprocessing } from '../onnx/surgery.js';
import { checkResult, median } from './attack-checks.js';
import { deepfool } from './deepfool.js';
import { fmn } from './fmn.js';
import { argmax } from './logit-rows.js';
import { onnxDifferentiableModel, type DifferentiableModel } from './model.js';
import type { AttackResult, Batch, Norm } from './types.js';

const samples = fileURLToPath(new URL('../../../resources/samples/', import.meta.url));
const modelPath = `${samples}fmnist-cnn-robust.onnx`;
const imagesPath = `${samples}fmnist-test-1000-images-idx3-ubyte.gz`;
const present = existsSync(modelPath) && existsSync(imagesPath);
const N = 16;

describe.skipIf(!present)('DeepFool and FMN on the sample robust CNN', () => {
  let model: DifferentiableModel & { release(): Promise<void> };
  let batch: Batch;
  beforeAll(async () => {
    // The sample expects (pixel - 0.286) / 0.353; folded in, inputs and norms are in [0,1] pixels.
    const folded = foldPreprocessing(readModel(readFileSync(modelPath), 'fmnist-cnn-robust.onnx'), { mean: [0.286], std: [0.353] });
    model = await onnxDifferentiableModel(folded, { sampleShape: [1, 28, 28], classes: 10, device: 'cpu', batchSize: N });
    const data = await readDataset(imagesPath, { limit: N });
    const x = Float32Array.from(data.data, (v) => v / 255);
    const logits = await model.logits(x, N);
    // Margins are taken with respect to the model's own prediction (DESIGN.md section 5).
    batch = { x, n: N, classes: Int32Array.from({ length: N }, (_, i) => argmax(logits.subarray(i * 10, (i + 1) * 10))) };
  });
  afterAll(async () => {
    await model?.release();
  });

  const expectVerified = async (result: AttackResult, norm: Norm) => {
    const checked = await checkResult(model, batch, result, norm);
    expect(checked.inBox).toBe(true);
    const found: number[] = [];
    for (let i = 0; i < N; i++) {
      if (result.success[i] === 0) continue;
      expect(checked.changed[i], `sample ${i}`).toBe(true);
      expect(checked.norms[i], `sample ${i}`).toBeGreaterThan(0);
      found.push(checked.norms[i]);
    }
    return found;
  };

  const medians: Record<string, number> = {};
  for (const norm of ['l2', 'linf'] as const) {
    it(`DeepFool ${norm}: finds every sample's adversarial, each verified by a fresh forward pass`, async () => {
      const result = await deepfool(model, batch, { norm });
      const found = await expectVerified(result, norm);
      expect(found).toHaveLength(N);
      medians[`deepfool ${norm}`] = median(found);
    });
  }

  for (const norm of ['l2', 'linf', 'l1'] as const) {
    it(`FMN ${norm}: finds every sample's adversarial, each verified by a fresh forward pass`, async () => {
      const result = await fmn(model, batch, { norm });
      const found = await expectVerified(result, norm);
      expect(found).toHaveLength(N);
      medians[`fmn ${norm}`] = median(found);
    });
  }

  it('FMN, which keeps minimising after its first success, gives smaller median margins than DeepFool', () => {
    for (const norm of ['l2', 'linf']) expect(medians[`fmn ${norm}`]).toBeLessThan(medians[`deepfool ${norm}`]);
    console.log(`median margins over ${N} images: ${Object.entries(medians).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')}`);
  });
});
