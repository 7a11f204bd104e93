import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { readModel, writeModel } from '../onnx/codec.js';
import { decodeNpyFloat32 } from '../runtime/npy.js';
import { analyzeDifferentiability, buildGradientModel } from './backward.js';
import { GRADIENT_TARGETS, type GradientTarget } from './builder.js';
import { batchedFor, session, shapesFor } from './test-harness.js';

// PyTorch autograd VJPs (float64) for the models tools/goldens/make_goldens.py exports.
const root = fileURLToPath(new URL('./goldens', import.meta.url));
const names = existsSync(root) ? readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort() : [];
// A plain Uint8Array: decodeNpy's slice() would be a view, not a copy, on a Node Buffer.
const npy = (name: string, file: string) => decodeNpyFloat32(new Uint8Array(readFileSync(join(root, name, file))), file);

describe.skipIf(names.length === 0)('gradients match the PyTorch goldens', () => {
  for (const name of names) {
    const model = readModel(readFileSync(join(root, name, 'model.onnx')), `${name}/model.onnx`);
    const report = analyzeDifferentiability(model);
    if (!report.differentiable) {
      it.todo(`${name}: rules still missing for ${report.unsupported.map((u) => u.op).join(', ')}`);
      continue;
    }
    // Only MaxPool's backward differs per provider; the other goldens build one graph for all.
    const targets: readonly GradientTarget[] = model.graph.nodes.some((n) => n.opType === 'MaxPool') ? GRADIENT_TARGETS : ['cpu'];
    describe.each(targets)(`${name}, gradient graph built for %s`, (target) => goldenChecks(name, model, target));
  }
});

function goldenChecks(name: string, model: ReturnType<typeof readModel>, target: GradientTarget): void {
  it(`${name}: within 1e-4 of autograd (max-abs difference over max-abs reference)`, async () => {
    const [x, v, grad] = ['x.npy', 'v.npy', 'grad.npy'].map((f) => npy(name, f));
    const input = model.graph.inputs[0].name;
    // Probe at batch 2 (a batch of 1 would look like a broadcast), run at the goldens' batch.
    const probeX = new ort.Tensor('float32', x.data.slice(0, 2 * (x.data.length / x.shape[0])), [2, ...x.shape.slice(1)]);
    const built = buildGradientModel(model, { shapes: await shapesFor(model, { [input]: probeX }), target });
    const s = await session(writeModel(built.model));
    const out = await s.run({ [input]: new ort.Tensor('float32', x.data, x.shape), [built.cotangent]: new ort.Tensor('float32', v.data, v.shape) });
    await s.release();
    const got = out[built.gradient].data as Float32Array;
    let diff = 0;
    let ref = 0;
    grad.data.forEach((r, i) => {
      diff = Math.max(diff, Math.abs(got[i] - r));
      ref = Math.max(ref, Math.abs(r));
    });
    expect(diff / ref).toBeLessThan(1e-4);
  });
  it(`${name}: two cotangents per sample through one forward pass, v and -2v, give grad and -2 grad`, async () => {
    const [x, v, grad] = ['x.npy', 'v.npy', 'grad.npy'].map((f) => npy(name, f));
    const input = model.graph.inputs[0].name;
    const per = x.data.length / x.shape[0];
    const feeds = (batch: number) => ({ [input]: new ort.Tensor('float32', x.data.slice(0, batch * per), [batch, ...x.shape.slice(1)]) });
    const batched = await batchedFor(model, feeds(2), feeds(3));
    const built = buildGradientModel(model, { shapes: await shapesFor(model, feeds(2)), rowsPerSample: { rows: 2, batched }, target });
    const classes = v.data.length / v.shape[0];
    const vs = new Float32Array(v.data.length * 2);
    for (let b = 0; b < v.shape[0]; b++) {
      for (let j = 0; j < classes; j++) {
        vs[(2 * b) * classes + j] = v.data[b * classes + j];
        vs[(2 * b + 1) * classes + j] = -2 * v.data[b * classes + j];
      }
    }
    const s = await session(writeModel(built.model));
    const out = await s.run({ [input]: new ort.Tensor('float32', x.data, x.shape), [built.cotangent]: new ort.Tensor('float32', vs, [v.shape[0], 2, classes]) });
    await s.release();
    const got = out[built.gradient];
    expect(got.dims).toEqual([x.shape[0], 2, ...x.shape.slice(1)]);
    const data = got.data as Float32Array;
    let diff = 0;
    let ref = 0;
    for (let b = 0; b < x.shape[0]; b++) {
      for (let j = 0; j < per; j++) {
        const r = grad.data[b * per + j];
        diff = Math.max(diff, Math.abs(data[(2 * b) * per + j] - r), Math.abs(data[(2 * b + 1) * per + j] + 2 * r) / 2);
        ref = Math.max(ref, Math.abs(r));
      }
    }
    expect(diff / ref).toBeLessThan(1e-4);
  });
}
