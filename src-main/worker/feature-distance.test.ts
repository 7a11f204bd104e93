import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttackSettings, RunConfig } from '../../src-preload/contract.js';
import { argmax } from '../engine/margins/margins.js';
import { readModel, writeModel } from '../engine/onnx/codec.js';
import { encode, model, node, valueInfo } from '../engine/onnx/fixtures/models.js';
import { detectLinearHead, exposeOutputs, foldPreprocessing } from '../engine/onnx/surgery.js';
import { BatchRunner, createSession } from '../engine/runtime/index.js';
import { subsetIndices } from '../jobs/subset.js';
import { samplesDir } from '../paths.js';
import { importModel } from '../service/model-import.js';
import { buildSampleProject } from '../service/sample-project.js';
import { newId, ProjectStore } from '../store/project-store.js';
import { forwardMargins } from './forward-margins.js';

let root: string;
let store: ProjectStore;
let datasetId: string;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'brink-feature-distance-'));
  await buildSampleProject(samplesDir, join(root, 'sample.brink'));
  store = ProjectStore.open(join(root, 'sample.brink'));
  datasetId = store.datasets.list()[0].id;
}, 60_000);
afterAll(() => store?.close());

/** Runs a job in this process, as the worker entry does, and returns its run id and log. */
async function run(modelId: string, attack: AttackSettings, count: number): Promise<{ id: string; log: string[] }> {
  const config: RunConfig = { modelId, datasetId, subset: { mode: 'first', count }, batchSize: 4, device: 'cpu', attack };
  const id = newId('r');
  store.runs.create({ id, config, sampleCount: subsetIndices(config.subset, store.datasets.get(datasetId).count).length, appVersion: 'test' });
  const log: string[] = [];
  const outcome = await forwardMargins({ store, runId: id, intraOpThreads: 1, stopRequested: () => false, progress: () => undefined, log: (line) => log.push(line) });
  expect(outcome).toBe('done');
  return { id, log };
}

/** A dataset sample as the worker feeds it: pixels / 255. */
function pixels(index: number): Float32Array {
  const block = store.datasets.read(datasetId, index, 1);
  return Float32Array.from(block.data, (v) => (block.dtype === 'uint8' ? v / 255 : v));
}

const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

describe('feature distance of the best adversarial', () => {
  it('stores ||h(x) - h(x_adv)|| (l_inf and l2) as a direct forward pass of the features measures it, on the robust CNN', async () => {
    const robust = store.models.list().find((m) => m.name === 'fmnist-cnn-robust')!;
    // 6 samples in batches of 4: the second batch is padded.
    const { id } = await run(robust.id, { attacks: ['deepfool', 'fab'], norm: 'linf', epsilons: [], iterations: 10, restarts: 1, targeted: null, seed: 1 }, 6);

    const pre = store.models.get(robust.id).preprocessing;
    const graph = foldPreprocessing(readModel(store.models.bytes(robust.id), 'robust.onnx'), { range: pre.valueRange, mean: pre.mean, std: pre.std });
    const features = detectLinearHead(graph).head!.featuresTensor;
    const session = await createSession(writeModel(exposeOutputs(graph, [features])), { device: 'cpu', intraOpThreads: 1 });
    const runner = new BatchRunner(session.session, { batchSize: 1 });
    const input = session.session.inputNames[0];
    const logitsName = session.session.outputNames[0];
    const forward = async (x: Float32Array) => {
      const out = await runner.run({ [input]: { data: x, shape: [1, 1, 28, 28] } }, { fetch: [logitsName, features] });
      return { logits: out[logitsName].data, h: out[features].data };
    };

    const samples = [...store.runs.allSamples(id)];
    expect(samples).toHaveLength(6);
    let checked = 0;
    for (const s of samples) {
      const adversarial = store.runs.adversarial(id, s.position);
      if (!s.marginFound) {
        expect([s.featureDistanceLinf, s.featureDistanceL2, adversarial]).toEqual([null, null, null]);
        continue;
      }
      const clean = await forward(pixels(s.index));
      const adv = await forward(adversarial!.example);
      let linf = 0;
      let sq = 0;
      for (let k = 0; k < clean.h.length; k++) {
        const d = Math.abs(clean.h[k] - adv.h[k]);
        linf = Math.max(linf, d);
        sq += d * d;
      }
      expect(linf).toBeGreaterThan(0);
      expect(relative(s.featureDistanceLinf!, linf)).toBeLessThan(1e-5);
      expect(relative(s.featureDistanceL2!, Math.sqrt(sq))).toBeLessThan(1e-5);
      // The stored adversarial logits are still those of a forward pass at the example, which the verification saw change class.
      expect(argmax(adversarial!.logits)).not.toBe(s.pred);
      adv.logits.forEach((v, c) => expect(adversarial!.logits[c]).toBeCloseTo(v, 5));
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
    await session.session.release();
  }, 60_000);

  it('records none for a model without a detected linear head, even where an adversarial was found', async () => {
    // logits = 2 * Gemm(flatten(x)): the output comes from a Mul, so there is no linear head.
    const weights = Float32Array.from({ length: 10 * 784 }, (_, i) => 0.05 * Math.sin(i * 0.37 + Math.floor(i / 784) * 7.1));
    const path = join(root, 'no-head.onnx');
    writeFileSync(
      path,
      encode(
        model({
          name: 'no_head',
          node: [
            node('Flatten', ['input'], ['flat'], []),
            node('Gemm', ['flat', 'W', 'b'], ['gemm'], [{ name: 'transB', type: 2, i: 1 }]),
            node('Mul', ['gemm', 'two'], ['logits']),
          ],
          input: [valueInfo('input', ['batch', 1, 28, 28])],
          output: [valueInfo('logits', ['batch', 10])],
          initializer: [
            { name: 'W', dims: [10, 784], dataType: 1, rawData: new Uint8Array(weights.buffer) },
            { name: 'b', dims: [10], dataType: 1, rawData: new Uint8Array(new Float32Array(10).buffer) },
            { name: 'two', dims: [], dataType: 1, rawData: new Uint8Array(Float32Array.of(2).buffer) },
          ],
        }),
      ),
    );
    const imported = await importModel(store, path);
    expect(imported.analysis?.head).toBeNull();
    const { id, log } = await run(imported.id, { attacks: ['deepfool'], norm: 'l2', epsilons: [], iterations: 10, restarts: 1, targeted: null, seed: 1 }, 4);
    expect(log.some((line) => line.startsWith('no feature margins'))).toBe(true);
    const samples = [...store.runs.allSamples(id)];
    expect(samples.some((s) => s.marginFound)).toBe(true);
    for (const s of samples) expect([s.featureDistanceLinf, s.featureDistanceL2]).toEqual([null, null]);
  }, 60_000);
});
