import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { cloneModel, readModel, writeModel } from '../onnx/codec.js';
import { detectLinearHead, foldPreprocessing } from '../onnx/surgery.js';
import { analyzeDifferentiability, buildGradientModel } from './backward.js';
import { session, shapesFor, uniform } from './test-harness.js';

// The bundled PyTorch-exported sample (Conv, Relu, MaxPool, Flatten, Gemm; opset 13), when present.
const path = fileURLToPath(new URL('../../../resources/samples/fmnist-cnn-standard.onnx', import.meta.url));
const present = existsSync(path);

describe.skipIf(!present)('the fmnist-cnn-standard sample model', () => {
  const load = () => readModel(readFileSync(path), 'fmnist-cnn-standard.onnx');

  it('has a linear head on 64 features and is differentiable', () => {
    const m = load();
    const { head, reason } = detectLinearHead(m);
    expect(reason).toBeUndefined();
    expect(head).toMatchObject({ classes: 10, features: 64 });
    expect(analyzeDifferentiability(m)).toEqual({ differentiable: true, unsupported: [] });
  });

  it('gives vector-Jacobian products that match finite differences in pixel space', async () => {
    // The sample expects (pixel - 0.286) / 0.353; folded in, x is in [0, 1] (DESIGN.md section 5).
    const forward = foldPreprocessing(cloneModel(load()), { mean: [0.286], std: [0.353] });
    const dims = [2, 1, 28, 28];
    const x = uniform(2 * 784, 'pixels', 0, 1);
    const feeds = { input: new ort.Tensor('float32', x, dims) };
    const built = buildGradientModel(forward, { shapes: await shapesFor(forward, feeds) });
    expect(built.features).toBe('/features/features.8/Relu_output_0');

    const [f, grad] = await Promise.all([session(writeModel(forward)), session(writeModel(built.model))]);
    const v = uniform(20, 'cotangent');
    const out = await grad.run({ ...feeds, [built.cotangent]: new ort.Tensor('float32', v, [2, 10]) });
    expect(out[built.features!].dims).toEqual([2, 64]);
    const gradient = out[built.gradient].data as Float32Array;
    const objective = async (data: Float32Array) => {
      const y = (await f.run({ input: new ort.Tensor('float32', data, dims) })).logits.data as Float32Array;
      return y.reduce((sum, value, i) => sum + value * v[i], 0);
    };
    // Some of the 50k ReLU units sit within eps of their kink, so finite differences of this
    // network are off by up to ~0.3% of sum |g_i u_i| (at the first ReLU, where the exact
    // directional derivative is easy to compute, Brink's matched it to 1e-6). The error is
    // judged against that sum, the size of the terms the directional derivative adds up:
    // a wrong rule misses by a good part of it.
    const eps = 1e-3;
    for (const seed of ['direction 1', 'direction 2', 'direction 3']) {
      const u = uniform(x.length, seed);
      const numeric = ((await objective(x.map((xi, i) => xi + eps * u[i]))) - (await objective(x.map((xi, i) => xi - eps * u[i])))) / (2 * eps);
      const analytic = gradient.reduce((sum, gi, i) => sum + gi * u[i], 0);
      const scale = gradient.reduce((sum, gi, i) => sum + Math.abs(gi * u[i]), 0);
      expect(Math.abs(analytic - numeric)).toBeLessThan(1e-2 * scale);
    }
    await Promise.all([f.release(), grad.release()]);
  });
});
